"""Where the configuration file is, when the command line does not say.

The first of these that applies wins:

1. ``--config FILE`` (before or after the verb);
2. ``$NOTION_SYNCD_CONFIG`` (a set variable is used even when its file is missing, so a
   typo is reported, never silently replaced by another file);
3. ``$XDG_CONFIG_HOME/notion-syncd/config.toml`` (``~/.config`` when the variable is
   unset or not an absolute path) — the person's own file;
4. ``/etc/notion-syncd/config.toml`` — the host's.

The personal file comes before the system-wide one, as in git, vdirsyncer and the XDG
Base Directory specification (``$XDG_CONFIG_HOME`` outranks ``$XDG_CONFIG_DIRS``): a
person who keeps a mirror of their own is not overridden by a host file they may not
be able to edit, while root, whose ``~/.config`` has no such file, and the services
(which pass ``--config``) get the host's. Pure: the environment and the existence test
are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from notion_syncd.errors import ConfigError

ENV_VAR = "NOTION_SYNCD_CONFIG"
SYSTEM_CONFIG = Path("/etc/notion-syncd/config.toml")
CONFIG_NAME = Path("notion-syncd") / "config.toml"


def user_config(environ: Mapping[str, str]) -> Path | None:
    """``$XDG_CONFIG_HOME/notion-syncd/config.toml``, else under ``$HOME/.config``."""
    xdg = environ.get("XDG_CONFIG_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / CONFIG_NAME
    home = environ.get("HOME", "")
    if home and Path(home).is_absolute():
        return Path(home) / ".config" / CONFIG_NAME
    return None


def default_candidates(
    environ: Mapping[str, str], system_config: Path = SYSTEM_CONFIG
) -> list[Path]:
    """The default locations, in the order they are tried."""
    user = user_config(environ)
    return [user, system_config] if user is not None else [system_config]


def locate_config(
    explicit: str | None,
    environ: Mapping[str, str],
    *,
    exists: Callable[[Path], bool] = Path.is_file,
    system_config: Path = SYSTEM_CONFIG,
) -> Path:
    """The configuration file to load, or a ConfigError naming every place looked at."""
    if explicit:
        return Path(explicit)
    from_env = environ.get(ENV_VAR, "").strip()
    if from_env:
        return Path(from_env)
    candidates = default_candidates(environ, system_config)
    for candidate in candidates:
        if exists(candidate):
            return candidate
    looked = ", ".join(str(path) for path in candidates)
    raise ConfigError(
        f"no configuration file found (looked at --config, ${ENV_VAR}, {looked})",
        hint=f"pass --config FILE, set {ENV_VAR}, or copy config.example.toml to {candidates[0]}",
    )
