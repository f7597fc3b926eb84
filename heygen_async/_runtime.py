"""What a client runs beside its connection pool: the poll scheduler, the ledgers, the live sessions.

The pool (:class:`~heygen_async._transport._pool.ConnectionPool`) holds HTTP only. Everything built on it that
lives as long as the client does is here, one :class:`Runtime` per pool, shared by the client and its
``with_options`` handles: the :class:`~heygen_async._jobs._scheduler.PollScheduler` every waiter shares, the
state backend the user gave (shared budget, caps, ledgers), the ledger of sessions opened without a manager,
and the live sessions a closing client must stop. Each service is made on first use, so a client that never
waits for a job or opens a session never loads that code. ``aclose()`` takes them down in order: live
sessions first (each stop still needs the pool), then the scheduler and ledgers, then the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Protocol

from ._exceptions import ClientClosedError
from ._transport._pool import ConnectionPool

if TYPE_CHECKING:
    from ._jobs._scheduler import PollScheduler
    from ._state._protocol import StateBackend
    from ._streaming._ledger import SessionLedger
    from ._streaming._live import LiveSessions
    from ._transport._call import Transport

__all__ = ["ClientHandle", "Runtime"]


class ClientHandle(Protocol):
    """What the rooms below the client need of it (a :class:`~heygen_async.HeyGenClient` or one of its
    ``with_options`` handles): the handle's transport (credentials, settings) and the pool's runtime."""

    @property
    def _transport(self) -> Transport: ...

    @property
    def _runtime(self) -> Runtime: ...


class Runtime:
    """The services of one connection pool (see the module's docstring)."""

    __slots__ = ("_live", "_scheduler", "_session_ledgers", "bulk_status", "poll_budget", "pool", "state")

    def __init__(
        self, pool: ConnectionPool, *, poll_budget: float, bulk_status: bool, state: StateBackend | None
    ) -> None:
        self.pool = pool
        self.poll_budget = poll_budget
        self.bulk_status = bulk_status
        """Whether the scheduler polls kinds with a bulk status many jobs to a request (False: one job each)."""
        self.state = state
        """The state backend the user gave (shared budget, caps, ledgers), or None: all in this process."""
        self._scheduler: PollScheduler | None = None
        self._session_ledgers: dict[tuple[str, Callable[[bytes], str] | None], SessionLedger] = {}
        self._live: LiveSessions | None = None

    @property
    def closed(self) -> bool:
        return self.pool.closed

    def scheduler(self) -> PollScheduler:
        """The one poll scheduler of this pool (made on first use): every job waiter shares its budget."""
        if self.pool.closed:
            raise ClientClosedError("the client is closed; create a new HeyGenClient")
        if self._scheduler is None:
            from ._jobs._scheduler import PollScheduler, polls_in_flight

            self._scheduler = PollScheduler(
                self.poll_budget,
                max_in_flight=polls_in_flight(self.pool.limits),
                state=self.state,
                bulk_status=self.bulk_status,
            )
        return self._scheduler

    def session_ledger(self, prefix: str = "", tenant: Callable[[bytes], str] | None = None) -> SessionLedger | None:
        """Where sessions opened without a manager are recorded, with a shared state (None without one);
        ``prefix`` names the API and ``tenant`` fingerprints the handle's credentials where each key is an account
        of its own (see :class:`~heygen_async._streaming._ledger.SessionLedger`): one ledger for each."""
        if self.state is None or self.pool.closed:
            return None
        ledger = self._session_ledgers.get((prefix, tenant))
        if ledger is None:
            from ._streaming._ledger import SessionLedger

            ledger = self._session_ledgers[prefix, tenant] = SessionLedger(self.state, prefix, tenant=tenant)
        return ledger

    def live(self) -> LiveSessions:
        """The live sessions opened through this pool, which closing the client stops (made on first use)."""
        if self._live is None:
            from ._streaming._live import LiveSessions

            self._live = LiveSessions()
        return self._live

    async def close_sessions(self, handle: Hashable, *, whole_pool: bool) -> None:
        """Stop the live sessions opened through ``handle`` (``whole_pool``: through any handle) and refuse new
        ones there; shielded and bounded (see :meth:`LiveSessions.close`)."""
        if self._live is not None:
            await self._live.close(handle, whole_pool=whole_pool)

    async def aclose(self) -> None:
        """Close the pool's services, then the pool; idempotent. Job waiters get :class:`ClientClosedError`;
        live sessions must have been stopped first (:meth:`close_sessions`)."""
        self.pool.closed = True  # from now on nothing new starts: no call, no scheduler, no ledger
        try:
            scheduler, self._scheduler = self._scheduler, None
            if scheduler is not None:
                await scheduler.aclose()
            ledgers, self._session_ledgers = self._session_ledgers, {}
            for ledger in ledgers.values():
                await ledger.aclose()
        finally:
            await self.pool.aclose()
