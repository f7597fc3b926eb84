"""Live sessions written to a shared state's session ledger, from callbacks that cannot await.

A session is recorded as soon as ``streaming.new`` answers, marked as needing a stop when its stop fails (so
any process's ``reap_orphans`` stops it), and taken off the ledger once it is stopped (or HeyGen no longer
lists it). The writes run in the background: a record that fails is written again (backing off) for as long
as the session lives, since a live session missing from the ledger is one another process's ``reap_orphans``
may stop once it is older than its ``min_age``; each write waits for the one before it, so they never cross.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Final

import attrs

from heygen_async._shield import finish
from heygen_async._state._protocol import SessionRecord, StateBackend

__all__ = ["LEDGER_PREFIXES", "SessionLedger"]

logger = logging.getLogger("heygen_async")
LEDGER_PREFIXES: Final = ("liveavatar:",)
"""How the shared session ledger tells another API's sessions apart: a LiveAvatar session's record id is
``liveavatar:<key fingerprint>:<id>``, a HeyGen v1 session's is its bare id. Each manager reads and reaps only its
own API's (and, on LiveAvatar, its own key's)."""
RETRY_CAP: Final = 5.0
"""The longest pause between two attempts at a write that keeps failing."""


class SessionLedger:
    """Records and forgets live sessions in ``state``'s session ledger, as ``<prefix><session id>``.

    ``prefix`` names the API (see ``LEDGER_PREFIXES``). ``tenant``, for an API whose accounts may share one state
    (LiveAvatar: each API key is an account), is the handle's credential fingerprint under the state's salt
    (the API key alone, hashed): it follows the API's prefix, so each key has its own records and cap, and a
    process restarted with the same key finds its own records. Internally sessions are known by their bare ids.
    """

    def __init__(self, state: StateBackend, prefix: str = "", *, tenant: Callable[[bytes], str] | None = None) -> None:
        self.state = state
        self._api_prefix = prefix
        self._tenant = tenant
        self._prefix: str | None = prefix if tenant is None else None  # worked out on first use (reads the salt)
        self._live: dict[str, SessionRecord] = {}  # the record each live session should have, by session id
        self._recording: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def recording(self, session_id: str) -> bool:
        """Whether ``session_id``'s record is still being written (it is this process's, but not listed yet)."""
        task = self._recording.get(session_id)
        return task is not None and not task.done()

    async def prefix(self) -> str:
        """The start of this ledger's record ids and of its cap's slot name (the API's, then the tenant's)."""
        if self._prefix is None:
            assert self._tenant is not None
            self._prefix = f"{self._api_prefix}{self._tenant(await self.state.credential_salt())}:"
        return self._prefix

    async def key(self, name: str) -> str:
        """``name``'s id in the shared state: a session's record id, or (``"sessions"``) the cap's slot name."""
        return await self.prefix() + name

    async def records(self) -> dict[str, SessionRecord]:
        """The shared ledger's records of this ledger's API (and tenant), by session id."""
        prefix = await self.prefix()
        listed = await self.state.sessions()
        if prefix:
            return {record.id[len(prefix) :]: record for record in listed if record.id.startswith(prefix)}
        return {record.id: record for record in listed if not record.id.startswith(LEDGER_PREFIXES)}

    async def held_elsewhere(self) -> frozenset[str]:
        """The sessions other tenants (API keys) of this API hold in the shared ledger, owner alive and not
        marked as needing a stop: a reaper keeps them, since it cannot tell whether another key reaches the
        same account (a key rotated during a rolling deploy). None for an API without tenants."""
        prefix = await self.prefix()
        if not self._api_prefix or prefix == self._api_prefix:
            return frozenset()
        return frozenset(
            record.id.rpartition(":")[2]
            for record in await self.state.sessions()
            if record.id.startswith(self._api_prefix)
            and not record.id.startswith(prefix)
            and record.owner_alive
            and not record.stop_failed
        )

    def record(self, session_id: str) -> None:
        self._put(SessionRecord(id=session_id, owner=self.state.owner, created_at=time.time()))

    def mark_unstopped(self, session_id: str) -> None:
        """The session's stop failed: its record says so, and any process's ``reap_orphans`` stops it."""
        known = self._live.get(session_id)
        if known is None:
            known = SessionRecord(id=session_id, owner=self.state.owner, created_at=time.time())
        elif known.stop_failed:
            return
        self._put(attrs.evolve(known, stop_failed=True))

    def _put(self, record: SessionRecord) -> None:
        if not self._closed:  # once closed, a write is tried once (a session failing its stop after the close)
            self._live[record.id] = record
        self._recording[record.id] = self._spawn(self._write(record, self._recording.get(record.id)))

    def forget(self, session_id: str) -> None:
        self._live.pop(session_id, None)
        self._spawn(self._unwrite(session_id, self._recording.pop(session_id, None)))

    def release_slot(self, name: str, tag: str) -> None:
        """Give a shared-cap slot back in the background (a backend that fails keeps it for a later retry)."""
        self._spawn(self._release(name, tag))

    async def _release(self, name: str, tag: str) -> None:
        try:
            await self.state.release_slot(name, tag=tag)
        except Exception as exc:
            logger.warning("could not give a %s slot back (%s); it is freed when the lease runs out", name, exc)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _write(self, record: SessionRecord, before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await asyncio.wait([before])
        pause = 0.5
        while True:  # once at least (a mark written while the ledger closes must still reach the state)
            try:  # the record as stored: its id prefixed (working the prefix out may fail like the write)
                await self.state.record_session(attrs.evolve(record, id=await self.key(record.id)))
                return
            except Exception as exc:
                if self._live.get(record.id) is not record:  # a newer record, or the session's end, took over
                    logger.warning("session ledger: session %s not recorded (%s)", record.id, exc)
                    return
                logger.warning("session ledger: session %s not recorded yet (%s); trying again", record.id, exc)
            await asyncio.sleep(pause)
            pause = min(RETRY_CAP, pause * 2)

    async def _unwrite(self, session_id: str, recording: asyncio.Task[None] | None) -> None:
        if recording is not None:
            await asyncio.wait([recording])
        for attempt in range(3):
            try:
                await self.state.forget_session(await self.key(session_id))
                return
            except Exception as exc:
                if attempt == 2:
                    logger.warning(
                        "session ledger: closed session %s is still listed (%s); reap_orphans will drop it "
                        "once this process's lease runs out",
                        session_id,
                        exc,
                    )
                    return
            await asyncio.sleep(0.5 * (attempt + 1))

    async def aclose(self, *, timeout: float = 5.0) -> None:
        """Let the writes in flight finish (bounded by ``timeout``, even if the caller is cancelled meanwhile;
        that cancellation is raised afterwards), then drop what is left."""
        self._closed = True
        self._live.clear()  # records still failing are not tried again: the sessions are closing
        pending = set(self._tasks)
        if not pending:
            return
        waited, cancelled = await finish(asyncio.wait(pending, timeout=timeout), grace=timeout)
        del waited
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if cancelled:
            raise asyncio.CancelledError
