"""Configuration: a TOML file plus environment overrides.

Every key can be overridden by ``NOTION_SYNCD_<SECTION>__<KEY>`` (for example
``NOTION_SYNCD_SCHEDULE__INTERVAL=1m``). The Notion token is looked up, in this
order: ``notion.token``, ``notion.token_file``, ``$NOTION_TOKEN``,
``$CREDENTIALS_DIRECTORY/notion-token`` (systemd ``LoadCredential=``) and
``/run/secrets/notion-token`` (Docker secrets). The token is held as a
``SecretStr`` and never printed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from notion_syncd.errors import ConfigError

ENV_PREFIX = "NOTION_SYNCD_"
Format = Literal["markdown", "json", "html", "csv"]
DEFAULT_FORMATS: tuple[Format, ...] = ("markdown", "json", "csv")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3}


def parse_duration(value: object) -> float:
    """Seconds from ``"5m"``, ``"1h30m"``, ``"90s"``, ``"250ms"`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration, like '5m' or '30s'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        elif text and _DURATION_PART.sub("", text) == "":
            seconds = sum(
                float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text)
            )
        else:
            raise ValueError(f"{value!r} is not a duration, like '5m', '30s' or '1h30m'")
    else:
        raise ValueError("a duration, like '5m' or '30s'")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def parse_size(value: object) -> int:
    """Bytes from ``"50MB"``, ``"10MiB"``, ``"500k"`` or a plain number of bytes."""
    if isinstance(value, bool):
        raise ValueError("a size, like '50MB'")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and (match := _SIZE.match(value)):
        number, unit = match.group(1), (match.group(2) or "").lower()
        base = _SIZE_UNITS[unit[:1]] if unit else 1
        if "i" in unit:
            base = {"k": 1024, "m": 1024**2, "g": 1024**3}[unit[0]]
        return int(float(number) * base)
    raise ValueError(f"{value!r} is not a size, like '50MB' or '10MiB'")


Duration = Annotated[float, BeforeValidator(parse_duration)]
ByteSize = Annotated[int, BeforeValidator(parse_size)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotionSettings(_Section):
    token: SecretStr | None = None
    token_file: Path | None = None
    base_url: str = "https://api.notion.com"
    version: str = "2025-09-03"
    requests_per_second: float = Field(default=3.0, gt=0, le=1000)
    burst: int = Field(default=3, ge=1, le=1000)
    concurrency: int = Field(default=64, ge=1, le=64)
    timeout: Duration = Field(default=60.0, gt=0)
    max_retry_time: Duration = Field(default=600.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must start with https:// (or http:// for a local test server)")
        return value.rstrip("/")


class ExportSettings(_Section):
    repo: Path
    formats: tuple[Format, ...] = DEFAULT_FORMATS
    download_files: bool = True
    max_file_size: ByteSize = Field(default=100_000_000, ge=0)
    comments: Literal["off", "page", "blocks"] = "page"
    comments_per_sweep: int = Field(default=500, ge=0)
    branch: str = "main"
    keep_git_index: bool = True

    @field_validator("formats")
    @classmethod
    def _formats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("choose at least one of markdown, json, html, csv")
        return tuple(sorted(set(value), key=("markdown", "json", "html", "csv").index))


class ScheduleSettings(_Section):
    interval: Duration = Field(default=300.0, ge=1)
    sweep_interval: Duration = Field(default=3600.0, ge=1)
    push_interval: Duration = Field(default=300.0, ge=1)


class SyncSettings(_Section):
    overlap: Duration = Field(default=300.0, ge=60)
    checkpoint_pages: int = Field(default=500, ge=1)
    checkpoint_seconds: Duration = Field(default=60.0, ge=0)
    mass_delete_threshold: float = Field(default=0.2, ge=0, le=1)


class RemoteSettings(_Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    url: str
    branch: str = "main"
    force: bool = False
    ssh_key_file: Path | None = None
    ssh_username: str = "git"
    known_hosts: Path | None = None
    username: str = "x-access-token"
    token_env: str | None = None
    token_file: Path | None = None


class GitSettings(_Section):
    author_name: str = "notion-syncd"
    author_email: str = "notion-syncd@localhost"
    commit_authors: bool = True
    """Author commits by the Notion editors (false: every commit by the daemon)."""
    author_emails: bool = False
    """Editors' real e-mail addresses in commits (else ``<id>@users.noreply.notion.invalid``)."""
    remotes: tuple[RemoteSettings, ...] = ()
    push_timeout: Duration = Field(default=120.0, gt=0)

    @field_validator("remotes")
    @classmethod
    def _unique_names(cls, value: tuple[RemoteSettings, ...]) -> tuple[RemoteSettings, ...]:
        names = [remote.name for remote in value]
        if len(names) != len(set(names)):
            raise ValueError("remote names must be unique")
        return value


def _check_host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError("must be HOST:PORT, like 127.0.0.1:9184")
    return value


HostPort = Annotated[str, AfterValidator(_check_host_port)]


class ServerSettings(_Section):
    listen: HostPort = "127.0.0.1:9184"
    enabled: bool = True


class WebhookSettings(_Section):
    """The Notion webhook receiver of ``run``, on its own listener (off by default)."""

    enabled: bool = False
    listen: HostPort = "127.0.0.1:9185"
    path: str = Field(default="/notion/webhook", pattern=r"^/[A-Za-z0-9._~/-]*$")
    verification_token_file: Path | None = None
    debounce: Duration = Field(default=1.0, ge=0, le=600)
    poll_interval_when_healthy: Duration = Field(default=1800.0, ge=1)


class LogSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class Settings(BaseSettings):
    """All of notion-syncd's settings; build with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    notion: NotionSettings = NotionSettings()
    export: ExportSettings
    schedule: ScheduleSettings = ScheduleSettings()
    sync: SyncSettings = SyncSettings()
    git: GitSettings = GitSettings()
    server: ServerSettings = ServerSettings()
    webhooks: WebhookSettings = WebhookSettings()
    log: LogSettings = LogSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first (it overrides the file), then the file given to the constructor.
        return (env_settings, init_settings)


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe_validation(error: ValidationError, source: str) -> str:
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "missing":
            message = "is required"
        elif item["type"] == "extra_forbidden":
            message = "is not a known setting"
        problems.append(f"{key}: {message}")
    return f"invalid configuration ({source}): " + "; ".join(problems)


def read_config_file(path: Path) -> dict[str, Any]:
    """The parsed TOML file, or a ConfigError naming what is wrong with it."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist",
            hint="copy config.example.toml and edit it",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def load_settings(
    path: Path | None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from the TOML file at ``path``, the environment, and ``overrides``.

    Raises ConfigError with every problem, each naming its key.
    """
    data = read_config_file(path) if path is not None else {}
    if overrides:
        data = _deep_merge(data, overrides)
    if path is not None and "export" in data and "repo" in data["export"]:
        repo = Path(str(data["export"]["repo"])).expanduser()
        if not repo.is_absolute():
            repo = path.parent / repo
        data = _deep_merge(data, {"export": {"repo": str(repo)}})
    source = str(path) if path is not None else "environment"
    saved_environ = None
    if environ is not None:
        saved_environ = dict(os.environ)
        os.environ.clear()
        os.environ.update(environ)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe_validation(exc, source)) from None
    finally:
        if saved_environ is not None:
            os.environ.clear()
            os.environ.update(saved_environ)


def _read_secret_file(path: Path, what: str) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {what} {path}: {exc.strerror}",
            hint="make it a file readable by the user notion-syncd runs as",
        ) from None
    if not text:
        raise ConfigError(f"{what} {path} is empty")
    return text


def resolve_token(settings: NotionSettings, environ: Mapping[str, str] | None = None) -> SecretStr:
    """The Notion token from the first place that has one (see the module docstring)."""
    env = os.environ if environ is None else environ
    if settings.token is not None and settings.token.get_secret_value().strip():
        return SecretStr(settings.token.get_secret_value().strip())
    if settings.token_file is not None:
        return SecretStr(_read_secret_file(settings.token_file, "notion.token_file"))
    if env.get("NOTION_TOKEN", "").strip():
        return SecretStr(env["NOTION_TOKEN"].strip())
    candidates = []
    if env.get("CREDENTIALS_DIRECTORY"):
        candidates.append(Path(env["CREDENTIALS_DIRECTORY"]) / "notion-token")
    candidates.append(Path("/run/secrets/notion-token"))
    for candidate in candidates:
        try:
            found = candidate.is_file()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the credentials directory {candidate.parent}: {exc.strerror}",
                hint="make it readable by the user notion-syncd runs as "
                "(systemd: LoadCredential=notion-token:FILE)",
            ) from None
        if found:
            return SecretStr(_read_secret_file(candidate, "credential"))
    raise ConfigError(
        "notion.token: no Notion integration token found",
        hint=("set NOTION_TOKEN, notion.token_file, or a systemd credential named notion-token"),
    )


def credential_path(name: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """``$CREDENTIALS_DIRECTORY/<name>`` if systemd passed that credential."""
    env = os.environ if environ is None else environ
    directory = env.get("CREDENTIALS_DIRECTORY")
    if directory and (Path(directory) / name).is_file():
        return Path(directory) / name
    return None
