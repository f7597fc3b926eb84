"""The call loop every request goes through, for one client handle (its credentials and settings).

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
import json as jsonlib
import logging
import random
import secrets
import time
import types
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import aiohttp
import anyio
import attrs
from yarl import URL

from heygen_async._config import USE_CLIENT_DEFAULT, OrDefault, PollPolicy, RetryEvent, RetryPolicy, Timeout
from heygen_async._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    ConflictError,
    RateLimitError,
    ValidationError,
)
from heygen_async._redact import Redactor, Secret, mask_userinfo, url_credentials

from ._envelope import DEFAULT_SUCCESS_CODES, LIVEAVATAR_SUCCESS_CODES, decode_envelope, is_route_miss
from ._pool import TIME_SCALE_HEADER, ConnectionPool, is_loopback
from ._urls import PathStyle, PathStyleMemory, Route, encode_query

__all__ = ["NO_BODY", "CallOptions", "Transport", "may_have_been_processed"]

logger = logging.getLogger("heygen_async")

NO_BODY: Final = object()
"""Marks a call that sends no JSON body (``None`` is a valid JSON body: ``null``)."""
# 5xx answers are retried for idempotent calls, except those that say the request can never work.
_PERMANENT_5XX: Final = frozenset({501, 505})
# Answers that mean the request was refused before anything was processed, so even a create may repeat it.
_UNPROCESSED_STATUSES: Final = frozenset({429, 503})
_sleep = anyio.sleep  # module-level so tests can make retry waits instant
IN_PROGRESS: Final = "request_in_progress"
"""v3's 409 code while an earlier request with the same ``Idempotency-Key`` is still running."""
_IDENTITY_KEY: Final = secrets.token_bytes(32)
"""The key of every handle's credential identity in this process: random per process, never stored or sent."""


def may_have_been_processed(error: BaseException) -> bool:
    """Whether a failed call may still have been carried out by HeyGen (so a create must not be repeated, and a
    batch reports it as ambiguous): a connection lost after sending, a success answer that could not be read,
    or a 408 or transient 5xx (a gateway can time out or fail after HeyGen took the request)."""
    if isinstance(error, APIConnectionError):
        return error.maybe_processed
    if isinstance(error, APIStatusError):
        # By its status, not its class: a 5xx or a 409 that asked for a longer wait than the policy allows is
        # raised as a RateLimitError, yet what it said about the request stands.
        status = error.status_code
        if status == 409 and error.code == IN_PROGRESS:
            return True  # an earlier request with the same Idempotency-Key is running: it is being carried out
        return status == 408 or (status >= 500 and status not in _PERMANENT_5XX and status not in _UNPROCESSED_STATUSES)
    return isinstance(error, APIResponseError)


def _seconds(value: float | None) -> str:
    return "an unlimited time" if value is None else f"{value:.3g} s"


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
    api: Literal["heygen", "liveavatar"] = "heygen"
    """Whose API the handle calls: LiveAvatar's envelope also takes ``code`` 1000 as success."""
    bearer: bool = False
    """Direct mode: send the token as ``Authorization: Bearer`` (a LiveAvatar session token) instead of
    ``X-Api-Key`` (a HeyGen or LiveAvatar API key)."""


_ROUTE_MISS: Final = object()
_CONTENT_ENCODING: Final = aiohttp.hdrs.CONTENT_ENCODING
_MAX_PREFIXES: Final = 256
_JSON_ENCODER: Final = jsonlib.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
"""What ``json.dumps`` with these settings builds on every call, built once (bytes for bytes the same)."""
_Parts = tuple[URL, str, str, str]
"""A parsed URL and its scheme, encoded authority and encoded path."""
_NO_VALUES: Final[Mapping[str, Any]] = types.MappingProxyType({})
_NO_CEILING: Final = 1e9  # aiohttp rounds timeouts over its ceil threshold up to whole seconds; never do that


