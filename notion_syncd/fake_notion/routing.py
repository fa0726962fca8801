"""Which endpoint a method and path name, and the ids in the path."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEGMENT = r"(?P<{}>[^/]+)"


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path pattern, request-log name."""

    method: str
    pattern: re.Pattern[str]
    endpoint: str


def _route(method: str, template: str, endpoint: str) -> Route:
    regex = re.sub(r"\{(\w+)\}", lambda m: _SEGMENT.format(m.group(1)), template)
    return Route(method, re.compile(f"^{regex}/?$"), endpoint)


ROUTES: tuple[Route, ...] = (
    _route("POST", "/v1/search", "search"),
    _route("POST", "/v1/pages", "pages.create"),
    _route("GET", "/v1/pages/{page_id}", "pages.retrieve"),
    _route("PATCH", "/v1/pages/{page_id}", "pages.update"),
    _route("GET", "/v1/pages/{page_id}/properties/{property_id}", "pages.properties"),
    _route("GET", "/v1/blocks/{block_id}", "blocks.retrieve"),
    _route("GET", "/v1/blocks/{block_id}/children", "blocks.children"),
    _route("PATCH", "/v1/blocks/{block_id}/children", "blocks.append"),
    _route("POST", "/v1/databases", "databases.create"),
    _route("GET", "/v1/databases/{database_id}", "databases.retrieve"),
    _route("GET", "/v1/data_sources/{data_source_id}", "data_sources.retrieve"),
    _route("POST", "/v1/data_sources/{data_source_id}/query", "data_sources.query"),
    _route("GET", "/v1/comments", "comments.list"),
    _route("POST", "/v1/file_uploads", "file_uploads.create"),
    _route("POST", "/v1/file_uploads/{file_upload_id}/send", "file_uploads.send"),
    _route("POST", "/v1/file_uploads/{file_upload_id}/complete", "file_uploads.complete"),
    _route("GET", "/v1/users", "users.list"),
    _route("GET", "/v1/users/me", "users.me"),
    _route("GET", "/v1/users/{user_id}", "users.retrieve"),
)
FILE_ROUTE = re.compile(r"^/_files/(?P<file_id>[0-9a-f-]{36})/(?P<name>[^/]+)$")
INVALID_ENDPOINT = "invalid"
FILES_ENDPOINT = "files.download"


def match_route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """``(endpoint, path parameters)`` for an API request, or None when no route matches."""
    for route in ROUTES:
        if route.method != method:
            continue
        found = route.pattern.match(path)
        if found:
            return route.endpoint, found.groupdict()
    return None


def endpoint_of(method: str, path: str) -> str:
    """The request-log name of a request (``invalid`` when unknown)."""
    if FILE_ROUTE.match(path):
        return FILES_ENDPOINT
    matched = match_route(method, path)
    return matched[0] if matched else INVALID_ENDPOINT
