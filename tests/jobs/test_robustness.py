"""Regressions from review: a job ends once (duplicate webhooks), nothing is kept after it ends, the budget holds
at the server when connections are scarce, and bad arguments are refused before anything is tracked."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, Faults, ManualClock
from tests.support import VIDEO, fast_client, polls_settled, scene, wait_until

SLOW = hg.PollPolicy(first_poll=30, max_interval=60)
"""After a wait's first poll (at once: it does not know when the job was submitted), polls only when fed a
webhook: the tests decide exactly when."""


async def _video(client: hg.HeyGenClient) -> str:
    job = await client.videos.generate([scene()])
    assert job.video_id
    return job.video_id


def _success(video_id: str) -> dict[str, Any]:
    return {"event_type": "avatar_video.success", "event_data": {"video_id": video_id}}


async def _feed_twice_during_one_poll(
    emulator: Emulator, client: hg.HeyGenClient, video_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A webhook, then its duplicate delivery while the poll the first one caused is still in flight."""
    monkeypatch.setattr(emulator.app.faults, "latency", lambda: 0.3)
    emulator.inject("slow", endpoint=VIDEO.endpoint)  # the webhook's poll takes 0.3 s
    scheduler = client.jobs.scheduler
    polls = scheduler.stats.polls
    assert client.jobs.feed(_success(video_id))
    await wait_until(lambda: scheduler.stats.polls == polls + 1, what="the webhook's poll to start")
    assert client.jobs.feed(_success(video_id))  # HeyGen retries deliveries: taken, but not a second poll
    assert scheduler._in_flight == 1
    await wait_until(lambda: scheduler._in_flight == 0, what="the poll to end")


async def test_a_duplicate_webhook_neither_doubles_a_poll_nor_ends_a_job_twice(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:
        done = await _video(client)  # finishes at 32 emulated seconds
        await heygen_emulator.advance(20)
        running = await _video(client)  # finishes at 52
        seen: list[str] = []

        async def consume() -> None:
            async for handle in client.videos.as_completed([done, running]):
                seen.append(handle.id)

        task = asyncio.create_task(consume())
        await polls_settled(client)  # both still rendering
        await heygen_emulator.advance(20)
        await _feed_twice_during_one_poll(heygen_emulator, client, done, monkeypatch)
        await asyncio.sleep(0.05)
        assert seen == [done]
        assert not task.done()  # still waiting for the render that is running
        assert client.jobs.scheduler.stats.polls == 3  # the job ended with the fed poll; the duplicate is moot
        await heygen_emulator.advance(60)
        client.jobs.feed(_success(running))
        await asyncio.wait_for(task, 2)
        assert seen == [done, running]


async def test_a_duplicate_webhook_does_not_break_a_batch(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:
        first = await _video(client)
        await heygen_emulator.advance(60)
        second = await _video(client)

        async def submit(video_id: str) -> str:
            return video_id

        items: list[hg.BatchItem[str]] = []

        async def consume() -> None:
            async for item in client.jobs.batch([first, second], submit, kind="video", concurrency=2):
                items.append(item)

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.02)
        await _feed_twice_during_one_poll(heygen_emulator, client, first, monkeypatch)
        await heygen_emulator.advance(60)
        client.jobs.feed(_success(second))
        await asyncio.wait_for(task, 2)
        assert sorted(item.index for item in items) == [0, 1]
        assert all(item.ok for item in items)


async def test_a_finished_batch_keeps_no_records(fast: hg.HeyGenClient, heygen_emulator: Emulator) -> None:
    ids = [await _video(fast) for _ in range(5)]
    for _ in range(5):  # the emulator renders a few at a time
        await heygen_emulator.advance(60)

    async def submit(video_id: str) -> str:
        return video_id

    items = [item async for item in fast.jobs.batch(ids, submit, kind="video", concurrency=2)]
    assert all(item.ok for item in items)
    assert not fast.jobs.scheduler._jobs


async def test_a_released_wait_and_a_new_one_never_poll_one_job_in_parallel(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heygen_emulator.app.faults, "latency", lambda: 0.3)
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:
        video_id = await _video(client)
        first = asyncio.create_task(client.videos.wait(video_id))
        await polls_settled(client)
        heygen_emulator.inject("slow", endpoint=VIDEO.endpoint)
        client.jobs.feed(_success(video_id))
        scheduler = client.jobs.scheduler
        await wait_until(lambda: scheduler.stats.polls == 2, what="the slow poll")
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        second = asyncio.create_task(client.videos.wait(video_id))
        await asyncio.sleep(0.02)
        assert client.jobs.feed(_success(video_id))  # the record in flight is the one the new wait got
        await asyncio.sleep(0.1)
        assert scheduler._in_flight == 1
        assert scheduler.stats.polls == 2
        await heygen_emulator.advance(60)
        video = await asyncio.wait_for(second, 5)
        assert video.status is hg.VideoStatus.COMPLETED


async def test_the_budget_holds_at_the_server_when_connections_are_scarce() -> None:
    """Polls never queue inside aiohttp (to leave later in a burst): at most half the pool is polling."""
    faults = Faults(rate=0.3, kinds={"slow": 1.0}, max_latency=1.5, seed=3)
    async with Emulator(clock=ManualClock()) as emulator:
        policy = hg.PollPolicy(first_poll=0.0, max_interval=0.0, jitter=0.0)
        async with fast_client(
            emulator, poll_policy=policy, poll_budget=10, limits=hg.Limits(max_connections=2)
        ) as client:
            ids = [await _video(client) for _ in range(30)]
            emulator.app.faults.set(faults)  # polls answered slowly now and then
            with pytest.raises(hg.PollTimeout):
                await client.videos.wait_many(ids, timeout=4)
        times = sorted(e["time"] for e in emulator.request_log if e["endpoint"] == VIDEO.endpoint)
    assert len(times) >= 5  # it did poll (one at a time: half of a two-connection pool)
    busiest = max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))
    assert busiest <= 10


