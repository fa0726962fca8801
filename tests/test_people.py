"""Commit authors' names: asked about ahead (``People.warm``), once per user."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from notion_syncd.fake_notion import FakeNotion, Workspace
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync.people import People

TOKEN = "secret_people"


def test_people_warm_asks_ahead_once() -> None:
    """An editor warmed in the pool is named from that answer; nobody is asked twice."""
    ws = Workspace()
    fake = FakeNotion(ws, token=TOKEN)
    client = NotionClient(
        TOKEN, base_url="https://api.notion.test", transport=httpx.MockTransport(fake.handle)
    )
    with client, ThreadPoolExecutor(2) as pool:
        people = People(client, real_emails=False, ahead=pool)
        people.warm([ws.bot_id, ws.bot_id])
        people.warm([ws.bot_id])
        author = people.identity(ws.bot_id)
        assert people.identity(ws.bot_id) == author
    assert author.name == ws.users[ws.bot_id]["name"]
    assert fake.request_log.count("users.retrieve") == 1


def test_people_warm_cancelled_asks_again() -> None:
    """A lookup cancelled with its pool (the sync stopped) is asked inline at commit time."""
    ws = Workspace()
    fake = FakeNotion(ws, token=TOKEN)
    client = NotionClient(
        TOKEN, base_url="https://api.notion.test", transport=httpx.MockTransport(fake.handle)
    )
    pool = ThreadPoolExecutor(1)
    busy = threading.Event()
    pool.submit(busy.wait, 10)  # the one worker is busy: the lookup stays queued
    with client:
        people = People(client, real_emails=False, ahead=pool)
        people.warm([ws.bot_id])
        pool.shutdown(wait=False, cancel_futures=True)
        busy.set()
        assert people.identity(ws.bot_id).name == ws.users[ws.bot_id]["name"]
    assert fake.request_log.count("users.retrieve") == 1


def test_people_warm_probes_one_user_until_names_are_readable() -> None:
    """Without the user capability only one lookup is asked ahead (one 403 is enough)."""
    ws = Workspace()
    ws.users_readable = False
    fake = FakeNotion(ws, token=TOKEN)
    client = NotionClient(
        TOKEN, base_url="https://api.notion.test", transport=httpx.MockTransport(fake.handle)
    )
    others = [ws.new_id() for _ in range(3)]
    with client, ThreadPoolExecutor(4) as pool:
        people = People(client, real_emails=False, ahead=pool)
        people.warm([ws.bot_id, *others])
        assert people.identity(ws.bot_id).name == ws.bot_id  # the fallback: the user id
        people.warm(others)
        for user_id in others:
            assert people.identity(user_id).name == user_id
    assert fake.request_log.count("users.retrieve") == 1
