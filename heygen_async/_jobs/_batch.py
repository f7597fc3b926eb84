"""Batches: many submissions, at most ``concurrency`` jobs unfinished at once, every input accounted for.

A submission that fails is reported with its error (``ambiguous`` when it may have created a job), a job
that fails with its :class:`~heygen_async.JobFailed`; at the deadline running jobs come back with
:class:`~heygen_async.PollTimeout` and inputs never sent with :class:`~heygen_async.NotSubmitted`.
:class:`BatchSummary` counts them. With a shared state, the concurrency is account-wide.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from heygen_async._exceptions import HeyGenError, NotSubmitted, PollTimeout, ValidationError
from heygen_async._shield import finish
from heygen_async._state._protocol import StateBackend, wait_for_slot
from heygen_async._transport._call import may_have_been_processed

from ._handle import Job
from ._kinds import kind_named

if TYPE_CHECKING:
    from heygen_async._runtime import Runtime
    from heygen_async._transport._call import Transport

    from ._scheduler import TrackedJob

__all__ = ["BatchItem", "BatchSummary", "batch", "deadline_of"]

logger = logging.getLogger("heygen_async")

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class BatchItem(Generic[T]):
    """One input of a batch and how it ended: ``result`` or ``error``, never neither.

    ``ambiguous`` means the submission may have reached HeyGen although no job id came back (a create is never
    retried then): check before submitting it again.
    """

    index: int
    input: T
    job_id: str | None = None
    result: Any = None
    error: BaseException | None = None
    ambiguous: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.frozen(kw_only=True)
class BatchSummary:
    """Every input accounted for: ``succeeded + failed + ambiguous + timed_out + not_submitted == total``.

    ``timed_out`` jobs still run at HeyGen (resume them with their tokens); ``not_submitted`` inputs were never
    sent and can be submitted again; ``ambiguous`` ones may or may not have created a job.
    """

    total: int
    succeeded: int
    failed: int
    ambiguous: int
    timed_out: int = 0
    not_submitted: int = 0

    @classmethod
    def of(cls, items: Iterable[BatchItem[Any]]) -> BatchSummary:
        counts = {"succeeded": 0, "failed": 0, "ambiguous": 0, "timed_out": 0, "not_submitted": 0}
        total = 0
        for item in items:
            total += 1
            if item.ok:
                counts["succeeded"] += 1
            elif item.ambiguous:
                counts["ambiguous"] += 1
            elif isinstance(item.error, PollTimeout):
                counts["timed_out"] += 1
            elif isinstance(item.error, NotSubmitted):
                counts["not_submitted"] += 1
            else:
                counts["failed"] += 1
        return cls(total=total, **counts)


_CAPS: Final = {"video": "renders"}
"""The shared cap each job kind's batches count against (others: ``<kind>_jobs``)."""


async def _release_slot(state: StateBackend, cap: str, tag: str) -> None:
    try:
        await state.release_slot(cap, tag=tag)
    except Exception as exc:  # it is freed when this process's lease runs out
        logger.warning("could not give a %s slot back (%s); it is freed when this process's lease runs out", cap, exc)


def _not_submitted(index: int, timeout: float | None) -> NotSubmitted:
    return NotSubmitted(
        f"input {index} was not submitted: the batch's {timeout or 0:g} s deadline passed first", index=index
    )


