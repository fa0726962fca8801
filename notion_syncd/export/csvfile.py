"""A data source's rows → CSV (one row per page, one column per property).

Named ``csvfile`` so that ``import csv`` inside the package keeps meaning the standard
library. Columns: ``id`` (the row's dashed page id), ``url``, then the properties in the
schema's order as the API gave it (the record's ``property_order``) with the title property
first; after each relation column, a ``<name> (ids)`` column with the related pages' dashed
ids, so that a row can be found again. Cells are one line of text from
:func:`~notion_syncd.export.properties.property_text` (multiple values joined with ", ",
relations as titles, people as names, dates in ISO 8601: ``start`` or ``start/end``).

For people and for diffs: UTF-8 with a byte order mark (as Notion's own CSV export; Excel
needs it to read non-ASCII text), ``\\n`` line ends (``\\r\\n`` shows as ``^M`` in
``git diff``; spreadsheets and Python's ``csv`` read both).

Formula injection (OWASP "CSV Injection"): a cell starting with ``=``, tab or CR, or with
``+``, ``-`` or ``@`` followed by anything that could call a function, reference another
cell or sheet, or start DDE, gets a leading ``'``. Values a spreadsheet can only show, not
run, are kept byte for byte: numbers (``-5``, ``+1.5e3``), phone numbers and other
arithmetic of literals (``+1 555 0100``), handles (``@user``).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from notion_syncd.export.links import RenderContext
from notion_syncd.export.properties import property_text, schema_order
from notion_syncd.export.richtext import iso_date
from notion_syncd.terms import dashed_id

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_LITERAL_ARITHMETIC_RE = re.compile(r"[+-][\d ().,+-]*\d[\d ().,+-]*")
_HANDLE_RE = re.compile(r"@[\w.-]+")


def neutralise(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet could run as a formula (see the module doc)."""
    if not cell.startswith(FORMULA_STARTS):
        return cell
    inert = (
        _NUMBER_RE.fullmatch(cell)
        or _LITERAL_ARITHMETIC_RE.fullmatch(cell)
        or _HANDLE_RE.fullmatch(cell)
    )
    return cell if inert else "'" + cell


def render_data_source_csv(
    record: dict[str, Any], rows: list[dict[str, Any]], ctx: RenderContext
) -> str:
    """The rows of a data source as CSV text with a header row."""
    database = record.get("database") or {}
    data_source = record.get("data_source") or database
    schema = data_source.get("properties") or {}
    names = schema_order(schema, rows, record.get("property_order"))
    relations = {name for name in names if _is_relation(name, schema, rows)}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["id", "url"]
    for name in names:
        header += [name, f"{name} (ids)"] if name in relations else [name]
    writer.writerow([neutralise(name) for name in header])
    for row in rows:
        properties = row.get("properties") or {}
        cells = [dashed_id(str(row.get("id") or "")), str(row.get("url") or "")]
        for name in names:
            prop = properties.get(name)
            cells.append(property_text(prop, ctx, iso_date) if isinstance(prop, dict) else "")
            if name in relations:
                cells.append(_relation_ids(prop))
        writer.writerow([neutralise(cell) for cell in cells])
    return BOM + buffer.getvalue()


def _is_relation(name: str, schema: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
    if name in schema:
        return bool((schema.get(name) or {}).get("type") == "relation")
    kinds = {((row.get("properties") or {}).get(name) or {}).get("type") for row in rows}
    return "relation" in kinds


def _relation_ids(prop: object) -> str:
    """The related pages' dashed ids, joined like the titles."""
    if not isinstance(prop, dict):
        return ""
    items = prop.get("relation") or []
    return ", ".join(dashed_id(str(item.get("id"))) for item in items if isinstance(item, dict))
