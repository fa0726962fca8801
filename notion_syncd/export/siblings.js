// notion-syncd: links to a page's siblings (written to _assets/siblings.js). A parent
// lists its children in a small script beside its own views (<parent>.nav.js, see
// notion_syncd/export/htmlsiblings.py); this loads the page's parent's list, adds the
// siblings around the page to the sidebar (at most WINDOW on each side) and "previous /
// next" links below the page. Progressive: without JavaScript the breadcrumbs' parent
// link leads to the siblings.
"use strict";
(function () {
  var tag = document.currentScript;
  if (!tag || !tag.dataset.siblings) { return; }
  var WINDOW = 25;
  var self = tag.dataset.self;
  var parent = tag.dataset.parent;

  function link(href, text, rel) {
    var anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = text;
    if (rel) { anchor.rel = rel; }
    return anchor;
  }
  function item(entry) {
    var li = document.createElement("li");
    li.className = "sibling";
    li.appendChild(document.createTextNode(entry[0] + " "));
    li.appendChild(link(entry[2], entry[1]));
    return li;
  }
  function more(count) {
    var li = document.createElement("li");
    li.className = "more";
    li.appendChild(link(parent, "… " + count + " more"));
    return li;
  }

  window.notionSiblings = function (entries, rest) {
    var at = -1;
    for (var i = 0; i < entries.length; i++) {
      if (entries[i][2] === self) { at = i; break; }
    }
    if (at < 0) { return; }  // past the parent's cap: the breadcrumbs lead there
    var current = document.querySelector('nav.sidebar li[aria-current="page"]');
    if (current) {
      var list = current.parentNode;
      var first = Math.max(0, at - WINDOW);
      var last = Math.min(entries.length, at + WINDOW + 1);
      var before = document.createDocumentFragment();
      if (first > 0) { before.appendChild(more(first)); }
      for (var b = first; b < at; b++) { before.appendChild(item(entries[b])); }
      list.insertBefore(before, current);
      var after = document.createDocumentFragment();
      for (var a = at + 1; a < last; a++) { after.appendChild(item(entries[a])); }
      var left = entries.length - last + (rest || 0);
      if (left > 0) { after.appendChild(more(left)); }
      list.insertBefore(after, current.nextSibling);
    }
    var pager = document.createElement("nav");
    pager.className = "pager";
    pager.setAttribute("aria-label", "Sibling pages");
    if (at > 0) { pager.appendChild(link(entries[at - 1][2], "← " + entries[at - 1][1], "prev")); }
    if (at + 1 < entries.length) {
      pager.appendChild(link(entries[at + 1][2], entries[at + 1][1] + " →", "next"));
    }
    var content = document.querySelector(".content");
    if (pager.childNodes.length && content) { content.appendChild(pager); }
  };

  var script = document.createElement("script");
  script.src = tag.dataset.siblings;
  document.body.appendChild(script);
})();
