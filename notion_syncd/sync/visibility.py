"""Whether the integration sees anything at all: an empty listing is not a backup.

A token whose integration has no page shared with it lists nothing: search answers an
empty list with status 200. Mirroring that would look like success (an empty mirror,
exit 0) while nothing is backed up. So when the listing of a sync into an empty mirror
(no watermark, no index entry) shows nothing, the sync fails with
:class:`~notion_syncd.errors.NothingShared`, which names the likely cause; nothing is
committed. Once a mirror holds objects, an empty listing is an ordinary sync (deletions
are the sweep's business, guarded against mass deletion there).
"""

from __future__ import annotations

from collections.abc import Callable

from notion_syncd.errors import NothingShared

SHARE_HINT = (
    "share the pages or databases to back up with the integration: in Notion, open a "
    "top-level page, ••• menu → Connections → add the integration; its children follow"
)


def check_something_listed(listed: int, watermark: str | None, mirrored: Callable[[], int]) -> None:
    """Raise NothingShared when a first sync into an empty mirror listed nothing.

    ``mirrored`` counts the mirror's index entries; it is only called when needed.
    """
    if listed == 0 and watermark is None and mirrored() == 0:
        raise NothingShared(
            "Notion listed no page and no database for this token: nothing to back up "
            "(the integration has probably not been given access to any page)",
            hint=SHARE_HINT,
        )
