"""The daemon: ``notion-syncd run --config FILE``.

Start-up, in order: read and validate the config (an error exits with 78, EX_CONFIG,
which the systemd unit lists in ``RestartPreventExitStatus=``), register every secret
with the log scrubber, open the mirror repository, start the health/metrics HTTP
server, tell systemd ``READY=1`` and only then start the scheduler, whose first poll
runs at once (a first full export can take hours; systemd must not wait for it).

While running: syncs and pushes run on the schedule (:mod:`.schedule`); the watchdog
(:mod:`.watchdog`) pings systemd while the sync loop makes progress; ``STATUS=``
shows progress or the last result. SIGHUP or an edit of the config file reloads it
(``RELOADING=1`` … ``READY=1``); an invalid new config is logged, the old one stays in
force, and until a good reload ``STATUS=``, the ``/readyz`` detail and
``notion_syncd_config_last_reload_successful`` (0) say so. SIGTERM or SIGINT stop the
daemon: ``STOPPING=1``, the running sync is told to stop (it checks between pages and
while waiting on the rate limiter), and after at most :data:`STOP_TIMEOUT` seconds the
process exits 0; an interrupted sync is redone at the next start.

Failing honestly (:mod:`.failures`): a failed sync that will not heal while the daemon
runs (token refused, mirror unwritable, removed or replaced) makes ``/readyz`` 503 with
its reason at once, shows in ``STATUS=`` and the metrics, and after
:data:`~.failures.GIVE_UP_AFTER` of them in a row the daemon exits 75 (EX_TEMPFAIL), so
its supervisor restarts it; ``/livez`` answers 503 ``failed`` from then until the exit.
Transient failures (Notion down, 429, timeouts) keep it running.

Exit codes: 0 stopped on request, 1 could not start (repository, another daemon on the
same mirror, address in use), 75 gave up after permanent failures, 78 invalid
configuration.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import structlog

from notion_syncd.config import Settings, credential_path, load_settings, resolve_token
from notion_syncd.errors import ConfigError, GitStoreError
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.logs import configure_logging, register_secret
from notion_syncd.metrics import CONFIG_RELOAD_SUCCESS, CONFIG_RELOAD_SUCCESSFUL
from notion_syncd.service.failures import EX_TEMPFAIL, should_give_up
from notion_syncd.service.health import HealthServer
from notion_syncd.service.instance import DaemonLock, acquire_daemon_lock
from notion_syncd.service.jobs import SyncJobs
from notion_syncd.service.mirrorwatch import MirrorWatch
from notion_syncd.service.notify import Notifier, one_line, watchdog_interval
from notion_syncd.service.reload import ConfigWatcher
from notion_syncd.service.schedule import Schedule
from notion_syncd.service.state import SyncStatus
from notion_syncd.service.watchdog import WatchdogPinger, loop_is_healthy
from notion_syncd.webhooks.service import WebhookService

log = structlog.get_logger(__name__)

EX_OK = 0
EX_FAILURE = 1
EX_CONFIG = 78
#: Seconds a stop waits for the running sync before exiting anyway (systemd's
#: TimeoutStopSec= in the unit is larger).
STOP_TIMEOUT = 8.0
#: The scheduler tick; the loop counts as stalled after TICK_MISSES missed ticks.
TICK_SECONDS = 1.0
TICK_MISSES = 5


def run_daemon(config_path: Path, *, environ: Mapping[str, str] = os.environ) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit status."""
    configure_logging()
    try:
        settings = _load(config_path, environ)
    except ConfigError as error:
        message = str(error) + (f" ({error.hint})" if error.hint else "")
        print(f"notion-syncd: {one_line(message, limit=4000)}", file=sys.stderr, flush=True)
        return EX_CONFIG
    configure_logging(settings.log.level, settings.log.format)
    daemon = Daemon(config_path, settings, environ)
    code = daemon.run()
    if daemon.abandoned_sync:
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """Exit without joining the abandoned sync's threads.

    Python joins the worker threads of every ``concurrent.futures`` pool at exit, and a
    fetcher blocked on a stalled answer holds that join until its read timeout, far past
    systemd's stop timeout. Leaving now is what a SIGKILL would do, which the mirror is
    built to survive: the interrupted sync is redone at the next start.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _load(config_path: Path, environ: Mapping[str, str]) -> Settings:
    """Settings from the file, with every secret registered for scrubbing."""
    settings = load_settings(config_path, environ=None if environ is os.environ else environ)
    register_secret(resolve_token(settings.notion, environ).get_secret_value())
    _register_git_secrets(settings, environ)
    return settings


def _register_git_secrets(settings: Settings, environ: Mapping[str, str]) -> None:
    files = [credential_path("git-token", environ)]
    for remote in settings.git.remotes:
        if remote.token_env:
            register_secret(environ.get(remote.token_env))
        files.append(remote.token_file)
    for path in files:
        if path is None:
            continue
        try:
            register_secret(path.read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError):
            continue  # the push reports an unreadable token file itself


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Daemon:
    def __init__(self, config_path: Path, settings: Settings, environ: Mapping[str, str]) -> None:
        self.config_path = config_path
        self._environ = environ
        self._settings = settings
        self._settings_lock = threading.Lock()
        self._config_digest = _digest(config_path)
        self._stop = threading.Event()
        self._wake = threading.Event()
        #: The running sync did not stop within STOP_TIMEOUT; the process must not wait.
        self.abandoned_sync = False
        self._reload_reason: str | None = None
        self._notifier = Notifier(environ)
        self._watchdog_seconds = watchdog_interval(environ)
        self._tick = Heartbeat()
        self._sync_heartbeat = Heartbeat()
        self._status = SyncStatus()
        self._instance_lock: DaemonLock | None = None
        self._mirror = MirrorWatch()
        self._exit_code = EX_OK
        self._git_dir: Path | None = None
        self.webhooks: WebhookService | None = None
        CONFIG_RELOAD_SUCCESSFUL.set(1)
        CONFIG_RELOAD_SUCCESS.set_to_current_time()
        tick_seconds = TICK_SECONDS
        if self._watchdog_seconds is not None:
            tick_seconds = min(tick_seconds, self._watchdog_seconds / 4)
        self._tick_limit = tick_seconds * TICK_MISSES
        home = environ.get("HOME")
        self._jobs = SyncJobs(
            settings=self.settings,
            status=self._status,
            heartbeat=self._sync_heartbeat,
            stop=self._stop,
            notifier=self._notifier,
            homedir=Path(home) if home else settings.export.repo.parent,
            after_commit=lambda: self._schedule.push_now(),
            before_sync=self._before_sync,
            after_failure=self._after_failure,
            after_success=self._after_success,
        )
        self._schedule = Schedule(self._jobs, self._tick.beat, tick_seconds, self._poll_due)

    def settings(self) -> Settings:
        with self._settings_lock:
            return self._settings

    # -- probes -------------------------------------------------------------------

    def alive(self) -> tuple[bool, str]:
        """The scheduler loop ticks and the daemon has not given up (for /livez)."""
        if self._exit_code == EX_TEMPFAIL:
            return False, "failed"
        if self._tick.age() < self._tick_limit:
            return True, "ok"
        return False, "stalled"

    def ready(self) -> tuple[bool, str]:
        """The last sync succeeded recently (for /readyz)."""
        return self._status.readiness(self.settings().schedule.interval)

    def making_progress(self) -> bool:
        """The watchdog rule (see :mod:`.watchdog`)."""
        return loop_is_healthy(
            scheduler_age=self._tick.age(),
            scheduler_limit=self._tick_limit,
            sync_running=self._status.running,
            sync_progress_age=self._sync_heartbeat.age(),
            watchdog_seconds=self._watchdog_seconds or float("inf"),
        )

    # -- webhooks -------------------------------------------------------------------

    def _before_sync(self) -> None:
        self._mirror.check()
        if self.webhooks is not None:
            self.webhooks.sync_started()

    def _after_success(self) -> None:
        if self.webhooks is not None:
            self.webhooks.sync_succeeded()

    def _poll_due(self) -> bool:
        hooks = self.webhooks
        return hooks is None or hooks.poll_due(self.settings().schedule.interval)

    def _start_webhooks(self, settings: Settings) -> bool:
        """Start the receiver when enabled; False when its address cannot be bound."""
        if not settings.webhooks.enabled or self._git_dir is None:
            return True
        self.webhooks = WebhookService(
            settings.webhooks, self._git_dir, environ=self._environ, sync=self._jobs.sync
        )
        try:
            self.webhooks.start()
        except OSError as error:
            log.error("webhook.bind_failed", listen=settings.webhooks.listen, error=error.strerror)
            self.webhooks = None
            return False
        service = self.webhooks
        self._status.notes = lambda: service.health().text()
        return True

    # -- failing honestly ----------------------------------------------------------

    def _after_failure(self) -> None:
        """Give up (exit 75 for a restart) after too many permanent failures in a row."""
        in_a_row = self._status.permanent_in_a_row
        if not should_give_up(in_a_row) or self._exit_code == EX_TEMPFAIL:
            return
        self._exit_code = EX_TEMPFAIL
        self._status.gave_up()
        last = self._status.last
        log.error(
            "daemon.giving_up",
            reason=last.reason if last else None,
            in_a_row=in_a_row,
            exit_code=EX_TEMPFAIL,
            detail="this failure does not heal while running; exiting for a restart",
        )
        self._notifier.status(self._status.status_line())
        self.request_stop()

    # -- requests from signal handlers and the file watcher ------------------------

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def request_reload(self, reason: str) -> None:
        self._reload_reason = reason
        self._wake.set()

    # -- life cycle ---------------------------------------------------------------

    def run(self) -> int:
        settings = self.settings()
        if not self._open_repository(settings):
            return EX_FAILURE
        health: HealthServer | None = None
        if settings.server.enabled:
            health = HealthServer(settings.server.listen, live=self.alive, ready=self.ready)
            try:
                health.start()
            except OSError as error:
                log.error("health.bind_failed", listen=settings.server.listen, error=error.strerror)
                return EX_FAILURE
        if not self._start_webhooks(settings):
            if health is not None:
                health.stop()
            return EX_FAILURE
        pinger = None
        if self._watchdog_seconds is not None:
            pinger = WatchdogPinger(self._notifier, self._watchdog_seconds, self.making_progress)
        watcher = ConfigWatcher(self.config_path, lambda: self.request_reload("file"))
        with self._signals():
            self._notifier.ready(status="started; first sync starting")
            self._schedule.start(settings.schedule, push=bool(settings.git.remotes))
            if pinger is not None:
                pinger.start()
            watcher.start()
            log.info(
                "daemon.started",
                config=str(self.config_path),
                repo=str(settings.export.repo),
                listen=health.url if health else None,
                interval=settings.schedule.interval,
                watchdog=self._watchdog_seconds,
            )
            self._loop()
            self._shutdown(watcher, pinger, health)
        return self._exit_code

    def _open_repository(self, settings: Settings) -> bool:
        """Open (or create) the mirror and take the daemon lock for the process's lifetime."""
        try:
            from notion_syncd.gitstore import open_mirror

            existing = Path(os.path.realpath(settings.export.repo))
            if (existing / ".git").is_dir():  # before the sync lock a running daemon may hold
                self._instance_lock = acquire_daemon_lock(existing / ".git", existing)
            with open_mirror(settings.export.repo, branch=settings.export.branch) as mirror:
                git_dir, path = Path(mirror.repo.path), mirror.path
            self._git_dir = git_dir
            if self._instance_lock is None:
                self._instance_lock = acquire_daemon_lock(git_dir, path)
            self._mirror.opened(git_dir)
        except GitStoreError as error:
            message = str(error) + (f" ({error.hint})" if error.hint else "")
            log.error("repo.unavailable", repo=str(settings.export.repo), error=message)
            print(f"notion-syncd: {one_line(message, limit=4000)}", file=sys.stderr, flush=True)
            return False
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            reason, self._reload_reason = self._reload_reason, None
            if reason is not None and not self._stop.is_set():
                self.reload(reason)

    def _shutdown(
        self, watcher: ConfigWatcher, pinger: WatchdogPinger | None, health: HealthServer | None
    ) -> None:
        log.info("daemon.stopping")
        self._status.stopping()
        gave_up = self._exit_code == EX_TEMPFAIL
        self._notifier.stopping(status=self._status.status_line() if gave_up else "stopping")
        self._stop.set()
        watcher.stop()
        self._schedule.shutdown()
        if self.webhooks is not None:
            self.webhooks.stop(STOP_TIMEOUT)
        if not self._schedule.join_sync(STOP_TIMEOUT):
            self.abandoned_sync = True
            log.warning("sync.abandoned", detail="did not stop in time; redone at the next start")
        if pinger is not None:
            pinger.stop()
        if health is not None:
            health.stop()
        if self._instance_lock is not None:
            self._instance_lock.release()
        log.info("daemon.stopped")

    def reload(self, reason: str) -> None:
        """Re-read the config; keep the old one if the new one is invalid."""
        digest = _digest(self.config_path)
        if reason == "file" and digest == self._config_digest:
            return
        self._config_digest = digest
        self._notifier.reloading(status="reloading configuration")
        old = self.settings()
        try:
            new = _load(self.config_path, self._environ)
        except ConfigError as error:
            log.error(
                "config.invalid",
                error=str(error),
                hint=error.hint,
                source=reason,
                detail="the previous configuration stays in force",
            )
            CONFIG_RELOAD_SUCCESSFUL.set(0)
            self._status.config_rejected()
            self._notifier.ready(status=self._status.status_line())
            return
        CONFIG_RELOAD_SUCCESSFUL.set(1)
        CONFIG_RELOAD_SUCCESS.set_to_current_time()
        self._status.config_accepted()
        configure_logging(new.log.level, new.log.format)
        with self._settings_lock:
            self._settings = new
        rescheduled = self._schedule.apply(new.schedule, push=bool(new.git.remotes))
        changed = sorted(
            name for name in type(new).model_fields if getattr(new, name) != getattr(old, name)
        )
        restart = [key for key in ("server", "webhooks") if getattr(new, key) != getattr(old, key)]
        if restart:
            log.warning("config.restart_required", keys=restart)
        self._notifier.ready(status=self._status.status_line())
        log.info("config.reloaded", source=reason, changed=changed, rescheduled=rescheduled)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        """SIGTERM/SIGINT stop, SIGHUP reloads (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.request_stop()

        def hup(_signum: int, _frame: FrameType | None) -> None:
            self.request_reload("signal")

        handlers: dict[signal.Signals, Any] = {
            signal.SIGTERM: stop,
            signal.SIGINT: stop,
            signal.SIGHUP: hup,
        }
        previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
