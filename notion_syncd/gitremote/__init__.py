"""Push the mirror to its remotes (SSH, HTTPS, local paths), safely.

Safety rules, each one a lesson from libgit2/pygit2 (OPERATIONS §0, §4.5):

1. **Host keys are checked.** pygit2 accepts *any* SSH host key unless the
   ``certificate_check`` callback returns libgit2's own verdict, so ours returns
   ``valid`` and raises :class:`~notion_syncd.errors.HostKeyError` otherwise. libgit2
   reads ``$HOME/.ssh/known_hosts`` where ``$HOME`` is its *homedir* setting, not the
   environment: every push points that setting at notion-syncd's own ``homedir`` and
   writes ``homedir/.ssh/known_hosts`` first, from the remote's ``known_hosts`` file or,
   when unset, from GitHub's published keys (:data:`GITHUB_KNOWN_HOSTS`). The user's
   ``~/.ssh`` and ``~/.gitconfig`` are never read; :func:`default_homedir` gives
   ``<git dir>/notion-syncd/home``, and a ``known_hosts`` that notion-syncd did not write
   (no marker line) is never replaced. TLS certificates are checked the same way
   (``valid`` must be true).
2. **Credentials never touch disk or logs.** The push goes through an anonymous
   remote, so nothing is written into ``.git/config``; the SSH key
   (``ssh_key_file`` or ``$CREDENTIALS_DIRECTORY/git-ssh-key``) and the HTTPS token
   (``token_env``, ``token_file`` or ``$CREDENTIALS_DIRECTORY/git-token``) are handed
   to libgit2 only from the credentials callback. Every message that may carry
   libgit2's text is scrubbed of the token and of ``user:password@`` in URLs.
3. **A refused credential fails at once.** libgit2 asks again and again (15 times
   for a wrong token); the second request for the same kind of credential raises
   :class:`~notion_syncd.errors.RemoteAuthError`.
4. **Nothing is overwritten by accident.** Pushes are fast-forward only unless the
   remote sets ``force = true``; a non-fast-forward push and a refusal by a server
   hook (which libgit2 reports only through ``push_update_reference``, without
   raising) both become :class:`~notion_syncd.errors.PushRejected` naming the remote
   and the remedy.
5. **Bounded time.** ``server_connect_timeout`` and ``server_timeout`` come from the
   ``timeout`` argument (they bound connecting and every single read or write).
6. **One remote never blocks the others.** :func:`push_all` catches each remote's
   failure, records it in ``<git dir>/notion-syncd/push-state.json`` (local to this
   host, never committed), and retries it with exponential backoff.

The libgit2 settings touched here (homedir, timeouts) are process-global, so pushes
hold one lock and restore the previous values afterwards.
"""

from __future__ import annotations

from notion_syncd.gitremote.hostkeys import GITHUB_KNOWN_HOSTS
from notion_syncd.gitremote.push import PushResult, push_remote
from notion_syncd.gitremote.pushall import push_all
from notion_syncd.gitremote.state import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    RemoteState,
    backoff_delay,
    default_homedir,
    format_remote_state,
    read_push_state,
    state_path,
)

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "GITHUB_KNOWN_HOSTS",
    "PushResult",
    "RemoteState",
    "backoff_delay",
    "default_homedir",
    "format_remote_state",
    "push_all",
    "push_remote",
    "read_push_state",
    "state_path",
]
