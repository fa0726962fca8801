"""jsoncodec gives the standard library's exact bytes and values, only faster."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notion_syncd.jsoncodec import dumps_indented, loads, with_sorted_keys

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False),
)
_JSON = st.recursive(
    st.none() | st.booleans() | _NUMBERS | _TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=30,
)


def _stdlib(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_dumps_indented_equals_stdlib(value: Any) -> None:
    """Any JSON value is written byte for byte as json.dumps writes it."""
    assert dumps_indented(value) == _stdlib(value)


@pytest.mark.parametrize(
    "value",
    [1e-05, -9.5e-07, 0.00009, [1e-9, {"a": 3e-5}], {"x": 2**64}, {"n": -(2**63) - 1}],
    ids=["tiny", "negative-tiny", "below-1e-4", "nested", "u64-overflow", "i64-underflow"],
)
def test_dumps_indented_falls_back_where_orjson_differs(value: Any) -> None:
    """Tiny floats and integers beyond 64 bits take the standard library's form."""
    assert dumps_indented(value) == _stdlib(value)


def test_dumps_indented_keeps_float_like_text() -> None:
    """Text that looks like a tiny float inside a string does not change the bytes."""
    value = {"a": '": 0.00001,\n', "b": "1e-5", "c": 0.5}
    assert dumps_indented(value) == _stdlib(value)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_loads_equals_stdlib(value: Any) -> None:
    """What json.dumps wrote reads back to the values json.loads gives."""
    raw = json.dumps(value, ensure_ascii=False)
    assert loads(raw.encode()) == json.loads(raw)
    assert loads(raw) == json.loads(raw)


def test_loads_accepts_what_only_the_stdlib_parses() -> None:
    """NaN, huge integers and lone surrogate escapes parse as json.loads parses them."""
    value = loads(b'{"a": NaN, "b": 123456789012345678901234567890, "c": "\\ud800"}')
    assert math.isnan(value["a"])
    assert value["b"] == 123456789012345678901234567890
    assert value["c"] == "\ud800"
    assert loads(b"[100000000000000000000, -9223372036854775809]") == [10**20, -(2**63) - 1]
    assert loads('"\ud800"') == "\ud800"


def test_loads_refuses_what_the_stdlib_refuses() -> None:
    """Broken JSON raises ValueError, as json.loads does."""
    with pytest.raises(ValueError):
        loads(b'{"a": ')


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_with_sorted_keys_orders_every_object(value: Any) -> None:
    """The copy has the same content, and every object's keys in sorted order."""
    copy = with_sorted_keys(value)
    assert json.dumps(copy, ensure_ascii=False) == json.dumps(
        value, ensure_ascii=False, sort_keys=True
    )
