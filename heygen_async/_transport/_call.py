"""The request path: one connection pool per client, and the call loop every request goes through.

A call builds the URL (path format, percent-encoding, the token), sends one attempt under the attempt's
time limit, decodes the envelope, and on failure decides from the retry policy, the call's idempotency
and the time left whether to wait and try again. aiohttp errors never escape: they become
:class:`APIConnectionError` / :class:`APITimeoutError` with ``maybe_processed`` saying whether the request
may have reached the server, and their text is scrubbed of the token (aiohttp puts the URL in some messages).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import inspect
import ipaddress
import json as jsonlib
import logging
import math
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import aiohttp
import anyio
import attrs
from yarl import URL

from heygen_async._config import USE_CLIENT_DEFAULT, Limits, OrDefault, RetryEvent, RetryPolicy, Timeout
from heygen_async._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    ConfigurationError,
    RateLimitError,
    ValidationError,
)
from heygen_async._redact import Redactor, Secret, mask_userinfo, url_credentials
from heygen_async._version import __version__

from ._envelope import decode_envelope, is_route_miss
from ._urls import PathStyle, PathStyleMemory, Route, encode_query

if TYPE_CHECKING:
    from heygen_async._jobs._scheduler import PollPolicy, PollScheduler
    from heygen_async._poll_http import PollHTTP
    from heygen_async._state._protocol import StateBackend
    from heygen_async._streaming._ledger import SessionLedger

__all__ = [
    "NO_BODY",
    "TIME_SCALE_HEADER",
    "CallOptions",
    "ClientStats",
    "ConnectionPool",
    "Transport",
    "may_have_been_processed",
]

logger = logging.getLogger("heygen_async")

USER_AGENT: Final = f"heygen-async/{__version__} aiohttp/{aiohttp.__version__}"
NO_BODY: Final = object()
"""Marks a call that sends no JSON body (``None`` is a valid JSON body: ``null``)."""
# 5xx answers are retried for idempotent calls, except those that say the request can never work.
_PERMANENT_5XX: Final = frozenset({501, 505})
# Answers that mean the request was refused before anything was processed, so even a create may repeat it.
_UNPROCESSED_STATUSES: Final = frozenset({429, 503})
_sleep = anyio.sleep  # module-level so tests can make retry waits instant
TIME_SCALE_HEADER: Final = "x-heygen-emulator-time-scale"
"""How many emulated seconds pass per real second at the emulator that answered (it sends this header on
every answer while its clock runs on its own). Honoured only from a loopback address, within 1..MAX_TIME_SCALE."""
MAX_TIME_SCALE: Final = 1000.0
_IDENTITY_KEY: Final = secrets.token_bytes(32)
"""The key of every handle's credential identity in this process: random per process, never stored or sent."""


def may_have_been_processed(error: BaseException) -> bool:
    """Whether a failed call may still have been carried out by HeyGen (so a create must not be repeated, and a
    batch reports it as ambiguous): a connection lost after sending, a success answer that could not be read,
    or a 408 or transient 5xx (a gateway can time out or fail after HeyGen took the request)."""
    if isinstance(error, APIConnectionError):
        return error.maybe_processed
    if isinstance(error, RateLimitError):
        return False
    if isinstance(error, APIStatusError):
        status = error.status_code
        return status == 408 or (status >= 500 and status not in _PERMANENT_5XX and status not in _UNPROCESSED_STATUSES)
    return isinstance(error, APIResponseError)


def _seconds(value: float | None) -> str:
    return "an unlimited time" if value is None else f"{value:.3g} s"


@attrs.define
class ClientStats:
    """What one connection pool (a client and its ``with_options`` handles) has sent: HTTP requests (every
    attempt, status polls included) and retries. Plain counters, for summaries and metrics."""

    requests: int = 0
    retries: int = 0


