"""Downloading a finished render: streamed to a temporary file and renamed into place, whole or not at all.

Signed media URLs expire (HeyGen: after 7 days); one about to expire, or that the media host refuses, is
refreshed once through a status call. The media host gets no credential of ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import anyio
from yarl import URL

from heygen_async._exceptions import APIConnectionError, APIStatusError, ValidationError
from heygen_async._models import VideoStatus

if TYPE_CHECKING:
    from heygen_async._transport._call import Transport

__all__ = ["REFRESH_MARGIN", "download"]

REFRESH_MARGIN: Final = 3600.0
"""Refresh a media URL through a status call when it expires within this many seconds."""


async def download(
    transport: Transport,
    fetch_status: Callable[[str], Awaitable[Any]],
    video: str | Any,
    path: str | os.PathLike[str],
    *,
    refresh_margin: float,
    chunk_size: int,
    read_timeout: float | None,
    on_progress: Callable[[int, int | None], object] | None,
) -> Path:
    """What ``client.videos.download`` and ``client.v3.videos.download`` do (see there): ``fetch_status`` fetches
    a video's detail by id (a legacy :class:`Video` or a v3 ``VideoDetail``: both have ``id``, ``status`` and
    ``video_url``), and ``video`` is an id or such a detail."""
    _check_download(path, refresh_margin, chunk_size, read_timeout)
    if on_progress is not None and not callable(on_progress):
        raise ValidationError("on_progress must be a callable taking (bytes, total)", parameter="on_progress")
    target = Path(path)
    if not await anyio.Path(target.parent).is_dir():
        raise ValidationError(f"cannot write {target}: {target.parent} is not a directory", parameter="path")
    if await anyio.Path(target).is_dir():
        raise ValidationError(f"cannot write {target}: it is a directory; name the file", parameter="path")
    current = await fetch_status(video) if isinstance(video, str) else video
    video_id = getattr(current, "id", None) or (video if isinstance(video, str) else None)
    if video_id is None:
        raise ValidationError("the video has no id: pass its id, or a Video from a status call", parameter="video")
    if _status(current) != VideoStatus.COMPLETED.value:
        raise ValidationError(
            f"video {current.id} is {current.status}, not completed: nothing to download", parameter="video"
        )
    if not current.video_url or _expires_within(current.video_url, refresh_margin):
        current = await fetch_status(video_id)
    for attempt in (1, 2):
        url = current.video_url
        if not url:
            raise ValidationError(f"video {current.id} has no video_url", parameter="video")
        status = await _fetch_media(transport, url, target, chunk_size, read_timeout, on_progress)
        if status == 200:
            return target
        if status in (403, 410) and attempt == 1:
            current = await fetch_status(video_id)
            continue
        raise APIStatusError(
            f"downloading video {current.id} failed with HTTP {status}",
            endpoint="GET <media URL>",
            status_code=status,
        )
    raise AssertionError("unreachable")


async def _fetch_media(
    transport: Transport,
    url: str,
    target: Path,
    chunk_size: int,
    read_timeout: float | None,
    on_progress: Callable[[int, int | None], object] | None,
) -> int:
    session = transport.pool.session()
    partial = target.with_name(target.name + ".part")
    # No overall limit (a render can be large), but a stalled media host is an error, not a hang.
    limits = aiohttp.ClientTimeout(total=None, sock_connect=transport.options.timeout.connect, sock_read=read_timeout)
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


def _status(video: Any) -> str | None:
    """A detail's status value: the legacy and the v3 models each have their own status enum."""
    status = getattr(video, "status", None)
    return getattr(status, "value", status)


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
