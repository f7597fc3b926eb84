"""Where account-wide state lives: the poll budget, concurrency caps, the job ledger and the session ledger.

A :class:`StateBackend` is what several clients (or processes, or machines) on one HeyGen account share:

- a poll budget: :meth:`~StateBackend.take_polls` grants poll starts so that no window of ``window`` seconds
  ever holds more than ``budget`` of them, whoever starts them; :meth:`~StateBackend.pause_polls` makes every
  sharer wait after a 429;
- concurrency caps (renders, live sessions) whose slots are leases: a slot held by an owner that died is
  freed when the owner's lease runs out;
- a job ledger: every submitted job with its resume token, owner, last status and a fingerprint of the
  credentials that submitted it, so any sharer with those credentials can list, wait on or adopt jobs it did
  not submit (and a tenant with other credentials sees none of them);
- a session ledger: every live session with its owner, so ``reap_orphans`` stops the ones whose owner died
  (and those whose stop failed: they are marked as needing one).

:class:`~heygen_async.MemoryState` keeps all of it in this process (the default: nothing is shared, nothing changes);
:class:`~heygen_async.RedisState` keeps it in Redis for many processes. Values are versioned JSON and never
hold the API token (resume tokens never do). A credential fingerprint is HMAC-SHA256 of the credentials under
the state's random salt (:meth:`StateBackend.credential_salt`): the same for every sharer, useless for
recovering a token (that means guessing it, one HMAC per guess).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Sequence
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from heygen_async._exceptions import StateBackendError, ValidationError

__all__ = [
    "JobRecord",
    "JobUpdate",
    "SessionRecord",
    "StateBackend",
    "new_owner_id",
    "wait_for_slot",
]

logger = logging.getLogger("heygen_async")
FORMAT: Final = 1
"""The version of every JSON value a backend stores (``"v"``); a reader skips values of another version."""
KEEP_FINISHED: Final = 10_000
"""Finished jobs a :class:`MemoryState` remembers (a long-running process must not grow without end)."""


def new_owner_id() -> str:
    """A name for this process among the account's sharers: host, pid and a random part (never reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@attrs.frozen(kw_only=True)
class JobRecord:
    """One job in the ledger: what it is (``kind``, ``id``, ``resume_token``), who follows it (``owner``;
    ``owner_alive`` is False once that owner's lease ran out), what was last seen (``status``, ``done``,
    ``updated_at`` in epoch seconds, ``updated_by`` the owner that saw it), and ``credential``, the
    fingerprint of the credentials that submitted it (None for a record written without one: a client then
    neither lists nor adopts it, since it cannot tell whose it is)."""

    kind: str
    id: str
    resume_token: str
    submitted_at: float | None = None
    owner: str | None = None
    owner_alive: bool = True
    status: str | None = None
    done: bool = False
    updated_at: float | None = None
    updated_by: str | None = None
    credential: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def to_json(self) -> str:
        """The immutable part, as stored: versioned JSON (the resume token holds no API token)."""
        return json.dumps(
            {
                "v": FORMAT,
                "kind": self.kind,
                "id": self.id,
                "resume_token": self.resume_token,
                "submitted_at": self.submitted_at,
            },
            separators=(",", ":"),
            sort_keys=True,
        )


@attrs.frozen(kw_only=True)
class JobUpdate:
    """A status a poller saw for a job: ``done`` when it is final (the job leaves its owner's open set).
    ``credential`` is the fingerprint of the credentials the poll carried: only a record of the same
    credentials takes the update, so a tenant's poll (a 401, a 404) never writes into another's record."""

    kind: str
    id: str
    status: str | None
    done: bool
    credential: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@attrs.frozen(kw_only=True)
class SessionRecord:
    """One live session in the ledger: its ``id``, ``owner`` (``owner_alive`` False once the owner's lease ran
    out) and when it was recorded (``created_at``, epoch seconds). ``stop_failed``: its owner closed it but
    ``streaming.stop`` failed, so any process's ``reap_orphans`` stops it, its owner alive or not."""

    id: str
    owner: str
    created_at: float
    owner_alive: bool = True
    stop_failed: bool = False

    def to_json(self) -> str:
        value: dict[str, Any] = {"v": FORMAT, "id": self.id, "owner": self.owner, "created_at": self.created_at}
        if self.stop_failed:
            value["stop_failed"] = True
        return json.dumps(value, separators=(",", ":"), sort_keys=True)


def status_json(update: JobUpdate, owner: str, at: float) -> str:
    return json.dumps(
        {"v": FORMAT, "status": update.status, "done": update.done, "at": at, "by": owner},
        separators=(",", ":"),
        sort_keys=True,
    )


def read_job(
    record: str | None, status: str | None, owner: str | None, alive: bool, credential: str | None = None
) -> JobRecord | None:
    """A :class:`JobRecord` from its stored JSON parts; None for a value of another format version."""
    try:
        data: Any = json.loads(record) if record else None
        state: Any = json.loads(status) if status else {}
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != FORMAT or not isinstance(state, dict):
        return None
    if state and state.get("v") != FORMAT:
        state = {}
    return JobRecord(
        kind=str(data.get("kind")),
        id=str(data.get("id")),
        resume_token=str(data.get("resume_token")),
        submitted_at=_number(data.get("submitted_at")),
        owner=owner,
        owner_alive=alive,
        status=state.get("status") if isinstance(state.get("status"), str) else None,
        done=state.get("done") is True,
        updated_at=_number(state.get("at")),
        updated_by=state.get("by") if isinstance(state.get("by"), str) else None,
        credential=credential or None,
    )