class ConnectionPool:
    """The "session pool": one aiohttp session and connector, created lazily on the running loop.

    Owned by the client that created it; handles from ``with_options`` share it and never close it.
    Cookies are never stored, so tenants sharing the pool cannot see each other's.
    """

    def __init__(self, limits: Limits, poll_budget: float = 10.0, state: StateBackend | None = None) -> None:
        self.limits = limits
        self.poll_budget = poll_budget
        self.state = state
        """The state backend the user gave (shared budget, caps, ledgers), or None: all in this process."""
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduler: PollScheduler | None = None
        self._session_ledger: SessionLedger | None = None
        self._poll_http: PollHTTP | None = None
        self.lean_polls = False
        """Status polls go through aiohttp like every call; True: by :mod:`heygen_async._poll_http`."""
        self.time_scale = 1.0
        """How many times faster than real time the server's clock runs: 1, except for an emulator on a
        loopback address that says otherwise (:data:`TIME_SCALE_HEADER`); poll cadences are divided by it."""
        self.closed = False
        self.stats = ClientStats()

    def saw_time_scale(self, value: str | None) -> None:
        """Note an emulator's :data:`TIME_SCALE_HEADER` (the caller checked the answer came from a loopback
        address); a value that is not a number is ignored, and speed-ups are kept within 1..MAX_TIME_SCALE."""
        if value is None:
            return
        try:
            scale = float(value)
        except ValueError:
            return
        if math.isfinite(scale):
            self.time_scale = min(MAX_TIME_SCALE, max(1.0, scale))

    def scheduler(self) -> PollScheduler:
        """The one poll scheduler of this pool (created on first use): every job waiter shares its budget."""
        if self.closed:
            raise ClientClosedError("the client is closed; create a new HeyGenClient")
        if self._scheduler is None:
            from heygen_async._jobs._scheduler import (
                PollScheduler,  # loaded with the first job wait: most calls never need it
            )

            self._scheduler = PollScheduler(
                self.poll_budget, max_in_flight=_polls_in_flight(self.limits), state=self.state
            )
        return self._scheduler

    def poll_http(self) -> PollHTTP:
        """The status polls' own keep-alive GET path (created on first use, on this pool's loop)."""
        if self.closed:
            raise ClientClosedError("the client is closed; create a new HeyGenClient")
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            raise ConfigurationError(
                "this client's connection pool belongs to another event loop; "
                "create the client inside the event loop that uses it"
            )
        if self._poll_http is None:
            from heygen_async._poll_http import PollHTTP

            self._loop = loop
            self._poll_http = PollHTTP(
                max_idle=_polls_in_flight(self.limits),
                keepalive_expiry=self.limits.keepalive_expiry,
                user_agent=USER_AGENT,
            )
        return self._poll_http

    def session_ledger(self) -> SessionLedger | None:
        """Where sessions opened without a manager are recorded, with a shared state (None without one)."""
        if self.state is None or self.closed:
            return None
        if self._session_ledger is None:
            from heygen_async._streaming._ledger import SessionLedger

            self._session_ledger = SessionLedger(self.state)
        return self._session_ledger

    @property
    def is_open(self) -> bool:
        """Whether an aiohttp session exists and still needs closing."""
        return self._session is not None and not self._session.closed

    def session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ClientClosedError("the client is closed; create a new HeyGenClient")
        session = self._session
        loop = asyncio.get_running_loop()
        if session is None:
            connector = aiohttp.TCPConnector(
                limit=self.limits.max_connections,
                limit_per_host=self.limits.max_connections_per_host,
                keepalive_timeout=self.limits.keepalive_expiry,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
            # aiohttp resends a GET/PUT/DELETE once, unseen, when a kept-alive connection turns out closed.
            # One retry layer only: the call loop decides (max_retries, idempotent=False, on_retry, attempts).
            # There is no public switch; aiohttp's own test client clears this attribute too.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
            self._session = session
            self._loop = loop
        elif self._loop is not loop:
            raise ConfigurationError(
                "this client's connection pool belongs to another event loop; "
                "create the client inside the event loop that uses it"
            )
        return session

    async def aclose(self) -> None:
        """Close the pool; idempotent. Open connections are closed, not left for the garbage collector."""
        self.closed = True
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            await scheduler.aclose()
        ledger, self._session_ledger = self._session_ledger, None
        if ledger is not None:
            await ledger.aclose()
        poll_http, self._poll_http = self._poll_http, None
        if poll_http is not None:
            poll_http.close()
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()


def _shown(url: str) -> str:
    return repr(mask_userinfo(url))


@attrs.frozen(kw_only=True)
class CallOptions:
    """A handle's settings for every call it makes. The token is a :class:`Secret`; the repr masks the URLs'
    credentials, since these settings are a local of the frames that check new ones (and of their tracebacks)."""

    mode: Literal["gateway", "direct"]
    base_url: str = attrs.field(repr=_shown)
    upload_url: str = attrs.field(repr=_shown)
    token: Secret = attrs.field(repr=False)
    timeout: Timeout
    retry: RetryPolicy
    path_style: PathStyle
    poll_policy: PollPolicy | None = None


_ROUTE_MISS: Final = object()
_NO_CEILING: Final = 1e9  # aiohttp rounds timeouts over its ceil threshold up to whole seconds; never do that


def _polls_in_flight(limits: Limits) -> int:
    """How many status polls may be in flight at once: half of a bounded pool's size (at most 100). Through
    aiohttp (``lean_polls=False``) that leaves a poll a free connection (a poll queued inside aiohttp would be
    sent late, in a burst, past the budget's window) and other calls the rest; on the lean path, whose
    connections are its own, it bounds those connections, so a client may hold up to 1.5x the pool's sockets."""
    bounds = [limit for limit in (limits.max_connections, limits.max_connections_per_host) if limit > 0]
    return max(1, min(100, *(limit // 2 for limit in bounds))) if bounds else 100


def _is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine by a loopback address or ``localhost``."""
    host = URL(url).host or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _ResponseTooLarge(APIResponseError):
    """An answer over ``Limits.max_response_bytes``; an :class:`APIResponseError` that is never retried."""


async def _read_body(response: aiohttp.ClientResponse, limit: int | None, endpoint: str) -> bytes:
    """The whole body, refused once it passes ``limit`` bytes: by its ``Content-Length`` before reading, or
    while reading (a chunked body, or one that decompresses past the limit), so it is never buffered whole."""
    if limit is None:
        return await response.read()
    declared = response.content_length
    size = 0
    chunks: list[bytes] = []
    if declared is None or declared <= limit:
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                break
            chunks.append(chunk)
        else:
            return b"".join(chunks)
    what = f"declared {declared} bytes" if size <= limit else "passed it while being read"
    response.close()  # drop the connection rather than drain (or reuse) the rest
    raise _ResponseTooLarge(
        f"{endpoint} answered HTTP {response.status} with a body over the {limit}-byte limit ({what}); "
        "raise Limits(max_response_bytes=...) if such answers are expected",
        endpoint=endpoint,
        status_code=response.status,
        body="",
    )


class Transport:
    """Sends calls for one handle (one token, one set of settings) through a shared pool.

    No local variable of :meth:`call` holds the URL, the response or the raw body, and errors are re-raised
    without the frames that did: a traceback that captures locals (Sentry, ``pytest --showlocals``) cannot
    show the token.
    """

    def __init__(self, pool: ConnectionPool, memory: PathStyleMemory, options: CallOptions) -> None:
        self.pool = pool
        self.memory = memory
        self.options = options
        self.closed = False  # this handle's own state; the pool may outlive it
        self._gateway = options.mode == "gateway"
        self.redactor = Redactor(
            options.token.reveal(), *url_credentials(options.base_url), *url_credentials(options.upload_url)
        )
        self._token_query = "api_token=" + encode_query([("x", options.token.reveal())])[2:] if self._gateway else ""
        self._auth_headers: dict[str, str] = {} if self._gateway else {"X-Api-Key": options.token.reveal()}
        self._client_timeout = self._aiohttp_timeout(options.timeout.attempt, options.timeout.connect)
        self._retry_variants: dict[int, RetryPolicy] = {}
        # A status poll is one attempt: bounded by the attempt limit and the whole-call limit, the lower.
        bounds = [t for t in (options.timeout.attempt, options.timeout.total) if t is not None]
        self._poll_timeout = min(bounds) if bounds else None
        self.identity = hmac.digest(_IDENTITY_KEY, self._credentials(), "sha256")[:16]
        """Whose credentials this handle's calls carry (a keyed hash, never the token): the poll scheduler
        shares a job's poll stream, and its answers, only among handles with the same identity."""
        self._ledger_credential: str | None = None
        self._loopback = _is_loopback(options.base_url)

    def __repr__(self) -> str:
        return f"<Transport {self.options.mode} {self.shown_base_url!r}>"

    def shown_url(self, url: str) -> str:
        """``url`` as it may be shown (in a repr, an error, a resume token): its userinfo's password and this
        handle's credentials masked."""
        return self.redactor.text(mask_userinfo(url))

    @functools.cached_property
    def shown_base_url(self) -> str:
        return self.shown_url(self.options.base_url)

    def _credentials(self) -> bytes:
        """Everything that decides whose account a call reaches (mode, base URL with any ``user:password``,
        the token, the auth headers), as bytes that are only ever hashed under a key."""
        options = self.options
        return jsonlib.dumps(
            [options.mode, options.base_url, options.token.reveal(), sorted(self._auth_headers.items())]
        ).encode()

    async def ledger_credential(self) -> str:
        """This handle's credentials as the job ledger records them: HMAC-SHA256 under the state's salt.

        The salt is shared by every sharer of the state, so another process with the same credentials finds
        the same records; a tenant with other credentials finds none of them. Reveals no token: telling which
        token made a record means guessing the token."""
        if self._ledger_credential is None:
            state = self.pool.state
            if state is None:
                raise ConfigurationError("this client keeps no job ledger: pass state= to HeyGenClient")
            salt = await state.credential_salt()
            self._ledger_credential = hmac.new(salt, self._credentials(), "sha256").hexdigest()[:32]
        return self._ledger_credential

    @staticmethod
    def _aiohttp_timeout(total: float | None, connect: float | None) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=total, sock_connect=connect, ceil_threshold=_NO_CEILING)

    # -- URLs -----------------------------------------------------------------------------------------

    def _style_for(self, route: Route) -> Literal["new", "old"]:
        if not self._gateway or not route.path_params:
            return "new"
        style = self.options.path_style
        if style == "auto":
            return self.memory.get(route.key) or "new"
        return style

    def build_url(
        self,
        route: Route,
        style: Literal["new", "old"],
        path_values: Mapping[str, Any],
        query: Sequence[tuple[str, Any]],
    ) -> URL:
        """The full, encoded URL of one attempt (with the token in gateway mode)."""
        return URL(self.url_text(route, style, path_values, query), encoded=True)

    def url_text(
        self,
        route: Route,
        style: Literal["new", "old"],
        path_values: Mapping[str, Any],
        query: Sequence[tuple[str, Any]],
    ) -> str:
        """:meth:`build_url` as text (the poll path parses no URL objects)."""
        base = self.options.upload_url if route.host == "upload" else self.options.base_url
        if style == "old":
            route.check_path_values(path_values)
            path = route.old_path
            query = [*((name, str(path_values[name])) for name in route.path_params), *query]
        else:
            path = route.new_path(path_values)
        qs = encode_query(query) if query else ""
        if self._gateway:
            qs = f"{qs}&{self._token_query}" if qs else self._token_query
        return f"{base}{path}?{qs}" if qs else f"{base}{path}"

    # -- calls ----------------------------------------------------------------------------------------

    async def call(
        self,
        route: Route,
        *,
        path_values: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: Any = NO_BODY,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        replayable: bool = True,
        timeout: OrDefault[Timeout | float | None] = USE_CLIENT_DEFAULT,
        max_retries: OrDefault[int] = USE_CLIENT_DEFAULT,
        retry: OrDefault[RetryPolicy] = USE_CLIENT_DEFAULT,
    ) -> Any:
        """Send ``route`` and return HeyGen's decoded ``data``, retrying as the policy allows.

        ``replayable=False`` marks a body that cannot be sent twice (a stream): such a call is never retried.
        """
        policy, limits = self._call_settings(route, timeout, max_retries, retry)
        client_timeout = (
            self._client_timeout
            if timeout is USE_CLIENT_DEFAULT
            else self._aiohttp_timeout(limits.attempt, limits.connect)
        )
        if json is not NO_BODY:
            data = self._encode_json(route, json)
            headers = {**(headers or {}), "Content-Type": "application/json"}
        values = path_values or {}
        items: Sequence[tuple[str, Any]] = list(query.items()) if isinstance(query, Mapping) else (query or ())
        idempotent = route.idempotent if idempotent is None else idempotent
        deadline = None if limits.total is None else time.monotonic() + limits.total
        style = self._style_for(route)
        may_fall_back = (
            style == "new" and self.options.path_style == "auto" and self._gateway and bool(route.path_params)
        )
        route.check_path_values(values)
        attempt = 0

        while True:
            attempt += 1
            attempt_timeout = client_timeout
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._out_of_time(route, limits, attempt - 1, idempotent)
                if limits.attempt is None or remaining < limits.attempt:
                    attempt_timeout = self._aiohttp_timeout(remaining, limits.connect)
            try:
                result = await self._exchange(
                    route, style, values, items, data, headers, attempt_timeout, attempt, may_fall_back
                )
            except APIError as exc:
                error = exc.with_traceback(None)  # drop the frames that held the URL and the raw body
            else:
                if result is _ROUTE_MISS:
                    # The gateway does not serve this route in the new format: try the old one, once.
                    may_fall_back = False
                    style = "old"
                    attempt -= 1
                    continue
                self._confirm_style(route, style)
                return result
            if isinstance(error, APIStatusError) and (error.status_code != 404 or may_fall_back):
                # The route answered (a 404 while a fallback was still possible was HeyGen's own).
                self._confirm_style(route, style)

            error.attempts = attempt
            if not (replayable and self._retryable(error, idempotent)) or attempt >= policy.attempts:
                raise error
            wait = self._wait_before_retry(error, policy, attempt)
            if deadline is not None and time.monotonic() + wait >= deadline:
                raise error
            logger.info(
                "retrying %s in %.2f s after attempt %d of %d failed: %s",
                route.key,
                wait,
                attempt,
                policy.attempts,
                type(error).__name__,
            )
            self.pool.stats.retries += 1
            if policy.on_retry is not None:
                await self._run_hook(
                    policy, RetryEvent(endpoint=route.key, attempt=attempt, wait=wait, error=error), deadline
                )
            await _sleep(wait)

    async def _exchange(
        self,
        route: Route,
        style: Literal["new", "old"],
        values: Mapping[str, Any],
        items: Sequence[tuple[str, Any]],
        data: Any,
        headers: Mapping[str, str] | None,
        timeout: aiohttp.ClientTimeout,
        attempt: int,
        may_fall_back: bool,
    ) -> Any:
        """One attempt: HeyGen's decoded data, ``_ROUTE_MISS``, or an :class:`APIError` (never aiohttp's).

        The credentials (query token, ``X-Api-Key``) are added here, in this frame only.
        """
        session = self.pool.session()  # per attempt: a pool closed during a retry wait says so clearly
        self.pool.stats.requests += 1
        debug = logger.isEnabledFor(logging.DEBUG)
        sent_at = time.monotonic() if debug else 0.0
        error: APIError
        try:
            async with session.request(
                route.method,
                self.build_url(route, style, values, items),
                data=data,
                headers={**self._auth_headers, **headers} if headers else self._auth_headers or None,
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                raw = await _read_body(response, self.pool.limits.max_response_bytes, route.key)
                status = response.status
                response_headers = response.headers
                if self._loopback:
                    self.pool.saw_time_scale(response_headers.get(TIME_SCALE_HEADER))
        except aiohttp.ConnectionTimeoutError:
            error = APITimeoutError(
                f"{route.key} timed out: no connection within {_seconds(timeout.sock_connect)}",
                endpoint=route.key,
                maybe_processed=False,
            )
        except aiohttp.ClientConnectorError as exc:
            error = self._connection_error(route, exc, maybe_processed=False)
        except asyncio.TimeoutError:
            error = APITimeoutError(
                f"{route.key} timed out: no complete answer within {_seconds(timeout.total)}",
                endpoint=route.key,
                maybe_processed=True,
            )
        except aiohttp.ClientError as exc:
            error = self._connection_error(route, exc, maybe_processed=True)
        else:
            if debug:
                logger.debug(
                    "%s -> HTTP %d in %.1f ms (attempt %d, %s format)",
                    route.key,
                    status,
                    (time.monotonic() - sent_at) * 1000,
                    attempt,
                    style,
                )
            if may_fall_back and is_route_miss(status, raw):
                return _ROUTE_MISS
            return decode_envelope(
                status, response_headers, raw, gateway=self._gateway, endpoint=route.key, redactor=self.redactor
            )
        raise error

    # -- status polls -------------------------------------------------------------------------------

    def start_poll(
        self,
        route: Route,
        values: Mapping[str, Any],
        items: Sequence[tuple[str, Any]],
        done: Callable[[Any, BaseException | None], None],
    ) -> None:
        """One status poll over :mod:`heygen_async._poll_http`, without a task: ``done(data, None)`` or
        ``done(None, error)`` is called later with what :meth:`call` would return or raise (one attempt, the
        client's timeouts, the same envelope, errors and path-format fallback). ``route`` is a bodiless GET."""
        style = self._style_for(route)
        may_fall_back = (
            style == "new" and self.options.path_style == "auto" and self._gateway and bool(route.path_params)
        )
        self._send_poll(route, style, values, items, may_fall_back, done)

    def _send_poll(
        self,
        route: Route,
        style: Literal["new", "old"],
        values: Mapping[str, Any],
        items: Sequence[tuple[str, Any]],
        may_fall_back: bool,
        done: Callable[[Any, BaseException | None], None],
    ) -> None:
        poll_http = self.pool.poll_http()
        self.pool.stats.requests += 1
        limits = self.options.timeout
        timeout = self._poll_timeout

        def on_answer(status: int, headers: Mapping[str, str], raw: bytes) -> None:
            if self._loopback:
                self.pool.saw_time_scale(headers.get(TIME_SCALE_HEADER))
            if may_fall_back and is_route_miss(status, raw):
                try:  # the gateway's old format, once
                    self._send_poll(route, "old", values, items, False, done)
                except Exception as exc:  # the pool closed meanwhile
                    done(None, exc)
                return
            try:
                data = decode_envelope(
                    status, headers, raw, gateway=self._gateway, endpoint=route.key, redactor=self.redactor
                )
            except APIError as exc:
                if isinstance(exc, APIStatusError) and (exc.status_code != 404 or may_fall_back):
                    self._confirm_style(route, style)
                done(None, exc.with_traceback(None))
                return
            self._confirm_style(route, style)
            done(data, None)

        def on_error(exc: BaseException) -> None:
            done(None, self._poll_error(route, exc, limits))

        poll_http.request(
            self.url_text(route, style, values, items),
            self._auth_headers,
            timeout=timeout,
            connect_timeout=limits.connect,
            limit=self.pool.limits.max_response_bytes,
            on_answer=on_answer,
            on_error=on_error,
        )

    def _poll_error(self, route: Route, exc: BaseException, limits: Timeout) -> APIError:
        """The :class:`APIError` for a poll that got no usable answer (as :meth:`_exchange` maps aiohttp's)."""
        from heygen_async._poll_http import PollConnectError, PollTimeoutError, TooLarge

        if isinstance(exc, PollConnectError):
            return self._connection_error(route, exc, maybe_processed=False)
        if isinstance(exc, PollTimeoutError):
            if exc.connecting:
                return APITimeoutError(
                    f"{route.key} timed out: no connection within {_seconds(limits.connect)}",
                    endpoint=route.key,
                    maybe_processed=False,
                )
            return APITimeoutError(
                f"{route.key} timed out: no complete answer within {_seconds(limits.attempt or limits.total)}",
                endpoint=route.key,
                maybe_processed=True,
            )
        if isinstance(exc, TooLarge):
            limit = self.pool.limits.max_response_bytes
            return _ResponseTooLarge(
                f"{route.key} answered HTTP {exc.status} with a body over the {limit}-byte limit ({exc.what}); "
                "raise Limits(max_response_bytes=...) if such answers are expected",
                endpoint=route.key,
                status_code=exc.status,
                body="",
            )
        return self._connection_error(route, exc, maybe_processed=True)

    @staticmethod
    async def _run_hook(policy: RetryPolicy, event: RetryEvent, deadline: float | None) -> None:
        assert policy.on_retry is not None
        outcome = policy.on_retry(event)
        if inspect.isawaitable(outcome):
            if deadline is None:
                await outcome
                return
            # A slow async hook must not carry the call past its budget.
            with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
                await outcome

    def _call_settings(
        self,
        route: Route,
        timeout: OrDefault[Timeout | float | None],
        max_retries: OrDefault[int],
        retry: OrDefault[RetryPolicy],
    ) -> tuple[RetryPolicy, Timeout]:
        """The call's retry policy and time limits; a malformed override is a :class:`ValidationError`."""
        policy = self.options.retry
        if retry is not USE_CLIENT_DEFAULT:
            if not isinstance(retry, RetryPolicy):
                raise ValidationError(
                    f"retry must be a RetryPolicy, not {type(retry).__name__}", parameter="retry", endpoint=route.key
                )
            policy = retry
        try:
            if max_retries is not USE_CLIENT_DEFAULT:
                if policy is self.options.retry:  # the common case (status polls): evolve once, not per call
                    cached = self._retry_variants.get(max_retries) if type(max_retries) is int else None
                    if cached is None:
                        cached = policy.with_max_retries(max_retries)
                        if len(self._retry_variants) < 8:
                            self._retry_variants[max_retries] = cached
                    policy = cached
                else:
                    policy = policy.with_max_retries(max_retries)
        except ValueError as exc:
            raise ValidationError(str(exc), parameter="max_retries", endpoint=route.key) from None
        try:
            limits = self.options.timeout if timeout is USE_CLIENT_DEFAULT else Timeout.coerce(timeout)
        except (TypeError, ValueError) as exc:
            message = str(exc) if str(exc).startswith("timeout") else f"timeout is invalid: {exc}"
            raise ValidationError(message, parameter="timeout", endpoint=route.key) from None
        return policy, limits

    @staticmethod
    def _encode_json(route: Route, body: Any) -> bytes:
        try:
            return jsonlib.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"the request body cannot be sent as JSON: {exc}", endpoint=route.key) from None

    def _confirm_style(self, route: Route, style: Literal["new", "old"]) -> None:
        if self._gateway and route.path_params and self.options.path_style == "auto":
            self.memory.remember(route.key, style)

    @staticmethod
    def _retryable(error: APIError, idempotent: bool) -> bool:
        if isinstance(error, APIConnectionError):
            return idempotent or not error.maybe_processed
        if isinstance(error, APIStatusError):
            if error.status_code in _UNPROCESSED_STATUSES or isinstance(error, RateLimitError):
                return True
            return idempotent and may_have_been_processed(error)
        if isinstance(error, _ResponseTooLarge):
            return False  # the same answer would come back, as large
        if isinstance(error, APIResponseError):
            # A garbled or cut-short success body: repeating a read is harmless, repeating a create is not.
            return idempotent
        return False

    @staticmethod
    def _wait_before_retry(error: APIError, policy: RetryPolicy, attempt: int) -> float:
        if not isinstance(error, APIStatusError) or error.retry_after is None:
            return policy.backoff(attempt, random.random())
        retry_after = error.retry_after
        if retry_after > policy.retry_after_max:
            if isinstance(error, RateLimitError):
                raise error
            raise RateLimitError(
                f"{error}; the API asked to wait {retry_after:.0f} s, more than the retry policy allows "
                f"({policy.retry_after_max:.0f} s)",
                endpoint=error.endpoint,
                status_code=error.status_code,
                code=error.code,
                error_message=error.error_message,
                request_id=error.request_id,
                body=error.body,
                headers=error.headers,
                retry_after=retry_after,
            )
        return retry_after

    def _connection_error(self, route: Route, exc: BaseException, *, maybe_processed: bool) -> APIConnectionError:
        detail = self.redactor.text(str(exc)) or "no detail"
        return APIConnectionError(
            f"{route.key} could not complete: {type(exc).__name__}: {detail}",
            endpoint=route.key,
            maybe_processed=maybe_processed,
        )

    @staticmethod
    def _out_of_time(route: Route, limits: Timeout, attempts: int, idempotent: bool) -> APITimeoutError:
        # A create is only ever retried after attempts that surely were not processed.
        error = APITimeoutError(
            f"{route.key} ran out of its {limits.total} s budget after {attempts} attempt(s)",
            endpoint=route.key,
            maybe_processed=idempotent and attempts > 0,
        )
        error.attempts = attempts
        return error
