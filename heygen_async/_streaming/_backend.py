"""The seam between a live session's logic and the REST calls that drive it.

:class:`StreamingSession` and :class:`SessionManager` talk only to a :class:`StreamingBackend`. The one here,
:class:`RestStreamingBackend`, drives HeyGen's v1 streaming API (``streaming.new/start/task/interrupt/stop``,
``streaming.list``, and ``streaming.keep_alive`` where it is reachable). HeyGen's successor API, or a test
double, is another backend; the session API does not change.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from heygen_async._exceptions import ClientClosedError
from heygen_async._models import StreamingSessionInfo, StreamingSessionSummary, StreamingTask
from heygen_async._shield import finish
from heygen_async._transport._urls import Route

if TYPE_CHECKING:
    from heygen_async._resources.streaming import StreamingResource
    from heygen_async._transport._call import ConnectionPool, Transport

    from ._manager import SessionManager
    from ._session import StreamingSession

__all__ = ["RestStreamingBackend", "StreamingBackend", "close_all", "close_sessions"]

logger = logging.getLogger("heygen_async")
KEEP_ALIVE: Final = Route("POST", "/v1/streaming.keep_alive", True)
"""HeyGen has it; LowCodeAPI does not expose it, so it is used in direct mode only."""
CLOSE_ATTEMPTS: Final = 3
"""How many stops a shutdown (the client's or a manager's ``aclose()``) tries per session, in all."""
CLOSE_PAUSE: Final = 0.5
"""Seconds between a shutdown's rounds of stops tried again."""


class _Live:
    """The sessions opened through one connection pool and not closed yet, each with the client handle
    (transport) it was opened through, the session managers working through it, and which handles (or the
    whole pool) are closing."""

    __slots__ = ("closing", "managers", "pool_closing", "sessions")

    def __init__(self) -> None:
        self.sessions: dict[StreamingSession, Transport] = {}
        self.managers: weakref.WeakKeyDictionary[SessionManager, Transport] = weakref.WeakKeyDictionary()
        self.closing: weakref.WeakSet[Transport] = weakref.WeakSet()
        self.pool_closing = False


_LIVE: weakref.WeakKeyDictionary[ConnectionPool, _Live] = weakref.WeakKeyDictionary()


def _live(pool: ConnectionPool) -> _Live:
    live = _LIVE.get(pool)
    if live is None:
        live = _LIVE[pool] = _Live()
    return live


