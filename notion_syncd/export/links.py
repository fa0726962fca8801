"""Links between mirrored files: the render context and relative, URL-quoted paths.

Every renderer receives a :class:`RenderContext` naming the file being written and two
lookups into the mirror's index. Links are always relative to the file being written, so
the mirror works on GitHub, in a browser from disk, and in any clone.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

FILES_PREFIX = "_files/"


@dataclass(frozen=True)
class RenderContext:
    """Where the output goes and how to reach other mirrored objects.

    ``path`` is the repo-relative, "/"-separated path of the file being written.
    ``resolve`` maps a Notion id (dashed or not) to the repo-relative stem of that
    object's files (append ".md", ".html", ".csv"), or None when it is not mirrored.
    ``title_of`` maps a Notion id to its title, or None when unknown.
    ``data_sources_of`` maps a database id to its data sources, ``(id, name)`` in Notion's
    order, as the mirror last saw the database (empty when it does not know).
    """

    path: str
    resolve: Callable[[str], str | None]
    title_of: Callable[[str], str | None]
    data_sources_of: Callable[[str], list[tuple[str, str]]] = lambda database_id: []


def relative_link(from_path: str, to_path: str) -> str:
    """Return a URL-quoted link from the file ``from_path`` to ``to_path`` (both repo-relative).

    The mirror's paths are already normal (no ``.``, ``..`` or empty parts), so the
    common folders are counted directly: ``posixpath.relpath`` normalises both paths
    first, and with ``quote`` it was a twentieth of a first export's CPU (issue 10).
    """
    start = from_path.strip("/").split("/")[:-1]
    target = to_path.strip("/").split("/")
    if _ODD_PARTS.intersection(start) or _ODD_PARTS.intersection(target):
        relative = posixpath.relpath("/" + "/".join(target), "/" + ("/".join(start) or "."))
    else:
        common = 0
        for here, there in zip(start, target, strict=False):
            if here != there:
                break
            common += 1
        relative = "/".join([".."] * (len(start) - common) + target[common:]) or "."
    return relative if _NEEDS_NO_QUOTING.fullmatch(relative) else quote(relative, safe="/")


_ODD_PARTS = frozenset({"", ".", ".."})
"""Path parts only ``posixpath.relpath`` handles as a path means them."""
_NEEDS_NO_QUOTING = re.compile(r"[A-Za-z0-9_.~/-]*")
"""What ``quote(..., safe="/")`` leaves as it is."""


def object_link(ctx: RenderContext, notion_id: str, suffix: str) -> str | None:
    """Return a relative link to the mirrored object ``notion_id`` with ``suffix``, or None."""
    if not notion_id:
        return None
    stem = ctx.resolve(notion_id)
    if stem is None:
        return None
    return relative_link(ctx.path, stem + suffix)


def data_source_links(ctx: RenderContext, database_id: str, suffix: str) -> list[tuple[str, str]]:
    """``(name, link)`` of each mirrored data source of a database, when it has several.

    Empty when fewer than two are mirrored (the database's own link reaches the one). A
    source the mirror does not hold is left out, as a fresh export would leave it out (it
    is unshared, removed, or comes later: asking for it makes the page render again then).
    """
    sources = ctx.data_sources_of(database_id) if database_id else []
    links = [
        (ctx.title_of(source_id) or name or "Untitled", object_link(ctx, source_id, suffix))
        for source_id, name in sources
    ]
    shown = [(name, link) for name, link in links if link is not None]
    return shown if len(shown) > 1 else []


def safe_url(url: str) -> str:
    """Quote the characters that would end or break a Markdown/HTML link target."""
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
        .replace('"', "%22")
        .replace("\n", "")
    )


CLICKABLE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20\x7f]")


def clickable(url: str) -> bool:
    """Whether an HTML view may make ``url`` a link: http(s), mailto, or relative.

    Browsers drop tabs, newlines and leading spaces or controls before reading a scheme
    (``java\tscript:``), so they are removed before the scheme is read.
    """
    scheme = _SCHEME.match(_IGNORED_BY_BROWSERS.sub("", url))
    return scheme is None or scheme.group(1).lower() in CLICKABLE_SCHEMES


@dataclass(frozen=True)
class FileTarget:
    """Where a Notion file object points from the file being written."""

    url: str | None  # relative path to a stored file, or an external URL, or None
    error: str | None  # the download error when the file could not be stored
    name: str  # the file's name when known, else the last path segment of the URL


def file_target(file_object: dict[str, Any], ctx: RenderContext) -> FileTarget:
    """Resolve a Notion file object (block payload, files property item, icon) to a link."""
    kind = str(file_object.get("type") or "")
    inner = file_object.get(kind)
    raw_url = source_url = ""
    error: str | None = None
    if isinstance(inner, dict):
        raw_url = str(inner.get("url") or "")
        source_url = str(inner.get("source_url") or "")
        if inner.get("download_error") is not None:
            error = str(inner["download_error"])
    if file_object.get("download_error") is not None:
        error = str(file_object["download_error"])
    # A downloaded file is named by its hash; the name it had in Notion ends its source URL.
    named_by = (source_url or raw_url).split("?", 1)[0]
    name = str(file_object.get("name") or "") or unquote(posixpath.basename(named_by))
    if not raw_url:
        return FileTarget(None, error, name)
    if kind == "file" and raw_url.startswith(FILES_PREFIX) and error is None:
        return FileTarget(relative_link(ctx.path, raw_url), None, name)
    return FileTarget(safe_url(raw_url), error, name)