def read_session(value: str, alive: bool) -> SessionRecord | None:
    try:
        data: Any = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != FORMAT or not isinstance(data.get("id"), str):
        return None
    return SessionRecord(
        id=data["id"],
        owner=str(data.get("owner")),
        created_at=_number(data.get("created_at")) or 0.0,
        owner_alive=alive,
        stop_failed=data.get("stop_failed") is True,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_cap(name: str, limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(f"the {name} cap must be a whole number >= 1, got {limit!r}", parameter="limit")


@runtime_checkable
class StateBackend(Protocol):
    """What a poll scheduler, the concurrency caps, job handles and session managers need to share.

    ``owner`` names this sharer; its lease (kept alive while the backend is in use) is what makes its jobs,
    sessions and slots its own. Every method may be called from many tasks at once.
    """

    @property
    def owner(self) -> str: ...

    @property
    def shared(self) -> bool:
        """Whether other processes may share this state (False: nothing outside this process can)."""
        ...

    @property
    def ready(self) -> bool:
        """Whether jobs and sessions can be recorded now (a Redis state must be entered first)."""
        ...

    async def take_polls(self, wanted: int, *, budget: int, window: float) -> tuple[int, float]:
        """Grant up to ``wanted`` poll starts now, never more than ``budget`` in any ``window`` seconds
        (counted across every sharer). Returns how many were granted (to be started at once) and, when fewer
        than wanted, how long to wait before asking again."""
        ...

    async def pause_polls(self, seconds: float) -> None:
        """Every sharer waits ``seconds`` before its next poll (the API answered 429)."""
        ...

    async def credential_salt(self) -> bytes:
        """A random salt, the same for every sharer and kept as long as the ledger: the key under which
        clients fingerprint their credentials for the job ledger (never the credentials themselves)."""
        ...

    async def acquire_slot(self, name: str, *, limit: int, tag: str) -> bool:
        """Take a slot of the ``name`` cap for ``tag`` if fewer than ``limit`` are held (slots of owners whose
        lease ran out do not count); False if the cap is full. Never waits."""
        ...

    async def release_slot(self, name: str, *, tag: str) -> None: ...

    async def record_job(self, record: JobRecord) -> None:
        """Add a submitted job to the ledger, owned by :attr:`owner`, with its ``credential``."""
        ...

    async def update_jobs(self, updates: Sequence[JobUpdate]) -> None:
        """Store what pollers saw; a final status takes the job out of its owner's open jobs. Jobs not in the
        ledger, and jobs recorded with another credential than the update's, are left alone."""
        ...

    async def jobs(self, *, open_only: bool = False) -> list[JobRecord]:
        """The ledger's jobs (``open_only``: those not seen finished), each with its owner's liveness."""
        ...

    async def adopt_jobs(self, *, limit: int, credential: str | None = None) -> list[JobRecord]:
        """Take over up to ``limit`` unfinished jobs of ``credential`` whose owner's lease ran out: they are
        :attr:`owner`'s now (atomically: two adopters never get the same job). Jobs recorded with another
        credential stay where they are, for an adopter with their credentials."""
        ...

    async def record_session(self, record: SessionRecord) -> None:
        """Add (or replace) ``record`` in the session ledger, owned by :attr:`owner`."""
        ...

    async def forget_session(self, session_id: str) -> bool:
        """Take ``session_id`` off the ledger; True if this call did (of two reapers, one gets True)."""
        ...

    async def sessions(self) -> list[SessionRecord]:
        """The session ledger, each with its owner's liveness."""
        ...

    async def claim_session(self, session_id: str, *, ttl: float) -> bool:
        """Claim ``session_id`` for stopping, for ``ttl`` seconds: of several reapers, one gets True (also for
        sessions in no ledger), so an orphan is stopped once even while HeyGen still lists it."""
        ...


async def wait_for_slot(state: StateBackend, name: str, *, limit: int, tag: str, deadline: float | None) -> bool:
    """Take a slot of the ``name`` cap, asking again (backing off from 20 ms to 0.5 s, jittered) until it is
    free or the monotonic ``deadline`` passes (False then). A failing backend is logged and asked again, like a
    full cap: a blip must not fail the caller. Cancelling the wait may leave the slot taken (the answer was
    lost): callers give ``tag`` back whatever happens."""
    delay = 0.02
    failures = 0
    while True:
        try:
            if await state.acquire_slot(name, limit=limit, tag=tag):
                return True
        except StateBackendError as exc:
            failures += 1
            if failures == 1 or failures % 20 == 0:
                logger.warning("waiting for a %s slot: %s (asking again)", name, exc)
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return False
        pause = delay * (0.5 + random.random())
        await asyncio.sleep(pause if deadline is None else min(pause, max(0.0, deadline - now)))
        delay = min(0.5, delay * 2)
