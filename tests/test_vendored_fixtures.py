"""The recorded responses the tests use are in the repository, indexed and licensed."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests" / "fixtures" / "recorded"
CODE_DIRS = ("notion_syncd", "tests", "scripts", "bench", ".ci")
# Built from parts so that this file does not match itself.
OUTSIDE = re.compile(r"\.\./" + "shared" + r"|/\s*['\"]" + "shared" + r"['\"]")


def test_recorded_index_lists_exactly_the_vendored_files() -> None:
    """index.json names every vendored response file, and every name it has exists."""
    index = json.loads((RECORDED / "index.json").read_text(encoding="utf-8"))
    listed = {entry["file"] for entry in index}
    present = {
        str(path.relative_to(RECORDED))
        for path in RECORDED.rglob("*.json")
        if path.name != "index.json"
    }
    assert listed == present
    assert len(present) > 100


def test_recorded_sources_carry_their_licences() -> None:
    """Each source repository in the index has its licence text and README attribution."""
    index = json.loads((RECORDED / "index.json").read_text(encoding="utf-8"))
    readme = (RECORDED / "README.md").read_text(encoding="utf-8")
    licences = {
        "ultimate-notion/ultimate-notion": "ultimate-notion-LICENSE.txt",
        "ramnes/notion-sdk-py": "notion-sdk-py-LICENSE.txt",
    }
    for repo in {entry["repo"] for entry in index}:
        text = (RECORDED / "LICENSES" / licences[repo]).read_text(encoding="utf-8")
        assert "MIT License" in text and "Copyright (c)" in text
        assert f"LICENSES/{licences[repo]}" in readme and repo in readme
    for commit in {entry["commit"] for entry in index}:
        assert commit in readme


def test_no_code_reads_the_shared_folder_beside_the_repository() -> None:
    """No module, test or script reaches outside the clone for data (a fresh clone runs all)."""
    offenders = []
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".sh", "") or not path.is_file():
                continue
            if "fixtures" in path.parts:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            offenders += [f"{path.relative_to(ROOT)}" for _ in OUTSIDE.finditer(text)]
    assert offenders == []
