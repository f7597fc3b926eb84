"""One poll scheduler per connection pool: every waiter's status polls, under one budget.

Each tracked job is a small record on a heap ordered by when it is next due; a single task takes due jobs off
the heap and polls them, never starting more than ``budget`` polls in any one-second window (a sliding window
of start times), paced evenly within the second so the API sees a steady stream rather than bursts. Jobs
follow their cadence (a first poll ``first_poll`` after the job's submission, at once for a job submitted
earlier or at an unknown time, then exponential backoff with jitter up to a cap), phases are jittered so jobs
never poll in lockstep, and a 429 pauses every poll for the time the API asked (between a floor and a
ceiling). No task is created per job: waiters are callbacks on the record, so ten thousand tracked jobs cost
a heap entry and a record each.

A record belongs to one job *and one set of credentials* (the transport's :attr:`~Transport.identity`): its
polls carry those credentials and its answers reach only waiters whose handles carry the same, so a tenant
never sees a result another tenant's credentials fetched. Handles with the same credentials share the
record: one poll stream per job and identity, never two polls of it in flight. Against an emulator that says
its clock runs faster than real time, every cadence is divided by that scale.

A kind whose statuses HeyGen reports many at a time (its :class:`BulkStatus`, e.g. v3's ``GET
/v3/videos/statuses``) is polled in bulk: when one of its jobs falls due, one request carries it and up to
``max_ids - 1`` other jobs of the same kind *and identity* (never two tenants' jobs in one request), the
earliest due among those due within half their interval (:data:`BULK_LOOKAHEAD`). Such a request costs one
unit of the budget, as HeyGen counts requests. A bulk status only moves a running job along its cadence; a
job it shows finished, unknown or unreadable gets its own detail poll at once, which decides as any poll does.
A bulk route that refuses (4xx) or keeps failing (:data:`BULK_FAILURES` requests in a row) is left alone for
:data:`BULK_REST`: those jobs get their own polls meanwhile.
Each kind and identity keeps a heap of its own, so finding a request's companions costs O(k log n). With
``bulk_status=False`` (``HeyGenClient(bulk_status=False)``) every kind's ``bulk`` is ignored: each job gets
requests of its own, as where HeyGen offers no bulk status (to compare, or where the bulk route misbehaves).

The window itself is kept by a :class:`~heygen_async.StateBackend`: in this process by default, or in Redis
so that every process on the account shares one budget (starts are then granted in small batches, one round
trip each). With a backend given to the client, what each poll sees also goes to its job ledger.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

from heygen_async._config import Limits, PollPolicy
from heygen_async._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    ClientClosedError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from heygen_async._shield import finish
from heygen_async._state._memory import MemoryState
from heygen_async._state._protocol import JobUpdate, StateBackend

if TYPE_CHECKING:
    from heygen_async._transport._call import Transport

__all__ = ["BulkStatus", "PollKind", "PollScheduler", "PollStats", "TrackedJob", "polls_in_flight"]

logger = logging.getLogger("heygen_async")
WINDOW: Final = 1.1
"""The sliding window's width: a little over a second, so polls that leave up to 100 ms late (a busy event loop,
a busy server) still cannot crowd more than the budget into any one-second window at the API. At full load
this spends about 9% of the budget as margin; measured, 1.05 s was not enough (benchmarks/RESULTS.md)."""
CREDIT: Final = 0.05
"""How much unused pacing time (seconds) may be made up at once after a lull: short catch-up bursts only."""
MAX_BATCH: Final = 25
"""Poll starts asked of the budget at once (one round trip when the budget lives in Redis); small, so the last
poll of a batch leaves soon after its grant."""
TICK: Final = 0.01
"""The shortest sleep of the scheduler's loop (10 ms): polls falling due within it start together (pacing
allowing), one wake-up for several polls rather than one each; detection waits at most this much longer."""
MAX_LAG: Final = 1.0
"""The most the window is widened by for slow round trips (see ``PollScheduler._window``)."""
_COMPACT_JSON: Final = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(..., separators=(",", ":"))`` without building an encoder on every call."""
LAG_HALF_LIFE: Final = 5.0
"""Seconds after which a slow round trip counts half as much in the window's widening."""
MAX_BULK_IDS: Final = 100
"""The most ids HeyGen takes in one bulk status request."""
BULK_LOOKAHEAD: Final = 0.5
"""A job rides along in a bulk request when it is due within this fraction of its current interval: polled at
most half an interval early (its cadence goes on from that poll, as from any), so requests fill up even where
jobs fall due a few at a time, and no job is polled much more often than its cadence asks."""
BULK_REST: Final = 60.0
"""Seconds (server time) a kind's jobs of one identity are polled one by one after a bulk request was refused
with a 4xx (the bulk route may not be open to those credentials), or after BULK_FAILURES bulk requests in a row
got no usable answer; then bulk is tried again."""
BULK_FAILURES: Final = 3
"""Bulk requests of one group in a row that may fail (5xx, no answer, an unreadable one) before its jobs are
polled one by one for BULK_REST: a bulk route that keeps failing must not hide jobs its detail route shows done."""
NOT_FOUND: Final = "not_found"
"""A bulk answer's status for an id HeyGen does not know: the job's detail poll decides (a 404 ends it)."""


