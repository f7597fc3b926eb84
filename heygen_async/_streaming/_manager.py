"""Keeping an account under its concurrent-session limit, and cleaning up after crashes.

A :class:`SessionManager` hands out live sessions under a cap (``max_sessions``): callers beyond it wait
their turn in order, for at most ``acquire_timeout`` seconds (then :class:`SessionLimitError`, with nothing
created). A slot is held from before ``streaming.new`` until the session is closed for good: a stop succeeded
or HeyGen no longer lists it. A session whose stop failed is still open (and billed, and counted by HeyGen
against the account's limit), so it keeps its slot and its place in the ledger, marked as needing a stop: the
manager tries the stop again in the background (backing off) and in :meth:`SessionManager.aclose`, and
:meth:`SessionManager.reap_orphans` stops it. The manager keeps a ledger of the sessions this process opened,
and ``reap_orphans`` stops the account's sessions that no live session owns: the ones a crashed process left
open, still billed.

With a shared :class:`~heygen_async.StateBackend` (``RedisState``), the cap is account-wide (a lease-backed
slot in the state, on top of this process's FIFO) and every session is also recorded in the state's session
ledger with its owner, so ``reap_orphans`` in any process stops exactly the sessions whose owner died, and
those marked there as needing a stop.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import secrets
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from heygen_async._exceptions import ClientClosedError, SessionClosedError, SessionLimitError, ValidationError
from heygen_async._models import StreamingSessionSummary
from heygen_async._shield import finish
from heygen_async._state._protocol import SessionRecord, StateBackend, wait_for_slot

from ._backend import StreamingBackend
from ._ledger import SessionLedger
from ._live import close_all
from ._session import StreamingSession

__all__ = ["ReapReport", "SessionManager"]

logger = logging.getLogger("heygen_async")
_RECENTLY_CLOSED = 10_000
CLAIM_MIN = 60.0
"""Seconds a reaper's claim on a session lasts at least (HeyGen may list a stopped session for a while)."""
SHARED_MIN_AGE = 60.0
"""``reap_orphans``' default ``min_age`` with a shared state: a session another process created a moment ago
may not be in the ledger yet."""
RESTOP_FIRST = 1.0
"""Seconds before the manager tries a failed stop again (the client's own retries have run by then)."""
RESTOP_MAX = 60.0
"""The longest pause between two tries while every try fails."""
RETRIED_BY = "its SessionManager tries the stop again in the background and in aclose(); its reap_orphans() stops it"


@attrs.frozen(kw_only=True)
class ReapReport:
    """What :meth:`SessionManager.reap_orphans` did: ``stopped`` ids, ``kept`` ids (owned here, too young, or
    kept by ``keep``), and ``failed`` ids with the error of their stop."""

    stopped: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    failed: Mapping[str, BaseException] = attrs.field(factory=dict)


class _Expired(Exception):
    """The wait for a slot ran out (set on the waiter, so a cancellation of the caller stays a cancellation)."""


