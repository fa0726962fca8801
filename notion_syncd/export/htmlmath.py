"""Equations typeset at export time: LaTeX → MathML, which browsers draw with no script.

MathML needs no asset, font or request, so the offline copy stays offline. The LaTeX
source is kept beside the rendering (``<annotation encoding="application/x-tex">``) for
copy and search.

The converter passes some input through unescaped (``\\text{<img …>}``) and some commands
make links or styles (``\\href``, ``\\style``), so its output is parsed as XML and written
again keeping only MathML elements and layout attributes: the text of a page can never
become markup. An expression that does not convert, or converts to something that does
not parse, stays as escaped LaTeX in a ``<code class="equation">``.
"""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xml.etree import ElementTree

_NAMESPACE = ' xmlns="http://www.w3.org/1998/Math/MathML"'
_ELEMENTS = frozenset(
    [
        "math",
        "semantics",
        "annotation",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "mfrac",
        "msqrt",
        "mroot",
        "msub",
        "msup",
        "msubsup",
        "munder",
        "mover",
        "munderover",
        "mtable",
        "mtr",
        "mtd",
        "mstyle",
        "mpadded",
        "mphantom",
        "menclose",
        "merror",
        "mfenced",
        "mmultiscripts",
        "mprescripts",
        "none",
    ]
)
_ATTRIBUTES = frozenset(
    [
        "display",
        "displaystyle",
        "mathvariant",
        "stretchy",
        "fence",
        "separator",
        "lspace",
        "rspace",
        "minsize",
        "maxsize",
        "symmetric",
        "largeop",
        "movablelimits",
        "accent",
        "accentunder",
        "form",
        "linethickness",
        "scriptlevel",
        "columnalign",
        "columnlines",
        "columnspacing",
        "rowalign",
        "rowlines",
        "rowspacing",
        "frame",
        "width",
        "height",
        "depth",
        "voffset",
        "notation",
        "open",
        "close",
        "separators",
        "encoding",
    ]
)


def _clean(element: ElementTree.Element) -> bool:
    """Keep MathML elements and layout attributes only; False when something else is there."""
    if element.tag not in _ELEMENTS:
        return False
    for name in list(element.attrib):
        if name not in _ATTRIBUTES:
            del element.attrib[name]
    return all(_clean(child) for child in element)


def equation_html(expression: str, *, block: bool) -> str:
    """``expression`` (LaTeX) as a ``<math>`` element, or as escaped source when unreadable.

    Remembered for the last ``CACHED`` short expressions: a page is rendered again when
    a page it links to changes, and converting was 2 % of a first export's CPU.
    """
    if len(expression) > CACHED_LENGTH:
        return _equation_html(expression, block)
    return _cached_equation_html(expression, block)


CACHED = 128
CACHED_LENGTH = 256
"""Longer expressions are converted every time: MathML is some 20 times its source, so
the cache holds at most about 700 KB."""


@functools.lru_cache(maxsize=CACHED)
def _cached_equation_html(expression: str, block: bool) -> str:
    return _equation_html(expression, block)


def _equation_html(expression: str, block: bool) -> str:
    if not expression.strip():
        return ""
    fallback = f'<code class="equation">{html.escape(expression, quote=True)}</code>'
    # Loaded at the first equation, not at start: latex2mathml and ElementTree, 1.1 MB RSS.
    from xml.etree import ElementTree

    from latex2mathml.converter import convert

    try:
        mathml = convert(expression, display="block" if block else "inline")
        root = ElementTree.fromstring(mathml.replace(_NAMESPACE, "", 1))
    except Exception:  # any converter or parser failure shows the source
        return fallback
    if not _clean(root):
        return fallback
    semantics = ElementTree.Element("semantics")
    semantics.extend(list(root))
    annotation = ElementTree.SubElement(semantics, "annotation", encoding="application/x-tex")
    annotation.text = expression
    for child in list(root):
        root.remove(child)
    root.append(semantics)
    return ElementTree.tostring(root, encoding="unicode", short_empty_elements=False)
