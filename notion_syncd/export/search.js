// notion-syncd offline search (written to _assets/search.js; no library, no request
// beyond this mirror). Shards are loaded as scripts, because a page opened from file://
// may load scripts but not fetch files.
//
// _search/shards.js calls notionShards(counts): how many id and word shards there are
// (notion_syncd/export/searchlayout.py). A key goes to its shard by linear hashing of
// FNV-1a (32 bits, of the UTF-8 bytes), as bucket() below and searchlayout.bucket do.
// Two indexes (notion_syncd/export/search.py and searchwords.py):
// - _search/ids/F/N.js (F: N / 256, rounded down) call notionSearch(rows), a row being
//   [id, path stem, title, excerpt]; all are loaded, and a page matches when every word
//   of the query occurs in its title or excerpt (so a word being typed matches as a
//   prefix);
// - _search/words/F/N.js call notionWords(number, rows), a row being [word, "posting
//   posting …"] and a posting the last 12 hex digits of an id; only the shard of each
//   query word is loaded (by the word's hash, cut to 16 bits), and a page matches when
//   it has every whole word of the query anywhere in its text. A common word's row is
//   [word, count, parts]: its postings are in _search/parts/HH/HHHHHHHH/N.js (its hash in
//   hex, N below parts), which call notionPart(name, number, rows) with rows as above.
// Title matches come first.
"use strict";
(function () {
  var form = document.getElementById("search");
  var input = document.getElementById("q");
  var out = document.getElementById("results");
  var status = document.getElementById("status");
  var shards = 0;
  var wordShards = 0;
  var entries = [];
  var byKey = new Map();  // the last 12 hex digits of an id (a posting's end) -> row
  var requested = {};
  var idLoaded = 0;
  var words = {};  // word shard number -> Map(word -> ["posting posting …"] or [count, parts])
  var parts = {};  // "HHHHHHHH/N" -> Map(word -> "posting posting …")
  var pending = false;

  window.notionSearch = function (rows) {
    for (var i = 0; i < rows.length; i++) {
      entries.push(rows[i]);
      byKey.set(rows[i][0].replace(/-/g, "").toLowerCase().slice(-12), rows[i]);
    }
  };
  function rows(list) {
    var map = new Map();
    list.forEach(function (row) { map.set(row[0], row.slice(1)); });
    return map;
  }
  window.notionWords = function (number, list) { words[number] = rows(list); };
  window.notionPart = function (name, number, list) { parts[name + "/" + number] = rows(list); };
  window.notionShards = function (counts) { shards = counts.ids; wordShards = counts.words; };

  function norm(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function terms(text) {  // as searchwords.words_of
    return (norm(text).match(/[\p{L}\p{N}_]+/gu) || []).filter(function (w) {
      return Array.from(w).length <= 40;
    });
  }
  function fnv(text) {  // FNV-1a of the UTF-8 bytes, as searchlayout.fnv1a
    var bytes = new TextEncoder().encode(text), hash = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
    }
    return hash;
  }
  function bucket(hash, count) {  // linear hashing, as searchlayout.bucket
    var level = Math.pow(2, 31 - Math.clz32(count)), low = hash % level;
    return low < count - level ? hash % (level * 2) : low;
  }
  function wordShard(word) { return bucket(fnv(word) % 65536, wordShards); }
  function hex(hash) { return ("0000000" + hash.toString(16)).slice(-8); }
  function loadOnce(key, src, table, name) {  // a shard or part with no file is empty
    load(key, src, function () {
      if (!table[name]) { table[name] = new Map(); }
      schedule();
    });
  }
  // The postings of a word, as a string (null while a file of them is still loading).
  function postingsOf(word) {
    var number = wordShard(word);
    if (!words[number]) {
      loadOnce("w" + number, shardFile("words", number), words, number);
      return null;
    }
    var row = words[number].get(word) || [""];
    if (typeof row[0] === "string") { return row[0]; }
    var name = hex(fnv(word)), found = [], waiting = false;
    for (var n = 0; n < row[1]; n++) {
      var part = name + "/" + n;
      if (!parts[part]) {
        loadOnce("p" + part, partFile(name, n), parts, part);
        waiting = true;
      } else {
        found.push(parts[part].get(word) || [""]);
      }
    }
    return waiting ? null : found.map(function (r) { return r[0]; }).join(" ");
  }
  function shardFile(folder, number) {  // as searchlayout.shard_file
    return "_search/" + folder + "/" + Math.floor(number / 256) + "/" + number + ".js";
  }
  function partFile(name, number) {  // as searchwords.part_path
    return "_search/parts/" + name.slice(0, 2) + "/" + name + "/" + number + ".js";
  }
  function load(key, src, done) {
    if (requested[key]) { return; }
    requested[key] = true;
    var script = document.createElement("script");
    script.src = src;
    script.onload = done;
    script.onerror = done;  // an empty shard has no file
    document.head.appendChild(script);
  }
  function loadIdShard(number) {
    load("id" + number, shardFile("ids", number), function () {
      idLoaded += 1;
      if (idLoaded === shards) { form.setAttribute("data-ready", "true"); }
      schedule();
    });
  }
  function schedule() {
    if (!pending) { pending = true; setTimeout(function () { pending = false; run(); }, 0); }
  }
  function href(stem) {
    return stem.split("/").map(encodeURIComponent).join("/") + ".html";
  }
  function snippet(text, word) {
    var at = Math.max(0, norm(text).indexOf(word) - 60);
    return (at ? "…" : "") + text.slice(at, at + 200) + (at + 200 < text.length ? "…" : "");
  }
  // Rows having every whole word (null while a word shard is still loading).
  function wordHits(query) {
    var found = null;
    for (var i = 0; i < query.length && wordShards; i++) {
      var text = postingsOf(query[i]);
      if (text === null) { return null; }
      var postings = new Set(text.split(" ").filter(Boolean));
      found = found === null ? Array.from(postings) : found.filter(function (p) {
        return postings.has(p);
      });
    }
    var rows = [];
    (found || []).forEach(function (posting) {
      var row = byKey.get(posting);
      if (row) { rows.push(row); } else { loadIdShard(bucket(fnv(posting), shards)); }
    });
    return rows;
  }
  function run() {
    var typed = norm(input.value).split(/\s+/).filter(Boolean);
    out.textContent = "";
    if (!typed.length) { status.textContent = ""; return; }
    var hits = new Map();
    function add(row) {
      var title = norm(row[2]), inTitle = typed.every(function (w) { return title.indexOf(w) >= 0; });
      hits.set(row[0], [inTitle ? 0 : 1, row]);
    }
    var query = terms(input.value);
    var byWord = query.length ? wordHits(query) : [];
    if (byWord !== null) { loadAll(); }
    (byWord || []).forEach(add);
    if (idLoaded === shards) {
      for (var i = 0; i < entries.length; i++) {
        var entry = entries[i], text = norm(entry[2]) + " " + norm(entry[3]);
        if (typed.every(function (w) { return text.indexOf(w) >= 0; })) { add(entry); }
      }
    }
    var sorted = Array.from(hits.values()).sort(function (a, b) {
      return a[0] - b[0] || (a[1][2] < b[1][2] ? -1 : a[1][2] > b[1][2] ? 1 : 0);
    });
    var loading = byWord === null || idLoaded < shards;
    status.textContent = sorted.length + (sorted.length === 1 ? " page" : " pages") +
      (sorted.length > 100 ? " (the first 100 shown)" : "") + (loading ? " so far…" : "");
    form.setAttribute("data-done", loading ? "false" : "true");
    sorted.slice(0, 100).forEach(function (hit) {
      var entry = hit[1], item = document.createElement("li"), link = document.createElement("a");
      link.href = href(entry[1]);
      link.textContent = entry[2] || "Untitled";
      item.appendChild(link);
      if (entry[3]) {
        var excerpt = document.createElement("p");
        excerpt.textContent = snippet(entry[3], typed[0]);
        item.appendChild(excerpt);
      }
      out.appendChild(item);
    });
  }
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; }
  // With a query in the URL, its word shards and the hits' id shards are requested first;
  // the other id shards (for title and excerpt matching) follow once those are known.
  var bulk = false;
  function loadAll() {
    if (bulk) { return; }
    bulk = true;
    for (var n = 0; n < shards; n++) { loadIdShard(n); }
    if (!shards) { form.setAttribute("data-ready", "true"); }
  }
  function start() {  // once the shard counts are known (none: an empty index)
    input.addEventListener("input", schedule);
    input.addEventListener("input", loadAll);
    form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    if (query) { run(); } else { loadAll(); }
  }
  load("layout", "_search/shards.js", start);
})();
