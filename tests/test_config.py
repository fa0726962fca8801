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
