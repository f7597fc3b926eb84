"""The account's state kept in this process: the default when a client is given no shared state.

Nothing is shared with other processes; the budget, caps and ledgers behave as :class:`StateBackend` says,
for this process alone.
"""

from __future__ import annotations

import bisect
import logging
import secrets
import time
from collections import deque
from collections.abc import Sequence

import attrs

from ._protocol import (
    KEEP_FINISHED,
    JobRecord,
    JobUpdate,
    SessionRecord,
    check_cap,
    new_owner_id,
)

__all__ = ["MemoryState"]

logger = logging.getLogger("heygen_async")


class MemoryState:
    """The default :class:`StateBackend`: everything in this process (shared by the clients given it).

    Its owner is always alive, so nothing is ever adopted or reaped as another's; the poll window is the
    same sliding window :class:`~heygen_async.RedisState` keeps in Redis, on this process's monotonic clock.
    """

    shared = False
    ready = True

    def __init__(self) -> None:
        self._owner = new_owner_id()
        self._starts: list[float] = []
        self._head = 0
        self._kept = 0.0
        self._paused_until = 0.0
        self._slots: dict[str, set[str]] = {}
        self._jobs: dict[str, JobRecord] = {}
        self._finished: deque[str] = deque()  # finished jobs, oldest first: only the last KEEP_FINISHED stay
        self._sessions: dict[str, SessionRecord] = {}
        self._claims: dict[str, float] = {}
        self._salt = secrets.token_bytes(32)

    def __repr__(self) -> str:
        return f"<MemoryState owner={self._owner!r} jobs={len(self._jobs)} sessions={len(self._sessions)}>"

    @property
    def owner(self) -> str:
        return self._owner

    async def take_polls(self, wanted: int, *, budget: int, window: float) -> tuple[int, float]:
        now = time.monotonic()
        if now < self._paused_until:
            return 0, self._paused_until - now
        # Grant times, oldest first, from ``_head`` on; kept for the widest window ever asked (sharers may ask
        # for different widths), compacted now and then.
        self._kept = max(self._kept, window)
        starts = self._starts
        head = bisect.bisect_right(starts, now - self._kept, lo=self._head)
        if head > 4096 and head * 2 > len(starts):
            del starts[:head]
            head = 0
        self._head = head
        first = bisect.bisect_right(starts, now - window, lo=head)  # the first grant inside the window
        granted = max(0, min(wanted, budget - (len(starts) - first)))
        starts.extend([now] * granted)
        if granted < wanted:
            return granted, max(0.0, starts[first] + window - now) if first < len(starts) else 0.0
        return granted, 0.0

    async def pause_polls(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def credential_salt(self) -> bytes:
        return self._salt

    async def acquire_slot(self, name: str, *, limit: int, tag: str) -> bool:
        check_cap(name, limit)
        held = self._slots.setdefault(name, set())
        if tag in held:
            return True
        if len(held) >= limit:
            return False
        held.add(tag)
        return True

    async def release_slot(self, name: str, *, tag: str) -> None:
        self._slots.get(name, set()).discard(tag)

    def held(self, name: str) -> int:
        """Slots of ``name`` held now (for tests and reports)."""
        return len(self._slots.get(name, ()))

    async def record_job(self, record: JobRecord) -> None:
        self._jobs[record.key] = attrs.evolve(record, owner=self._owner, owner_alive=True)

    async def update_jobs(self, updates: Sequence[JobUpdate]) -> None:
        now = time.time()
        for update in updates:
            known = self._jobs.get(update.key)
            if known is None or known.done or known.credential != update.credential:
                continue  # not in the ledger, finished (a late update never reopens it), or another tenant's
            self._jobs[update.key] = attrs.evolve(
                known,
                status=update.status,
                done=update.done,
                updated_at=now,
                updated_by=self._owner,
                owner=None if update.done else known.owner,
            )
            if update.done:
                self._finished.append(update.key)
                while len(self._finished) > KEEP_FINISHED:
                    self._jobs.pop(self._finished.popleft(), None)

    async def jobs(self, *, open_only: bool = False) -> list[JobRecord]:
        return [record for record in self._jobs.values() if not (open_only and record.done)]

    async def adopt_jobs(self, *, limit: int, credential: str | None = None) -> list[JobRecord]:
        return []  # every job here is this owner's, and this owner is alive

    async def record_session(self, record: SessionRecord) -> None:
        self._sessions[record.id] = attrs.evolve(record, owner=self._owner, owner_alive=True)

    async def forget_session(self, session_id: str) -> bool:
        return self._sessions.pop(session_id, None) is not None

    async def sessions(self) -> list[SessionRecord]:
        return list(self._sessions.values())

    async def claim_session(self, session_id: str, *, ttl: float) -> bool:
        now = time.monotonic()
        for claimed, until in list(self._claims.items()):
            if until <= now:
                del self._claims[claimed]
        if session_id in self._claims:
            return False
        self._claims[session_id] = now + ttl
        return True
