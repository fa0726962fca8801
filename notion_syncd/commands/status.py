"""``notion-syncd status``: what the mirror knows, read from the repository alone.

:func:`collect_status` gathers the facts into one JSON-ready object (the keys of
``status --json``, documented in README "Command reference"); :func:`format_status`
turns that object into lines for a person. No API call, no write.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygit2

from notion_syncd.config import Settings, credential_path
from notion_syncd.gitremote import RemoteState, format_remote_state, read_push_state
from notion_syncd.gitremote.state import iso_time
from notion_syncd.localedits import local_refs
from notion_syncd.sync import runlog
from notion_syncd.sync.gaps import GAPS_FILE, REPAIR_HINT, parse_gaps
from notion_syncd.sync.state import INDEX_DIR, LEDGER_FILE, STATE_FILE
from notion_syncd.webhooks.health import TokenSource, WebhookHealth
from notion_syncd.webhooks.receiver import CREDENTIAL
from notion_syncd.webhooks.store import Journal, read_last_event, read_stored_token

SHOWN_FAILURES = 20


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


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _last_change(repo_path: Path, branch: str) -> dict[str, Any] | None:
    repo = pygit2.Repository(str(repo_path))
    try:
        head = repo.revparse_single(f"refs/heads/{branch}").peel(pygit2.Commit)
    except (KeyError, pygit2.GitError):
        return None
    return {
        "time": iso_time(float(head.commit_time)),
        "commit": str(head.id),
        "subject": head.message.splitlines()[0] if head.message else "",
    }


def _remote_json(name: str, state: RemoteState | None) -> dict[str, Any]:
    if state is None:
        return {"name": name, "state": "never pushed"}
    condition = "failing" if state.consecutive_failures else "ok"
    if not state.consecutive_failures and not state.last_pushed_commit:
        condition = "never pushed"
    return {"name": name, "state": condition, **asdict(state)}


def collect_status(settings: Settings, *, now: datetime | None = None) -> dict[str, Any]:
    """The facts ``status`` shows, as one JSON-ready object (stable keys)."""
    repo_path = Path(settings.export.repo)
    status: dict[str, Any] = {
        "mirror": str(repo_path),
        "exists": (repo_path / ".git").exists(),
        "branch": settings.export.branch,
    }
    if not status["exists"]:
        return status
    record = runlog.read_record(repo_path)
    ledger = _read_json(repo_path / LEDGER_FILE)
    failed = [item for item in ledger.get("failed") or [] if isinstance(item, dict)]
    last = record.last_attempt
    failed_count = last.failed_objects if last is not None else len(failed)
    health = runlog.verdict(
        record,
        now=now or datetime.now(UTC),
        interval=settings.schedule.interval,
        failed_objects=failed_count,
    )
    counts = _count_index(repo_path)
    states = read_push_state(repo_path)
    return status | {
        "health": {"verdict": health.level, "reasons": list(health.reasons)},
        "last_sync": asdict(last) if last else None,
        "last_success": asdict(record.last_success) if record.last_success else None,
        "consecutive_failures": record.consecutive_failures,
        "last_change": _last_change(repo_path, settings.export.branch),
        "watermark": _read_json(repo_path / STATE_FILE).get("watermark"),
        "pages": counts["page"],
        "data_sources": counts["data_source"],
        "failed_objects": [{"id": item.get("id"), "reason": item.get("reason")} for item in failed],
        "missing": _missing(repo_path),
        "local_edits": local_refs(pygit2.Repository(str(repo_path))),
        "remotes": [
            _remote_json(remote.name, states.get(remote.name)) for remote in settings.git.remotes
        ],
        "webhooks": _webhooks(settings, Path(pygit2.Repository(str(repo_path)).path)),
    }


def _webhooks(settings: Settings, git_dir: Path) -> dict[str, Any] | None:
    """Whether a verification token is known and how many events await a sync (no secret)."""
    if not settings.webhooks.enabled:
        return None
    if settings.webhooks.verification_token_file is not None or credential_path(CREDENTIAL):
        token: TokenSource = "configured"
    elif read_stored_token(git_dir) is not None:
        token = "received"
    else:
        token = "none"
    pending = len(Journal(git_dir).events())
    last_event = read_last_event(git_dir)
    health = WebhookHealth(token=token, last_event=last_event, queue_depth=pending)
    return {
        "token": token,
        "pending_events": pending,
        "verified": health.verified,
        "last_event": None if last_event is None else _iso(last_event),
    }


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attempt_text(attempt: dict[str, Any]) -> str:
    text = f"{attempt['finished']}, {attempt['outcome']} ({attempt['duration_seconds']:.1f} s"
    if attempt["outcome"] == "success":
        text += f", {attempt['changed']} changed"
        if attempt["commit"]:
            text += f", commit {attempt['commit'][:12]}"
    if attempt["failed_objects"]:
        text += f", {attempt['failed_objects']} object(s) failed"
    text += ")"
    if attempt["error"]:
        text += f": {attempt['error']}"
    return text


def format_status(status: dict[str, Any]) -> str:
    """Lines for a person from :func:`collect_status`'s object."""
    lines = [f"mirror: {status['mirror']}"]
    if not status["exists"]:
        lines[0] += " (not created yet: run notion-syncd sync)"
        return "\n".join(lines)
    health = status["health"]
    reasons = "; ".join(health["reasons"])
    lines.append(f"health: {health['verdict']}" + (f" ({reasons})" if reasons else ""))
    last, success = status["last_sync"], status["last_success"]
    lines.append(f"last sync: {_attempt_text(last)}" if last else "last sync: none recorded")
    if last is not None and last != success:
        lines.append(f"last success: {_attempt_text(success) if success else 'never'}")
    if status["consecutive_failures"]:
        lines.append(f"failed syncs in a row: {status['consecutive_failures']}")
    change = status["last_change"]
    if change is None:
        lines.append("last change: none yet")
    else:
        lines.append(
            f"last change: {change['time']}, commit {change['commit'][:12]} ({change['subject']})"
        )
    lines.append(f"watermark: {status['watermark'] or 'none (next sync lists everything)'}")
    lines.append(f"pages: {status['pages']}, data sources: {status['data_sources']}")
    failed = status["failed_objects"]
    if failed:
        lines.append(f"failed in the last committed sync: {len(failed)} (retried next sync)")
        lines.extend(f"  {item['id']}: {item['reason']}" for item in failed[:SHOWN_FAILURES])
    lines.extend(_missing_lines(status["missing"]))
    saved = status["local_edits"]
    if saved:
        lines.append(f"local edits kept (the working tree was reset): {len(saved)} refs")
        lines.extend(f"  {ref}" for ref in saved[:5])
    for remote in status["remotes"]:
        fields = {key: value for key, value in remote.items() if key not in ("name", "state")}
        lines.append(format_remote_state(remote["name"], RemoteState(**fields)))
    hooks = status.get("webhooks")
    if hooks:
        word = {"none": "no verification token yet", "configured": "token configured"}
        verified = "verified" if hooks["verified"] else "not verified (no signed event yet)"
        last = f"last event {hooks['last_event']}" if hooks["last_event"] else "no event yet"
        lines.append(
            f"webhooks: {word.get(hooks['token'], 'token received')}, {verified}, {last}, "
            f"{hooks['pending_events']} event(s) awaiting a sync"
        )
    return "\n".join(lines)


