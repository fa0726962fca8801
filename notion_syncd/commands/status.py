"""``notion-syncd status``: what the mirror knows, read from the repository alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pygit2

from notion_syncd.config import Settings
from notion_syncd.gitremote import format_remote_state, read_push_state
from notion_syncd.localedits import local_refs
from notion_syncd.sync.gaps import GAPS_FILE, REPAIR_HINT, parse_gaps
from notion_syncd.sync.state import INDEX_DIR, LEDGER_FILE, STATE_FILE


def _count_index(repo_path: Path) -> dict[str, int]:
    counts: dict[str, int] = {"page": 0, "data_source": 0}
    root = repo_path / INDEX_DIR
    if not root.is_dir():
        return counts
    for entry_file in root.glob("*/*.json"):
        try:
            kind = json.loads(entry_file.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError):
            continue
        if kind in counts:
            counts[kind] += 1
    return counts


def mirror_status(settings: Settings) -> str:
    """A few lines for a person: last sync commit, watermark, page count, push state."""
    repo_path = Path(settings.export.repo)
    if not (repo_path / ".git").exists():
        return f"mirror: {repo_path} (not created yet: run notion-syncd sync)"
    repo = pygit2.Repository(str(repo_path))
    lines = [f"mirror: {repo_path}"]
    try:
        head = repo.revparse_single(f"refs/heads/{settings.export.branch}").peel(pygit2.Commit)
    except (KeyError, pygit2.GitError):
        head = None
    if head is None:
        lines.append("last sync: none yet")
    else:
        when = datetime.fromtimestamp(head.commit_time, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        subject = head.message.splitlines()[0] if head.message else ""
        lines.append(f"last change: {when}, commit {str(head.id)[:12]} ({subject})")
    state_file = repo_path / STATE_FILE
    watermark = None
    if state_file.exists():
        try:
            watermark = json.loads(state_file.read_text(encoding="utf-8")).get("watermark")
        except (OSError, ValueError, AttributeError) as exc:
            watermark = f"unreadable: {state_file} is damaged ({exc})"
    lines.append(f"watermark: {watermark or 'none (next sync lists everything)'}")
    counts = _count_index(repo_path)
    lines.append(f"pages: {counts['page']}, data sources: {counts['data_source']}")
    ledger_file = repo_path / LEDGER_FILE
    if ledger_file.exists():
        ledger = json.loads(ledger_file.read_text(encoding="utf-8"))
        failed = ledger.get("failed") or []
        if failed:
            lines.append(f"failed in the last sync: {len(failed)} (retried next sync)")
            lines.extend(f"  {item['id']}: {item['reason']}" for item in failed[:20])
    lines.extend(_gap_lines(repo_path))
    saved = local_refs(repo)
    if saved:
        lines.append(f"local edits kept (the working tree was reset): {len(saved)} refs")
        lines.extend(f"  {ref}" for ref in saved[:5])
    states = read_push_state(repo_path)
    for remote in settings.git.remotes:
        if remote.name in states:
            lines.append(format_remote_state(remote.name, states[remote.name]))
        else:
            lines.append(f"remote {remote.name}: never pushed")
    return "\n".join(lines)


def _gap_lines(repo_path: Path) -> list[str]:
    """What the mirror misses (``gaps.json``): the next sync retries each of them."""
    gaps_file = repo_path / GAPS_FILE
    if not gaps_file.exists():
        return []
    try:
        gaps = parse_gaps(gaps_file.read_bytes())
    except (OSError, ValueError) as exc:
        return [f"gaps: {gaps_file} is damaged ({exc}; {REPAIR_HINT})"]
    if not gaps:
        return []
    files = sum(len(gap.missing_files) for gap in gaps.values())
    lines = [f"not in the mirror yet: {len(gaps)} objects, {files} files (retried next sync)"]
    for gap in list(gaps.values())[:20]:
        lines.append(f"  {gap.describe()}")
        lines.extend(f"    {source}" for source in gap.missing_files[:5])
    return lines
