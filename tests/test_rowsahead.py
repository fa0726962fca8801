"""Rows of new data sources read ahead: order, how many at once, errors, closing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from notion_syncd.errors import NotionUnavailable
from notion_syncd.sync.rowsahead import RowsAhead

Row = dict[str, Any]


def rows_of(tables: dict[str, list[str]], started: list[str]) -> Callable[[str], Iterator[Row]]:
    """A query per table that notes when it is asked."""

    def query(data_source_id: str) -> Iterator[Row]:
        started.append(data_source_id)
        for row_id in tables[data_source_id]:
            yield {"id": row_id}

    return query


def drain(rows: RowsAhead) -> list[str]:
    found = []
    while (row := rows.next_row()) is not None:
        found.append(row["id"])
    return found


def test_rows_ahead_in_the_order_data_sources_came() -> None:
    """Rows come table by table, in the order the tables were added."""
    started: list[str] = []
    rows = RowsAhead(rows_of({"a": ["a1", "a2"], "b": [], "c": ["c1"]}, started))
    for table in "abc":
        rows.add(table)
    assert rows
    assert drain(rows) == ["a1", "a2", "c1"]
    assert not rows and started == ["a", "b", "c"]


def test_rows_ahead_starts_at_most_ahead_queries() -> None:
    """A third table waits until the first listing is read to its end."""
    started: list[str] = []
    rows = RowsAhead(rows_of({"a": ["a1"], "b": ["b1"], "c": ["c1"]}, started), ahead=2)
    for table in "abc":
        rows.add(table)
    assert "c" not in started  # not asked for yet: its generator was never created
    assert rows.next_row() == {"id": "a1"}
    assert rows.next_row() == {"id": "b1"}
    assert "c" in started
    assert drain(rows) == ["c1"]


def test_rows_ahead_raises_query_error_after_rows_read() -> None:
    """A failing query gives the rows read before the failure, then its error."""

    def query(_data_source_id: str) -> Iterator[Row]:
        yield {"id": "r1"}
        raise NotionUnavailable("query failed")

    rows = RowsAhead(query)
    rows.add("a")
    assert rows.next_row() == {"id": "r1"}
    with pytest.raises(NotionUnavailable):
        rows.next_row()
    rows.close()
    assert not rows


def test_rows_ahead_close_forgets_queued() -> None:
    """Closing stops the queries read ahead and drops the ones not started."""
    started: list[str] = []
    rows = RowsAhead(rows_of({"a": ["a1"], "b": ["b1"], "c": ["c1"]}, started), ahead=1)
    for table in "abc":
        rows.add(table)
    rows.close()
    assert not rows and rows.next_row() is None and started in ([], ["a"])
