"""Long-running jobs: what each kind looks like, the :class:`Job` handle, and ``client.jobs``.

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
import functools
import inspect
import json
import logging
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from heygen_async._config import USE_CLIENT_DEFAULT, OrDefault
from heygen_async._exceptions import (
    ConfigurationError,
    HeyGenError,
    JobError,
    JobFailed,
    NotSubmitted,
    PhotoAvatarFailed,
    PhotoGenerationFailed,
    PollTimeout,
    TrainingFailed,
    TranslationFailed,
    ValidationError,
    VideoFailed,
)
from heygen_async._models import PhotoAvatar, PhotoGeneration, Training, Translation, Video
from heygen_async._resources._base import SUBMITTING, Resource
from heygen_async._shield import finish
from heygen_async._spec._table import ENDPOINTS_BY_NAME
from heygen_async._spec._types import Endpoint
from heygen_async._state._protocol import JobRecord, JobUpdate, StateBackend, wait_for_slot
from heygen_async._transport._call import may_have_been_processed

from ._progress import JobProgress
from ._scheduler import PollPolicy, PollScheduler, TrackedJob

if TYPE_CHECKING:
    from heygen_async._client import HeyGenClient
    from heygen_async._transport._call import Transport

__all__ = ["KINDS", "BatchItem", "BatchSummary", "Job", "JobKind", "JobManager", "record_submission"]

logger = logging.getLogger("heygen_async")

R = TypeVar("R")
T = TypeVar("T")
TOKEN_VERSION: Final = 1
_END: Final = object()


@attrs.frozen(kw_only=True)
class JobKind:
    """One kind of long-running job: how to ask for its status and how to read the answer.

    ``success``/``failure``/``running`` are the status values (lower case) that end it well, end it badly, or
    mean it goes on; any other value counts as running and is logged once. ``timeout`` is the default
    deadline of a wait, in seconds; ``policy`` the default cadence; ``events`` the webhook events that
    concern it, and ``event_id`` the key of the job's id in their ``event_data``.
    """

    name: str
    label: str
    endpoint: str
    result: type[Any]
    success: frozenset[str]
    failure: frozenset[str]
    running: frozenset[str]
    error: type[JobFailed]
    timeout: float
    policy: PollPolicy
    events: tuple[str, ...]
    event_id: str
    reason: Callable[[Any], str | None]

    @property
    def status_endpoint(self) -> Endpoint:
        return ENDPOINTS_BY_NAME[self.endpoint]

    async def fetch(self, transport: Transport, job_id: str) -> Any:
        """One status call through aiohttp, not retried: the scheduler's cadence is the retry."""
        endpoint = self.status_endpoint
        (param,) = endpoint.params
        if param.location == "path":
            return await transport.call(endpoint.route, path_values={param.name: job_id}, max_retries=0)
        return await transport.call(endpoint.route, query=[(param.name, job_id)], max_retries=0)

    def start_poll(self, transport: Transport, job_id: str, done: Callable[[Any, BaseException | None], None]) -> None:
        """:meth:`fetch` without a task, over the lean poll path: ``done(data, error)`` is called later."""
        endpoint = self.status_endpoint
        (param,) = endpoint.params
        if param.location == "path":
            transport.start_poll(endpoint.route, {param.name: job_id}, (), done)
        else:
            transport.start_poll(endpoint.route, {}, [(param.name, job_id)], done)

    def status_of(self, data: Any) -> str | None:
        """The answer's status, lower case; a documented value is the shared constant (no string per poll)."""
        status = data.get("status") if isinstance(data, Mapping) else None
        if not isinstance(status, str):
            return None
        return self._known.get(status) or self._known.get(lowered := status.lower()) or lowered

    @functools.cached_property
    def _known(self) -> dict[str, str]:
        return {value: value for value in (*self.success, *self.failure, *self.running)}

    def structure(self, data: Any) -> Any:
        return Resource._structure(self.status_endpoint, self.result, data)

    def failure_error(self, job: TrackedJob, result: Any) -> JobFailed:
        reason = self.reason(result)
        if reason:  # HeyGen's words, which may echo what it was sent
            reason = job.transport.redactor.text(reason)
        return self.error(
            f"{self.label} {job.id} failed" + (f": {reason}" if reason else ""),
            result=result,
            reason=reason,
            kind=self.name,
            job_id=job.id,
            resume_token=_token(self, job.id, job.transport, None),
        )


def _video_reason(video: Video) -> str | None:
    error = video.error
    if error is None:
        return None
    parts = [str(part) for part in (error.code, error.message, error.detail) if part]
    if len(parts) == 3 and parts[2].startswith(parts[1]):
        del parts[1]  # the detail repeats the message and adds to it
    return " ".join(parts) or None