async def close_all(sessions: Collection[StreamingSession], *, reason: str) -> list[StreamingSession]:
    """Close ``sessions`` all at once, then try the stops that failed (these or earlier ones) again, up to
    ``CLOSE_ATTEMPTS`` stops per session in all, ``CLOSE_PAUSE`` s apart. Each stop is bounded by its session's
    ``stop_timeout``; the whole is shielded (a cancellation is raised once it is done). Returns the sessions
    still needing a stop, each of them logged already."""

    async def rounds() -> list[StreamingSession]:
        pending = list(sessions)
        for attempt in range(CLOSE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(CLOSE_PAUSE)
            await asyncio.gather(*(session.close(reason=reason) for session in pending))
            pending = [session for session in pending if session.needs_stop]
            if all(isinstance(session.stop_error, ClientClosedError) for session in pending):
                break  # none, or the client is closed: nothing more can go out through it
        return pending

    task, cancelled = await finish(rounds(), grace=None)
    if cancelled:
        raise asyncio.CancelledError
    return task.result()


async def close_sessions(transport: Transport, *, whole_pool: bool) -> None:
    """Close (stop) the live sessions opened through ``transport`` (``whole_pool``: through any handle of its
    pool), those whose earlier stop failed included, and refuse new ones: ``HeyGenClient.aclose()`` runs this
    before the handle or pool is closed, so every ``streaming.stop`` still has a connection. Stops are shielded,
    bounded and tried again (:func:`close_all`); a session that still cannot be stopped is logged, and stays
    on its manager's and the shared state's ledgers for ``reap_orphans()``. The background retries of the
    managers working through ``transport`` end here too (they could only go on through a closed client)."""
    live = _LIVE.get(transport.pool)
    if live is None:
        return
    if whole_pool:
        live.pool_closing = True
    else:
        live.closing.add(transport)
    # The managers' background retries end here: the rounds below are the last stops through this client.
    retries = [m._client_closing() for m, t in list(live.managers.items()) if whole_pool or t is transport]
    sessions = [s for s, t in live.sessions.items() if whole_pool or t is transport]
    if sessions:
        unstopped = await close_all(sessions, reason="client closed")
        if unstopped:
            logger.warning(
                "the client closed with %d session(s) whose streaming.stop kept failing, still open and billed at "
                "HeyGen as far as we know: %s; SessionManager.reap_orphans() (from a new client) stops them",
                len(unstopped),
                ", ".join(str(session.id) for session in unstopped),
            )
    ending = [task for task in retries if task is not None]
    if ending:  # cancelled, they end with the stops they had in flight, which close_all() joined
        await asyncio.wait(ending)


@runtime_checkable
class StreamingBackend(Protocol):
    """What a live session needs from an API. Every method raises the client's typed errors."""

    @property
    def supports_keep_alive(self) -> bool:
        """Whether :meth:`keep_alive` reaches the API (else the idle timer is only tracked, and warned about)."""
        ...

    async def new(self, params: Mapping[str, Any]) -> StreamingSessionInfo:
        """Create a session from validated ``streaming.new`` arguments."""
        ...

    async def start(self, session_id: str) -> None: ...

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> StreamingTask: ...

    async def interrupt(self, session_id: str) -> None: ...

    async def keep_alive(self, session_id: str) -> None: ...

    async def stop(self, session_id: str) -> None:
        """Close a session; stopping a closed one is harmless."""
        ...

    async def list_active(self) -> Sequence[StreamingSessionSummary]:
        """The account's open sessions (whoever opened them)."""
        ...


class RestStreamingBackend:
    """HeyGen's v1 streaming REST API, through the client's ``streaming`` namespace (gateway or direct)."""

    __slots__ = ("_streaming",)

    def __init__(self, streaming: StreamingResource) -> None:
        self._streaming = streaming

    def __repr__(self) -> str:
        return f"<RestStreamingBackend {self._streaming._transport!r}>"

    @property
    def supports_keep_alive(self) -> bool:
        return self._streaming._transport.options.mode == "direct"

    def track(self, session: StreamingSession) -> Callable[[], None]:
        """Record ``session`` as live until the returned callable is called (once it is closed and stopped,
        or never created), so the client's ``aclose()`` stops it, or tries its failed stop again; raises
        :class:`ClientClosedError` once the client is closing."""
        transport = self._streaming._transport
        live = _live(transport.pool)
        if transport.closed or transport.pool.closed or live.pool_closing or transport in live.closing:
            raise ClientClosedError("the client is closed (or closing); create a new HeyGenClient")
        live.sessions[session] = transport

        def untrack() -> None:
            live.sessions.pop(session, None)

        return untrack

    def attach(self, manager: SessionManager) -> None:
        """Let ``manager`` know when this client closes, so its background retries of failed stops end with the
        client (whose ``aclose()`` makes the last tries) instead of going on through a closed client."""
        transport = self._streaming._transport
        _live(transport.pool).managers[manager] = transport

    async def new(self, params: Mapping[str, Any]) -> StreamingSessionInfo:
        return await self._streaming.new(**params)

    async def start(self, session_id: str) -> None:
        await self._streaming.start(session_id)

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> StreamingTask:
        return await self._streaming.task(session_id, text, task_type=task_type, task_mode=task_mode)  # type: ignore[arg-type]

    async def interrupt(self, session_id: str) -> None:
        await self._streaming.interrupt(session_id)

    async def keep_alive(self, session_id: str) -> None:
        await self._streaming._transport.call(KEEP_ALIVE, json={"session_id": session_id}, idempotent=True)

    async def stop(self, session_id: str) -> None:
        await self._streaming.stop(session_id)

    async def list_active(self) -> Sequence[StreamingSessionSummary]:
        return list(await self._streaming.list_sessions())
