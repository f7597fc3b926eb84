"""The poll scheduler on its own: the budget in every one-second window, pacing, jitter, collective back-off."""

from __future__ import annotations

import asyncio
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

VIDEO = KINDS["video"]
FAST = PollPolicy(first_poll=0.0, max_interval=0.0, jitter=0.0, retry_after_floor=0.2, retry_after_ceiling=0.5)


class FakeTransport:
    """Answers status calls from a script, recording when each started (through ``call``: the aiohttp way)."""

    pool = types.SimpleNamespace(time_scale=1.0)
    identity = b"fake"  # one set of credentials

    def __init__(self, answer: Any = None) -> None:
        self.starts: list[float] = []
        self.by_job: dict[str, int] = {}
        self.answer = answer

    async def call(
        self, route: Any, *, query: Any = None, path_values: Mapping[str, str] | None = None, **_: Any
    ) -> Any:
        job_id = dict(query)["video_id"]
        self.starts.append(time.monotonic())
        self.by_job[job_id] = self.by_job.get(job_id, 0) + 1
        if callable(self.answer):
            return self.answer(job_id, self.by_job[job_id])
        return {"id": job_id, "status": "processing"}


def max_in_any_window(starts: list[float], width: float = 1.0) -> int:
    starts = sorted(starts)
    best, left = 0, 0
    for right, t in enumerate(starts):
        while starts[left] <= t - width:
            left += 1
        best = max(best, right - left + 1)
    return best


def track(scheduler: PollScheduler, transport: FakeTransport, job_id: str, policy: PollPolicy = FAST) -> TrackedJob:
    job = scheduler.track(VIDEO, job_id, cast(Transport, transport), policy)
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
    job = scheduler.track(VIDEO, "v0", cast(Transport, transport), FAST)
    job.listen(lambda j: errors.append(j.error), None)
    await scheduler.aclose()
    assert len(errors) == 1
    assert isinstance(errors[0], hg.ClientClosedError)
    with pytest.raises(hg.ClientClosedError):
        scheduler.track(VIDEO, "v1", cast(Transport, transport), FAST)


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
    job = scheduler.track(VIDEO, "v1", cast(Transport, transport), FAST)
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
    job = scheduler.track(VIDEO, "v1", cast(Transport, transport), FAST)
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
    job = scheduler.track(VIDEO, "v1", cast(Transport, transport), policy)
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
