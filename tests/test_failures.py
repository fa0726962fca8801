"""The policy of which failed syncs heal by themselves (notion_syncd.service.failures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from notion_syncd import errors
from notion_syncd.service.failures import (
    GIVE_UP_AFTER,
    PERMANENT,
    TRANSIENT,
    failure_kind,
    should_give_up,
)
from notion_syncd.service.mirrorwatch import MirrorWatch


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (errors.NotionUnauthorized("401", status=401), PERMANENT),
        (errors.NotionForbidden("403", status=403), PERMANENT),
        (errors.GitStoreError("refusing to write outside the mirror"), PERMANENT),
        (errors.ForeignRepository("not a mirror"), PERMANENT),
        (errors.MirrorMissing("gone"), PERMANENT),
        (errors.RepositoryLocked("a one-off sync is writing"), TRANSIENT),
        (errors.NotionUnavailable("5xx"), TRANSIENT),
        (errors.NotionRateLimited("429", wait_seconds=600), TRANSIENT),
        (errors.NotionBadResponse("garbage"), TRANSIENT),
        (errors.IncompleteListing("cut"), TRANSIENT),
        (errors.MassDeletionRefused("too much"), TRANSIENT),
        (errors.NothingShared("empty"), TRANSIENT),
        (RuntimeError("a bug"), TRANSIENT),
    ],
)
def test_failure_kind_policy(error: BaseException, kind: str) -> None:
    """Token refused and mirror unwritable or gone are permanent; outages are transient."""
    assert failure_kind(error) == kind


def test_failure_should_give_up_at_limit() -> None:
    """The daemon gives up at GIVE_UP_AFTER permanent failures in a row, not before."""
    assert not should_give_up(GIVE_UP_AFTER - 1)
    assert should_give_up(GIVE_UP_AFTER)


def test_mirror_watch_detects_removed_and_replaced_mirror(tmp_path: Path) -> None:
    """The watch passes while the git directory is the one opened; removed or replaced, it
    raises MirrorMissing naming the mirror."""
    git_dir = tmp_path / "mirror" / ".git"
    git_dir.mkdir(parents=True)
    watch = MirrorWatch()
    watch.check()  # nothing opened yet: nothing to compare
    watch.opened(git_dir)
    watch.check()
    (tmp_path / "mirror").rename(tmp_path / "elsewhere")
    with pytest.raises(errors.MirrorMissing, match="was removed or replaced"):
        watch.check()
    git_dir.mkdir(parents=True)  # a new, empty mirror in its place is not the same one
    with pytest.raises(errors.MirrorMissing, match=str(tmp_path / "mirror")):
        watch.check()
