"""``LiveAvatarClient``: HeyGen's live-avatar product (api.liveavatar.com) on the same transport as HeyGen's.

One connection pool, the same retries, errors and redaction as :class:`~heygen_async.HeyGenClient`; the REST
API as namespaces (``live.sessions``, ``live.avatars``, ``live.voices``, ``live.contexts``,
``live.languages``, ``live.users``), and live sessions that cannot leak (``live.session(...)``,
``live.manager(...)``) behind the same :class:`~heygen_async.StreamingSession` and
:class:`~heygen_async.SessionManager` as HeyGen's legacy streaming API.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Final

import attrs

from heygen_async._client import PoolClient, _check_settings, call_settings
from heygen_async._config import DEFAULT_LIMITS, DEFAULT_TIMEOUT, Limits, RetryPolicy, Timeout
from heygen_async._exceptions import ConfigurationError
from heygen_async._redact import REDACTED, Secret
from heygen_async._runtime import Runtime
from heygen_async._transport._call import CallOptions, Transport
from heygen_async._transport._pool import ConnectionPool
from heygen_async._transport._urls import PathStyleMemory

from ._resources import (
    AvatarsResource,
    ContextsResource,
    LanguagesResource,
    SessionsResource,
    UsersResource,
    VoicesResource,
)

if TYPE_CHECKING:
    from heygen_async._state._protocol import StateBackend
    from heygen_async._streaming._manager import SessionManager

    from ._backend import LiveAvatarBackend
    from ._session import LiveAvatarSession

__all__ = ["KEY_ENV", "LIVEAVATAR_BASE_URL", "LiveAvatarClient"]

LIVEAVATAR_BASE_URL: Final = "https://api.liveavatar.com"
KEY_ENV: Final = "LIVEAVATAR_API_KEY"


class LiveAvatarClient(PoolClient):
    """An asyncio client for LiveAvatar (api.liveavatar.com), HeyGen's live-avatar product.

    The key comes from ``api_key`` or the ``LIVEAVATAR_API_KEY`` environment variable (HeyGen keys do not work
    here: LiveAvatar has its own). ``timeout``, ``max_retries``, ``retry`` and ``limits`` are
    :class:`~heygen_async.HeyGenClient`'s. ``state`` (a :class:`~heygen_async.StateBackend` such as
    ``RedisState``) shares the session cap and the session ledger with every process on the account.
    Close it with ``async with`` or :meth:`aclose`: live sessions still open are stopped first.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = LIVEAVATAR_BASE_URL,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        limits: Limits = DEFAULT_LIMITS,
        state: StateBackend | None = None,
    ) -> None:
        checked = _check_settings(
            api_key if api_key is not None else os.environ.get(KEY_ENV),
            f"pass api_key= or set {KEY_ENV}",
            base_url,
            None,
        )
        del api_key, base_url
        if isinstance(checked, ConfigurationError):
            raise checked
        secret, base, _ = checked
        if not isinstance(limits, Limits):
            raise ConfigurationError(f"limits must be a Limits, not {type(limits).__name__}")
        if state is not None:
            from heygen_async._state._protocol import StateBackend

            if not isinstance(state, StateBackend):
                raise ConfigurationError(f"state must be a StateBackend (e.g. RedisState), not {type(state).__name__}")
        policy, limits_timeout = call_settings(timeout, max_retries, retry)
        options = CallOptions(
            mode="direct",
            base_url=base,
            upload_url=base,
            token=secret,
            timeout=limits_timeout,
            retry=policy,
            path_style="new",
            api="liveavatar",
        )
        self._owner = True
        pool = ConnectionPool(limits)
        self._runtime = Runtime(pool, poll_budget=10.0, bulk_status=False, state=state)
        self._transport = Transport(pool, PathStyleMemory(), options)

    def __repr__(self) -> str:
        if not hasattr(self, "_transport"):
            return "<LiveAvatarClient (not initialised)>"
        state = " closed" if self.is_closed else ""
        return f"<LiveAvatarClient base_url={self._transport.shown_base_url!r} api_key={REDACTED}{state}>"

    __str__ = __repr__

    # -- the REST API ----------------------------------------------------------------------------------------

    @functools.cached_property
    def sessions(self) -> SessionsResource:
        """``/v1/sessions``: token, start, stop, keep-alive, list, get, transcript. Prefer :meth:`session`."""
        return SessionsResource(self._transport, self._runtime)

    @functools.cached_property
    def avatars(self) -> AvatarsResource:
        return AvatarsResource(self._transport, self._runtime)

    @functools.cached_property
    def voices(self) -> VoicesResource:
        return VoicesResource(self._transport, self._runtime)

    @functools.cached_property
    def contexts(self) -> ContextsResource:
        return ContextsResource(self._transport, self._runtime)

    @functools.cached_property
    def languages(self) -> LanguagesResource:
        return LanguagesResource(self._transport, self._runtime)

    @functools.cached_property
    def users(self) -> UsersResource:
        return UsersResource(self._transport, self._runtime)

    def with_session_token(self, session_token: str) -> SessionsResource:
        """``live.sessions`` sending ``Authorization: Bearer <session_token>`` instead of the API key, on the
        same pool: what ``sessions.start()`` needs (``live.session(...)`` does this for you). The token is a
        credential, scrubbed from that handle's errors like the key."""
        if not isinstance(session_token, str) or not session_token or session_token != session_token.strip():
            raise ConfigurationError("session_token must be a non-empty string without surrounding whitespace")
        return SessionsResource(self.bearer_transport(Secret(session_token)), self._runtime)

    def bearer_transport(self, session_token: Secret) -> Transport:
        """A handle on this client's pool that authenticates with ``session_token`` (``Bearer``)."""
        options = attrs.evolve(self._transport.options, token=session_token, bearer=True)
        transport = Transport(self._transport.pool, self._transport.memory, options)
        transport.redactor.learn(self._transport.options.token.reveal())
        return transport

    # -- live sessions ---------------------------------------------------------------------------------------

    @functools.cached_property
    def backend(self) -> LiveAvatarBackend:
        """The :class:`~heygen_async.StreamingBackend` this client's sessions and managers use."""
        from ._backend import LiveAvatarBackend

        return LiveAvatarBackend(self.sessions, self._runtime, self.bearer_transport)

    def session(self, **params: Any) -> LiveAvatarSession:
        """A live session: ``async with live.session(avatar_id=..., mode="LITE", sandbox=True) as s``.

        Takes ``sessions.token``'s arguments (``avatar_id``, ``mode`` "LITE" (the default) or "FULL",
        ``sandbox``, ``video_settings``, ``max_session_duration``, ``avatar_persona``, ...) and the session's
        options (see :class:`LiveAvatarSession`), all checked here, before anything is sent. Entering mints
        the session, starts it and (LITE) opens its WebSocket; leaving always stops it, also on error or
        cancellation. With a shared ``state`` on the client, the session is in its session ledger until stopped.
        """
        from ._session import LiveAvatarSession

        return self.backend.make_session(LiveAvatarSession, params)

    def manager(self, *, max_sessions: int, acquire_timeout: float | None = 60.0, **defaults: Any) -> SessionManager:
        """A :class:`~heygen_async.SessionManager` for this account's LiveAvatar sessions: at most
        ``max_sessions`` open at once (across every process sharing the client's ``state``), a ledger, and
        ``reap_orphans()`` (through ``GET /v1/sessions?type=active``)."""
        from heygen_async._streaming._manager import SessionManager

        from ._session import LiveAvatarSession

        return SessionManager(
            self.backend,
            max_sessions=max_sessions,
            acquire_timeout=acquire_timeout,
            state=self._runtime.state,
            session_type=LiveAvatarSession,
            **defaults,
        )
