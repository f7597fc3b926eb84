"""The webhook fast path: feed() resolves a waiter at once, expect_webhooks slows polling to a fallback."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async.emulator import Emulator
from tests.support import FAST_POLL, VIDEO, ServerFactory, fast_client, polls_settled, requests_to, scene, wait_until

SLOW = hg.PollPolicy(first_poll=30, max_interval=60)


async def _video(client: hg.HeyGenClient) -> str:
    job = await client.videos.generate([scene()])
    assert job.video_id
    return job.video_id


async def test_feed_resolves_a_slow_waiter_at_once(heygen_emulator: Emulator) -> None:
    """With a 30 s cadence, a fed success event finishes the wait within a second of the render finishing."""
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:
        video_id = await _video(client)
        task = asyncio.create_task(client.videos.wait(video_id))
        await polls_settled(client)  # at once (the wait does not know when the job was submitted): pending
        await asyncio.sleep(0.05)
        assert requests_to(heygen_emulator, VIDEO.endpoint) == 1
        await heygen_emulator.advance(60)
        started = time.monotonic()
        assert client.jobs.feed({"event_type": "avatar_video.success", "event_data": {"video_id": video_id}})
        video = await asyncio.wait_for(task, 1.5)
        assert time.monotonic() - started < 1.5
    assert video.status is hg.VideoStatus.COMPLETED
    assert video.video_url  # the full result, fetched by the poll the event triggered
    assert requests_to(heygen_emulator, VIDEO.endpoint) == 2


async def test_feed_accepts_the_event_key_and_attribute_objects(heygen_emulator: Emulator) -> None:
    """The ``event`` key and an object with event_type/event_data attributes work too; the poll decides."""

    class Event:
        def __init__(self, event_type: str, event_data: dict[str, Any]) -> None:
            self.event_type = event_type
            self.event_data = event_data

    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:
        first, second = await _video(client), await _video(client)
        tasks = [asyncio.create_task(client.videos.wait(v)) for v in (first, second)]
        await asyncio.sleep(0.02)
        await heygen_emulator.advance(60)
        assert client.jobs.feed({"event": "avatar_video.fail", "event_data": {"video_id": first}})
        assert client.jobs.feed(Event("avatar_video.success", {"video_id": second}))
        videos = await asyncio.wait_for(asyncio.gather(*tasks), 1.5)
    assert [v.id for v in videos] == [first, second]


async def test_a_delivered_callback_fed_to_the_client_ends_the_wait(
    heygen_emulator: Emulator, serve: ServerFactory
) -> None:
    """End to end: the emulator POSTs the render's callback to a local receiver that feeds it to the client."""
    fed: list[bool] = []
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:

        async def receive(request: web.Request) -> web.Response:
            fed.append(client.jobs.feed(await request.json()))
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/heygen/hook", receive)
        receiver = await serve(app) + "/hook"
        job = await client.videos.generate([scene()], callback_url=receiver)
        assert job.video_id
        task = asyncio.create_task(client.videos.wait(job.video_id))
        await asyncio.sleep(0.02)
        await heygen_emulator.advance(60)  # the render finishes and its callback is delivered
        video = await asyncio.wait_for(task, 1.5)
    assert fed == [True]
    assert video.status is hg.VideoStatus.COMPLETED


@pytest.mark.parametrize(
    "event",
    [
        {"event_type": "avatar_video.success", "event_data": {"video_id": "not-tracked"}},
        {"event_type": "video_translate.success", "event_data": {"video_translate_id": "not-tracked"}},
        {"event_type": "instant_avatar.success", "event_data": {"id": "whatever"}},
        {"event_type": "no.such.event", "event_data": {"video_id": "whatever"}},
        {"event_type": "avatar_video.success", "event_data": "not a mapping"},
        {"event_type": "avatar_video.success", "event_data": {"video_id": 12345}},
        {"event_data": {"video_id": "whatever"}},
        "avatar_video.success",
        None,
    ],
)
async def test_feed_returns_false_for_unknown_or_untracked_events(fast: hg.HeyGenClient, event: Any) -> None:
    """An event for no tracked job, of a type no job kind follows, or malformed, is simply not matched."""
    video_id = await _video(fast)
    task = asyncio.create_task(fast.videos.wait(video_id, timeout=None))
    await asyncio.sleep(0.02)
    try:
        assert fast.jobs.feed(event) is False
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_feed_after_the_wait_ended_is_not_matched(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """Once nobody waits for a job, its events match nothing."""
    video_id = await _video(fast)
    await heygen_emulator.advance(60)
    await fast.videos.wait(video_id, timeout=2)
    assert fast.jobs.feed({"event_type": "avatar_video.success", "event_data": {"video_id": video_id}}) is False


async def test_expect_webhooks_slows_the_cadence(heygen_emulator: Emulator) -> None:
    """While webhooks are expected, polling drops to webhook_interval after the first poll; feed still wakes it."""
    policy = hg.PollPolicy(
        first_poll=FAST_POLL.first_poll, max_interval=FAST_POLL.max_interval, jitter=0.1, webhook_interval=30
    )
    async with fast_client(heygen_emulator, poll_policy=policy) as client:
        assert client.jobs.expect_webhooks is False
        client.jobs.expect_webhooks = True
        assert client.jobs.expect_webhooks is True
        slow_id = await _video(client)
        task = asyncio.create_task(client.videos.wait(slow_id))
        await wait_until(lambda: requests_to(heygen_emulator, VIDEO.endpoint) == 1, what="the first poll")
        await asyncio.sleep(0.3)  # at the fast cadence: several more polls
        assert requests_to(heygen_emulator, VIDEO.endpoint) == 1
        await heygen_emulator.advance(60)
        assert client.jobs.feed({"event_type": "avatar_video.success", "event_data": {"video_id": slow_id}})
        video = await asyncio.wait_for(task, 1.5)
        assert video.status is hg.VideoStatus.COMPLETED


async def test_without_expect_webhooks_the_fast_cadence_applies(heygen_emulator: Emulator) -> None:
    """The same policy without expect_webhooks polls at its own cadence (the contrast to the test above)."""
    policy = hg.PollPolicy(
        first_poll=FAST_POLL.first_poll, max_interval=FAST_POLL.max_interval, jitter=0.1, webhook_interval=30
    )
    async with fast_client(heygen_emulator, poll_policy=policy) as client:
        video_id = await _video(client)
        task = asyncio.create_task(client.videos.wait(video_id))
        await wait_until(lambda: requests_to(heygen_emulator, VIDEO.endpoint) >= 3, what="polls at the fast cadence")
        await heygen_emulator.advance(60)
        await asyncio.wait_for(task, 1.5)
