// notion-syncd offline search (written to _assets/search.js; no library, no request
// beyond this mirror). Shards in _search/ are loaded as scripts, because a page opened
// from file:// may load scripts but not fetch files. Each shard calls notionSearch(rows),
// a row being [id, path stem, title, excerpt]. A page matches when every word of the
// query occurs in its title or excerpt; title matches come first.
"use strict";
(function () {
  var entries = [];
  window.notionSearch = function (rows) { entries = entries.concat(rows); };
  var form = document.getElementById("search");
  var input = document.getElementById("q");
  var out = document.getElementById("results");
  var status = document.getElementById("status");
  var shards = Number(form.getAttribute("data-shards"));
  var loaded = 0;

  function norm(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function href(stem) {
    return stem.split("/").map(encodeURIComponent).join("/") + ".html";
  }
  function snippet(text, word) {
    var at = Math.max(0, norm(text).indexOf(word) - 60);
    return (at ? "…" : "") + text.slice(at, at + 200) + (at + 200 < text.length ? "…" : "");
  }
  function byTitle(a, b) {
    return a[0] - b[0] || (a[1][2] < b[1][2] ? -1 : a[1][2] > b[1][2] ? 1 : 0);
  }
  function run() {
    var words = norm(input.value).split(/\s+/).filter(Boolean);
    out.textContent = "";
    if (!words.length) { status.textContent = ""; return; }
    var hits = [];
    for (var i = 0; i < entries.length; i++) {
      var entry = entries[i], title = norm(entry[2]), text = title + " " + norm(entry[3]);
      var all = true, inTitle = true;
      for (var w = 0; w < words.length; w++) {
        if (text.indexOf(words[w]) < 0) { all = false; break; }
        if (title.indexOf(words[w]) < 0) { inTitle = false; }
      }
      if (all) { hits.push([inTitle ? 0 : 1, entry]); }
    }
    hits.sort(byTitle);
    status.textContent = hits.length + (hits.length === 1 ? " page" : " pages") +
      (hits.length > 100 ? " (the first 100 shown)" : "");
    hits.slice(0, 100).forEach(function (hit) {
      var entry = hit[1], item = document.createElement("li"), link = document.createElement("a");
      link.href = href(entry[1]);
      link.textContent = entry[2] || "Untitled";
      item.appendChild(link);
      if (entry[3]) {
        var excerpt = document.createElement("p");
        excerpt.textContent = snippet(entry[3], words[0]);
        item.appendChild(excerpt);
      }
      out.appendChild(item);
    });
  }
  function shardLoaded() {
    loaded += 1;
    if (loaded === shards) { form.setAttribute("data-ready", "true"); run(); }
  }
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; }
  input.addEventListener("input", run);
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  for (var n = 0; n < shards; n++) {
    var script = document.createElement("script");
    script.src = "_search/" + (n < 10 ? "0" : "") + n + ".js";
    script.onload = shardLoaded;
    script.onerror = shardLoaded;  // an empty shard has no file
    document.head.appendChild(script);
  }
})();
