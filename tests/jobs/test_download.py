"""client.videos.download: streams a finished render to a file, refreshing a signed URL that expired."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, ManualClock

from ._support import VIDEO, fast_client, scene, status_polls

WEEK = 7 * 24 * 3600.0


@pytest.fixture
async def wall_emulator() -> AsyncIterator[Emulator]:
    """An emulator whose manual clock starts at the wall clock, so its URLs' ``Expires`` are real timestamps."""
    async with Emulator(clock=ManualClock(start=time.time())) as emulator:
        yield emulator


async def _rendered(emulator: Emulator, client: hg.HeyGenClient) -> hg.Video:
    job = await client.videos.generate([scene()])
    assert job.video_id
    task = asyncio.create_task(client.videos.wait(job.video_id))
    await emulator.advance(60)
    video = await asyncio.wait_for(task, 2)
    assert video.video_url
    return video


async def _media_status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status


async def test_download_writes_the_file_without_a_status_call(wall_emulator: Emulator, tmp_path: Path) -> None:
    """A fresh URL is downloaded as is: the file is written whole, no status call is made."""
    async with fast_client(wall_emulator) as client:
        video = await _rendered(wall_emulator, client)
        before = status_polls(wall_emulator, VIDEO.endpoint)
        written = await client.videos.download(video, tmp_path / "video.mp4")
    assert written == tmp_path / "video.mp4"
    data = written.read_bytes()
    assert data.startswith(b"\x00\x00\x00\x18ftypmp42")
    assert video.id is not None
    assert video.id.encode() in data
    assert not (tmp_path / "video.mp4.part").exists()
    assert status_polls(wall_emulator, VIDEO.endpoint) == before


async def test_download_refreshes_an_expired_url_with_one_status_call(wall_emulator: Emulator, tmp_path: Path) -> None:
    """A stale Video whose URL the media host refuses (403) is refreshed through one status call and downloaded."""
    async with fast_client(wall_emulator) as client:
        stale = await _rendered(wall_emulator, client)
        await wall_emulator.advance(WEEK + 3600)
        assert stale.video_url
        assert await _media_status(stale.video_url) == 403
        before = status_polls(wall_emulator, VIDEO.endpoint)
        written = await client.videos.download(stale, tmp_path / "video.mp4")
    assert status_polls(wall_emulator, VIDEO.endpoint) == before + 1
    assert written.read_bytes().startswith(b"\x00\x00\x00\x18ftypmp42")


async def test_download_refreshes_a_url_about_to_expire(tmp_path: Path) -> None:
    """A URL expiring within the refresh margin is refreshed up front (one status call), then downloaded."""
    async with Emulator(clock=ManualClock(start=time.time() - WEEK + 600)) as emulator:  # URLs expire in ~10 min
        async with fast_client(emulator) as client:
            video = await _rendered(emulator, client)
            before = status_polls(emulator, VIDEO.endpoint)
            written = await client.videos.download(video, tmp_path / "video.mp4")
        assert status_polls(emulator, VIDEO.endpoint) == before + 1
    assert written.stat().st_size > 0


async def test_download_by_id_fetches_the_status_first(wall_emulator: Emulator, tmp_path: Path) -> None:
    """Given an id, download looks the render up (one status call) and writes it."""
    async with fast_client(wall_emulator) as client:
        video = await _rendered(wall_emulator, client)
        assert video.id
        before = status_polls(wall_emulator, VIDEO.endpoint)
        written = await client.videos.download(video.id, str(tmp_path / "by-id.mp4"))
    assert status_polls(wall_emulator, VIDEO.endpoint) == before + 1
    assert written.stat().st_size > 0


async def test_download_refuses_an_unfinished_render(wall_emulator: Emulator, tmp_path: Path) -> None:
    """A render that is not completed has nothing to download: ValidationError, no file."""
    async with fast_client(wall_emulator) as client:
        job = await client.videos.generate([scene()])
        assert job.video_id
        with pytest.raises(hg.ValidationError, match="not completed"):
            await client.videos.download(job.video_id, tmp_path / "video.mp4")
    assert os.listdir(tmp_path) == []
