"""Unit tests for the CSV renderer: columns, injection, round trip through ``csv``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from notion_syncd.export.csvfile import neutralise, render_data_source_csv
from notion_syncd.export.links import RenderContext
from notion_syncd.export.markdown import render_data_source_markdown
from notion_syncd.sync.views import record_json

CTX = RenderContext(
    path="Tasks 1a2b3c4d.csv",
    resolve=lambda notion_id: None,
    title_of=lambda notion_id: {"r1": "Related one"}.get(notion_id),
)
SCHEMA = {
    "Tags": {"id": "t", "name": "Tags", "type": "multi_select", "multi_select": {"options": []}},
    "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
    "Estimate": {"id": "e", "name": "Estimate", "type": "number", "number": {}},
    "Related": {"id": "r", "name": "Related", "type": "relation", "relation": {}},
}


def _title(content: str) -> dict[str, Any]:
    return {
        "id": "title",
        "type": "title",
        "title": [{"type": "text", "plain_text": content, "text": {"content": content}}],
    }


def _row(number: int, name: str) -> dict[str, Any]:
    return {
        "object": "page",
        "id": f"{number:032x}",
        "url": f"https://notion.so/{number:032x}",
        "parent": {"type": "data_source_id", "data_source_id": "ds"},
        "properties": {
            "Name": _title(name),
            "Tags": {
                "id": "t",
                "type": "multi_select",
                "multi_select": [{"name": "a"}, {"name": "b c"}],
            },
            "Estimate": {"id": "e", "type": "number", "number": number - 30},
            "Related": {
                "id": "r",
                "type": "relation",
                "relation": [{"id": "r1"}, {"id": "r2"}],
                "has_more": False,
            },
        },
    }


def _parse(text: str) -> list[list[str]]:
    """Read as a consumer of the file would (``utf-8-sig`` drops the byte order mark)."""
    data = text.encode("utf-8").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data, newline="")))


def test_csv_sixty_rows_round_trip() -> None:
    """60 rows with commas, quotes and newlines parse back into 60 rows of the schema."""
    rows = [_row(n, f'Task {n}, "quoted"\nsecond line') for n in range(60)]
    text = render_data_source_csv({"data_source": {"properties": SCHEMA}}, rows, CTX)
    parsed = _parse(text)
    assert parsed[0] == ["id", "url", "Name", "Tags", "Estimate", "Related", "Related (ids)"]
    assert len(parsed) == 61
    assert all(len(row) == 7 for row in parsed)
    assert parsed[1][2] == 'Task 0, "quoted"\nsecond line'
    assert parsed[1][3:] == ["a, b c", "-30", "Related one, r2", "r1, r2"]
    assert parsed[1][0] == "00000000-0000-0000-0000-000000000000"


def test_csv_bom_and_newline_line_ends() -> None:
    """UTF-8 with a byte order mark (Excel reads non-ASCII right); ``\\n`` line ends."""
    text = render_data_source_csv({"data_source": {"properties": SCHEMA}}, [_row(1, "é")], CTX)
    assert text.startswith("\ufeffid,url,Name")
    assert text.endswith("\n") and "\r" not in text


def test_csv_sixty_rows_with_operator_values_read_back() -> None:
    """+1 555 0100, -5 and @user come back as written; only =1+1 is neutralised."""
    values = ["+1 555 0100", "-5", "=1+1", "@user"]
    rows = [_row(n, values[n % 4]) for n in range(60)]
    text = render_data_source_csv({"data_source": {"properties": SCHEMA}}, rows, CTX)
    names = [row[2] for row in _parse(text)[1:]]
    assert len(names) == 60
    assert names[:4] == ["+1 555 0100", "-5", "'=1+1", "@user"]
    assert [row[4] for row in _parse(text)[1:5]] == ["-30", "-29", "-28", "-27"]


def test_csv_neutralises_formula_injection() -> None:
    """Cells a spreadsheet could run get a leading apostrophe; inert values do not."""
    assert neutralise('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert neutralise("+1+cmd|' /C calc'!A0") == "'+1+cmd|' /C calc'!A0"
    assert neutralise("-2+3+cmd|' /C calc'!A0") == "'-2+3+cmd|' /C calc'!A0"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("+A1") == "'+A1"
    assert neutralise("-") == "'-"
    assert neutralise("\tx") == "'\tx"
    assert neutralise("\rx") == "'\rx"
    assert neutralise("-2+3") == "-2+3"
    assert neutralise("-3") == "-3"
    assert neutralise("+1.5e3") == "+1.5e3"
    assert neutralise("+1 (555) 010-0") == "+1 (555) 010-0"
    assert neutralise("@user.name") == "@user.name"
    assert neutralise("plain") == "plain"


def test_csv_injection_in_titles_is_neutralised() -> None:
    """A hostile title is written as text, not as a formula."""
    text = render_data_source_csv({"data_source": {"properties": SCHEMA}}, [_row(1, "=1+1")], CTX)
    assert _parse(text)[1][2] == "'=1+1"


def test_csv_without_schema_uses_row_property_names() -> None:
    """When the schema is missing, columns are the rows' property names, title first."""
    text = render_data_source_csv({"database": {}}, [_row(1, "x")], CTX)
    header = ["id", "url", "Name", "Estimate", "Related", "Related (ids)", "Tags"]
    assert _parse(text)[0] == header


def test_csv_columns_follow_the_recorded_schema_order() -> None:
    """``property_order`` (the API's order) survives the stored JSON's sorted keys."""
    record = {
        "data_source": {"properties": dict(sorted(SCHEMA.items()))},
        "property_order": ["Tags", "Estimate", "Name", "Related", "Gone"],
    }
    stored = json.loads(record_json(record))
    header = _parse(render_data_source_csv(stored, [_row(1, "x")], CTX))[0]
    assert header == ["id", "url", "Name", "Tags", "Estimate", "Related", "Related (ids)"]


def _dated(**dates: dict[str, Any] | None) -> dict[str, Any]:
    row = _row(1, "x")
    for name, value in dates.items():
        row["properties"][name] = {"id": name, "type": "date", "date": value}
    return row


def test_csv_dates_are_iso_8601_intervals() -> None:
    """A date range is ``start/end``; a named time zone follows as ``[Area/City]``."""
    schema = {name: {"type": "date"} for name in ("Day", "Range", "Zoned", "Empty")}
    row = _dated(
        Day={"start": "2024-03-01", "end": None, "time_zone": None},
        Range={"start": "2024-03-01", "end": "2024-03-05", "time_zone": None},
        Zoned={
            "start": "2024-03-01T09:00:00.000",
            "end": "2024-03-01T10:30:00.000",
            "time_zone": "Europe/Paris",
        },
        Empty=None,
    )
    parsed = _parse(render_data_source_csv({"data_source": {"properties": schema}}, [row], CTX))
    cells = dict(zip(parsed[0], parsed[1], strict=True))
    assert cells["Day"] == "2024-03-01"
    assert cells["Range"] == "2024-03-01/2024-03-05"
    assert cells["Zoned"] == "2024-03-01T09:00:00.000/2024-03-01T10:30:00.000[Europe/Paris]"
    assert cells["Empty"] == ""
    markdown = render_data_source_markdown({"data_source": {"properties": schema}}, [row], CTX)
    assert "| 2024-03-01 → 2024-03-05 |" in markdown  # for people: the arrow stays
