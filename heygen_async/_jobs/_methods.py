"""Hand-written methods the generated namespaces inherit: waiting for jobs, many jobs, batches, downloads.

The endpoint table's rows name these classes (``extended_by``), and the generator makes ``VideosResource`` a
subclass of :class:`VideosJobs` (likewise translations and photo avatars), so ``client.videos.wait(video_id)``
sits beside the generated ``client.videos.status(video_id)``. They call endpoints through the table.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from heygen_async._config import USE_CLIENT_DEFAULT, OrDefault, PollPolicy
from heygen_async._exceptions import CreatedResponseError, ValidationError
from heygen_async._models import PhotoAvatar, PhotoGeneration, Training, Translation, Video, VideoJob
from heygen_async._resources._base import Resource
from heygen_async._spec._table import ENDPOINTS_BY_NAME

from ._batch import BatchItem
from ._download import REFRESH_MARGIN, download
from ._handle import Job
from ._kinds import KINDS
from ._manager import JobManager, job_ids
from ._progress import JobProgress

__all__ = ["PhotoAvatarsJobs", "TranslationsJobs", "VideosJobs"]

OnStatus = Callable[[Any], Awaitable[None] | None]
_STATUS = ENDPOINTS_BY_NAME["videos.status"]
_GENERATE = ENDPOINTS_BY_NAME["videos.generate"]


class _Jobs(Resource):
    __slots__ = ()

    def _job(self, kind: str, job_id: str, policy: PollPolicy | None) -> Job[Any]:
        return Job(KINDS[kind], job_id, self._transport, self._runtime, policy=policy)

    def _manager(self) -> JobManager:
        return JobManager(self._transport, self._runtime)


class VideosJobs(_Jobs):
    __slots__ = ()

    def job(self, video_id: str, *, poll: PollPolicy | None = None) -> Job[Video]:
        """A handle on a render (``await`` it, ``watch()`` it, keep its ``resume_token``)."""
        return self._job("video", video_id, poll)

    async def wait(
        self,
        video_id: str,
        *,
        timeout: OrDefault[float | None] = USE_CLIENT_DEFAULT,
        on_status: OnStatus | None = None,
        poll: PollPolicy | None = None,
    ) -> Video:
        """The finished :class:`Video`; raises :class:`VideoFailed` with HeyGen's error, or :class:`PollTimeout`
        once ``timeout`` seconds pass (default an hour; the render goes on)."""
        video: Video = await self.job(video_id, poll=poll).wait(timeout=timeout, on_status=on_status)
        return video

    def as_completed(
        self,
        video_ids: Iterable[str],
        *,
        timeout: float | None = None,
        on_progress: Callable[[JobProgress], None] | None = None,
    ) -> AsyncGenerator[Job[Video], None]:
        """Each render's handle as it finishes (``handle.result()`` returns the Video or raises); ``on_progress``
        as for :meth:`JobManager.as_completed`."""
        return self._manager().as_completed(
            [self.job(v) for v in job_ids(video_ids)], timeout=timeout, on_progress=on_progress
        )

    async def wait_many(
        self, video_ids: Iterable[str], *, timeout: float | None = None, return_exceptions: bool = False
    ) -> list[Any]:
        """Every render's Video, in order (failures raised, or in place with ``return_exceptions=True``)."""
        return await self._manager().wait_many(
            [self.job(v) for v in job_ids(video_ids)], timeout=timeout, return_exceptions=return_exceptions
        )

    def generate_many(
        self, requests: Iterable[Mapping[str, Any]], *, concurrency: int = 3, timeout: float | None = None
    ) -> AsyncGenerator[BatchItem[Mapping[str, Any]], None]:
        """Render every request (``videos.generate`` keyword arguments), at most ``concurrency`` unfinished at
        once, yielding each as it ends: ``item.result`` is the Video, or ``item.error`` says why not (with
        ``item.ambiguous`` when the submission may have created a render). Nothing is dropped or resubmitted."""

        async def submit(request: Mapping[str, Any]) -> str:
            if not isinstance(request, Mapping):
                raise ValidationError(
                    f"each request must be a mapping of videos.generate arguments, not {type(request).__name__}",
                    parameter="requests",
                )
            try:
                job = await self._call_kwargs(_GENERATE, VideoJob, request)
            except CreatedResponseError as exc:  # the render exists although its answer was not understood
                return exc.created_id
            # An answer without a video_id may still mean a render exists: the batch reports an empty id as
            # an ambiguous item (never resubmitted), not as a plain failure.
            video_id: str = job.video_id or ""
            return video_id

        return self._manager().batch(requests, submit, kind="video", concurrency=concurrency, timeout=timeout)

    async def download(
        self,
        video: str | Video,
        path: str | os.PathLike[str],
        *,
        refresh_margin: float = REFRESH_MARGIN,
        chunk_size: int = 1 << 16,
        read_timeout: float | None = 60.0,
        on_progress: Callable[[int, int | None], object] | None = None,
    ) -> Path:
        """Stream a finished render to ``path`` (written whole or not at all) and return it.

        Signed media URLs expire after 7 days: a URL that expires within ``refresh_margin`` seconds, or that
        the media host refuses (403/410), is refreshed once through a status call. The media host never sees
        the API token. ``read_timeout`` bounds each wait for more bytes (None: no limit); the whole download
        has no limit, since a render can be large. ``on_progress(bytes_so_far, total_or_None)`` is called
        after each chunk (for a progress bar).
        """

        async def status(video_id: str) -> Video:
            return await self._call(_STATUS, Video, {"video_id": video_id})

        return await download(
            self._transport,
            status,
            video,
            path,
            refresh_margin=refresh_margin,
            chunk_size=chunk_size,
            read_timeout=read_timeout,
            on_progress=on_progress,
        )