class _ResponseTooLarge(APIResponseError):
    """An answer over ``Limits.max_response_bytes``; an :class:`APIResponseError` that is never retried."""


async def _read_body(response: aiohttp.ClientResponse, limit: int | None, endpoint: str) -> bytes:
    """The whole body, refused once it passes ``limit`` bytes: by its ``Content-Length`` before reading, or
    while reading (a chunked body, or one that decompresses past the limit), so it is never buffered whole."""
    if limit is None:
        return await response.read()
    declared = response.content_length
    if declared is not None and declared <= limit and _CONTENT_ENCODING not in response.headers:
        # aiohttp reads exactly the declared length of an uncompressed body: one read, no chunk loop.
        return await response.read()
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
        self._auth_headers: dict[str, str] = (
            {}
            if self._gateway
            else {"Authorization": "Bearer " + options.token.reveal()}
            if options.bearer
            else {"X-Api-Key": options.token.reveal()}
        )
        self._success_codes = LIVEAVATAR_SUCCESS_CODES if options.api == "liveavatar" else DEFAULT_SUCCESS_CODES
        self._client_timeout = self._aiohttp_timeout(options.timeout.attempt, options.timeout.connect)
        self._retry_variants: dict[int, RetryPolicy] = {}
        self.identity = hmac.digest(_IDENTITY_KEY, self._credentials(), "sha256")[:16]
        """Whose credentials this handle's calls carry (a keyed hash, never the token): the poll scheduler
        shares a job's poll stream, and its answers, only among handles with the same identity."""
        self._ledger_credentials: dict[bytes, str] = {}
        self._loopback = is_loopback(options.base_url)
        self._prefixes: dict[str, tuple[str, _Parts | None]] = {}  # see _prefix, by route key

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

    def ledger_credential(self, salt: bytes) -> str:
        """This handle's credentials as a job ledger records them: HMAC-SHA256 under the ledger's ``salt``.

        The salt is shared by every sharer of the ledger, so another process with the same credentials finds
        the same records; a tenant with other credentials finds none of them. Reveals no token: telling which
        token made a record means guessing the token."""
        found = self._ledger_credentials.get(salt)
        if found is None:
            found = self._ledger_credentials[salt] = hmac.new(salt, self._credentials(), "sha256").hexdigest()[:32]
        return found

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
        if style == "new" and not route.path_params:
            parsed = self._prefix(route)[1]
            if parsed is not None:  # put together from parts parsed once: no URL parsing per call
                url, scheme, authority, path = parsed
                qs = self._query_text(query)
                if not qs:
                    return url
                return URL.build(scheme=scheme, authority=authority, path=path, query_string=qs, encoded=True)
        return URL(self.url_text(route, style, path_values, query), encoded=True)

    def url_text(
        self,
        route: Route,
        style: Literal["new", "old"],
        path_values: Mapping[str, Any],
        query: Sequence[tuple[str, Any]],
    ) -> str:
        """:meth:`build_url` as text."""
        if style == "old":
            route.check_path_values(path_values)
            path = route.old_path
            query = [*((name, str(path_values[name])) for name in route.path_params), *query]
        elif route.path_params:
            path = route.new_path(path_values)
        else:  # the commonest case: a fixed path, whose base URL + path is joined once
            prefix = self._prefix(route)[0]
            qs = self._query_text(query)
            return f"{prefix}?{qs}" if qs else prefix
        qs = self._query_text(query)
        base = self._base_for(route)
        return f"{base}{path}?{qs}" if qs else f"{base}{path}"

    def _query_text(self, query: Sequence[tuple[str, Any]]) -> str:
        """The encoded query string: ``query``, then the token in gateway mode."""
        qs = encode_query(query) if query else ""
        if self._gateway:
            return f"{qs}&{self._token_query}" if qs else self._token_query
        return qs

    def _prefix(self, route: Route) -> tuple[str, _Parts | None]:
        """A fixed-path route's base URL + path, as text and, when it round-trips exactly (no query or
        fragment in the base URL), as a parsed URL whose parts later URLs reuse; worked out once per route."""
        cache_key = route.key if route.host == "api" else f"upload {route.key}"
        known = self._prefixes.get(cache_key)
        if known is None:
            text = self._base_for(route) + route.path
            parsed = URL(text, encoded=True)
            exact = not (parsed.raw_query_string or parsed.raw_fragment) and str(parsed) == text
            known = (text, (parsed, parsed.scheme, parsed.raw_authority, parsed.raw_path) if exact else None)
            if len(self._prefixes) < _MAX_PREFIXES:  # ad-hoc routes (client.request) are not all kept
                self._prefixes[cache_key] = known
        return known

    def _base_for(self, route: Route) -> str:
        return self.options.upload_url if route.host == "upload" else self.options.base_url

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
        if (
            timeout is USE_CLIENT_DEFAULT
            and retry is USE_CLIENT_DEFAULT
            and (
                max_retries is USE_CLIENT_DEFAULT or (type(max_retries) is int and max_retries in self._retry_variants)
            )
        ):  # the client's settings, or a retry count seen before (every status poll's 0)
            limits, client_timeout = self.options.timeout, self._client_timeout
            policy = self.options.retry if max_retries is USE_CLIENT_DEFAULT else self._retry_variants[max_retries]
        else:
            policy, limits = self._call_settings(route, timeout, max_retries, retry)
            client_timeout = (
                self._client_timeout
                if timeout is USE_CLIENT_DEFAULT
                else self._aiohttp_timeout(limits.attempt, limits.connect)
            )
        if json is not NO_BODY:
            if headers:
                data = self._encode_json(route, json)
                headers = {**headers, "Content-Type": "application/json"}
            else:  # the body carries its content type: no header dicts to merge, here or in aiohttp
                data = aiohttp.payload.BytesPayload(self._encode_json(route, json), content_type="application/json")
        values = path_values or _NO_VALUES
        items: Sequence[tuple[str, Any]] = (
            query  # what build_request gives: no ABC check
            if type(query) is list
            else list(query.items())
            if isinstance(query, Mapping)
            else (query or ())
        )
        idempotent = route.idempotent if idempotent is None else idempotent
        started = time.monotonic()
        deadline = None if limits.total is None else started + limits.total
        if route.path_params:
            style = self._style_for(route)
            may_fall_back = style == "new" and self.options.path_style == "auto" and self._gateway
            route.check_path_values(values)
        else:  # most routes: one path format, nothing to check or remember
            style, may_fall_back = "new", False
        attempt = 0
        first = True

        while True:
            attempt += 1
            attempt_timeout = client_timeout
            if deadline is not None:
                remaining = deadline - (started if first else time.monotonic())  # the first: just read
                first = False
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
                if route.path_params:
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
            # Awaited and released rather than entered with ``async with``: the same release, without the
            # context manager's three extra coroutines per call (the body is read whole before release).
            response = await session.request(
                route.method,
                self.build_url(route, style, values, items),
                data=data,
                headers={**self._auth_headers, **headers} if headers else self._auth_headers or None,
                timeout=timeout,
                allow_redirects=False,
            )
            try:
                raw = await _read_body(response, self.pool.limits.max_response_bytes, route.key)
                status = response.status
                response_headers = response.headers
                if self._loopback:
                    self.pool.saw_time_scale(response_headers.get(TIME_SCALE_HEADER))
            finally:
                response.release()
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
                status,
                response_headers,
                raw,
                gateway=self._gateway,
                endpoint=route.key,
                redactor=self.redactor,
                success_codes=self._success_codes,
            )
        raise error

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
            return _JSON_ENCODER.encode(body).encode()
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
            if isinstance(error, ConflictError):
                # Only an idempotent call's first attempt can still be running: wait it out, then the same
                # key replays its answer. Any other conflict is a verdict.
                return idempotent and error.code == IN_PROGRESS
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
