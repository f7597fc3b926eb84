"""``client.jobs``: handles by kind, resumption, many jobs at once, batches, the ledger, and the webhook fast path."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from heygen_async._config import PollPolicy
from heygen_async._exceptions import ConfigurationError, HeyGenError, ValidationError
from heygen_async._state._protocol import JobRecord, JobUpdate, StateBackend

from ._batch import BatchItem, batch, deadline_of
from ._handle import Job
from ._kinds import KINDS_OF_EVENT, kind_named
from ._progress import JobProgress

if TYPE_CHECKING:
    from heygen_async._runtime import Runtime
    from heygen_async._transport._call import Transport

    from ._scheduler import PollScheduler, TrackedJob

__all__ = ["JobManager", "job_ids"]

logger = logging.getLogger("heygen_async")

R = TypeVar("R")
T = TypeVar("T")


class JobManager:
    """``client.jobs``: handles by kind, resumption, many jobs at once, batches, and the webhook fast path."""

    __slots__ = ("_runtime", "_transport")

    def __init__(self, transport: Transport, runtime: Runtime) -> None:
        self._transport = transport
        self._runtime = runtime

    def job(self, kind: str, job_id: str, *, policy: PollPolicy | None = None) -> Job[Any]:
        """A handle on an existing job of ``kind`` (``"video"``, ``"translation"``, ``"photo_generation"``,
        ``"training"``, ``"photo_avatar"``)."""
        return Job(kind_named(kind), job_id, self._transport, self._runtime, policy=policy)

    def resume(self, token: str) -> Job[Any]:
        """The job a resume token names (see :meth:`Job.resume`)."""
        return Job.from_token(self._transport, self._runtime, token)

    @property
    def scheduler(self) -> PollScheduler:
        return self._runtime.scheduler()

    # -- the shared job ledger ----------------------------------------------------------------------------------

    def _state(self) -> StateBackend:
        state = self._runtime.state
        if state is None:
            raise ConfigurationError("this client keeps no job ledger: pass state= (e.g. a RedisState) to HeyGenClient")
        return state

    async def recorded(self, *, open_only: bool = False) -> list[JobRecord]:
        """The job ledger of the client's state: every job submitted with this handle's credentials by any
        process sharing it (``open_only``: those not seen finished), with owner, owner liveness and last
        status; other tenants' jobs are not listed. Needs ``state=``."""
        state = self._state()
        credential = self._transport.ledger_credential(await state.credential_salt())
        return [record for record in await state.jobs(open_only=open_only) if record.credential == credential]

    async def adopt_orphans(self, *, limit: int = 1000) -> list[Job[Any]]:
        """Take over up to ``limit`` unfinished jobs submitted with this handle's credentials whose owner died
        (its lease ran out) and return handles on them: wait on them like your own (``as_completed``,
        ``wait_many``). Each job goes to exactly one adopter; its status updates go to the ledger as it is
        polled. Other tenants' jobs are left for an adopter with their credentials. Needs ``state=``."""
        state = self._state()
        credential = self._transport.ledger_credential(await state.credential_salt())
        records = await state.adopt_jobs(limit=limit, credential=credential)
        handles: list[Job[Any]] = []
        unusable: list[JobUpdate] = []
        for record in records:
            try:
                handles.append(Job.from_token(self._transport, self._runtime, record.resume_token))
            except ValidationError as exc:  # recorded by a client of another base URL: say so, keep going
                logger.error("job ledger: adopted %s %s cannot be resumed here: %s", record.kind, record.id, exc)
                unusable.append(
                    JobUpdate(kind=record.kind, id=record.id, status="not_resumable", done=True, credential=credential)
                )
        if unusable:  # closed in the ledger, so no worker adopts them again and again
            await state.update_jobs(unusable)
        return handles

    @property
    def expect_webhooks(self) -> bool:
        """While True, polling drops to each policy's slow ``webhook_interval``: fed webhooks do the waking."""
        return self.scheduler.expect_webhooks

    @expect_webhooks.setter
    def expect_webhooks(self, value: bool) -> None:
        self.scheduler.expect_webhooks = bool(value)

    def feed(self, event: Any) -> bool:
        """Hand a verified webhook event to the client: the matching waiter is answered at once.

        ``event`` is the delivery's JSON (``{"event_type" or "event": ..., "event_data": {...}}``) or any object
        with ``event_type`` and ``event_data`` attributes. Returns whether a tracked job matched; the job is
        polled immediately (within the budget) so its waiters get the full, final result.
        """
        event_type = getattr(event, "event_type", None)
        data = getattr(event, "event_data", None)
        if isinstance(event, Mapping):
            event_type = event.get("event_type") or event.get("event")
            data = event.get("event_data")
        kinds = KINDS_OF_EVENT.get(event_type, ()) if isinstance(event_type, str) else ()
        if not isinstance(data, Mapping):
            return False
        woken = False
        for kind in kinds:  # an event may concern a legacy or a v3 job: wake whichever is tracked
            job_id = data.get(kind.event_id) or data.get("id")
            if isinstance(job_id, str) and self.scheduler.poll_soon(kind.name, job_id):
                woken = True
        return woken

    async def as_completed(
        self,
        jobs: Iterable[Job[R]],
        *,
        timeout: float | None = None,
        on_progress: Callable[[JobProgress], None] | None = None,
    ) -> AsyncGenerator[Job[R], None]:
        """Each job's handle as it finishes (its ``result()`` returns or raises); at the deadline, the handles
        still running are yielded too, their ``result()`` raising :class:`PollTimeout`.

        ``on_progress`` gets a :class:`JobProgress` (counts by state, each job's last status) at the start, on
        every status change and before each handle is yielded; it runs in the iterating task, so what it
        raises ends the iteration. A handle is let go once yielded: ten thousand finished results are not held
        until the iteration ends.
        """
        deadline = deadline_of(timeout)
        jobs = _handles(jobs)
        # Finished records, and None for "a status changed" (only queued while on_progress wants to hear it).
        queue: asyncio.Queue[TrackedJob | None] = asyncio.Queue()
        callback = queue.put_nowait  # one listener for every record (kept: unlisten compares by identity)
        # The unfinished records and their handles: usually one (no list), several when an id repeats.
        pending: dict[TrackedJob, Job[R] | list[Job[R]]] = {}
        progress = None if on_progress is None else JobProgress()
        changed: set[TrackedJob] = set()

        def status_changed(record: TrackedJob) -> None:
            # Runs inside the poll scheduler: only note it; the iterating task updates and calls back. It needs
            # the new status alone (an on_change listener), which a bulk status answer gives without a detail poll.
            if not changed:
                queue.put_nowait(None)
            changed.add(record)

        on_status = None if on_progress is None else status_changed

        def report_changes() -> None:
            assert progress is not None
            assert on_progress is not None
            for record in list(changed):
                for handle in _each(pending.get(record, [])):
                    progress.update(handle)
            changed.clear()
            on_progress(progress)

        def let_go(record: TrackedJob, *, yielded: bool = True) -> list[Job[R]]:
            handles = _each(pending.pop(record, []))
            record.unlisten(callback, None, on_status)
            changed.discard(record)
            for handle in handles:
                handle._release()
                if progress is not None and yielded:  # not when the caller stops early: those still run
                    progress.ended(handle)
            return handles

        try:
            for handle in jobs:
                record = handle._track()
                known = pending.get(record)
                if known is not None:
                    pending[record] = [*known, handle] if isinstance(known, list) else [known, handle]
                    continue
                pending[record] = handle
                if progress is not None:
                    progress.update(handle)
                if record.done:
                    queue.put_nowait(record)
                else:
                    record.listen(callback, None, on_status)
            del jobs  # the caller's list, if it was one made for this call, goes with the handles
            if on_progress is not None:
                report_changes()
            while pending:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    if not queue.empty() and remaining != 0.0:
                        item = queue.get_nowait()  # no wait_for (a task each) while results are queued
                    else:
                        item = await asyncio.wait_for(queue.get(), remaining)
                except asyncio.TimeoutError:
                    # Decide the rest in one step (nothing can be queued while they are yielded): the ones
                    # that finished just now, then the unfinished, whose result() raises PollTimeout.
                    finished = [queue.get_nowait() for _ in range(queue.qsize())]
                    rest = [handle for record in finished if record is not None for handle in let_go(record)]
                    rest += [handle for record in list(pending) for handle in let_go(record)]
                    if on_progress is not None:
                        report_changes()
                    for handle in rest:
                        yield handle
                    return
                if item is None:
                    if changed:  # else a finish has reported it already
                        report_changes()
                    continue
                handles = let_go(item)
                if on_progress is not None and handles:
                    report_changes()
                for handle in handles:
                    yield handle
        finally:
            for record in list(pending):
                let_go(record, yielded=False)

    async def wait_many(
        self, jobs: Iterable[Job[R]], *, timeout: float | None = None, return_exceptions: bool = False
    ) -> list[Any]:
        """Every job's result, in the order given (like ``asyncio.gather``): the first failure is raised as soon
        as it is seen (the other jobs go on at HeyGen; only the waiting stops), or with
        ``return_exceptions=True`` each failure takes its place in the list. At the deadline the first job
        still running raises :class:`PollTimeout` (or takes its place, with ``return_exceptions``)."""
        handles = _handles(jobs)
        async for handle in self.as_completed(handles, timeout=timeout):
            if not return_exceptions and not handle.done:
                break  # the deadline: report the first unfinished job in input order, below
            if not return_exceptions:
                handle.result()  # raises the failure now, gather-like
        results: list[Any] = []
        for handle in handles:
            try:
                results.append(handle.result())
            except HeyGenError as exc:
                if not return_exceptions:
                    raise
                results.append(exc)
        return results

    def batch(
        self,
        inputs: Iterable[T],
        submit: Callable[[T], Awaitable[str]],
        *,
        kind: str,
        concurrency: int = 3,
        timeout: float | None = None,
    ) -> AsyncGenerator[BatchItem[T], None]:
        """Submit ``inputs`` with ``submit`` (returning each job's id), at most ``concurrency`` unfinished at once
        (HeyGen plans render only a few at a time; more would just queue), and yield each as it ends.

        Nothing is lost: a submission that fails is yielded with its error (``ambiguous`` when it may have
        created a job), a job that fails with its :class:`JobFailed`; ``BatchSummary.of(items)`` counts them.

        With a shared ``state`` on the client, ``concurrency`` is account-wide: each job holds a slot of the
        state's cap (``"renders"`` for videos) from before its submission until it ends, so every process
        sharing the state together keeps at most ``concurrency`` unfinished. A dead process's slots are freed
        when its lease runs out.
        """
        return batch(
            self._transport, self._runtime, inputs, submit, kind=kind, concurrency=concurrency, timeout=timeout
        )


def job_ids(ids: Any) -> Iterable[Any]:
    """Many job ids; a lone string is one id, not many characters, so it is refused."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise ValidationError(
            f"expected an iterable of job ids, got {type(ids).__name__} (a single id? wrap it in a list)",
            parameter="ids",
        )
    return ids


def _handles(jobs: Any) -> list[Job[Any]]:
    """``jobs`` as a list of Job handles; a string (one id, not many) or anything else is refused."""
    if isinstance(jobs, (str, bytes)) or not isinstance(jobs, Iterable):
        raise ValidationError(
            f"expected an iterable of job handles, got {type(jobs).__name__} (a single id? wrap it in a list)",
            parameter="jobs",
        )
    handles = list(jobs)
    for handle in handles:
        if not isinstance(handle, Job):
            raise ValidationError(f"expected Job handles, got {type(handle).__name__}", parameter="jobs")
    return handles


def _each(handles: Job[R] | list[Job[R]]) -> list[Job[R]]:
    return handles if isinstance(handles, list) else [handles]