def status_json(status: dict[str, Any]) -> str:
    """``status --json``: the object on one line."""
    return json.dumps(status, ensure_ascii=False) + "\n"


def mirror_status(settings: Settings) -> str:
    """A few lines for a person: health, last sync and success, size, failures, push state."""
    return format_status(collect_status(settings))


def _missing(repo_path: Path) -> list[dict[str, Any]]:
    """What the mirror misses (``gaps.json``): the next sync retries each of them.

    A damaged file is one entry whose ``id`` is None and whose reason says how to repair.
    """
    gaps_file = repo_path / GAPS_FILE
    if not gaps_file.exists():
        return []
    try:
        gaps = parse_gaps(gaps_file.read_bytes())
    except (OSError, ValueError) as exc:
        return [{"id": None, "reason": f"{gaps_file} is damaged ({exc}; {REPAIR_HINT})"}]
    return [
        {"id": gap.id, "reason": gap.reason, "files": list(gap.missing_files)}
        for gap in gaps.values()
    ]


def _missing_lines(missing: list[dict[str, Any]]) -> list[str]:
    if not missing:
        return []
    if missing[0]["id"] is None:
        return [f"gaps: {missing[0]['reason']}"]
    files = sum(len(gap["files"]) for gap in missing)
    lines = [f"not in the mirror yet: {len(missing)} objects, {files} files (retried next sync)"]
    for gap in missing[:SHOWN_FAILURES]:
        count = len(gap["files"])
        what = f"{count} file{'' if count == 1 else 's'} missing" if count else "not mirrored"
        lines.append(f"  {gap['id']}: {what} ({gap['reason']})")
        lines.extend(f"    {source}" for source in gap["files"][:5])
    return lines
