"""End to end on 127.0.0.1: the emulator signs and delivers, the receiver (aiohttp or ASGI) verifies, de-duplicates,
calls the handler and feeds the client, and ``videos.wait`` returns before its next scheduled poll."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.emulator import Emulator
from tests.support import VIDEO, Start, fast_client, polls_settled, requests_to, scene, serving

SLOW = hg.PollPolicy(first_poll=30, max_interval=60)
"""No poll for 30 s after a wait's first one (at once: it does not know when the job was submitted): anything
sooner is the webhook's doing."""


@pytest.fixture(params=["aiohttp-route", "asgi"])
async def start(request: pytest.FixtureRequest) -> AsyncIterator[Start]:
    async with serving(request.param) as start:
        yield start


async def test_a_signed_delivery_resolves_the_wait_before_the_next_poll(
    heygen_emulator: Emulator, start: Start
) -> None:
    received: list[webhooks.WebhookEvent] = []
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:

        async def handler(event: webhooks.WebhookEvent) -> None:
            received.append(event)

        receiver = webhooks.WebhookReceiver(handler=handler, client=client)
        url = await start(receiver)
        endpoint = await client.webhooks.register(url, [webhooks.AvatarVideoSuccess, "avatar_video.fail"])
        assert endpoint.secret
        receiver.set_secret(endpoint.secret)
        job = await client.videos.generate([scene()])
        assert job.video_id
        task = asyncio.create_task(client.videos.wait(job.video_id))
        await polls_settled(client)
        await asyncio.sleep(0.05)
        assert requests_to(heygen_emulator, VIDEO.endpoint) == 1  # the wait's first: the render is running
        await heygen_emulator.advance(60)  # the render finishes; the signed delivery is made and answered
        video = await asyncio.wait_for(task, 2)
    assert video.status is hg.VideoStatus.COMPLETED
    assert video.id == job.video_id
    assert requests_to(heygen_emulator, VIDEO.endpoint) == 2  # and the one poll the delivery caused
    (event,) = received
    assert isinstance(event, webhooks.AvatarVideoSuccess)
    assert (event.video_id, event.verified) == (job.video_id, True)
    (delivery,) = heygen_emulator.deliveries
    assert (delivery.status, delivery.attempts, delivery.signature is not None) == (200, 1, True)


async def test_a_failed_render_delivered_by_webhook_raises_video_failed(
    heygen_emulator: Emulator, start: Start
) -> None:
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:
        receiver = webhooks.WebhookReceiver(client=client)
        url = await start(receiver)
        receiver.set_secret((await client.webhooks.register(url)).secret or "")
        job = await client.videos.generate([scene("Hello #fail")])
        assert job.video_id
        task = asyncio.create_task(client.videos.wait(job.video_id))
        await asyncio.sleep(0.05)
        await heygen_emulator.advance(60)
        with pytest.raises(hg.VideoFailed) as caught:
            await asyncio.wait_for(task, 2)
    assert caught.value.job_id == job.video_id
    assert receiver.stats.handled == 1


async def test_a_translation_is_resolved_by_its_webhook(heygen_emulator: Emulator, start: Start) -> None:
    async with fast_client(heygen_emulator, poll_policy=hg.PollPolicy(first_poll=60, max_interval=120)) as client:
        receiver = webhooks.WebhookReceiver(client=client)
        url = await start(receiver)
        receiver.set_secret((await client.webhooks.ensure(url, ["video_translate.success"])).secret or "")
        job = await client.translations.create("https://media.example/source.mp4", output_language="French")
        assert job.video_translate_id
        task = asyncio.create_task(client.translations.wait(job.video_translate_id))
        await asyncio.sleep(0.05)
        await heygen_emulator.advance(100)
        translation = await asyncio.wait_for(task, 2)
    assert translation.status is hg.TranslationStatus.SUCCESS
    assert receiver.stats.handled == 1


async def test_deliveries_signed_with_another_secret_are_refused_and_feed_nothing(
    heygen_emulator: Emulator, start: Start
) -> None:
    handled: list[webhooks.WebhookEvent] = []
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:

        async def handler(event: webhooks.WebhookEvent) -> None:
            handled.append(event)

        receiver = webhooks.WebhookReceiver(handler=handler, client=client)
        url = await start(receiver)
        await client.webhooks.register(url)
        receiver.set_secret("whsec_not-the-endpoints-secret")
        job = await client.videos.generate([scene()])
        assert job.video_id
        task = asyncio.create_task(client.videos.wait(job.video_id))
        await polls_settled(client)
        await heygen_emulator.advance(60)
        await asyncio.sleep(0.1)
        assert not task.done()  # nothing fed it: it waits for its own next poll
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert handled == []
    assert requests_to(heygen_emulator, VIDEO.endpoint) == 1  # the wait's first poll only
    (delivery,) = heygen_emulator.deliveries
    assert delivery.status == 401
    assert delivery.attempts > 1  # HeyGen (the emulator) retried, and every try was refused
    assert receiver.stats.unauthorized == delivery.attempts


async def test_a_replayed_delivery_is_handed_on_once(heygen_emulator: Emulator, start: Start) -> None:
    handled: list[webhooks.WebhookEvent] = []
    async with fast_client(heygen_emulator, poll_policy=SLOW) as client:

        async def handler(event: webhooks.WebhookEvent) -> None:
            handled.append(event)

        receiver = webhooks.WebhookReceiver(handler=handler, client=client)
        url = await start(receiver)
        receiver.set_secret((await client.webhooks.register(url)).secret or "")
        job = await client.videos.generate([scene()])
        await heygen_emulator.advance(60)
    (delivery,) = heygen_emulator.deliveries
    assert delivery.signature
    async with aiohttp.ClientSession() as http:
        for _ in range(3):  # an attacker (or a retry) sends the very same signed bytes again
            headers = {"Signature": delivery.signature, "Content-Type": "application/json"}
            async with http.post(url, data=delivery.body, headers=headers) as response:
                assert response.status == 200
                assert (await response.json()) == {"ok": True, "duplicate": True}
    assert [event.job_id for event in handled] == [job.video_id]
    assert receiver.stats.duplicates == 3


async def test_the_emulator_probe_registers_only_a_url_that_answers(heygen_emulator: Emulator) -> None:
    """Registration needs the receiver up: a URL nobody answers is refused by the probe."""
    async with fast_client(heygen_emulator) as client:
        with pytest.raises(hg.BadRequestError):
            await client.webhooks.register("http://127.0.0.1:9/nobody-home")
        assert await client.webhooks.list_endpoints() is not None
        assert len(await client.webhooks.list_endpoints()) == 0
