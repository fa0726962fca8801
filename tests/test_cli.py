"""The command line as a person meets it: usage errors, messages, exit statuses, verbs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pygit2
import pytest
from synchelpers import TOKEN, TestClock, serve

from notion_syncd import __version__
from notion_syncd.cli import describe, main
from notion_syncd.errors import PushError
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.logs import register_secret, reset_logging
from notion_syncd.sync.state import INDEX_DIR, LEDGER_FILE, STATE_FILE


@pytest.fixture(autouse=True)
def _logging() -> Iterator[None]:
    yield
    reset_logging()


def test_main_without_verb_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """No verb: the usage goes to stderr and the status is 2."""
    assert main([]) == 2
    assert "usage: notion-syncd" in capsys.readouterr().err


def test_main_bad_arguments_exit_2_and_version_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An unknown verb or option is a usage error (2); --version prints and exits 0."""
    assert main(["frobnicate"]) == 2
    assert main(["status", "--no-such-option"]) == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"notion-syncd {__version__}\n"


@pytest.fixture
def no_default_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No $NOTION_SYNCD_CONFIG and an empty $XDG_CONFIG_HOME (the personal location)."""
    if Path("/etc/notion-syncd/config.toml").exists():
        pytest.skip("this host has /etc/notion-syncd/config.toml")
    monkeypatch.delenv("NOTION_SYNCD_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "notion-syncd" / "config.toml"


@pytest.mark.parametrize("verb", ["sync", "run", "status", "render", "push", "history"])
def test_main_verb_without_config_names_every_place_and_exits_2(
    verb: str, no_default_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every verb that needs a configuration and finds none lists where it looked; exit 2
    (78 for run, as for any configuration error of the daemon: systemd does not restart)."""
    argv = [verb, "some-page"] if verb == "history" else [verb]
    assert main(argv) == (78 if verb == "run" else 2)
    err = capsys.readouterr().err
    assert err.startswith("notion-syncd: no configuration file found (looked at --config, ")
    assert f"$NOTION_SYNCD_CONFIG, {no_default_config}, /etc/notion-syncd/config.toml)" in err


def test_main_config_before_or_after_the_verb_from_env_or_default(
    tmp_path: Path,
    no_default_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--config works on either side of the verb; else the variable, else ~/.config's file."""
    config = _config(tmp_path)
    expected = f"mirror: {tmp_path / 'mirror'} (not created yet: run notion-syncd sync)\n"
    assert main(["--config", str(config), "status"]) == 0
    assert capsys.readouterr().out == expected
    assert main(["--config", "/nowhere.toml", "status", "--config", str(config)]) == 0
    assert capsys.readouterr().out == expected
    monkeypatch.setenv("NOTION_SYNCD_CONFIG", str(config))
    assert main(["status"]) == 0
    assert capsys.readouterr().out == expected
    monkeypatch.delenv("NOTION_SYNCD_CONFIG")
    no_default_config.parent.mkdir(parents=True)
    no_default_config.write_text(config.read_text())
    assert main(["status"]) == 0
    assert capsys.readouterr().out == expected


def test_describe_adds_the_hint_and_scrubs_secrets() -> None:
    """Messages carry the hint; registered secrets and token shapes never reach a person."""
    register_secret("hunter2-is-a-long-secret")
    error = PushError("push to origin failed", hint="check hunter2-is-a-long-secret")
    assert describe(error) == "push to origin failed (check [REDACTED])"
    unexpected = RuntimeError("token ntn_abc123XYZ rejected")
    assert describe(unexpected) == "unexpected error: RuntimeError: token [REDACTED] rejected"


def _config(tmp_path: Path, base_url: str = "http://127.0.0.1:9") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[notion]\ntoken = "{TOKEN}"\nbase_url = "{base_url}"\n'
        f'[export]\nrepo = "{tmp_path / "mirror"}"\n'
        f'[[git.remotes]]\nname = "backup"\nurl = "{tmp_path / "remote.git"}"\n'
    )
    return config


def _commit_all(repo: pygit2.Repository, message: str) -> None:
    repo.index.add_all()
    repo.index.write()
    signature = pygit2.Signature("t", "t@example.com")
    parents = [] if repo.head_is_unborn else [repo.head.target]
    repo.create_commit("HEAD", signature, signature, message, repo.index.write_tree(), parents)


def test_status_of_an_empty_and_a_hand_made_mirror(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """status reads the repository alone: no commit yet, then counts, failures and remotes."""
    config = _config(tmp_path)
    mirror = tmp_path / "mirror"
    repo = pygit2.init_repository(str(mirror), initial_head="main")
    assert main(["status", "--config", str(config)]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "health: unknown (no sync recorded on this host)",
        "last sync: none recorded",
        "last change: none yet",
        "watermark: none (next sync lists everything)",
        "pages: 0, data sources: 0",
        "remote backup: never pushed",
    ]
    entries = {"aa/page.json": {"kind": "page"}, "bb/source.json": {"kind": "data_source"}}
    entries |= {"cc/row.json": {"kind": "page"}, "dd/other.json": {"kind": "block"}}
    for rel, entry in entries.items():
        (mirror / INDEX_DIR / rel).parent.mkdir(parents=True, exist_ok=True)
        (mirror / INDEX_DIR / rel).write_text(json.dumps(entry), encoding="utf-8")
    (mirror / INDEX_DIR / "ee").mkdir()
    (mirror / INDEX_DIR / "ee" / "torn.json").write_text("{", encoding="utf-8")
    (mirror / STATE_FILE).write_text('{"watermark": "2026-03-02T09:13:00.000Z"}')
    failed = [{"id": f"id-{n}", "reason": "HTTP 500"} for n in range(25)]
    (mirror / LEDGER_FILE).write_text(json.dumps({"failed": failed}), encoding="utf-8")
    _commit_all(repo, "Sync: by hand\n\nbody")
    assert main(["status", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()[3:]
    assert lines[0].startswith("last change: ") and lines[0].endswith("(Sync: by hand)")
    assert lines[1:4] == [
        "watermark: 2026-03-02T09:13:00.000Z",
        "pages: 2, data sources: 1",
        "failed in the last committed sync: 25 (retried next sync)",
    ]
    assert lines[4] == "  id-0: HTTP 500" and lines[23] == "  id-19: HTTP 500"
    assert lines[24:] == ["remote backup: never pushed"]


def test_sync_and_render_verbs_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sync prints its summary and exits 0; render rebuilds the views offline and says so."""
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=5)
    generate_workspace(workspace, pages=3, depth=1, databases=1, rows_per_database=2)
    clock.tick = timedelta(0)
    with serve(workspace) as server:
        config = _config(tmp_path, server.base_url)
        assert main(["sync", "--config", str(config)]) == 0
    summary = capsys.readouterr().out
    assert re.fullmatch(r"[1-9]\d* added, 0 updated, .*; commit [0-9a-f]{12}\n", summary)
    assert "failed" not in summary
    assert main(["render", "--config", str(config)]) == 0
    assert re.fullmatch(
        r"re-rendered [1-9]\d* objects; every file was already up to date\n",
        capsys.readouterr().out,
    )
    assert main(["render", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
