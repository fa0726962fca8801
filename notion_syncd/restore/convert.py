"""Stored JSON → what the Notion API accepts on write (pure).

A stored block (``{"type": t, t: {...}, "children": [...]}``, see ARCHITECTURE "record")
becomes a :class:`Node`: the request block without its children, the children as nodes,
and the original block id as its key. Rich text is rewritten for writing: runs longer
than 2,000 characters (counted in UTF-16 units, as Notion counts) are split into runs
with the same annotations and link. What the API cannot create becomes the nearest
block that it can, and a :class:`Degradation` says so: nothing is dropped silently.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from notion_syncd.terms import compact_id

JSON = dict[str, Any]
MAX_RUN = 2000
MAX_URL = 2000
MAX_EQUATION = 1000
MAX_RUNS = 100
UPLOAD_PREFIX = "upload:"
TEXT_TYPES = (
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
)
FILE_BLOCK_TYPES = ("image", "video", "pdf", "audio", "file")
WRITABLE_KEYS: dict[str, tuple[str, ...]] = {
    **{kind: ("rich_text", "color") for kind in TEXT_TYPES},
    "heading_1": ("rich_text", "color", "is_toggleable"),
    "heading_2": ("rich_text", "color", "is_toggleable"),
    "heading_3": ("rich_text", "color", "is_toggleable"),
    "to_do": ("rich_text", "color", "checked"),
    "callout": ("rich_text", "color", "icon"),
    "code": ("rich_text", "caption", "language"),
    "equation": ("expression",),
    "divider": (),
    "breadcrumb": (),
    "table_of_contents": ("color",),
    "table": ("table_width", "has_column_header", "has_row_header"),
    "table_row": ("cells",),
    "column_list": (),
    "column": ("width_ratio",),
    "bookmark": ("url", "caption"),
    "embed": ("url", "caption"),
    **{kind: ("type", "external", "caption", "name") for kind in FILE_BLOCK_TYPES},
    "link_to_page": ("type", "page_id", "database_id"),
    "synced_block": ("synced_from",),
}
CREATABLE_MENTIONS = frozenset({"user", "page", "database", "date"})
KEEPS_ICON = frozenset({"emoji", "external", "custom_emoji"})


def original_name(file_object: JSON) -> str:
    """The name the file had in Notion: the last segment of its source URL's path."""
    source = str((file_object.get("file") or {}).get("source_url") or "")
    return unquote(urlsplit(source).path.rsplit("/", 1)[-1]) if source else ""


@dataclass(frozen=True)
class Degradation:
    """Something restored differently from how it was stored, and why."""

    page: str  # original id of the page whose content it is
    block: str  # original id of the block (or the page for icon, cover, properties)
    what: str  # e.g. "link_preview → paragraph with a link"


@dataclass
class Node:
    """A block to create: request body (without children), its children, its original id."""

    key: str
    block: JSON
    children: list[Node] = field(default_factory=list)
    page: str | None = None  # a child page to create here (its original id), not a block

    @property
    def block_type(self) -> str:
        return str(self.block.get("type", ""))

    def count(self) -> int:
        """Blocks in this subtree."""
        return 1 + sum(child.count() for child in self.children)


