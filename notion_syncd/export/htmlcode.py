"""Code blocks highlighted at export time (Pygments), with colours in the shared stylesheet.

Pages carry only short class names (``<span class="k">``); the colours are rules of
``_assets/style.css`` (:func:`code_stylesheet`, a light and a dark scheme), so a page's
HTML does not repeat them and needs no script. A language Pygments does not know is shown
as plain, escaped text.
"""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pygments.lexer import Lexer

CODE_CLASS = "code"
_LIGHT_STYLE = "default"
_DARK_STYLE = "github-dark"
_PLAIN = frozenset({"", "plain", "plain-text", "text", "txt"})


def _lexer(language: str) -> Lexer | None:
    if language in _PLAIN:
        return None
    # Pygments at the first code block, not at start: 1.1 MB RSS (measured) saved without one.
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_html(code: str, language: str) -> str:
    """``code`` as escaped HTML with token ``<span>``s when ``language`` is known.

    Remembered for the last ``CACHED`` short blocks, as ``htmlmath`` remembers equations:
    a page is rendered again when a page it links to changes.
    """
    if len(code) > CACHED_LENGTH:
        return _highlight_html(code, language)
    return _cached_highlight_html(code, language)


CACHED = 64
CACHED_LENGTH = 1024
"""Longer blocks are highlighted every time: token spans make the HTML some 10 times the
code, so the cache holds at most about 700 KB."""


@functools.lru_cache(maxsize=CACHED)
def _cached_highlight_html(code: str, language: str) -> str:
    return _highlight_html(code, language)


def _highlight_html(code: str, language: str) -> str:
    lexer = _lexer(language)
    if lexer is None:
        return html.escape(code, quote=True)
    from pygments import highlight  # deferred with _lexer's imports (RSS, 1.1 MB)
    from pygments.formatters import HtmlFormatter

    out = str(highlight(code, lexer, HtmlFormatter(nowrap=True)))
    return out[:-1] if out.endswith("\n") and not code.endswith("\n") else out


def _rules(style: str) -> list[str]:
    from pygments.formatters import HtmlFormatter  # deferred like _lexer's imports (RSS, 1.1 MB)

    formatter: HtmlFormatter[str] = HtmlFormatter(style=style)
    defs = str(formatter.get_style_defs(f".{CODE_CLASS}"))  # type: ignore[no-untyped-call]
    return [line for line in defs.splitlines() if line.startswith(f".{CODE_CLASS} ")]


def code_stylesheet() -> str:
    """The token colours of highlighted code: light, then dark under ``prefers-color-scheme``."""
    dark = "\n".join("  " + rule for rule in _rules(_DARK_STYLE))
    return (
        "/* Code colours (Pygments styles "
        f"{_LIGHT_STYLE!r} and {_DARK_STYLE!r}, BSD-2-Clause). */\n"
        + "\n".join(_rules(_LIGHT_STYLE))
        + "\n@media (prefers-color-scheme: dark) {\n"
        + dark
        + "\n}\n"
    )
