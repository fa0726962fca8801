"""The ``notion-syncd`` command line: parse arguments, set up logging, dispatch.

What each verb does lives in :mod:`notion_syncd.commands` (the daemon in
:mod:`notion_syncd.service`). This is the one place that turns an error into a message
for a person and an exit status: 0 ok, 1 runtime failure, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO, cast

from notion_syncd import __version__, nullmetrics
from notion_syncd.config import Settings, load_settings, resolve_token
from notion_syncd.configlocation import locate_config
from notion_syncd.errors import ConfigError, NotionSyncdError
from notion_syncd.logs import configure_logging, register_secret, scrub
from notion_syncd.memory import fix_mmap_threshold, limit_malloc_arenas

Handler = Callable[[argparse.Namespace], int]


def describe(error: BaseException) -> str:
    """One line for a person: what went wrong and, when we know it, what to do."""
    if isinstance(error, NotionSyncdError):
        text = error.message
        if error.hint:
            text += f" ({error.hint})"
        return scrub(text)
    return scrub(f"unexpected error: {type(error).__name__}: {error}")


def _config_path(args: argparse.Namespace) -> Path:
    """``--config``, ``$NOTION_SYNCD_CONFIG`` or a default location (``configlocation``)."""
    return locate_config(getattr(args, "config", None), os.environ)


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(_config_path(args))


def _setup_logging(settings: Settings | None, stream: TextIO) -> None:
    level = settings.log.level if settings else "info"
    fmt = settings.log.format if settings else "auto"
    configure_logging(level, fmt, stream=stream)


def cmd_sync(args: argparse.Namespace) -> int:
    # One sync, then exit: no one reads its metrics, so no prometheus_client (1.2 MB RSS).
    nullmetrics.record_nothing()
    from notion_syncd.commands.sync import sync_once
    from notion_syncd.sync.progress import TerminalProgress

    settings = _settings(args)
    # Logs go through the progress line's stream, so they print above it (sync.progress).
    terminal = TerminalProgress(sys.stderr)
    _setup_logging(settings, cast(TextIO, terminal))
    register_secret(resolve_token(settings.notion).get_secret_value())
    if args.dry_run:
        from notion_syncd.commands.sync import preview_once

        return preview_once(
            settings,
            sweep=args.sweep,
            allow_mass_delete=args.allow_mass_delete,
            out=sys.stdout,
            as_json=args.json,
        )
    return sync_once(
        settings,
        sweep=args.sweep,
        allow_mass_delete=args.allow_mass_delete,
        out=sys.stdout,
        err=cast(TextIO, terminal),
        as_json=args.json,
        progress=terminal,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from notion_syncd.service.daemon import EX_CONFIG, run_daemon

    try:
        path = _config_path(args)
    except ConfigError as error:  # like every configuration error of run: no restart loop
        print(f"notion-syncd: {describe(error)}", file=sys.stderr)
        return EX_CONFIG
    return run_daemon(path)


def cmd_status(args: argparse.Namespace) -> int:
    from notion_syncd.commands.status import collect_status, format_status, status_json

    settings = _settings(args)
    _setup_logging(settings, sys.stderr)
    status = collect_status(settings)
    sys.stdout.write(status_json(status) if args.json else format_status(status) + "\n")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from notion_syncd.commands.check import check_setup

    settings = _settings(args)
    _setup_logging(settings, sys.stderr)
    repair_command = f"notion-syncd check --repair --config {shlex.quote(str(_config_path(args)))}"
    return check_setup(settings, out=sys.stdout, repair=args.repair, repair_command=repair_command)


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


def cmd_webhooks(args: argparse.Namespace) -> int:
    from notion_syncd.commands.webhooks import print_token

    settings = _settings(args)
    _setup_logging(settings, sys.stderr)
    return print_token(settings, out=sys.stdout, err=sys.stderr)


def cmd_history(args: argparse.Namespace) -> int:
    from notion_syncd.commands.history import print_history

    return print_history(_settings(args), args.page, out=sys.stdout)


def cmd_show(args: argparse.Namespace) -> int:
    from notion_syncd.commands.history import print_page_at

    return print_page_at(_settings(args), args.page, args.at, out=sys.stdout)


def cmd_log(args: argparse.Namespace) -> int:
    from notion_syncd.commands.log import print_log

    return print_log(_settings(args), args.page, out=sys.stdout)


def cmd_diff(args: argparse.Namespace) -> int:
    from notion_syncd.commands.diff import print_diff

    return print_diff(
        _settings(args), args.page, start=args.start, end=args.end, at=args.at, out=sys.stdout
    )


def cmd_restore(args: argparse.Namespace) -> int:
    from notion_syncd.commands.restore import RestoreRequest, restore

    settings = _settings(args)
    _setup_logging(settings, sys.stderr)
    register_secret(resolve_token(settings.notion).get_secret_value())
    request = RestoreRequest(
        args.page, args.at, args.commit, args.to, args.recursive, args.dry_run, args.replace
    )
    return restore(settings, request, out=sys.stdout, confirm=_confirmation(args.yes))


def _confirmation(yes: bool) -> Callable[[str], bool] | None:
    """``--yes``, else a y/N question on a terminal, else None (not confirmed)."""
    if yes:
        return lambda question: True
    if not sys.stdin.isatty():
        return None

    def ask(question: str) -> bool:
        sys.stderr.write(f"{question} [y/N] ")
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")

    return ask


def cmd_fake_server(args: argparse.Namespace) -> int:
    from notion_syncd.commands.demo import serve_fake

    configure_logging("info", "console", stream=sys.stderr)
    return serve_fake(args.port, token=args.token, out=sys.stdout)


CONFIG_HELP = (
    "configuration file (TOML); default: $NOTION_SYNCD_CONFIG, "
    "$XDG_CONFIG_HOME/notion-syncd/config.toml, /etc/notion-syncd/config.toml"
)


WHEN_HELP = "a mirror commit or an ISO date or datetime (naive = UTC)"

JSON_HELP = "print the summary as one JSON object on stdout (logs go to stderr)"


def cmd_completion(args: argparse.Namespace) -> int:
    from notion_syncd.completion import completion_script

    sys.stdout.write(completion_script(args.shell, build_parser()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The whole command line. A verb is one ``verb(...)`` call plus its own options."""
    parser = argparse.ArgumentParser(
        prog="notion-syncd",
        description="Mirror a whole Notion workspace into a Git repository, incrementally.",
    )
    parser.add_argument("--version", action="version", version=f"notion-syncd {__version__}")
    parser.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    def verb(
        name: str, handler: Handler, help_text: str, *, config: bool = True
    ) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        if config:
            # SUPPRESS: when not given after the verb, the value given before it stays.
            sub.add_argument(
                "--config", metavar="FILE", default=argparse.SUPPRESS, help=CONFIG_HELP
            )
        return sub

    sync = verb("sync", cmd_sync, "run one sync, then exit")
    sync.add_argument("--sweep", action="store_true", help="also look for deleted pages now")
    sync.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="let this sweep delete more than sync.mass_delete_threshold of the mirror",
    )
    sync.add_argument("--json", action="store_true", help=JSON_HELP)
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would be added, updated, moved, deleted; write nothing",
    )
    verb("run", cmd_run, "run the daemon (what systemd and Docker start)")
    status = verb("status", cmd_status, "show the mirror's health, last sync and success, size")
    status.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    verb("render", cmd_render, "rebuild Markdown/HTML/CSV from the stored JSON (offline)")
    verb("push", cmd_push, "push the mirror to every configured remote now")
    webhooks = verb("webhooks", cmd_webhooks, "webhook subscription helpers")
    webhooks.add_argument(
        "action", choices=("token",), help="token: print the verification token Notion sent"
    )
    check = verb("check", cmd_check, "check the config, token, API, mirror and remotes, then exit")
    check.add_argument(
        "--repair",
        action="store_true",
        help="rebuild damaged index entries from the mirror's JSON records and commit them "
        "(takes the mirror lock: not beside a running sync)",
    )
    history = verb("history", cmd_history, "list a page's versions (across renames and moves)")
    history.add_argument("page", metavar="PAGE", help="page id, Notion URL or path in the mirror")
    show = verb("show", cmd_show, "print a page's Markdown as it was at a date")
    show.add_argument("page", metavar="PAGE", help="page id, Notion URL or path in the mirror")
    show.add_argument(
        "--at", metavar="DATE", required=True, help="ISO date or datetime (naive = UTC)"
    )
    log = verb("log", cmd_log, "list who changed a page (or the mirror) when, and what")
    log.add_argument(
        "page", metavar="PAGE", nargs="?", help="page id, Notion URL or path in the mirror"
    )
    diff = verb("diff", cmd_diff, "show a page's Markdown changes between two versions")
    diff.add_argument("page", metavar="PAGE", help="page id, Notion URL or path in the mirror")
    diff.add_argument(
        "--from", dest="start", metavar="WHEN", help=WHEN_HELP + " (default: the version before)"
    )
    diff.add_argument("--to", dest="end", metavar="WHEN", help=WHEN_HELP + " (default: now)")
    diff.add_argument(
        "--at", metavar="WHEN", help="the change that made the version current at WHEN"
    )
    restore = verb("restore", cmd_restore, "recreate a page as it was, as a new page in Notion")
    restore.add_argument("page", metavar="PAGE", help="page id, Notion URL or path in the mirror")
    restore.add_argument("--at", metavar="DATE", help="the version at this ISO date or datetime")
    restore.add_argument("--commit", metavar="REV", help="the version in this mirror commit")
    restore.add_argument(
        "--to", metavar="PARENT", help="page to restore under (default: the original parent)"
    )
    restore.add_argument(
        "--recursive", action="store_true", help="also restore its sub-pages as they were"
    )
    restore.add_argument(
        "--dry-run", action="store_true", help="print the plan; send no write request"
    )
    restore.add_argument(
        "--replace",
        action="store_true",
        help="restore in the page's place, then move the current page to Notion's trash",
    )
    restore.add_argument("--yes", action="store_true", help="confirm --replace without asking")
    demo = verb(
        "demo",
        cmd_demo,
        "mirror a built-in sample workspace (no token, no network), edit it, sync again",
        config=False,
    )
    demo.add_argument(
        "directory", nargs="?", default="notion-syncd-demo", help="where to put the demo mirror"
    )
    fake = verb(
        "fake-server",
        cmd_fake_server,
        "serve the sample workspace as a fake Notion API",
        config=False,
    )
    fake.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    fake.add_argument("--token", default="secret_demo", help="token the fake server accepts")
    completion = verb(
        "completion", cmd_completion, "print a shell completion script to source", config=False
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    limit_malloc_arenas()  # before any thread exists (see memory.py)
    fix_mmap_threshold()
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
