"""LiveAvatar's REST API as a :class:`~heygen_async.StreamingBackend`: what a live session and a session
manager need (mint and start, keep alive, stop, list the account's open sessions).

``new`` mints a session (``POST /v1/sessions/token``, with the API key) and keeps its session token in memory,
only until ``start`` (``POST /v1/sessions/start``, with that token as ``Bearer``) uses it; ``stop`` and
``keep_alive`` use the API key, so a session whose start never happened, or whose token is gone, is still
stopped. ``list_active`` walks ``GET /v1/sessions?type=active`` page by page for ``reap_orphans()``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from heygen_async._exceptions import APIResponseError, NotFoundError, SessionClosedError
from heygen_async._models import SessionStatus, StreamingSessionSummary
from heygen_async._redact import Secret
from heygen_async._spec._liveavatar_table import LIVEAVATAR_ENDPOINTS_BY_NAME
from heygen_async._spec._results import created_elsewhere, scrubbed
from heygen_async._streaming._backend import ClientBackend
from heygen_async._streaming._open import open_session
from heygen_async.liveavatar._models import LiveMode, LiveSessionInfo, LiveSessionToken

from ._resources import SessionsResource

if TYPE_CHECKING:
    from heygen_async._runtime import Runtime
    from heygen_async._streaming._session import StreamingSession
    from heygen_async._transport._call import Transport

__all__ = ["LiveAvatarBackend"]

_TOKEN: Final = LIVEAVATAR_ENDPOINTS_BY_NAME["sessions.token"]
STOP_REASON: Final = "USER_CLOSED"
LIST_PAGE: Final = 100
S = TypeVar("S", bound="StreamingSession")


class LiveAvatarBackend(ClientBackend):
    """Sessions on LiveAvatar through ``sessions`` (the client's handle with its API key) and ``runtime`` (its
    pool's services: live sessions stop when the client closes); ``bearer`` makes a handle on the same pool that
    authenticates with a session token (``LiveAvatarClient.bearer_transport``)."""

    __slots__ = ("_bearer", "_minted", "_runtime")

    supports_keep_alive = True
    """``POST /v1/sessions/keep-alive`` takes the API key: every session can be kept alive."""
    ledger_prefix = "liveavatar:"
    """Its sessions' record ids in a shared session ledger (see ``LEDGER_PREFIXES``)."""

    def __init__(self, sessions: SessionsResource, runtime: Runtime, bearer: Callable[[Secret], Transport]) -> None:
        super().__init__(sessions, runtime.live())
        self._runtime = runtime
        self._bearer = bearer
        # Minted, not started yet: the session token (a credential, kept only until start), mode, sandbox.
        self._minted: dict[str, tuple[Secret, LiveMode, bool]] = {}

    @property
    def sessions(self) -> SessionsResource:
        api = self._api
        assert isinstance(api, SessionsResource)
        return api

    @property
    def ledger_tenant(self) -> Callable[[bytes], str]:
        """Which LiveAvatar account its sessions are in a shared ledger: each API key is an account of its own,
        so its records and cap follow ``ledger_prefix`` with the key's fingerprint under the state's salt."""
        key = self.sessions._transport.options.token

        def fingerprint(salt: bytes) -> str:  # the key alone: the same account through another base URL is one tenant
            return hmac.new(salt, b"liveavatar-key\0" + key.reveal().encode(), "sha256").hexdigest()[:32]

        return fingerprint

    def make_session(self, session_type: type[S], params: Mapping[str, Any]) -> S:
        """A session of ``session_type`` on this backend (with the client's shared ledger, if any)."""
        ledger = self._runtime.session_ledger(self.ledger_prefix, self.ledger_tenant)
        return open_session(session_type, self, ledger, params)

    async def new(self, params: Mapping[str, Any]) -> LiveSessionInfo:
        """Mint a session from checked ``sessions.token`` arguments."""
        minted = await self.sessions._call_kwargs(_TOKEN, LiveSessionToken, params)
        session_id = minted.session_id
        if not session_id or not minted.session_token:
            raise self._unstartable(minted)
        mode = LiveMode(str(params.get("mode") or "FULL"))
        sandbox = bool(params.get("is_sandbox"))
        self._minted[session_id] = (Secret(minted.session_token), mode, sandbox)
        return LiveSessionInfo(session_id=session_id, mode=mode, is_sandbox=sandbox)

    def _unstartable(self, minted: LiveSessionToken) -> APIResponseError:
        """The error for a mint answer the session cannot be started from. One naming the session it minted is a
        :class:`CreatedResponseError` carrying that id, so the session adopts it and stops it (LiveAvatar bills
        a minted session until it is stopped or times out); one without an id leaves nothing to stop, and the
        session's close warns that one may have been minted (``reap_orphans()`` stops it)."""
        redactor = self.sessions._transport.redactor
        if minted.session_id:
            return created_elsewhere(
                _TOKEN,
                minted.raw,
                minted.session_id,
                redactor,
                f"{_TOKEN.key} answered without a session_token, so the session cannot be started",
            )
        return APIResponseError(
            f"{_TOKEN.key} answered without a session_id: a session may have been minted that nothing can stop; "
            "SessionManager.reap_orphans() stops sessions nobody owns",
            endpoint=_TOKEN.key,
            status_code=200,
            body=scrubbed(minted.raw, redactor)[1],
        )

    async def start(self, session_id: str) -> LiveSessionInfo:
        """Start a minted session with its session token (used once, then forgotten)."""
        minted = self._minted.pop(session_id, None)
        if minted is None:
            raise SessionClosedError(
                "no session token for this session: it was started or stopped already", session_id=session_id
            )
        token, mode, sandbox = minted
        handle = SessionsResource(self._bearer(token), self._runtime)
        started = await handle.start()
        return LiveSessionInfo.started(started, mode=mode, is_sandbox=sandbox)

    async def keep_alive(self, session_id: str) -> None:
        await self.sessions.keep_alive(session_id)

    async def stop(self, session_id: str) -> None:
        """``POST /v1/sessions/stop`` with the API key; a session LiveAvatar does not know (404) is not open."""
        self._minted.pop(session_id, None)
        try:
            await self.sessions.stop(session_id, reason=STOP_REASON)
        except NotFoundError:
            return

    async def list_active(self) -> Sequence[StreamingSessionSummary]:
        """Every open session of the account, in the shape the session manager's reaper reads."""
        return [
            StreamingSessionSummary(
                session_id=summary.id, status=SessionStatus.CONNECTED, created_at=summary.created, raw=summary.raw
            )
            async for summary in self.sessions.iter_all(type="active", page_size=LIST_PAGE)
            if summary.id
        ]
