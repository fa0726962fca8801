"""HTML equations (MathML at export time) and property cells that link."""

from __future__ import annotations

from test_render_markdown import block, ctx

from notion_syncd.export import htmlmath
from notion_syncd.export.html import render_page_html
from notion_syncd.export.htmlmath import equation_html
from notion_syncd.export.htmlprops import property_html


def test_equation_html_is_mathml_with_its_source() -> None:
    """A block equation becomes a display MathML element keeping the LaTeX as annotation."""
    out = equation_html(r"\frac{a}{b} < c", block=True)
    assert out.startswith('<math display="block"><semantics><mrow><mfrac>')
    assert '<annotation encoding="application/x-tex">\\frac{a}{b} &lt; c</annotation>' in out


def test_equation_html_never_lets_text_become_markup() -> None:
    """Markup or links smuggled through LaTeX are dropped or shown as escaped source."""
    smuggled = equation_html(r"\text{<img src=x onerror=alert(1)>}", block=False)
    assert smuggled == ('<code class="equation">\\text{&lt;img src=x onerror=alert(1)&gt;}</code>')
    linked = equation_html(r"\href{javascript:alert(1)}{x}", block=False)
    assert "<math" in linked and "href=" not in linked
    styled = equation_html(r"\style{background:url(https://t.example/p)}{x}", block=False)
    assert "style=" not in styled


def test_equation_html_shows_unreadable_latex_as_source() -> None:
    """An expression the converter rejects stays visible as escaped LaTeX."""
    assert equation_html("\\unknown{", block=True) == '<code class="equation">\\unknown{</code>'
    assert equation_html("  ", block=True) == ""


def test_page_html_typesets_block_and_inline_equations() -> None:
    """Equation blocks and inline equations are <math> elements, not raw LaTeX."""
    inline = {
        "type": "equation",
        "equation": {"expression": "a^2"},
        "plain_text": "a^2",
        "annotations": {},
    }
    record = {
        "page": {"id": "2" * 32, "properties": {}},
        "blocks": [
            block("equation", expression="E = mc^2"),
            block("paragraph", rich_text=[inline]),
        ],
    }
    out = render_page_html(record, ctx("Page 22222222.html"))
    assert out.count("<math ") == 2
    assert '<div class="equation"><math display="block">' in out
    assert '<math display="inline">' in out


def test_property_html_links_relations_files_and_urls() -> None:
    """Relation cells link to mirrored pages by title; files by name; URLs are links."""
    related = "11111111-1111-1111-1111-111111111111"
    relation = {
        "type": "relation",
        "relation": [{"id": related}, {"id": "3" * 32}],
        "has_more": False,
    }
    out = property_html(relation, ctx("DB 1a2b3c4d/Row 5e6f7a8b.html"))
    assert out.startswith(
        '<a href="../Team%201a2b3c4d/Other%20page%2011111111.html">Other page</a>'
    )
    assert out.count("<a ") == 1  # the second one is not mirrored: its id, no link
    files = {
        "type": "files",
        "files": [{"name": "plan.pdf", "type": "external", "external": {"url": "https://x/p"}}],
    }
    assert property_html(files, ctx("Row.html")) == '<a href="https://x/p">plan.pdf</a>'
    url = {"type": "url", "url": "javascript:alert(1)"}
    assert "<a" not in property_html(url, ctx("Row.html"))


def test_equation_html_remembered_equals_converted() -> None:
    """A remembered conversion is the conversion: inline and block apart, long ones too."""
    short = r"\frac{a}{b}"
    assert equation_html(short, block=True) == equation_html(short, block=True)
    assert equation_html(short, block=False) != equation_html(short, block=True)
    assert 'display="inline"' in equation_html(short, block=False)
    long = "+".join(["x_{1}"] * 100)
    assert len(long) > htmlmath.CACHED_LENGTH
    assert equation_html(long, block=False) == equation_html(long, block=False)
    assert equation_html(long, block=False).count("<msub>") == 100
