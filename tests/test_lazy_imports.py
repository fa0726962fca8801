"""What starting a sync loads: packages a sync may never use wait until it does (RSS)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from notion_syncd.export.htmlcode import highlight_html
from notion_syncd.export.htmlmath import equation_html


def _loaded_after(imports: str, packages: tuple[str, ...]) -> set[str]:
    """Which of ``packages`` a fresh interpreter holds after running ``imports``."""
    code = f"import sys\n{imports}\nprint(' '.join(m for m in {packages!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


DEFERRED = ("pygments", "latex2mathml", "xml.etree.ElementTree")


@pytest.mark.parametrize("module", ["notion_syncd.cli", "notion_syncd.commands.sync"])
def test_lazy_imports_sync_start_loads_no_renderer_extras(module: str) -> None:
    """Starting a sync loads neither Pygments nor latex2mathml: only rendering one needs them."""
    assert _loaded_after(f"import {module}", DEFERRED) == set()


def test_lazy_imports_renderers_load_their_extras_when_used() -> None:
    """A code block and an equation still load what they need, and render with it."""
    imports = (
        "from notion_syncd.export.htmlcode import highlight_html\n"
        "from notion_syncd.export.htmlmath import equation_html\n"
        "highlight_html('x = 1', 'python')\n"
        "equation_html('a^2', block=False)"
    )
    assert _loaded_after(imports, DEFERRED) == set(DEFERRED)
    assert '<span class="n">x</span>' in highlight_html("x = 1", "python")
    assert equation_html("a^2", block=False).startswith('<math display="inline">')
