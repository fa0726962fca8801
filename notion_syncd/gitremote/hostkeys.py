"""SSH host keys: GitHub's published keys, the known_hosts file libgit2 reads, lookups.

libgit2 (libssh2 backend) checks the server's key against ``<homedir>/.ssh/known_hosts``
where ``<homedir>`` is its global homedir setting. :func:`install_known_hosts` writes
that file; :func:`known_hosts_lists_host` tells an unknown host from a changed key so
the error message can say which.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tempfile
from pathlib import Path

from notion_syncd.errors import HostKeyError

_GITHUB_KEYS = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7"
    "opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gv"
    "wnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWC"
    "qBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7Gi"
    "djMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+"
    "S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJ"
    "CXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=",
)

#: GitHub's published SSH host keys (docs.github.com, "GitHub's SSH key fingerprints"),
#: for ``github.com`` and for SSH over the HTTPS port (``ssh.github.com:443``).
GITHUB_KNOWN_HOSTS = "".join(
    f"{host} {key}\n" for host in ("github.com", "[ssh.github.com]:443") for key in _GITHUB_KEYS
)

_SSH_URL = re.compile(r"^(?:ssh|ssh\+git|git\+ssh)://(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/")
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(\[[^\]]+\]|[^:/]+):(?!//)")


def write_text_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: temporary file in the same folder, fsync, rename."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ssh_target(url: str) -> tuple[str, int] | None:
    """``(host, port)`` of an SSH remote URL (``ssh://`` or scp-like), None for others."""
    match = _SSH_URL.match(url)
    if match:
        return match.group(1).strip("[]"), int(match.group(2) or 22)
    if "://" in url or url.startswith(("/", ".")):
        return None
    match = _SCP_LIKE.match(url)
    if match and len(match.group(1)) > 1:  # "C:foo" is a Windows path, not a host
        return match.group(1).strip("[]"), 22
    return None


def host_label(host: str, port: int) -> str:
    """The host as known_hosts names it: ``host`` on port 22, else ``[host]:port``."""
    return host if port == 22 else f"[{host}]:{port}"


#: First line of every known_hosts file notion-syncd writes; a file without it is not ours.
KNOWN_HOSTS_MARKER = "# Written by notion-syncd before every SSH push; edits are lost.\n"


def install_known_hosts(homedir: Path, text: str) -> Path:
    """Write ``homedir/.ssh/known_hosts`` (mode 0600) atomically, unless it already holds text.

    Refuses (:class:`~notion_syncd.errors.HostKeyError`) to replace a known_hosts file
    notion-syncd did not write, so a homedir that is someone's real home stays intact.
    """
    ssh_dir = homedir / ".ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = ssh_dir / "known_hosts"
    content = KNOWN_HOSTS_MARKER + text
    try:
        existing = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = ""
    except (OSError, UnicodeDecodeError):
        existing = None
    if existing == content:
        return path
    if existing is None or (existing.strip() and not existing.startswith(KNOWN_HOSTS_MARKER)):
        raise HostKeyError(
            f"{path} was not written by notion-syncd; refusing to replace it",
            hint="give notion-syncd a home directory of its own "
            "(see notion_syncd.gitremote.default_homedir)",
        )
    write_text_atomically(path, content)
    return path


def known_hosts_lists_host(text: str, host: str, port: int) -> bool:
    """Whether a known_hosts text has any entry for the host (plain, pattern or hashed)."""
    wanted = host_label(host, port)
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0].startswith("@"):  # @cert-authority, @revoked
            fields = fields[1:]
        if not fields or fields[0].startswith("#"):
            continue
        if any(_pattern_matches(pattern, wanted) for pattern in fields[0].split(",")):
            return True
    return False


def _pattern_matches(pattern: str, wanted: str) -> bool:
    if pattern.startswith("|1|"):
        try:
            salt, digest = (base64.b64decode(part) for part in pattern[3:].split("|", 1))
        except ValueError:
            return False
        mac = hmac.new(salt, wanted.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(mac, digest)
    if pattern.startswith("!"):
        return False
    # OpenSSH patterns know only * and ?; brackets are literal ("[host]:port").
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, wanted, flags=re.IGNORECASE) is not None
