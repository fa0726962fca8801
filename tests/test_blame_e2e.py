"""`git blame` on a page two users edited between syncs names each on their own lines."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync


def _co_edited_page(tmp_path: Path, *, alan_too: bool, **git_settings: object) -> Path:
    """Ada changes one block and adds one, then Grace changes another and deletes one."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    ada, grace, alan = (ws.add_user(name) for name in ("Ada", "Grace", "Alan"))
    lines = ("one", "two", "three", "four")
    shared = ws.add_page(None, "Shared", [rt.paragraph(line) for line in lines])
    other = ws.add_page(None, "Other", [rt.paragraph("v1")])
    first, _, third, fourth = ws.children_of(shared)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", git=dict(git_settings))
        run_sync(settings, now=clock)
        clock.advance(minutes=1)
        ws.editor = ada
        ws.update_block(first, {"paragraph": rt.paragraph("Ada changed one")["paragraph"]})
        ws.append_blocks(shared, [rt.paragraph("Ada added five")])
        clock.advance(minutes=1)
        ws.editor = grace
        ws.update_block(third, {"paragraph": rt.paragraph("Grace changed three")["paragraph"]})
        ws.delete_block(fourth)
        if alan_too:
            clock.advance(minutes=1)
            ws.editor = alan
            ws.append_blocks(other, [rt.paragraph("Alan was here")])
        ws.editor = None
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
    return settings.export.repo


def _blamed(repo: Path, path: str) -> dict[str, str]:
    """Line text -> the author name git blame gives it."""
    porcelain = git(repo, "blame", "--line-porcelain", "--", path).splitlines()
    authors, lines = [], []
    for line in porcelain:
        if line.startswith("author "):
            authors.append(line[len("author ") :])
        elif line.startswith("\t"):
            lines.append(line[1:])
    return {line: author for line, author in zip(lines, authors, strict=True) if line.strip()}


@pytest.mark.parametrize("alan_too", [False, True], ids=["one-owner", "three-editors"])
def test_blame_co_edited_page_names_each_editor_on_their_lines(
    tmp_path: Path, alan_too: bool
) -> None:
    """Ada's and Grace's blocks of one page are blamed on each; the old line is not theirs."""
    repo = _co_edited_page(tmp_path, alan_too=alan_too)
    md = next(repo.glob("Shared*.md")).name
    blamed = _blamed(repo, md)
    assert blamed["Ada changed one"] == "Ada"
    assert blamed["Ada added five"] == "Ada"
    assert blamed["Grace changed three"] == "Grace"
    assert blamed["two"] not in {"Ada", "Grace"}
    assert "four" not in blamed
    json_blame = _blamed(repo, md.removesuffix(".md") + ".json")
    assert {author for line, author in json_blame.items() if "Ada changed one" in line} == {"Ada"}
    assert len(git(repo, "reflog", "show", "--format=%H", "main").split()) == 2, "moved once"
    ada_commit = git(repo, "log", "--author=Ada", "--format=%s%n%b", "-1")
    assert "Edited by Ada: 1 object" in ada_commit and "in part" in ada_commit


def test_blame_final_tree_equals_the_single_commit_shape(tmp_path: Path) -> None:
    """The intermediate versions change the history only: the last tree is the same."""
    by_editor = _co_edited_page(tmp_path / "authors", alan_too=True)
    single = _co_edited_page(tmp_path / "single", alan_too=True, commit_authors=False)

    def page_files(repo: Path) -> dict[str, str]:
        listing = git(repo, "ls-tree", "-r", "HEAD").splitlines()
        blobs = {row.split("\t")[1]: row.split()[2] for row in listing}
        return {path: blob for path, blob in blobs.items() if not path.startswith(".")}

    authored = page_files(by_editor)
    assert authored == page_files(single)
    assert any(path.startswith("Shared") for path in authored)
    assert len(git(by_editor, "rev-list", "HEAD").split()) > 3  # the history did change
