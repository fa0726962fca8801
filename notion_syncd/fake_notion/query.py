"""Filters and sorts of ``POST /v1/data_sources/{id}/query`` over API-shaped page objects.

Supported: timestamp filters (``created_time``/``last_edited_time``) and date conditions
(``equals, before, after, on_or_before, on_or_after, is_empty, is_not_empty``), compound
``and``/``or`` (nested), and property filters for text (title, rich_text, url, email,
phone_number), number, checkbox, select/status, multi_select, date, relation/people
(``contains``). Anything else is a 400 ``validation_error``, so a client never silently
gets unfiltered rows. Timestamps compare as the API shows them: rounded to the minute.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cmp_to_key
from typing import Any

from notion_syncd.fake_notion.clock import parse_timestamp
from notion_syncd.fake_notion.responses import validation_error
from notion_syncd.fake_notion.richtext import plain_text

JSON = dict[str, Any]
Predicate = Callable[[JSON], bool]
_DATE_ONLY_LENGTH = 10


def compile_filter(spec: JSON | None) -> Predicate:
    """A predicate over page objects for a query ``filter`` (None = everything)."""
    if not spec:
        return lambda page: True
    if "and" in spec:
        parts = [compile_filter(item) for item in spec["and"]]
        return lambda page: all(part(page) for part in parts)
    if "or" in spec:
        parts = [compile_filter(item) for item in spec["or"]]
        return lambda page: any(part(page) for part in parts)
    if "timestamp" in spec:
        key = str(spec["timestamp"])
        if key not in ("created_time", "last_edited_time"):
            raise validation_error(
                f"body failed validation: body.filter.timestamp should be "
                f'"created_time" or "last_edited_time", instead was "{key}".'
            )
        condition = _date_condition(spec.get(key) or {})
        return lambda page: condition(str(page[key]))
    if "property" in spec:
        return _property_filter(spec)
    raise validation_error(
        "body failed validation: body.filter should be a property filter, "
        "a timestamp filter, or a compound filter."
    )


def _date_condition(condition: JSON) -> Callable[[str | None], bool]:
    if not condition:
        raise validation_error("body failed validation: a date filter needs a condition.")
    operator, operand = next(iter(condition.items()))
    if operator == "is_empty":
        return lambda value: value is None
    if operator == "is_not_empty":
        return lambda value: value is not None
    if not isinstance(operand, str):
        raise validation_error(
            f"body failed validation: date condition {operator} needs an ISO 8601 date."
        )
    whole_day = len(operand) == _DATE_ONLY_LENGTH
    start = parse_timestamp(operand)
    end = start + timedelta(days=1) if whole_day else start

    def compare(value: str | None) -> bool:
        if value is None:
            return False
        moment = parse_timestamp(value)
        if operator == "equals":
            return start <= moment < end if whole_day else moment == start
        if operator == "before":
            return moment < start
        if operator == "after":
            return moment >= end if whole_day else moment > start
        if operator == "on_or_before":
            return moment < end if whole_day else moment <= start
        if operator == "on_or_after":
            return moment >= start
        raise validation_error(f"Unsupported date filter condition: {operator}.")

    if operator not in ("equals", "before", "after", "on_or_before", "on_or_after"):
        raise validation_error(f"Unsupported date filter condition: {operator}.")
    return compare


def _property_filter(spec: JSON) -> Predicate:
    name = str(spec["property"])
    kinds = [key for key in spec if key != "property"]
    if len(kinds) != 1:
        raise validation_error(f"body failed validation: filter on {name} needs one type key.")
    kind = kinds[0]
    condition: JSON = spec[kind] or {}
    if not condition:
        raise validation_error(f"body failed validation: filter on {name} needs a condition.")
    operator, operand = next(iter(condition.items()))

    def value_of(page: JSON) -> Any:
        prop = page["properties"].get(name) or next(
            (value for value in page["properties"].values() if value.get("id") == name), None
        )
        if prop is None:
            raise validation_error(f"Could not find property with name or id: {name}")
        return prop.get(prop["type"])

    if kind in ("title", "rich_text", "url", "email", "phone_number"):
        test = _text_test(operator, operand)
        return lambda page: test(_as_text(value_of(page)))
    if kind == "number":
        number_test = _number_test(operator, operand)
        return lambda page: number_test(value_of(page))
    if kind == "checkbox":
        expected = bool(operand) if operator == "equals" else not bool(operand)
        return lambda page: bool(value_of(page)) == expected
    if kind in ("select", "status"):
        names = {operand} if isinstance(operand, str) else set(operand or [])
        return lambda page: _option_test(operator, names, value_of(page))
    if kind == "multi_select":
        wanted = {operand} if isinstance(operand, str) else set(operand or [])
        return lambda page: _multi_test(operator, wanted, value_of(page))
    if kind == "date":
        date_test = _date_condition(condition)
        return lambda page: date_test((value_of(page) or {}).get("start"))
    if kind in ("relation", "people"):
        return lambda page: _reference_test(operator, operand, value_of(page))
    raise validation_error(f"Filtering on {kind} properties is not supported by the fake.")


def _as_text(value: Any) -> str | None:
    if isinstance(value, list):
        text = plain_text(value)
        return text or None
    return value if value else None


def _text_test(operator: str, operand: Any) -> Callable[[str | None], bool]:
    needle = str(operand)
    tests: dict[str, Callable[[str | None], bool]] = {
        "equals": lambda text: text == needle,
        "does_not_equal": lambda text: text != needle,
        "contains": lambda text: text is not None and needle.lower() in text.lower(),
        "does_not_contain": lambda text: text is None or needle.lower() not in text.lower(),
        "starts_with": lambda text: text is not None and text.startswith(needle),
        "ends_with": lambda text: text is not None and text.endswith(needle),
        "is_empty": lambda text: text is None,
        "is_not_empty": lambda text: text is not None,
    }
    if operator not in tests:
        raise validation_error(f"Unsupported text filter condition: {operator}.")
    return tests[operator]


def _number_test(operator: str, operand: Any) -> Callable[[Any], bool]:
    tests: dict[str, Callable[[Any], bool]] = {
        "equals": lambda value: value == operand,
        "does_not_equal": lambda value: value != operand,
        "greater_than": lambda value: value is not None and value > operand,
        "less_than": lambda value: value is not None and value < operand,
        "greater_than_or_equal_to": lambda value: value is not None and value >= operand,
        "less_than_or_equal_to": lambda value: value is not None and value <= operand,
        "is_empty": lambda value: value is None,
        "is_not_empty": lambda value: value is not None,
    }
    if operator not in tests:
        raise validation_error(f"Unsupported number filter condition: {operator}.")
    return tests[operator]


def _option_test(operator: str, names: set[Any], value: JSON | None) -> bool:
    name = value["name"] if value else None
    if operator == "equals":
        return name in names
    if operator == "does_not_equal":
        return name not in names
    if operator == "is_empty":
        return name is None
    if operator == "is_not_empty":
        return name is not None
    raise validation_error(f"Unsupported select filter condition: {operator}.")


def _multi_test(operator: str, wanted: set[Any], value: list[JSON] | None) -> bool:
    present = {option["name"] for option in value or []}
    if operator == "contains":
        return bool(present & wanted)
    if operator == "does_not_contain":
        return not present & wanted
    if operator == "is_empty":
        return not present
    if operator == "is_not_empty":
        return bool(present)
    raise validation_error(f"Unsupported multi_select filter condition: {operator}.")


def _reference_test(operator: str, operand: Any, value: list[JSON] | None) -> bool:
    ids = {str(item.get("id")) for item in value or []}
    if operator == "contains":
        return str(operand) in ids
    if operator == "does_not_contain":
        return str(operand) not in ids
    if operator == "is_empty":
        return not ids
    if operator == "is_not_empty":
        return bool(ids)
    raise validation_error(f"Unsupported relation filter condition: {operator}.")


def sort_pages(pages: list[JSON], sorts: list[JSON] | None) -> list[JSON]:
    """Order page objects by ``sorts`` (earlier sorts win); stable for ties.

    Without sorts: newest ``created_time`` first (ties keep reverse creation order).
    """
    if not sorts:
        return list(reversed(pages))
    keys = [_sort_key(sort) for sort in sorts]

    def compare(left: JSON, right: JSON) -> int:
        for key, descending in keys:
            a, b = key(left), key(right)
            if a == b:
                continue
            if a is None or b is None:
                return 1 if a is None else -1  # empty values last, either direction
            result = -1 if a < b else 1
            return -result if descending else result
        return 0

    return sorted(pages, key=cmp_to_key(compare))


def _sort_key(sort: JSON) -> tuple[Callable[[JSON], Any], bool]:
    descending = sort.get("direction", "ascending") == "descending"
    if "timestamp" in sort:
        field_name = str(sort["timestamp"])
        if field_name not in ("created_time", "last_edited_time"):
            raise validation_error(f"Unsupported sort timestamp: {field_name}.")
        return (lambda page: parse_timestamp(str(page[field_name]))), descending
    if "property" in sort:
        name = str(sort["property"])
        return (lambda page: _sortable(page["properties"].get(name))), descending
    raise validation_error("body failed validation: a sort needs a property or a timestamp.")


def _sortable(value: JSON | None) -> Any:
    if value is None:
        return None
    inner = value.get(value["type"])
    if isinstance(inner, list):
        return plain_text(inner) if inner and "plain_text" in inner[0] else len(inner) or None
    if isinstance(inner, dict):
        return inner.get("name") or inner.get("start") or inner.get("number")
    if isinstance(inner, datetime):
        return inner.isoformat()
    return inner
