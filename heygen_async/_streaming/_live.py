"""The live sessions of one connection pool: what a client's ``aclose()`` must stop before its pool closes.

Every session opened through any handle of a pool is registered here from the moment it is created until it
is closed and stopped; so are the session managers working through the pool (their background retries of
failed stops end when the client closes). :meth:`LiveSessions.close` is the last word: it stops them all,
shielded, bounded and tried again. The client's :class:`~heygen_async._runtime.Runtime` owns one of these.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Collection, Hashable
from typing import Final, Protocol, TypeVar

from heygen_async._exceptions import ClientClosedError
from heygen_async._shield import finish

__all__ = ["CLOSE_ATTEMPTS", "CLOSE_PAUSE", "LiveSessions", "close_all"]

logger = logging.getLogger("heygen_async")
CLOSE_ATTEMPTS: Final = 3
"""How many stops a shutdown (the client's or a manager's ``aclose()``) tries per session, in all."""
CLOSE_PAUSE: Final = 0.5
"""Seconds between a shutdown's rounds of stops tried again."""


class Stoppable(Protocol):
    """What a shutdown needs of a session (:class:`~heygen_async.StreamingSession` is one)."""

    @property
    def id(self) -> str | None: ...

    @property
    def needs_stop(self) -> bool: ...

    @property
    def stop_error(self) -> BaseException | None: ...

    async def close(self, *, reason: str = ...) -> None: ...


class Retrying(Protocol):
    """What a shutdown needs of a session manager: its background stop retries end when the client closes."""

    def client_closing(self) -> asyncio.Task[None] | None: ...


S = TypeVar("S", bound=Stoppable)


async def close_all(sessions: Collection[S], *, reason: str) -> list[S]:
    """Close ``sessions`` all at once, then try the stops that failed (these or earlier ones) again, up to
    ``CLOSE_ATTEMPTS`` stops per session in all, ``CLOSE_PAUSE`` s apart. Each stop is bounded by its session's
    ``stop_timeout``; the whole is shielded (a cancellation is raised once it is done). Returns the sessions
    still needing a stop, each of them logged already."""

    async def rounds() -> list[S]:
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


class LiveSessions:
    """The sessions opened through one pool and not closed yet, each with the client handle it was opened
    through (any hashable: the handle's transport), the managers working through the pool, and which handles
    (or the whole pool) are closing."""

    __slots__ = ("_closing", "_managers", "_pool_closing", "_sessions")

    def __init__(self) -> None:
        self._sessions: dict[Stoppable, Hashable] = {}
        self._managers: weakref.WeakKeyDictionary[Retrying, Hashable] = weakref.WeakKeyDictionary()
        self._closing: weakref.WeakSet[object] = weakref.WeakSet()
        self._pool_closing = False

    def __len__(self) -> int:
        return len(self._sessions)

    def closing(self, handle: Hashable) -> bool:
        """Whether ``handle`` (or the whole pool) is closing: no new session may start through it."""
        return self._pool_closing or handle in self._closing

    def track(self, session: Stoppable, handle: Hashable) -> Callable[[], None]:
        """Record ``session`` as live until the returned callable is called (once it is closed and stopped,
        or never created); :class:`ClientClosedError` once ``handle`` is closing."""
        if self.closing(handle):
            raise ClientClosedError("the client is closed (or closing); create a new HeyGenClient")
        self._sessions[session] = handle

        def untrack() -> None:
            self._sessions.pop(session, None)

        return untrack

    def attach(self, manager: Retrying, handle: Hashable) -> None:
        """Let ``manager`` know when ``handle`` closes, so its background retries of failed stops end with the
        client (whose close makes the last tries) instead of going on through a closed client."""
        self._managers[manager] = handle

    async def close(self, handle: Hashable, *, whole_pool: bool) -> None:
        """Close (stop) the live sessions opened through ``handle`` (``whole_pool``: through any handle), those
        whose earlier stop failed included, and refuse new ones; runs before the handle or pool closes, so every
        stop still has a connection. Stops are shielded, bounded and tried again (:func:`close_all`); a session
        that still cannot be stopped is logged, and stays on its manager's and the shared state's ledgers for
        ``reap_orphans()``. The background retries of the managers working through ``handle`` end here too."""
        if whole_pool:
            self._pool_closing = True
        else:
            self._closing.add(handle)
        retries = [m.client_closing() for m, h in list(self._managers.items()) if whole_pool or h == handle]
        sessions = [s for s, h in self._sessions.items() if whole_pool or h == handle]
        if sessions:
            unstopped = await close_all(sessions, reason="client closed")
            if unstopped:
                logger.warning(
                    "the client closed with %d session(s) whose streaming.stop kept failing, still open and billed "
                    "at HeyGen as far as we know: %s; SessionManager.reap_orphans() (from a new client) stops them",
                    len(unstopped),
                    ", ".join(str(session.id) for session in unstopped),
                )
        ending = [task for task in retries if task is not None]
        if ending:  # cancelled, they end with the stops they had in flight, which close_all() joined
            await asyncio.wait(ending)
