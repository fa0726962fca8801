"""The fake Notion API: an in-memory workspace answering as Notion, with one entry point.

    ws = Workspace(clock=FakeClock())
    generate_workspace(ws, pages=50)
    fake = FakeNotion(ws)                       # fake.handle(httpx.Request) -> httpx.Response
    NotionClient("secret_fake", transport=httpx.MockTransport(fake.handle))
    with FakeNotionServer(ws) as server:        # the same, over HTTP on loopback
        ...  # point a NotionClient at server.base_url with token "secret_fake"

It stands for Notion itself, beside the client package (``notion_syncd.notion``), and shares
no code with the product beyond the id formatting of :mod:`notion_syncd.terms`.

Modules: ``api`` (``FakeNotion.handle``: faults, headers, routing, files), ``server`` (the
HTTP adapter), ``workspace`` (objects and the edit API), ``richtext`` (block and rich-text
builders), ``properties`` (schemas and values), ``serialize`` (records → API JSON),
``handlers`` (endpoints), ``query`` (query filters and sorts), ``routing``, ``faults``,
``files`` (signed URLs), ``request_log``, ``generate``.
"""

from __future__ import annotations

from notion_syncd.fake_notion.api import ConnectionReset, FakeNotion, RequestStalled
from notion_syncd.fake_notion.clock import FakeClock
from notion_syncd.fake_notion.faults import Faults, RateLimit
from notion_syncd.fake_notion.generate import demo_edits, demo_workspace, generate_workspace
from notion_syncd.fake_notion.request_log import RequestLog, RequestLogEntry
from notion_syncd.fake_notion.server import FakeNotionServer, HoldPoint
from notion_syncd.fake_notion.workspace import UnknownObject, Workspace

__all__ = [
    "ConnectionReset",
    "FakeClock",
    "FakeNotion",
    "FakeNotionServer",
    "Faults",
    "HoldPoint",
    "RateLimit",
    "RequestLog",
    "RequestLogEntry",
    "RequestStalled",
    "UnknownObject",
    "Workspace",
    "demo_edits",
    "demo_workspace",
    "generate_workspace",
]
