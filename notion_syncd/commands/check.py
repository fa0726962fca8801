"""``notion-syncd check``: can this configuration sync? Asks each dependency once.

In order: the token is found; Notion answers ``GET /v1/users/me`` with it; the mirror
can be written; its objects and git index are intact (:mod:`notion_syncd.mirrorcheck`);
its index entries match the JSON records (:mod:`.checkindex`);
each remote answers a listing of its references with its credentials
(:func:`~notion_syncd.gitremote.probe.probe_remote`). The configuration itself is
loaded by the CLI before (an invalid one exits 2 with its problems).

One line per finding on stdout: ``ok``, ``warn`` (worth knowing, heals by itself) or
``FAIL`` with what is wrong. Exit status: 0 all passed, 1 a dependency failed, 2 a
configuration problem (no token) or a mirror a person must fix (damaged index entries).
Read-only (a probe file is created and removed), so it can run as systemd's
``ExecStartPre=`` and beside a running daemon before a reload; except ``--repair``,
which rebuilds damaged index entries from the JSON records and commits them (it takes
the mirror lock, so it fails while a daemon is syncing).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pygit2

from notion_syncd import mirrorcheck, mirrorguard
from notion_syncd.commands.checkindex import IndexReport, index_damage, repair_index
from notion_syncd.config import RemoteSettings, Settings, resolve_token
from notion_syncd.errors import (
    ConfigError,
    GitStoreError,
    MirrorUnusable,
    NotionError,
    NotionHTTPError,
    NotionSyncdError,
    NotionUnauthorized,
)
from notion_syncd.gitremote import default_homedir
from notion_syncd.gitremote.probe import probe_remote
from notion_syncd.logs import register_secret, scrub
from notion_syncd.notion.client import NotionClient

#: Bounds of the one API call: a check must answer in seconds, not retry for minutes.
API_TIMEOUT = 10.0
API_RETRY_TIME = 10.0
API_ATTEMPTS = 3
REPAIR_COMMAND = "notion-syncd check --repair"


@dataclass(frozen=True)
class Finding:
    """One result: ``verdict`` is ``ok``, ``warn`` or ``FAIL``; ``exit_code`` for failures."""

    subject: str
    verdict: str
    text: str
    exit_code: int = 0

    def line(self) -> str:
        return scrub(f"{self.verdict:<5} {self.subject}: {self.text}")


def _ok(subject: str, text: str) -> Finding:
    return Finding(subject, "ok", text)


def _fail(subject: str, text: str, exit_code: int = 1) -> Finding:
    return Finding(subject, "FAIL", text, exit_code)


def _describe(error: NotionSyncdError) -> str:
    return f"{error.message} ({error.hint})" if error.hint else error.message


def check_api(settings: Settings, environ: Mapping[str, str]) -> list[Finding]:
    """The token is found and Notion accepts it."""
    notion = settings.notion
    try:
        token = resolve_token(notion, environ)
    except ConfigError as error:
        return [_fail("token", _describe(error), error.exit_code)]
    register_secret(token.get_secret_value())
    try:
        with NotionClient(
            token,
            base_url=notion.base_url,
            version=notion.version,
            requests_per_second=notion.requests_per_second,
            burst=notion.burst,
            timeout=min(notion.timeout, API_TIMEOUT),
            max_retry_time=min(notion.max_retry_time, API_RETRY_TIME),
            max_attempts=API_ATTEMPTS,
        ) as client:
            me = client.me()
    except ConfigError as error:
        return [_fail("token", _describe(error), error.exit_code)]
    except NotionUnauthorized as error:
        return [
            _fail("token", f"Notion refused the token (HTTP 401): {error.message}"),
        ]
    except NotionHTTPError as error:
        return [_fail("api", f"Notion answered with an error: {_describe(error)}")]
    except NotionError as error:
        return [_fail("api", f"the Notion API at {notion.base_url} is unreachable: {error}")]
    name = me.get("name") if isinstance(me.get("name"), str) else "(no name)"
    return [
        _ok("token", "found"),
        _ok("api", f"{notion.base_url} answers; the integration is {name!r}"),
    ]


def check_entries(settings: Settings, *, repair: bool, repair_command: str) -> list[Finding]:
    """The index entries match the JSON records; ``repair``: rebuild those that do not."""
    try:
        report = index_damage(settings, mirrorcheck.MAX_LISTED)
        if report.count and repair:
            report = repair_index(settings)
            return [_ok("entries", _repaired(report))]
    except NotionSyncdError as error:
        return [_fail("entries", _describe(error), error.exit_code)]
    except (pygit2.GitError, OSError) as error:
        return [_fail("entries", f"the index cannot be compared with the records: {error}")]
    if not report.count:
        return [_ok("entries", "every index entry matches its JSON record")]
    path = Path(os.path.realpath(settings.export.repo))
    findings = [
        _fail("entries", f"{path / damage.rel} {damage.problem}", MirrorUnusable.exit_code)
        for damage in report.listed
    ]
    noun = "file differs" if report.count == 1 else "files differ"
    findings.append(
        _fail(
            "entries",
            f"{report.count} index {noun} from the JSON records; "
            f"rebuild them from the records with: {repair_command}",
            MirrorUnusable.exit_code,
        )
    )
    return findings


def _repaired(report: IndexReport) -> str:
    noun = "file" if report.count == 1 else "files"
    where = (
        f"in commit {report.commit[:12]}"
        if report.commit
        else "(uncommitted edits: the last commit had them right; yours are on a side ref)"
    )
    return f"repaired: {report.count} index {noun} rebuilt from the JSON records {where}"


def check_mirror(
    settings: Settings, *, repair: bool = False, repair_command: str = REPAIR_COMMAND
) -> list[Finding]:
    """The mirror can be written, and what is in it is intact (``repair``: the index
    entries are rebuilt from the JSON records where they differ)."""
    path = Path(os.path.realpath(settings.export.repo))
    branch = settings.export.branch
    problems = mirrorcheck.writable_problems(path)
    if problems:
        return [_fail("mirror", f"not writable: {problem}") for problem in problems]
    if not (path / ".git").exists():
        return [_ok("mirror", f"{path} is not created yet; the first sync creates it")]
    try:
        repo = mirrorguard.open_repository(path)
        mirrorguard.check_ours(repo, path)
    except GitStoreError as error:
        return [_fail("mirror", _describe(error), error.exit_code)]
    except pygit2.GitError as error:
        return [_fail("mirror", f"{path} cannot be opened as a git repository: {error}")]
    findings = [_ok("mirror", f"{path} is writable")]
    corrupt = mirrorcheck.object_problems(repo, branch)
    findings += [_fail("objects", problem) for problem in corrupt]
    if not corrupt:
        findings.append(_ok("objects", "every object reads back intact"))
    broken_index = mirrorcheck.index_problems(repo)
    findings += [_fail("index", problem) for problem in broken_index]
    drift = None if broken_index else mirrorcheck.index_drift(repo, branch)
    if drift:
        findings.append(Finding("index", "warn", drift))
    elif not broken_index:
        findings.append(_ok("index", f"matches {branch}"))
    if not corrupt and mirrorcheck.branch_head(repo, branch) is not None:
        findings += check_entries(settings, repair=repair, repair_command=repair_command)
    return findings


@contextmanager
def _probe_repository(settings: Settings) -> Iterator[tuple[Path, Path]]:
    """(repository, libgit2 homedir) to reach remotes from, without creating the mirror."""
    mirror = settings.export.repo
    if (mirror / ".git").exists():
        yield mirror, default_homedir(mirror)
        return
    with tempfile.TemporaryDirectory(prefix="notion-syncd-check-") as scratch:
        pygit2.init_repository(scratch, bare=True)
        yield Path(scratch), Path(scratch) / "home"


def check_remote(
    remote: RemoteSettings,
    repository: Path,
    homedir: Path,
    *,
    timeout: float,
    environ: Mapping[str, str],
) -> Finding:
    subject = f"remote {remote.name}"
    try:
        has_branch = probe_remote(
            repository, remote, homedir=homedir, timeout=timeout, environ=environ
        )
    except NotionSyncdError as error:
        return _fail(subject, _describe(error))
    branch = "has" if has_branch else "does not have yet"
    return _ok(subject, f"reachable with its credentials; {branch} branch {remote.branch!r}")


def check_remotes(settings: Settings, environ: Mapping[str, str]) -> list[Finding]:
    if not settings.git.remotes:
        return []
    try:
        with _probe_repository(settings) as (repository, homedir):
            return [
                check_remote(
                    remote,
                    repository,
                    homedir,
                    timeout=settings.git.push_timeout,
                    environ=environ,
                )
                for remote in settings.git.remotes
            ]
    except (GitStoreError, pygit2.GitError, OSError) as error:
        return [_fail("remotes", f"cannot prepare the remote checks: {error}")]


def run_checks(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    repair: bool = False,
    repair_command: str = REPAIR_COMMAND,
) -> list[Finding]:
    """Every finding, in the order they are printed."""
    return [
        _ok("config", f"valid; mirror {settings.export.repo}"),
        *check_api(settings, environ),
        *check_mirror(settings, repair=repair, repair_command=repair_command),
        *check_remotes(settings, environ),
    ]


def exit_status(findings: list[Finding]) -> int:
    """2 if a failure is a configuration problem, 1 for any other failure, else 0."""
    failures = [finding.exit_code for finding in findings if finding.verdict == "FAIL"]
    if not failures:
        return 0
    return 2 if 2 in failures else 1


def check_setup(
    settings: Settings,
    *,
    out: TextIO,
    environ: Mapping[str, str] | None = None,
    repair: bool = False,
    repair_command: str = REPAIR_COMMAND,
) -> int:
    """Print one line per finding; the exit status (see :func:`exit_status`).

    ``repair``: rebuild damaged index entries (``check --repair``); ``repair_command``:
    the command line a failure names to do that.
    """
    findings = run_checks(
        settings,
        os.environ if environ is None else environ,
        repair=repair,
        repair_command=repair_command,
    )
    for finding in findings:
        out.write(finding.line() + "\n")
    return exit_status(findings)
