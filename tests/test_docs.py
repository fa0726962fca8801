"""The docs match the code: every verb, option and config key is documented.

README.md must name every verb and long option of the command line and every config
key (as ``section.key``, remote fields as ``git.remotes.<field>``);
config.example.toml must set or show every key, load, and hold the defaults. The
README's quick start is the two commands a newcomer runs, and CI runs the same test
command.
"""

from __future__ import annotations

import argparse
import re
import shlex
import tomllib
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from notion_syncd.cli import build_parser
from notion_syncd.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLE = ROOT / "config.example.toml"
CI_RUN = ROOT / ".ci" / "run"
SCRIPTS_TEST = ROOT / "scripts" / "test"
PYPROJECT = ROOT / "pyproject.toml"

DEMO_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/notion-syncd demo"
TEST_COMMAND = "./scripts/test"

_HEADER = re.compile(r"^#?\s*(\[\[?)\s*([A-Za-z0-9_.]+)\s*\]\]?\s*(?:#.*)?$")


# -- what the code defines ---------------------------------------------------------------


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models inside a field's annotation (``X``, ``X | None``, ``tuple[X, ...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _keys_of(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted key of a settings model, nested models included."""
    keys = []
    for name, field in model.model_fields.items():
        dotted = f"{prefix}{name}"
        nested = _models_in(field.annotation)
        if not prefix and nested:
            # A top-level section: its keys, not the section itself.
            keys.extend(key for sub in nested for key in _keys_of(sub, f"{dotted}."))
            continue
        keys.append(dotted)
        for sub in nested:
            keys.extend(_keys_of(sub, f"{dotted}."))
    return keys


CONFIG_KEYS = _keys_of(Settings)
SECTIONS = sorted({key.split(".")[0] for key in CONFIG_KEYS})


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _long_options(parser: argparse.ArgumentParser) -> set[str]:
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--")
    }


PARSER = build_parser()
VERBS = _subparsers(PARSER)
VERB_OPTIONS = sorted(
    (verb, option) for verb, sub in VERBS.items() for option in _long_options(sub) - {"--help"}
)
ALL_OPTIONS = _long_options(PARSER).union(*(_long_options(sub) for sub in VERBS.values()))


# -- what the docs say -------------------------------------------------------------------


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    """The body of the ``## <title>`` section of a Markdown text."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README.md has no section '## {title}'"
    return match.group(1)


def _code_lines(markdown: str) -> list[str]:
    """The non-empty lines of the ``sh`` code blocks of a Markdown text."""
    blocks = re.findall(r"^```sh\n(.*?)^```", markdown, re.M | re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def _example_regions() -> dict[str, str]:
    """config.example.toml split by table headers (commented ones too): header → text."""
    regions: dict[str, list[str]] = {}
    current = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _HEADER.match(line.strip())
        if match:
            current = match.group(2)
            regions.setdefault(current, [])
            continue
        regions.setdefault(current, []).append(line)
    return {header: "\n".join(lines) for header, lines in regions.items()}


# -- tests -------------------------------------------------------------------------------


def test_config_keys_walk_finds_every_section_and_remote_field() -> None:
    """The key walk sees every section and the fields of [[git.remotes]] (guards the tests)."""
    assert sorted(Settings.model_fields) == SECTIONS
    assert "export.repo" in CONFIG_KEYS
    assert "git.remotes" in CONFIG_KEYS
    assert "git.remotes.ssh_key_file" in CONFIG_KEYS


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_readme_names_every_verb(verb: str) -> None:
    """Every verb of the command line is in the README's command reference."""
    assert f"`{verb}`" in _section(_readme(), "Command reference")


@pytest.mark.parametrize(("verb", "option"), VERB_OPTIONS)
def test_readme_names_every_long_option(verb: str, option: str) -> None:
    """Every long option of every verb is in the README's command reference."""
    assert f"`{option}" in _section(_readme(), "Command reference"), f"{verb} {option}"


def test_readme_names_only_real_verbs_and_options() -> None:
    """No verb or option the README shows as a command is missing from the parser."""
    readme = _readme()
    verbs = set(re.findall(r"`notion-syncd ([a-z][a-z-]*)", readme))
    assert verbs <= set(VERBS), f"unknown verbs: {sorted(verbs - set(VERBS))}"
    options = set(re.findall(r"`(--[a-z][a-z-]*)", _section(readme, "Command reference")))
    assert options <= ALL_OPTIONS, f"unknown options: {sorted(options - ALL_OPTIONS)}"


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_readme_names_every_config_key(key: str) -> None:
    """Every config key is in the README's configuration reference, as `section.key`."""
    assert f"`{key}`" in _section(_readme(), "Configuration reference")


