"""The authors map: Notion user id -> ``Name <e-mail>``, committed in the mirror.

``.notion-syncd/authors`` has git-svn's authors-file format, one user a line::

    # comments and blank lines are kept as they are
    8d1f0e6a-2c4b-4f1e-9a51-0c1e7a3f5b21 = Ada Lovelace <8d1f…@users.noreply.notion.invalid>

A sync uses the map before asking Notion: a user in it is never looked up, so a line
edited by hand is what every later commit uses (fix a name, give a guest one, use a
real address). Users the sync learns (``GET /v1/users/{id}`` answered) are added: the
file's text is kept byte for byte and the new lines are appended, sorted by user id,
so the output depends only on what was learned, never on the order of requests. A
sync never changes or removes a line; delete one to have it learned again (after a
rename in Notion, or a change of ``git.author_emails``). Fallback identities (no
user-information capability, a guest) are not written, so names appear as soon as the
capability is granted. Pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from notion_syncd.gitstore import Author
from notion_syncd.sync.state import STATE_DIR
from notion_syncd.terms import compact_id, dashed_id

AUTHORS_FILE = f"{STATE_DIR}/authors"
HEADER = (
    "# Commit authors: Notion user id = Name <e-mail>. Edit freely: notion-syncd adds\n"
    "# the users it learns and never changes a line (delete one to have it learned again).\n"
)
UNSAFE = re.compile(r"[<>\r\n]")
LINE = re.compile(r"^\s*([0-9a-fA-F-]{32,36})\s*=\s*(.*?)\s*<([^<>]*)>\s*$")


@dataclass(frozen=True)
class AuthorsMap:
    """The identities the map gives, and the line numbers it could not read."""

    identities: Mapping[str, Author]
    unreadable: tuple[int, ...] = ()


def parse(text: str) -> AuthorsMap:
    """Read the map; a line that is not ``id = Name <e-mail>`` is skipped and reported."""
    identities: dict[str, Author] = {}
    unreadable = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = LINE.match(line)
        user_id = _user_id(match.group(1)) if match else None
        if match is None or user_id is None:
            unreadable.append(number)
            continue
        name, email = match.group(2).strip(), match.group(3).strip()
        identities.setdefault(user_id, Author(name or user_id, email))
    return AuthorsMap(identities, tuple(unreadable))


def _user_id(text: str) -> str | None:
    compact = text.replace("-", "").lower()
    if len(compact) != 32:
        return None
    return dashed_id(compact_id(compact))


def line(user_id: str, author: Author) -> str:
    """One line of the map (line breaks and angle brackets in a name become spaces)."""
    name = " ".join(UNSAFE.sub(" ", author.name).split()) or user_id
    return f"{user_id} = {name} <{UNSAFE.sub('', author.email)}>\n"


def with_learned(text: str | None, learned: Mapping[str, Author]) -> str:
    """The map's text with the learned users not in it yet appended, sorted by id."""
    current = text if text is not None else HEADER
    known = parse(current).identities
    new = sorted(user_id for user_id in learned if user_id not in known)
    if not new:
        return current
    if current and not current.endswith("\n"):
        current += "\n"
    return current + "".join(line(user_id, learned[user_id]) for user_id in new)
