"""Pages whose views wait for the final flush of a sync, kept where a crash finds them.

A page written before the objects it links to is not rendered at the checkpoint: its
links and titles would change as soon as they arrive, and a first export rendered every
page about one and a half times (issue 10). It waits instead, and the final flush
renders it once, with every target in place (when many wait, in batches, each committed
by a checkpoint: ``Committer.finish``). The checkpoint commits hold its JSON, not its
views, so the ids that wait are kept outside the commit, in the git dir
(``.git/notion-syncd/views-waiting``, one id per line): a sync after a crash renders
them at its own end. Lines are appended before the checkpoint that needs them and
fsynced before that commit (a power cut cannot keep the commit and lose its lines);
the file goes after the final commit.

A mirror whose HEAD is a checkpoint but which has no such file (a clone of a mirror
whose sync was interrupted, or a file lost) renders at the end of its next sync every
object whose JSON the interrupted sync committed (:func:`interrupted_objects`, from the
trees of HEAD and of the last complete sync's commit): more than waited, never less.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pygit2

from notion_syncd import jsoncodec
from notion_syncd.sync.state import LEDGER_FILE, STATE_DIR
from notion_syncd.terms import dashed_id

WAITING_FILE = "notion-syncd/views-waiting"
"""Under the git dir."""
ID_LENGTH = 36
"""A dashed Notion id."""


class WaitingViews:
    """The ids of pages waiting for the final flush, appended to a host-local file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, head: Any | None) -> set[str]:
        """The ids an earlier sync left waiting (it ended before its final commit);
        with no file, those of :func:`interrupted_objects` (``head``: HEAD's commit)."""
        try:
            raw = self.path.read_bytes()
        except OSError:  # none (or unreadable): what the checkpoints hold, if any
            return interrupted_objects(head)
        lines = raw.decode("utf-8", "replace").split("\n")
        return {line for line in lines if len(line) == ID_LENGTH}  # not a torn last line

    def add(self, ids: Iterable[str]) -> None:
        """Append ``ids`` and make them durable (before the commit that needs them).

        Once per checkpoint: the file is opened for it and closed again, so a sync that
        stops on an error holds no descriptor. Raises OSError.
        """
        data = "".join(f"{object_id}\n" for object_id in ids).encode()
        if not data:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def clear(self) -> None:
        """Forget every id: the final commit holds their views."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def interrupted_objects(head: Any | None) -> set[str]:
    """Ids of the objects whose JSON an interrupted sync's checkpoints committed.

    ``head``: HEAD's commit; empty when it ends a complete sync. The checkpoints are
    the commits from HEAD back to the last one whose ledger does not say
    ``"complete": false`` (all of them when no sync ever ended); the ids are read from
    the JSON records that differ between the two trees, so this costs what the
    interrupted sync wrote.
    """
    base = head
    while base is not None and not ends_complete_sync(base):
        base = base.parents[0] if base.parents else None
    if base is head or head is None:
        return set()
    # swap: from the base to HEAD; no base (the first sync never ended): all of HEAD.
    diff = (
        head.tree.diff_to_tree(base.tree, swap=True) if base else head.tree.diff_to_tree(swap=True)
    )
    ids = set()
    for delta in diff.deltas:
        path = delta.new_file.path
        if delta.status == pygit2.enums.DeltaStatus.DELETED or not path.endswith(".json"):
            continue
        if path.startswith((f"{STATE_DIR}/", "_")):
            continue
        record = _json_at(head.tree, path)
        own = record.get("page") or record.get("data_source") or {}
        if isinstance(own, dict) and own.get("id"):
            ids.add(dashed_id(str(own["id"])))
    return ids


def ends_complete_sync(commit: Any) -> bool:
    """Whether ``commit`` is a sync's final commit (not a checkpoint of one that stopped)."""
    return _json_at(commit.tree, LEDGER_FILE).get("complete", True) is not False


def _json_at(tree: Any, rel: str) -> dict[str, Any]:
    """The JSON object stored at ``rel`` in ``tree``; {} when absent or not one."""
    try:
        value = jsoncodec.loads(tree[rel].data)
    except (KeyError, AttributeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
