"""Titles become safe, unique, stable path components."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from notion_syncd.export.paths import MAX_NAME_BYTES, safe_name

ID = "393abc1e-edcd-8169-85ce-c64d3d3f20fd"
ids = st.uuids().map(str)
titles = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400
) | st.sampled_from(
    [
        "",
        " ",
        "..",
        ".",
        ".git",
        ".GIT",
        "git~1",
        ".git. ",
        "CON",
        "nul.txt",
        "COM1",
        "a/b\\c",
        "../../etc/passwd",
        "\x00\x01",
        "é",
        "e\u0301",
        "🚀 Launch",
        "x" * 300,
    ]
)

WINDOWS_FORBIDDEN = set('<>:"/\\|?*')


def _is_valid_component(name: str) -> bool:
    encoded = name.encode("utf-8")
    return (
        0 < len(encoded) <= MAX_NAME_BYTES
        and name not in {".", ".."}
        and name.lower() not in {".git", "git~1"}
        and not any(ch in WINDOWS_FORBIDDEN or ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in name)
        and not name.startswith((".", " "))
        and not name.endswith((".", " "))
        and unicodedata.is_normalized("NFC", name)
    )


@given(titles, ids)
def test_safe_name_always_valid_component(title: str, notion_id: str) -> None:
    """Any title maps to one valid, non-empty, bounded, NFC path component."""
    assert _is_valid_component(safe_name(title, notion_id))


@given(titles, ids)
def test_safe_name_deterministic(title: str, notion_id: str) -> None:
    """The same title and id always give the same name."""
    assert safe_name(title, notion_id) == safe_name(title, notion_id)


@given(titles, titles, ids, ids)
def test_safe_name_unique_among_siblings(a: str, b: str, id_a: str, id_b: str) -> None:
    """Different objects never share a name, even with equal or case-folded titles."""
    if id_a.replace("-", "")[-8:] == id_b.replace("-", "")[-8:]:
        return
    assert safe_name(a, id_a).casefold() != safe_name(b, id_b).casefold()


def test_safe_name_hostile_titles() -> None:
    """Traversal, separators, .git and device names are neutralised."""
    assert safe_name("../../etc/passwd", ID) == "etc passwd 3d3f20fd"
    assert safe_name("a/b\\c", ID) == "a b c 3d3f20fd"
    assert safe_name(".git", ID) == "git 3d3f20fd"
    assert safe_name("", ID) == "Untitled 3d3f20fd"
    assert safe_name("   ", ID) == "Untitled 3d3f20fd"
    assert safe_name("CON", ID).startswith("CON_")


def test_safe_name_nfc_and_nfd_equal() -> None:
    """Titles typed as NFC or NFD give the same name."""
    assert safe_name("Caf\u00e9", ID) == safe_name("Cafe\u0301", ID)


def test_safe_name_long_title_cut_at_utf8_boundary() -> None:
    """A 300-byte title is cut below the byte budget without breaking a character."""
    name = safe_name("é" * 300, ID)
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.endswith(" 3d3f20fd")


def test_safe_name_long_suffix_for_collisions() -> None:
    """The long form carries all 32 hex digits of the id."""
    assert safe_name("Notes", ID, long_suffix=True) == "Notes 393abc1eedcd816985cec64d3d3f20fd"
