"""The sweep's decision: which mirrored objects go, from the facts collected."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from notion_syncd.sync.removals import (
    TRASHED,
    UNSHARED,
    Mirrored,
    Removal,
    plan_removals,
    unlisted,
)


def _tree() -> list[Mirrored]:
    """a ← b ← c, d alone, and the database alias of data source b."""
    return [
        Mirrored("a"),
        Mirrored("b", parent="a"),
        Mirrored("c", parent="b"),
        Mirrored("d"),
        Mirrored("db-b", parent="a", alias_of="b"),
    ]


def test_unlisted_skips_aliases_and_listed() -> None:
    """Only real objects the listing did not show are confirmed."""
    assert unlisted(_tree(), {"a", "d"}) == ["b", "c"]


def test_plan_removals_incomplete_listing_removes_nothing() -> None:
    """An incomplete listing removes nothing, whatever was confirmed."""
    plan = plan_removals(
        _tree(),
        listing_complete=False,
        confirmed={"d": TRASHED},
        threshold=1,
        allow_mass_delete=True,
    )
    assert plan.removals == () and plan.refused is not None


def test_plan_removals_subtree_goes_with_reasons() -> None:
    """A removed object takes its descendants and alias; a descendant keeps its own reason."""
    plan = plan_removals(
        _tree(),
        listing_complete=True,
        confirmed={"b": TRASHED, "c": UNSHARED, "d": None},
        threshold=1,
        allow_mass_delete=False,
    )
    assert plan.removals == (Removal("b", TRASHED), Removal("c", UNSHARED))
    assert plan.aliases == ("db-b",) and plan.refused is None and plan.total == 4


def test_plan_removals_threshold_refuses() -> None:
    """Above the threshold nothing goes, and the message says how many and why."""
    plan = plan_removals(
        _tree(),
        listing_complete=True,
        confirmed={"a": TRASHED},
        threshold=0.5,
        allow_mass_delete=False,
    )
    assert plan.removals == ()
    assert plan.refused is not None and "3 of 4" in plan.refused and "3 trashed" in plan.refused
    allowed = plan_removals(
        _tree(),
        listing_complete=True,
        confirmed={"a": TRASHED},
        threshold=0.5,
        allow_mass_delete=True,
    )
    assert [r.id for r in allowed.removals] == ["a", "b", "c"]


@st.composite
def forests(draw: st.DrawFn) -> list[Mirrored]:
    """Random index trees: each object's parent is an earlier object or none."""
    count = draw(st.integers(0, 25))
    objects: list[Mirrored] = []
    for n in range(count):
        parent = draw(st.one_of(st.none(), st.integers(0, n - 1).map(str))) if n else None
        objects.append(Mirrored(str(n), parent=parent))
    aliases = draw(st.lists(st.integers(0, max(count - 1, 0)), max_size=3)) if count else []
    objects += [Mirrored(f"db{n}", parent=None, alias_of=str(n)) for n in aliases]
    return objects


reasons = st.one_of(st.none(), st.sampled_from([TRASHED, UNSHARED]))


@given(forests(), st.data(), st.floats(0, 1), st.booleans(), st.booleans())
def test_plan_removals_properties(
    tree: list[Mirrored], data: st.DataObject, threshold: float, complete: bool, allow: bool
) -> None:
    """Never on an incomplete listing; threshold held; whole subtrees; no orphan left."""
    ids = [m.id for m in tree if m.alias_of is None]
    confirmed = data.draw(st.dictionaries(st.sampled_from(ids), reasons) if ids else st.just({}))
    plan = plan_removals(
        tree,
        listing_complete=complete,
        confirmed=confirmed,
        threshold=threshold,
        allow_mass_delete=allow,
    )
    removed = {r.id for r in plan.removals}
    if not complete:
        assert not removed
    if not allow:
        assert len(removed) <= threshold * len(ids)
    assert removed <= set(ids)
    assert {oid for oid, why in confirmed.items() if why} <= removed or not removed
    kept = [m for m in tree if m.id not in removed and m.id not in plan.aliases]
    kept_ids = {m.id for m in kept}
    for m in kept:
        assert m.parent is None or m.parent in kept_ids, "orphan index entry"
        assert m.alias_of is None or m.alias_of in kept_ids, "orphan alias"
    for removal in plan.removals:
        assert removal.reason in (TRASHED, UNSHARED)
        assert removal.id in confirmed or any(
            m.id == removal.id and m.parent in removed for m in tree
        ), "only confirmed objects and their descendants"
