"""The golden-file helper: a run that rewrites golden files is never green."""

from __future__ import annotations

from pathlib import Path

import pytest
from goldenfiles import check_golden, compare_golden


def _golden(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_check_golden_equal_files_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendered texts equal to their golden files pass, with or without UPDATE_GOLDEN."""
    _golden(tmp_path, {"pages/a.md": "# A\n", "index.html": "<p>i</p>\n"})
    for update in ("0", "1"):
        monkeypatch.setenv("UPDATE_GOLDEN", update)
        check_golden({"pages/a.md": "# A\n", "index.html": "<p>i</p>\n"}, tmp_path)
    assert (tmp_path / "pages/a.md").read_text(encoding="utf-8") == "# A\n"


def test_check_golden_update_writes_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UPDATE_GOLDEN=1 rewrites changed and new files, then fails naming each with its diff."""
    _golden(tmp_path, {"pages/a.md": "# A\nold line\n", "pages/same.md": "same\n"})
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    rendered = {"pages/a.md": "# A\nnew line\n", "pages/same.md": "same\n", "rows/b.csv": "x\n"}
    with pytest.raises(pytest.fail.Exception) as failure:
        check_golden(rendered, tmp_path)
    message = str(failure.value)
    assert "UPDATE_GOLDEN=1 rewrote 2 golden file(s)" in message
    assert "pages/a.md: changed" in message
    assert "-old line" in message and "+new line" in message
    assert "rows/b.csv: new file (1 lines)" in message
    assert "same.md" not in message
    assert (tmp_path / "pages/a.md").read_text(encoding="utf-8") == "# A\nnew line\n"
    assert (tmp_path / "rows/b.csv").read_text(encoding="utf-8") == "x\n"
    check_golden(rendered, tmp_path)  # the second run, after review, is green


def test_check_golden_mismatch_fails_without_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without UPDATE_GOLDEN a difference or a missing file fails and nothing is written."""
    _golden(tmp_path, {"a.md": "old\n"})
    monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    with pytest.raises(pytest.fail.Exception) as failure:
        check_golden({"a.md": "new\n", "missing.md": "m\n"}, tmp_path)
    message = str(failure.value)
    assert message.startswith("2 golden file(s) differ from the rendering")
    assert "a.md: changed" in message and "missing.md: new file" in message
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == "old\n"
    assert not (tmp_path / "missing.md").exists()


def test_compare_golden_long_diff_is_cut(tmp_path: Path) -> None:
    """A long diff is cut after 40 lines and says how many lines were left out."""
    _golden(tmp_path, {"big.md": "".join(f"line {n}\n" for n in range(100))})
    new = "".join(f"LINE {n}\n" for n in range(100))
    [change] = compare_golden({"big.md": new}, tmp_path, update=False)
    lines = change.splitlines()
    assert lines[0] == "big.md: changed"
    assert len(lines) == 1 + 40 + 1
    assert lines[-1] == "... 163 more diff lines"
