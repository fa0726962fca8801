"""The Docker HEALTHCHECK: ask the daemon's /livez at the address its config says.

Reads the same configuration as the daemon (the file named by NOTION_SYNCD_CONFIG, else
/etc/notion-syncd/config.toml, overridden by NOTION_SYNCD_* variables), so a changed
``server.listen`` moves the check with it. Exit 0 healthy, 1 unhealthy (Docker's
convention); one line on stdout, which ``docker inspect`` shows.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_CONFIG = "/etc/notion-syncd/config.toml"
#: The wildcard addresses a server binds and the loopback address that reaches it.
WILDCARDS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


def probe_url(listen: str) -> str:
    """``http://127.0.0.1:9184/livez`` for ``0.0.0.0:9184``; IPv6 hosts in brackets."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    host = WILDCARDS.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/livez"


def main() -> int:
    # Imported here so that a broken installation is reported as unhealthy, not a crash.
    try:
        from notion_syncd.config import load_settings

        settings = load_settings(Path(os.environ.get("NOTION_SYNCD_CONFIG", DEFAULT_CONFIG)))
    except Exception as error:  # any failure to read the config means "unhealthy"
        print(f"unhealthy: configuration: {type(error).__name__}: {error}")
        return 1
    if not settings.server.enabled:
        print("healthy: server.enabled = false, no endpoint to ask")
        return 0
    url = probe_url(settings.server.listen)
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read(64).decode("utf-8", "replace").strip()
            print(f"healthy: {url}: {response.status} {body}")
            return 0
    except urllib.error.HTTPError as error:
        print(f"unhealthy: {url}: {error.code}")
    except OSError as error:
        print(f"unhealthy: {url}: {error}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
