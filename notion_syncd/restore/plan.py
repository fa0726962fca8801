"""Plan a restore (pure): stored page records → the ordered API requests that recreate them.

    plan = plan_restore(root_id, records, parent={"type": "page_id", "page_id": ...},
                        recursive=False)

Every request respects Notion's write limits: ≤ 100 children per array, ≤ 2 levels of
nesting per request (a column list's columns do not count), ≤ 1,000 block elements and a
payload well under 500 KB. What does not fit is appended by later requests to the block
that holds it (its new id is learned from the answer that created it, or by listing its
parent's children when it was created nested). Order among siblings is kept: a child
page is created when its place in its parent's content comes (a new page goes at the end
of its parent's content). A child page nested in a block (a toggle, a column) cannot be
created there through the API: it goes at the end of its page, and a degradation says so.

Keys name what a request creates: a page's or block's original id. A step's ``target``
is the key whose new id it needs (``""`` for the restore's own parent, which exists).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from notion_syncd.restore.convert import (
    UPLOAD_PREFIX,
    Converter,
    Degradation,
    Node,
    paragraph_block,
    text_run,
)
from notion_syncd.restore.properties import page_looks, page_properties, schema_for_create
from notion_syncd.terms import page_title

JSON = dict[str, Any]
MAX_CHILDREN = 100
MAX_ELEMENTS = 1000
MAX_BYTES = 400_000  # Notion allows 500 KB; the margin covers the envelope and encoding
MAX_LEVEL = 2
NEEDS_CHILDREN = frozenset({"table", "column_list"})
SOURCE_PREFIX = "ds:"  # key of a restored data source: ds:<original data source id>


@dataclass(frozen=True)
class Sent:
    """What one request created at one place: the key, and what it created beneath."""

    key: str
    children: tuple[Sent, ...] = ()


@dataclass(frozen=True)
class Step:
    """One write request."""

    action: Literal["create_page", "create_database", "append", "upload"]
    target: str  # key of the page (create) or block (append) the request goes to; "" = parent
    body: JSON  # request body; for a create, ``parent`` is filled in when the step runs
    sent: tuple[Sent, ...]  # the first-level blocks it creates, in order
    page: str = ""  # create: the original id of the page it creates; upload: the file's path
    blocks: int = 0  # block elements in the request

    @property
    def label(self) -> str:
        """A stable name for the journal: action and what it creates."""
        first = self.page or (self.sent[0].key if self.sent else "")
        return f"{self.action}:{self.target}:{first}"


@dataclass(frozen=True)
class PagePlan:
    """A page the restore creates, for the dry-run listing."""

    key: str
    title: str
    blocks: int


@dataclass(frozen=True)
class Plan:
    """Everything a restore will do."""

    steps: tuple[Step, ...]
    pages: tuple[PagePlan, ...]
    degradations: tuple[Degradation, ...]
    parent: JSON
    uploads: tuple[tuple[str, int], ...] = ()  # mirror path of each file to upload, its size
    sources: Mapping[str, str] = field(default_factory=dict)  # database → its data source

    def needed(self) -> frozenset[str]:
        """Keys whose new id a later step needs."""
        return frozenset(step.target for step in self.steps if step.target)


@dataclass
class _Packed:
    block: JSON
    sent: Sent
    count: int
    deferred: list[tuple[str, list[Node]]] = field(default_factory=list)


def _pack(node: Node, level: int, page_key: str, late: list[Node]) -> _Packed:
    """``node`` as a request block at ``level`` with the children that fit inline."""
    kind = node.block_type
    if not node.children:
        return _Packed(node.block, Sent(node.key), 1)
    block = {**node.block, kind: dict(node.block[kind])}  # gains "children"; the node stays
    child_level = level if kind == "column_list" else level + 1
    if child_level > MAX_LEVEL:
        return _Packed(block, Sent(node.key), 1, [(node.key, node.children)])
    inline: list[Node] = []
    for child in node.children[:MAX_CHILDREN]:
        if child.page or (child_level == MAX_LEVEL and child.block_type in NEEDS_CHILDREN):
            break
        inline.append(child)
    rest = node.children[len(inline) :]
    if kind == "column" and not inline:
        inline = [Node(f"{node.key}#placeholder", paragraph_block([text_run("")]))]
    packed = [_pack(child, child_level, page_key, late) for child in inline]
    block[kind]["children"] = [item.block for item in packed]
    deferred = [entry for item in packed for entry in item.deferred]
    if rest:
        deferred.append((node.key, rest))
    sent = Sent(node.key, tuple(item.sent for item in packed))
    return _Packed(block, sent, 1 + sum(item.count for item in packed), deferred)


class _Planner:
    def __init__(
        self,
        records: Mapping[str, JSON],
        recursive: bool,
        files: Mapping[str, int],
        max_upload: int,
    ) -> None:
        self.records = records
        self.recursive = recursive
        self.files = files
        self.max_upload = max_upload
        self.steps: list[Step] = []
        self.sources: dict[str, str] = {}
        self.pages: list[PagePlan] = []
        self.degradations: list[Degradation] = []

    def page(self, page_id: str, target: str, parent_kind: str) -> None:
        """Plan one page: its creation with the first children, then the rest."""
        record = self.records[page_id]
        page = record.get("page") or {}
        conv = Converter(page_id, self.files, self.max_upload)
        nodes = conv.nodes(record.get("blocks") or [])
        nodes = [self._page_or_link(conv, node) for node in nodes]
        body: JSON = {
            "properties": page_properties(
                conv,
                page,
                under_data_source=parent_kind == "data_source",
                status_as_select=target.startswith(SOURCE_PREFIX),
            ),
            **page_looks(conv, page),
        }
        self.pages.append(PagePlan(page_id, page_title(page), sum(n.count() for n in nodes)))
        late: list[Node] = []
        queue: deque[tuple[str, list[Node]]] = deque()
        first, rest = self._batch(nodes, page_id, late, queue)
        if first is not None:
            body["children"] = first[0]
        created = Step("create_page", target, body, first[1] if first else (), page_id)
        self.steps.append(created if first is None else _with_count(created, first[2]))
        queue.appendleft((page_id, rest))
        self._drain(queue, page_id, late)
        for node in late:
            conv.degrade(node.key, "child page inside a block → created at the end of its page")
            self._child_page(node, page_id)
        self.degradations.extend(conv.degradations)

    def _page_or_link(self, conv: Converter, node: Node) -> Node:
        if node.page and not (self.recursive and node.page in self.records):
            title, kind = str(node.block.get("title", "")), str(node.block.get("kind", ""))
            return conv.child_link(node.key, title, kind)
        node.children = [self._page_or_link(conv, child) for child in node.children]
        return node

    def _child_page(self, node: Node, page_key: str) -> None:
        if "data_source" in self.records[node.key]:
            self.database(node.key, page_key)
        else:
            self.page(node.key, page_key, "page")

    def database(self, database_id: str, page_key: str) -> None:
        """Plan a database: its creation with the schema, then each row as a page."""
        record = self.records[database_id]
        conv = Converter(database_id, self.files, self.max_upload)
        source = record["data_source"]
        database = record.get("database") or {}
        body: JSON = {
            "title": conv.rich_text(database.get("title") or source.get("title") or [], ""),
            "is_inline": bool(database.get("is_inline")),
            "initial_data_source": {
                "properties": schema_for_create(conv, source, record.get("property_order"))
            },
        }
        icon = page_looks(conv, database).get("icon")
        if icon is not None:
            body["icon"] = icon
        self.steps.append(Step("create_database", page_key, body, (), database_id))
        self.degradations.extend(conv.degradations)
        self.pages.append(PagePlan(database_id, plain_title(body["title"]), 0))
        self.sources[database_id] = str(source["id"])
        source_key = SOURCE_PREFIX + str(source["id"])
        for row in record.get("rows") or []:
            self.page(row, source_key, "data_source")

    def _batch(
        self,
        nodes: list[Node],
        container: str,
        late: list[Node],
        queue: deque[tuple[str, list[Node]]],
    ) -> tuple[tuple[list[JSON], tuple[Sent, ...], int] | None, list[Node]]:
        """The next request's blocks for ``container`` and the nodes left after them."""
        blocks: list[JSON] = []
        sent: list[Sent] = []
        count = size = 0
        taken = 0
        for node in nodes:
            if node.page:
                break
            packed = _pack(node, 1, container, late)
            weight = len(json.dumps(packed.block, ensure_ascii=False).encode())
            full = len(blocks) >= MAX_CHILDREN or count + packed.count > MAX_ELEMENTS
            if blocks and (full or size + weight > MAX_BYTES):
                break
            blocks.append(packed.block)
            sent.append(packed.sent)
            count += packed.count
            size += weight
            taken += 1
            queue.extend(packed.deferred)
        rest = nodes[taken:]
        return ((blocks, tuple(sent), count) if blocks else None), rest

    def _drain(self, queue: deque[tuple[str, list[Node]]], page_id: str, late: list[Node]) -> None:
        while queue:
            container, nodes = queue.popleft()
            while nodes:
                if nodes[0].page:
                    if container == page_id:
                        self._child_page(nodes[0], page_id)
                    else:
                        late.append(nodes[0])
                    nodes = nodes[1:]
                    continue
                batch, nodes = self._batch(nodes, container, late, queue)
                assert batch is not None
                blocks, sent, count = batch
                self.steps.append(Step("append", container, {"children": blocks}, sent, "", count))


