"""The ``notion-syncd`` command line: parse arguments, set up logging, dispatch.

What each verb does lives in :mod:`notion_syncd.commands` (the daemon in
:mod:`notion_syncd.service`). This is the one place that turns an error into a message
for a person and an exit status: 0 ok, 1 runtime failure, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from notion_syncd import __version__
from notion_syncd.config import Settings, load_settings, resolve_token
from notion_syncd.errors import ConfigError, NotionSyncdError, UsageError
from notion_syncd.logs import configure_logging, register_secret, scrub
from notion_syncd.memory import limit_malloc_arenas

Handler = Callable[[argparse.Namespace], int]


def describe(error: BaseException) -> str:
    """One line for a person: what went wrong and, when we know it, what to do."""
    if isinstance(error, NotionSyncdError):
        text = error.message
        if error.hint:
            text += f" ({error.hint})"
        return scrub(text)
    return scrub(f"unexpected error: {type(error).__name__}: {error}")


def _settings(args: argparse.Namespace) -> Settings:
    path = Path(args.config) if args.config else None
    if path is None:
        raise UsageError("--config FILE is required")
    return load_settings(path)


def _setup_logging(settings: Settings | None, stream: TextIO) -> None:
    level = settings.log.level if settings else "info"
    fmt = settings.log.format if settings else "auto"
    configure_logging(level, fmt, stream=stream)


def cmd_sync(args: argparse.Namespace) -> int:
    from notion_syncd.commands.sync import sync_once

    settings = _settings(args)
    _setup_logging(settings, sys.stderr)
    register_secret(resolve_token(settings.notion).get_secret_value())
    return sync_once(
        settings,
        sweep=args.sweep,
        allow_mass_delete=args.allow_mass_delete,
        out=sys.stdout,
        err=sys.stderr,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from notion_syncd.service.daemon import run_daemon

    if not args.config:
        raise UsageError("--config FILE is required")
    return run_daemon(Path(args.config))


def cmd_status(args: argparse.Namespace) -> int:
    from notion_syncd.commands.status import mirror_status

    settings = _settings(args)
    print(mirror_status(settings))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from notion_syncd.commands.demo import run_demo

    configure_logging("warning", "console", stream=sys.stderr)
    return run_demo(Path(args.directory), out=sys.stdout)


def cmd_render(args: argparse.Namespace) -> int:
    from notion_syncd.commands.render import render_mirror

    settings = _settings(args)
    _setup_logging(settings, sys.stderr)
    print(render_mirror(settings))
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from notion_syncd.commands.push import push_now

    settings = _settings(args)
    _setup_logging(settings, sys.stderr)
    return push_now(settings, out=sys.stdout)


def cmd_history(args: argparse.Namespace) -> int:
    from notion_syncd.commands.history import print_history

    return print_history(_settings(args), args.page, out=sys.stdout)


def cmd_show(args: argparse.Namespace) -> int:
    from notion_syncd.commands.history import print_page_at

    return print_page_at(_settings(args), args.page, args.at, out=sys.stdout)


def cmd_fake_server(args: argparse.Namespace) -> int:
    from notion_syncd.commands.demo import serve_fake

    configure_logging("info", "console", stream=sys.stderr)
    return serve_fake(args.port, token=args.token, out=sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notion-syncd",
        description="Mirror a whole Notion workspace into a Git repository, incrementally.",
    )
    parser.add_argument("--version", action="version", version=f"notion-syncd {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    def verb(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    sync = verb("sync", cmd_sync, "run one sync, then exit")
    sync.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    sync.add_argument("--sweep", action="store_true", help="also look for deleted pages now")
    sync.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="let this sweep delete more than sync.mass_delete_threshold of the mirror",
    )
    run = verb("run", cmd_run, "run the daemon (what systemd and Docker start)")
    run.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    status = verb("status", cmd_status, "show the mirror's last sync, watermark and size")
    status.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    render = verb("render", cmd_render, "rebuild Markdown/HTML/CSV from the stored JSON (offline)")
    render.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    push = verb("push", cmd_push, "push the mirror to every configured remote now")
    push.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    history = verb("history", cmd_history, "list a page's versions (across renames and moves)")
    history.add_argument("page", metavar="PAGE", help="page id, Notion URL or path in the mirror")
    history.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    show = verb("show", cmd_show, "print a page's Markdown as it was at a date")
    show.add_argument("page", metavar="PAGE", help="page id, Notion URL or path in the mirror")
    show.add_argument(
        "--at", metavar="DATE", required=True, help="ISO date or datetime (naive = UTC)"
    )
    show.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    demo = verb(
        "demo",
        cmd_demo,
        "mirror a built-in sample workspace (no token, no network), edit it, sync again",
    )
    demo.add_argument(
        "directory", nargs="?", default="notion-syncd-demo", help="where to put the demo mirror"
    )
    fake = verb("fake-server", cmd_fake_server, "serve the sample workspace as a fake Notion API")
    fake.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    fake.add_argument("--token", default="secret_demo", help="token the fake server accepts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    limit_malloc_arenas()  # before any thread exists (see memory.py)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code not in (0, None) else 0
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        handler: Handler = args.handler
        return handler(args)
    except KeyboardInterrupt:
        print("notion-syncd: interrupted", file=sys.stderr)
        return 130
    except ConfigError as exc:
        print(f"notion-syncd: {describe(exc)}", file=sys.stderr)
        return exc.exit_code
    except NotionSyncdError as exc:
        print(f"notion-syncd: {describe(exc)}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        print(f"notion-syncd: {describe(exc)}", file=sys.stderr)
        return 1
