"""Unit tests for the CSV renderer: columns, injection, round trip through ``csv``."""

from __future__ import annotations

import csv
import io
from typing import Any

from notion_syncd.export.csvfile import neutralise, render_data_source_csv
from notion_syncd.export.links import RenderContext

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
