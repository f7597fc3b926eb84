"""How soon and how often a wait polls: a finished job is reported at once (a wait that does not know when its
job was submitted, or knows it was longer ago than ``first_poll``, polls at once), and against an emulator
whose clock runs faster than real time the cadence runs at the emulator's pace. Polls and emulated seconds are
counted, never wall time."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

import heygen_async as hg
from heygen_async._transport._pool import MAX_TIME_SCALE, ConnectionPool, is_loopback
from heygen_async.emulator import DEFAULT_TIME_SCALE, Emulator, EmulatorConfig, ScaledClock, run_emulator
from tests.support import NO_WAIT_RETRY, VIDEO, requests_to, scene, wait_until

HOURLY = hg.PollPolicy(first_poll=3600, max_interval=3600)
"""A first poll an hour after submission: any poll sooner is the wait reporting a finished job at once."""


async def _video(client: hg.HeyGenClient) -> str:
    job = await client.videos.generate([scene()])
    assert job.video_id
    return job.video_id


async def test_after_advance_a_wait_returns_after_exactly_one_poll(heygen_emulator: Emulator) -> None:
    """ManualClock: the render finished during advance(60); waiting on its id polls at once, once."""
    async with heygen_emulator.client(poll_policy=HOURLY, retry=NO_WAIT_RETRY) as client:
        video_id = await _video(client)
        await heygen_emulator.advance(60)
        video = await client.videos.wait(video_id, timeout=30)
        assert client.jobs.scheduler.stats.polls == 1
    assert video.status is hg.VideoStatus.COMPLETED
    assert requests_to(heygen_emulator, VIDEO.endpoint) == 1


async def test_watching_a_finished_job_yields_its_final_snapshot_after_one_poll(heygen_emulator: Emulator) -> None:
    """What ``heygen-async jobs watch`` does on a finished render: one poll, one snapshot, the end."""
    async with heygen_emulator.client(poll_policy=HOURLY, retry=NO_WAIT_RETRY) as client:
        video_id = await _video(client)
        await heygen_emulator.advance(60)
        snapshots = [video async for video in client.videos.job(video_id).watch(timeout=30)]
    assert [video.status for video in snapshots] == [hg.VideoStatus.COMPLETED]
    assert requests_to(heygen_emulator, VIDEO.endpoint) == 1


@pytest.mark.parametrize(("age", "polls_at_once"), [(7200.0, 1), (0.0, 0)])
async def test_a_resumed_job_polls_first_poll_after_its_submission(
    heygen_emulator: Emulator, age: float, polls_at_once: int
) -> None:
    """A resume token carries ``submitted_at``: a job submitted two hours ago polls at once (it may well be
    done), one submitted just now not before its first_poll (an hour here)."""
    async with heygen_emulator.client(poll_policy=HOURLY, retry=NO_WAIT_RETRY) as client:
        video_id = await _video(client)
        await heygen_emulator.advance(60)
        token = json.loads(client.videos.job(video_id).resume_token)
        assert token["submitted_at"] is None, "a handle on an id does not know when the job was submitted"
        resumed = client.jobs.resume(json.dumps({**token, "submitted_at": time.time() - age}))
        task = asyncio.create_task(resumed.wait(timeout=30))
        await wait_until(lambda: client.jobs.scheduler.stats.polls >= polls_at_once, what="the first poll")
        await asyncio.sleep(0.1)
        assert client.jobs.scheduler.stats.polls == polls_at_once
        task.cancel()
        outcome = await asyncio.gather(task, return_exceptions=True)
    if polls_at_once:
        assert isinstance(outcome[0], hg.Video)
        assert outcome[0].status is hg.VideoStatus.COMPLETED


async def test_a_scaled_clock_emulator_shrinks_the_poll_intervals_by_its_scale() -> None:
    """ScaledClock(50): every answer, polls included, says so; the cadence stays the
    policy's in the emulator's seconds (10), and the next poll is due within 10 / 50 real seconds, not 10."""
    policy = hg.PollPolicy(first_poll=10, backoff=1, max_interval=10, jitter=0)
    config = EmulatorConfig(render_seconds=100_000)  # still rendering when the test ends
    async with (
        Emulator(config, clock=ScaledClock(50)) as emulator,
        emulator.client(poll_policy=policy, retry=NO_WAIT_RETRY) as client,
    ):
        video_id = await _video(client)
        pool = client._transport.pool
        assert pool.time_scale == 50
        pool.time_scale = 1.0  # forgotten: the polls' answers must say it again
        task = asyncio.create_task(client.videos.wait(video_id, timeout=60))
        scheduler = client.jobs.scheduler
        await wait_until(lambda: scheduler.stats.polls >= 2, what="two polls")
        assert pool.time_scale == 50
        (record,) = scheduler._jobs.values()
        assert record.interval == 10, "the cadence, in the emulator's seconds"
        assert record.due - time.monotonic() <= 10 / 50, "the next poll is due within interval / scale"
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_manual_clock_emulator_announces_no_scale(heygen_emulator: Emulator) -> None:
    """Time that moves only on advance() has no pace: the client keeps real time (scale 1)."""
    async with heygen_emulator.client(retry=NO_WAIT_RETRY) as client:
        await _video(client)
        assert client._transport.pool.time_scale == 1.0


async def test_a_render_on_the_default_emulator_is_waited_for_at_its_pace() -> None:
    """``run_emulator()`` and ``videos.wait()`` with default settings: the emulator's clock runs 30x, the
    client polls at that pace, and the render (32 emulated seconds) is reported within a few polls."""
    async with run_emulator() as emulator, emulator.client() as client:
        video_id = await _video(client)
        video = await client.videos.wait(video_id)
        stats = client.jobs.scheduler.stats
        assert client._transport.pool.time_scale == DEFAULT_TIME_SCALE
    assert video.status is hg.VideoStatus.COMPLETED
    assert 1 <= stats.polls <= 8, stats
    assert stats.max_per_second <= client._runtime.poll_budget


def test_the_time_scale_is_honoured_only_from_loopback_and_within_bounds() -> None:
    """Only a server on this machine may speed polling up, and by at most MAX_TIME_SCALE; it never slows it."""
    for url in ("http://127.0.0.1:8080/heygen", "http://localhost:1", "http://[::1]:80", "http://u:p@127.0.0.2"):
        assert is_loopback(url), url
    for url in ("https://api.lowcodeapi.com/heygen", "https://api.heygen.com", "http://10.0.0.1", "http://127.0.0.1.x"):
        assert not is_loopback(url), url
    pool = ConnectionPool(hg.Limits())
    for value, expected in [("40", 40.0), ("1e9", MAX_TIME_SCALE), ("0.5", 1.0), ("nan", 1.0), ("x", 1.0)]:
        pool.time_scale = 1.0
        pool.saw_time_scale(value)
        assert pool.time_scale == expected, value
    pool.saw_time_scale(None)
    assert pool.time_scale == 1.0
