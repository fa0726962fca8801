"""What the fake workspace stores for each object (API-shaped payloads, real datetimes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JSON = dict[str, Any]


@dataclass
class PageRecord:
    """A page or a database row. ``children`` are the ids of its top-level content blocks."""

    id: str
    parent: JSON
    properties: JSON
    created_time: datetime
    last_edited_time: datetime
    created_by: str
    last_edited_by: str
    icon: JSON | None = None
    cover: JSON | None = None
    children: list[str] = field(default_factory=list)
    in_trash: bool = False
    shared: bool = True
    is_locked: bool = False
    unique_number: int | None = None


@dataclass
class BlockRecord:
    """A content block. ``owner_page`` is the page whose content it is."""

    id: str
    parent: JSON
    type: str
    payload: JSON
    created_time: datetime
    last_edited_time: datetime
    created_by: str
    last_edited_by: str
    owner_page: str
    children: list[str] = field(default_factory=list)
    in_trash: bool = False


@dataclass
class DatabaseRecord:
    """A database container; its schema lives in its data sources."""

    id: str
    parent: JSON
    title: list[JSON]
    description: list[JSON]
    is_inline: bool
    created_time: datetime
    last_edited_time: datetime
    icon: JSON | None = None
    cover: JSON | None = None
    data_source_ids: list[str] = field(default_factory=list)
    in_trash: bool = False
    shared: bool = True
    is_locked: bool = False


@dataclass
class DataSourceRecord:
    """A table of a database: the schema (``properties``) and its rows, in creation order."""

    id: str
    database_id: str
    name: str
    properties: JSON
    created_time: datetime
    last_edited_time: datetime
    created_by: str
    last_edited_by: str
    rows: list[str] = field(default_factory=list)
    next_unique_number: int = 1


@dataclass
class HostedFile:
    """A file Notion hosts; served by the fake under signed, expiring URLs, or at a plain
    public URL when ``public`` (custom emoji images)."""

    id: str
    name: str
    data: bytes
    content_type: str
    public: bool = False
