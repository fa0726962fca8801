"""``notion-syncd webhooks token``: print the verification token Notion sent.

The token is kept by the daemon under ``<git dir>/notion-syncd/webhook-token`` (mode
0600, never in the mirror's tree or history). The operator pastes it into the
integration's webhook settings to activate the subscription.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import pygit2

from notion_syncd.config import Settings
from notion_syncd.errors import GitStoreError
from notion_syncd.webhooks.store import read_stored_token


def print_token(settings: Settings, *, out: TextIO, err: TextIO) -> int:
    """Print the stored token; 1 (with what to do) when Notion has not sent one yet."""
    try:
        git_dir = pygit2.Repository(str(settings.export.repo)).path
    except pygit2.GitError as error:
        raise GitStoreError(
            f"cannot open the mirror repository {settings.export.repo}: {error}"
        ) from None
    token = read_stored_token(Path(git_dir))
    if token is None:
        err.write(
            "notion-syncd: no verification token received yet; with `run` serving "
            "[webhooks], create the subscription in the integration's settings\n"
        )
        return 1
    out.write(token + "\n")
    return 0
