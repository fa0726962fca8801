"""A data source's rows → CSV (one row per page, one column per property).

Named ``csvfile`` so that ``import csv`` inside the package keeps meaning the standard
library. Columns: ``id`` (the row's dashed page id), ``url``, then the properties in schema
order with the title property first. Cells are one line of text from
:func:`~notion_syncd.export.properties.property_text` (multiple values joined with ", ",
relations as titles). UTF-8 without BOM, ``\\r\\n`` line ends, every cell that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) is prefixed with
``'``, except plain numbers such as ``-3`` or ``+1.5``.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from notion_syncd.export.links import RenderContext
from notion_syncd.export.properties import property_text, schema_order
from notion_syncd.terms import dashed_id

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would otherwise evaluate as a formula."""
    if cell.startswith(FORMULA_STARTS) and not _NUMBER_RE.fullmatch(cell):
        return "'" + cell
    return cell


def render_data_source_csv(
    record: dict[str, Any], rows: list[dict[str, Any]], ctx: RenderContext
) -> str:
    """The rows of a data source as CSV text with a header row."""
    database = record.get("database") or {}
    data_source = record.get("data_source") or database
    names = schema_order(data_source.get("properties") or {}, rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in ["id", "url", *names]])
    for row in rows:
        properties = row.get("properties") or {}
        cells = [dashed_id(str(row.get("id") or "")), str(row.get("url") or "")]
        for name in names:
            prop = properties.get(name)
            cells.append(property_text(prop, ctx) if isinstance(prop, dict) else "")
        writer.writerow([neutralise(cell) for cell in cells])
    return buffer.getvalue()
