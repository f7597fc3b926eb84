"""The shared poll scheduler as waiters see it: Retry-After bounds, the budget, shared records, deadlines."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, Faults
from tests.support import FAST_POLL, VIDEO, fast_client, requests_to, scene, wait_until


async def _video(client: hg.HeyGenClient) -> str:
    job = await client.videos.generate([scene()])
    assert job.video_id
    return job.video_id


def _status_times(emulator: Emulator) -> list[tuple[float, bool]]:
    """(time, throttled) of every status request the emulator saw, in order."""
    return [(e["time"], bool(e.get("fault"))) for e in emulator.request_log if e["endpoint"] == VIDEO.endpoint]


async def _gap_after_first_429(emulator: Emulator, policy: hg.PollPolicy, retry_after: float) -> float:
    """Seconds between the first throttled status request and the next status request."""
    async with fast_client(emulator, poll_policy=policy) as client:
        video_id = await _video(client)
        emulator.set_faults(
            Faults(rate=1.0, kinds={"429": 1}, endpoints=frozenset({"videos.status"}), retry_after=retry_after)
        )
        task = asyncio.create_task(client.videos.wait(video_id))
        await wait_until(lambda: sum(throttled for _, throttled in _status_times(emulator)) >= 2, what="two 429s")
        emulator.set_faults(Faults())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    times = _status_times(emulator)
    first = next(index for index, (_, throttled) in enumerate(times) if throttled)
    return times[first + 1][0] - times[first][0]


async def test_retry_after_is_held_to_the_ceiling(heygen_emulator: Emulator) -> None:
    """A 429 asking for 5 s pauses polling only for the policy's 0.3 s ceiling."""
    policy = hg.PollPolicy(first_poll=0.01, max_interval=0.05, retry_after_floor=0.05, retry_after_ceiling=0.3)
    gap = await _gap_after_first_429(heygen_emulator, policy, retry_after=5)
    assert 0.28 <= gap < 2.0


async def test_retry_after_is_raised_to_the_floor(heygen_emulator: Emulator) -> None:
    """A 429 asking for 0 s still pauses polling for the policy's 0.3 s floor."""
    policy = hg.PollPolicy(first_poll=0.01, max_interval=0.05, retry_after_floor=0.3, retry_after_ceiling=10)
    gap = await _gap_after_first_429(heygen_emulator, policy, retry_after=0)
    assert 0.28 <= gap < 2.0


async def test_a_single_429_pauses_every_waiter(heygen_emulator: Emulator) -> None:
    """Collective back-off: one job's 429 stops the polls of the other jobs too, for the pause."""
    policy = hg.PollPolicy(first_poll=0.01, max_interval=0.05, retry_after_floor=0.05, retry_after_ceiling=0.3)
    async with fast_client(heygen_emulator, poll_policy=policy) as client:
        ids = [await _video(client) for _ in range(3)]
        tasks = [asyncio.create_task(client.videos.wait(i)) for i in ids]
        await wait_until(lambda: requests_to(heygen_emulator, VIDEO.endpoint) >= 6, what="polls of every job")
        heygen_emulator.inject("429", endpoint="videos.status")  # Retry-After: 1, held to the 0.3 s ceiling
        await wait_until(lambda: any(throttled for _, throttled in _status_times(heygen_emulator)), what="the 429")
        (at,) = [t for t, throttled in _status_times(heygen_emulator) if throttled]
        await wait_until(lambda: _status_times(heygen_emulator)[-1][0] > at + 0.4, what="polls after the pause")
        assert client.jobs.scheduler.stats.pauses == 1
        await heygen_emulator.advance(60)
        await asyncio.wait_for(asyncio.gather(*tasks), 2)
    around = [t for t, _ in _status_times(heygen_emulator) if at - 0.2 <= t <= at + 0.4]
    quiet = max(later - earlier for earlier, later in itertools.pairwise(around))
    assert quiet >= 0.2  # the other two jobs, due every <= 50 ms, waited out the pause as well


async def test_polls_stay_within_the_budget(heygen_emulator: Emulator) -> None:
    """Twenty jobs wanting a poll every few milliseconds get no more than the 20 polls/s budget allows."""
    async with fast_client(heygen_emulator, poll_budget=20) as client:
        ids = [await _video(client) for _ in range(20)]
        tasks = [asyncio.create_task(client.videos.wait(i)) for i in ids]
        await asyncio.sleep(0.4)
        polls = requests_to(heygen_emulator, VIDEO.endpoint)
        stats = client.jobs.scheduler.stats
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert 4 <= polls <= 20 * 0.4 + 3  # paced one per 50 ms, not a burst of twenty
    assert stats.max_per_second <= 20
    assert stats.polls >= polls


