"""The Notion API client: auth, version header, pacing, retries, pagination, downloads.

One :class:`NotionClient` serves the whole process and is thread-safe: the sync engine
fetches several pages at once from a thread pool, all through this client and its one
:class:`~notion_syncd.notion.ratelimit.RateLimiter`.

How the budget gets used. The limiter only decides when a request may *start*; no lock
is held while a request is in flight, and the httpx connection pool has room for many
concurrent connections. By Little's law the number of requests in flight is
``rate × latency``: at 3 requests/s and answers taking 100–1000 ms, one to three; at 30
requests/s and 1 s, thirty. The client keeps a moving average of the latency of API
answers, and :meth:`NotionClient.in_flight_target` turns it into the number of objects the
engine keeps in flight (:mod:`notion_syncd.notion.concurrency`), up to
``notion.concurrency``; the limiter keeps the average at ``rate`` whatever that number.

Retries (policy in :mod:`notion_syncd.notion.retry`): 429/529 wait what ``Retry-After``
says (never less) and pause *every* worker through the limiter; 5xx, timeouts, dropped
connections and malformed bodies back off with full jitter; each request is bounded by
``max_attempts`` and ``max_retry_time``, then fails with
:class:`~notion_syncd.errors.NotionUnavailable`. A ``Retry-After`` (or a pause already in
force) longer than a request may still wait (``max_retry_time`` less the time spent, and
at most ``max_single_wait``) is not sat out: the request fails at once with
:class:`~notion_syncd.errors.NotionRateLimited`, naming the wait, and so does every
worker waiting in the limiter; the sync stops instead of hanging. 400/401/403/404 are
never retried and become :class:`~notion_syncd.errors.NotionHTTPError` subclasses.

Pagination: :meth:`NotionClient.paginate_pages` yields whole list answers
(:class:`ListPage`, with ``request_status`` exposed as :attr:`ListPage.incomplete`);
:meth:`NotionClient.paginate` yields their results and raises
:class:`~notion_syncd.errors.IncompleteListing` after the last one when Notion said the
listing was cut short. A listing whose cursor Notion rejects as invalid
(``400 validation_error`` "The start_cursor provided is invalid", cursors can be
invalidated mid-loop) is restarted from the beginning, again after each expiry as long
as every restart gets further; :meth:`paginate` then skips objects it already yielded.
:meth:`NotionClient.query_data_source_all` reads a data source past the 10,000-result
cap by partitioning on ``created_time``.

Secrets. The token is held in a :class:`~pydantic.SecretStr` and put on requests by an
:class:`httpx.Auth` object at send time, so it is in no local variable of our frames, no
message, no ``repr`` and no log event. httpx exceptions (which carry the request and its
headers) are never chained onto ours: only their class name and text are kept, scrubbed.
Downloads go through a second httpx client that has no credentials at all.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import httpx
import structlog
from pydantic import SecretStr

from notion_syncd import __version__, errors, jsoncodec, metrics
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.notion.concurrency import InFlightTarget
from notion_syncd.notion.ratelimit import PauseTooLong, RateLimiter, wait_interruptibly
from notion_syncd.notion.retry import (
    RATE_LIMIT_STATUSES,
    RETRYABLE_STATUSES,
    RetryPolicy,
    parse_retry_after,
)

__all__ = [
    "ENDPOINT_GROUPS",
    "PAGE_SIZE",
    "ExpiredFileURL",
    "ListPage",
    "NotionClient",
    "RequestStats",
    "endpoint_group",
]

JSONObject = dict[str, Any]
_Result = TypeVar("_Result")

PAGE_SIZE = 100
ENDPOINT_GROUPS = (
    "search",
    "pages",
    "blocks",
    "databases",
    "data_sources",
    "users",
    "files",
    "other",
)
STALE_CURSOR_MESSAGE = "The start_cursor provided is invalid"
MAX_LISTING_RESTARTS = 10
"""Restarts of one listing after expired cursors (each must get further than the last)."""
_HEADER_SAFE_TOKEN = re.compile(r"[\x21-\x7e]+")
_MAX_ERROR_TEXT = 300

_log = structlog.get_logger()


class ExpiredFileURL(errors.FileDownloadError):
    """The signed file URL was refused (S3 403/400): re-fetch the object for a fresh URL."""


def endpoint_group(path: str) -> str:
    """The metrics/stats group of an API path (``/v1/pages/…`` → ``pages``)."""
    parts = path.strip("/").split("/")
    if parts and parts[0] == "v1":
        parts = parts[1:]
    first = parts[0] if parts else ""
    return first if first in ENDPOINT_GROUPS and first != "files" else "other"


@dataclass(frozen=True)
class RequestStats:
    """A snapshot of what the client has sent so far."""

    requests: int
    by_endpoint: Mapping[str, int]
    rate_limited: int
    rate_limited_by_status: Mapping[str, int]
    retries: int
    throttled_seconds: float


class _StatsRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_endpoint = dict.fromkeys(ENDPOINT_GROUPS, 0)
        self._rate_limited = {"429": 0, "529": 0}
        self._retries = 0
        self._throttled = 0.0

    def request(self, group: str) -> None:
        with self._lock:
            self._by_endpoint[group] += 1

    def rate_limited(self, status: int) -> None:
        with self._lock:
            self._rate_limited[str(status)] += 1

    def retry(self) -> None:
        with self._lock:
            self._retries += 1

    def throttled(self, seconds: float) -> None:
        with self._lock:
            self._throttled += seconds

    def snapshot(self) -> RequestStats:
        with self._lock:
            return RequestStats(
                requests=sum(self._by_endpoint.values()),
                by_endpoint=dict(self._by_endpoint),
                rate_limited=sum(self._rate_limited.values()),
                rate_limited_by_status=dict(self._rate_limited),
                retries=self._retries,
                throttled_seconds=self._throttled,
            )


@dataclass(frozen=True)
class ListPage:
    """One answer of a paginated endpoint."""

    results: list[JSONObject]
    has_more: bool
    next_cursor: str | None
    request_status: JSONObject | None
    body: JSONObject
    restarted: bool = False
    """True on the first page after the listing was restarted (invalid cursor)."""

    @property
    def incomplete(self) -> bool:
        """Notion said the listing is cut short (``request_status.type == "incomplete"``)."""
        return self.request_status is not None and self.request_status.get("type") == "incomplete"

    @classmethod
    def from_body(cls, body: JSONObject, *, restarted: bool = False) -> ListPage:
        results = body.get("results", [])  # Sometimes missing (Airbyte): treat as empty.
        if results is None:
            results = []
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise errors.NotionBadResponse("a list answer whose 'results' is not a list of objects")
        cursor = body.get("next_cursor")
        status = body.get("request_status")
        return cls(
            results=results,
            has_more=body.get("has_more") is True,
            next_cursor=cursor if isinstance(cursor, str) and cursor else None,
            request_status=status if isinstance(status, dict) else None,
            body=body,
            restarted=restarted,
        )


@dataclass(frozen=True)
class _Failure:
    """One failed attempt that may be retried."""

    description: str
    retry_after: float | None = None
    rate_limited_status: int | None = None
    bad_response: bool = False


class _BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer`` at send time; the token never sits in a plain local."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "_BearerAuth(token=SecretStr('**********'))"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self._token.get_secret_value()
        yield request


class NotionClient:
    """A thread-safe, rate-limited, retrying client of the Notion API (read endpoints)."""

    def __init__(
        self,
        token: SecretStr | str,
        *,
        base_url: str = "https://api.notion.com",
        version: str = "2025-09-03",
        requests_per_second: float = 3.0,
        burst: int = 3,
        timeout: float = 60.0,
        max_retry_time: float = 600.0,
        max_attempts: int = 8,
        max_single_wait: float = 120.0,
        max_connections: int = 64,
        heartbeat: Heartbeat | None = None,
        stop: threading.Event | None = None,
        limiter: RateLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version
        self._token = token if isinstance(token, SecretStr) else SecretStr(token)
        del token  # only the SecretStr stays, so no frame of ours holds the plain token
        if not _HEADER_SAFE_TOKEN.fullmatch(self._token.get_secret_value()):
            raise errors.ConfigError(
                "the Notion token is empty or contains characters that cannot be sent in a header",
                hint="copy the integration token again, without spaces or line breaks",
            )
        self._policy = RetryPolicy(
            max_attempts=max(1, max_attempts),
            max_retry_time=max_retry_time,
            max_single_wait=max_single_wait,
        )
        self._heartbeat = heartbeat
        self._stop = stop
        self._sleep = sleep
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()
        self._stats = _StatsRecorder()
        self._in_flight = InFlightTarget(highest=max_connections)
        self._in_flight_lock = threading.Lock()
        self._limiter = limiter or RateLimiter(
            requests_per_second, burst, clock=clock, sleep=sleep, on_wait=self._beat
        )
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        user_agent = f"notion-syncd/{__version__}"
        self._api = httpx.Client(
            base_url=self.base_url,
            auth=_BearerAuth(self._token),
            headers={"Notion-Version": version, "User-Agent": user_agent},
            timeout=httpx.Timeout(timeout),
            limits=limits,
            transport=transport,
            follow_redirects=False,
        )
        self._files = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(timeout),
            limits=limits,
            transport=transport,
            follow_redirects=True,
        )

    def __repr__(self) -> str:
        return f"NotionClient(base_url={self.base_url!r}, version={self.version!r})"

    def __enter__(self) -> NotionClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pools."""
        self._api.close()
        self._files.close()

    @property
    def stats(self) -> RequestStats:
        """Requests sent by endpoint group, rate-limited answers, retries, throttled seconds."""
        return self._stats.snapshot()

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def in_flight_target(self) -> int:
        """Objects to fetch at once to keep the pace busy (``concurrency.InFlightTarget``)."""
        with self._in_flight_lock:
            return self._in_flight.target(self._limiter.rate)

    @property
    def observed_latency(self) -> float:
        """Moving average of the seconds API answers took (sent to answered)."""
        with self._in_flight_lock:
            return self._in_flight.latency

    # -- one request ---------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: JSONObject | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> JSONObject:
        """Send one API request (paced, with retries) and return the JSON object answered.

        ``files`` sends a multipart form instead of JSON (the File Upload API's ``send``),
        with ``data`` as its other fields (a multi-part upload's ``part_number``).
        """
        api_path = _api_path(path)
        group = endpoint_group(api_path)

        def attempt() -> JSONObject | _Failure:
            request = self._api.build_request(
                method, api_path, params=params, json=json, files=files, data=data
            )
            return self._api_attempt(method, api_path, group, request)

        def give_up(reason: str, last: _Failure | None) -> errors.NotionError:
            if last is not None and last.bad_response:
                return errors.NotionBadResponse(
                    f"Notion kept answering {method} {api_path} with a malformed body "
                    f"({last.description}); {reason}"
                )
            return errors.NotionUnavailable(
                f"Notion API unavailable for {group} ({method} {api_path}): {reason}; "
                f"last answer: {last.description if last else 'none'}",
                hint="Notion may be down or rate limiting; the next sync retries",
            )

        return self._with_retries(group, attempt, give_up, paced=True)

    def _api_attempt(
        self, method: str, path: str, group: str, request: httpx.Request
    ) -> JSONObject | _Failure:
        started = self._clock()
        response, failure = self._send(self._api, request)
        self._record(group, response, failure, started)
        if response is not None:
            with self._in_flight_lock:
                self._in_flight.observe(self._clock() - started)
        if response is None:
            assert failure is not None
            return failure
        status = response.status_code
        body = _json_object(response.content)
        if 200 <= status < 300:
            if body is None:
                return _Failure(f"HTTP {status} with a malformed JSON body", bad_response=True)
            return body
        if status in RATE_LIMIT_STATUSES or status in RETRYABLE_STATUSES:
            code = body.get("code") if body else None
            return _Failure(
                f"HTTP {status}" + (f" {code}" if isinstance(code, str) else ""),
                retry_after=parse_retry_after(
                    response.headers.get("retry-after"), date_header=response.headers.get("date")
                ),
                rate_limited_status=status if status in RATE_LIMIT_STATUSES else None,
            )
        raise self._http_error(method, path, response, body)

    def _http_error(
        self, method: str, path: str, response: httpx.Response, body: JSONObject | None
    ) -> errors.NotionHTTPError:
        status = response.status_code
        code = body.get("code") if body else None
        message = body.get("message") if body else None
        request_id = (body.get("request_id") if body else None) or response.headers.get(
            "x-notion-request-id"
        )
        if not isinstance(message, str):
            ray = response.headers.get("cf-ray")
            message = "no JSON error body" + (f" (cf-ray {ray})" if ray else "")
        text = self._scrub(
            f"Notion answered {method} {path} with HTTP {status}"
            + (f" {code}" if isinstance(code, str) else "")
            + f": {message[:_MAX_ERROR_TEXT]}"
        )
        error_class: type[errors.NotionHTTPError] = errors.NotionHTTPError
        hint = None
        if status == 401:
            error_class, hint = errors.NotionUnauthorized, "check the Notion integration token"
        elif status == 403:
            error_class, hint = errors.NotionForbidden, "give the integration 'Read content'"
        elif status == 404:
            error_class = errors.NotionNotFound
            hint = "share the page or database with the integration"
        return error_class(
            text,
            status=status,
            code=code if isinstance(code, str) else None,
            request_id=request_id if isinstance(request_id, str) else None,
            hint=hint,
        )

    def _send(
        self, http: httpx.Client, request: httpx.Request
    ) -> tuple[httpx.Response | None, _Failure | None]:
        """Send without raising httpx errors: they become a retryable :class:`_Failure`."""
        description: str | None = None
        response: httpx.Response | None = None
        try:
            response = http.send(request)
        except httpx.TimeoutException as exc:
            description = f"timeout ({type(exc).__name__})"
        except (httpx.TransportError, httpx.DecodingError) as exc:
            description = f"connection error ({type(exc).__name__}: {self._scrub(str(exc))})"
        if description is not None:
            return None, _Failure(description[:_MAX_ERROR_TEXT])
        return response, None

    def _record(
        self,
        group: str,
        response: httpx.Response | None,
        failure: _Failure | None,
        started: float,
    ) -> None:
        self._stats.request(group)
        if response is not None:
            code = str(response.status_code)
        else:
            code = "timeout" if failure and failure.description.startswith("timeout") else "error"
        metrics.NOTION_REQUESTS.labels(group, code).inc()
        metrics.NOTION_REQUEST_DURATION.labels(group).observe(max(0.0, self._clock() - started))
        if response is not None and response.status_code in RATE_LIMIT_STATUSES:
            self._stats.rate_limited(response.status_code)
            metrics.NOTION_RATE_LIMITED.labels(code).inc()
        self._beat()

    def _with_retries(
        self,
        group: str,
        attempt: Callable[[], _Result | _Failure],
        give_up: Callable[[str, _Failure | None], Exception],
        *,
        paced: bool,
    ) -> _Result:
        """Run ``attempt`` until it returns a result or the retry budget is spent."""
        policy = self._policy
        started = self._clock()
        last: _Failure | None = None
        for attempt_number in range(1, policy.max_attempts + 1):
            if paced:
                allowance = self._wait_allowance(started)
                try:
                    self._limiter.acquire(self._stop, max_pause=allowance)
                except PauseTooLong as paused:
                    raise _asked_to_wait(group, paused.seconds, allowance) from None
            elif self._stop is not None and self._stop.is_set():
                raise errors.SyncInterrupted("stop requested before a Notion request")
            outcome = attempt()
            if not isinstance(outcome, _Failure):
                return outcome
            last = outcome
            wait = self._retry_wait(outcome, attempt_number)
            pauses_everyone = paced and outcome.rate_limited_status is not None
            if pauses_everyone:
                # The server's word holds for every worker, whether or not we retry.
                self._pause_everyone(wait)
            if attempt_number == policy.max_attempts:
                raise give_up(f"gave up after {attempt_number} attempts", last)
            if outcome.retry_after is not None and wait > (
                allowance := self._wait_allowance(started)
            ):
                if paced:
                    raise _asked_to_wait(group, wait, allowance)
                raise give_up(f"asked to wait {wait:.0f} s, over the {allowance:.0f} s bound", last)
            if self._clock() - started + wait > policy.max_retry_time:
                raise give_up(
                    f"retry time bound of {policy.max_retry_time:.0f} s reached "
                    f"after {attempt_number} attempts",
                    last,
                )
            self._stats.retry()
            _log.warning(
                "notion.retry",
                endpoint=group,
                status=outcome.description,
                wait_seconds=round(wait, 3),
                attempt=attempt_number,
            )
            if not pauses_everyone:
                wait_interruptibly(wait, sleep=self._sleep, stop=self._stop, on_wait=self._beat)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _wait_allowance(self, started: float) -> float:
        """The longest wait a request started at ``started`` may still sit out."""
        spent = self._clock() - started
        return max(0.0, min(self._policy.max_single_wait, self._policy.max_retry_time - spent))

    def _retry_wait(self, failure: _Failure, attempt_number: int) -> float:
        if failure.retry_after is not None:
            return failure.retry_after
        with self._rng_lock:
            wait = self._policy.backoff(attempt_number, self._rng)
        if failure.rate_limited_status is not None:
            wait = max(wait, self._policy.backoff_base)  # rate limited without Retry-After
        return wait

    def _pause_everyone(self, wait: float) -> None:
        extension = self._limiter.pause_until(self._clock() + wait)
        if extension > 0:
            self._stats.throttled(extension)
            metrics.NOTION_THROTTLE_WAIT.inc(extension)

    def _beat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.beat()

    def _scrub(self, text: str) -> str:
        return text.replace(self._token.get_secret_value(), "**********")

    # -- pagination ------------------------------------------------------------------

    def paginate_pages(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: JSONObject | None = None,
    ) -> Iterator[ListPage]:
        """Yield every answer of a paginated listing, following ``next_cursor``.

        GET endpoints get ``page_size``/``start_cursor`` in the query, POST endpoints in the
        body. When Notion rejects a cursor as invalid (it expired), the listing restarts
        from the beginning; the first page after that has ``restarted=True`` and the
        caller de-duplicates what it already saw. A restart is allowed while each one gets
        further into the listing than the one before (at most
        :data:`MAX_LISTING_RESTARTS`), so an expired cursor costs the pages read again,
        never the listing, and a cursor that can never be followed is raised, not looped on.
        """
        method = method.upper()
        cursor: str | None = None
        first_after_restart = False
        depth = 0  # answers read since the listing (re)started
        failed_at_depth = 0  # depth at which the last expired cursor was met
        restarts = 0
        seen_cursors: set[str] = set()
        while True:
            page_params, page_json = _with_cursor(method, params, json, cursor)
            try:
                body = self.request(method, path, params=page_params, json=page_json)
            except errors.NotionHTTPError as error:
                if (
                    cursor is None
                    or not _is_stale_cursor(error)
                    or depth <= failed_at_depth
                    or restarts >= MAX_LISTING_RESTARTS
                ):
                    raise
                restarts += 1
                _log.warning(
                    "notion.listing_restarted",
                    endpoint=endpoint_group(_api_path(path)),
                    pages_read=depth,
                    restart=restarts,
                )
                first_after_restart = True
                failed_at_depth, depth = depth, 0
                cursor = None
                seen_cursors.clear()
                continue
            page = ListPage.from_body(body, restarted=first_after_restart)
            first_after_restart = False
            depth += 1
            yield page
            if not page.has_more:
                return
            if page.next_cursor is None or page.next_cursor in seen_cursors:
                raise errors.NotionBadResponse(
                    f"{method} {_api_path(path)}: has_more without a new next_cursor"
                )
            seen_cursors.add(page.next_cursor)
            cursor = page.next_cursor

    def paginate(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: JSONObject | None = None,
    ) -> Iterator[JSONObject]:
        """Yield the results of every page of a listing of objects.

        After a restart (invalid cursor) objects already yielded are skipped by id.
        Raises :class:`~notion_syncd.errors.IncompleteListing` after the last result when
        Notion flagged the listing ``request_status: incomplete``.
        """
        seen_ids: set[str] = set()
        restarted = False
        incomplete: JSONObject | None = None
        for page in self.paginate_pages(method, path, params=params, json=json):
            restarted = restarted or page.restarted
            for item in page.results:
                item_id = item.get("id")
                if isinstance(item_id, str):
                    if restarted and item_id in seen_ids:
                        continue
                    seen_ids.add(item_id)
                yield item
            if page.incomplete:
                incomplete = page.request_status
        if incomplete is not None:
            reason = incomplete.get("incomplete_reason", "unknown reason")
            raise errors.IncompleteListing(
                f"Notion cut the listing {method} {_api_path(path)} short ({reason})"
            )

    # -- endpoints -------------------------------------------------------------------

    def search(
        self, filter_value: str | None = None, direction: str = "descending"
    ) -> Iterator[JSONObject]:
        """Everything shared with the integration (``page`` or ``data_source`` only when given),
        sorted by ``last_edited_time``."""
        body: JSONObject = {"sort": {"timestamp": "last_edited_time", "direction": direction}}
        if filter_value is not None:
            body["filter"] = {"property": "object", "value": filter_value}
        return self.paginate("POST", "/v1/search", json=body)

    def page(self, page_id: str) -> JSONObject:
        return self.request("GET", f"/v1/pages/{_segment(page_id)}")

    def block(self, block_id: str) -> JSONObject:
        return self.request("GET", f"/v1/blocks/{_segment(block_id)}")

    def block_children(self, block_id: str) -> Iterator[JSONObject]:
        """The first level of a block's (or page's) children, in document order."""
        return self.paginate("GET", f"/v1/blocks/{_segment(block_id)}/children")

    def database(self, database_id: str) -> JSONObject:
        return self.request("GET", f"/v1/databases/{_segment(database_id)}")

    def data_source(self, data_source_id: str) -> JSONObject:
        return self.request("GET", f"/v1/data_sources/{_segment(data_source_id)}")

    def query_data_source(
        self,
        data_source_id: str,
        *,
        filter: JSONObject | None = None,
        sorts: list[JSONObject] | None = None,
    ) -> Iterator[JSONObject]:
        """One query (at most 10,000 results: raises IncompleteListing beyond that)."""
        body: JSONObject = {}
        if filter is not None:
            body["filter"] = filter
        if sorts is not None:
            body["sorts"] = sorts
        return self.paginate("POST", _query_path(data_source_id), json=body)

    def query_data_source_all(
        self,
        data_source_id: str,
        *,
        filter: JSONObject | None = None,
    ) -> Iterator[JSONObject]:
        """Every row of a data source, past the 10,000-results-per-query cap.

        Sorts by ``created_time`` ascending; whenever an answer says
        ``request_status: incomplete``, queries again from ``created_time on_or_after``
        the last created time seen, skipping rows already yielded (by id). ``filter`` is
        combined with the partition filter by ``and``. Raises IncompleteListing when a
        partition brings nothing new (more than the cap created in one minute).
        """
        seen_ids: set[str] = set()
        since: str | None = None
        while True:
            body: JSONObject = {"sorts": [{"timestamp": "created_time", "direction": "ascending"}]}
            combined = _and_filters(filter, _created_on_or_after(since))
            if combined is not None:
                body["filter"] = combined
            incomplete = False
            new_rows = 0
            last_created = since
            for page in self.paginate_pages("POST", _query_path(data_source_id), json=body):
                incomplete = incomplete or page.incomplete
                for row in page.results:
                    created = row.get("created_time")
                    if isinstance(created, str):
                        last_created = created
                    row_id = row.get("id")
                    if isinstance(row_id, str):
                        if row_id in seen_ids:
                            continue
                        seen_ids.add(row_id)
                    new_rows += 1
                    yield row
            if not incomplete:
                return
            if new_rows == 0 or last_created is None:
                raise errors.IncompleteListing(
                    f"data source {data_source_id}: the query cap was reached within one "
                    f"created_time ({last_created}); cannot partition further"
                )
            _log.info(
                "notion.query_partitioned", rows_so_far=len(seen_ids), created_since=last_created
            )
            since = last_created

    def property_items(self, page_id: str, property_id: str) -> JSONObject:
        """A page property read through the property-item endpoint.

        Simple properties: the single ``property_item``. List properties (title, rich_text,
        relation, people, rollup): a list answer with every page's results concatenated and
        the final ``property_item`` (for rollups, the one holding the computed value).
        """
        path = f"/v1/pages/{_segment(page_id)}/properties/{quote(unquote(property_id), safe='')}"
        results: list[JSONObject] = []
        final: JSONObject = {}
        for page in self.paginate_pages("GET", path):
            if page.body.get("object") != "list":
                return page.body
            if page.restarted:
                results = []
            results.extend(page.results)
            final = page.body
        return {**final, "results": results, "has_more": False, "next_cursor": None}

    def users(self) -> Iterator[JSONObject]:
        return self.paginate("GET", "/v1/users")

    def me(self) -> JSONObject:
        """The integration's own bot user."""
        return self.request("GET", "/v1/users/me")

    # -- downloads -------------------------------------------------------------------

    def download(self, url: str, *, max_bytes: int) -> bytes:
        """Download a file by plain GET, without Notion credentials.

        Raises :class:`~notion_syncd.errors.FileDownloadError` when the file is over
        ``max_bytes`` or cannot be fetched, and :class:`ExpiredFileURL` when the signed URL
        is refused (re-fetch the containing object to get a fresh one). Messages and logs
        name the URL without its query string (the signature).
        """
        shown = _url_without_query(url)

        def attempt() -> bytes | _Failure:
            try:
                request = self._files.build_request("GET", url)
            except httpx.InvalidURL:
                request = None
            if request is None or request.url.scheme not in ("http", "https"):
                raise errors.FileDownloadError(f"cannot download {shown}: not an http(s) URL")
            return self._download_attempt(shown, request, max_bytes)

        def give_up(reason: str, last: _Failure | None) -> errors.FileDownloadError:
            last_answer = last.description if last else "none"
            return errors.FileDownloadError(
                f"download of {shown} failed: {reason}; last answer: {last_answer}"
            )

        return self._with_retries("files", attempt, give_up, paced=False)

    def _download_attempt(
        self, shown: str, request: httpx.Request, max_bytes: int
    ) -> bytes | _Failure:
        started = self._clock()
        description: str | None = None
        too_large = False
        status = 0
        retry_after: float | None = None
        chunks: list[bytes] = []
        response: httpx.Response | None = None
        try:
            response = self._files.send(request, stream=True)
            try:
                status = response.status_code
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), date_header=response.headers.get("date")
                )
                if 200 <= status < 300:
                    too_large = _declared_length(response) > max_bytes
                    size = 0
                    for chunk in [] if too_large else response.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            too_large = True
                            break
                        chunks.append(chunk)
                        self._beat()
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            description = f"timeout ({type(exc).__name__})"
        except (httpx.TransportError, httpx.DecodingError) as exc:
            description = f"connection error ({type(exc).__name__})"
        failure = _Failure(description) if description is not None else None
        self._record("files", response if description is None else None, failure, started)
        if failure is not None:
            return failure
        if too_large:
            raise errors.FileDownloadError(f"{shown} is larger than {max_bytes} bytes")
        if 200 <= status < 300:
            return b"".join(chunks)
        if status in (400, 403):
            raise ExpiredFileURL(f"{shown}: HTTP {status}, the signed URL expired or was refused")
        if status in RATE_LIMIT_STATUSES or status in RETRYABLE_STATUSES:
            return _Failure(f"HTTP {status}", retry_after=retry_after)
        raise errors.FileDownloadError(f"{shown}: HTTP {status}")


