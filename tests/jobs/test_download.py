"""client.videos.download: streams a finished render to a file, refreshing a signed URL that expired."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp.web
import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, ManualClock
from tests.support import VIDEO, fast_client, requests_to, scene

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
        before = requests_to(wall_emulator, VIDEO.endpoint)
        written = await client.videos.download(video, tmp_path / "video.mp4")
    assert written == tmp_path / "video.mp4"
    data = written.read_bytes()
    assert data.startswith(b"\x00\x00\x00\x18ftypmp42")
    assert video.id is not None
    assert video.id.encode() in data
    assert not (tmp_path / "video.mp4.part").exists()
    assert requests_to(wall_emulator, VIDEO.endpoint) == before


async def test_download_refreshes_an_expired_url_with_one_status_call(wall_emulator: Emulator, tmp_path: Path) -> None:
    """A stale Video whose URL the media host refuses (403) is refreshed through one status call and downloaded."""
    async with fast_client(wall_emulator) as client:
        stale = await _rendered(wall_emulator, client)
        await wall_emulator.advance(WEEK + 3600)
        assert stale.video_url
        assert await _media_status(stale.video_url) == 403
        before = requests_to(wall_emulator, VIDEO.endpoint)
        written = await client.videos.download(stale, tmp_path / "video.mp4")
    assert requests_to(wall_emulator, VIDEO.endpoint) == before + 1
    assert written.read_bytes().startswith(b"\x00\x00\x00\x18ftypmp42")


async def test_download_refreshes_a_url_about_to_expire(tmp_path: Path) -> None:
    """A URL expiring within the refresh margin is refreshed up front (one status call), then downloaded."""
    async with Emulator(clock=ManualClock(start=time.time() - WEEK + 600)) as emulator:  # URLs expire in ~10 min
        async with fast_client(emulator) as client:
            video = await _rendered(emulator, client)
            before = requests_to(emulator, VIDEO.endpoint)
            written = await client.videos.download(video, tmp_path / "video.mp4")
        assert requests_to(emulator, VIDEO.endpoint) == before + 1
    assert written.stat().st_size > 0


async def test_download_by_id_fetches_the_status_first(wall_emulator: Emulator, tmp_path: Path) -> None:
    """Given an id, download looks the render up (one status call) and writes it."""
    async with fast_client(wall_emulator) as client:
        video = await _rendered(wall_emulator, client)
        assert video.id
        before = requests_to(wall_emulator, VIDEO.endpoint)
        written = await client.videos.download(video.id, str(tmp_path / "by-id.mp4"))
    assert requests_to(wall_emulator, VIDEO.endpoint) == before + 1
    assert written.stat().st_size > 0


async def test_download_refuses_an_unfinished_render(wall_emulator: Emulator, tmp_path: Path) -> None:
    """A render that is not completed has nothing to download: ValidationError, no file."""
    async with fast_client(wall_emulator) as client:
        job = await client.videos.generate([scene()])
        assert job.video_id
        with pytest.raises(hg.ValidationError, match="not completed"):
            await client.videos.download(job.video_id, tmp_path / "video.mp4")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"refresh_margin": -1}, "refresh_margin"),
        ({"refresh_margin": float("nan")}, "refresh_margin"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": 1.5}, "chunk_size"),
        ({"read_timeout": "60"}, "read_timeout"),
    ],
)
async def test_download_refuses_bad_arguments_before_any_call(
    wall_emulator: Emulator, tmp_path: Path, arguments: dict[str, object], parameter: str
) -> None:
    async with fast_client(wall_emulator) as client:
        with pytest.raises(hg.ValidationError) as caught:
            await client.videos.download("abc123", tmp_path / "video.mp4", **arguments)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter
    assert requests_to(wall_emulator, VIDEO.endpoint) == 0


async def test_download_refuses_a_missing_directory(wall_emulator: Emulator, tmp_path: Path) -> None:
    async with fast_client(wall_emulator) as client:
        with pytest.raises(hg.ValidationError, match="not a directory") as caught:
            await client.videos.download("abc123", tmp_path / "missing" / "video.mp4")
    assert caught.value.parameter == "path"
    assert requests_to(wall_emulator, VIDEO.endpoint) == 0


class StallingMediaHost:
    """A media host that sends headers and a first chunk, then stalls until told to stop."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.sent_first_chunk = asyncio.Event()

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        response = aiohttp.web.StreamResponse(headers={"Content-Length": "1000000"})
        await response.prepare(request)
        await response.write(b"\x00" * 1000)
        self.sent_first_chunk.set()
        await self.release.wait()
        return response


@pytest.fixture
async def stalling_host() -> AsyncIterator[tuple[StallingMediaHost, str]]:
    host = StallingMediaHost()
    app = aiohttp.web.Application()
    app.router.add_get("/video.mp4", host.handle)
    runner = aiohttp.web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield host, f"http://127.0.0.1:{port}/video.mp4"
    finally:
        host.release.set()
        await runner.cleanup()


def _completed(url: str) -> hg.Video:
    return hg.Video(id="v1", status=hg.VideoStatus.COMPLETED, video_url=url)


async def test_a_stalled_media_host_is_a_connection_error_and_leaves_no_file(
    wall_emulator: Emulator, tmp_path: Path, stalling_host: tuple[StallingMediaHost, str]
) -> None:
    _, url = stalling_host
    async with fast_client(wall_emulator) as client:
        with pytest.raises(hg.APIConnectionError, match="TimeoutError") as caught:
            await client.videos.download(_completed(url), tmp_path / "video.mp4", read_timeout=0.2)
    assert "127.0.0.1" not in str(caught.value)  # the signed URL stays out of the message
    assert os.listdir(tmp_path) == []


async def test_a_cancelled_download_leaves_no_partial_file(
    wall_emulator: Emulator, tmp_path: Path, stalling_host: tuple[StallingMediaHost, str]
) -> None:
    host, url = stalling_host
    async with fast_client(wall_emulator) as client:
        task = asyncio.create_task(client.videos.download(_completed(url), tmp_path / "video.mp4"))
        await asyncio.wait_for(host.sent_first_chunk.wait(), 2)
        await asyncio.sleep(0.05)
        assert (tmp_path / "video.mp4.part").exists()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert os.listdir(tmp_path) == []


async def test_download_reports_progress_per_chunk(wall_emulator: Emulator, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    async with fast_client(wall_emulator) as client:
        video = await _rendered(wall_emulator, client)
        written = await client.videos.download(
            video, tmp_path / "video.mp4", chunk_size=16, on_progress=lambda done, total: seen.append((done, total))
        )
        with pytest.raises(hg.ValidationError) as caught:
            await client.videos.download(video, tmp_path / "other.mp4", on_progress="not callable")  # type: ignore[arg-type]
    size = written.stat().st_size
    assert caught.value.parameter == "on_progress"
    assert len(seen) > 1
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (size, size)