async def test_cancelling_one_of_two_waiters_keeps_the_other_polling(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """Waiters on one job share its record: cancelling one does not stop the polls the other needs."""
    video_id = await _video(fast)
    leaving = asyncio.create_task(fast.videos.wait(video_id))
    staying = asyncio.create_task(fast.videos.job(video_id).wait())
    await wait_until(lambda: requests_to(heygen_emulator, VIDEO.endpoint) >= 1, what="a first poll")
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    before = requests_to(heygen_emulator, VIDEO.endpoint)
    await wait_until(lambda: requests_to(heygen_emulator, VIDEO.endpoint) >= before + 2, what="polls going on")
    await heygen_emulator.advance(60)
    video = await asyncio.wait_for(staying, 2)
    assert video.status is hg.VideoStatus.COMPLETED


async def test_one_record_serves_many_waiters(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """Five waiters on one render cost one poll stream, not five."""
    video_id = await _video(fast)
    tasks = [asyncio.create_task(fast.videos.wait(video_id)) for _ in range(5)]
    await asyncio.sleep(0.2)
    polls = requests_to(heygen_emulator, VIDEO.endpoint)
    assert fast.jobs.scheduler.tracked() == 1
    await heygen_emulator.advance(60)
    videos = await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert {v.id for v in videos} == {video_id}
    assert polls <= 0.2 / FAST_POLL.first_poll  # one stream at the fast cadence; five would be about 5x more


async def test_poll_timeout_carries_the_last_model(fast: hg.HeyGenClient) -> None:
    """PollTimeout.last_result is the last status answer as a model."""
    video_id = await _video(fast)
    with pytest.raises(hg.PollTimeout) as caught:
        await fast.videos.wait(video_id, timeout=0.2)
    assert caught.value.last_status == "pending"
    assert isinstance(caught.value.last_result, hg.Video)
    assert caught.value.last_result.status is hg.VideoStatus.PENDING


async def test_poll_timeout_before_any_answer_has_no_status(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deadline reached before the first poll answers says so: last_status None, and still a resume token."""
    async with fast_client(heygen_emulator, poll_policy=hg.PollPolicy(first_poll=30)) as client:
        video_id = await _video(client)
        monkeypatch.setattr(heygen_emulator.app.faults, "latency", lambda: 1.0)
        heygen_emulator.inject("slow", endpoint=VIDEO.endpoint)  # the first poll (at once) answers too late
        with pytest.raises(hg.PollTimeout) as caught:
            await client.videos.wait(video_id, timeout=0.05)
        assert caught.value.last_status is None
        assert client.jobs.resume(caught.value.resume_token).id == video_id


@pytest.mark.parametrize("timeout", [-1, float("inf"), float("nan"), True, "10"])
async def test_wait_refuses_a_bad_timeout(fast: hg.HeyGenClient, timeout: Any) -> None:
    """timeout must be a finite number of seconds >= 0 or None."""
    with pytest.raises(hg.ValidationError, match="timeout"):
        await fast.videos.wait("abc123", timeout=timeout)


@pytest.mark.parametrize("job_id", ["", "   "])
async def test_a_job_needs_an_id(fast: hg.HeyGenClient, job_id: str) -> None:
    """An empty id is refused before anything is sent."""
    with pytest.raises(hg.ValidationError):
        fast.videos.job(job_id)


async def test_timed_out_waits_leave_no_record_behind(fast: hg.HeyGenClient) -> None:
    """A wait that reached its deadline stops polling and forgets the job: a long-lived client does not grow."""
    video_ids = [await _video(fast) for _ in range(5)]
    for video_id in video_ids:
        with pytest.raises(hg.PollTimeout):
            await fast.videos.wait(video_id, timeout=0.1)
    scheduler = fast.jobs.scheduler
    assert scheduler.tracked() == 0
    # No record of the five timed-out waits is kept (one whose poll was in flight at its deadline goes when that
    # poll ends).
    await wait_until(lambda: not scheduler._jobs, within=3.0, what="the records of the timed-out waits to go")
    again = await asyncio.gather(*(fast.videos.wait(v, timeout=0.05) for v in video_ids), return_exceptions=True)
    assert all(isinstance(error, hg.PollTimeout) for error in again)  # waiting again works afresh