def _asked_to_wait(group: str, wait: float, allowance: float) -> errors.NotionRateLimited:
    """Notion wants a pause longer than a request may wait: fail now, naming the wait."""
    return errors.NotionRateLimited(
        f"Notion asked to wait {wait:.0f} s before the next request ({group}; Retry-After), "
        f"longer than the {allowance:.0f} s a request may wait; stopped instead of waiting",
        wait_seconds=wait,
        hint="the next sync tries again; notion.max_retry_time bounds waits (at most 120 s each)",
    )


def _api_path(path: str) -> str:
    """``pages/x`` or ``/v1/pages/x`` → ``/v1/pages/x``."""
    stripped = path.lstrip("/")
    return "/" + (stripped if stripped.startswith("v1/") else "v1/" + stripped)


def _segment(object_id: str) -> str:
    """An id as one path segment: percent-encoded, so it cannot change the path."""
    return quote(object_id, safe="-")


def _query_path(data_source_id: str) -> str:
    return f"/v1/data_sources/{_segment(data_source_id)}/query"


def _json_object(content: bytes) -> JSONObject | None:
    """The body as a JSON object, or None when it is not one (HTML, truncated, a list)."""
    try:
        body = jsoncodec.loads(content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _is_stale_cursor(error: errors.NotionHTTPError) -> bool:
    return (
        error.status == 400
        and error.code == "validation_error"
        and STALE_CURSOR_MESSAGE in error.message
    )


def _with_cursor(
    method: str,
    params: Mapping[str, Any] | None,
    json: JSONObject | None,
    cursor: str | None,
) -> tuple[dict[str, Any] | None, JSONObject | None]:
    """Add ``page_size`` (unless given) and ``start_cursor`` to the query (GET) or body."""
    paging: dict[str, Any] = {"page_size": PAGE_SIZE}
    if method == "GET":
        merged = paging | dict(params or {})
        if cursor is not None:
            merged["start_cursor"] = cursor
        return merged, json
    body = paging | dict(json or {})
    body.pop("start_cursor", None)
    if cursor is not None:
        body["start_cursor"] = cursor
    return (dict(params) if params is not None else None), body


def _created_on_or_after(since: str | None) -> JSONObject | None:
    if since is None:
        return None
    return {"timestamp": "created_time", "created_time": {"on_or_after": since}}


def _and_filters(first: JSONObject | None, second: JSONObject | None) -> JSONObject | None:
    if first is None or second is None:
        return first or second
    if set(first) == {"and"} and isinstance(first["and"], list):
        return {"and": [*first["and"], second]}
    return {"and": [first, second]}


def _declared_length(response: httpx.Response) -> int:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else 0


def _url_without_query(url: str) -> str:
    """Scheme, host and path only: the query of a signed URL is a credential."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else parts.path
