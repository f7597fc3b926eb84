"""Hand-written methods the generated v3 namespaces inherit: waiting for v3 jobs, and creating many safely.

``client.v3.videos.wait(video_id)`` sits beside the generated ``client.v3.videos.get(video_id)``; the generator
(``tools/v3gen.py``) makes each namespace with a job kind a subclass of the class here, parametrised with the
model its detail endpoint answers (``VideosJobs[VideoDetail]``), so waiters are typed like the calls. Every
waiter runs on the same :class:`Job` handles, poll scheduler, budget and ledger as the legacy ones; a kind with
a bulk status endpoint (videos, translations, lipsyncs) is polled up to 100 jobs per request.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import anyio

from heygen_async._config import USE_CLIENT_DEFAULT, OrDefault, PollPolicy
from heygen_async._exceptions import APIError, APIResponseError, CreatedResponseError, ValidationError
from heygen_async._models import Model
from heygen_async._resources._base import Resource, idempotency_key_for
from heygen_async._spec._results import created_ids
from heygen_async._spec._types import Endpoint
from heygen_async._transport._call import may_have_been_processed

from ._batch import BatchItem, deadline_of
from ._download import REFRESH_MARGIN, download
from ._handle import Job
from ._kinds import KINDS
from ._manager import JobManager, job_ids
from ._progress import JobProgress

__all__ = [
    "AvatarsJobs",
    "BackgroundRemovalsJobs",
    "ClippingJobs",
    "LipsyncsJobs",
    "ProofreadsJobs",
    "VideoAgentsJobs",
    "VideoTranslationsJobs",
    "VideosJobs",
    "VoicesJobs",
]

R = TypeVar("R")
OnStatus = Callable[[Any], Awaitable[None] | None]
RESUBMIT_WAIT: float = 1.0
"""The first pause before a create whose outcome is unknown is sent again with its key (doubling, up to 30 s)."""
REPLAY_WINDOW: float = 23 * 3600.0
"""How long after its first send a create is sent again with its key. HeyGen replays a key's answer for 24 hours;
past that the same key could make a second render, so an outcome still unknown is reported as ambiguous."""


def _no_id(endpoint: str, key: str | None, field: str = "video_id") -> APIResponseError:
    """The error of a create answered without its id (``field``): the job it made, if any, is got back by
    sending it again with its key."""
    error = APIResponseError(
        f"{endpoint} answered without a {field}; send it again with idempotency_key={key!r} to get the job it "
        "made, if any",
        endpoint=endpoint,
        status_code=200,
        body="",
    )
    error.idempotency_key = key
    return error


class _V3Jobs(Resource, Generic[R]):
    """Waiters for one v3 job kind (``_kind``), and what its generated ``submit`` does."""

    __slots__ = ()
    _kind: ClassVar[str]

    async def _submit(
        self, endpoint: Endpoint, result: type[Model], arguments: Mapping[str, Any], **options: Any
    ) -> Job[R]:
        """The create ``endpoint`` (``_call`` with ``arguments`` and ``options``), answered as a :class:`Job`
        handle on what it started, whose ``resume_token`` carries the ``Idempotency-Key`` it was sent with (the
        caller's, or a new one): a worker unsure whether its create went through sends it again with that key
        and gets the same job back."""
        key = idempotency_key_for(endpoint, options.pop("idempotency_key", None))
        creates = endpoint.creates
        assert creates is not None  # the generator makes submit for a create that names its new job's id
        assert creates.id is not None
        submitted_at = time.time()
        try:
            created = await self._call(endpoint, result, arguments, idempotency_key=key, **options)
            found = created_ids(creates, created, arguments)
        except CreatedResponseError as exc:
            found = [exc.created_id]
        if not found:
            raise _no_id(endpoint.key, key, creates.id)
        return Job(
            KINDS[self._kind], found[0], self._transport, self._runtime, submitted_at=submitted_at, idempotency_key=key
        )

    def job(self, job_id: str, *, poll: PollPolicy | None = None) -> Job[R]:
        """A handle on the job (``await`` it, ``watch()`` it, keep its ``resume_token``)."""
        return Job(KINDS[self._kind], job_id, self._transport, self._runtime, policy=poll)

    async def wait(
        self,
        job_id: str,
        *,
        timeout: OrDefault[float | None] = USE_CLIENT_DEFAULT,
        on_status: OnStatus | None = None,
        poll: PollPolicy | None = None,
    ) -> R:
        """The finished job's detail; raises the kind's :class:`JobFailed` with HeyGen's reason, or
        :class:`PollTimeout` once ``timeout`` seconds pass (the job goes on at HeyGen)."""
        result: R = await self.job(job_id, poll=poll).wait(timeout=timeout, on_status=on_status)
        return result

    def as_completed(
        self,
        ids: Iterable[str],
        *,
        timeout: float | None = None,
        on_progress: Callable[[JobProgress], None] | None = None,
    ) -> AsyncGenerator[Job[R], None]:
        """Each job's handle as it finishes (``handle.result()`` returns the detail or raises)."""
        manager = JobManager(self._transport, self._runtime)
        return manager.as_completed([self.job(i) for i in job_ids(ids)], timeout=timeout, on_progress=on_progress)

    async def wait_many(
        self, ids: Iterable[str], *, timeout: float | None = None, return_exceptions: bool = False
    ) -> list[Any]:
        """Every job's detail, in order (failures raised, or in place with ``return_exceptions=True``)."""
        manager = JobManager(self._transport, self._runtime)
        handles = [self.job(i) for i in job_ids(ids)]
        return await manager.wait_many(handles, timeout=timeout, return_exceptions=return_exceptions)


class VideosJobs(_V3Jobs[R]):
    """``client.v3.videos``: waiters, :meth:`submit` (a create as a :class:`Job`), :meth:`create_many` (many
    renders, none lost, none twice) and :meth:`download`."""

    __slots__ = ()
    _kind = "v3_video"

    def create_many(
        self, requests: Iterable[Mapping[str, Any]], *, concurrency: int = 10, timeout: float | None = None
    ) -> AsyncGenerator[BatchItem[Mapping[str, Any]], None]:
        """Render every request (``videos.create`` keyword arguments), at most ``concurrency`` unfinished at
        once (HeyGen runs 10 at a time on pay-as-you-go), yielding each as it ends.

        Each request gets its own ``Idempotency-Key`` (or keeps the ``idempotency_key`` it names), so a create
        whose answer was lost is sent again with the same key until HeyGen gives its answer (the first one,
        replayed): no render is made twice, and no item is ambiguous unless its outcome is still unknown 23
        hours after its first send (HeyGen replays a key's answer for 24; later, the key could make another
        render). A request naming a key an earlier request of the batch named fails with
        :class:`ValidationError`, unsent: HeyGen would answer it with the earlier request's render.
        """
        from heygen_async._spec._v3_table import V3_ENDPOINTS_BY_NAME
        from heygen_async.v3 import _models

        endpoint = V3_ENDPOINTS_BY_NAME["v3.videos.create"]
        result = getattr(_models, endpoint.result)
        deadline = deadline_of(timeout)
        keys: set[str] = set()  # the batch submits one request at a time: no lock needed

        async def submit(request: Mapping[str, Any]) -> str:
            if not isinstance(request, Mapping):
                raise ValidationError(
                    f"each request must be a mapping of videos.create arguments, not {type(request).__name__}",
                    parameter="requests",
                )
            arguments = dict(request)
            key = idempotency_key_for(endpoint, arguments.get("idempotency_key"))
            assert key is not None  # videos.create takes an Idempotency-Key
            if key in keys:
                raise ValidationError(
                    f"idempotency_key {key!r} names an earlier request of this batch too: HeyGen would answer "
                    "this one with that one's render; give each request its own key",
                    parameter="idempotency_key",
                    endpoint=endpoint.qualname,
                )
            keys.add(key)
            arguments["idempotency_key"] = key
            wait = RESUBMIT_WAIT
            first_sent = time.monotonic()
            while True:
                try:
                    created = await self._call_kwargs(endpoint, result, arguments)
                except CreatedResponseError as exc:  # the render exists although its answer was not understood
                    return exc.created_id
                except APIError as exc:
                    # Sent with a key: resending cannot make a second render, so an unknown outcome is asked
                    # again rather than reported as ambiguous (until the batch's deadline, and while HeyGen
                    # still replays the key's answer: in server time, which an emulator may run faster).
                    now = time.monotonic()
                    replayed = (now - first_sent) * self._transport.pool.time_scale < REPLAY_WINDOW
                    if not (may_have_been_processed(exc) and replayed) or (deadline is not None and now >= deadline):
                        raise
                    pause = min(wait, 30.0)
                    if deadline is not None:  # asked once more at the deadline, never slept past it
                        pause = min(pause, deadline - now)
                    await anyio.sleep(pause)
                    wait *= 2
                    continue
                video_id = getattr(created, "video_id", None)
                if not isinstance(video_id, str) or not video_id:
                    raise _no_id(endpoint.key, key)  # a render may exist: ambiguous, with its key
                return video_id

        manager = JobManager(self._transport, self._runtime)
        return manager.batch(requests, submit, kind="v3_video", concurrency=concurrency, timeout=timeout)

    async def download(
        self,
        video: str | Any,
        path: str | os.PathLike[str],
        *,
        refresh_margin: float = REFRESH_MARGIN,
        chunk_size: int = 1 << 16,
        read_timeout: float | None = 60.0,
        on_progress: Callable[[int, int | None], object] | None = None,
    ) -> Path:
        """Stream a finished render (its id, or its detail from ``get``/``wait``) to ``path``, written whole or
        not at all, and return it; as ``client.videos.download``: a media URL that expires within
        ``refresh_margin`` seconds, or that the media host refuses, is refreshed once through ``get``; the media
        host never sees the API key; ``on_progress(bytes_so_far, total_or_None)`` follows each chunk."""
        kind = KINDS[self._kind]

        async def detail(video_id: str) -> Any:
            return await self._call(kind.status_endpoint, kind.model, {"video_id": video_id})

        return await download(
            self._transport,
            detail,
            video,
            path,
            refresh_margin=refresh_margin,
            chunk_size=chunk_size,
            read_timeout=read_timeout,
            on_progress=on_progress,
        )


class VideoTranslationsJobs(_V3Jobs[R]):
    """``client.v3.video_translations``: waiters (one job per output language)."""

    __slots__ = ()
    _kind = "v3_translation"


class ProofreadsJobs(_V3Jobs[R]):
    """``client.v3.video_translations.proofreads``: waiters."""

    __slots__ = ()
    _kind = "v3_proofread"


class LipsyncsJobs(_V3Jobs[R]):
    """``client.v3.lipsyncs``: waiters."""

    __slots__ = ()
    _kind = "v3_lipsync"


class VideoAgentsJobs(_V3Jobs[R]):
    """``client.v3.video_agents``: waiters for a session (``waiting_for_input`` counts as running)."""

    __slots__ = ()
    _kind = "v3_video_agent"


class AvatarsJobs(_V3Jobs[R]):
    """``client.v3.avatars``: waiters for a look being created or trained (by its look id)."""

    __slots__ = ()
    _kind = "v3_avatar"


class VoicesJobs(_V3Jobs[R]):
    """``client.v3.voices``: waiters for a voice clone (status ``complete``)."""

    __slots__ = ()
    _kind = "v3_voice_clone"


class BackgroundRemovalsJobs(_V3Jobs[R]):
    """``client.v3.background_removals``: waiters."""

    __slots__ = ()
    _kind = "v3_background_removal"


class ClippingJobs(_V3Jobs[R]):
    """``client.v3.ai_clipping``: waiters (``cancelled`` ends a job badly)."""

    __slots__ = ()
    _kind = "v3_ai_clipping"
