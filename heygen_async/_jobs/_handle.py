"""The :class:`Job` handle: one HeyGen job to await, watch, or hand to another process.

A :class:`Job` names one HeyGen job (a render, a translation, a photo generation, a group's training, a
motion or upscaled photo avatar). It is awaitable (``video = await client.videos.job(video_id)``), ``wait()``
takes a deadline in seconds and an ``on_status`` callback, ``watch()`` yields each status change, and its
``resume_token`` (versioned JSON, never the API token) lets another process pick it up with
:meth:`Job.resume`. Every waiter rides on the client's one :class:`~heygen_async._jobs._scheduler.PollScheduler`;
cancelling a waiter stops watching, never the job.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from heygen_async._config import USE_CLIENT_DEFAULT, OrDefault, PollPolicy
from heygen_async._exceptions import JobError, JobFailed, PollTimeout, ValidationError

from ._kinds import KINDS, JobKind
from ._tokens import read_token, resume_token

if TYPE_CHECKING:
    from heygen_async._runtime import ClientHandle, Runtime
    from heygen_async._transport._call import Transport

    from ._scheduler import TrackedJob

__all__ = ["Job"]

R = TypeVar("R")

_END: Final = object()


class Job(Generic[R]):
    """A handle on one HeyGen job. ``await job`` is ``await job.wait()``."""

    __slots__ = ("_record", "_runtime", "_transport", "id", "idempotency_key", "kind", "policy", "submitted_at")

    def __init__(
        self,
        kind: JobKind,
        job_id: str,
        transport: Transport,
        runtime: Runtime,
        *,
        submitted_at: float | None = None,
        policy: PollPolicy | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        if not isinstance(job_id, str) or not job_id.strip():
            raise ValidationError(
                f"a {kind.label.lower()} id must be a non-empty string, got {job_id!r}", parameter="job_id"
            )
        endpoint = kind.status_endpoint
        if endpoint.api == "v3":  # polled through the gateway, it would only ever time out
            from heygen_async._resources._base import check_v3_served

            check_v3_served(transport, endpoint)
        endpoint.route.check_path_values({p.name: job_id for p in endpoint.params})
        self.kind = kind
        self.id = job_id
        self._transport = transport
        self._runtime = runtime
        self.submitted_at = submitted_at
        """When the job was submitted (epoch seconds), or None if not known: a wait then polls at once."""
        self.policy = policy
        self.idempotency_key = idempotency_key
        """The ``Idempotency-Key`` its (v3) create was sent with, when known: sending that create again with it
        gets this job back instead of making another (HeyGen replays the first answer for 24 hours)."""
        self._record: TrackedJob | None = None

    def __repr__(self) -> str:
        return f"<Job {self.kind.name} {self.id} status={self.status!r}>"

    # -- identity and resumption ----------------------------------------------------------------------------

    @property
    def resume_token(self) -> str:
        """Versioned JSON naming the job (kind, id, submitted_at, base URL, and a v3 create's Idempotency-Key);
        never the API token."""
        return resume_token(self.kind.name, self.id, self._transport, self.submitted_at, self.idempotency_key)

    @classmethod
    def resume(cls, client: ClientHandle, token: str) -> Job[Any]:
        """The job a :attr:`resume_token` names, on ``client`` (which must talk to the same base URL)."""
        return cls.from_token(client._transport, client._runtime, token)

    @classmethod
    def from_token(cls, transport: Transport, runtime: Runtime, token: str) -> Job[Any]:
        """:meth:`resume` for a client's transport and runtime; a bad token is a :class:`ValidationError`."""
        named = read_token(token, transport, KINDS)
        return cls(
            KINDS[named.kind],
            named.id,
            transport,
            runtime,
            submitted_at=named.submitted_at,
            idempotency_key=named.idempotency_key,
        )

    # -- state ---------------------------------------------------------------------------------------------

    @property
    def status(self) -> str | None:
        """The last status seen (lower case), or None before the first poll answers."""
        return None if self._record is None else self._record.status

    @property
    def done(self) -> bool:
        return self._record is not None and self._record.done

    def result(self) -> R:
        """The finished result, or the job's error raised (for handles ``as_completed`` yields)."""
        record = self._record
        if record is None or not record.done:
            if record is not None and record.error is not None:
                raise copy.copy(record.error)
            raise PollTimeout(
                f"{self.kind.label} {self.id} has not finished",
                last_status=self.status,
                last_result=self._last_result(),
                kind=self.kind.name,
                job_id=self.id,
                resume_token=self.resume_token,
            )
        if record.error is not None:
            error = copy.copy(record.error)
            if isinstance(error, JobError):
                error.resume_token = self.resume_token
            raise error
        result: R = record.result
        return result

    # -- waiting ---------------------------------------------------------------------------------------------

    def _track(self) -> TrackedJob:
        scheduler = self._runtime.scheduler()
        policy = self.policy or self._transport.options.poll_policy or self.kind.policy
        age = None if self.submitted_at is None else max(0.0, time.time() - self.submitted_at)
        self._record = scheduler.track(self.kind, self.id, self._transport, policy, age=age)
        return self._record

    def _release(self) -> None:
        runtime = self._runtime
        if self._record is not None and not runtime.closed:  # cleanup never raises: a closed pool polls nothing
            runtime.scheduler().release(self._record)

    def _seconds(self, timeout: OrDefault[float | None]) -> float | None:
        """The wait's limit in seconds: the kind's default, a number, or None (no deadline)."""
        seconds = self.kind.timeout if timeout is USE_CLIENT_DEFAULT else timeout
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf")
        ):
            raise ValidationError(
                f"timeout must be a number of seconds >= 0 or None, got {seconds!r}", parameter="timeout"
            )
        return seconds

    def _last_result(self) -> Any:
        """The last answer seen, as a :class:`PollTimeout` may hold it: scrubbed of any credential it echoes."""
        record = self._record
        last = None if record is None else record.last_result()
        return None if last is None else self.kind.scrubbed(last, self._transport.redactor)

    def _timed_out(self, seconds: float | None) -> PollTimeout:
        return PollTimeout(
            f"{self.kind.label} {self.id} did not finish within {seconds or 0:g} s ({_last_status(self.status)}); "
            "the job goes on: resume it with its resume_token",
            last_status=self.status,
            last_result=self._last_result(),
            kind=self.kind.name,
            job_id=self.id,
            resume_token=self.resume_token,
        )

    def __await__(self) -> Generator[Any, None, R]:
        return self.wait().__await__()

    async def wait(
        self,
        *,
        timeout: OrDefault[float | None] = USE_CLIENT_DEFAULT,
        on_status: Callable[[R], Awaitable[None] | None] | None = None,
    ) -> R:
        """The finished result; raises the kind's :class:`JobFailed` or :class:`PollTimeout` at the deadline
        (default: the kind's, e.g. an hour for a render). ``on_status`` sees each status change."""
        seconds = self._seconds(timeout)
        record = self._track()
        if record.done:
            self._release()
            return self.result()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        callbacks: set[asyncio.Future[Any]] = set()

        def finished(_: TrackedJob) -> None:
            if not future.done():
                future.set_result(None)

        def failed(error: BaseException) -> None:
            if not future.done():
                future.set_exception(error)

        def callback_done(task: asyncio.Future[Any]) -> None:
            callbacks.discard(task)
            error = None if task.cancelled() else task.exception()
            if error is not None:
                failed(error)

        def changed(job: TrackedJob) -> None:
            # Runs inside the scheduler: the callback's error is this wait's, never the scheduler's.
            assert on_status is not None
            try:
                outcome = on_status(job.result)
                if inspect.isawaitable(outcome):
                    task = asyncio.ensure_future(outcome)
                    callbacks.add(task)
                    task.add_done_callback(callback_done)
            except Exception as exc:
                failed(exc)

        status_listener = changed if on_status is not None else None
        record.listen(finished, status_listener)
        completed = False
        try:
            try:
                await asyncio.wait_for(future, seconds)
            except asyncio.TimeoutError:
                raise self._timed_out(seconds) from None
            if callbacks:
                await asyncio.gather(*callbacks)  # every on_status has run (and its error is raised) first
            completed = True
        finally:
            record.unlisten(finished, status_listener)
            self._release()
            if not completed:
                for task in list(callbacks):
                    task.cancel()
        return self.result()

    async def watch(self, *, timeout: OrDefault[float | None] = USE_CLIENT_DEFAULT) -> AsyncGenerator[R, None]:
        """Each status change as a result snapshot, the final one included; then the iteration ends.

        A failed job's final snapshot shows the failure (nothing is raised); an error that ends the watch
        without an answer (a 404, the client closing) is raised, and so is :class:`PollTimeout`.
        """
        seconds = self._seconds(timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        record = self._track()
        queue: asyncio.Queue[Any] = asyncio.Queue()

        def changed(job: TrackedJob) -> None:
            queue.put_nowait(job.result)

        def finished(_: TrackedJob) -> None:
            queue.put_nowait(_END)

        if record.done:
            queue.put_nowait(record.result)
            queue.put_nowait(_END)
        else:
            record.listen(finished, changed)
        try:
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    item = await asyncio.wait_for(queue.get(), remaining)
                except asyncio.TimeoutError:
                    raise self._timed_out(seconds) from None
                if item is _END:
                    if record.error is not None and not isinstance(record.error, JobFailed):
                        raise copy.copy(record.error)
                    return
                if item is not None:
                    yield item
        finally:
            record.unlisten(finished, changed)
            self._release()


def _last_status(status: str | None) -> str:
    return "no status seen yet" if status is None else f"last status {status!r}"
