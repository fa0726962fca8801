"""Every page of the fake's sample workspaces renders right on GitHub (cmark-gfm).

The generated workspace (every block type, hostile text) and the demo handbook are
mirrored; every Markdown file is parsed and walked: no link inside a link, no list mixing
to-dos with plain items, no ``*`` or ``~`` left over from an emphasis marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from gfm import github_html
from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace, demo_workspace, generate_workspace
from notion_syncd.sync.runner import run_sync

ESCAPED_MARKER = re.compile(r"\\([*~])")
PLACEHOLDER = {"*": "\ue000", "~": "\ue001"}


class _Walker(HTMLParser):
    """Collects what GitHub would show wrong."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.link_depth = 0
        self.code_depth = 0
        self.lists: list[list[str]] = []  # per open list: the kind of each item

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.link_depth += 1
            if self.link_depth > 1:
                self.problems.append("a link inside a link")
        elif tag in ("code", "pre"):
            self.code_depth += 1
        elif tag in ("ul", "ol"):
            self.lists.append([])
        elif tag == "li" and self.lists:
            self.lists[-1].append("plain")
        elif tag == "input" and dict(attrs).get("type") == "checkbox" and self.lists:
            self.lists[-1][-1] = "task"

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.link_depth -= 1
        elif tag in ("code", "pre"):
            self.code_depth -= 1
        elif tag in ("ul", "ol") and self.lists:
            kinds = set(self.lists.pop())
            self.problems += ["a list mixing to-dos and plain items"] if len(kinds) > 1 else []

    def handle_data(self, data: str) -> None:
        if not self.code_depth and ("*" in data or "~" in data):
            self.problems.append(f"a literal emphasis marker in {data.strip()[:60]!r}")


def github_problems(markdown: str) -> list[str]:
    """What is wrong with ``markdown`` as GitHub renders it (escaped ``\\*`` is fine)."""
    hidden = ESCAPED_MARKER.sub(lambda m: PLACEHOLDER[m.group(1)], markdown)
    walker = _Walker()
    walker.feed(github_html(hidden))
    return walker.problems


def _generated(ws: Workspace) -> None:
    generate_workspace(ws, pages=25, depth=4, databases=2, rows_per_database=5, seed=3)


def _demo(ws: Workspace) -> None:
    demo_workspace(ws)


@pytest.mark.parametrize("fill", [_generated, _demo], ids=["generated", "demo"])
def test_github_walk_sample_workspaces_render_right(
    tmp_path: Path, fill: Callable[[Workspace], None]
) -> None:
    """No nested link, mixed list or stray emphasis marker on any page."""
    clock = TestClock()
    ws = Workspace(clock)
    fill(ws)
    clock.advance(minutes=10)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
    pages = sorted(Path(settings.export.repo).rglob("*.md"))
    assert len(pages) > 5
    problems = {
        str(page.relative_to(tmp_path)): found
        for page in pages
        if (found := github_problems(page.read_text(encoding="utf-8")))
    }
    assert problems == {}


def test_github_walk_finds_what_it_looks_for() -> None:
    """The walker sees a nested link, a merged list and a stray marker."""
    assert github_problems("[a [b](x)](y)") == []  # CommonMark itself refuses this nesting
    assert "a link inside a link" in github_problems('<a href="x">a <a href="y">b</a></a>')
    assert github_problems("- a\n\n- [ ] b\n") == ["a list mixing to-dos and plain items"]
    assert github_problems("x 🚀*(b)*")[0].startswith("a literal emphasis marker")
    assert github_problems("a \\* b") == []
