"""``restore --replace``: the restored page takes the current page's place.

Decided (the issue left the shape open): nothing is overwritten in place. The version is
restored as a new page under the current page's parent, completely (journaled like any
restore), and only then is the current page moved to Notion's trash, where Notion keeps
it (and its sub-pages) for 30 days; the mirror keeps every version. A kill before the
trash step leaves both pages; re-running the command finishes the restore and trashes
the old page then. Links from other pages still point at the old page's id.
"""

from __future__ import annotations

from typing import Any

from notion_syncd import errors
from notion_syncd.notion.client import NotionClient
from notion_syncd.terms import compact_id

JSON = dict[str, Any]


def replace_parent(client: NotionClient, page_id: str) -> JSON:
    """``--replace``: the current page's parent, after checking that it may be replaced.

    The current page goes to the trash once the restored one is complete, and its
    sub-pages with it: so it must exist, and a version with sub-pages or databases is
    restored with ``--recursive`` (they come back with it).
    """
    try:
        current = client.page(page_id)
    except errors.NotionNotFound as error:
        raise errors.UsageError(
            f"--replace: page {page_id} is not in Notion (any more): restore without --replace"
        ) from error
    if current.get("in_trash") or current.get("archived"):
        raise errors.UsageError(
            f"--replace: page {page_id} is in the trash: nothing to replace; "
            "restore without --replace"
        )
    parent = current.get("parent") or {}
    kind = parent.get("type")
    if kind not in ("page_id", "data_source_id"):
        raise errors.UsageError(
            "--replace: the page is not under a page or a data source; "
            "restore without --replace and --to PARENT"
        )
    return {"type": kind, kind: str(parent[kind])}


def trash_current(client: NotionClient, page_id: str, new_id: str) -> None:
    """``--replace``, last: the current page goes to the trash (again on a re-run: harmless)."""
    try:
        client.request("PATCH", f"/v1/pages/{page_id}", json={"in_trash": True})
    except errors.NotionForbidden as error:
        raise errors.RestoreError(
            f"the page is restored (https://www.notion.so/{compact_id(new_id)}), but Notion "
            f"refused to move the current page {page_id} to the trash ({error.message}): "
            "--replace needs the 'Update content' capability",
            hint="give the integration 'Update content' and run the same command again, "
            "or trash the old page by hand",
        ) from error
