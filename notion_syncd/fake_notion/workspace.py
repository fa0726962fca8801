"""The fake Notion workspace: pages, blocks, databases, data sources, users and files in memory.

Tests edit it between syncs through plain Python methods (``add_page``, ``append_blocks``,
``trash``, ``move``, ``unshare``…); ``FakeNotionServer`` serves it over HTTP. Every method
takes ``lock``, so a server thread never sees a half-made edit.

Timestamp rules (see ``docs`` §8 of the API note): creating or editing a block bumps that block
and the page owning it, not pages further up; adding, moving or trashing a sub-page or a
database changes its parent's content, so the parent page is bumped too.
"""

from __future__ import annotations

import copy
import mimetypes
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from notion_syncd.fake_notion.clock import Clock, system_clock
from notion_syncd.fake_notion.comments import CommentRecord
from notion_syncd.fake_notion.ids import IdFactory, dashed
from notion_syncd.fake_notion.properties import (
    coerce_value,
    normalize_schema,
    property_id,
    title_property_name,
)
from notion_syncd.fake_notion.records import (
    BlockRecord,
    DatabaseRecord,
    DataSourceRecord,
    HostedFile,
    PageRecord,
)
from notion_syncd.fake_notion.richtext import (
    normalize_rich_text,
    plain_text,
    rich_text,
)

JSON = dict[str, Any]
HOSTED_FILE_SCHEME = "fake-file://"
_RICH_TEXT_KEYS = ("rich_text", "caption")
_BLOCK_DEFAULTS: dict[str, JSON] = {
    "paragraph": {"icon": None, "color": "default"},
    "heading_1": {"is_toggleable": False, "color": "default"},
    "heading_2": {"is_toggleable": False, "color": "default"},
    "heading_3": {"is_toggleable": False, "color": "default"},
    "bulleted_list_item": {"color": "default"},
    "numbered_list_item": {"color": "default"},
    "to_do": {"checked": False, "color": "default"},
    "toggle": {"color": "default"},
    "quote": {"color": "default"},
    "callout": {"icon": None, "color": "default"},
    "table_of_contents": {"color": "default"},
    "bookmark": {"caption": []},
    "embed": {"caption": []},
    "image": {"caption": []},
    "video": {"caption": []},
    "pdf": {"caption": []},
    "audio": {"caption": []},
    "file": {"caption": []},
    "code": {"caption": [], "language": "plain text"},
}


class UnknownObject(KeyError):
    """An id the workspace does not hold."""


