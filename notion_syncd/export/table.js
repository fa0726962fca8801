// notion-syncd: sort and filter a database's rows in the browser (written to
// _assets/table.js). Progressive: without JavaScript the table is complete, in its
// stored order. Click a column header to sort by it (again to reverse); type in the
// box above the table to keep the rows containing every word.
"use strict";
(function () {
  document.querySelectorAll("table.rows").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.from(body.rows);
    var filter = document.createElement("input");
    filter.type = "search";
    filter.placeholder = "Filter rows";
    filter.setAttribute("aria-label", "Filter rows");
    filter.className = "filter";
    table.parentNode.parentNode.insertBefore(filter, table.parentNode);
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        row.hidden = !words.every(function (word) { return text.indexOf(word) >= 0; });
      });
    });
    var order = {column: -1, sign: 1};
    var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
    Array.from(table.tHead.rows[0].cells).forEach(function (header, column) {
      header.tabIndex = 0;
      header.setAttribute("aria-sort", "none");
      function sort() {
        order.sign = order.column === column ? -order.sign : 1;
        order.column = column;
        rows.sort(function (a, b) {
          return order.sign * collator.compare(a.cells[column].textContent.trim(),
                                               b.cells[column].textContent.trim());
        });
        rows.forEach(function (row) { body.appendChild(row); });
        table.querySelectorAll("thead th").forEach(function (cell) {
          cell.setAttribute("aria-sort", "none");
        });
        header.setAttribute("aria-sort", order.sign > 0 ? "ascending" : "descending");
      }
      header.addEventListener("click", sort);
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { sort(); }
      });
    });
  });
})();
