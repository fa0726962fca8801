"""Push one branch of the mirror to one remote: :func:`push_remote`."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pygit2

from notion_syncd.config import RemoteSettings
from notion_syncd.errors import (
    HostKeyError,
    NotionSyncdError,
    PushError,
    PushRejected,
    RemoteAuthError,
)
from notion_syncd.gitremote.callbacks import PushCallbacks, environment
from notion_syncd.gitremote.hostkeys import GITHUB_KNOWN_HOSTS, install_known_hosts, ssh_target

#: libgit2's homedir and timeouts are process-global: one push at a time sets them.
_LIBGIT2_SETTINGS = threading.Lock()

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@:\s]*):[^/@\s]*@")
_NON_FAST_FORWARD = (
    "non-fastforward",
    "non-fast-forward",
    "not present locally",
    "fetch first",
)


@dataclass(frozen=True)
class PushResult:
    """What happened to one remote in one push round.

    ``ok`` with ``skipped``: the remote already had ``commit``. ``skipped`` without
    ``ok``: not tried now because the remote is backing off after failures (``error``
    says until when and why).
    """

    remote: str
    ok: bool
    commit: str | None
    error: str | None = None
    skipped: bool = False


def redact_url(url: str) -> str:
    """The URL without a password or token in its user part."""
    return _URL_PASSWORD.sub(r"\g<scheme>\g<user>@", url)


def scrub(text: str, secrets: list[str]) -> str:
    """Text with every secret and every ``user:password@`` in URLs replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return redact_url(text)


def push_remote(
    repo_path: Path,
    remote: RemoteSettings,
    *,
    local_branch: str = "main",
    homedir: Path,
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> PushResult:
    """Push ``refs/heads/<local_branch>`` to ``refs/heads/<remote.branch>`` on ``remote.url``.

    Returns an ``ok`` result naming the pushed commit; raises a
    :class:`~notion_syncd.errors.PushError` subclass for every failure:
    :class:`~notion_syncd.errors.PushRejected` (not a fast-forward, or a server hook
    said no), :class:`~notion_syncd.errors.HostKeyError`,
    :class:`~notion_syncd.errors.RemoteAuthError`, or plain ``PushError`` (unreachable,
    timed out, no such repository). ``homedir`` is notion-syncd's own: its
    ``.ssh/known_hosts`` is rewritten before SSH pushes.
    """
    name = remote.name
    local_ref = f"refs/heads/{local_branch}"
    remote_ref = f"refs/heads/{remote.branch}"
    target = ssh_target(remote.url)
    known_hosts_text, known_hosts_source = _known_hosts(remote) if target else ("", "")
    callbacks = PushCallbacks(
        remote,
        environ=environment(environ),
        expected_ref=remote_ref,
        ssh_target=target,
        known_hosts_text=known_hosts_text,
        known_hosts_source=known_hosts_source,
    )
    try:
        repo = pygit2.Repository(str(repo_path))
        reference = repo.references.get(local_ref)
        if reference is None:
            raise PushError(f"nothing to push to remote {name!r}: the mirror has no {local_ref}")
        commit = str(reference.resolve().target)
        _check_local_target(remote)
        spec = f"{'+' if remote.force else ''}{local_ref}:{remote_ref}"
        with _libgit2_settings(homedir, timeout):
            if target is not None:
                install_known_hosts(homedir, known_hosts_text)
            repo.remotes.create_anonymous(remote.url).push([spec], callbacks=callbacks)
        if callbacks.rejections:
            raise _refused(remote, *callbacks.rejections[0])
    except NotionSyncdError as error:
        error.message = scrub(error.message, callbacks.secrets)
        error.args = (error.message,)
        raise
    except pygit2.GitError as error:
        raise _map_git_error(remote, error, callbacks.secrets) from None
    except OSError as error:
        raise PushError(
            f"pushing to remote {name!r} failed: {scrub(str(error), callbacks.secrets)}"
        ) from None
    finally:
        callbacks.secrets.clear()  # no token outlives the push, not even in a traceback
    return PushResult(remote=name, ok=True, commit=commit)


def _known_hosts(remote: RemoteSettings) -> tuple[str, str]:
    if remote.known_hosts is None:
        return (
            GITHUB_KNOWN_HOSTS,
            f"notion-syncd's built-in GitHub host keys (no known_hosts set for remote "
            f"{remote.name!r})",
        )
    try:
        return remote.known_hosts.read_text(encoding="utf-8"), f"{remote.known_hosts}"
    except (OSError, UnicodeDecodeError) as error:
        raise HostKeyError(
            f"cannot read the known_hosts file {remote.known_hosts} of remote "
            f"{remote.name!r}: {getattr(error, 'strerror', None) or type(error).__name__}"
        ) from None


def _check_local_target(remote: RemoteSettings) -> None:
    """A clear error for a local path remote that does not exist (libgit2 says
    "unsupported URL protocol")."""
    url = remote.url
    if url.startswith("file://"):
        path = Path(url.removeprefix("file://"))
    elif "://" in url or ssh_target(url) is not None:
        return
    else:
        path = Path(url)
    if not path.is_dir():
        raise PushError(f"the remote {remote.name!r} points to {path}, which is not a repository")


def _refused(remote: RemoteSettings, refname: str, message: str) -> PushRejected:
    """The error for an update the server refused (reported via push_update_reference)."""
    if any(marker in message.lower() for marker in _NON_FAST_FORWARD):
        return _non_fast_forward(remote)
    return PushRejected(
        f"remote {remote.name!r} refused the update of {refname}: {message}",
        hint="a server-side hook or branch protection refused it; ask the remote's owner",
    )


def _non_fast_forward(remote: RemoteSettings) -> PushRejected:
    return PushRejected(
        f"remote {remote.name!r} has commits the mirror does not have: someone else pushed to "
        f"{remote.name!r}; fetch and merge by hand, or set force = true for this remote "
        "to overwrite them",
        hint="nothing was overwritten; notion-syncd retries later",
    )


def _map_git_error(remote: RemoteSettings, error: pygit2.GitError, secrets: list[str]) -> PushError:
    text = scrub(str(error), secrets)
    name = remote.name
    if any(marker in text.lower() for marker in _NON_FAST_FORWARD):
        return _non_fast_forward(remote)
    if isinstance(error, pygit2.AuthError):
        return RemoteAuthError(f"the remote {name!r} refused the credentials: {text}")
    if isinstance(error, pygit2.CertificateError):
        return HostKeyError(f"the host key or certificate of remote {name!r} was refused: {text}")
    return PushError(f"pushing to remote {name!r} failed: {text}")


@contextmanager
def _libgit2_settings(homedir: Path, timeout: float) -> Iterator[None]:
    """Point libgit2 at notion-syncd's homedir and timeouts for one push, then restore."""
    settings = pygit2.settings
    milliseconds = max(1, int(timeout * 1000))
    with _LIBGIT2_SETTINGS:
        saved_homedir = settings.homedir
        saved_timeouts = (settings.server_connect_timeout, settings.server_timeout)
        homedir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            settings.homedir = str(homedir)
            settings.server_connect_timeout = milliseconds
            settings.server_timeout = milliseconds
            yield
        finally:
            if saved_homedir is not None:
                settings.homedir = saved_homedir
            settings.server_connect_timeout, settings.server_timeout = saved_timeouts
