"""The pygit2 callbacks of one push: credentials once, host keys enforced, refusals kept.

Credentials are read only when libgit2 asks for them, and only from the places the
remote's settings name; nothing here stores them beyond the callback object's life.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import CredentialType

from notion_syncd.config import RemoteSettings, credential_path
from notion_syncd.errors import HostKeyError, PushError, RemoteAuthError
from notion_syncd.gitremote.hostkeys import host_label, known_hosts_lists_host

SSH_KEY_CREDENTIAL = "git-ssh-key"
TOKEN_CREDENTIAL = "git-token"


class PushCallbacks(pygit2.RemoteCallbacks):
    """Callbacks for pushing ``expected_ref`` to one remote.

    ``ssh_target`` is ``(host, port)`` for SSH remotes; ``known_hosts_text`` and
    ``known_hosts_source`` describe what libgit2 checks the host key against.
    """

    def __init__(
        self,
        remote: RemoteSettings,
        *,
        environ: Mapping[str, str],
        expected_ref: str,
        ssh_target: tuple[str, int] | None,
        known_hosts_text: str,
        known_hosts_source: str,
    ) -> None:
        super().__init__()
        self.remote_settings = remote
        self.environ = environ
        self.expected_ref = expected_ref
        self.ssh_target = ssh_target
        self.known_hosts_text = known_hosts_text
        self.known_hosts_source = known_hosts_source
        self.credential_calls = 0
        self.rejections: list[tuple[str, str]] = []
        self.secrets: list[str] = []
        self._offered: set[str] = set()
        self._token_source = "nowhere"

    # --- credentials -------------------------------------------------------------

    def credentials(
        self, url: str, username_from_url: str | None, allowed_types: CredentialType
    ) -> Any:
        """Hand out each kind of credential once; a second request means it was refused."""
        self.credential_calls += 1
        name = self.remote_settings.name
        if allowed_types & CredentialType.SSH_KEY:
            user = username_from_url or self.remote_settings.ssh_username
            key_path = self._ssh_key_path()
            self._offer_once(
                "ssh-key",
                f"the remote {name!r} refused the SSH key {key_path} for user {user!r}; check "
                "that its public key may push there (GitHub: a deploy key with write access)",
            )
            public = Path(f"{key_path}.pub")
            return pygit2.Keypair(
                user, str(public) if public.is_file() else None, str(key_path), ""
            )
        if allowed_types & CredentialType.USERNAME:
            self._offer_once("username", f"the remote {name!r} refused the SSH user name")
            return pygit2.Username(username_from_url or self.remote_settings.ssh_username)
        if allowed_types & CredentialType.USERPASS_PLAINTEXT:
            # Refuse a repeat before the token is read again, so no frame of a
            # traceback holds it.
            self._offer_once(
                "token",
                f"the remote {name!r} refused the token from {self._token_source} for user "
                f"{self.remote_settings.username!r}; check that it is valid, not expired "
                "and allowed to push to this repository",
            )
            token, self._token_source = self._token()
            return pygit2.UserPass(self.remote_settings.username, token)
        raise RemoteAuthError(
            f"the remote {name!r} asks for a kind of credential notion-syncd cannot give "
            f"({allowed_types!r}); use an SSH key or an HTTPS token"
        )

    def _offer_once(self, kind: str, refused_message: str) -> None:
        if kind in self._offered:
            raise RemoteAuthError(refused_message)
        self._offered.add(kind)

    def _ssh_key_path(self) -> Path:
        path = self.remote_settings.ssh_key_file or credential_path(
            SSH_KEY_CREDENTIAL, self.environ
        )
        if path is None:
            raise RemoteAuthError(
                f"the remote {self.remote_settings.name!r} needs an SSH key and none is "
                "configured: set ssh_key_file for it, or pass the systemd credential "
                f"{SSH_KEY_CREDENTIAL!r}"
            )
        if not path.is_file():
            raise RemoteAuthError(
                f"the SSH key {path} of remote {self.remote_settings.name!r} does not exist "
                "or is not a file"
            )
        return path

    def _token(self) -> tuple[str, str]:
        """The HTTPS token and a description of where it came from (never the token)."""
        if self.remote_settings.token_env:
            token = self.environ.get(self.remote_settings.token_env, "").strip()
            if token:
                self.secrets.append(token)
                return token, f"${self.remote_settings.token_env}"
        path = self.remote_settings.token_file or credential_path(TOKEN_CREDENTIAL, self.environ)
        if path is not None:
            try:
                token = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise RemoteAuthError(
                    f"cannot read the token file {path} of remote {self.remote_settings.name!r}: "
                    f"{getattr(error, 'strerror', None) or type(error).__name__}"
                ) from None
            if token:
                self.secrets.append(token)
                return token, str(path)
        raise RemoteAuthError(
            f"the remote {self.remote_settings.name!r} asks for a user name and token and none is "
            "configured: set token_env or token_file for it, or pass the systemd credential "
            f"{TOKEN_CREDENTIAL!r}"
        )

    # --- host keys and certificates ------------------------------------------------

    def certificate_check(self, certificate: object, valid: bool, host: bytes) -> bool:
        """Accept exactly what libgit2 verified (known_hosts for SSH, the CA chain for TLS)."""
        if valid:
            return True
        name = self.remote_settings.name
        if self.ssh_target is None:
            raise PushError(
                f"the TLS certificate of {host.decode(errors='replace')} (remote {name!r}) "
                "is not valid; the push was refused"
            )
        label = host_label(*self.ssh_target)
        if known_hosts_lists_host(self.known_hosts_text, *self.ssh_target):
            raise HostKeyError(
                f"the SSH host key of {label} (remote {name!r}) does not match "
                f"{self.known_hosts_source}: the key changed or someone is intercepting the "
                "connection; nothing was pushed",
                hint="confirm the new key with the host's owner, then update that known_hosts file",
            )
        raise HostKeyError(
            f"the SSH host key of {label} (remote {name!r}) is unknown: it is not in "
            f"{self.known_hosts_source}; nothing was pushed",
            hint=f"add the host's key (checked with its owner) to a file and set "
            f'known_hosts = "<that file>" for remote {name!r}',
        )

    # --- what the server did with the update ------------------------------------------

    def push_negotiation(self, updates: list[Any]) -> None:
        """Refuse to send anything but the one branch this push is about."""
        for update in updates:
            if update.dst_refname != self.expected_ref:
                raise PushError(
                    f"refusing to update {update.dst_refname} on remote "
                    f"{self.remote_settings.name!r}: only {self.expected_ref} is pushed"
                )

    def push_update_reference(self, refname: str, message: str | None) -> None:
        """Keep the server's refusals: libgit2 does not raise for them."""
        if message is not None:
            self.rejections.append((refname, message))


def environment(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    """The environment credentials are read from."""
    return os.environ if environ is None else environ
