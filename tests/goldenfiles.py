"""Golden-file comparison: rendered text against reviewed files in ``tests/golden/``.

``UPDATE_GOLDEN=1`` rewrites the files that differ and still fails, naming each one with a
diff, so a run that updated something is never green: review the diff, then run again
without it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
MAX_DIFF_LINES = 40


def update_requested() -> bool:
    """Whether this run was asked to rewrite golden files."""
    return os.environ.get("UPDATE_GOLDEN") == "1"


def _describe(name: str, old: str | None, new: str) -> str:
    if old is None:
        return f"{name}: new file ({len(new.splitlines())} lines)"
    diff = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"golden/{name}", "rendered", lineterm=""
        )
    )
    shown = diff[:MAX_DIFF_LINES]
    if len(diff) > MAX_DIFF_LINES:
        shown.append(f"... {len(diff) - MAX_DIFF_LINES} more diff lines")
    return f"{name}: changed\n" + "\n".join(shown)


def compare_golden(rendered: Mapping[str, str], root: Path, *, update: bool) -> list[str]:
    """One description per golden file under ``root`` that differs from ``rendered``.

    With ``update`` the differing files are rewritten (the descriptions are the same).
    """
    changes = []
    for name, text in rendered.items():
        path = root / name
        old = path.read_bytes().decode("utf-8") if path.exists() else None
        if old == text:
            continue
        changes.append(_describe(name, old, text))
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
    return changes


def check_golden(rendered: Mapping[str, str], root: Path = GOLDEN) -> None:
    """Fail unless every rendered text equals its golden file (rewriting them on request)."""
    update = update_requested()
    changes = compare_golden(rendered, root, update=update)
    if not changes:
        return
    if update:
        head = (
            f"UPDATE_GOLDEN=1 rewrote {len(changes)} golden file(s); review the diff "
            "(git diff tests/golden) and run again without UPDATE_GOLDEN"
        )
    else:
        head = (
            f"{len(changes)} golden file(s) differ from the rendering; if the change is "
            "intended, run with UPDATE_GOLDEN=1 and review the diff"
        )
    pytest.fail(head + ":\n" + "\n\n".join(changes), pytrace=False)
