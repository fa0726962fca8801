"""Configuration: TOML plus environment, clear errors, token lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from notion_syncd.cli import main
from notion_syncd.config import load_settings, parse_duration, parse_size, resolve_token
from notion_syncd.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_settings_defaults_and_relative_repo(tmp_path: Path) -> None:
    """Defaults follow DESIGN.md; a relative repo path is relative to the config file."""
    settings = load_settings(_write(tmp_path, '[export]\nrepo = "mirror"\n'), environ={})
    assert settings.export.repo == tmp_path / "mirror"
    assert settings.export.formats == ("markdown", "json", "csv")
    assert settings.notion.requests_per_second == 3
    assert settings.schedule.interval == 300
    assert settings.server.listen == "127.0.0.1:9184"
    assert settings.notion.base_url == "https://api.notion.com"


def test_load_settings_environment_overrides(tmp_path: Path) -> None:
    """NOTION_SYNCD_<SECTION>__<KEY> overrides the file."""
    path = _write(tmp_path, '[export]\nrepo = "mirror"\n[schedule]\ninterval = "5m"\n')
    settings = load_settings(path, environ={"NOTION_SYNCD_SCHEDULE__INTERVAL": "90s"})
    assert settings.schedule.interval == 90


def test_load_settings_names_every_bad_key(tmp_path: Path) -> None:
    """Every problem is reported with its key."""
    path = _write(tmp_path, '[export]\nformats = ["pdf"]\n[notion]\nrequests_per_second = -1\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert "export.repo: is required" in message
    assert "export.formats" in message
    assert "notion.requests_per_second" in message


def test_load_settings_unknown_key_rejected(tmp_path: Path) -> None:
    """A misspelt key is an error, not silently ignored."""
    with pytest.raises(ConfigError, match=r"schedule\.intervall: is not a known setting"):
        load_settings(
            _write(tmp_path, '[export]\nrepo="m"\n[schedule]\nintervall="1m"\n'), environ={}
        )


def test_cli_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad config ends with one line naming the key and exit status 2."""
    path = _write(tmp_path, "[export]\n")
    assert main(["sync", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "export.repo" in err[0]


def test_cli_missing_config_file_exits_2(tmp_path: Path) -> None:
    """A config file that does not exist is a usage error."""
    assert main(["sync", "--config", str(tmp_path / "nope.toml")]) == 2


def test_resolve_token_order(tmp_path: Path) -> None:
    """token_file, then NOTION_TOKEN, then the systemd credential."""
    settings = load_settings(_write(tmp_path, '[export]\nrepo="m"\n'), environ={})
    credentials = tmp_path / "creds"
    credentials.mkdir()
    (credentials / "notion-token").write_text("secret_fromcredential\n")
    env = {"CREDENTIALS_DIRECTORY": str(credentials)}
    assert resolve_token(settings.notion, env).get_secret_value() == "secret_fromcredential"
    env["NOTION_TOKEN"] = "secret_fromenv"
    assert resolve_token(settings.notion, env).get_secret_value() == "secret_fromenv"
    token_file = tmp_path / "token"
    token_file.write_text("secret_fromfile")
    with_file = load_settings(
        _write(tmp_path, f'[export]\nrepo="m"\n[notion]\ntoken_file="{token_file}"\n'), environ={}
    )
    assert resolve_token(with_file.notion, env).get_secret_value() == "secret_fromfile"


def test_resolve_token_missing_is_config_error(tmp_path: Path) -> None:
    """No token anywhere is a ConfigError naming notion.token."""
    settings = load_settings(_write(tmp_path, '[export]\nrepo="m"\n'), environ={})
    with pytest.raises(ConfigError, match=r"notion\.token"):
        resolve_token(settings.notion, {"CREDENTIALS_DIRECTORY": str(tmp_path / "none")})


def test_settings_repr_hides_token(tmp_path: Path) -> None:
    """The token never shows in a repr of the settings."""
    path = _write(tmp_path, '[export]\nrepo="m"\n[notion]\ntoken="secret_CANARY42"\n')
    assert "CANARY42" not in repr(load_settings(path, environ={}))


def test_parse_duration_and_size() -> None:
    """Durations and sizes accept the documented spellings."""
    assert parse_duration("1h30m") == 5400
    assert parse_duration("250ms") == 0.25
    assert parse_duration(45) == 45
    assert parse_size("10MiB") == 10 * 1024 * 1024
    assert parse_size("50MB") == 50_000_000
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_parse_duration_and_size_reject_what_they_cannot_read() -> None:
    """Booleans, negative or foreign values are errors; plain numbers and units are read."""
    assert parse_duration("90") == 90
    assert parse_duration(" 2 m 30 s ") == 150
    assert parse_size(512) == 512
    assert parse_size("500k") == 500_000
    assert parse_size("2 GiB") == 2 * 1024**3
    for bad in (True, None, [5], "-5s", -1):
        with pytest.raises(ValueError):
            parse_duration(bad)
    for bad_size in (False, 1.5, "lots", "5 TB"):
        with pytest.raises(ValueError):
            parse_size(bad_size)


def test_load_settings_validators_name_their_key(tmp_path: Path) -> None:
    """A base URL, empty formats, duplicate remotes and a bad listen address are errors."""
    path = _write(
        tmp_path,
        '[notion]\nbase_url = "ftp://example.com"\n[export]\nrepo = "m"\nformats = []\n'
        '[server]\nlisten = "9184"\n'
        '[[git.remotes]]\nname = "a"\nurl = "/tmp/a.git"\n'
        '[[git.remotes]]\nname = "a"\nurl = "/tmp/b.git"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    problems = dict(item.split(": ", 1) for item in str(caught.value).split(": ", 1)[1].split("; "))
    assert problems.keys() == {"notion.base_url", "export.formats", "server.listen", "git.remotes"}
    assert "must start with https://" in problems["notion.base_url"]
    assert "choose at least one of markdown, json, html, csv" in problems["export.formats"]
    assert "must be HOST:PORT" in problems["server.listen"]
    assert "remote names must be unique" in problems["git.remotes"]


def test_load_settings_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    """Invalid TOML, a folder as config, a missing or empty token file: ConfigError."""
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(_write(tmp_path, "[export\n"), environ={})
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path, environ={})
    path = _write(tmp_path, f'[export]\nrepo = "m"\n[notion]\ntoken_file = "{tmp_path / "t"}"\n')
    settings = load_settings(path, environ={})
    with pytest.raises(ConfigError, match=r"cannot read notion\.token_file"):
        resolve_token(settings.notion, environ={})
    (tmp_path / "t").write_text("  \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"notion\.token_file .* is empty"):
        resolve_token(settings.notion, environ={})


def test_webhooks_defaults_off_on_loopback(tmp_path: Path) -> None:
    """[webhooks] is off by default, listens on loopback and has Notion's usual path."""
    settings = load_settings(None, overrides={"export": {"repo": str(tmp_path)}}, environ={})
    assert settings.webhooks.enabled is False
    assert settings.webhooks.listen == "127.0.0.1:9185"
    assert settings.webhooks.path == "/notion/webhook"
    assert settings.webhooks.verification_token_file is None


def test_webhooks_bad_listen_is_named(tmp_path: Path) -> None:
    """A webhooks.listen that is not HOST:PORT is a ConfigError naming the key."""
    overrides = {"export": {"repo": str(tmp_path)}, "webhooks": {"listen": "nope"}}
    with pytest.raises(ConfigError, match=r"webhooks\.listen"):
        load_settings(None, overrides=overrides, environ={})