class Workspace:
    """An in-memory Notion workspace, thread-safe, with deterministic ids."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        seed: int = 0,
        bot_name: str = "notion-syncd-fake",
        workspace_name: str = "Fake Workspace",
    ) -> None:
        self.clock: Clock = clock or system_clock
        self.lock = threading.RLock()
        self._ids = IdFactory(seed)
        self.workspace_name = workspace_name
        self.workspace_id = self._ids.new_uuid()
        self.pages: dict[str, PageRecord] = {}
        self.blocks: dict[str, BlockRecord] = {}
        self.databases: dict[str, DatabaseRecord] = {}
        self.data_sources: dict[str, DataSourceRecord] = {}
        self.files: dict[str, HostedFile] = {}
        self.users: dict[str, JSON] = {}
        self.comments: list[CommentRecord] = []
        self.comments_readable = True
        """False: the integration lacks read-comments (``GET /v1/comments`` answers 403)."""
        self.users_readable = True
        """False: the integration lacks user information (``/v1/users*`` answer 403)."""
        self.editor: str | None = None
        """The user whose edits these are (``last_edited_by``); None: the integration's bot."""
        self.top_level: list[str] = []
        self.searchable_since: dict[str, datetime] = {}
        self.unindexed: set[str] = set()
        """Objects search does not list (its index lags behind their last edit)."""
        self.bot_id = self._ids.new_uuid()
        self.users[self.bot_id] = {
            "object": "user",
            "id": self.bot_id,
            "name": bot_name,
            "avatar_url": None,
            "type": "bot",
            "bot": {},
        }

    # ------------------------------------------------------------------ basics

    def new_id(self) -> str:
        """A fresh deterministic id."""
        with self.lock:
            return self._ids.new_uuid()

    def now(self) -> datetime:
        """The workspace clock's current time."""
        return self.clock()

    def resolve(self, object_id: str) -> str:
        """The dashed id of an object given with or without dashes; raises ``UnknownObject``."""
        normalized = dashed(object_id)
        if normalized is None or self.kind_of(normalized) is None:
            raise UnknownObject(object_id)
        return normalized

    def kind_of(self, object_id: str) -> str | None:
        """``page``, ``block``, ``database``, ``data_source``, ``user``, ``file`` or None."""
        for kind, table in (
            ("page", self.pages),
            ("block", self.blocks),
            ("database", self.databases),
            ("data_source", self.data_sources),
            ("user", self.users),
            ("file", self.files),
        ):
            if object_id in table:
                return kind
        return None

    def parent_id(self, object_id: str) -> str | None:
        """The id of the object's direct parent object (None at the workspace top level)."""
        parent: JSON | None = None
        if object_id in self.pages:
            parent = self.pages[object_id].parent
        elif object_id in self.blocks:
            parent = self.blocks[object_id].parent
        elif object_id in self.databases:
            parent = self.databases[object_id].parent
        elif object_id in self.data_sources:
            return self.data_sources[object_id].database_id
        if parent is None or parent["type"] == "workspace":
            return None
        return str(parent[parent["type"]])

    def ancestors(self, object_id: str) -> Iterator[str]:
        """The object itself, then each parent up to the top level."""
        current: str | None = object_id
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            yield current
            current = self.parent_id(current)

    def is_trashed(self, object_id: str) -> bool:
        """Trashed itself or inside something trashed."""
        for ancestor in self.ancestors(object_id):
            record = self._record(ancestor)
            if getattr(record, "in_trash", False):
                return True
        return False

    def is_shared(self, object_id: str) -> bool:
        """Reachable by the integration: neither it nor an ancestor was unshared."""
        if object_id in self.users or object_id in self.files:
            return True
        return all(getattr(self._record(a), "shared", True) for a in self.ancestors(object_id))

    def standing(self, object_id: str, memo: dict[str, tuple[bool, bool]]) -> tuple[bool, bool]:
        """``(is_shared, is_trashed)`` of a page, block, database or data source, with
        ``memo`` keeping each ancestor's answer for the next object asked about.

        One search request asks this of every object in the workspace, and without the
        memo each question walks up to the top: 110 listing requests of a 10,000-page
        workspace cost the fake 40 s of CPU, no longer an API "answering instantly".
        """
        chain: list[str] = []
        standing = (True, False)  # above the top level: shared, not trashed
        current: str | None = object_id
        while current is not None:
            if current in memo:
                standing = memo[current]
                break
            if current in chain:  # a cycle: answer as is_shared and is_trashed do
                return self.is_shared(object_id), self.is_trashed(object_id)
            chain.append(current)
            current = self.parent_id(current)
        for ancestor in reversed(chain):
            record = self._record(ancestor)
            standing = (
                standing[0] and getattr(record, "shared", True),
                standing[1] or getattr(record, "in_trash", False),
            )
            memo[ancestor] = standing
        return standing

    def owner_page_of(self, object_id: str) -> str | None:
        """The page whose content ``object_id`` (a page, block or database) belongs to."""
        if object_id in self.blocks:
            return self.blocks[object_id].owner_page
        parent = self.parent_id(object_id)
        if parent is None:
            return None
        if parent in self.pages:
            return parent
        if parent in self.blocks:
            return self.blocks[parent].owner_page
        return None

    def title_of(self, object_id: str) -> str:
        """Plain-text title of a page, database or data source ('' when none)."""
        with self.lock:
            if object_id in self.pages:
                return plain_text(self._title_value(self.pages[object_id]))
            if object_id in self.databases:
                return plain_text(self.databases[object_id].title)
            if object_id in self.data_sources:
                return self.data_sources[object_id].name
            return ""

    def children_of(self, object_id: str) -> list[str]:
        """Ids in the child list of a page or block (trashed ones included)."""
        if object_id in self.pages:
            return self.pages[object_id].children
        if object_id in self.blocks:
            return self.blocks[object_id].children
        return []

    # ------------------------------------------------------------------ users and files

    def add_user(self, name: str, email: str | None = None) -> str:
        """Add a workspace member; returns the user id."""
        with self.lock:
            user_id = self._ids.new_uuid()
            self.users[user_id] = {
                "object": "user",
                "id": user_id,
                "name": name,
                "avatar_url": None,
                "type": "person",
                "person": {"email": email or f"{name.split()[0].lower()}@example.com"},
            }
            return user_id

    def add_file(self, data: bytes, name: str, content_type: str | None = None) -> JSON:
        """Host ``data``; returns a file object to put in blocks, ``files`` values, icons, covers.

        The server replaces its placeholder URL by a fresh signed URL on every fetch.
        """
        with self.lock:
            file_id = self._ids.new_uuid()
            guessed = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
            self.files[file_id] = HostedFile(file_id, name, bytes(data), guessed)
            return {
                "type": "file",
                "file": {"url": f"{HOSTED_FILE_SCHEME}{file_id}/{name}", "expiry_time": None},
            }

    def add_custom_emoji(self, data: bytes, name: str) -> JSON:
        """Host a custom emoji's image; returns the icon object (its URL is public, unsigned)."""
        with self.lock:
            emoji_id = self._ids.new_uuid()
            content_type = mimetypes.guess_type(f"{name}.png")[0] or "image/png"
            self.files[emoji_id] = HostedFile(emoji_id, name, bytes(data), content_type, True)
            url = f"{HOSTED_FILE_SCHEME}{emoji_id}/{name}.png"
            emoji = {"id": emoji_id, "name": name, "url": url}
            return {"type": "custom_emoji", "custom_emoji": emoji}

    # ------------------------------------------------------------------ comments

    def add_comment(
        self,
        parent_id: str,
        text: str | list[JSON],
        *,
        author: str | None = None,
        discussion_id: str | None = None,
    ) -> str:
        """Comment on a page or block (a new discussion), or reply in ``discussion_id``.

        ``author`` is a user id (default: the integration). No ``last_edited_time`` moves.
        """
        with self.lock:
            thread = [c for c in self.comments if c.discussion_id == discussion_id]
            if discussion_id is not None and not thread:
                raise UnknownObject(discussion_id)
            target = thread[0].parent_id if thread else self.resolve(parent_id)
            user_id = author or self.bot_id
            content = [rich_text(text)] if isinstance(text, str) else normalize_rich_text(text)
            comment = CommentRecord(
                id=self._ids.new_uuid(),
                parent_id=target,
                parent_is_page=target in self.pages,
                discussion_id=discussion_id or self._ids.new_uuid(),
                rich_text=content,
                created_time=self.now(),
                created_by=user_id,
                display_name=str(self.users[user_id].get("name") or ""),
            )
            self.comments.append(comment)
            return comment.id

    def resolve_discussion(self, discussion_id: str) -> None:
        """Resolve a thread: the API lists its comments no more."""
        with self.lock:
            for comment in self.comments:
                if comment.discussion_id == discussion_id:
                    comment.resolved = True

    def discussion_of(self, comment_id: str) -> str:
        """The discussion a comment belongs to."""
        with self.lock:
            for comment in self.comments:
                if comment.id == comment_id:
                    return comment.discussion_id
            raise UnknownObject(comment_id)

    # ------------------------------------------------------------------ pages

    def add_page(
        self,
        parent: str | None,
        title: str,
        blocks: list[JSON] | None = None,
        properties: dict[str, Any] | None = None,
        icon: JSON | None = None,
        cover: JSON | None = None,
    ) -> str:
        """Add a page under a page, block or the workspace top level (``None``).

        Under a database or data source id it adds a row (``properties`` by schema name).
        """
        with self.lock:
            if parent is not None:
                parent = self.resolve(parent)
                data_source = self._data_source_for(parent)
                if data_source is not None:
                    schema = self.data_sources[data_source].properties
                    values = {title_property_name(schema): title, **(properties or {})}
                    return self.add_row(data_source, values, blocks, icon=icon, cover=cover)
            now = self.now()
            page_id = self._ids.new_uuid()
            page = PageRecord(
                id=page_id,
                parent=self._parent_ref(parent),
                properties={
                    "title": {
                        "id": "title",
                        "type": "title",
                        "title": [rich_text(title)] if title else [],
                    }
                },
                created_time=now,
                last_edited_time=now,
                created_by=self.bot_id,
                last_edited_by=self.editor or self.bot_id,
                icon=copy.deepcopy(icon),
                cover=copy.deepcopy(cover),
            )
            self.pages[page_id] = page
            self.searchable_since[page_id] = now
            self._attach(page_id, parent)
            self._create_blocks(page_id, page_id, blocks or [])
            return page_id

    def add_row(
        self,
        data_source_id: str,
        properties: dict[str, Any],
        blocks: list[JSON] | None = None,
        *,
        icon: JSON | None = None,
        cover: JSON | None = None,
    ) -> str:
        """Add a row to a data source; ``properties`` maps schema names to plain or API values."""
        with self.lock:
            source = self.data_sources[self._data_source_for(self.resolve(data_source_id)) or ""]
            now = self.now()
            page_id = self._ids.new_uuid()
            page = PageRecord(
                id=page_id,
                parent={
                    "type": "data_source_id",
                    "data_source_id": source.id,
                    "database_id": source.database_id,
                },
                properties={},
                created_time=now,
                last_edited_time=now,
                created_by=self.bot_id,
                last_edited_by=self.editor or self.bot_id,
                icon=copy.deepcopy(icon),
                cover=copy.deepcopy(cover),
                unique_number=source.next_unique_number,
            )
            source.next_unique_number += 1
            for name, value in properties.items():
                page.properties[name] = coerce_value(
                    source.properties[name], value, self._ids.new_uuid
                )
            self.pages[page_id] = page
            source.rows.append(page_id)
            self.searchable_since[page_id] = now
            self._create_blocks(page_id, page_id, blocks or [])
            return page_id

    def set_title(self, object_id: str, title: str) -> None:
        """Rename a page, row or database (and its data source when it had the same name)."""
        with self.lock:
            object_id = self.resolve(object_id)
            if object_id in self.databases:
                database = self.databases[object_id]
                old = plain_text(database.title)
                database.title = [rich_text(title)]
                for source_id in database.data_source_ids:
                    if self.data_sources[source_id].name == old:
                        self.data_sources[source_id].name = title
                        self._edited(source_id)
                self._edited(object_id)
                return
            page = self.pages[object_id]
            value = self._title_value(page)
            value[:] = [rich_text(title)] if title else []
            self._edited(object_id)

    def set_property(self, page_id: str, name: str, value: Any) -> None:
        """Set one property of a row (plain Python or API-shaped value)."""
        with self.lock:
            page = self.pages[self.resolve(page_id)]
            schema = self._schema_of(page)
            if schema is None:
                if name != "title":
                    raise KeyError(f"page {page.id} has only a title property")
                self.set_title(page.id, str(value))
                return
            page.properties[name] = coerce_value(schema[name], value, self._ids.new_uuid)
            self._edited(page.id)

    def set_icon(self, object_id: str, icon: JSON | None) -> None:
        """Set the icon of a page or database."""
        with self.lock:
            record = self._record(self.resolve(object_id))
            record.icon = copy.deepcopy(icon)
            self._edited(record.id)

    def set_cover(self, object_id: str, cover: JSON | None) -> None:
        """Set the cover of a page or database."""
        with self.lock:
            record = self._record(self.resolve(object_id))
            record.cover = copy.deepcopy(cover)
            self._edited(record.id)

    def move(self, page_id: str, new_parent: str | None) -> None:
        """Move a page (or database) under another page or block, or to the top level."""
        with self.lock:
            object_id = self.resolve(page_id)
            target = self.resolve(new_parent) if new_parent is not None else None
            source_id = self._data_source_for(target) if target is not None else None
            if source_id is not None:
                self._move_into_data_source(object_id, source_id)
                return
            old_parent = self.parent_id(object_id)
            self._detach(object_id, old_parent)
            record = self._record(object_id)
            record.parent = self._parent_ref(target)
            self._attach(object_id, target)
            self._edited(object_id)
            if old_parent is not None:
                self._content_changed(old_parent)

    def _move_into_data_source(self, page_id: str, source_id: str) -> None:
        """A page (not a row) moved into a database becomes a row: its title, nothing else."""
        page = self.pages[page_id]
        if page.parent["type"] == "data_source_id":
            raise ValueError("moving a row between databases is not supported")
        title = copy.deepcopy(self._title_value(page))
        old_parent = self.parent_id(page_id)
        self._detach(page_id, old_parent)
        source = self.data_sources[source_id]
        page.parent = {
            "type": "data_source_id",
            "data_source_id": source.id,
            "database_id": source.database_id,
        }
        name = title_property_name(source.properties)
        page.properties = {name: {"id": "title", "type": "title", "title": title}}
        page.unique_number = source.next_unique_number
        source.next_unique_number += 1
        source.rows.append(page_id)
        self._edited(page_id)
        if old_parent is not None:
            self._content_changed(old_parent)

    # ------------------------------------------------------------------ databases

    def add_database(
        self,
        parent_page_id: str,
        title: str,
        schema: dict[str, Any],
        inline: bool = False,
        *,
        description: str = "",
        icon: JSON | None = None,
    ) -> tuple[str, str]:
        """Add a database with one data source; returns ``(database_id, data_source_id)``."""
        with self.lock:
            parent = self.resolve(parent_page_id)
            now = self.now()
            database_id = self._ids.new_uuid()
            self.databases[database_id] = DatabaseRecord(
                id=database_id,
                parent=self._parent_ref(parent),
                title=[rich_text(title)] if title else [],
                description=[rich_text(description)] if description else [],
                is_inline=inline,
                created_time=now,
                last_edited_time=now,
                icon=copy.deepcopy(icon),
            )
            self._attach(database_id, parent)
            source_id = self.add_data_source(database_id, title, schema)
            return database_id, source_id

    def add_data_source(self, database_id: str, name: str, schema: dict[str, Any]) -> str:
        """Add a (further) data source to a database; returns its id."""
        with self.lock:
            database = self.databases[self.resolve(database_id)]
            now = self.now()
            source_id = self._ids.new_uuid()
            properties = normalize_schema(
                schema, lambda: property_id(self._ids.rng), self._ids.new_uuid
            )
            self._complete_relations(properties)
            self.data_sources[source_id] = DataSourceRecord(
                id=source_id,
                database_id=database.id,
                name=name,
                properties=properties,
                created_time=now,
                last_edited_time=now,
                created_by=self.bot_id,
                last_edited_by=self.editor or self.bot_id,
            )
            database.data_source_ids.append(source_id)
            self.searchable_since[source_id] = now
            return source_id

    def update_schema(self, data_source_id: str, changes: dict[str, Any]) -> None:
        """Change a schema as ``PATCH /v1/data_sources/{id}`` does.

        ``changes`` maps a property name to a spec (add it), ``{"name": new}`` (rename it)
        or ``None`` (remove it and its values). The data source's ``last_edited_time``
        moves; its rows keep theirs (their page objects show the new schema all the same).
        """
        with self.lock:
            source = self.data_sources[self.resolve(data_source_id)]
            for name, change in changes.items():
                if change is None:
                    del source.properties[name]
                    for row in source.rows:
                        self.pages[row].properties.pop(name, None)
                elif isinstance(change, dict) and set(change) == {"name"}:
                    self._rename_property(source, name, str(change["name"]))
                else:
                    added = normalize_schema(
                        {name: change}, lambda: property_id(self._ids.rng), self._ids.new_uuid
                    )
                    self._complete_relations(added)
                    source.properties[name] = added[name]
            self._edited(source.id)

    def _rename_property(self, source: DataSourceRecord, old: str, new: str) -> None:
        source.properties = {
            (new if key == old else key): ({**entry, "name": new} if key == old else entry)
            for key, entry in source.properties.items()
        }
        for row in source.rows:
            values = self.pages[row].properties
            if old in values:
                values[new] = values.pop(old)

    def _complete_relations(self, properties: JSON) -> None:
        """Fill the ids Notion adds to relation and rollup configs."""
        for entry in properties.values():
            if entry["type"] == "relation":
                config = entry["relation"]
                config.setdefault("type", "single_property")
                config.setdefault(config["type"], {})
                if "data_source_id" in config and "database_id" not in config:
                    config["database_id"] = self.data_sources[config["data_source_id"]].database_id
        for entry in properties.values():
            if entry["type"] != "rollup":
                continue
            config = entry["rollup"]
            relation = properties.get(config.get("relation_property_name", ""), {})
            config.setdefault("relation_property_id", relation.get("id"))
            target_id = relation.get("relation", {}).get("data_source_id")
            target = self.data_sources[target_id].properties if target_id else {}
            rolled = target.get(config.get("rollup_property_name", ""), {})
            config.setdefault("rollup_property_id", rolled.get("id") or property_id(self._ids.rng))
            config.setdefault("function", "count")

    # ------------------------------------------------------------------ blocks

    def append_blocks(self, parent_id: str, blocks: list[JSON]) -> list[str]:
        """Append blocks (each may carry ``children``) to a page or block; returns their ids."""
        with self.lock:
            parent = self.resolve(parent_id)
            owner = parent if parent in self.pages else self.blocks[parent].owner_page
            created = self._create_blocks(parent, owner, blocks)
            self._content_changed(parent)
            return created

    def update_block(self, block_id: str, payload: JSON) -> None:
        """Change a block: ``{"<type>": {...}}`` merges into its payload, ``type`` switches it."""
        with self.lock:
            record = self.blocks[self.resolve(block_id)]
            new_type = str(payload.get("type", record.type))
            if new_type != record.type:
                record.type = new_type
                record.payload = {}
            changes = payload.get(new_type, {})
            record.payload.update(copy.deepcopy(changes))
            self._normalize_payload(record.type, record.payload)
            self._edited(record.id)

    def delete_block(self, block_id: str) -> None:
        """Delete a block (Notion moves it to the trash)."""
        self.trash(block_id)

    # ------------------------------------------------------------------ trash and sharing

    def trash(self, object_id: str) -> None:
        """Move a page, row, block or database to the trash (its descendants go with it)."""
        self._set_trashed(object_id, True)

    def restore(self, object_id: str) -> None:
        """Take an object out of the trash."""
        self._set_trashed(object_id, False)

    def unshare(self, object_id: str) -> None:
        """Stop sharing a page or database: it and its descendants answer 404."""
        with self.lock:
            record = self._record(self.resolve(object_id))
            if not hasattr(record, "shared"):
                raise ValueError("only pages and databases can be unshared")
            record.shared = False

    def share(self, object_id: str) -> None:
        """Share a page or database again."""
        with self.lock:
            record = self._record(self.resolve(object_id))
            record.shared = True
            self.searchable_since[record.id] = self.now()

    def lag_search(self, object_id: str, lagging: bool = True) -> None:
        """Search leaves this object out (its index has not caught up with an edit) until
        called again with ``lagging=False``; fetching it by id is not affected."""
        with self.lock:
            resolved = self.resolve(object_id)
            if lagging:
                self.unindexed.add(resolved)
            else:
                self.unindexed.discard(resolved)

    def touch(self, object_id: str) -> None:
        """Mark an object edited now, without changing it."""
        with self.lock:
            self._edited(self.resolve(object_id))

    # ------------------------------------------------------------------ internals

    def _record(self, object_id: str) -> Any:
        for table in (self.pages, self.blocks, self.databases, self.data_sources):
            if object_id in table:
                return table[object_id]
        raise UnknownObject(object_id)

    def _data_source_for(self, object_id: str) -> str | None:
        if object_id in self.data_sources:
            return object_id
        if object_id in self.databases:
            return self.databases[object_id].data_source_ids[0]
        return None

    def _schema_of(self, page: PageRecord) -> JSON | None:
        if page.parent["type"] != "data_source_id":
            return None
        return self.data_sources[page.parent["data_source_id"]].properties

    def _title_value(self, page: PageRecord) -> list[JSON]:
        schema = self._schema_of(page)
        name = "title" if schema is None else title_property_name(schema)
        if name not in page.properties:
            page.properties[name] = {"id": "title", "type": "title", "title": []}
        value: list[JSON] = page.properties[name]["title"]
        return value

    def _parent_ref(self, parent: str | None) -> JSON:
        if parent is None:
            return {"type": "workspace", "workspace": True}
        if parent in self.pages:
            return {"type": "page_id", "page_id": parent}
        if parent in self.blocks:
            return {"type": "block_id", "block_id": parent}
        if parent in self.databases:
            return {"type": "database_id", "database_id": parent}
        raise ValueError(f"{parent} cannot hold pages or databases")

    def _attach(self, object_id: str, parent: str | None) -> None:
        if parent is None:
            self.top_level.append(object_id)
            return
        self.children_of(parent).append(object_id)
        self._content_changed(parent)

    def _detach(self, object_id: str, parent: str | None) -> None:
        siblings = self.top_level if parent is None else self.children_of(parent)
        if object_id in siblings:
            siblings.remove(object_id)

    def _create_blocks(self, parent: str, owner: str, blocks: list[JSON]) -> list[str]:
        created: list[str] = []
        for given in blocks:
            spec = copy.deepcopy(given)
            block_type = str(spec["type"])
            payload: JSON = spec.get(block_type, {}) or {}
            children = spec.pop("children", None) or payload.pop("children", None) or []
            if block_type == "child_page":
                created.append(self.add_page(parent, str(payload.get("title", "")), children))
                continue
            if block_type == "child_database":
                raise ValueError("use add_database to add a database")
            now = self.now()
            block_id = self._ids.new_uuid()
            self._normalize_payload(block_type, payload)
            self.blocks[block_id] = BlockRecord(
                id=block_id,
                parent=self._parent_ref(parent),
                type=block_type,
                payload=payload,
                created_time=now,
                last_edited_time=now,
                created_by=self.bot_id,
                last_edited_by=self.editor or self.bot_id,
                owner_page=owner,
            )
            self.children_of(parent).append(block_id)
            created.append(block_id)
            self._create_blocks(block_id, owner, children)
        return created

    @staticmethod
    def _normalize_payload(block_type: str, payload: JSON) -> None:
        for key, default in _BLOCK_DEFAULTS.get(block_type, {}).items():
            payload.setdefault(key, copy.deepcopy(default))
        for key in _RICH_TEXT_KEYS:
            if key in payload:
                payload[key] = normalize_rich_text(payload[key])
        if block_type == "table_row":
            payload["cells"] = [normalize_rich_text(cell) for cell in payload.get("cells", [])]

    def _edited(self, object_id: str) -> None:
        """Bump ``last_edited_time``; a block edit also bumps its owning page."""
        now = self.now()
        record = self._record(object_id)
        record.last_edited_time = now
        if hasattr(record, "last_edited_by"):
            record.last_edited_by = self.editor or self.bot_id
        if isinstance(record, BlockRecord) and record.owner_page in self.pages:
            owner = self.pages[record.owner_page]
            owner.last_edited_time = now
            owner.last_edited_by = self.editor or self.bot_id

    def _content_changed(self, container_id: str) -> None:
        """A child was added to, removed from or changed in a page or block."""
        if container_id in self.pages or container_id in self.blocks:
            self._edited(container_id)

    def _set_trashed(self, object_id: str, trashed: bool) -> None:
        with self.lock:
            object_id = self.resolve(object_id)
            record = self._record(object_id)
            if not hasattr(record, "in_trash"):
                raise ValueError("data sources are trashed with their database")
            record.in_trash = trashed
            self._edited(object_id)
            parent = self.parent_id(object_id)
            if parent is not None and not isinstance(record, BlockRecord):
                self._content_changed(parent)
            if not trashed:
                self.searchable_since[object_id] = self.now()