KINDS: Final[dict[str, JobKind]] = {
    kind.name: kind
    for kind in (
        JobKind(
            name="video",
            label="Video",
            endpoint="videos.status",
            result=Video,
            success=frozenset({"completed"}),
            failure=frozenset({"failed"}),
            running=frozenset({"waiting", "pending", "processing"}),
            error=VideoFailed,
            timeout=3600.0,
            policy=PollPolicy(first_poll=5.0, max_interval=30.0),
            events=("avatar_video.success", "avatar_video.fail", "avatar_video_gif.success", "avatar_video_gif.fail"),
            event_id="video_id",
            reason=_video_reason,
        ),
        JobKind(
            name="translation",
            label="Translation",
            endpoint="translations.status",
            result=Translation,
            success=frozenset({"success"}),
            failure=frozenset({"failed"}),
            running=frozenset({"pending", "running"}),
            error=TranslationFailed,
            timeout=2 * 3600.0,
            policy=PollPolicy(first_poll=15.0, max_interval=60.0),
            events=("video_translate.success", "video_translate.fail"),
            event_id="video_translate_id",
            reason=lambda t: t.message,
        ),
        JobKind(
            name="photo_generation",
            label="Photo generation",
            endpoint="photo_avatars.generation_status",
            result=PhotoGeneration,
            success=frozenset({"success"}),
            failure=frozenset({"failed"}),
            running=frozenset({"in_progress", "pending"}),
            error=PhotoGenerationFailed,
            timeout=900.0,
            policy=PollPolicy(first_poll=3.0, max_interval=15.0),
            events=("photo_avatar_generation.success", "photo_avatar_generation.fail"),
            event_id="generation_id",
            reason=lambda g: g.msg,
        ),
        JobKind(
            name="training",
            label="Training of group",
            endpoint="photo_avatars.training_status",
            result=Training,
            success=frozenset({"ready"}),
            failure=frozenset({"failed"}),
            running=frozenset({"pending", "training", "in_progress"}),
            error=TrainingFailed,
            timeout=3600.0,
            policy=PollPolicy(first_poll=10.0, max_interval=60.0),
            events=("photo_avatar_train.success", "photo_avatar_train.fail"),
            event_id="group_id",
            reason=lambda t: t.error_msg,
        ),
        JobKind(
            name="photo_avatar",
            label="Photo avatar",
            endpoint="photo_avatars.get",
            result=PhotoAvatar,
            success=frozenset({"completed"}),
            failure=frozenset({"failed"}),
            running=frozenset({"pending", "processing"}),
            error=PhotoAvatarFailed,
            timeout=1800.0,
            policy=PollPolicy(first_poll=5.0, max_interval=30.0),
            events=("photo_avatar_add_motion.success", "photo_avatar_add_motion.fail"),
            event_id="id",
            reason=lambda _: None,
        ),
    )
}
_KIND_OF_EVENT: Final = {event: kind for kind in KINDS.values() for event in kind.events}


def _resume(transport: Transport, token: str) -> Job[Any]:
    try:
        data = json.loads(token)
    except (TypeError, ValueError):
        raise ValidationError("the resume token is not JSON", parameter="token") from None
    if not isinstance(data, dict) or data.get("heygen_async_job") != TOKEN_VERSION:
        raise ValidationError(f"not a version-{TOKEN_VERSION} heygen_async resume token", parameter="token")
    kind_name = data.get("kind")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        raise ValidationError(f"the resume token names an unknown job kind {data.get('kind')!r}", parameter="token")
    # Tokens hold the base URL as shown (credentials masked; older ones as given): compare shown with shown.
    theirs = data.get("base_url")
    theirs = transport.shown_url(theirs) if isinstance(theirs, str) else theirs
    if theirs != transport.shown_base_url:
        raise ValidationError(
            f"the resume token is for {theirs!r}, this client talks to {transport.shown_base_url!r}", parameter="token"
        )
    submitted = data.get("submitted_at")
    job_id = data.get("id")
    if not isinstance(job_id, str):
        raise ValidationError("the resume token names no job id", parameter="token")
    return Job(kind, job_id, transport, submitted_at=submitted if isinstance(submitted, (int, float)) else None)


