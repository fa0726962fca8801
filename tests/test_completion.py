"""Shell completion scripts, generated from the parser, tried in the real shells."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from notion_syncd.cli import build_parser, main
from notion_syncd.completion import SHELLS, describe_parser


def _script(shell: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["completion", shell]) == 0
    path = tmp_path / f"notion-syncd.{shell}"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    return path


def _bash_complete(script: Path, line: str, cwd: Path) -> list[str]:
    """What TAB offers at the end of ``line``, asked of the real bash function."""
    words = line.split(" ")
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({' '.join(repr(word) for word in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        '_notion_syncd\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line]


def test_completion_scripts_name_every_verb_and_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each shell's script holds every verb and every verb's long options."""
    top, verbs = describe_parser(build_parser())
    assert {verb.name for verb in verbs} >= {"sync", "status", "completion"}
    for shell in SHELLS:
        text = _script(shell, tmp_path, capsys).read_text(encoding="utf-8")
        for verb in verbs:
            assert verb.name in text, (shell, verb.name)
            for option in (*top, *verb.options):
                assert option.name[2:] in text, (shell, verb.name, option.name)


def test_completion_bash_registers_and_completes_in_a_real_bash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sourced in bash: `complete -p` shows it; verbs, options, files and choices complete."""
    script = _script("bash", tmp_path, capsys)
    registered = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", f"source {script} && complete -p notion-syncd"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert registered == "complete -o bashdefault -o filenames -F _notion_syncd notion-syncd\n"
    (tmp_path / "conf.toml").write_text("", encoding="utf-8")
    (tmp_path / "configs").mkdir()
    assert _bash_complete(script, "notion-syncd sy", tmp_path) == ["sync"]
    assert _bash_complete(script, "notion-syncd --config conf.toml st", tmp_path) == ["status"]
    assert _bash_complete(script, "notion-syncd sync --dr", tmp_path) == ["--dry-run"]
    assert _bash_complete(script, "notion-syncd status --", tmp_path) == [
        "--config",
        "--help",
        "--json",
    ]
    assert _bash_complete(script, "notion-syncd sync --config con", tmp_path) == [
        "conf.toml",
        "configs",
    ]
    assert _bash_complete(script, "notion-syncd demo con", tmp_path) == ["configs"]
    assert _bash_complete(script, "notion-syncd completion ", tmp_path)[:3] == [
        "bash",
        "zsh",
        "fish",
    ]
    assert _bash_complete(script, "notion-syncd fake-server --port ", tmp_path) == []


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_completion_zsh_parses_and_registers_with_compinit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """zsh reads the script without error and compdef binds it to notion-syncd."""
    script = _script("zsh", tmp_path, capsys)
    subprocess.run(["zsh", "-n", str(script)], check=True)
    program = (
        f"autoload -U compinit; compinit -u -d {tmp_path}/zcompdump; source {script}; "
        "print -r -- ${_comps[notion-syncd]}"
    )
    result = subprocess.run(
        ["zsh", "-f", "-c", program],
        capture_output=True,
        text=True,
        check=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout == "_notion_syncd\n"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_completion_fish_completes_verbs_options_and_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fish sources the script; `complete -C` offers verbs, a verb's options and choices."""
    script = _script("fish", tmp_path, capsys)

    def complete(line: str) -> list[str]:
        result = subprocess.run(
            ["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"],
            capture_output=True,
            text=True,
            check=True,
            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        )
        return [entry.split("\t")[0] for entry in result.stdout.splitlines()]

    assert complete("notion-syncd sy") == ["sync"]
    assert "--dry-run" in complete("notion-syncd sync --") and "--json" in complete(
        "notion-syncd status --"
    )
    assert complete("notion-syncd completion ") == ["bash", "fish", "zsh"]
