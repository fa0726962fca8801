"""Where the configuration is found when --config is not given (``configlocation``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from notion_syncd.configlocation import default_candidates, locate_config
from notion_syncd.errors import ConfigError

SYSTEM = Path("/etc/notion-syncd/config.toml")


def _exists(*present: Path) -> object:
    return lambda path: path in present


def test_locate_config_prefers_the_option_then_the_variable() -> None:
    """--config wins over everything; $NOTION_SYNCD_CONFIG wins over the defaults."""
    environ = {"NOTION_SYNCD_CONFIG": "/srv/env.toml", "HOME": "/home/ada"}
    everything = _exists(SYSTEM, Path("/home/ada/.config/notion-syncd/config.toml"))
    assert locate_config("/x/given.toml", environ, exists=everything) == Path("/x/given.toml")
    assert locate_config(None, environ, exists=everything) == Path("/srv/env.toml")


def test_locate_config_variable_naming_a_missing_file_is_still_used() -> None:
    """A set variable is not skipped when its file is missing: loading it then says so."""
    environ = {"NOTION_SYNCD_CONFIG": "/srv/typo.toml"}
    assert locate_config(None, environ, exists=_exists(SYSTEM)) == Path("/srv/typo.toml")


def test_locate_config_personal_file_before_the_system_file() -> None:
    """$XDG_CONFIG_HOME's file outranks /etc's; /etc is used when there is no personal one."""
    environ = {"XDG_CONFIG_HOME": "/home/ada/xdg", "HOME": "/home/ada"}
    personal = Path("/home/ada/xdg/notion-syncd/config.toml")
    assert locate_config(None, environ, exists=_exists(SYSTEM, personal)) == personal
    assert locate_config(None, environ, exists=_exists(SYSTEM)) == SYSTEM


def test_default_candidates_fall_back_to_home_config() -> None:
    """Without (or with a relative) $XDG_CONFIG_HOME the personal file is in ~/.config."""
    home = Path("/home/ada/.config/notion-syncd/config.toml")
    assert default_candidates({"HOME": "/home/ada"}) == [home, SYSTEM]
    assert default_candidates({"HOME": "/home/ada", "XDG_CONFIG_HOME": "rel"}) == [home, SYSTEM]
    assert default_candidates({}) == [SYSTEM]


def test_locate_config_nothing_found_names_every_place_looked_at() -> None:
    """No file anywhere: a ConfigError (exit 2) listing the option, the variable and both paths."""
    with pytest.raises(ConfigError) as raised:
        locate_config(None, {"HOME": "/home/ada", "NOTION_SYNCD_CONFIG": " "}, exists=_exists())
    assert raised.value.exit_code == 2
    assert raised.value.message == (
        "no configuration file found (looked at --config, $NOTION_SYNCD_CONFIG, "
        "/home/ada/.config/notion-syncd/config.toml, /etc/notion-syncd/config.toml)"
    )