class TranslationsJobs(_Jobs):
    __slots__ = ()

    def job(self, video_translate_id: str, *, poll: PollPolicy | None = None) -> Job[Translation]:
        """A handle on a translation."""
        return self._job("translation", video_translate_id, poll)

    async def wait(
        self,
        video_translate_id: str,
        *,
        timeout: OrDefault[float | None] = USE_CLIENT_DEFAULT,
        on_status: OnStatus | None = None,
        poll: PollPolicy | None = None,
    ) -> Translation:
        """The finished :class:`Translation` (status ``success``); raises :class:`TranslationFailed` or
        :class:`PollTimeout` (default deadline two hours)."""
        result: Translation = await self.job(video_translate_id, poll=poll).wait(timeout=timeout, on_status=on_status)
        return result

    def as_completed(
        self,
        ids: Iterable[str],
        *,
        timeout: float | None = None,
        on_progress: Callable[[JobProgress], None] | None = None,
    ) -> AsyncGenerator[Job[Translation], None]:
        return self._manager().as_completed(
            [self.job(i) for i in job_ids(ids)], timeout=timeout, on_progress=on_progress
        )

    async def wait_many(
        self, ids: Iterable[str], *, timeout: float | None = None, return_exceptions: bool = False
    ) -> list[Any]:
        return await self._manager().wait_many(
            [self.job(i) for i in job_ids(ids)], timeout=timeout, return_exceptions=return_exceptions
        )


class PhotoAvatarsJobs(_Jobs):
    __slots__ = ()

    def generation_job(self, generation_id: str, *, poll: PollPolicy | None = None) -> Job[PhotoGeneration]:
        """A handle on a photo or look generation (generate_photos, generate_looks)."""
        return self._job("photo_generation", generation_id, poll)

    def training_job(self, group_id: str, *, poll: PollPolicy | None = None) -> Job[Training]:
        """A handle on a group's training (train)."""
        return self._job("training", group_id, poll)

    def avatar_job(self, avatar_id: str, *, poll: PollPolicy | None = None) -> Job[PhotoAvatar]:
        """A handle on a photo avatar being made (add_motion, upscale: their returned id)."""
        return self._job("photo_avatar", avatar_id, poll)

    async def wait_generation(
        self,
        generation_id: str,
        *,
        timeout: OrDefault[float | None] = USE_CLIENT_DEFAULT,
        on_status: OnStatus | None = None,
    ) -> PhotoGeneration:
        """The finished generation (its ``image_key_list``); raises PhotoGenerationFailed or PollTimeout."""
        result: PhotoGeneration = await self.generation_job(generation_id).wait(timeout=timeout, on_status=on_status)
        return result

    async def wait_training(
        self, group_id: str, *, timeout: OrDefault[float | None] = USE_CLIENT_DEFAULT, on_status: OnStatus | None = None
    ) -> Training:
        """The finished training (status ``ready``); raises TrainingFailed or PollTimeout."""
        result: Training = await self.training_job(group_id).wait(timeout=timeout, on_status=on_status)
        return result

    async def wait_avatar(
        self,
        avatar_id: str,
        *,
        timeout: OrDefault[float | None] = USE_CLIENT_DEFAULT,
        on_status: OnStatus | None = None,
    ) -> PhotoAvatar:
        """The finished photo avatar (status ``completed``); raises PhotoAvatarFailed or PollTimeout."""
        result: PhotoAvatar = await self.avatar_job(avatar_id).wait(timeout=timeout, on_status=on_status)
        return result
