"""Hand-written methods the generated namespaces inherit: waiting for jobs, many jobs, batches, downloads.

``_codegen`` makes ``VideosResource`` a subclass of :class:`VideosJobs` (likewise translations and photo
avatars), so ``client.videos.wait(video_id)`` sits beside the generated ``client.videos.status(video_id)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import aiohttp
import anyio
from yarl import URL

from heygen_async._config import USE_CLIENT_DEFAULT, OrDefault
from heygen_async._exceptions import APIConnectionError, APIStatusError, CreatedResponseError, ValidationError
from heygen_async._models import PhotoAvatar, PhotoGeneration, Training, Translation, Video, VideoStatus
from heygen_async._resources._base import Resource

from ._handle import KINDS, BatchItem, Job, JobManager
from ._progress import JobProgress
from ._scheduler import PollPolicy

__all__ = ["PhotoAvatarsJobs", "TranslationsJobs", "VideosJobs"]

OnStatus = Callable[[Any], Awaitable[None] | None]
REFRESH_MARGIN: Final = 3600.0
"""Refresh a media URL through a status call when it expires within this many seconds."""


class _Jobs(Resource):
    __slots__ = ()

    def _job(self, kind: str, job_id: str, policy: PollPolicy | None) -> Job[Any]:
        return Job(KINDS[kind], job_id, self._transport, policy=policy)

    def _manager(self) -> JobManager:
        return JobManager(self._transport)


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
            [self.job(v) for v in _ids(video_ids)], timeout=timeout, on_progress=on_progress
        )

    async def wait_many(
        self, video_ids: Iterable[str], *, timeout: float | None = None, return_exceptions: bool = False
    ) -> list[Any]:
        """Every render's Video, in order (failures raised, or in place with ``return_exceptions=True``)."""
        return await self._manager().wait_many(
            [self.job(v) for v in _ids(video_ids)], timeout=timeout, return_exceptions=return_exceptions
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
                job = await self.generate(**request)  # type: ignore[attr-defined]
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
        _check_download(path, refresh_margin, chunk_size, read_timeout)
        if on_progress is not None and not callable(on_progress):
            raise ValidationError("on_progress must be a callable taking (bytes, total)", parameter="on_progress")
        target = Path(path)
        if not await anyio.Path(target.parent).is_dir():
            raise ValidationError(f"cannot write {target}: {target.parent} is not a directory", parameter="path")
        if await anyio.Path(target).is_dir():
            raise ValidationError(f"cannot write {target}: it is a directory; name the file", parameter="path")
        current = video if isinstance(video, Video) else await self.status(video)  # type: ignore[attr-defined]
        if current.status is not VideoStatus.COMPLETED:
            raise ValidationError(
                f"video {current.id} is {current.status}, not completed: nothing to download", parameter="video"
            )
        if not current.video_url or _expires_within(current.video_url, refresh_margin):
            current = await self.status(current.id)  # type: ignore[attr-defined]
        for attempt in (1, 2):
            url = current.video_url
            if not url:
                raise ValidationError(f"video {current.id} has no video_url", parameter="video")
            status = await self._fetch_media(url, target, chunk_size, read_timeout, on_progress)
            if status == 200:
                return target
            if status in (403, 410) and attempt == 1:
                current = await self.status(current.id)  # type: ignore[attr-defined]
                continue
            raise APIStatusError(
                f"downloading video {current.id} failed with HTTP {status}",
                endpoint="GET <media URL>",
                status_code=status,
            )
        raise AssertionError("unreachable")

    async def _fetch_media(
        self,
        url: str,
        target: Path,
        chunk_size: int,
        read_timeout: float | None,
        on_progress: Callable[[int, int | None], object] | None,
    ) -> int:
        session = self._transport.pool.session()
        partial = target.with_name(target.name + ".part")
        # No overall limit (a render can be large), but a stalled media host is an error, not a hang.
        limits = aiohttp.ClientTimeout(
            total=None, sock_connect=self._transport.options.timeout.connect, sock_read=read_timeout
        )
        try:
            # No credentials on a media host: a plain GET with this request's own headers only.
            async with session.get(URL(url, encoded=True), headers={"Accept": "*/*"}, timeout=limits) as response:
                if response.status != 200:
                    await response.read()
                    return response.status
                total, written = response.content_length, 0
                async with await anyio.open_file(partial, "wb") as handle:
                    async for chunk in response.content.iter_chunked(chunk_size):
                        await handle.write(chunk)
                        written += len(chunk)
                        if on_progress is not None:
                            on_progress(written, total)
        except (OSError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            await _discard(partial)
            raise APIConnectionError(
                f"downloading to {target} failed: {type(exc).__name__}",
                endpoint="GET <media URL>",
                maybe_processed=True,
            ) from None
        except BaseException:  # cancelled: leave no partial file behind
            with anyio.CancelScope(shield=True):
                await _discard(partial)
            raise
        await anyio.Path(partial).rename(target)
        return 200


def _ids(ids: Any) -> Iterable[Any]:
    """Many job ids; a lone string is one id, not many characters, so it is refused."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise ValidationError(
            f"expected an iterable of job ids, got {type(ids).__name__} (a single id? wrap it in a list)",
            parameter="ids",
        )
    return ids


def _check_download(path: Any, refresh_margin: Any, chunk_size: Any, read_timeout: Any) -> None:
    """download()'s own arguments, checked before anything is fetched."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ValidationError(f"path must be a file path, got {path!r}", parameter="path")
    for name, value, optional in (("refresh_margin", refresh_margin, False), ("read_timeout", read_timeout, True)):
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
            raise ValidationError(f"{name} must be a finite number of seconds >= 0, got {value!r}", parameter=name)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValidationError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}", parameter="chunk_size")


async def _discard(partial: Path) -> None:
    with contextlib.suppress(OSError):
        await anyio.Path(partial).unlink(missing_ok=True)


def _expires_within(url: str, margin: float) -> bool:
    """Whether a signed URL's ``Expires``/``X-Amz-Expires``-style stamp is gone or due within ``margin``."""
    query = URL(url).query
    stamp = query.get("Expires") or query.get("expires")
    if stamp and stamp.isdigit():
        return int(stamp) - time.time() < margin
    return False


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
        return self._manager().as_completed([self.job(i) for i in _ids(ids)], timeout=timeout, on_progress=on_progress)

    async def wait_many(
        self, ids: Iterable[str], *, timeout: float | None = None, return_exceptions: bool = False
    ) -> list[Any]:
        return await self._manager().wait_many(
            [self.job(i) for i in _ids(ids)], timeout=timeout, return_exceptions=return_exceptions
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
