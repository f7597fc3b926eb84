"""The poll scheduler on its own (the budget in every one-second window, pacing, jitter, collective back-off,
webhook-driven polls, no job polled early) and as waiters see it (Retry-After bounds, the budget, shared
records, deadlines)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import types
from collections.abc import Mapping
from typing import Any, cast

import pytest

import heygen_async as hg
from heygen_async._config import PollPolicy
from heygen_async._jobs._kinds import KINDS
from heygen_async._jobs._scheduler import PollScheduler, TrackedJob
from heygen_async._transport._call import Transport
from heygen_async.emulator import Emulator, Faults
from tests.support import FAST_POLL, VIDEO, fast_client, max_in_any_window, requests_to, scene, wait_until

# -- the scheduler on its own, polling through a fake transport --------------------------------------------------


VIDEO_KIND = KINDS["video"]
NO_WAIT_POLL = PollPolicy(first_poll=0.0, max_interval=0.0, jitter=0.0, retry_after_floor=0.2, retry_after_ceiling=0.5)
"""Every job is due at once and again at once: only the budget and pauses space the polls."""


class FakeTransport:
    """Answers status calls from a script, recording when each started (through ``call``: the aiohttp way)."""

    pool = types.SimpleNamespace(time_scale=1.0)
    identity = b"fake"  # one set of credentials

    def __init__(self, answer: Any = None) -> None:
        self.starts: list[float] = []
        self.calls: list[tuple[str, float]] = []
        self.by_job: dict[str, int] = {}
        self.answer = answer

    async def call(
        self, route: Any, *, query: Any = None, path_values: Mapping[str, str] | None = None, **_: Any
    ) -> Any:
        job_id = dict(query)["video_id"]
        self.starts.append(time.monotonic())
        self.calls.append((job_id, self.starts[-1]))
        self.by_job[job_id] = self.by_job.get(job_id, 0) + 1
        if callable(self.answer):
            return self.answer(job_id, self.by_job[job_id])
        return {"id": job_id, "status": "processing"}


def track(
    scheduler: PollScheduler, transport: FakeTransport, job_id: str, policy: PollPolicy = NO_WAIT_POLL
) -> TrackedJob:
    job = scheduler.track(VIDEO_KIND, job_id, cast(Transport, transport), policy)
    job.listen(lambda _: None, None)  # someone waits, so it keeps being polled
    return job


async def test_the_budget_holds_in_every_one_second_window() -> None:
    scheduler = PollScheduler(50)
    transport = FakeTransport()
    for index in range(400):
        track(scheduler, transport, f"v{index}")
    await asyncio.sleep(2.5)
    await scheduler.aclose()
    assert len(transport.starts) >= 100  # it did poll, steadily
    assert max_in_any_window(transport.starts) <= 50
    assert scheduler.stats.max_per_second <= 50


async def test_polls_are_paced_not_burst() -> None:
    scheduler = PollScheduler(40)
    transport = FakeTransport()
    for index in range(200):
        track(scheduler, transport, f"v{index}")
    await asyncio.sleep(1.6)
    await scheduler.aclose()
    # Evenly paced: no tenth of a second holds more than a little over a tenth of the budget.
    assert max_in_any_window(transport.starts, width=0.1) <= 6


async def test_a_fractional_budget_spaces_polls() -> None:
    scheduler = PollScheduler(4.5)
    transport = FakeTransport()
    for index in range(20):
        track(scheduler, transport, f"v{index}")
    await asyncio.sleep(1.5)
    await scheduler.aclose()
    gaps = [b - a for a, b in zip(transport.starts, transport.starts[1:], strict=False)]
    assert gaps
    assert min(gaps) >= 1 / 4.5 - 0.06  # paced, with at most 50 ms of catch-up credit
    assert max_in_any_window(transport.starts) <= 4


def test_jittered_cadence_backs_off_to_its_cap() -> None:
    policy = PollPolicy(first_poll=2.0, backoff=2.0, max_interval=10.0, jitter=0.2)
    rng = random.Random(1)
    intervals: list[float] = []
    previous: float | None = None
    for _ in range(8):
        previous = policy.interval(previous, rng)
        intervals.append(previous)
    assert 1.6 <= intervals[0] <= 2.4
    assert all(interval <= 12.0 for interval in intervals)
    assert intervals[-1] >= 8.0
    firsts = {round(policy.interval(None, rng), 6) for _ in range(20)}
    assert len(firsts) > 15  # phases differ: jobs do not poll in lockstep


async def test_a_429_pauses_every_poll_for_the_time_asked() -> None:
    storm = {"on": True}

    def answer(job_id: str, count: int) -> Any:
        if storm["on"] and job_id == "v0":
            storm["on"] = False
            raise hg.RateLimitError("slow down", endpoint="GET /v1/video_status.get", status_code=429, retry_after=0.4)
        return {"id": job_id, "status": "processing"}

    scheduler = PollScheduler(100)
    transport = FakeTransport(answer)
    for index in range(5):
        track(scheduler, transport, f"v{index}")
    await asyncio.sleep(0.1)
    paused_at = time.monotonic()
    await asyncio.sleep(0.25)
    during = [t for t in transport.starts if paused_at + 0.02 < t < paused_at + 0.25]
    await asyncio.sleep(0.5)
    await scheduler.aclose()
    assert scheduler.stats.pauses == 1
    assert during == []  # nobody polled during the pause
    assert transport.starts[-1] > paused_at + 0.3  # and polling resumed afterwards


async def test_the_pause_is_kept_within_floor_and_ceiling() -> None:
    def answer(job_id: str, count: int) -> Any:
        if count == 1:
            raise hg.RateLimitError("slow", endpoint="e", status_code=429, retry_after=3600)
        return {"id": job_id, "status": "completed"}

    scheduler = PollScheduler(100)
    transport = FakeTransport(answer)
    job = track(scheduler, transport, "v0")
    started = time.monotonic()
    while not job.done:
        await asyncio.sleep(0.02)
        assert time.monotonic() - started < 5
    await scheduler.aclose()
    assert 0.45 <= transport.starts[-1] - transport.starts[0] <= 2.0  # the 0.5 s ceiling, not an hour


async def test_released_jobs_stop_being_polled_and_shared_jobs_poll_once() -> None:
    scheduler = PollScheduler(200)
    transport = FakeTransport()
    first = track(scheduler, transport, "shared")
    second = track(scheduler, transport, "shared")
    assert first is second  # two waiters, one record, one stream of polls
    await asyncio.sleep(0.2)
    first.listeners = None
    scheduler.release(first)
    polls = transport.by_job["shared"]
    await asyncio.sleep(0.2)
    await scheduler.aclose()
    assert transport.by_job["shared"] <= polls + 1


async def test_a_failed_poll_is_retried_later_not_reported() -> None:
    def answer(job_id: str, count: int) -> Any:
        if count < 3:
            raise hg.APIConnectionError("reset", endpoint="e", maybe_processed=True)
        return {"id": job_id, "status": "completed"}

    scheduler = PollScheduler(100)
    transport = FakeTransport(answer)
    job = track(scheduler, transport, "v0")
    for _ in range(100):
        if job.done:
            break
        await asyncio.sleep(0.02)
    await scheduler.aclose()
    assert job.done
    assert job.error is None
    assert scheduler.stats.errors == 2


async def test_closing_fails_the_waiters_with_client_closed() -> None:
    scheduler = PollScheduler(100)
    transport = FakeTransport()
    errors: list[BaseException | None] = []
    job = scheduler.track(VIDEO_KIND, "v0", cast(Transport, transport), NO_WAIT_POLL)
    job.listen(lambda j: errors.append(j.error), None)
    await scheduler.aclose()
    assert len(errors) == 1
    assert isinstance(errors[0], hg.ClientClosedError)
    with pytest.raises(hg.ClientClosedError):
        scheduler.track(VIDEO_KIND, "v1", cast(Transport, transport), NO_WAIT_POLL)


@pytest.mark.parametrize("budget", [0, -1, float("inf"), float("nan"), True])
def test_a_budget_must_be_a_positive_number(budget: Any) -> None:
    with pytest.raises(ValueError, match="poll_budget"):
        PollScheduler(budget)
    with pytest.raises(hg.ConfigurationError, match="poll_budget"):
        hg.HeyGenClient("at_x", poll_budget=budget)


async def test_an_unreadable_final_answer_ends_the_wait_with_api_response_error() -> None:
    """A terminal status whose body does not fit the model is the verdict: waiters get APIResponseError, not a hang."""
    scheduler = PollScheduler(100)
    transport = FakeTransport(lambda job_id, n: {"id": job_id, "status": "completed", "duration": "long"})
    ended = asyncio.get_running_loop().create_future()
    job = scheduler.track(VIDEO_KIND, "v1", cast(Transport, transport), NO_WAIT_POLL)
    job.listen(lambda record: ended.set_result(record.error), None)
    error = await asyncio.wait_for(ended, 2)
    await scheduler.aclose()
    assert isinstance(error, hg.APIResponseError)
    assert "duration" in str(error)
    assert job.done


async def test_an_unreadable_running_answer_is_no_verdict() -> None:
    """A running answer that does not fit the model is no verdict: polling goes on until a readable final one."""
    scheduler = PollScheduler(100)

    def answer(job_id: str, n: int) -> Any:
        if n == 1:
            return {"id": job_id, "status": "processing", "duration": "long"}
        return {"id": job_id, "status": "completed", "duration": 3.5}

    transport = FakeTransport(answer)
    ended = asyncio.get_running_loop().create_future()
    job = scheduler.track(VIDEO_KIND, "v1", cast(Transport, transport), NO_WAIT_POLL)
    job.listen(lambda record: ended.set_result(record.result), None)
    result = await asyncio.wait_for(ended, 2)
    await scheduler.aclose()
    assert result.duration == 3.5
    assert transport.by_job["v1"] == 2


async def test_a_webhook_during_a_poll_polls_again_right_after_it_never_beside_it() -> None:
    """poll_soon while a poll is in flight (which may have left before the job finished): one more poll follows
    as soon as it ends, never a second one in parallel."""
    scheduler = PollScheduler(100)
    gate, started = asyncio.Event(), asyncio.Event()
    statuses = iter(["processing", "completed"])

    class Gated(FakeTransport):
        async def call(self, route: Any, *, query: Any = None, **_: Any) -> Any:
            self.starts.append(time.monotonic())
            started.set()
            status = next(statuses)
            if status == "processing":
                await gate.wait()
            return {"id": dict(query)["video_id"], "status": status}

    transport = Gated()
    ended = asyncio.get_running_loop().create_future()
    policy = PollPolicy(first_poll=0.0, max_interval=60.0, backoff=60.0, jitter=0.0)
    job = scheduler.track(VIDEO_KIND, "v1", cast(Transport, transport), policy)
    job.listen(lambda record: ended.set_result(record.result), None)
    await asyncio.wait_for(started.wait(), 2)
    assert scheduler.poll_soon("video", "v1")
    await asyncio.sleep(0.05)
    assert len(transport.starts) == 1  # not beside the poll in flight
    gate.set()
    result = await asyncio.wait_for(ended, 2)
    await scheduler.aclose()
    assert result.status == "completed"
    assert len(transport.starts) == 2  # right after, not 60 s later
    assert not scheduler.poll_soon("video", "v1")  # a finished job: a late duplicate does nothing


async def test_a_stale_heap_entry_behind_the_head_never_polls_a_job_early() -> None:
    scheduler = PollScheduler(100)
    transport = FakeTransport()
    t = cast(Transport, transport)
    video = KINDS["video"]
    start = time.monotonic()
    a = scheduler.track(video, "A", t, PollPolicy(first_poll=0.2, backoff=20.0, max_interval=5.0, jitter=0.0))
    a.listen(lambda _: None, None)
    b = scheduler.track(video, "B", t, PollPolicy(first_poll=0.15, backoff=20.0, max_interval=5.0, jitter=0.0))
    b.listen(lambda _: None, None)
    await asyncio.sleep(0.05)
    assert scheduler.poll_soon("video", "A")  # a webhook: A is polled now; its 0.2 s entry is stale
    await asyncio.sleep(0.02)
    scheduler._paused_until = time.monotonic() + 0.3  # what a 429 does: the stale entry comes due meanwhile
    await asyncio.sleep(0.5)
    await scheduler.aclose()
    a_polls = [round(when - start, 3) for job, when in transport.calls if job == "A"]
    assert len(a_polls) == 1, f"A was polled again at {a_polls[1:]}, its next poll was due ~4 s later"
    assert [job for job, _ in transport.calls].count("B") == 1


# -- as waiters see it, against the emulator -------------------------------------------------------------


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
