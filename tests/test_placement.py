"""Placement: an object's name under its parent, decided from collected facts alone."""

from __future__ import annotations

from random import Random

from hypothesis import given
from hypothesis import strategies as st

from notion_syncd.sync.placement import (
    Placement,
    change_kind,
    displaced_name,
    place,
    short_name,
)
from notion_syncd.sync.state import IndexEntry
from notion_syncd.terms import dashed_id

SMALL = "00000000-0000-0000-0000-0000000000a1"
LARGE = "ffffffff-0000-0000-0000-0000000000a1"
"""Two ids whose last 8 hex digits collide, so equal titles share a short name."""

# Ids built to collide often: a few prefixes, two possible last-8 digits.
ids = st.builds(
    lambda prefix, tail: dashed_id(f"{prefix:024x}{tail}"),
    st.integers(min_value=0, max_value=5),
    st.sampled_from(["000000a1", "000000b2"]),
)
titles = st.sampled_from(["Notes", "notes", "Plan", "", "Notes/"])
parents = st.sampled_from([None, "11111111-1111-1111-1111-111111111111"])

Tree = dict[str, IndexEntry]


def _entry(object_id: str, title: str, parent: str | None, name: str) -> IndexEntry:
    return IndexEntry(
        id=object_id, kind="page", title=title, parent=parent, name=name, last_edited_time="t"
    )


def _owner(tree: Tree, parent: str | None, name: str) -> str | None:
    """The fact the shell collects: who holds ``name`` under ``parent`` now."""
    owners = [e.id for e in tree.values() if e.parent == parent and e.name == name]
    return owners[0] if owners else None


def _apply(tree: Tree, object_id: str, title: str, parent: str | None) -> Placement:
    """Place one object and carry out the decision on ``tree``, as the writer does."""
    owner = _owner(tree, parent, short_name(title, object_id))
    placement = place(object_id, tree.get(object_id), title, parent, owner)
    if placement.displaced is not None:
        sibling = tree[placement.displaced]
        tree[sibling.id] = sibling.with_changes(name=displaced_name(sibling))
    tree[object_id] = _entry(object_id, title, parent, placement.name)
    return placement


def _names_unique(tree: Tree) -> bool:
    keys = [(e.parent, e.name) for e in tree.values()]
    return len(keys) == len(set(keys))


def test_place_new_object_added_with_short_name() -> None:
    """An object the index does not know is added under its short name."""
    placement = place(SMALL, None, "Notes", None, None)
    assert placement == Placement("Notes 000000a1", "added")


def test_place_unchanged_title_and_parent_keeps_name() -> None:
    """Same title, same parent: the stored name stays, even a long one."""
    entry = _entry(LARGE, "Notes", None, "Notes ffffffff0000000000000000000000a1")
    assert place(LARGE, entry, "Notes", None, SMALL) == Placement(entry.name, "unchanged")


def test_place_rename_and_move() -> None:
    """A new title renames; a new parent moves."""
    entry = _entry(SMALL, "Notes", None, "Notes 000000a1")
    assert place(SMALL, entry, "Plan", None, None).move == "renamed"
    assert place(SMALL, entry, "Notes", "p", None).move == "moved"


def test_place_collision_larger_id_takes_long_name() -> None:
    """The sibling with the larger id takes the long name when the short one is held."""
    placement = place(LARGE, None, "Notes", None, SMALL)
    assert placement.name == "Notes ffffffff0000000000000000000000a1"
    assert placement.displaced is None


def test_place_collision_smaller_id_displaces_holder() -> None:
    """The sibling with the smaller id takes the short name; the holder must make way."""
    placement = place(SMALL, None, "Notes", None, LARGE)
    assert placement == Placement("Notes 000000a1", "added", displaced=LARGE)


def test_change_kind_reports_added_moved_updated() -> None:
    """Added stays added; a changed path is a move; anything else is an update."""
    assert change_kind(Placement("a", "added"), None, "a") == "added"
    assert change_kind(Placement("b", "renamed"), "a", "b") == "moved"
    assert change_kind(Placement("a", "unchanged"), "p/a", "q/a") == "moved"
    assert change_kind(Placement("a", "unchanged"), "a", "a") == "updated"
    assert change_kind(Placement("a", "moved"), None, "a") == "updated"


@given(ids, st.one_of(st.none(), ids), titles, parents, st.one_of(st.none(), ids))
def test_place_deterministic(
    object_id: str, other: str | None, title: str, parent: str | None, owner: str | None
) -> None:
    """The same facts always give the same decision."""
    entry = _entry(other, title, parent, "x") if other == object_id else None
    assert place(object_id, entry, title, parent, owner) == place(
        object_id, entry, title, parent, owner
    )


@given(st.lists(st.tuples(ids, titles, parents), max_size=30))
def test_place_names_unique_among_siblings(operations: list[tuple[str, str, str | None]]) -> None:
    """Whatever is added, renamed or moved, siblings never share a name."""
    tree: Tree = {}
    for object_id, title, parent in operations:
        _apply(tree, object_id, title, parent)
        assert _names_unique(tree)


@given(st.dictionaries(ids, st.tuples(titles, parents), max_size=12), st.randoms())
def test_place_independent_of_processing_order(
    objects: dict[str, tuple[str, str | None]], random: Random
) -> None:
    """Placing the same objects in any order names each of them the same way."""
    order = sorted(objects)
    shuffled = list(order)
    random.shuffle(shuffled)
    first: Tree = {}
    second: Tree = {}
    for object_id in order:
        _apply(first, object_id, *objects[object_id])
    for object_id in shuffled:
        _apply(second, object_id, *objects[object_id])
    assert {k: e.name for k, e in first.items()} == {k: e.name for k, e in second.items()}


@given(st.lists(st.tuples(ids, titles, parents), max_size=20))
def test_place_again_is_unchanged(operations: list[tuple[str, str, str | None]]) -> None:
    """Placing an object a second time with the same title and parent changes nothing."""
    tree: Tree = {}
    for object_id, title, parent in operations:
        _apply(tree, object_id, title, parent)
        again = _apply(tree, object_id, title, parent)
        assert again.move == "unchanged" and again.displaced is None
