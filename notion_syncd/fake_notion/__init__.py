"""The fake Notion API: an in-memory workspace served over HTTP on loopback.

    ws = Workspace(clock=FakeClock())
    generate_workspace(ws, pages=50)
    with FakeNotionServer(ws) as server:
        ...  # point a NotionClient at server.base_url with token "secret_fake"

Modules: ``workspace`` (objects and the edit API), ``richtext`` (block and rich-text
builders), ``properties`` (schemas and values), ``serialize`` (records → API JSON),
``handlers`` (endpoints), ``query`` (query filters and sorts), ``routing``, ``server`` (HTTP,
faults applied), ``faults``, ``files`` (signed URLs), ``request_log``, ``generate``.
"""

from __future__ import annotations

from notion_syncd.fake_notion.clock import FakeClock
from notion_syncd.fake_notion.faults import Faults, RateLimit
from notion_syncd.fake_notion.generate import demo_edits, demo_workspace, generate_workspace
from notion_syncd.fake_notion.request_log import RequestLog, RequestLogEntry
from notion_syncd.fake_notion.server import FakeNotionServer
from notion_syncd.fake_notion.workspace import UnknownObject, Workspace

__all__ = [
    "FakeClock",
    "FakeNotionServer",
    "Faults",
    "RateLimit",
    "RequestLog",
    "RequestLogEntry",
    "UnknownObject",
    "Workspace",
    "demo_edits",
    "demo_workspace",
    "generate_workspace",
]