def utf16_length(text: str) -> int:
    """Length as Notion counts it (JavaScript string length)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_RUN) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-16 units (never inside a character)."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current or not pieces:
        pieces.append("".join(current))
    return pieces


class Converter:
    """Converts the stored blocks of one page, collecting degradations."""

    def __init__(
        self, page_id: str, files: Mapping[str, int] | None = None, max_upload: int = 0
    ) -> None:
        self.page_id = page_id
        self.files = files or {}
        self.max_upload = max_upload
        self.degradations: list[Degradation] = []

    def upload_of(self, file_object: JSON, object_id: str, what: str) -> JSON | None:
        """A ``file_upload`` reference for a hosted file kept in ``_files/``, else None."""
        url = str((file_object.get("file") or {}).get("url", ""))
        size = self.files.get(url)
        if file_object.get("download_error") or size is None:
            self.degrade(object_id, f"{what}: hosted file not in the mirror ({url})")
            return None
        if size > self.max_upload:
            self.degrade(
                object_id, f"{what}: {url} is {size} bytes, over the upload limit {self.max_upload}"
            )
            return None
        reference = {"id": UPLOAD_PREFIX + url}
        name = original_name(file_object)
        if name:  # the plan's upload step sends it; the block refers by id only
            reference["filename"] = name
        return {"type": "file_upload", "file_upload": reference}

    def degrade(self, block_id: str, what: str) -> None:
        self.degradations.append(Degradation(self.page_id, block_id, what))

    # ------------------------------------------------------------------ rich text

    def rich_text(self, items: list[JSON], block_id: str) -> list[JSON]:
        """A stored rich-text array as a request array, long runs split."""
        result: list[JSON] = []
        for item in items or []:
            result.extend(self._element(item, block_id))
        return result

    def _element(self, item: JSON, block_id: str) -> list[JSON]:
        kind = item.get("type")
        annotations = copy.deepcopy(item.get("annotations") or {})
        if kind == "equation":
            expression = str(item.get("equation", {}).get("expression", ""))
            if utf16_length(expression) <= MAX_EQUATION:
                eq: JSON = {"type": "equation", "equation": {"expression": expression}}
                return [{**eq, "annotations": annotations}]
            self.degrade(block_id, "equation over 1,000 characters → code-formatted text")
            return self._text(expression, None, {**annotations, "code": True})
        if kind == "mention":
            mention = item.get("mention") or {}
            if mention.get("type") in CREATABLE_MENTIONS:
                return [{"type": "mention", "mention": mention, "annotations": annotations}]
            self.degrade(block_id, f"{mention.get('type')} mention → text with a link")
            return self._text(str(item.get("plain_text", "")), item.get("href"), annotations)
        text = item.get("text") or {}
        link = text.get("link") or {}
        return self._text(str(text.get("content", "")), link.get("url"), annotations, block_id)

    def _text(
        self, content: str, url: Any, annotations: JSON, block_id: str | None = None
    ) -> list[JSON]:
        link = {"url": url} if isinstance(url, str) and url else None
        if link is not None and utf16_length(url) > MAX_URL:
            self.degrade(block_id or self.page_id, "link over 2,000 characters → its text only")
            link = None
        return [
            {"type": "text", "text": {"content": piece, "link": link}, "annotations": annotations}
            for piece in split_text(content)
        ]

    # ------------------------------------------------------------------ blocks

    def nodes(self, blocks: list[JSON]) -> list[Node]:
        """Stored blocks (with nested ``children``) as nodes to create, in order."""
        result: list[Node] = []
        for block in blocks:
            result.extend(self.node(block))
        return result

    def node(self, block: JSON) -> list[Node]:
        """One stored block as one node, or several (rich text over 100 runs continues)."""
        block_id = str(block.get("id", ""))
        kind = str(block.get("type", ""))
        stored = block.get(kind)
        payload: JSON = stored if isinstance(stored, dict) else {}
        children = self.nodes(block.get("children") or [])
        if kind in ("child_page", "child_database"):
            title = {"title": str(payload.get("title", "")), "kind": kind}
            return [Node(block_id, title, [], page=block_id)]
        if kind == "synced_block" and payload.get("synced_from"):
            self.degrade(block_id, "synced block copy → a new synced block with the same content")
            payload = {"synced_from": None}
        if kind not in WRITABLE_KEYS:
            return [self._stand_in(block_id, kind, payload, children)]
        body = {key: copy.deepcopy(payload[key]) for key in WRITABLE_KEYS[kind] if key in payload}
        if kind in FILE_BLOCK_TYPES and payload.get("type") != "external":
            upload = self.upload_of(payload, block_id, kind)
            if upload is not None:
                kept = {k: v for k, v in body.items() if k in ("caption", "name")}
                body = {**upload, **kept}
                body["caption"] = self.rich_text(body.get("caption") or [], block_id)
                return [Node(block_id, {"type": kind, kind: body}, children)]
            url = str((payload.get(str(payload.get("type"))) or {}).get("url", ""))
            self.degrade(block_id, f"{kind} hosted by Notion ({url}) → paragraph naming the file")
            caption = self.rich_text(payload.get("caption") or [], block_id)
            label = text_run(f"📎 {payload.get('name') or url.rsplit('/', 1)[-1]}")
            return [Node(block_id, paragraph_block([label, *caption]), children)]
        if kind == "callout" and (body.get("icon") or {}).get("type") not in KEEPS_ICON:
            if body.get("icon"):
                self.degrade(block_id, "callout icon hosted by Notion → no icon")
            body.pop("icon", None)
        for key in ("rich_text", "caption"):
            if key in body:
                body[key] = self.rich_text(body[key], block_id)
        if kind == "table_row":
            body["cells"] = [self.rich_text(cell, block_id) for cell in body.get("cells", [])]
        return self._within_run_limit(block_id, kind, body, children)

    def _within_run_limit(
        self, block_id: str, kind: str, body: JSON, children: list[Node]
    ) -> list[Node]:
        runs = body.get("rich_text") or []
        if len(runs) <= MAX_RUNS:
            return [Node(block_id, {"type": kind, kind: body}, children)]
        self.degrade(block_id, f"{kind} over {MAX_RUNS} text runs → continued in paragraphs")
        body["rich_text"] = runs[:MAX_RUNS]
        first = Node(block_id, {"type": kind, kind: body}, children)
        rest = [
            Node(f"{block_id}#{n}", paragraph_block(runs[start : start + MAX_RUNS]))
            for n, start in enumerate(range(MAX_RUNS, len(runs), MAX_RUNS), start=1)
        ]
        return [first, *rest]

    def _stand_in(self, block_id: str, kind: str, payload: JSON, children: list[Node]) -> Node:
        """The nearest creatable block for one the API cannot create."""
        if kind in ("link_preview", "embed_preview"):
            url = str(payload.get("url", ""))
            self.degrade(block_id, f"{kind} → paragraph with a link")
            return Node(block_id, paragraph_block(self._text(url, url, {})), children)
        text = self.rich_text(payload.get("rich_text") or [], block_id)
        inner = payload.get("block_type") if kind == "unsupported" else None
        label = f"{kind} ({inner})" if inner else kind
        self.degrade(block_id, f"{label} cannot be created through the API → paragraph")
        return Node(block_id, paragraph_block(text or [text_run(f"[{label}]")]), children)

    def child_link(self, block_id: str, title: str, kind: str) -> Node:
        """A sub-page or database that is not restored: a paragraph linking to the original."""
        self.degrade(block_id, f"{kind} not restored (no --recursive) → link to the original")
        url = f"https://www.notion.so/{compact_id(block_id)}"
        icon = "🗂" if kind == "child_database" else "📄"
        return Node(block_id, paragraph_block(self._text(f"{icon} {title}", url, {})))


def text_run(content: str) -> JSON:
    return {"type": "text", "text": {"content": content, "link": None}, "annotations": {}}


def paragraph_block(runs: list[JSON]) -> JSON:
    return {"type": "paragraph", "paragraph": {"rich_text": runs, "color": "default"}}
