"""Reach one remote with its credentials without pushing: :func:`probe_remote`.

What ``git ls-remote`` does, with the same safety rules as a push (host keys checked,
credentials only from the callback, bounded time; see the package docstring): the
remote's references are listed, nothing is sent. ``notion-syncd check`` uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pygit2

from notion_syncd.config import RemoteSettings
from notion_syncd.errors import HostKeyError, NotionSyncdError, PushError, RemoteAuthError
from notion_syncd.gitremote.callbacks import PushCallbacks, environment
from notion_syncd.gitremote.hostkeys import install_known_hosts, ssh_target
from notion_syncd.gitremote.push import (
    _check_local_target,
    _known_hosts,
    _libgit2_settings,
    scrub,
)


def probe_remote(
    repo_path: Path,
    remote: RemoteSettings,
    *,
    homedir: Path,
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """List the references of ``remote.url``; True when it has ``remote.branch``.

    Raises :class:`~notion_syncd.errors.RemoteAuthError`,
    :class:`~notion_syncd.errors.HostKeyError` or plain
    :class:`~notion_syncd.errors.PushError` (unreachable, timed out, not a repository),
    each naming the remote and scrubbed of credentials.
    """
    target = ssh_target(remote.url)
    known_hosts_text, known_hosts_source = _known_hosts(remote) if target else ("", "")
    callbacks = PushCallbacks(
        remote,
        environ=environment(environ),
        expected_ref=f"refs/heads/{remote.branch}",
        ssh_target=target,
        known_hosts_text=known_hosts_text,
        known_hosts_source=known_hosts_source,
    )
    try:
        _check_local_target(remote)
        repo = pygit2.Repository(str(repo_path))
        with _libgit2_settings(homedir, timeout):
            if target is not None:
                install_known_hosts(homedir, known_hosts_text)
            heads = repo.remotes.create_anonymous(remote.url).list_heads(callbacks=callbacks)
    except NotionSyncdError as error:
        error.message = scrub(error.message, callbacks.secrets)
        error.args = (error.message,)
        raise
    except pygit2.GitError as error:
        text = scrub(str(error), callbacks.secrets)
        if isinstance(error, pygit2.AuthError):
            raise RemoteAuthError(
                f"the remote {remote.name!r} refused the credentials: {text}"
            ) from None
        if isinstance(error, pygit2.CertificateError):
            raise HostKeyError(
                f"the host key or certificate of remote {remote.name!r} was refused: {text}"
            ) from None
        raise PushError(f"cannot reach remote {remote.name!r}: {text}") from None
    except OSError as error:
        raise PushError(
            f"cannot reach remote {remote.name!r}: {scrub(str(error), callbacks.secrets)}"
        ) from None
    finally:
        callbacks.secrets.clear()
    wanted = f"refs/heads/{remote.branch}"
    return any(head.name == wanted for head in heads)
