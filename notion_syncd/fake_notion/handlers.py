"""The endpoints of the fake Notion API: request in, ``ApiResponse`` out (or ``ApiError``).

Each handler reads the workspace under its lock and returns JSON without ``request_id`` and
with hosted-file placeholders; the server adds both finishing touches.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from notion_syncd.fake_notion.clock import round_to_minute
from notion_syncd.fake_notion.comments import CommentRecord, comment_json, listed_comments
from notion_syncd.fake_notion.ids import dashed, is_valid_uuid, undashed
from notion_syncd.fake_notion.query import compile_filter, sort_pages
from notion_syncd.fake_notion.records import PageRecord
from notion_syncd.fake_notion.responses import (
    ApiError,
    ApiResponse,
    invalid_cursor,
    list_body,
    not_found,
    parse_page_size,
    validation_error,
)
from notion_syncd.fake_notion.serialize import Serializer, synced_original_id
from notion_syncd.fake_notion.uploads import Uploads
from notion_syncd.fake_notion.workspace import Workspace
from notion_syncd.fake_notion.writes import append_children, create_database, create_page

JSON = dict[str, Any]
PAGINATED_PROPERTY_TYPES = frozenset({"title", "rich_text", "relation", "people", "rollup"})
PROPERTY_ITEM_PAGE_SIZE = 25


@dataclass(frozen=True)
class ApiRequest:
    """One parsed API request."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: JSON
    version: str
    base_url: str
    raw: bytes = b""
    content_type: str = ""


@dataclass(frozen=True)
class Limits:
    """Server-side caps: results per page, results per query, search indexing lag."""

    page_size_cap: int = 100
    query_result_cap: int = 10_000
    search_lag_seconds: float = 0.0


