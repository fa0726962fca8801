"""Workspaces to sync: a large realistic one for tests and benchmarks, a small pleasant demo.

``generate_workspace`` covers every common block type and property type, nested pages
``depth`` levels deep, synced blocks, an ``unsupported`` block with children, hosted and
external files, and rows with more than 25 relations. Same seed, same workspace.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable
from typing import Any

from notion_syncd.fake_notion import richtext as rt
from notion_syncd.fake_notion.richtext import plain_text
from notion_syncd.fake_notion.workspace import Workspace

JSON = dict[str, Any]
_SENTENCE = (
    "alpha beta gamma delta sync mirror notion git page block tree branch commit merge "
    "river mountain coffee lantern harbor meadow signal vector garden orbit pixel quartz "
    "ember willow falcon summit canyon prairie glacier"
)
WORDS = tuple(_SENTENCE.split())
STATUS_OPTIONS = ("Not started", "In progress", "Done")


def tiny_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (70, 130, 180)) -> bytes:
    """A valid solid-colour PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def tiny_pdf(text: str = "notion-syncd") -> bytes:
    """A minimal one-page PDF."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
        + f"% {text}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count)).capitalize()


class _Generator:
    def __init__(self, ws: Workspace, seed: int) -> None:
        self.ws = ws
        self.rng = random.Random(seed)
        self.page_ids: list[str] = []
        self.users = [ws.add_user(name) for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing")]
        self.image = ws.add_file(tiny_png(), "diagram.png")
        self.pdf = ws.add_file(tiny_pdf(), "report.pdf")
        self.attachment = ws.add_file(b"hello from the fake workspace\n", "notes.txt")

    def text(self, words: int = 8) -> str:
        return _words(self.rng, words)

    def rich_paragraph(self) -> JSON:
        parts: list[rt.TextLike] = [
            self.text(5) + " ",
            rt.rich_text("bold", bold=True),
            " and ",
            rt.rich_text("a link", link="https://example.com/docs"),
            " ",
            rt.rich_text("code", code=True),
        ]
        if self.page_ids:
            target = self.rng.choice(self.page_ids)
            parts += [" see ", rt.mention_page(target, self.ws.title_of(target))]
        parts += [
            " ",
            rt.mention_user(self.users[0], "Ada Lovelace"),
            " ",
            rt.mention_date("2026-02-01"),
            " ",
            rt.equation_text("a^2+b^2=c^2"),
        ]
        return rt.paragraph(*parts)

    def kits(self) -> list[Callable[[], list[JSON]]]:
        """Block groups; every page gets some, the first page gets them all."""
        return [
            lambda: [self.rich_paragraph()],
            lambda: [
                rt.heading(1, self.text(3)),
                rt.heading(2, self.text(3)),
                rt.heading(3, self.text(3), toggleable=True, children=[rt.paragraph(self.text())]),
            ],
            lambda: [
                rt.bulleted(
                    self.text(4),
                    children=[rt.bulleted(self.text(3), children=[rt.bulleted(self.text())])],
                ),
                rt.numbered(self.text(4), children=[rt.numbered(self.text(3))]),
                rt.numbered(self.text(4)),
            ],
            lambda: [rt.to_do(self.text(4), checked=True), rt.to_do(self.text(4))],
            lambda: [
                rt.toggle(self.text(3), children=[rt.paragraph(self.text()), rt.quote(self.text())])
            ],
            lambda: [rt.quote(self.text()), rt.callout(self.text(), emoji="🚀")],
            lambda: [
                rt.code("def sync():\n    return 'ok'\n", "python", caption="example"),
                rt.equation("E = mc^2"),
                rt.divider(),
            ],
            lambda: [rt.table([["Name", "Value"], [self.text(1), "1"], [self.text(1), "2"]])],
            lambda: [
                rt.columns(
                    [rt.paragraph(self.text())],
                    [rt.paragraph(self.text()), rt.bulleted(self.text(2))],
                )
            ],
            lambda: [
                rt.bookmark("https://example.com/article", caption=self.text(2)),
                rt.embed("https://example.com/embed"),
            ],
            lambda: [
                rt.media("image", self.image, caption="a hosted image"),
                rt.media("image", rt.external_file("https://example.com/photo.jpg")),
                rt.media("pdf", self.pdf),
                rt.media("file", self.attachment, name="notes.txt"),
                rt.media("file", rt.external_file("https://example.com/a.zip"), name="a.zip"),
            ],
            lambda: [rt.table_of_contents(), rt.breadcrumb()],
        ]

    def content(self, everything: bool) -> list[JSON]:
        kits = self.kits()
        chosen = kits if everything else self.rng.sample(kits, self.rng.randint(1, 4))
        blocks: list[JSON] = []
        for kit in chosen:
            blocks.extend(kit())
        if self.page_ids and self.rng.random() < 0.2:
            blocks.append(rt.link_to_page(self.rng.choice(self.page_ids)))
        return blocks


def generate_workspace(
    ws: Workspace,
    *,
    pages: int = 300,
    depth: int = 5,
    databases: int = 3,
    rows_per_database: int = 50,
    seed: int = 0,
) -> list[str]:
    """Fill ``ws`` with ``pages`` nested pages and ``databases`` databases; returns page ids."""
    gen = _Generator(ws, seed)
    depth_of: dict[str, int] = {}
    roots = max(1, min(3, pages))
    for index in range(pages):
        if index < roots:
            parent: str | None = None
        elif index < roots + depth - 1:
            parent = gen.page_ids[-1]  # one chain reaching the full depth
        else:
            shallow = [page for page in gen.page_ids if depth_of[page] < depth]
            parent = gen.rng.choice(shallow)
        page_id = ws.add_page(
            parent,
            gen.text(3),
            gen.content(everything=index == 0),
            icon={"type": "emoji", "emoji": gen.rng.choice("📄📘🧭🛠️🌱")},
        )
        depth_of[page_id] = 1 if parent is None else depth_of[parent] + 1
        gen.page_ids.append(page_id)
    _add_special_blocks(gen)
    sources: list[str] = []
    for number in range(databases):
        holder = gen.rng.choice(gen.page_ids[: max(1, len(gen.page_ids) // 2)])
        sources.append(_add_database(gen, holder, number, rows_per_database, sources))
    return gen.page_ids


def _add_special_blocks(gen: _Generator) -> None:
    ws = gen.ws
    first = gen.page_ids[0]
    original = ws.append_blocks(
        first, [rt.synced_original([rt.paragraph("Shared text"), rt.bulleted("Shared item")])]
    )[0]
    other = gen.page_ids[min(1, len(gen.page_ids) - 1)]
    ws.append_blocks(
        other,
        [
            rt.synced_duplicate(original),
            rt.unsupported("button", children=[rt.paragraph("hidden")]),
            rt.unsupported("ai_block"),
        ],
    )


def _schema(related_source: str | None) -> JSON:
    schema: JSON = {
        "Name": "title",
        "Notes": "rich_text",
        "Estimate": {"type": "number", "number": {"format": "number"}},
        "Priority": {
            "type": "select",
            "select": {
                "options": [{"name": "High", "color": "red"}, {"name": "Low", "color": "green"}]
            },
        },
        "Tags": {
            "type": "multi_select",
            "multi_select": {
                "options": [{"name": name} for name in ("docs", "infra", "ui", "bug")]
            },
        },
        "Status": {
            "type": "status",
            "status": {"options": [{"name": name} for name in STATUS_OPTIONS], "groups": []},
        },
        "Due": "date",
        "Owner": "people",
        "Attachments": "files",
        "Done": "checkbox",
        "Link": "url",
        "Email": "email",
        "Phone": "phone_number",
        "Score": {"type": "formula", "formula": {"expression": 'prop("Estimate") * 2'}},
        "Created": "created_time",
        "Edited": "last_edited_time",
        "Created by": "created_by",
        "ID": {"type": "unique_id", "unique_id": {"prefix": "TASK"}},
    }
    if related_source is not None:
        schema["Related"] = {
            "type": "relation",
            "relation": {
                "data_source_id": related_source,
                "type": "single_property",
                "single_property": {},
            },
        }
        schema["Related count"] = {
            "type": "rollup",
            "rollup": {
                "relation_property_name": "Related",
                "rollup_property_name": "Name",
                "function": "count",
            },
        }
    return schema


def _add_database(gen: _Generator, holder: str, number: int, rows: int, earlier: list[str]) -> str:
    ws = gen.ws
    related = earlier[0] if earlier else None
    inline = number % 2 == 1
    _, source_id = ws.add_database(
        holder, f"Tracker {number + 1}", _schema(related), inline=inline, description=gen.text(6)
    )
    related_rows = list(ws.data_sources[related].rows) if related else []
    for index in range(rows):
        relation_count = 30 if index == 0 and len(related_rows) >= 30 else gen.rng.randint(0, 3)
        values: JSON = {
            "Name": f"{gen.text(2)} {index + 1}",
            "Notes": [rt.rich_text(gen.text(4)), rt.rich_text(" important", bold=True)],
            "Estimate": gen.rng.randint(1, 13),
            "Priority": gen.rng.choice(["High", "Low", None]),
            "Tags": gen.rng.sample(["docs", "infra", "ui", "bug"], gen.rng.randint(0, 2)),
            "Status": gen.rng.choice(STATUS_OPTIONS),
            "Due": f"2026-0{gen.rng.randint(1, 9)}-1{gen.rng.randint(0, 9)}",
            "Owner": gen.rng.sample(gen.users, gen.rng.randint(0, 2)),
            "Attachments": [{"name": "diagram.png", **gen.image}] if index % 5 == 0 else [],
            "Done": gen.rng.random() < 0.4,
            "Link": "https://example.com/item" if index % 3 == 0 else None,
            "Email": "team@example.com" if index % 4 == 0 else None,
            "Phone": "+1 555 0100" if index % 6 == 0 else None,
            "Score": gen.rng.randint(2, 26),
        }
        if related:
            values["Related"] = gen.rng.sample(related_rows, min(relation_count, len(related_rows)))
        blocks = [rt.paragraph(gen.text())] if index % 2 == 0 else None
        ws.add_row(source_id, values, blocks)
    return source_id


# ---------------------------------------------------------------------- demo


def demo_workspace(ws: Workspace) -> dict[str, str]:
    """A small team handbook with a tasks database and an image; returns ids by name."""
    people = {name: ws.add_user(name) for name in ("Ada Lovelace", "Grace Hopper")}
    logo = ws.add_file(tiny_png(16, 16, (233, 84, 32)), "team-logo.png")
    handbook = ws.add_page(
        None,
        "Team Handbook",
        [
            rt.callout("Welcome! This handbook is mirrored to Git by notion-syncd.", emoji="👋"),
            rt.media("image", logo, caption="Our logo"),
            rt.heading(2, "How we work"),
            rt.bulleted("Write things down"),
            rt.bulleted("Small changes, often"),
            rt.bulleted("Ask for help early"),
        ],
        icon={"type": "emoji", "emoji": "📘"},
    )
    onboarding = ws.add_page(
        handbook,
        "Onboarding",
        [
            rt.paragraph("Your first week, step by step."),
            rt.to_do("Get your laptop", checked=True),
            rt.to_do("Read the handbook"),
            rt.to_do("Ship a small fix"),
        ],
    )
    welcome = "Welcome aboard! Ask in #help when stuck."
    ws.add_comment(onboarding, welcome, author=people["Grace Hopper"])
    practices = ws.add_page(
        handbook,
        "Engineering Practices",
        [
            rt.heading(2, "Code review"),
            rt.paragraph(
                "Every change is reviewed by ", rt.rich_text("one", bold=True), " teammate."
            ),
            rt.code("git switch -c my-change\ngit push -u origin my-change", "shell"),
            rt.quote("Make the change easy, then make the easy change."),
        ],
    )
    meetings = ws.add_page(
        handbook,
        "Meeting Notes",
        [
            rt.paragraph(
                "Weekly sync notes live here. See ", rt.mention_page(onboarding, "Onboarding"), "."
            ),
        ],
    )
    tasks_db, tasks = ws.add_database(
        handbook,
        "Tasks",
        {
            "Task": "title",
            "Status": {
                "type": "status",
                "status": {"options": [{"name": name} for name in STATUS_OPTIONS], "groups": []},
            },
            "Assignee": "people",
            "Due": "date",
            "Tags": {
                "type": "multi_select",
                "multi_select": {
                    "options": [{"name": "docs"}, {"name": "infra"}, {"name": "hiring"}]
                },
            },
        },
    )
    rows = [
        ("Write onboarding checklist", "Done", "Ada Lovelace", "2026-01-12", ["docs"]),
        ("Set up CI", "Done", "Grace Hopper", "2026-01-14", ["infra"]),
        ("Plan team offsite", "In progress", "Ada Lovelace", "2026-02-03", []),
        ("Interview candidates", "In progress", "Grace Hopper", "2026-02-10", ["hiring"]),
        ("Update style guide", "Not started", "Ada Lovelace", "2026-02-20", ["docs"]),
        ("Rotate credentials", "Not started", "Grace Hopper", "2026-02-24", ["infra"]),
        ("Draft Q2 goals", "Not started", "Ada Lovelace", "2026-03-02", []),
        ("Archive old wiki", "Not started", "Grace Hopper", "2026-03-09", ["docs"]),
    ]
    for title, status, person, due, tags in rows:
        ws.add_row(
            tasks,
            {
                "Task": title,
                "Status": status,
                "Assignee": [people[person]],
                "Due": due,
                "Tags": tags,
            },
            [rt.paragraph(f"Notes about: {title.lower()}.")],
        )
    return {
        "handbook": handbook,
        "onboarding": onboarding,
        "practices": practices,
        "meetings": meetings,
        "tasks_database": tasks_db,
        "tasks": tasks,
    }


def _page_titled(ws: Workspace, title: str) -> str:
    with ws.lock:
        for page_id, page in ws.pages.items():
            if ws.title_of(page_id) == title and not page.in_trash:
                return page_id
    raise KeyError(f"no page titled {title!r}")


def demo_edits(ws: Workspace) -> None:
    """Edit the demo workspace the way a team would between two syncs."""
    onboarding = _page_titled(ws, "Onboarding")
    ws.append_blocks(onboarding, [rt.to_do("Pair with a teammate")])
    practices = _page_titled(ws, "Engineering Practices")
    first_block = ws.children_of(practices)[0]
    ws.update_block(
        first_block, {"heading_2": {"rich_text": rt.text_list("Code review (updated)")}}
    )
    offsite = _page_titled(ws, "Plan team offsite")
    ws.set_property(offsite, "Status", "Done")
    with ws.lock:
        source_id = ws.pages[offsite].parent["data_source_id"]
        row_titles = [
            plain_text(ws.pages[row].properties["Task"]["title"])
            for row in ws.data_sources[source_id].rows
        ]
    if "Book venue" not in row_titles:
        ws.add_row(source_id, {"Task": "Book venue", "Status": "In progress", "Due": "2026-02-05"})
    handbook = _page_titled(ws, "Team Handbook")
    ws.add_page(
        handbook,
        "Retro: January",
        [
            rt.heading(2, "What went well"),
            rt.bulleted("Onboarding was smooth"),
            rt.heading(2, "What to improve"),
            rt.bulleted("Fewer meetings"),
        ],
    )