async def record_submission(transport: Transport, endpoint: str, arguments: Mapping[str, Any], result: Any) -> None:
    """Put the job ``endpoint`` just started into the shared job ledger, with its resume token.

    The job exists at HeyGen already: if the ledger cannot be written, this logs (with the resume token, which
    holds no secret) and returns, so the caller still gets the answer and nothing accepted is lost.
    """
    state = transport.pool.state
    kind_name, where = SUBMITTING[endpoint]
    if state is None:
        return
    kind = KINDS[kind_name]
    if where.startswith("arg:"):
        found: Any = arguments.get(where[4:])
    else:
        found = getattr(result, where, None)
    ids = [found] if isinstance(found, str) and found else []
    if kind_name == "translation":  # one translation per output language
        ids += [i for i in getattr(result, "video_translate_ids", None) or () if isinstance(i, str) and i not in ids]
    now = time.time()
    cancelled = False
    for job_id in ids:
        record = JobRecord(
            kind=kind_name, id=job_id, resume_token=_token(kind, job_id, transport, now), submitted_at=now
        )
        # Finished even if the caller is cancelled meanwhile (bounded: 5 s more): the caller loses the answer,
        # the ledger still gets the job. The cancellation is raised once every id is accounted for.
        task, interrupted = await finish(_record_job(transport, state, record), grace=5.0)
        cancelled = cancelled or interrupted
        error = (task.exception() or None) if task.done() and not task.cancelled() else TimeoutError("abandoned")
        if error is not None:
            logger.warning(
                "job ledger: %s %s was submitted but not recorded (%s); resume token %s",
                kind_name,
                job_id,
                error,
                record.resume_token,
            )
    if cancelled:
        raise asyncio.CancelledError


async def _record_job(transport: Transport, state: StateBackend, record: JobRecord) -> None:
    """Record a job with the fingerprint of the credentials that submitted it (only they list or adopt it)."""
    await state.record_job(attrs.evolve(record, credential=await transport.ledger_credential()))


