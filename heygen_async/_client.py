"""``HeyGenClient``: the long-lived object users hold; settings, lifecycle and the ``request`` escape hatch."""

from __future__ import annotations

import functools
import os
import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs
from yarl import URL

from ._config import DEFAULT_LIMITS, DEFAULT_TIMEOUT, USE_CLIENT_DEFAULT, Limits, OrDefault, RetryPolicy, Timeout
from ._exceptions import ClientClosedError, ConfigurationError, ValidationError
from ._redact import REDACTED, Redactor, Secret, mask_userinfo, url_credentials
from ._resources import Namespaces
from ._runtime import Runtime
from ._transport._call import NO_BODY, CallOptions, Transport
from ._transport._pool import ClientStats, ConnectionPool
from ._transport._urls import HTTP_METHODS, IDEMPOTENT_METHODS, PATH_STYLES, PathStyle, PathStyleMemory, Route

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

    from ._config import PollPolicy
    from ._jobs._manager import JobManager
    from ._resources.v3 import V3Resource
    from ._spec._types import Endpoint
    from ._state._protocol import StateBackend

__all__ = ["DEFAULT_BASE_URL", "DIRECT_BASE_URL", "DIRECT_UPLOAD_URL", "HeyGenClient", "PoolClient"]

DEFAULT_BASE_URL: Final = "https://api.lowcodeapi.com/heygen"
DIRECT_BASE_URL: Final = "https://api.heygen.com"
DIRECT_UPLOAD_URL: Final = "https://upload.heygen.com"
TOKEN_ENV: Final = "LOWCODEAPI_API_TOKEN"
DIRECT_KEY_ENV: Final = "HEYGEN_API_KEY"

_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_UNSAFE_PATH: Final = re.compile(r"[\s?#\\%]|[\x00-\x1f\x7f]")


def _check_base_url(name: str, url: object, redactor: Redactor) -> str | ConfigurationError:
    """``url`` without its trailing slash, or the error to raise (returned, like :func:`_check_token`, so the
    caller can drop a URL that carries ``?api_token=`` before raising). ``redactor`` scrubs the credentials
    (the token, URL passwords) from the URL the error shows."""
    if not isinstance(url, str) or not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", url):
        # Never echo the URL itself: one copied from LowCodeAPI's docs carries ?api_token=...
        shown = re.split(r"[?#]", url, maxsplit=1)[0] if isinstance(url, str) else type(url).__name__
        shown = redactor.text(mask_userinfo(shown))
        return ConfigurationError(
            # No "api_token=" in the hint: every scrubber takes what follows it for a token, and masks the rest.
            f"{name} must be an http(s) URL without query or fragment (the token goes in the api_token argument); "
            f"got {shown!r}{' with a query' if isinstance(url, str) and '?' in url else ''}"
        )
    try:  # a port out of range, a broken IPv6 address, no host: what every request would fail on
        URL(url)
    except ValueError as exc:
        return ConfigurationError(
            f"{name} is not a valid URL ({redactor.text(str(exc))}): {redactor.text(mask_userinfo(url))!r}"
        )
    return url.rstrip("/")


def _check_token(token: object, source: str) -> Secret | ConfigurationError:
    """The token as a :class:`Secret`, or the error to raise.

    Returning the error lets callers ``del`` their plain-text copy before raising it, so no frame of the
    traceback holds the token as a local variable.
    """
    if token is None or token == "":
        return ConfigurationError(f"no API token: {source}")
    if not isinstance(token, str):
        return ConfigurationError(f"the API token must be a string, not {type(token).__name__}")
    if token != token.strip() or any(ch.isspace() or ord(ch) < 32 for ch in token):
        return ConfigurationError("the API token contains whitespace or control characters")
    return Secret(token)


def _check_settings(
    token: object, source: str, base_url: object, upload_url: object | None
) -> tuple[Secret, str, str] | ConfigurationError:
    """The checked token, base URL and upload URL (defaulting to the base), or the first error to raise."""
    secret = _check_token(token, source)
    redactor = Redactor(
        token if isinstance(token, str) else "", *url_credentials(base_url), *url_credentials(upload_url)
    )
    base = _check_base_url("base_url", base_url, redactor)
    upload = base if upload_url is None else _check_base_url("upload_url", upload_url, redactor)
    for checked in (secret, base, upload):
        if isinstance(checked, ConfigurationError):
            return checked
    assert isinstance(secret, Secret)
    assert isinstance(base, str)
    assert isinstance(upload, str)
    return secret, base, upload