def polls_in_flight(limits: Limits) -> int:
    """How many status polls may be in flight at once: half of a bounded pool's size (at most 100), so a poll
    always finds a free connection (a poll queued inside aiohttp would be sent late, in a burst, past the
    budget's window) and other calls have the rest."""
    bounds = [limit for limit in (limits.max_connections, limits.max_connections_per_host) if limit > 0]
    return max(1, min(100, *(limit // 2 for limit in bounds))) if bounds else 100


class BulkStatus(Protocol):
    """How a kind's statuses are read many at a time (HeyGen v3: ``GET /v3/videos/statuses?video_ids=a,b``).

    ``fetch`` sends ONE request for ``ids`` (at most ``max_ids``, itself at most 100) with ``transport``'s
    credentials, not retried (the scheduler's cadence is the retry), and returns the decoded data;
    ``statuses`` reads that as each id's lower-case status, None for an entry it cannot read. An answer it
    cannot read at all raises :class:`APIResponseError`: the jobs are polled again later, no verdict. A bulk
    status is never a result: a job it shows finished, ``not_found``, unreadable or absent gets its own detail
    poll (the kind's ``fetch``), which decides.
    """

    @property
    def max_ids(self) -> int: ...

    def fetch(self, transport: Transport, ids: Sequence[str]) -> Coroutine[Any, Any, Any]: ...

    def statuses(self, data: Any) -> Mapping[str, str | None]: ...


class PollKind(Protocol):
    """What the scheduler needs of a kind of job (:class:`~heygen_async._jobs._kinds.JobKind` is one): how to
    poll it, what its statuses mean, what its answers become, and how to read many statuses at once (``bulk``,
    None where HeyGen offers no bulk status; a scheduler made with ``bulk_status=False`` ignores it)."""

    @property
    def name(self) -> str: ...

    @property
    def success(self) -> frozenset[str]: ...

    @property
    def failure(self) -> frozenset[str]: ...

    @property
    def running(self) -> frozenset[str]: ...

    @property
    def bulk(self) -> BulkStatus | None: ...

    async def fetch(self, transport: Transport, job_id: str) -> Any: ...

    def status_of(self, data: Any) -> str | None: ...

    def structure(self, data: Any) -> Any: ...

    def failure_error(self, job: TrackedJob, result: Any) -> BaseException: ...


@attrs.define
class PollStats:
    """What the scheduler has done: poll requests started (a bulk request counts once), the most started in any
    one-second window, 429 pauses, failed polls; bulk requests among the polls, and the job polls they carried."""

    polls: int = 0
    max_per_second: int = 0
    pauses: int = 0
    errors: int = 0
    bulk_polls: int = 0
    jobs_in_bulk: int = 0


Listener = Callable[["TrackedJob"], None]


class TrackedJob:
    """One job the scheduler polls, with whoever waits for it. Internal; users hold a :class:`Job` handle."""

    __slots__ = (
        "active",
        "answer",
        "change_listeners",
        "detail",
        "done",
        "due",
        "error",
        "group",
        "id",
        "interval",
        "kind",
        "listeners",
        "policy",
        "polling",
        "polls",
        "result",
        "soon",
        "status",
        "status_listeners",
        "transport",
    )

    def __init__(self, kind: PollKind, job_id: str, transport: Transport, policy: PollPolicy) -> None:
        self.kind = kind
        self.id = job_id
        self.transport = transport
        self.policy = policy
        self.due = 0.0
        self.interval: float | None = None
        self.status: str | None = None
        self.result: Any = None
        self.answer: str | None = None
        """The last new status answer as compact JSON (a quarter of the dict's memory), structured only when
        someone asks for it (a deadline's PollTimeout, a status listener)."""
        self.error: BaseException | None = None
        self.done = False
        self.active = True
        self.polls = 0
        self.polling = False  # a poll is in flight: never a second one at once
        self.soon = False  # poll again right after the one in flight (a webhook arrived meanwhile)
        self.detail = False  # the next poll is the job's own (kind.fetch), never a bulk request
        self.group: _BulkGroup | None = None  # the jobs a bulk request may carry with this one
        self.listeners: tuple[Listener, ...] | None = None
        self.status_listeners: tuple[Listener, ...] | None = None
        self.change_listeners: tuple[Listener, ...] | None = None

    def listen(
        self,
        on_done: Callable[[TrackedJob], None] | None,
        on_status: Callable[[TrackedJob], None] | None,
        on_change: Callable[[TrackedJob], None] | None = None,
    ) -> None:
        """``on_done`` hears the end; ``on_status`` each new status with its snapshot (``result``); ``on_change``
        each new status alone (``status``), which a bulk answer gives without a detail poll."""
        if on_done is not None:
            self.listeners = (*(self.listeners or ()), on_done)
        if on_status is not None:
            self.status_listeners = (*(self.status_listeners or ()), on_status)
        if on_change is not None:
            self.change_listeners = (*(self.change_listeners or ()), on_change)

    def unlisten(
        self,
        on_done: Callable[[TrackedJob], None] | None,
        on_status: Callable[[TrackedJob], None] | None,
        on_change: Callable[[TrackedJob], None] | None = None,
    ) -> None:
        if on_done is not None and self.listeners:
            self.listeners = tuple(f for f in self.listeners if f is not on_done) or None
        if on_status is not None and self.status_listeners:
            self.status_listeners = tuple(f for f in self.status_listeners if f is not on_status) or None
        if on_change is not None and self.change_listeners:
            self.change_listeners = tuple(f for f in self.change_listeners if f is not on_change) or None

    @property
    def watched(self) -> bool:
        return bool(self.listeners or self.status_listeners or self.change_listeners)

    def last_result(self) -> Any:
        """The last answer as a model (the final result once done), or None if no poll has answered usably."""
        if self.result is None and self.answer is not None:
            answer, self.answer = self.answer, None
            try:
                self.result = self.kind.structure(json.loads(answer))
            except APIResponseError as exc:
                logger.warning("%s %s: %s", self.kind.name, self.id, exc)
        return self.result


class _BulkGroup:
    """The tracked jobs of one bulk kind and one identity: those one bulk request may carry together. ``heap``
    holds their (due, order, job) entries as the scheduler's heap does, so the companions of a due job are the
    first entries here, found without looking at anyone else's jobs; stale entries are dropped as met."""

    __slots__ = ("bulk", "failures", "heap", "max_ids", "members", "rest_until")

    def __init__(self, bulk: BulkStatus, kind_name: str) -> None:
        max_ids = bulk.max_ids
        if isinstance(max_ids, bool) or not isinstance(max_ids, int) or not 1 <= max_ids <= MAX_BULK_IDS:
            raise ValueError(f"{kind_name}: a bulk status takes 1 to {MAX_BULK_IDS} ids, got max_ids={max_ids!r}")
        self.bulk = bulk
        self.max_ids = max_ids
        self.heap: list[tuple[float, int, TrackedJob]] = []
        self.members = 0  # records of the scheduler in this group; the group goes with the last
        self.rest_until = -math.inf  # single polls only until then (a bulk request was refused)
        self.failures = 0  # bulk requests in a row without a usable answer


async def _credited(ledger: StateBackend, updates: Iterable[tuple[Transport, JobUpdate]]) -> list[JobUpdate]:
    """The updates, each marked with the ledger credential of the handle whose poll saw it: a ledger applies
    an update only to a record of the same credentials, so a tenant's polls never write another's records."""
    salt = await ledger.credential_salt()
    return [attrs.evolve(update, credential=transport.ledger_credential(salt)) for transport, update in updates]


def _kept(job: TrackedJob, status: str | None) -> str | None:
    """``status`` as the record keeps (and logs, and a PollTimeout shows) it: a value HeyGen does not document
    is the server's free text, which may echo a credential, so it is scrubbed; documented ones cost nothing."""
    kind = job.kind
    if status is None or status in kind.running or status in kind.success or status in kind.failure:
        return status
    return job.transport.redactor.text(status)


def _wake_up(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class PollScheduler:
    """Polls every tracked job of one connection pool within ``budget`` polls per second; kinds with a bulk
    status many jobs to a request unless ``bulk_status`` is False."""

    def __init__(
        self,
        budget: float,
        *,
        max_in_flight: int = 100,
        seed: int | None = None,
        state: StateBackend | None = None,
        bulk_status: bool = True,
    ) -> None:
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget < math.inf:
            raise ValueError(f"poll_budget must be a finite number of polls per second > 0, got {budget!r}")
        self.budget = float(budget)
        self.max_in_flight = max_in_flight
        self.stats = PollStats()
        self.expect_webhooks = False
        self._bulk_status = bulk_status
        self._jobs: dict[tuple[str, str, bytes], TrackedJob] = {}
        self._identities: dict[bytes, int] = {}  # credential identities with records, and how many each
        self._heap: list[tuple[float, int, TrackedJob]] = []
        self._order = itertools.count()
        # Strict budget: at most ``_window_size`` starts in any window of WINDOW seconds (kept by the state
        # backend, so sharers of a Redis state share it) ...
        self._window_size = max(1, math.floor(self.budget))
        self._state: StateBackend = state if state is not None else MemoryState()
        self._ledger = state  # only a state the user gave keeps a job ledger
        self._budget_wait_until = 0.0
        self._lag = 0.0  # the slowest recent grant-to-answer time, seen at ``_lag_at``
        self._lag_at = 0.0
        self._starts: deque[float] = deque()  # this process's starts in the last second, for stats
        # ... paced evenly (one start every 1/budget s) so the API never sees a burst at a window's edge.
        self._spacing = 1.0 / self.budget
        self._next_start = -math.inf
        self._paused_until = 0.0
        self._in_flight = 0
        self._rng = random.Random(seed)
        self._wake: asyncio.Future[None] | None = None
        self._wake_at = -math.inf  # when the loop's sleep ends (-inf while it is awake)
        self._task: asyncio.Task[None] | None = None
        self._polls: set[asyncio.Task[None]] = set()
        self._closed = False
        self._unknown_logged: set[tuple[str, str]] = set()
        self._groups: dict[tuple[str, bytes], _BulkGroup] = {}  # by kind name and identity
        self._refusal_logged: set[str] = set()  # kinds whose bulk requests were refused (said once)
        self._updates: dict[tuple[str, str, bytes], tuple[Transport, JobUpdate]] = {}
        self._flusher: asyncio.Task[None] | None = None

    # -- tracking -----------------------------------------------------------------------------------------

    def track(
        self, kind: PollKind, job_id: str, transport: Transport, policy: PollPolicy, *, age: float | None = 0.0
    ) -> TrackedJob:
        """The record for ``job_id`` and ``transport``'s credentials (shared by everyone waiting for it with
        the same credentials), polled from now on. ``age``: seconds since the job was submitted (None: not
        known); a new record's first poll comes ``first_poll`` after the submission, at once if that is past."""
        if self._closed:
            raise ClientClosedError("the client is closed; create a new HeyGenClient")
        key = (kind.name, job_id, transport.identity)
        job = self._jobs.get(key)
        if job is not None and job.done and job.error is not None and not isinstance(job.error, APIStatusError):
            job = None  # a finished-with-a-connection-error record is not a verdict; look again
        if job is None:
            job = TrackedJob(kind, job_id, transport, policy)
            if kind.bulk is not None and self._bulk_status:
                job.group = self._group(kind.bulk, kind.name, transport.identity)
            if key not in self._jobs:
                self._identities[transport.identity] = self._identities.get(transport.identity, 0) + 1
                if job.group is not None:
                    job.group.members += 1
            self._jobs[key] = job
        if not job.done and not job.active:
            job.active = True
            self._schedule(job, job.interval)
        elif not job.done and job.interval is None and job.polls == 0 and job.due == 0.0:
            self._schedule_first(job, age)
        self._ensure_running()
        return job

    @property
    def bulk_status(self) -> bool:
        """Whether kinds with a bulk status are polled many jobs to a request (fixed for the scheduler's life)."""
        return self._bulk_status

    def _group(self, bulk: BulkStatus, kind_name: str, identity: bytes) -> _BulkGroup:
        group = self._groups.get((kind_name, identity))
        if group is None:
            group = self._groups[(kind_name, identity)] = _BulkGroup(bulk, kind_name)
        return group

    def release(self, job: TrackedJob) -> None:
        """Nobody waits for ``job`` any more: stop polling it (the job itself goes on at HeyGen)."""
        if not job.watched:
            job.active = False
            self._forget(job)

    def _forget(self, job: TrackedJob) -> None:
        """Drop an unwatched, inactive or finished record once no poll of it is in flight: a later wait starts
        afresh, no record outlives its waiters, and a poll in flight is never doubled by a new record."""
        identity = job.transport.identity
        key = (job.kind.name, job.id, identity)
        if not job.watched and not job.polling and (job.done or not job.active) and self._jobs.get(key) is job:
            del self._jobs[key]
            left = self._identities[identity] - 1
            if left:
                self._identities[identity] = left
            else:
                del self._identities[identity]
            group = job.group
            if group is not None:
                group.members -= 1
                if not group.members:
                    del self._groups[(job.kind.name, identity)]

    def poll_soon(self, kind_name: str, job_id: str) -> bool:
        """Poll ``job_id`` now (a webhook said it changed); False if nobody is tracking it.

        Every record of the job is woken, whoever's credentials it carries: a webhook is a hint, never an
        answer, and each record is then answered only by its own poll with its own credentials. (Waking only
        the feeding handle's would miss tenants' waits, since one receiver feeds one client for every tenant.)
        A poll already in flight is not doubled: the job is polled again right after it (within the budget),
        and a duplicate webhook for a job that has finished does nothing. The poll a webhook asks for is the
        job's own detail poll, never a bulk request: it can end the job at once.
        """
        woken = False
        for identity in self._identities:
            job = self._jobs.get((kind_name, job_id, identity))
            if job is None or job.done or not job.active:
                continue
            woken = True
            if job.polling:
                job.soon = True
                continue
            self._due_for_detail(job)
        if woken:
            self._poke()
        return woken

    def tracked(self) -> int:
        return sum(1 for job in self._jobs.values() if job.active and not job.done)

    def _schedule(self, job: TrackedJob, previous: float | None) -> None:
        interval = job.policy.interval(previous, self._rng)
        if self.expect_webhooks and previous is not None:
            interval = max(interval, job.policy.webhook_interval)
        job.interval = interval
        self._due_in(job, interval)

    def _schedule_first(self, job: TrackedJob, age: float | None) -> None:
        """A new record's first poll: ``first_poll`` (jittered) after the submission, ``age`` seconds ago; at
        once when that is past or the age unknown (a finished job is reported at once). The cadence goes on
        from there as from any first poll."""
        interval = job.policy.interval(None, self._rng)
        job.interval = interval
        self._due_in(job, 0.0 if age is None else max(0.0, interval - age * job.transport.pool.time_scale))

    def _due_in(self, job: TrackedJob, seconds: float) -> None:
        """Put ``job`` on the heap ``seconds`` of the server's time from now (real seconds divided by the time
        scale of an emulator that runs faster)."""
        job.due = time.monotonic() + seconds / job.transport.pool.time_scale
        self._push(job)
        if job.due < self._wake_at:
            self._poke()  # due before the loop would wake: wake it (most jobs are due later, and wake nobody)

    def _push(self, job: TrackedJob) -> None:
        """Put ``job`` on the heap at its ``due``, and on its bulk group's unless its next poll is its own."""
        entry = (job.due, next(self._order), job)
        heapq.heappush(self._heap, entry)
        if job.group is not None and not job.detail:
            heapq.heappush(job.group.heap, entry)

    def _due_for_detail(self, job: TrackedJob) -> None:
        """Poll ``job`` now with its own detail poll (the caller wakes the loop)."""
        if job.active and not job.done:
            job.detail = True
            job.due = time.monotonic()
            self._push(job)

    # -- the loop -------------------------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="heygen-poll-scheduler")

    def _poke(self) -> None:
        waiter = self._wake
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` or until poked, whichever is first: one future and one timer, no task."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._wake = waiter
        self._wake_at = time.monotonic() + max(0.0, seconds)
        timer = loop.call_later(max(0.0, seconds), _wake_up, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._wake = None
            self._wake_at = -math.inf  # awake: nothing to wake

    async def _run(self) -> None:
        while not self._closed:
            heap = self._heap
            while heap and (not heap[0][2].active or heap[0][2].done or heap[0][0] != heap[0][2].due):
                heapq.heappop(heap)  # stale entries: released, finished, or rescheduled since
            if not heap:
                if not self._in_flight:
                    return  # nothing to do: the next track() starts a new loop
                await self._sleep(1.0)
                continue
            now = time.monotonic()
            wait = max(
                heap[0][0] - now, self._paused_until - now, self._next_start - now, self._budget_wait_until - now
            )
            if self._in_flight >= self.max_in_flight:
                wait = max(wait, 0.05)
            if wait > 0:
                await self._sleep(max(wait, TICK))
                continue
            due = self._take_due(now)
            if not due:
                continue
            try:
                granted, retry = await self._state.take_polls(
                    len(due), budget=self._window_size, window=self._window(now)
                )
            except Exception as exc:  # the shared budget is unreachable: never poll past it, try again soon
                logger.warning("poll scheduler: the poll budget could not be asked (%s); retrying", exc)
                granted, retry = 0, 1.0
            now = time.monotonic()
            for unit in due[granted:]:
                for job in unit if isinstance(unit, list) else (unit,):
                    self._push(job)
            if granted < len(due):
                self._budget_wait_until = now + max(retry, 0.001)
            for unit in due[:granted]:  # grants are for now: used at once (one a job no longer needs is spent)
                if isinstance(unit, list):
                    self._start_bulk(unit, now)
                elif not self._closed and unit.active and not unit.done and not unit.polling:
                    self._start(unit, now)

    def _take_due(self, now: float) -> list[TrackedJob | list[TrackedJob]]:
        """Take the jobs due now off the heap, one request each, as many requests as pacing and the in-flight
        cap allow: a job alone, or a due job of a bulk kind with its companions (a list, one request)."""
        allowance = 1 + int((now - max(self._next_start, now - CREDIT)) / self._spacing)
        allowance = min(allowance, self.max_in_flight - self._in_flight, MAX_BATCH)
        heap = self._heap
        due: list[TrackedJob | list[TrackedJob]] = []
        taken: set[TrackedJob] = set()
        while heap and len(due) < allowance and heap[0][0] <= now:
            due_at, _, job = heapq.heappop(heap)
            if due_at != job.due or job.polling or not job.active or job.done or job in taken:
                continue  # a stale entry (rescheduled since), or its poll in flight reschedules it when it ends
            taken.add(job)
            group = job.group
            if group is None or job.detail or group.rest_until > now:
                due.append(job)
                continue
            batch = self._companions(group, job, now, taken)
            due.append(batch if len(batch) > 1 else job)  # alone, its own poll costs as much and says more
        return due

    @staticmethod
    def _companions(group: _BulkGroup, job: TrackedJob, now: float, taken: set[TrackedJob]) -> list[TrackedJob]:
        """``job`` and up to ``max_ids - 1`` jobs of its group for one bulk request: the earliest due of those
        due within BULK_LOOKAHEAD of their interval, not polling and not waiting for a detail poll. Only the
        group's heap is read, from the top: O(k log n) for k companions."""
        batch = [job]
        heap = group.heap
        while heap and len(batch) < group.max_ids:
            due_at, _, other = heap[0]
            if due_at != other.due or other.polling or not other.active or other.done or other.detail or other in taken:
                heapq.heappop(heap)  # stale, or taken already: whoever needs it again is pushed again
                continue
            if due_at - now > BULK_LOOKAHEAD * (other.interval or 0.0) / other.transport.pool.time_scale:
                break  # the rest are due later still
            heapq.heappop(heap)
            taken.add(other)
            batch.append(other)
        return batch

    def _start(self, job: TrackedJob, now: float) -> None:
        self._count_start(now)
        job.polls += 1
        job.polling = True
        job.detail = False
        self._in_flight += 1
        self._spawn(self._poll(job, now))

    def _start_bulk(self, batch: list[TrackedJob], now: float) -> None:
        """One bulk request for the jobs of ``batch`` still waiting for it (one alone gets its own poll)."""
        jobs = [job for job in batch if job.active and not job.done and not job.polling and not job.detail]
        if self._closed or not jobs:
            return  # the grant is spent
        if len(jobs) == 1:
            self._start(jobs[0], now)
            return
        self._count_start(now)
        self.stats.bulk_polls += 1
        self.stats.jobs_in_bulk += len(jobs)
        for job in jobs:
            job.polls += 1
            job.polling = True
        self._in_flight += 1
        self._spawn(self._poll_bulk(jobs, now))

    def _count_start(self, now: float) -> None:
        """A request starts now: pacing and stats (one request, however many jobs it carries)."""
        starts = self._starts
        starts.append(now)
        while starts[0] <= now - 1.0:  # starts come in time order: the oldest leave first (no bisect of a deque)
            starts.popleft()
        self._next_start = max(self._next_start, now - CREDIT) + self._spacing
        self.stats.polls += 1
        if len(starts) > self.stats.max_per_second:
            self.stats.max_per_second = len(starts)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._polls.add(task)
        task.add_done_callback(self._polls.discard)

    def _window(self, now: float) -> float:
        """The sliding window asked for: WINDOW, widened by the recent slowest grant-to-answer time (decaying
        with LAG_HALF_LIFE). The budget is counted when a poll is granted but the API counts it when it
        arrives; a busy event loop or a slow server stretches that gap, and a wider window keeps the API's
        one-second count within the budget anyway (spending some of it, only while things are slow)."""
        return WINDOW + min(MAX_LAG, self._recent_lag(now))

    def _recent_lag(self, now: float) -> float:
        if self._lag <= 0.0:
            return 0.0
        decay: float = 0.5 ** ((now - self._lag_at) / LAG_HALF_LIFE)
        return self._lag * decay

    def _saw_lag(self, lag: float, now: float) -> None:
        if lag >= self._recent_lag(now):
            self._lag, self._lag_at = lag, now

    async def _poll(self, job: TrackedJob, granted_at: float) -> None:
        """One poll, in a task of its own."""
        try:
            data = await job.kind.fetch(job.transport, job.id)
        except Exception as exc:
            self._settle(job, granted_at, None, exc)
        except BaseException:  # cancelled (the scheduler is closing): only the bookkeeping
            self._settle(job, granted_at, None, None, cancelled=True)
            raise
        else:
            self._settle(job, granted_at, data, None)

    def _settle(
        self, job: TrackedJob, granted_at: float, data: Any, error: BaseException | None, *, cancelled: bool = False
    ) -> None:
        """What a poll's answer (``data``) or ``error`` means for its job; then the poll is over."""
        try:
            if cancelled or self._closed:
                pass
            elif error is None:
                try:
                    self._observe(job, data)
                except Exception as exc:  # an answer that cannot be read, even after it passed the envelope
                    if not job.done:
                        self._finish(job, None, exc)
            elif isinstance(error, RateLimitError):
                self._pause(error.retry_after, job.policy, (job,))
            elif isinstance(error, (APIConnectionError, APIResponseError, ServerError)):
                self.stats.errors += 1
                if job.active:
                    self._schedule(job, job.interval)  # a failed poll is not a verdict: try again later
            elif isinstance(error, APIError):  # 400/401/403/404...: waiting cannot succeed
                if isinstance(error, NotFoundError):
                    self._note(job, "not_found", done=True)  # HeyGen does not know the job: nobody adopts it
                self._finish(job, None, error)
            else:
                logger.error("polling %s %s failed", job.kind.name, job.id, exc_info=error)
                self._finish(job, None, error)
        finally:
            answered = time.monotonic()
            self._saw_lag(answered - granted_at, answered)
            job.polling = False
            self._in_flight -= 1
            poke = self._in_flight == self.max_in_flight - 1  # the loop may be waiting for a free place
            if job.soon and job.active and not job.done and not self._closed:
                job.soon = False
                self._due_for_detail(job)
                poke = True
            self._forget(job)
            if poke or not self._in_flight:
                self._poke()

    async def _poll_bulk(self, jobs: list[TrackedJob], granted_at: float) -> None:
        """One bulk request for ``jobs`` (one kind, one identity), in a task of its own."""
        group = jobs[0].group
        assert group is not None
        try:
            data = await group.bulk.fetch(jobs[0].transport, [job.id for job in jobs])
        except Exception as exc:
            self._settle_bulk(jobs, granted_at, None, exc)
        except BaseException:  # cancelled (the scheduler is closing): only the bookkeeping
            self._settle_bulk(jobs, granted_at, None, None, cancelled=True)
            raise
        else:
            self._settle_bulk(jobs, granted_at, data, None)

    def _settle_bulk(
        self,
        jobs: list[TrackedJob],
        granted_at: float,
        data: Any,
        error: BaseException | None,
        *,
        cancelled: bool = False,
    ) -> None:
        """What a bulk answer (``data``) or ``error`` means for each of its jobs; then the request is over. No
        error of a bulk request is a verdict on a job: only a job's own poll ends it."""
        try:
            if cancelled or self._closed:
                pass
            elif error is None:
                self._read_bulk(jobs, data)
            elif isinstance(error, RateLimitError):
                self._pause(error.retry_after, jobs[0].policy, jobs)
            elif isinstance(error, (APIConnectionError, APIResponseError, ServerError)):
                self._bulk_failed(jobs, error)
            else:  # 400/401/403/404...: the bulk route may not be open to these credentials
                self._bulk_refused(jobs, error)
        finally:
            answered = time.monotonic()
            self._saw_lag(answered - granted_at, answered)
            self._in_flight -= 1
            for job in jobs:
                job.polling = False
                if job.soon and job.active and not job.done and not self._closed:
                    job.soon = False
                    self._due_for_detail(job)
                self._forget(job)
            self._poke()

    def _read_bulk(self, jobs: list[TrackedJob], data: Any) -> None:
        group = jobs[0].group
        assert group is not None
        try:
            statuses = group.bulk.statuses(data)
            seen = [(job, statuses.get(job.id)) for job in jobs]  # only the ids asked for: nobody else's jobs
        except APIResponseError as exc:  # the answer as a whole cannot be read: no verdict
            self._bulk_failed(jobs, exc)
            return
        except Exception as exc:  # the kind's own reading failed: its jobs' own polls can still decide
            self._bulk_refused(jobs, exc)
            return
        group.failures = 0
        for job, status in seen:
            try:
                self._observe_in_bulk(job, status if isinstance(status, str) else None)
            except Exception as exc:  # as _settle: what cannot be handled ends the job, never the scheduler
                if not job.done:
                    self._finish(job, None, exc)

    def _observe_in_bulk(self, job: TrackedJob, status: str | None) -> None:
        """One job's status in a bulk answer. A running (or undocumented) status goes on as a poll's would:
        noted, told to ``on_change`` listeners, the cadence goes on. Anything that may end the job (success,
        failure, ``not_found``, no readable entry), or a new status someone wants a snapshot of (``on_status``
        listeners), is for the job's own detail poll, at once: a bulk entry is not a result."""
        kind = job.kind
        status = _kept(job, status)
        changed = status != job.status
        if (
            status is None
            or status == NOT_FOUND
            or status in kind.success
            or status in kind.failure
            or (changed and job.status_listeners)
        ):
            self._due_for_detail(job)
            return
        self._check_known(kind, status)
        if changed:
            job.status = status
            self._note(job, status, done=False)
            for listener in job.change_listeners or ():
                listener(job)
        if job.active:
            self._schedule(job, job.interval)

    def _bulk_failed(self, jobs: list[TrackedJob], error: BaseException) -> None:
        """A bulk request without a usable answer (5xx, lost, unreadable) is no verdict: its jobs are asked again
        on their cadence; after BULK_FAILURES such requests in a row, their group polls one by one for a while
        (the jobs' own detail route may still answer, and must not wait for the bulk route to recover)."""
        self.stats.errors += 1
        group = jobs[0].group
        if group is not None:
            group.failures += 1
            if group.failures >= BULK_FAILURES:
                group.failures = 0
                self._bulk_refused(jobs, error)
                return
        for job in jobs:
            if job.active and not job.done:
                self._schedule(job, job.interval)  # no answer: ask again on the cadence

    def _bulk_refused(self, jobs: list[TrackedJob], error: BaseException) -> None:
        """A bulk request refused with a 4xx, the last of BULK_FAILURES failed ones in a row, or whose answer the
        kind's own code failed to read: its jobs get their own polls at once, and their group polls one by one
        for BULK_REST. Said once per kind."""
        leader = jobs[0]
        kind_name = leader.kind.name
        if leader.group is not None:
            leader.group.rest_until = time.monotonic() + BULK_REST / leader.transport.pool.time_scale
        if kind_name not in self._refusal_logged:
            self._refusal_logged.add(kind_name)
            if isinstance(error, APIError):
                logger.warning(
                    "%s: a bulk status request failed (%s, HTTP %s); polling those jobs one by one for %g s",
                    kind_name,
                    type(error).__name__,
                    getattr(error, "status_code", None),
                    BULK_REST,
                )
            else:
                logger.error(
                    "%s: a bulk status request failed; polling those jobs one by one", kind_name, exc_info=error
                )
        for job in jobs:
            self._due_for_detail(job)

    async def _share_pause(self, pause: float) -> None:
        try:
            await self._state.pause_polls(pause)
        except Exception as exc:
            logger.warning("poll scheduler: could not share the 429 pause (%s)", exc)

    def _pause(self, retry_after: float | None, policy: PollPolicy, jobs: Iterable[TrackedJob]) -> None:
        """Collective back-off: the API said slow down, so every poll waits; the throttled request's ``jobs``
        are polled again after the pause (or when due, if later)."""
        pause = min(
            max(retry_after if retry_after is not None else policy.retry_after_floor, policy.retry_after_floor),
            policy.retry_after_ceiling,
        )
        self._paused_until = max(self._paused_until, time.monotonic() + pause)
        self.stats.pauses += 1
        logger.info("poll scheduler: HTTP 429, pausing every poll for %.1f s", pause)
        for job in jobs:
            if job.active and not job.done:
                job.due = max(job.due, self._paused_until)
                self._push(job)
        if self._state.shared:
            self._spawn(self._share_pause(pause))  # every process on the account waits too

    def _observe(self, job: TrackedJob, data: Any) -> None:
        kind = job.kind
        status = _kept(job, kind.status_of(data))
        changed = status != job.status
        job.status = status
        if status in kind.success or status in kind.failure:
            self._note(job, status, done=True)
            job.answer = None
            result = kind.structure(data)  # APIResponseError if the final answer is unreadable: the verdict
            self._finish(job, result, kind.failure_error(job, result) if status in kind.failure else None)
            return
        self._check_known(kind, status)
        if changed:
            self._note(job, status, done=False)
            job.result = None
            job.answer = _COMPACT_JSON.encode(data)
            if job.status_listeners and job.last_result() is not None:
                for listener in job.status_listeners:
                    listener(job)
            for listener in job.change_listeners or ():
                listener(job)
        if job.active:
            self._schedule(job, job.interval)

    def _check_known(self, kind: PollKind, status: str | None) -> None:
        """Say once per kind and value that a status is not one HeyGen documents (it counts as running)."""
        if status is not None and status not in kind.running and (kind.name, status) not in self._unknown_logged:
            self._unknown_logged.add((kind.name, status))
            logger.warning("%s status %r is not one HeyGen documents; treating it as still running", kind.name, status)

    def _finish(self, job: TrackedJob, result: Any, error: BaseException | None) -> None:
        """End ``job``. Status listeners hear only of a new answer; ending without one (a 404, the client
        closing) is news for the done listeners alone, so nobody sees the same snapshot twice. A job ends once."""
        if job.done:
            return
        job.done = True
        job.error = error
        if result is not None:
            job.result = result
            for listener in job.status_listeners or ():
                listener(job)
            for listener in job.change_listeners or ():
                listener(job)
        else:
            job.last_result()
        for listener in job.listeners or ():
            listener(job)

    # -- the job ledger --------------------------------------------------------------------------------------

    def _note(self, job: TrackedJob, status: str | None, *, done: bool) -> None:
        """Queue what a poll saw for the ledger; one task writes the queue in batches (newest status wins)."""
        if self._ledger is None:
            return
        update = JobUpdate(kind=job.kind.name, id=job.id, status=status, done=done)
        self._updates[(job.kind.name, job.id, job.transport.identity)] = (job.transport, update)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush(), name="heygen-job-ledger")

    async def _flush(self) -> None:
        ledger = self._ledger
        assert ledger is not None
        while self._updates:
            batch, self._updates = self._updates, {}
            try:
                await ledger.update_jobs(await _credited(ledger, batch.values()))
            except BaseException as exc:  # keep them (newer ones win): written again later, or at close
                for key, update in batch.items():
                    self._updates.setdefault(key, update)
                if not isinstance(exc, Exception):
                    raise
                logger.warning("job ledger: %d status update(s) could not be written (%s); retrying", len(batch), exc)
                await asyncio.sleep(1.0)

    async def _last_flush(self, flusher: asyncio.Task[None] | None) -> None:
        if flusher is not None:
            flusher.cancel()  # its retry pause would outlast the close; what it holds is written below
            await asyncio.gather(flusher, return_exceptions=True)
        if self._updates and self._ledger is not None:
            try:
                await self._ledger.update_jobs(await _credited(self._ledger, self._updates.values()))
                self._updates.clear()
            except Exception as exc:
                logger.warning("job ledger: writing status updates at close failed (%s)", exc)

    async def aclose(self) -> None:
        """Stop polling; everyone still waiting gets :class:`ClientClosedError`. Status updates not yet in the
        ledger are written first (bounded: 5 s, shielded)."""
        self._closed = True
        task, self._task = self._task, None
        for pending in [task, *self._polls]:
            if pending is not None:
                pending.cancel()
        await asyncio.gather(*[t for t in [task, *self._polls] if t is not None], return_exceptions=True)
        flusher, self._flusher = self._flusher, None
        if flusher is not None or self._updates:
            # Bounded (5 s) and finished even if the caller is cancelled meanwhile; that is raised afterwards.
            flushed, cancelled = await finish(self._last_flush(flusher), grace=5.0)
            if not flushed.done() or flushed.cancelled() or self._updates:
                logger.warning("job ledger: %d status update(s) lost at close", len(self._updates))
            self._updates.clear()
            if cancelled:
                raise asyncio.CancelledError
        closed = ClientClosedError("the client was closed while waiting for the job")
        for job in list(self._jobs.values()):
            if not job.done and job.watched:
                self._finish(job, None, closed)
        self._jobs.clear()
        self._identities.clear()
        self._groups.clear()
        self._heap.clear()