@pytest.mark.parametrize("timeout", ["5", -1, float("nan"), True])
async def test_many_job_helpers_refuse_a_bad_timeout_before_tracking(fast: hg.HeyGenClient, timeout: Any) -> None:
    video_id = await _video(fast)
    with pytest.raises(hg.ValidationError, match="timeout"):
        await fast.videos.wait_many([video_id], timeout=timeout)
    with pytest.raises(hg.ValidationError, match="timeout"):
        async for _ in fast.videos.as_completed([video_id], timeout=timeout):
            pass
    with pytest.raises(hg.ValidationError, match="timeout"):
        async for _ in fast.videos.generate_many([{"video_inputs": [scene()]}], timeout=timeout):
            pass
    assert not fast.jobs.scheduler._jobs  # nothing tracked, nothing polled


async def test_a_lone_id_is_not_taken_for_many(fast: hg.HeyGenClient) -> None:
    with pytest.raises(hg.ValidationError, match="wrap it in a list"):
        await fast.videos.wait_many("abc123")
    with pytest.raises(hg.ValidationError, match="wrap it in a list"):
        fast.translations.as_completed("abc123")
    with pytest.raises(hg.ValidationError, match="Job handles"):
        await fast.jobs.wait_many(["abc123"])  # type: ignore[arg-type]


async def test_batch_refuses_an_unknown_kind(fast: hg.HeyGenClient) -> None:
    async def submit(video_id: str) -> str:
        return video_id

    with pytest.raises(hg.ValidationError, match="kind must be one of"):
        async for _ in fast.jobs.batch(["a"], submit, kind="vidoe"):
            pass


async def test_a_submission_without_a_usable_id_is_ambiguous_not_fatal(fast: hg.HeyGenClient) -> None:
    async def submit(text: str) -> str:
        return "" if text == "broken" else await _video(fast)

    items = [item async for item in fast.jobs.batch(["broken", "fine"], submit, kind="video", timeout=0.2)]
    assert sorted(item.index for item in items) == [0, 1]
    broken = next(item for item in items if item.index == 0)
    assert broken.ambiguous
    assert isinstance(broken.error, hg.ValidationError)


async def test_a_resume_token_with_a_strange_kind_is_refused(fast: hg.HeyGenClient) -> None:
    token = json.dumps({"heygen_async_job": 1, "kind": ["video"], "id": "x", "base_url": fast.base_url})
    with pytest.raises(hg.ValidationError, match="unknown job kind"):
        fast.jobs.resume(token)


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"backoff": 0}, "backoff"),
        ({"backoff": 0.5}, "backoff"),
        ({"jitter": 5}, "jitter"),
        ({"retry_after_floor": 10, "retry_after_ceiling": 5}, "retry_after_floor"),
        ({"first_poll": -1}, "first_poll"),
        ({"max_interval": float("inf")}, "max_interval"),
    ],
)
def test_poll_policy_refuses_values_that_cannot_work(arguments: dict[str, float], parameter: str) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        hg.PollPolicy(**arguments)
    assert caught.value.parameter == parameter
    assert isinstance(caught.value, ValueError)  # still a ValueError, as before