def call_settings(
    timeout: Timeout | float | None, max_retries: int | None, retry: RetryPolicy | None
) -> tuple[RetryPolicy, Timeout]:
    """A client's retry policy and time limits from its arguments; :class:`ConfigurationError` if one is bad."""
    try:
        policy = retry if retry is not None else RetryPolicy()
        if max_retries is not None:
            policy = policy.with_max_retries(max_retries)
        return policy, Timeout.coerce(timeout)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(str(exc)) from None


@functools.lru_cache(maxsize=256)
def _adhoc_route(method: str, path: str, idempotent: bool) -> Route:
    return Route(method, path, idempotent)


class PoolClient:
    """What every client here is: one owned connection pool (and its :class:`Runtime`), one handle on it
    (:class:`Transport`: credentials and settings), and a lifecycle that stops live sessions before the pool
    closes. :class:`HeyGenClient` and :class:`~heygen_async.LiveAvatarClient` are both."""

    _transport: Transport
    _runtime: Runtime
    _owner: bool

    # -- lifecycle ----------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self.is_closed:
            raise ClientClosedError(f"the client is closed; create a new {type(self).__name__}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client; idempotent. A handle from :meth:`with_options` leaves the shared pool open.

        Live streaming sessions opened through this client (through any of its handles, for the client that
        owns the pool) are stopped first, each shielded and bounded by its ``stop_timeout``, so no billed
        session outlives the client; job waiters get :class:`ClientClosedError`."""
        try:
            if not self._transport.closed:
                await self._runtime.close_sessions(self._transport, whole_pool=self._owner)
        finally:
            self._transport.closed = True
            if self._owner:
                await self._runtime.aclose()

    @property
    def is_closed(self) -> bool:
        return self._transport.closed or self._transport.pool.closed

    def __del__(self) -> None:
        # No I/O here: the loop may be gone. Say so, and let aclose() be the only cleanup path.
        transport = getattr(self, "_transport", None)
        if getattr(self, "_owner", False) and transport is not None and transport.pool.is_open:
            warnings.warn(
                f"unclosed {self!r}; use 'async with {type(self).__name__}()' or 'await client.aclose()'",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )

    @property
    def base_url(self) -> str:
        """The base URL, as it may be shown: a password in it (``https://user:***@host``) and the token masked."""
        return self._transport.shown_base_url

    @property
    def timeout(self) -> Timeout:
        return self._transport.options.timeout

    @property
    def retry(self) -> RetryPolicy:
        return self._transport.options.retry

    @property
    def stats(self) -> ClientStats:
        """Requests sent (every attempt) and retries, counted for the pool this client shares with its
        ``with_options`` handles."""
        return self._transport.pool.stats


class HeyGenClient(Namespaces, PoolClient):
    """An asyncio client for HeyGen, through the LowCodeAPI gateway (default) or directly.

    Every endpoint is a coroutine on a namespace (``await client.videos.status(video_id)``; the whole table
    is :attr:`endpoints`). One client serves many concurrent tasks and owns one connection pool; close it
    with ``async with`` or :meth:`aclose`. :meth:`with_options` gives light handles on the same pool for other
    tokens (tenants) or other defaults.

    ``timeout`` is a :class:`Timeout`, a number of seconds (bounding each attempt and the whole call), or
    ``None`` for no limit. ``max_retries`` or ``retry`` set the retry policy. ``path_style`` chooses the
    gateway's path format: ``"new"``, ``"old"`` or ``"auto"`` (new, then old on a gateway 404, remembered
    per route; pass ``path_style_memory`` to start from what an earlier run learnt). ``poll_budget`` caps the
    status polls of every job waiter together, per second; ``poll_policy`` replaces each job kind's default
    cadence; ``bulk_status=False`` polls each job with requests of its own even where HeyGen reports many
    statuses in one request (v3's ``GET /v3/videos/statuses``). ``state`` (a :class:`StateBackend` such as
    :class:`RedisState`) shares that budget, the render and session caps, and a job and session ledger with
    every process on the account. Job waiters' status polls go through aiohttp like every other call, so they
    behave exactly as ``videos.status()`` (compressed answers, credentials in ``base_url``, mocks, tracing).
    ``lean_polls`` is accepted for one release and does nothing (a :class:`DeprecationWarning` says so): the
    lean poll path it chose is gone.
    """

    def __init__(
        self,
        api_token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        path_style: PathStyle = "auto",
        path_style_memory: PathStyleMemory | Mapping[str, str] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        upload_url: str | None = None,
        poll_budget: float = 10.0,
        poll_policy: PollPolicy | None = None,
        bulk_status: bool = True,
        state: StateBackend | None = None,
        lean_polls: bool | None = None,
    ) -> None:
        checked = _check_settings(
            api_token if api_token is not None else os.environ.get(TOKEN_ENV),
            f"give the api_token argument or set {TOKEN_ENV}",
            base_url,
            upload_url,
        )
        del api_token, base_url, upload_url
        if isinstance(checked, ConfigurationError):
            raise checked
        secret, base, upload = checked
        self._setup(
            mode="gateway",
            token=secret,
            base_url=base,
            upload_url=upload,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            path_style=path_style,
            path_style_memory=path_style_memory,
            limits=limits,
            poll_budget=poll_budget,
            poll_policy=poll_policy,
            bulk_status=bulk_status,
            state=state,
            lean_polls=lean_polls,
        )

    @classmethod
    def direct(
        cls,
        heygen_api_key: str | None = None,
        *,
        base_url: str = DIRECT_BASE_URL,
        upload_url: str = DIRECT_UPLOAD_URL,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        limits: Limits = DEFAULT_LIMITS,
        poll_budget: float = 10.0,
        poll_policy: PollPolicy | None = None,
        bulk_status: bool = True,
        state: StateBackend | None = None,
        lean_polls: bool | None = None,
    ) -> HeyGenClient:
        """A client that talks to HeyGen itself with the ``X-Api-Key`` header, without the gateway.

        The key comes from ``heygen_api_key`` or the ``HEYGEN_API_KEY`` environment variable.
        """
        checked = _check_settings(
            heygen_api_key if heygen_api_key is not None else os.environ.get(DIRECT_KEY_ENV),
            f"pass heygen_api_key= or set {DIRECT_KEY_ENV}",
            base_url,
            upload_url,
        )
        del heygen_api_key, base_url, upload_url
        if isinstance(checked, ConfigurationError):
            raise checked
        secret, base, upload = checked
        self = cls.__new__(cls)
        self._setup(
            mode="direct",
            token=secret,
            base_url=base,
            upload_url=upload,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            path_style="new",
            path_style_memory=None,
            limits=limits,
            poll_budget=poll_budget,
            poll_policy=poll_policy,
            bulk_status=bulk_status,
            state=state,
            lean_polls=lean_polls,
        )
        return self

    def _setup(
        self,
        *,
        mode: Literal["gateway", "direct"],
        token: Secret,
        base_url: str,
        upload_url: str,
        timeout: Timeout | float | None,
        max_retries: int | None,
        retry: RetryPolicy | None,
        path_style: PathStyle,
        path_style_memory: PathStyleMemory | Mapping[str, str] | None,
        limits: Limits,
        poll_budget: float,
        poll_policy: PollPolicy | None,
        bulk_status: bool,
        state: StateBackend | None,
        lean_polls: bool | None,
    ) -> None:
        if path_style not in PATH_STYLES:
            raise ConfigurationError(f"path_style must be one of {PATH_STYLES}, got {path_style!r}")
        if not isinstance(limits, Limits):
            raise ConfigurationError(f"limits must be a Limits, not {type(limits).__name__}")
        if isinstance(poll_budget, bool) or not isinstance(poll_budget, (int, float)) or not 0 < poll_budget < 1e9:
            raise ConfigurationError(f"poll_budget must be a number of polls per second > 0, got {poll_budget!r}")
        if not isinstance(bulk_status, bool):
            raise ConfigurationError(f"bulk_status must be True or False, got {bulk_status!r}")
        if poll_policy is not None:
            from ._config import PollPolicy

            if not isinstance(poll_policy, PollPolicy):
                raise ConfigurationError(f"poll_policy must be a PollPolicy, not {type(poll_policy).__name__}")
        if lean_polls is not None:
            warnings.warn(
                "HeyGenClient(lean_polls=...) does nothing and will be removed: status polls go through aiohttp "
                "like every call (the lean poll path is gone)",
                DeprecationWarning,
                stacklevel=3,
            )
        if state is not None:
            from ._state._protocol import StateBackend

            if not isinstance(state, StateBackend):
                raise ConfigurationError(f"state must be a StateBackend (e.g. RedisState), not {type(state).__name__}")
        policy, limits_timeout = call_settings(timeout, max_retries, retry)
        if isinstance(path_style_memory, PathStyleMemory):
            memory = path_style_memory
        else:
            try:
                memory = PathStyleMemory(path_style_memory)
            except ValueError as exc:
                raise ConfigurationError(str(exc)) from None
        options = CallOptions(
            mode=mode,
            base_url=base_url,
            upload_url=upload_url,
            token=token,
            timeout=limits_timeout,
            retry=policy,
            path_style=path_style,
            poll_policy=poll_policy,
        )
        self._owner = True
        self._pool_owner: HeyGenClient | None = None
        pool = ConnectionPool(limits)
        self._runtime = Runtime(pool, poll_budget=poll_budget, bulk_status=bulk_status, state=state)
        self._transport = Transport(pool, memory, options)

    # -- handles ------------------------------------------------------------------------------------

    def with_options(
        self,
        *,
        api_token: str | None = None,
        timeout: OrDefault[Timeout | float | None] = USE_CLIENT_DEFAULT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        path_style: PathStyle | None = None,
    ) -> HeyGenClient:
        """A light handle sharing this client's pool and path-format memory, with other settings.

        Typical use: one client per process, ``client.with_options(api_token=tenant_token)`` per request.
        Closing a handle never closes the shared pool; closing the client that created the pool does. The job
        poll scheduler is the pool's: a handle's waiters share its ``poll_budget`` and ``bulk_status``.
        """
        current = self._transport.options
        changes: dict[str, Any] = {}
        if api_token is not None:
            label = "api_token" if current.mode == "gateway" else "heygen_api_key"
            secret = _check_token(api_token, f"{label} must not be empty")
            del api_token
            if isinstance(secret, ConfigurationError):
                raise secret
            changes["token"] = secret
        try:
            if timeout is not USE_CLIENT_DEFAULT:
                changes["timeout"] = Timeout.coerce(timeout)
            policy = retry if retry is not None else current.retry
            if max_retries is not None:
                policy = policy.with_max_retries(max_retries)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(str(exc)) from None
        changes["retry"] = policy
        if path_style is not None:
            if path_style not in PATH_STYLES:
                raise ConfigurationError(f"path_style must be one of {PATH_STYLES}, got {path_style!r}")
            if current.mode == "gateway":
                changes["path_style"] = path_style
        handle = type(self).__new__(type(self))
        handle._owner = False
        # A handle keeps the client that owns the pool alive, so the pool is never orphaned: it is closed by
        # that client's aclose(), or reported by its ResourceWarning once every handle is gone.
        handle._pool_owner = self if self._owner else self._pool_owner
        handle._transport = Transport(self._transport.pool, self._transport.memory, attrs.evolve(current, **changes))
        handle._runtime = self._runtime
        return handle

    # -- introspection ------------------------------------------------------------------------------

    @functools.cached_property
    def jobs(self) -> JobManager:
        """Jobs by kind, resumption, many at once, batches, and the webhook fast path (``client.jobs``)."""
        from ._jobs._manager import JobManager

        return JobManager(self._transport, self._runtime)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """The endpoint table every namespace method is generated from (48 rows)."""
        from ._spec._table import ENDPOINTS

        return ENDPOINTS

    @functools.cached_property
    def v3(self) -> V3Resource:
        """HeyGen v3 (``client.v3.videos.create(...)``), beside the legacy namespaces: HeyGen's current API,
        generated from its OpenAPI document. Served by HeyGen directly (:meth:`direct`); through the gateway a
        v3 call raises :class:`ConfigurationError` before sending. The table is :attr:`v3_endpoints`."""
        from ._resources.v3 import V3Resource

        return V3Resource(self._transport, self._runtime)

    @property
    def v3_endpoints(self) -> tuple[Endpoint, ...]:
        """The v3 endpoint table ``client.v3`` is generated from (one row per operation)."""
        from ._spec._v3_table import V3_ENDPOINTS

        return V3_ENDPOINTS

    @property
    def mode(self) -> Literal["gateway", "direct"]:
        return self._transport.options.mode

    @property
    def path_style(self) -> PathStyle:
        return self._transport.options.path_style

    @property
    def path_style_memory(self) -> PathStyleMemory:
        """Which path format each route was found to use; ``export()`` it to keep it across runs."""
        return self._transport.memory

    def __repr__(self) -> str:
        if not hasattr(self, "_transport"):
            return "<HeyGenClient (not initialised)>"
        options = self._transport.options
        state = " closed" if self.is_closed else ""
        return f"<HeyGenClient {options.mode} base_url={self._transport.shown_base_url!r} token={REDACTED}{state}>"

    __str__ = __repr__

    # -- escape hatch -------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        timeout: OrDefault[Timeout | float | None] = USE_CLIENT_DEFAULT,
        max_retries: OrDefault[int] = USE_CLIENT_DEFAULT,
        retry: OrDefault[RetryPolicy] = USE_CLIENT_DEFAULT,
    ) -> Any:
        """Call any HeyGen route the endpoint table lacks, with the same envelopes, retries and errors.

        ``path`` is HeyGen's path, optionally with ``{placeholders}`` filled from ``path_params`` (and so
        subject to the gateway's path formats). ``json=None`` sends no body. Returns HeyGen's decoded
        ``data``. ``idempotent`` defaults
        from the method (GET, PUT, DELETE, ... are; POST and PATCH are not) and decides what is retried.
        """
        endpoint = f"{method} {path}" if isinstance(method, str) and isinstance(path, str) else "request"
        if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
            raise ValidationError(f"method must be one of {sorted(HTTP_METHODS)}, got {method!r}", parameter="method")
        method = method.upper()
        route = self._adhoc_route(method, path, endpoint)
        values = dict(path_params or {})
        missing = set(route.path_params) - set(values)
        extra = set(values) - set(route.path_params)
        if missing or extra:
            raise ValidationError(
                f"path_params must fill exactly the placeholders {sorted(route.path_params)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}",
                parameter="path_params",
                endpoint=route.key,
            )
        route.check_path_values(values)
        if params is not None and not isinstance(params, Mapping):
            raise ValidationError("params must be a mapping", parameter="params", endpoint=route.key)
        from ._spec._validation import query_value_problem  # loaded with the first escape-hatch call

        for key, value in (params or {}).items():
            if not isinstance(key, str) or not key:
                raise ValidationError(
                    f"params keys must be non-empty strings, got {key!r}", parameter="params", endpoint=route.key
                )
            if key.lower() == "api_token":
                raise ValidationError(
                    "params must not set api_token; the client adds its own", parameter="params", endpoint=route.key
                )
            for item in value if isinstance(value, (list, tuple)) else (value,):
                problem = query_value_problem(item)
                if problem:
                    raise ValidationError(f"params[{key!r}] {problem}", parameter="params", endpoint=route.key)
        if self._transport.closed:
            raise ClientClosedError("this client handle is closed")
        return await self._transport.call(
            route,
            path_values=values,
            query=params,
            json=NO_BODY if json is None else json,
            idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
        )

    @staticmethod
    def _adhoc_route(method: str, path: str, endpoint: str) -> Route:
        if not isinstance(path, str) or not path.startswith("/") or "://" in path or _UNSAFE_PATH.search(path):
            raise ValidationError(
                "path must be an absolute path such as '/v2/avatars' with no query, fragment, "
                "whitespace or percent-escapes (pass params= for the query)",
                parameter="path",
                endpoint=endpoint,
            )
        segments = path.split("/")
        if any(segment in (".", "..") for segment in segments) or "//" in path:
            raise ValidationError(
                "path must not contain '.', '..' or empty segments", parameter="path", endpoint=endpoint
            )
        stripped = _PLACEHOLDER.sub("", path)
        if "{" in stripped or "}" in stripped:
            raise ValidationError("path has a malformed {placeholder}", parameter="path", endpoint=endpoint)
        return _adhoc_route(method, path, method in IDEMPOTENT_METHODS)
