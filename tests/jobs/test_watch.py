"""watch(), on_status callbacks, case-insensitive statuses, and what closing the client does to waiters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator
from tests.support import VIDEO, requests_to, scene, wait_until


async def _video(client: hg.HeyGenClient, text: str = "Hello") -> str:
    job = await client.videos.generate([scene(text)])
    assert job.video_id
    return job.video_id


async def _walk_render(emulator: Emulator, seen: Callable[[], int]) -> None:
    """Move a render through pending -> processing -> completed, waiting for each status to be seen."""
    await wait_until(lambda: seen() >= 1, what="the pending snapshot")
    await emulator.advance(5)
    await wait_until(lambda: seen() >= 2, what="the processing snapshot")
    await emulator.advance(60)


async def test_watch_yields_each_status_change_then_stops(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """Each change is yielded once, the final snapshot included, and the iteration ends."""
    video_id = await _video(fast)
    statuses: list[hg.VideoStatus | None] = []

    async def collect() -> None:
        async for video in fast.videos.job(video_id).watch(timeout=5):
            statuses.append(video.status)

    task = asyncio.create_task(collect())
    await _walk_render(heygen_emulator, lambda: len(statuses))
    await asyncio.wait_for(task, 2)
    assert statuses == [hg.VideoStatus.PENDING, hg.VideoStatus.PROCESSING, hg.VideoStatus.COMPLETED]


async def test_watch_ends_quietly_on_a_failed_job(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """A failed job's final snapshot is yielded (with HeyGen's error), not raised."""
    video_id = await _video(fast, "Hello #fail")
    snapshots: list[hg.Video] = []

    async def collect() -> None:
        async for video in fast.videos.job(video_id).watch(timeout=5):
            snapshots.append(video)

    task = asyncio.create_task(collect())
    await wait_until(lambda: len(snapshots) >= 1, what="the first snapshot")
    await heygen_emulator.advance(60)
    await asyncio.wait_for(task, 2)
    final = snapshots[-1]
    assert final.status is hg.VideoStatus.FAILED
    assert final.error is not None
    assert final.error.code == 40119


async def test_watch_raises_poll_timeout_at_its_deadline(fast: hg.HeyGenClient) -> None:
    """A watch with a deadline yields what it saw, then raises PollTimeout."""
    video_id = await _video(fast)
    statuses: list[hg.VideoStatus | None] = []

    async def collect() -> None:
        async for video in fast.videos.job(video_id).watch(timeout=0.2):
            statuses.append(video.status)

    with pytest.raises(hg.PollTimeout) as caught:
        await collect()
    assert statuses == [hg.VideoStatus.PENDING]
    assert caught.value.last_status == "pending"


async def test_watch_raises_when_the_job_disappears(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """A status call answering 404 ends the watch with NotFoundError, after the snapshots already yielded."""
    video_id = await _video(fast)
    statuses: list[hg.VideoStatus | None] = []

    async def collect() -> None:
        async for video in fast.videos.job(video_id).watch(timeout=5):
            statuses.append(video.status)

    task = asyncio.create_task(collect())
    await wait_until(lambda: len(statuses) >= 1, what="the first snapshot")
    heygen_emulator.account.delete_video(video_id)
    with pytest.raises(hg.NotFoundError):
        await asyncio.wait_for(task, 2)
    assert statuses == [hg.VideoStatus.PENDING]


async def test_on_status_sync_callback_sees_each_change(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """A plain function passed as on_status is called with each new snapshot."""
    video_id = await _video(fast)
    seen: list[hg.VideoStatus | None] = []
    task = asyncio.create_task(fast.videos.wait(video_id, on_status=lambda video: seen.append(video.status)))
    await _walk_render(heygen_emulator, lambda: len(seen))
    video = await asyncio.wait_for(task, 2)
    assert video.status is hg.VideoStatus.COMPLETED
    assert seen == [hg.VideoStatus.PENDING, hg.VideoStatus.PROCESSING, hg.VideoStatus.COMPLETED]


async def test_on_status_async_callback_is_awaited(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """A coroutine function passed as on_status runs for each change, and all have run when wait() returns."""
    video_id = await _video(fast)
    started: list[hg.VideoStatus | None] = []
    finished: list[hg.VideoStatus | None] = []

    async def record(video: hg.Video) -> None:
        started.append(video.status)
        await asyncio.sleep(0.01)
        finished.append(video.status)

    task = asyncio.create_task(fast.videos.wait(video_id, on_status=record))
    await _walk_render(heygen_emulator, lambda: len(started))
    await asyncio.wait_for(task, 2)
    expected = [hg.VideoStatus.PENDING, hg.VideoStatus.PROCESSING, hg.VideoStatus.COMPLETED]
    assert started == expected
    assert sorted(map(str, finished)) == sorted(map(str, expected))


async def test_on_status_is_not_called_again_when_the_job_disappears(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """A 404 ends wait() with NotFoundError without calling on_status again for the unchanged status."""
    video_id = await _video(fast)
    seen: list[hg.VideoStatus | None] = []
    task = asyncio.create_task(fast.videos.wait(video_id, on_status=lambda video: seen.append(video.status)))
    await wait_until(lambda: len(seen) >= 1, what="the first snapshot")
    heygen_emulator.account.delete_video(video_id)
    with pytest.raises(hg.NotFoundError):
        await asyncio.wait_for(task, 2)
    assert seen == [hg.VideoStatus.PENDING]


async def test_statuses_are_case_insensitive(
    heygen_emulator: Emulator, fast: hg.HeyGenClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An upper-case running status is not 'unknown', and an upper-case success ends the wait."""
    caplog.set_level(logging.WARNING, logger="heygen_async")
    video_id = await _video(fast)
    heygen_emulator.account.videos[video_id].status = "PROCESSING"
    task = asyncio.create_task(fast.videos.wait(video_id))
    before = requests_to(heygen_emulator, VIDEO.endpoint)
    await wait_until(lambda: requests_to(heygen_emulator, VIDEO.endpoint) >= before + 3, what="polls")
    assert not task.done()
    heygen_emulator.account.videos[video_id].status = "Completed"
    video = await asyncio.wait_for(task, 2)
    assert video.status is hg.VideoStatus.COMPLETED
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_closing_the_client_fails_pending_waiters(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """aclose() answers every pending waiter with ClientClosedError; later waits are refused the same way."""
    video_id = await _video(fast)
    waiters = [
        asyncio.create_task(fast.videos.wait(video_id)),
        asyncio.create_task(fast.videos.job(video_id).wait(timeout=None)),
    ]
    await wait_until(lambda: requests_to(heygen_emulator, VIDEO.endpoint) >= 1, what="a first poll")
    await fast.aclose()
    for waiter in waiters:
        with pytest.raises(hg.ClientClosedError):
            await asyncio.wait_for(waiter, 2)
    with pytest.raises(hg.ClientClosedError):
        await fast.videos.wait(video_id)
    assert heygen_emulator.account.videos[video_id].status == "pending"


async def test_closing_the_client_ends_a_watch_with_client_closed(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """A watch in progress raises ClientClosedError when the client closes, after the snapshots it yielded."""
    video_id = await _video(fast)
    statuses: list[hg.VideoStatus | None] = []

    async def collect() -> None:
        async for video in fast.videos.job(video_id).watch(timeout=5):
            statuses.append(video.status)

    task = asyncio.create_task(collect())
    await wait_until(lambda: len(statuses) >= 1, what="the first snapshot")
    await fast.aclose()
    with pytest.raises(hg.ClientClosedError):
        await asyncio.wait_for(task, 2)
    assert statuses == [hg.VideoStatus.PENDING]


async def test_an_on_status_error_is_raised_by_wait_and_polling_goes_on(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """A callback that raises ends that wait() with its error; other waiters on the same job are unaffected."""
    video_id = await _video(fast)

    def broken(video: hg.Video) -> None:
        raise LookupError(f"callback broke on {video.status}")

    other = asyncio.create_task(fast.videos.wait(video_id))
    with pytest.raises(LookupError, match="pending"):
        await asyncio.wait_for(fast.videos.wait(video_id, on_status=broken), 2)
    await heygen_emulator.advance(60)
    video = await asyncio.wait_for(other, 2)
    assert video.status is hg.VideoStatus.COMPLETED


async def test_an_async_on_status_error_is_raised_by_wait(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """The error of a coroutine callback is not swallowed: wait() raises it."""
    video_id = await _video(fast)

    async def broken(video: hg.Video) -> None:
        await asyncio.sleep(0)
        raise LookupError("async callback broke")

    with pytest.raises(LookupError, match="async callback broke"):
        await asyncio.wait_for(fast.videos.wait(video_id, on_status=broken), 2)
