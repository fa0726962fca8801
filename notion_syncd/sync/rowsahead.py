"""Rows of new data sources, queried while the fetch window is still busy.

A data source written for the first time needs its rows listed (``POST
/v1/data_sources/{id}/query``): search may not show them all yet. Querying them only
after the listing's last fetch came back made one round trip per data source with the
fetch window empty. :class:`RowsAhead` starts each query as soon as its data source is
written, read ahead in a thread of its own (``listing.ReadAhead``, spooled to disk), at
most :data:`AHEAD` at once; the exporter takes rows from it as soon as the listing it is
working on runs dry, in the order the data sources were written.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from notion_syncd.sync.listing import ReadAhead

AHEAD = 2
"""Row queries read ahead at once (each a thread and a cursor)."""

Result = dict[str, Any]


def _never_below(_result: Result) -> bool:
    return False


class RowsAhead:
    """Row listings queued, started and consumed in the order their data sources came."""

    def __init__(self, query: Callable[[str], Iterator[Result]], *, ahead: int = AHEAD) -> None:
        self._query = query
        self._ahead = max(1, ahead)
        self._queued: deque[str] = deque()
        self._started: deque[tuple[ReadAhead, Iterator[Result]]] = deque()

    def add(self, data_source_id: str) -> None:
        """Query the rows of ``data_source_id`` (now, unless ``ahead`` queries run already)."""
        self._queued.append(data_source_id)
        self._start_more()

    def __bool__(self) -> bool:
        """Rows not consumed yet (queued or being read)."""
        return bool(self._queued or self._started)

    def next_row(self) -> Result | None:
        """The next row of the oldest listing (waiting for its query); None when all are read.

        An error of a query is raised here, after the rows read before it.
        """
        while self._started:
            listing, rows = self._started[0]
            row = next(rows, None)
            if row is not None:
                return row
            self._started.popleft()
            listing.close()
            self._start_more()
        return None

    def close(self) -> None:
        """Stop every query read ahead and forget the queued ones."""
        self._queued.clear()
        while self._started:
            self._started.popleft()[0].close()

    def _start_more(self) -> None:
        while self._queued and len(self._started) < self._ahead:
            listing = ReadAhead(self._query(self._queued.popleft()), below_floor=_never_below)
            self._started.append((listing, iter(listing)))
