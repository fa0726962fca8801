"""Writes a common word's postings into its part files (``_search/parts/``).

A word on more than :data:`~notion_syncd.export.searchwords.INLINE_POSTINGS` pages keeps
only its count in its word shard; its postings are split into
:func:`~notion_syncd.export.searchwords.part_count` parts by linear hashing of each
posting's hash, as the shards are (:mod:`notion_syncd.export.searchlayout`). A change
rewrites the parts that hold a posting going or coming, and those the new count splits or
merges; a page removed is looked for only in the one part its key hashes to. So the files
read and written are bounded (about :data:`~notion_syncd.export.searchwords.PART_POSTINGS`
postings each) whatever the number of pages having the word.

Whether a word is inline, and how its parts are split, follows from its postings alone,
so a mirror synced step by step has the files of a fresh export.
"""

from __future__ import annotations

from collections.abc import Collection

from notion_syncd.export.searchlayout import resize
from notion_syncd.export.searchwords import (
    WordPostings,
    parse_part,
    part_count,
    part_name,
    part_path,
    posting_part,
    render_part,
)
from notion_syncd.gitstore import Mirror


class _Parts:
    """A common word's part files as they are before this write (each read once)."""

    def __init__(self, mirror: Mirror, word: str, parts: int) -> None:
        self._mirror = mirror
        self._word = word
        self.parts = parts
        self._tables: dict[int, dict[str, set[str]]] = {}
        self._split: dict[int, dict[int, set[str]]] = {}

    def table(self, number: int) -> dict[str, set[str]]:
        """Every line of part ``number`` (words sharing the name included)."""
        if number not in self._tables:
            raw = self._mirror.read(part_path(self._word, number))
            self._tables[number] = parse_part(raw.decode("utf-8", "replace")) if raw else {}
        return self._tables[number]

    def postings(self, number: int) -> set[str]:
        return self.table(number).get(self._word, set()) if number < self.parts else set()

    def split(self, number: int, parts: int) -> dict[int, set[str]]:
        """The postings of part ``number`` by their part among ``parts`` (hashed once)."""
        if number not in self._split:
            self._split[number] = _by_part(self.postings(number), parts)
        return self._split[number]

    def holds(self, posting: str) -> bool:
        return bool(self.parts) and posting in self.postings(posting_part(posting, self.parts))

    def store(self, number: int, postings: set[str]) -> None:
        """Write the word's line of part ``number`` (none: the line goes), keeping the
        other words' lines; a part with no line left has no file."""
        table = {**self.table(number)}
        table.pop(self._word, None)
        if postings:
            table[self._word] = postings
        path = part_path(self._word, number)
        if table:
            rendered = render_part(part_name(self._word), number, table)
            self._mirror.write(path, rendered.encode())
        else:
            self._mirror.delete(path)


def update_word(
    mirror: Mirror,
    word: str,
    before: WordPostings,
    dropped: Collection[str],
    added: set[str],
) -> WordPostings:
    """The word's value in its word shard once the ``dropped`` postings are out and the
    ``added`` ones in, writing its parts: its postings when few (the line holds them), else
    their count.

    ``before`` is the word shard's value: inline postings (``dropped`` already taken out)
    or a count. ``dropped`` are the postings of changed objects that had the word's hash
    (each is looked for in its part); ``added`` the changed objects' postings now having
    the word (none had it before unless dropped).
    """
    if isinstance(before, int):
        old = _Parts(mirror, word, part_count(before))
        gone = {posting for posting in dropped if old.holds(posting)}
        line: set[str] = set()
        count = before - len(gone) + len(added)
    else:
        old = _Parts(mirror, word, 0)
        gone, line = set(), before
        count = len(before | added)
    parts = part_count(count)
    if not parts:  # few enough for the line: every part goes
        postings = set(line)
        for number in range(old.parts):
            postings |= old.postings(number)
            old.store(number, set())
        return (postings - gone) | added
    arriving = _by_part(added if old.parts else line | added, parts)
    if not old.parts:  # the word becomes common: its parts come from its line
        for number in range(parts):
            old.store(number, arriving.get(number, set()))
        return count
    if parts == old.parts and gone == added:  # a page edited keeps the word: no change
        return count
    sizes = resize(old.parts, parts)
    changed = sizes.written | set(arriving) | {posting_part(p, parts) for p in gone}
    for number in sorted(changed, reverse=True):
        # highest first: a part split off reads the part it comes from before that one
        # is rewritten (as searchwrite._highest_first)
        kept = set()
        for source in sizes.sources(number):
            if source in sizes.touched:  # split or merged: its postings go two ways
                kept |= old.split(source, parts).get(number, set()) - gone
            else:
                kept |= old.postings(source) - gone
        old.store(number, kept | arriving.get(number, set()))
    for number in sizes.gone:
        old.store(number, set())
    return count


def _by_part(postings: set[str], parts: int) -> dict[int, set[str]]:
    """``postings`` grouped by their part among ``parts``."""
    groups: dict[int, set[str]] = {}
    for posting in postings:
        groups.setdefault(posting_part(posting, parts), set()).add(posting)
    return groups
