"""Rich text (Notion §7.6) → Markdown and HTML inline text.

Rendering goes in two steps: each rich text element becomes a :class:`Run` (display text,
annotations, link target), then the runs become text for one format. Markdown text is
escaped so that content never turns into markup by accident; emphasis uses ``**``/``*``/``~~``
where CommonMark's flanking rules make that safe and falls back to inline HTML tags
(``<strong>``, ``<em>``, ``<del>``) where it would not be.
"""

from __future__ import annotations

import html
import json
import re
import string
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from notion_syncd.export.htmlmath import equation_html
from notion_syncd.export.links import (
    FILES_PREFIX,
    RenderContext,
    clickable,
    object_link,
    relative_link,
    safe_url,
)

RichText = list[dict[str, Any]]

INLINE_IMAGE_SIZE = 20
_ESCAPE_ALWAYS = frozenset("\\`*[]<>~$")
_LINE_START_RE = re.compile(r"([#+=>-])|(\d+)([.)])")
_CODE_LANGUAGES = {
    "plain text": "text",
    "c++": "cpp",
    "c#": "csharp",
    "f#": "fsharp",
    "java/c/c++/c#": "java",
    "objective-c": "objectivec",
    "vb.net": "vbnet",
    "visual basic": "vb",
    "webassembly": "wasm",
    "flow": "javascript",
}


