"""Custom emoji icons are downloaded like hosted files and shown as local images."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from gfm import github_html
from mirrortree import exported_tree, tree_differences
from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.fake_notion.generate import tiny_png
from notion_syncd.sync.runner import run_sync

FORMATS = {"export": {"formats": ["markdown", "json", "html"]}}


def test_custom_emoji_icons_are_local_images_never_names(tmp_path: Path) -> None:
    """Page and callout icons and an emoji in text: one file in _files/, images, no :name:."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    image = tiny_png(rgb=(200, 30, 30))
    bufo = ws.add_custom_emoji(image, "bufo-cheers")
    callout = rt.callout("Ship it")
    callout["callout"]["icon"] = bufo
    cheer = rt.paragraph("We did it ", rt.mention_custom_emoji(bufo))
    ws.add_page(None, "Launch", [callout, cheer], icon=bufo)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", **FORMATS)
        run_sync(settings, now=clock)
        fresh = make_settings(server, tmp_path / "fresh", **FORMATS)
        run_sync(fresh, now=clock)
    repo = Path(settings.export.repo)
    (stored,) = list((repo / "_files").iterdir())
    assert stored.read_bytes() == image
    local = f"_files/{stored.name}"
    record = json.loads(next(repo.glob("Launch *.json")).read_text(encoding="utf-8"))
    icon = record["page"]["icon"]["custom_emoji"]
    assert icon["url"] == local and icon["name"] == "bufo-cheers" and icon["id"]
    assert icon["source_url"].endswith("/bufo-cheers.png")
    markdown = next(repo.glob("Launch *.md")).read_text(encoding="utf-8")
    assert f'icon: "{local}"' in markdown
    assert ":bufo-cheers:" not in re.sub(r'alt="[^"]*"', "", markdown)  # only as alt text
    rendered = github_html(markdown)
    assert rendered.count(f'<img src="{local}" alt="bufo-cheers"') == 2  # the page, the callout
    assert f'We did it <img src="{local}" alt=":bufo-cheers:" width="20"' in rendered
    page_html = next(repo.glob("Launch *.html")).read_text(encoding="utf-8")
    assert page_html.count(f'src="{local}"') == 3 and 'alt=":bufo-cheers:"' in page_html
    differences = tree_differences(exported_tree(repo), exported_tree(Path(fresh.export.repo)))
    assert differences == [], "\n".join(differences[:40])