async def batch(
    transport: Transport,
    runtime: Runtime,
    inputs: Iterable[T],
    submit: Callable[[T], Awaitable[str]],
    *,
    kind: str,
    concurrency: int = 3,
    timeout: float | None = None,
) -> AsyncGenerator[BatchItem[T], None]:
    """What :meth:`JobManager.batch <heygen_async.JobManager.batch>` yields (see there), through ``transport``."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError(f"concurrency must be a whole number >= 1, got {concurrency!r}", parameter="concurrency")
    job_kind = kind_named(kind)
    deadline = deadline_of(timeout)
    pending = iter(enumerate(inputs))
    running: dict[int, tuple[T, Job[Any], Callable[[TrackedJob], None]]] = {}
    finished: asyncio.Queue[int] = asyncio.Queue()
    state = runtime.state
    cap = _CAPS.get(job_kind.name, f"{job_kind.name}_jobs")
    slots: dict[int, str] = {}  # index -> the tag of the shared-cap slot it holds
    releases: set[asyncio.Task[None]] = set()

    def give_back(index: int) -> None:
        tag = slots.pop(index, None)
        if tag is not None and state is not None:
            task = asyncio.get_running_loop().create_task(_release_slot(state, cap, tag))
            releases.add(task)
            task.add_done_callback(releases.discard)

    def ended(index: int) -> Callable[[TrackedJob], None]:
        def callback(_: TrackedJob) -> None:
            finished.put_nowait(index)
            give_back(index)  # at once: this process may be waiting for a slot, not reading the queue

        return callback

    def let_go(index: int) -> tuple[T, Job[Any]]:
        item, job, callback = running.pop(index)
        if job._record is not None:
            job._record.unlisten(callback, None)
        job._release()
        give_back(index)
        return item, job

    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < concurrency:
                if deadline is not None and time.monotonic() >= deadline:
                    break  # nothing is submitted after the deadline
                try:
                    index, item = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                if state is not None:
                    tag = f"{state.owner}:{secrets.token_hex(6)}"
                    slots[index] = tag
                    if not await wait_for_slot(state, cap, limit=concurrency, tag=tag, deadline=deadline):
                        slots.pop(index)
                        yield BatchItem(index=index, input=item, error=_not_submitted(index, timeout))
                        break  # the deadline passed waiting for the account's cap
                try:
                    job_id = await submit(item)
                except HeyGenError as exc:
                    give_back(index)
                    yield BatchItem(index=index, input=item, error=exc, ambiguous=may_have_been_processed(exc))
                    continue
                try:
                    job: Job[Any] = Job(job_kind, job_id, transport, runtime, submitted_at=time.time())
                except ValidationError as exc:  # submitted, but no usable id came back: a job may exist
                    give_back(index)
                    yield BatchItem(index=index, input=item, error=exc, ambiguous=True)
                    continue
                callback = ended(index)
                running[index] = (item, job, callback)
                record = job._track()
                if record.done:
                    finished.put_nowait(index)
                else:
                    record.listen(callback, None)
            if not running and exhausted:
                return
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                if not running:
                    raise asyncio.TimeoutError  # the deadline passed while submitting
                index = (
                    finished.get_nowait() if not finished.empty() else await asyncio.wait_for(finished.get(), remaining)
                )
            except asyncio.TimeoutError:
                for index in sorted(running):
                    item, job = let_go(index)
                    yield BatchItem(index=index, input=item, job_id=job.id, error=job._timed_out(timeout))
                for index, item in pending:
                    yield BatchItem(index=index, input=item, error=_not_submitted(index, timeout))
                return
            if index not in running:
                continue  # already yielded (a record can only end once; this is belt and braces)
            item, job = let_go(index)
            try:
                yield BatchItem(index=index, input=item, job_id=job.id, result=job.result())
            except HeyGenError as exc:
                yield BatchItem(index=index, input=item, job_id=job.id, error=exc)
    finally:
        for index in list(running):
            let_go(index)
        for index in list(slots):
            give_back(index)
        if releases:  # bounded, and finished even if the batch's consumer is cancelled meanwhile
            _, cancelled = await finish(asyncio.gather(*releases, return_exceptions=True), grace=5.0)
            if cancelled:
                raise asyncio.CancelledError


def deadline_of(timeout: Any) -> float | None:
    """The monotonic deadline of a ``timeout`` in seconds (None: no deadline); a bad value is refused."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout < float("inf"):
        raise ValidationError(f"timeout must be a number of seconds >= 0 or None, got {timeout!r}", parameter="timeout")
    return time.monotonic() + timeout