def _with_count(step: Step, count: int) -> Step:
    return Step(step.action, step.target, step.body, step.sent, step.page, count)


def plain_title(runs: list[JSON]) -> str:
    """The text of request rich text."""
    return "".join(str((run.get("text") or {}).get("content", "")) for run in runs)


def _uploads_in(value: Any, found: list[tuple[str, str]]) -> None:
    """(mirror path, original file name) of every planned upload ``value`` refers to."""
    if isinstance(value, list):
        for item in value:
            _uploads_in(item, found)
    elif isinstance(value, dict):
        if value.get("type") == "file_upload":
            reference = value["file_upload"]
            path = str(reference["id"])[len(UPLOAD_PREFIX) :]
            found.append((path, str(reference.get("filename") or "")))
        for item in value.values():
            _uploads_in(item, found)


def _with_uploads(steps: list[Step]) -> list[Step]:
    """An upload step before the first step that attaches each file (uploads expire)."""
    result: list[Step] = []
    uploaded: set[str] = set()
    for step in steps:
        used: list[tuple[str, str]] = []
        _uploads_in(step.body, used)
        for path, name in used:
            if path not in uploaded:
                uploaded.add(path)
                body = {"filename": name} if name else {}
                result.append(Step("upload", "", body, (), path))
        result.append(step)
    return result


def plan_restore(
    root: str,
    records: Mapping[str, JSON],
    *,
    parent: JSON,
    recursive: bool = False,
    files: Mapping[str, int] | None = None,
    max_upload: int = 0,
) -> Plan:
    """The requests that recreate ``records[root]`` (and, recursively, its child pages).

    ``parent`` is the API parent of the new page: ``{"type": "page_id", "page_id": ...}``
    or ``{"type": "data_source_id", "data_source_id": ...}``. ``files`` gives the size of
    each file the mirror holds (``_files/…`` path → bytes); those up to ``max_upload``
    bytes are uploaded again, the others degraded.
    """
    files = files or {}
    planner = _Planner(records, recursive, files, max_upload)
    kind = "data_source" if parent.get("type") == "data_source_id" else "page"
    planner.page(root, "", kind)
    steps = _with_uploads(planner.steps)
    uploads = tuple((step.page, files[step.page]) for step in steps if step.action == "upload")
    return Plan(
        tuple(steps),
        tuple(planner.pages),
        tuple(planner.degradations),
        dict(parent),
        uploads,
        planner.sources,
    )