def test_readme_names_only_real_config_keys() -> None:
    """Every `section.key` the README mentions exists in notion_syncd.config."""
    pattern = rf"`((?:{'|'.join(SECTIONS)})\.[a-z_]+(?:\.[a-z_]+)?)`"
    mentioned = set(re.findall(pattern, _readme()))
    assert mentioned <= set(CONFIG_KEYS), f"unknown keys: {sorted(mentioned - set(CONFIG_KEYS))}"


def test_readme_states_the_environment_override_rule() -> None:
    """The README explains NOTION_SYNCD_<SECTION>__<KEY> with a working example."""
    readme = _readme()
    assert "NOTION_SYNCD_<SECTION>__<KEY>" in readme
    assert "NOTION_SYNCD_SCHEDULE__INTERVAL=1m" in readme


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_example_config_shows_every_key(key: str) -> None:
    """Every config key is set, or shown commented out, under its table in the example."""
    table, _, name = key.rpartition(".")
    regions = _example_regions()
    if key in regions:
        return  # a list of tables (git.remotes), shown as a [[git.remotes]] example
    assert table in regions, f"config.example.toml has no [{table}] table (maybe commented)"
    assert re.search(rf"^[#\s]*{re.escape(name)}\s*=", regions[table], re.M), key


def test_example_config_loads() -> None:
    """config.example.toml is valid: load_settings accepts it with an empty environment."""
    settings = load_settings(EXAMPLE, environ={})
    assert settings.export.repo.is_absolute()
    assert settings.notion.token is None


def test_example_config_values_are_defaults() -> None:
    """Every value the example sets is the default (only export.repo has none)."""
    example = load_settings(EXAMPLE, environ={})
    defaults = load_settings(
        None, overrides={"export": {"repo": str(example.export.repo)}}, environ={}
    )
    assert example.model_dump() == defaults.model_dump()


def test_example_config_holds_no_token() -> None:
    """No Notion token, not even a plausible one, is written in the example."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert not re.search(r"\b(?:ntn|secret)_[A-Za-z0-9]{8,}", text)
    assert not re.search(r"^\s*token\s*=", text, re.M)


def test_readme_quick_start_is_the_two_commands() -> None:
    """The quick start shows exactly the demo command and the test command, verbatim."""
    assert _code_lines(_section(_readme(), "Quick start")) == [DEMO_COMMAND, TEST_COMMAND]


def test_ci_run_executes_the_readme_test_command() -> None:
    """CI runs exactly the README's test command, nothing else."""
    commands = [
        line.strip()
        for line in CI_RUN.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    runs = [shlex.split(line) for line in commands if not line.startswith(("set ", "cd "))]
    assert runs == [["exec", TEST_COMMAND]]


def test_readme_states_the_coverage_the_test_command_enforces() -> None:
    """The test command measures branch coverage and the README names its threshold."""
    coverage = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["coverage"]
    assert coverage["run"]["branch"] is True
    assert coverage["run"]["source"] == ["notion_syncd"]
    script = SCRIPTS_TEST.read_text(encoding="utf-8")
    assert "--cov " in script and "term-missing:skip-covered" in script
    section = " ".join(_section(_readme(), "Quick start").split())
    assert f"below {coverage['report']['fail_under']} %" in section


def test_example_config_remote_examples_load(tmp_path: Path) -> None:
    """Uncommented, the example's [[git.remotes]] are valid: one GitHub over SSH, one HTTPS."""
    text = EXAMPLE.read_text(encoding="utf-8")
    uncommented = re.sub(r"^# (\[\[git\.remotes\]\]|[a-z_]+ = .*)$", r"\1", text, flags=re.M)
    path = tmp_path / "config.toml"
    path.write_text(uncommented, encoding="utf-8")
    remotes = load_settings(path, environ={}).git.remotes
    assert [remote.url.split(":")[0] for remote in remotes] == ["git@github.com", "https"]
    assert remotes[0].ssh_key_file is not None
    assert remotes[1].token_env or remotes[1].token_file