class Endpoints:
    """Handlers of every supported endpoint, by request-log endpoint name."""

    def __init__(self, workspace: Workspace, integration_name: str) -> None:
        self.ws = workspace
        self.integration_name = integration_name
        self.uploads = Uploads(workspace)

    def handle(self, endpoint: str, request: ApiRequest, limits: Limits) -> ApiResponse:
        """Dispatch to the handler for ``endpoint``."""
        handler = getattr(self, "_" + endpoint.replace(".", "_"))
        with self.ws.lock:
            result: ApiResponse = handler(request, Serializer(self.ws, request.version), limits)
            return result

    # ------------------------------------------------------------------ helpers

    def _not_found(self, kind: str, object_id: str) -> ApiError:
        return not_found(kind, object_id, self.integration_name, self.ws.bot_id)

    def _path_id(self, request: ApiRequest, name: str, kind: str) -> str:
        raw = request.params[name]
        if not is_valid_uuid(raw):
            raise validation_error(
                f"path failed validation: path.{name} should be a valid uuid, "
                f'instead was `"{raw}"`.'
            )
        object_id = dashed(raw) or raw
        return object_id

    def _visible(self, object_id: str, table: dict[str, Any]) -> bool:
        return object_id in table and self.ws.is_shared(object_id)

    @staticmethod
    def _query_value(request: ApiRequest, name: str) -> str | None:
        values = request.query.get(name)
        return values[0] if values else None

    @staticmethod
    def _page_size(raw: Any, where: str, limits: Limits, default: int = 100) -> int:
        return min(parse_page_size(raw, where, default), limits.page_size_cap)

    @staticmethod
    def _start_index(cursor: str | None, keys: list[str]) -> int:
        """Position of the item a cursor names (cursors are the next item's key)."""
        if cursor is None:
            return 0
        try:
            return keys.index(cursor)
        except ValueError:
            raise invalid_cursor(cursor) from None

    # ------------------------------------------------------------------ search

    def _search(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        body = request.body
        spec = body.get("filter") or {}
        kind = spec.get("value")
        if kind is not None and kind not in ("page", "data_source"):
            raise validation_error(
                'body failed validation: body.filter.value should be `"page"` or '
                f'`"data_source"`, instead was `"{kind}"`.'
            )
        in_trash = bool(spec.get("in_trash", False))
        text = str(body.get("query") or "").strip().lower()
        sort = body.get("sort") or {}
        descending = sort.get("direction", "descending") != "ascending"
        horizon = self.ws.now().timestamp() - limits.search_lag_seconds

        candidates: list[tuple[Any, str, JSON]] = []
        if kind in (None, "page"):
            for page in self.ws.pages.values():
                candidates.append((page.last_edited_time, page.id, {}))
        if kind in (None, "data_source"):
            for source in self.ws.data_sources.values():
                candidates.append((source.last_edited_time, source.id, {}))
        found: list[tuple[Any, str]] = []
        memo: dict[str, tuple[bool, bool]] = {}
        for edited, object_id, _ in candidates:
            shared, trashed = self.ws.standing(object_id, memo)
            if not shared or trashed != in_trash:
                continue
            if object_id in self.ws.unindexed:
                continue
            since = self.ws.searchable_since.get(object_id)
            if since is not None and since.timestamp() > horizon:
                continue
            if text and text not in self._search_title(object_id).lower():
                continue
            found.append((round_to_minute(edited), object_id))
        found.sort(reverse=descending)
        keys = [object_id for _, object_id in found]
        start = self._start_index(body.get("start_cursor"), keys)
        size = self._page_size(body.get("page_size"), "body", limits)
        window = keys[start : start + size]
        next_cursor = keys[start + size] if start + size < len(keys) else None
        results = [self._search_result(s, object_id) for object_id in window]
        return ApiResponse(list_body(results, next_cursor, "page_or_data_source"))

    def _search_title(self, object_id: str) -> str:
        if object_id in self.ws.data_sources:
            return self.ws.title_of(self.ws.data_sources[object_id].database_id)
        return self.ws.title_of(object_id)

    def _search_result(self, s: Serializer, object_id: str) -> JSON:
        if object_id in self.ws.pages:
            return s.page(self.ws.pages[object_id])
        return s.data_source(self.ws.data_sources[object_id])

    # ------------------------------------------------------------------ pages

    def _page(self, request: ApiRequest, name: str = "page_id") -> PageRecord:
        page_id = self._path_id(request, name, "page")
        if not self._visible(page_id, self.ws.pages):
            raise self._not_found("page", page_id)
        return self.ws.pages[page_id]

    def _pages_retrieve(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        page = self._page(request)
        wanted = request.query.get("filter_properties")
        only = {unquote(item) for item in wanted} if wanted else None
        if only is not None:
            only |= set(wanted or [])
        return ApiResponse(s.page(page, only=only))

    def _pages_update(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        """``PATCH /v1/pages/{id}``: the fake moves a page to or from the trash, nothing else."""
        page = self._page(request)
        body = request.body
        flag = body.get("in_trash", body.get("archived"))
        if set(body) - {"in_trash", "archived"} or not isinstance(flag, bool):
            raise validation_error("The fake updates in_trash (or archived) of a page only.")
        if flag:
            self.ws.trash(page.id)
        else:
            self.ws.restore(page.id)
        return ApiResponse(s.page(self.ws.pages[page.id]))

    def _pages_properties(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        page = self._page(request)
        wanted = request.params["property_id"]
        values = s.property_values(page)
        match = next(
            (
                value
                for value in values.values()
                if value["id"] in (wanted, unquote(wanted))
                or unquote(value["id"]) == unquote(wanted)
            ),
            None,
        )
        if match is None:
            raise ApiError(
                404, "object_not_found", f"Could not find property with ID: {unquote(wanted)}."
            )
        kind = match["type"]
        property_id = match["id"]
        if kind not in PAGINATED_PROPERTY_TYPES:
            return ApiResponse(
                {"object": "property_item", "id": property_id, "type": kind, kind: match[kind]}
            )
        items = self._property_items(page, match, values)
        offset = 0
        cursor = self._query_value(request, "start_cursor")
        if cursor is not None:
            if not cursor.startswith("pi") or not cursor[2:].isdigit():
                raise invalid_cursor(cursor)
            offset = int(cursor[2:])
        size = self._page_size(
            self._query_value(request, "page_size"),
            "query",
            limits,
            default=PROPERTY_ITEM_PAGE_SIZE,
        )
        window = items[offset : offset + size]
        next_cursor = f"pi{offset + size}" if offset + size < len(items) else None
        next_url = (
            f"{request.base_url}/v1/pages/{undashed(page.id)}/properties/{property_id}"
            f"?start_cursor={next_cursor}&page_size={size}"
            if next_cursor
            else None
        )
        summary: JSON = {"id": property_id, "next_url": next_url, "type": kind, kind: {}}
        if kind == "rollup":
            final = dict(match["rollup"])
            if final.get("function") == "show_original":
                final["array"] = []  # its values are the list's results, not an aggregate
            summary["rollup"] = (
                final
                if next_cursor is None
                else {
                    "type": "incomplete",
                    "incomplete": {},
                    "function": match["rollup"].get("function"),
                }
            )
        return ApiResponse(list_body(window, next_cursor, "property_item", summary))

    def _property_items(self, page: PageRecord, value: JSON, values: JSON) -> list[JSON]:
        kind = value["type"]
        if kind == "rollup" and value["rollup"].get("function") == "show_original":
            return [
                {"object": "property_item", "id": value["id"], **element}
                for element in value["rollup"].get("array") or []
            ]
        if kind == "rollup":
            relation_name = self._rollup_relation_name(page, value["id"])
            relation = values.get(relation_name) if relation_name else None
            if relation is None:
                return []
            value, kind = relation, "relation"
        return [
            {"object": "property_item", "type": kind, "id": value["id"], kind: element}
            for element in value[kind]
        ]

    def _rollup_relation_name(self, page: PageRecord, property_id: str) -> str | None:
        if page.parent["type"] != "data_source_id":
            return None
        schema = self.ws.data_sources[page.parent["data_source_id"]].properties
        for entry in schema.values():
            if entry["id"] == property_id and entry["type"] == "rollup":
                name = entry["rollup"].get("relation_property_name")
                return str(name) if name else None
        return None

    # ------------------------------------------------------------------ blocks

    def _shared_block_id(self, request: ApiRequest) -> str:
        """The path's block id (a page or database id is a block id too), or a 404."""
        block_id = self._path_id(request, "block_id", "block")
        known = (
            block_id in self.ws.blocks or block_id in self.ws.pages or block_id in self.ws.databases
        )
        if not known or not self.ws.is_shared(block_id):
            raise self._not_found("block", block_id)
        return block_id

    def _blocks_retrieve(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        block_id = self._shared_block_id(request)
        return ApiResponse(s.block(block_id))

    def _blocks_children(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        block_id = self._shared_block_id(request)
        if self.ws.is_trashed(block_id):
            raise validation_error(
                f"Can't edit block that is archived. You must unarchive the block before "
                f"editing. Block ID: {block_id}"
            )
        container = block_id
        record = self.ws.blocks.get(block_id)
        if record is not None:
            if record.type == "unsupported" and record.children:
                block_type = record.payload.get("block_type", "unsupported")
                raise validation_error(f"Block type {block_type} is not supported via the API.")
            original = synced_original_id(record)
            if original is not None:
                if original not in self.ws.blocks or not self.ws.is_shared(original):
                    raise self._not_found("block", original)
                container = original
        keys = [
            child
            for child in self.ws.children_of(container)
            if not getattr(self.ws._record(child), "in_trash", False)
        ]
        cursor = self._query_value(request, "start_cursor")
        start = self._start_index(dashed(cursor) or cursor if cursor else None, keys)
        size = self._page_size(self._query_value(request, "page_size"), "query", limits)
        window = keys[start : start + size]
        next_cursor = keys[start + size] if start + size < len(keys) else None
        results = [s.block(child) for child in window]
        return ApiResponse(list_body(results, next_cursor, "block"))

    # ------------------------------------------------------------------ writes

    def _pages_create(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        return ApiResponse(create_page(self.ws, s, self.uploads.attach(request.body)))

    def _blocks_append(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        block_id = self._path_id(request, "block_id", "block")
        return ApiResponse(append_children(self.ws, s, block_id, self.uploads.attach(request.body)))

    def _databases_create(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        return ApiResponse(create_database(self.ws, s, self.uploads.attach(request.body)))

    def _file_uploads_create(
        self, request: ApiRequest, s: Serializer, limits: Limits
    ) -> ApiResponse:
        return ApiResponse(self.uploads.create(request.body, request.base_url))

    def _file_uploads_send(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        upload_id = self._path_id(request, "file_upload_id", "file_upload")
        return ApiResponse(
            self.uploads.send(upload_id, request.raw, request.content_type, request.base_url)
        )

    def _file_uploads_complete(
        self, request: ApiRequest, s: Serializer, limits: Limits
    ) -> ApiResponse:
        upload_id = self._path_id(request, "file_upload_id", "file_upload")
        return ApiResponse(self.uploads.complete(upload_id, request.base_url))

    # ------------------------------------------------------------------ databases

    def _databases_retrieve(
        self, request: ApiRequest, s: Serializer, limits: Limits
    ) -> ApiResponse:
        database_id = self._path_id(request, "database_id", "database")
        if not self._visible(database_id, self.ws.databases):
            raise self._not_found("database", database_id)
        return ApiResponse(s.database(self.ws.databases[database_id]))

    def _data_source(self, request: ApiRequest) -> str:
        source_id = self._path_id(request, "data_source_id", "data_source")
        if not self._visible(source_id, self.ws.data_sources):
            raise self._not_found("data_source", source_id)
        return source_id

    def _data_sources_retrieve(
        self, request: ApiRequest, s: Serializer, limits: Limits
    ) -> ApiResponse:
        return ApiResponse(s.data_source(self.ws.data_sources[self._data_source(request)]))

    def _data_sources_query(
        self, request: ApiRequest, s: Serializer, limits: Limits
    ) -> ApiResponse:
        source = self.ws.data_sources[self._data_source(request)]
        body = request.body
        predicate = compile_filter(body.get("filter"))
        in_trash = bool(body.get("in_trash", False))
        wanted = request.query.get("filter_properties")
        only = {unquote(item) for item in wanted} | set(wanted) if wanted else None
        rows = [
            s.page(self.ws.pages[row_id], only=None)
            for row_id in source.rows
            if self.ws.is_shared(row_id) and (in_trash or not self.ws.is_trashed(row_id))
        ]
        matching = sort_pages([row for row in rows if predicate(row)], body.get("sorts"))
        keys = [row["id"] for row in matching]
        cursor = body.get("start_cursor")
        session = str(uuid.uuid5(uuid.NAMESPACE_URL, source.id))
        start = 0
        if cursor is not None:
            parts = str(cursor).split(":")
            if len(parts) != 3 or parts[0] != "s":
                raise invalid_cursor(str(cursor))
            session = parts[1]
            start = self._start_index(parts[2], keys) if parts[2] in keys else -1
            if start < 0:
                raise invalid_cursor(str(cursor))
        size = self._page_size(body.get("page_size"), "body", limits)
        end = min(start + size, len(keys), limits.query_result_cap)
        window = matching[start:end]
        capped = end >= limits.query_result_cap and len(keys) > limits.query_result_cap
        next_cursor = f"s:{session}:{keys[end]}" if end < len(keys) and not capped else None
        if only is not None:
            window = [
                {
                    **row,
                    "properties": {
                        name: value
                        for name, value in row["properties"].items()
                        if value["id"] in only
                    },
                }
                for row in window
            ]
        result = list_body(window, next_cursor, "page_or_data_source")
        if capped:
            result["request_status"] = {
                "type": "incomplete",
                "incomplete_reason": "query_result_limit_reached",
            }
        return ApiResponse(result)

    # ------------------------------------------------------------------ comments

    def _comments_list(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        raw = self._query_value(request, "block_id")
        block_id = dashed(raw) if raw else None
        if block_id is None:
            raise validation_error(
                "body failed validation: query.block_id should be a valid uuid, "
                f'instead was `"{raw}"`.'
            )
        if not self.ws.comments_readable:
            message = "Insufficient permissions for this endpoint."
            raise ApiError(403, "restricted_resource", message)
        known = block_id in self.ws.blocks or block_id in self.ws.pages
        if not known or not self.ws.is_shared(block_id):
            raise self._not_found("block", block_id)
        listed = listed_comments(self.ws.comments, block_id)
        keys = [comment.id for comment in listed]
        cursor = self._query_value(request, "start_cursor")
        start = self._start_index(dashed(cursor) or cursor if cursor else None, keys)
        size = self._page_size(self._query_value(request, "page_size"), "query", limits)
        window = listed[start : start + size]
        next_cursor = keys[start + size] if start + size < len(keys) else None
        results = [self._comment(comment) for comment in window]
        return ApiResponse(list_body(results, next_cursor, "comment"))

    def _comment(self, comment: CommentRecord) -> JSON:
        author_type = "integration" if comment.created_by == self.ws.bot_id else "user"
        return comment_json(comment, author_type)

    # ------------------------------------------------------------------ users

    def _users_readable(self) -> None:
        if not self.ws.users_readable:
            message = "Insufficient permissions for this endpoint."
            raise ApiError(403, "restricted_resource", message)

    def _users_list(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        self._users_readable()
        keys = list(self.ws.users)
        cursor = self._query_value(request, "start_cursor")
        start = self._start_index(dashed(cursor) or cursor if cursor else None, keys)
        size = self._page_size(self._query_value(request, "page_size"), "query", limits)
        window = keys[start : start + size]
        next_cursor = keys[start + size] if start + size < len(keys) else None
        results = [self._full_user(user_id) for user_id in window]
        return ApiResponse(list_body(results, next_cursor, "user"))

    def _full_user(self, user_id: str) -> JSON:
        user = dict(self.ws.users[user_id])
        if user_id == self.ws.bot_id:
            user["name"] = self.integration_name
            user["bot"] = {
                "owner": {"type": "workspace", "workspace": True},
                "workspace_name": self.ws.workspace_name,
                "workspace_id": self.ws.workspace_id,
                "workspace_limits": {"max_file_upload_size_in_bytes": self.uploads.workspace_limit},
            }
        return user

    def _users_me(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        return ApiResponse(self._full_user(self.ws.bot_id))

    def _users_retrieve(self, request: ApiRequest, s: Serializer, limits: Limits) -> ApiResponse:
        user_id = self._path_id(request, "user_id", "user")
        self._users_readable()
        if user_id not in self.ws.users:
            raise self._not_found("user", user_id)
        return ApiResponse(self._full_user(user_id))