def _token(kind: JobKind, job_id: str, transport: Transport, submitted_at: float | None) -> str:
    return json.dumps(
        {
            "heygen_async_job": TOKEN_VERSION,
            "kind": kind.name,
            "id": job_id,
            "submitted_at": submitted_at,
            "base_url": transport.shown_base_url,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


class Job(Generic[R]):
    """A handle on one HeyGen job. ``await job`` is ``await job.wait()``."""

    __slots__ = ("_record", "_transport", "id", "kind", "policy", "submitted_at")

    def __init__(
        self,
        kind: JobKind,
        job_id: str,
        transport: Transport,
        *,
        submitted_at: float | None = None,
        policy: PollPolicy | None = None,
    ) -> None:
        if not isinstance(job_id, str) or not job_id.strip():
            raise ValidationError(
                f"a {kind.label.lower()} id must be a non-empty string, got {job_id!r}", parameter="job_id"
            )
        kind.status_endpoint.route.check_path_values({p.name: job_id for p in kind.status_endpoint.params})
        self.kind = kind
        self.id = job_id
        self._transport = transport
        self.submitted_at = submitted_at
        """When the job was submitted (epoch seconds), or None if not known: a wait then polls at once."""
        self.policy = policy
        self._record: TrackedJob | None = None

    def __repr__(self) -> str:
        return f"<Job {self.kind.name} {self.id} status={self.status!r}>"

    # -- identity and resumption ----------------------------------------------------------------------------

    @property
    def resume_token(self) -> str:
        """Versioned JSON naming the job (kind, id, submitted_at, base URL); never the API token."""
        return _token(self.kind, self.id, self._transport, self.submitted_at)

    @classmethod
    def resume(cls, client: HeyGenClient, token: str) -> Job[Any]:
        """The job a :attr:`resume_token` names, on ``client`` (which must talk to the same base URL)."""
        return _resume(client._transport, token)

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
                last_result=None if record is None else record.last_result(),
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
        scheduler = self._transport.pool.scheduler()
        policy = self.policy or self._transport.options.poll_policy or self.kind.policy
        age = None if self.submitted_at is None else max(0.0, time.time() - self.submitted_at)
        self._record = scheduler.track(self.kind, self.id, self._transport, policy, age=age)
        return self._record

    def _release(self) -> None:
        pool = self._transport.pool
        if self._record is not None and not pool.closed:  # cleanup never raises: a closed pool polls nothing
            pool.scheduler().release(self._record)

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

    def _timed_out(self, seconds: float | None) -> PollTimeout:
        record = self._record
        return PollTimeout(
            f"{self.kind.label} {self.id} did not finish within {seconds or 0:g} s ({_last_status(self.status)}); "
            "the job goes on: resume it with its resume_token",
            last_status=self.status,
            last_result=None if record is None else record.last_result(),
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
            if not task.cancelled() and task.exception() is not None:
                failed(task.exception())  # type: ignore[arg-type]

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


class JobManager:
    """``client.jobs``: handles by kind, resumption, many jobs at once, batches, and the webhook fast path."""

    __slots__ = ("_transport",)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def job(self, kind: str, job_id: str, *, policy: PollPolicy | None = None) -> Job[Any]:
        """A handle on an existing job of ``kind`` (``"video"``, ``"translation"``, ``"photo_generation"``,
        ``"training"``, ``"photo_avatar"``)."""
        return Job(_kind(kind), job_id, self._transport, policy=policy)

    def resume(self, token: str) -> Job[Any]:
        """The job a resume token names (see :meth:`Job.resume`)."""
        return _resume(self._transport, token)

    @property
    def scheduler(self) -> PollScheduler:
        return self._transport.pool.scheduler()

    # -- the shared job ledger ----------------------------------------------------------------------------------

    def _state(self) -> StateBackend:
        state = self._transport.pool.state
        if state is None:
            raise ConfigurationError("this client keeps no job ledger: pass state= (e.g. a RedisState) to HeyGenClient")
        return state

    async def recorded(self, *, open_only: bool = False) -> list[JobRecord]:
        """The job ledger of the client's state: every job submitted with this handle's credentials by any
        process sharing it (``open_only``: those not seen finished), with owner, owner liveness and last
        status; other tenants' jobs are not listed. Needs ``state=``."""
        state = self._state()
        credential = await self._transport.ledger_credential()
        return [record for record in await state.jobs(open_only=open_only) if record.credential == credential]

    async def adopt_orphans(self, *, limit: int = 1000) -> list[Job[Any]]:
        """Take over up to ``limit`` unfinished jobs submitted with this handle's credentials whose owner died
        (its lease ran out) and return handles on them: wait on them like your own (``as_completed``,
        ``wait_many``). Each job goes to exactly one adopter; its status updates go to the ledger as it is
        polled. Other tenants' jobs are left for an adopter with their credentials. Needs ``state=``."""
        state = self._state()
        credential = await self._transport.ledger_credential()
        records = await state.adopt_jobs(limit=limit, credential=credential)
        handles: list[Job[Any]] = []
        unusable: list[JobUpdate] = []
        for record in records:
            try:
                handles.append(_resume(self._transport, record.resume_token))
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
        kind = _KIND_OF_EVENT.get(event_type) if isinstance(event_type, str) else None
        if kind is None or not isinstance(data, Mapping):
            return False
        job_id = data.get(kind.event_id) or data.get("id")
        return isinstance(job_id, str) and self.scheduler.poll_soon(kind.name, job_id)

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
        deadline = _deadline(timeout)
        jobs = _handles(jobs)
        # Finished records, and None for "a status changed" (only queued while on_progress wants to hear it).
        queue: asyncio.Queue[TrackedJob | None] = asyncio.Queue()
        callback = queue.put_nowait  # one listener for every record (kept: unlisten compares by identity)
        # The unfinished records and their handles: usually one (no list), several when an id repeats.
        pending: dict[TrackedJob, Job[R] | list[Job[R]]] = {}
        progress = None if on_progress is None else JobProgress()
        changed: set[TrackedJob] = set()

        def status_changed(record: TrackedJob) -> None:
            # Runs inside the poll scheduler: only note it; the iterating task updates and calls back.
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
            record.unlisten(callback, on_status)
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
                    record.listen(callback, on_status)
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

    async def batch(
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
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError(
                f"concurrency must be a whole number >= 1, got {concurrency!r}", parameter="concurrency"
            )
        job_kind = _kind(kind)
        deadline = _deadline(timeout)
        pending = iter(enumerate(inputs))
        running: dict[int, tuple[T, Job[Any], Callable[[TrackedJob], None]]] = {}
        finished: asyncio.Queue[int] = asyncio.Queue()
        state = self._transport.pool.state
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
                        job: Job[Any] = Job(job_kind, job_id, self._transport, submitted_at=time.time())
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
                        finished.get_nowait()
                        if not finished.empty()
                        else await asyncio.wait_for(finished.get(), remaining)
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


_CAPS: Final = {"video": "renders"}
"""The shared cap each job kind's batches count against (others: ``<kind>_jobs``)."""


async def _release_slot(state: StateBackend, cap: str, tag: str) -> None:
    try:
        await state.release_slot(cap, tag=tag)
    except Exception as exc:  # it is freed when this process's lease runs out
        logger.warning("could not give a %s slot back (%s); it is freed when this process's lease runs out", cap, exc)


def _kind(kind: Any) -> JobKind:
    found = KINDS.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise ValidationError(f"kind must be one of {sorted(KINDS)}, got {kind!r}", parameter="kind")
    return found


def _deadline(timeout: Any) -> float | None:
    """The monotonic deadline of a ``timeout`` in seconds (None: no deadline); a bad value is refused."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout < float("inf"):
        raise ValidationError(f"timeout must be a number of seconds >= 0 or None, got {timeout!r}", parameter="timeout")
    return time.monotonic() + timeout


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


def _not_submitted(index: int, timeout: float | None) -> NotSubmitted:
    return NotSubmitted(
        f"input {index} was not submitted: the batch's {timeout or 0:g} s deadline passed first", index=index
    )


def _last_status(status: str | None) -> str:
    return "no status seen yet" if status is None else f"last status {status!r}"


def _each(handles: Job[R] | list[Job[R]]) -> list[Job[R]]:
    return handles if isinstance(handles, list) else [handles]