@dataclass(frozen=True)
class Run:
    """One piece of inline text with its formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    underline: bool = False
    code: bool = False
    color: str = "default"
    href: str | None = None
    equation: bool = False
    image: str | None = None  # a custom emoji's local image (relative link); text is its alt

    def style(self) -> tuple[object, ...]:
        """Every field but the text: runs of one style merge."""
        return (
            self.bold,
            self.italic,
            self.strikethrough,
            self.underline,
            self.code,
            self.color,
            self.href,
            self.equation,
            self.image,
        )

    @property
    def wrapped(self) -> bool:
        """True when the run is rendered inside some markup (not as bare text)."""
        return bool(
            self.bold
            or self.italic
            or self.strikethrough
            or self.underline
            or self.code
            or self.href
            or self.equation
            or self.highlighted
            or self.image
        )

    @property
    def highlighted(self) -> bool:
        """True for a background colour (Markdown marks it; the colour itself is lost)."""
        return self.color.endswith("_background")


def format_date(date: dict[str, Any] | None) -> str:
    """Render a Notion date value: ``start``, ``start → end``, plus `` (time zone)``."""
    if not date:
        return ""
    text = str(date.get("start") or "")
    if date.get("end"):
        text += f" → {date['end']}"
    if date.get("time_zone"):
        text += f" ({date['time_zone']})"
    return text


def iso_date(date: dict[str, Any] | None) -> str:
    """A Notion date value in ISO 8601: ``start``, or the interval ``start/end``.

    A named time zone (Notion gives one only with local times) follows as RFC 9557's
    ``[Area/City]`` suffix, since ISO 8601 itself has no zone names.
    """
    if not date:
        return ""
    text = str(date.get("start") or "")
    if date.get("end"):
        text += f"/{date['end']}"
    if text and date.get("time_zone"):
        text += f"[{date['time_zone']}]"
    return text


def code_language(language: str | None) -> str:
    """Map a Notion code language to a fence info string GitHub understands."""
    name = (language or "").strip().lower()
    name = _CODE_LANGUAGES.get(name, name)
    return re.sub(r"[^a-z0-9+#._-]+", "-", name)


def _mention_run(item: dict[str, Any], base: Run, ctx: RenderContext, suffix: str) -> Run:
    mention = item.get("mention") or {}
    kind = str(mention.get("type") or "")
    payload = mention.get(kind)
    payload = payload if isinstance(payload, dict) else {}
    text = str(item.get("plain_text") or "")
    if kind in ("page", "database", "data_source"):
        target_id = str(payload.get("id") or "")
        link = object_link(ctx, target_id, suffix)
        if link is None:
            return replace(base, text=text)
        return replace(base, text=ctx.title_of(target_id) or text or target_id, href=link)
    if kind == "user":
        name = payload.get("name")
        return replace(base, text=f"@{name}" if name else text or "@Anonymous")
    if kind == "date":
        return replace(base, text=format_date(payload) or text)
    if kind == "custom_emoji":
        local = str(payload.get("url") or "")
        name = str(payload.get("name") or "")
        text = f":{name}:" if name else text
        if local.startswith(FILES_PREFIX):
            return replace(base, text=text, image=relative_link(ctx.path, local))
        return replace(base, text=text)
    if kind == "link_preview":
        url = str(payload.get("url") or item.get("href") or "")
        return replace(base, text=text or url, href=safe_url(url) if url else None)
    if kind == "link_mention":
        url = str(payload.get("href") or item.get("href") or "")
        title = str(payload.get("title") or text or url)
        return replace(base, text=title, href=safe_url(url) if url else None)
    return replace(base, text=text)


def runs_of(rich_text: RichText | None, ctx: RenderContext, suffix: str) -> list[Run]:
    """Turn rich text elements into runs; ``suffix`` is the extension for links to pages."""
    runs: list[Run] = []
    for item in rich_text or []:
        annotations = item.get("annotations") or {}
        bold, italic = bool(annotations.get("bold")), bool(annotations.get("italic"))
        struck, underline = (
            bool(annotations.get("strikethrough")),
            bool(annotations.get("underline")),
        )
        code, color = bool(annotations.get("code")), str(annotations.get("color") or "default")
        kind = item.get("type")
        # Runs are made directly, not by dataclasses.replace of a base run: replace
        # inspects the fields on every call (a tenth of rendering, issue 10).
        if kind == "text":
            content = item.get("text") or {}
            link = (content.get("link") or {}).get("url") or item.get("href")
            text = str(content.get("content", item.get("plain_text")) or "")
            href = _link_target(str(link), ctx, suffix)
            runs.append(Run(text, bold, italic, struck, underline, code, color, href))
        elif kind == "equation":
            expression = str((item.get("equation") or {}).get("expression") or "")
            text = expression or str(item.get("plain_text") or "")
            runs.append(Run(text, bold, italic, struck, underline, code, color, equation=True))
        else:
            base = Run("", bold, italic, struck, underline, code, color)
            if kind == "mention":
                runs.append(_mention_run(item, base, ctx, suffix))
            else:
                runs.append(replace(base, text=str(item.get("plain_text") or "")))
    return _merge(runs)


def has_links(rich_text: RichText | None, ctx: RenderContext) -> bool:
    """Whether any part of the text renders as a link (a link cannot go inside another)."""
    return any(run.href for run in runs_of(rich_text, ctx, ".md"))


def _link_target(link: str, ctx: RenderContext, suffix: str) -> str | None:
    """Links to Notion pages that are mirrored become relative links; others stay."""
    if not link or link == "None":
        return None
    match = re.fullmatch(r"/?([0-9a-f]{32})(?:#.*)?", link) or re.search(
        r"notion\.(?:so|site|com)/(?:[^?#]*[-/])?([0-9a-f]{32})(?:[?#].*)?$", link
    )
    if match:
        local = object_link(ctx, match.group(1), suffix)
        if local is not None:
            return local
    return safe_url(link)


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        alone = run.equation or run.image  # one expression, one picture
        if merged and not alone and merged[-1].style() == run.style():
            merged[-1] = replace(merged[-1], text=merged[-1].text + run.text)
        else:
            merged.append(run)
    return merged


# --- Markdown ---------------------------------------------------------------------------


def escape_markdown(text: str, *, line_start: bool = True) -> str:
    """Backslash-escape ``text`` so that Markdown shows it literally.

    ``line_start`` says whether the text begins a line (where ``#``, ``-``, ``+``, ``=``,
    ``>`` and ``1.`` would start a block). Newlines are kept as they are.
    """
    out: list[str] = []
    for number, line in enumerate(text.split("\n")):
        if number:
            out.append("\n")
        out.append(_escape_line(line, line_start or number > 0))
    return "".join(out)


def _escape_line(line: str, line_start: bool) -> str:
    out: list[str] = []
    start = 0
    if line_start:
        indent = len(line) - len(line.lstrip(" \t"))
        out.append(line[:indent].replace(" ", "&#32;").replace("\t", "&#9;"))
        start = indent
        match = _LINE_START_RE.match(line, start)
        if match and match.group(1):
            out.append("\\" + match.group(1))
            start = match.end()
        elif match:
            out.append(match.group(2) + "\\" + match.group(3))
            start = match.end()
    for index in range(start, len(line)):
        char = line[index]
        if char in _ESCAPE_ALWAYS:
            out.append("\\" + char)
        elif char == "_":
            first = index
            while first > 0 and line[first - 1] == "_":
                first -= 1
            last = index
            while last + 1 < len(line) and line[last + 1] == "_":
                last += 1
            before = line[first - 1] if first else ""
            after = line[last + 1] if last + 1 < len(line) else ""
            out.append("_" if before.isalnum() and after.isalnum() else "\\_")
        elif char == "&" and re.match(r"&(#|[A-Za-z0-9])", line[index:]):
            out.append("\\&")
        else:
            out.append(char)
    return "".join(out)


# --- CommonMark's flanking rules (spec §6.2), for ``*`` and ``~~`` delimiter runs --------
#
# cmark-gfm (GitHub) counts only Unicode P* categories (and ASCII punctuation) as
# punctuation; CommonMark 0.31 adds the symbol categories S*. A marker is used only where
# both readings agree, so that emphasis after an emoji or a symbol renders everywhere.


def _kind(char: str) -> str:
    """``space`` (also the start or end of a line), ``punct``, ``symbol`` or ``other``."""
    if not char or char.isspace():
        return "space"
    if char in string.punctuation or unicodedata.category(char).startswith("P"):
        return "punct"
    if unicodedata.category(char).startswith("S"):
        return "symbol"
    return "other"


def _flanking(before: str, after: str, *, symbols_are_punct: bool) -> tuple[bool, bool]:
    """(left-flanking, right-flanking) of a delimiter run between two characters."""
    punct = {"punct", "symbol"} if symbols_are_punct else {"punct"}
    kind_before, kind_after = _kind(before), _kind(after)
    left = kind_after != "space" and (
        kind_after not in punct or kind_before == "space" or kind_before in punct
    )
    right = kind_before != "space" and (
        kind_before not in punct or kind_after == "space" or kind_after in punct
    )
    return left, right


def can_open(before: str, after: str) -> bool:
    """Whether a ``*``/``~~`` run between these characters opens, in every reading."""
    return all(_flanking(before, after, symbols_are_punct=s)[0] for s in (False, True))


def can_close(before: str, after: str) -> bool:
    """Whether a ``*``/``~~`` run between these characters closes, in every reading."""
    return all(_flanking(before, after, symbols_are_punct=s)[1] for s in (False, True))


def _char_after(trail: str, following: Run | None) -> str:
    """The first character written after a run ("" for the end of the line)."""
    if trail:
        return trail[0]
    if following is None:
        return ""
    if following.wrapped and not following.text[:1].isspace():
        return "*"  # markup: a marker, ``[``, ``<``, a backtick or ``$``, all punctuation
    return following.text[:1]


def _code_span(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if (
        text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip())
    ):
        text = f" {text} "
    return f"{fence}{text}{fence}"


_EQUATION_HAZARDS = re.compile(
    r"[$`*~]"  # math, code and emphasis delimiters (GFM takes a single ~ too)
    r"|\\[!-/:-@\[-`{-~]|\\$"  # a backslash escape Markdown would consume
    r"|<[A-Za-z/?!]"  # the start of an HTML tag, comment or autolink
    r"|&[#A-Za-z0-9]"  # a character reference
    r"|\]\(|\]\[|www\.|://|@"  # a link, or an autolink of GFM's extension
)


def portable_equation(expression: str, following: str = "") -> bool:
    """Whether ``$expression$`` means the same to GitHub and to every other renderer.

    It does when CommonMark leaves the text between the dollars alone: no delimiter,
    backslash escape, tag, entity or link inside; no ``_`` that could open emphasis;
    balanced brackets; no space inside the dollars and no digit after them (Pandoc's rule).
    """
    if not expression or expression != expression.strip() or following[:1].isdigit():
        return False
    if _EQUATION_HAZARDS.search(expression):
        return False
    if expression.count("[") != expression.count("]"):
        return False
    for match in re.finditer(r"_+", expression):
        before = expression[match.start() - 1] if match.start() else ""
        after = expression[match.end()] if match.end() < len(expression) else ""
        for symbols_are_punct in (False, True):
            left, right = _flanking(before, after, symbols_are_punct=symbols_are_punct)
            punct = {"punct", "symbol"} if symbols_are_punct else {"punct"}
            if left and (not right or _kind(before) in punct):
                return False  # an underscore run that could open emphasis
    return True


def _inline_equation(expression: str, following: str) -> str:
    """``$…$`` where that is unambiguous (see :func:`portable_equation`), else GitHub's
    ``$`…`$`` (backticks cannot occur in it, so they are dropped)."""
    if portable_equation(expression, following):
        return f"${expression}$"
    return f"$`{expression.replace('`', '')}`$"


def rich_text_markdown(
    rich_text: RichText | None,
    ctx: RenderContext,
    *,
    line_start: bool = True,
    newline: str = "\\\n",
) -> str:
    """Render rich text as Markdown inline text.

    Newlines in the text become ``newline`` (a hard line break by default; ``"<br>"`` in
    table cells, ``" "`` in headings). Callers add indentation for continuation lines.
    """
    pieces: list[Run | None] = []  # None marks a line break
    for run in runs_of(rich_text, ctx, ".md"):
        for number, part in enumerate(run.text.split("\n")):
            if number:
                pieces.append(None)
            if part:
                pieces.append(replace(run, text=part))
    while pieces and pieces[-1] is None:
        pieces.pop()
    out: list[str] = []
    at_line_start = line_start
    previous_used_markers = False
    for index, piece in enumerate(pieces):
        if piece is None:
            out.append(newline)
            at_line_start = newline.endswith("\n")
            previous_used_markers = False
            continue
        following = pieces[index + 1] if index + 1 < len(pieces) else None
        text, previous_used_markers = _markdown_piece(
            piece, following, at_line_start, out[-1][-1:] if out else "", previous_used_markers
        )
        if text.startswith("[") and out and out[-1].endswith("!") and not out[-1].endswith("\\!"):
            out[-1] = out[-1][:-1] + "\\!"
        out.append(text)
        at_line_start = False
    return "".join(out)


def _markdown_piece(
    run: Run, following: Run | None, line_start: bool, before: str, previous_used_markers: bool
) -> tuple[str, bool]:
    """Render one single-line run; return the text and whether it used ``*``/``~`` markers."""
    if not run.wrapped:
        return escape_markdown(run.text, line_start=line_start), False
    if run.image:
        return inline_image(run.image, run.text), False
    stripped = run.text.strip(" \t")
    if not stripped or run.equation or run.code:
        stripped = run.text
    lead = run.text[: run.text.index(stripped)] if stripped else ""
    trail = run.text[len(lead) + len(stripped) :]
    lead_text = escape_markdown(lead, line_start=line_start) if lead else ""
    if run.equation:
        inner = _inline_equation(run.text, _char_after(trail, following))
    elif run.code:
        inner = _code_span(run.text)
    else:
        inner = escape_markdown(stripped, line_start=line_start and not lead)
    if run.underline:
        inner = f"<ins>{inner}</ins>"  # GitHub strips <u> but keeps <ins>, underlined
    if run.highlighted:
        inner = f"<mark>{inner}</mark>"
    emphasis = run.bold or run.italic or run.strikethrough
    used_markers = False
    if emphasis:
        char_before = lead[-1:] if lead else before
        nested = run.strikethrough and (run.bold or run.italic)  # two runs: ``**~~``
        left_ok = (
            not (previous_used_markers and not lead)
            and char_before not in ("*", "~", "_", "\\")
            and can_open(char_before, "~" if nested else inner[0])
            and can_open("~", inner[0])  # the inner ``~~`` run, when nested
        )
        right_ok = can_close("~" if nested else inner[-1], _char_after(trail, following))
        right_ok = right_ok and can_close(inner[-1], "~")
        used_markers = left_ok and right_ok
        if used_markers:
            if run.strikethrough:
                inner = f"~~{inner}~~"
            if run.italic:
                inner = f"*{inner}*"
            if run.bold:
                inner = f"**{inner}**"
        else:
            if run.strikethrough:
                inner = f"<del>{inner}</del>"
            if run.italic:
                inner = f"<em>{inner}</em>"
            if run.bold:
                inner = f"<strong>{inner}</strong>"
    if run.href:
        inner = f"[{inner}]({run.href})"
        used_markers = False
    return lead_text + inner + escape_markdown(trail, line_start=False), used_markers


# --- HTML -------------------------------------------------------------------------------


def inline_image(source: str, alt: str) -> str:
    """A custom emoji's picture at text size (inline HTML, valid in Markdown too)."""
    return (
        f'<img src="{html.escape(source)}" alt="{html.escape(alt)}" '
        f'width="{INLINE_IMAGE_SIZE}" height="{INLINE_IMAGE_SIZE}">'
    )


def rich_text_html(rich_text: RichText | None, ctx: RenderContext, suffix: str = ".html") -> str:
    """Render rich text as escaped HTML inline content (newlines become ``<br>``).

    ``suffix`` is the extension of links to other pages (".md" inside Markdown files).
    """
    out: list[str] = []
    for run in runs_of(rich_text, ctx, suffix):
        if run.image:
            out.append(inline_image(run.image, run.text))
            continue
        if run.equation:
            text = equation_html(run.text, block=False)
        else:
            text = html.escape(run.text).replace("\n", "<br>\n")
        if run.code:
            text = f"<code>{text}</code>"
        if run.strikethrough:
            text = f"<s>{text}</s>"
        if run.underline:
            text = f"<u>{text}</u>"
        if run.italic:
            text = f"<em>{text}</em>"
        if run.bold:
            text = f"<strong>{text}</strong>"
        if run.color != "default":
            text = f'<span class="color-{html.escape(run.color)}">{text}</span>'
        if run.href and clickable(run.href):
            text = f'<a href="{html.escape(run.href)}">{text}</a>'
        elif run.href:
            text = f'{text} <span class="link-text">({html.escape(run.href)})</span>'
        out.append(text)
    return "".join(out)


def json_text(value: Any) -> str:
    """Deterministic JSON text of any value (for data without a better rendering)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