class _Slots:
    """A FIFO counting semaphore that is safe to cancel while waiting: a slot handed to a waiter that was
    cancelled at that moment goes to the next one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.used = 0
        self.high_water = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, timeout: float | None) -> None:
        if self.used < self.size and not self._waiters:
            self._take()
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)

        def expire() -> None:
            if not waiter.done():
                waiter.set_exception(_Expired())

        # A timer that fails the waiter, not asyncio.wait_for nor a cancel: wait_for can swallow a cancellation
        # that arrives in the same loop step as the slot on 3.10/3.11 (bpo-42130), and a timeout told apart from
        # a cancellation by cancelling would turn a real cancellation into a timeout on 3.10.
        timer = None if timeout is None else loop.call_later(timeout, expire)
        try:
            await waiter
        except _Expired:
            self._forget(waiter)
            raise asyncio.TimeoutError from None
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # handed over just as we gave up: pass it on
            else:
                self._forget(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        waiter.cancel()
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    def _take(self) -> None:
        self.used += 1
        self.high_water = max(self.high_water, self.used)

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.high_water = max(self.high_water, self.used)
                waiter.set_result(None)  # the slot passes straight on: ``used`` stays
                return
        self.used -= 1


class _ManagedSession:
    """``async with manager.session(...)``: a slot, then the session. The slot is given back once the session
    is closed for good (stopped, gone from HeyGen's list, or never created), however it was closed."""

    def __init__(self, manager: SessionManager) -> None:
        self._manager = manager
        self._holding = False
        self._shared_slot: tuple[str, str] | None = None  # the shared cap's slot name, and our tag in it
        self.session: StreamingSession | None = None

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            self._manager._slots.release()
        slot, self._shared_slot = self._shared_slot, None
        shared = self._manager._shared
        if slot is not None and shared is not None:
            shared.release_slot(*slot)

    def _limit_error(self) -> SessionLimitError:
        manager = self._manager
        where = "on the account" if manager._state is not None else ""
        unstopped = len(manager._unstopped)
        stuck = (
            f"; {unstopped} of them closed here but not stopped (streaming.stop failed), still open at HeyGen: "
            "the manager tries again, and reap_orphans() stops them"
            if unstopped
            else ""
        )
        return SessionLimitError(
            f"no session slot came free within {manager.acquire_timeout:g} s "
            f"({manager.max_sessions} sessions open{' ' + where if where else ''}{stuck}); nothing was created"
        )

    async def __aenter__(self) -> StreamingSession:
        manager = self._manager
        session = self.session
        assert session is not None
        timeout = manager.acquire_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            await manager._slots.acquire(timeout)
        except asyncio.TimeoutError:
            raise self._limit_error() from None
        self._holding = True
        state = manager._state
        if state is not None:
            tag = f"{state.owner}:{secrets.token_hex(6)}"
            try:
                assert manager._shared is not None  # made with the state
                # One cap per API (LiveAvatar's is not HeyGen's), and on LiveAvatar per key (its fingerprint).
                slots = await manager._shared.key("sessions")
                self._shared_slot = (slots, tag)  # before asking: a cancelled ask may still have taken it
                taken = await wait_for_slot(state, slots, limit=manager.max_sessions, tag=tag, deadline=deadline)
            except BaseException:
                self._release()
                raise
            if not taken:
                self._release()
                raise self._limit_error()
        if manager._closed:
            self._release()
            raise SessionClosedError("the session manager is closed; nothing was created")
        opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        manager._opening[session] = opened
        try:
            await session.open()
        except BaseException:
            if not session.needs_stop:  # else its slot goes back once a stop succeeds (on_closed)
                self._release()
            raise
        finally:
            del manager._opening[session]
            opened.set_result(None)
        return session

    async def __aexit__(self, *exc_info: object) -> None:
        session = self.session
        assert session is not None
        try:
            await session.__aexit__(*exc_info)
        finally:
            if not session.needs_stop:  # else its slot goes back once a stop succeeds (on_closed)
                self._release()


class SessionManager:
    """Live sessions for one account, at most ``max_sessions`` at once (HeyGen: 3 on a trial token, up to 100
    on an API token). ``acquire_timeout`` (seconds, None: wait for ever) bounds the wait for a slot. Other
    keyword arguments are defaults for every :class:`StreamingSession` it opens.
    """

    def __init__(
        self,
        backend: StreamingBackend,
        *,
        max_sessions: int,
        acquire_timeout: float | None = 60.0,
        state: StateBackend | None = None,
        session_type: type[StreamingSession] = StreamingSession,
        **session_options: Any,
    ) -> None:
        if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
            raise ValidationError(
                f"max_sessions must be a whole number >= 1, got {max_sessions!r}", parameter="max_sessions"
            )
        if acquire_timeout is not None and (
            isinstance(acquire_timeout, bool)
            or not isinstance(acquire_timeout, (int, float))
            or not 0 <= acquire_timeout < math.inf
        ):
            raise ValidationError(
                f"acquire_timeout must be a number of seconds >= 0 or None, got {acquire_timeout!r}",
                parameter="acquire_timeout",
            )
        unknown = sorted(set(session_options) - set(session_type.OPTIONS))
        if unknown:
            raise ValidationError(
                f"unknown session options {unknown}; a SessionManager takes {list(session_type.OPTIONS)}",
                parameter=unknown[0],
            )
        self._session_type = session_type
        self.max_sessions = max_sessions
        self.acquire_timeout = acquire_timeout
        self._backend = backend
        self._defaults = session_options
        self._slots = _Slots(max_sessions)
        self._ledger: dict[str, StreamingSession] = {}
        # Sessions being opened (new and start in flight), each with a future done when its open() ends.
        self._opening: dict[StreamingSession, asyncio.Future[None]] = {}
        self._recently_closed: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._unstopped: dict[str, StreamingSession] = {}  # in the ledger, closed, their stop failed
        self._restopping: asyncio.Task[None] | None = None
        self._closed = False
        self._client_closed = False  # the backend's client closed: nothing more goes out through it
        self._state = state
        self._shared = (
            SessionLedger(state, getattr(backend, "ledger_prefix", ""), tenant=getattr(backend, "ledger_tenant", None))
            if state is not None
            else None
        )
        attach = getattr(backend, "attach", None)  # a client's backend: its aclose() ends our retries
        if attach is not None:
            attach(self)

    def __repr__(self) -> str:
        unstopped = f", {len(self._unstopped)} not stopped" if self._unstopped else ""
        return f"<SessionManager {self.active}/{self.max_sessions} sessions{unstopped}>"

    # -- sessions ---------------------------------------------------------------------------------------------

    def session(self, **params: Any) -> _ManagedSession:
        """A session under the cap: ``async with manager.session(avatar_id=..., quality="low") as session``.

        Takes ``streaming.new``'s arguments and :class:`StreamingSession`'s options (overriding the manager's
        defaults); all are checked here, before anything is sent or a slot is taken.
        """
        options: dict[str, Any] = {name: params.pop(name) for name in self._session_type.OPTIONS if name in params}
        managed = _ManagedSession(self)

        def closed(session: StreamingSession) -> None:
            self._forget(session)
            managed._release()

        settings: dict[str, Any] = {**self._defaults, **options}
        managed.session = self._session_type(
            self._backend,
            params,
            **settings,
            on_created=self._record,
            on_stop_failed=self._stop_failed,
            on_closed=closed,
            retried_by=RETRIED_BY,
        )
        return managed

    def _record(self, session: StreamingSession) -> None:
        if session.id is not None:
            self._ledger[session.id] = session
            if self._shared is not None:
                self._shared.record(session.id)

    def _stop_failed(self, session: StreamingSession) -> None:
        """A stop failed: the session stays in the ledger (and the shared one), marked as needing a stop, keeps
        its slot, and is tried again in the background."""
        if session.id is None:
            return
        self._ledger[session.id] = session  # there already, unless new() answered after the close gave up on it
        if session.id not in self._unstopped:
            self._unstopped[session.id] = session
            if self._shared is not None:
                self._shared.mark_unstopped(session.id)
        if self._closed or self._client_closed:
            return
        if self._restopping is None or self._restopping.done():
            self._restopping = asyncio.get_running_loop().create_task(self._restop(), name="heygen-session-restop")

    def client_closing(self) -> asyncio.Task[None] | None:
        """The client whose backend this manager uses is closing, and makes the last tries of the stops itself:
        the background retry ends (its stops in flight finish, shielded) and none starts again. Returns the
        cancelled retry task, for the client to wait for."""
        self._client_closed = True
        restopping, self._restopping = self._restopping, None
        if restopping is not None:
            restopping.cancel()
        return restopping

    async def _restop(self) -> None:
        """Try the failed stops again, backing off while every try fails, until none is left (callers waiting
        for a slot depend on this) or the manager closes (``aclose()`` makes its own last tries)."""
        pause = RESTOP_FIRST
        while self._unstopped and not self._closed:
            await asyncio.sleep(pause)
            pending = list(self._unstopped.values())
            await asyncio.gather(*(session.close() for session in pending))
            if all(isinstance(session.stop_error, ClientClosedError) for session in pending):
                return  # the client is closed: nothing more goes out through it; reap_orphans() is left
            progress = any(not session.needs_stop for session in pending)
            pause = RESTOP_FIRST if progress else min(RESTOP_MAX, pause * 2)

    def _forget(self, session: StreamingSession) -> None:
        if session.id is not None and self._ledger.get(session.id) is session:
            del self._ledger[session.id]
            self._unstopped.pop(session.id, None)
            if not self._unstopped and self._restopping is not None:
                self._restopping.cancel()  # nothing left to try again
                self._restopping = None
            if self._shared is not None:
                self._shared.forget(session.id)
            # A listing taken before this stop may still show it: reap_orphans must not stop it a second time.
            self._recently_closed[session.id] = None
            while len(self._recently_closed) > _RECENTLY_CLOSED:
                self._recently_closed.popitem(last=False)

    @property
    def active(self) -> int:
        """Slots in use: sessions being created, open, being stopped, or whose stop failed (still open at
        HeyGen)."""
        return self._slots.used

    @property
    def high_water(self) -> int:
        """The most slots ever in use at once (never above ``max_sessions``)."""
        return self._slots.high_water

    @property
    def sessions(self) -> Mapping[str, StreamingSession]:
        """The ledger: every session this manager opened that is not closed for good yet (open, or closed but
        not stopped: see :attr:`unstopped`), by id (read-only)."""
        return MappingProxyType(self._ledger)

    @property
    def unstopped(self) -> Mapping[str, StreamingSession]:
        """The sessions of the ledger that are closed but whose ``streaming.stop`` failed: still open and
        billed at HeyGen as far as we know, each holding its slot until a stop succeeds (the manager tries again
        in the background and in :meth:`aclose`; :meth:`reap_orphans` stops them) or HeyGen no longer lists it."""
        return MappingProxyType(self._unstopped)

    async def aclose(self) -> None:
        """Close every session (for shutdown), those still being opened included, and try the stops that
        failed (now or before) again: all at once, shielded, each stop bounded, up to three stops per session
        (half a second apart). A session still not stopped stays in the ledger (:attr:`unstopped`, and the
        shared one) for :meth:`reap_orphans`, and is logged. The manager opens no session after this; its
        writes to a shared state finish (bounded: 5 s)."""
        self._closed = True
        restopping, self._restopping = self._restopping, None
        if restopping is not None:
            restopping.cancel()  # its stops in flight finish (shielded); the rounds below take over
        sessions = {*self._ledger.values(), *self._opening}
        unstopped = await close_all(sessions, reason="manager closed")
        if restopping is not None:
            await asyncio.gather(restopping, return_exceptions=True)
        if unstopped:
            logger.warning(
                "SessionManager.aclose: %d session(s) could not be stopped and may still be open and billed at "
                "HeyGen: %s; they stay in the ledger (manager.unstopped%s): reap_orphans() stops them",
                len(unstopped),
                ", ".join(str(session.id) for session in unstopped),
                ", and the shared state's" if self._shared is not None else "",
            )
        if self._shared is not None:
            await self._shared.aclose()

    # -- orphans ----------------------------------------------------------------------------------------------

    async def reap_orphans(
        self,
        *,
        min_age: float | None = None,
        keep: Callable[[StreamingSessionSummary], bool] | None = None,
        stop_timeout: float = 10.0,
        settle_timeout: float = 30.0,
    ) -> ReapReport:
        """Stop the account's open sessions that no live session of this manager owns (at start-up, from cron),
        and this manager's sessions whose stop failed (:attr:`unstopped`).

        Sessions younger than ``min_age`` seconds (by HeyGen's ``created_at``; default 0, or 60 with a shared
        state) and those ``keep`` returns True for are left alone; this manager's own unstopped sessions are
        always stopped, through the session (bounded by its ``stop_timeout``, joining a retry in flight), and
        those HeyGen no longer lists are closed for good (off the ledger, their slot free). Without a shared
        state, other processes' sessions on the same account must be kept with ``keep``. With one, a session in
        the shared ledger is kept while its owner's lease lives, unless it is marked there as needing a stop,
        and stopped once the lease has run out (whatever its age); only sessions in no ledger go by
        ``min_age``. After listing, waits (up to ``settle_timeout``)
        for the sessions this manager was opening meanwhile to be recorded, so it never stops one of its own
        caught between ``streaming.new`` and the ledger; if they do not settle in time, it stops nothing not
        known to be an orphan. Of several processes reaping at once, one stops each orphan in the shared
        ledger; the others report it in neither ``stopped`` nor ``kept``.
        """
        if min_age is None:
            min_age = SHARED_MIN_AGE if self._state is not None and self._state.shared else 0.0
        for name, value in (("min_age", min_age), ("stop_timeout", stop_timeout), ("settle_timeout", settle_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise ValidationError(f"{name} must be a finite number of seconds >= 0, got {value!r}", parameter=name)
        if keep is not None and not callable(keep):
            raise ValidationError("keep must be a callable taking a session summary", parameter="keep")
        unstopped = set(self._unstopped)  # before the listing: each was created before it
        summaries = await self._backend.list_active()
        shared = await self._shared_records()
        elsewhere = await self._shared.held_elsewhere() if self._shared is not None else frozenset()
        # A session HeyGen listed may belong to an open() still in flight (its new answered after the list
        # did): wait for the opens in flight now, and only those (later ones cannot be in the list), bounded.
        in_flight = list(self._opening.values())
        unsettled = False
        if in_flight:
            _, pending = await asyncio.wait(in_flight, timeout=settle_timeout)
            unsettled = bool(pending)
        now = time.time()
        to_stop: list[str] = []
        kept: list[str] = []
        for summary in summaries:
            session_id = summary.session_id
            if not session_id:
                continue
            if session_id in self._unstopped:  # ours, closed, its stop failed: stop it whatever its age
                to_stop.append(session_id)
                continue
            # min_age 0 asks for no age limit: a session stamped ahead of our clock (skew) is not young either.
            young = min_age > 0 and summary.created_at is not None and now - summary.created_at < min_age
            owned = session_id in self._ledger or session_id in self._recently_closed
            record = shared.get(session_id)
            if record is not None and not owned:
                # The ledger knows its owner: alive keeps it, unless its stop failed; a lapsed lease does not.
                young = record.owner_alive and not record.stop_failed
            elif session_id in elsewhere:  # another key of this API holds it, alive: it may be the same account
                young = True
            if owned or young or unsettled or (keep is not None and keep(summary)):
                kept.append(session_id)
            else:
                to_stop.append(session_id)
        if self._state is not None:
            claim_for = max(CLAIM_MIN, 2 * stop_timeout)
            to_stop = [session_id for session_id in to_stop if await self._claim(session_id, claim_for)]
        # This manager's own go through their session: a stop the background retry has in flight is joined,
        # not doubled, and each is off the ledger (its slot free) by the time this returns, or still failing.
        own = [session_id for session_id in to_stop if session_id in self._unstopped]
        others = [session_id for session_id in to_stop if session_id not in self._unstopped]
        outcomes = await asyncio.gather(
            *(self._reap(session_id, stop_timeout) for session_id in others),
            *(self._stop_own(self._unstopped[session_id]) for session_id in own),
        )
        failed: dict[str, BaseException] = {
            session_id: error for session_id, error in zip([*others, *own], outcomes, strict=True) if error is not None
        }
        for session_id, error in failed.items():
            logger.warning("reap_orphans: stopping session %s failed: %s", session_id, error)
        stopped = tuple(session_id for session_id in to_stop if session_id not in failed)
        listed = {summary.session_id for summary in summaries}
        for session_id in unstopped - listed:
            session = self._unstopped.get(session_id)
            if session is not None:  # ended at HeyGen since its stop failed: closed for good, its slot free
                session._gone()
                await session.close()  # waits for a stop of it still in flight
        if self._state is not None:
            gone = [sid for sid, record in shared.items() if not record.owner_alive and sid not in listed]
            for session_id in [*stopped, *gone]:  # stopped now, or ended at HeyGen since: off the ledger
                if session_id in shared:
                    await self._unlist(session_id)
        if stopped:
            logger.info("reap_orphans stopped %d session(s) nobody owned", len(stopped))
        return ReapReport(stopped=stopped, kept=tuple(kept), failed=failed)

    async def _shared_records(self) -> dict[str, SessionRecord]:
        """The shared ledger's records of this manager's API, by session id (none without a state)."""
        if self._shared is None:
            return {}
        return await self._shared.records()

    async def _key(self, session_id: str) -> str:
        return session_id if self._shared is None else await self._shared.key(session_id)

    async def _claim(self, session_id: str, ttl: float) -> bool:
        """Whether this reaper stops ``session_id``: of several reapers only the one whose claim holds does, and
        the claim outlives the stop, so a listing that still shows the stopped session stops nothing twice."""
        assert self._state is not None
        try:
            return await self._state.claim_session(await self._key(session_id), ttl=ttl)
        except Exception as exc:
            logger.warning("reap_orphans: could not claim session %s (%s); leaving it", session_id, exc)
            return False

    async def _unlist(self, session_id: str) -> None:
        assert self._state is not None
        try:
            await self._state.forget_session(await self._key(session_id))
        except Exception as exc:
            logger.warning("session ledger: could not remove reaped session %s (%s)", session_id, exc)

    @staticmethod
    async def _stop_own(session: StreamingSession) -> BaseException | None:
        """Stop one of this manager's sessions whose stop failed (through the session, bounded by its
        ``stop_timeout``): None once it is stopped, else why not. A try already in flight is joined; if that one
        fails, the reap makes its own."""
        joined = session._closing_now()
        await session.close()
        if joined and session.needs_stop:
            await session.close()
        if not session.needs_stop:
            return None
        return session.stop_error or TimeoutError("streaming.stop did not finish")

    async def _reap(self, session_id: str, stop_timeout: float) -> BaseException | None:
        task, cancelled = await finish(asyncio.wait_for(self._backend.stop(session_id), stop_timeout), grace=1.0)
        if cancelled:
            raise asyncio.CancelledError
        if not task.done() or task.cancelled():
            return TimeoutError(f"streaming.stop for {session_id} was abandoned")
        error = task.exception()
        if isinstance(error, asyncio.TimeoutError):
            return TimeoutError(f"streaming.stop did not answer within {stop_timeout:g} s")
        return error
