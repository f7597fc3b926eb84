"""Regressions from the webhooks review: a copy acknowledged before the first handling succeeded, a failing
delivery log, an unsigned forgery shadowing the signed delivery, an odd field hiding a success, ensure(None),
URLs spelt two ways, and URL validation."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.emulator import Emulator
from heygen_async.webhooks._management import _same_url
from tests.support import fast_client, serving

SECRET = "whsec_receiver-Secret-0123456789"


def body_of(event_type: str = "avatar_video.success", **data: Any) -> bytes:
    data.setdefault("video_id", "v1")
    return json.dumps({"event_type": event_type, "event_data": data}, separators=(",", ":")).encode()


def signed(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"signature", hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest().encode())]


async def call_asgi(app: webhooks.WebhookReceiver, body: bytes, headers: list[tuple[bytes, bytes]]) -> list[Any]:
    sent: list[Any] = []
    messages: list[dict[str, Any]] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    await app({"type": "http", "method": "POST", "path": "/", "headers": headers}, receive, send)
    return sent


async def test_a_retry_during_a_failing_first_handling_is_not_acknowledged() -> None:
    gate = asyncio.Event()

    async def handler(event: webhooks.WebhookEvent) -> None:
        await gate.wait()
        raise RuntimeError("database down")

    receiver = webhooks.WebhookReceiver(SECRET, handler)
    body = body_of()
    first = asyncio.create_task(call_asgi(receiver, body, signed(body)))
    await asyncio.sleep(0.05)
    retry = await call_asgi(receiver, body, signed(body))
    gate.set()
    assert (await first)[0]["status"] == 500
    assert retry[0]["status"] == 409


class FailingLog:
    async def claim(self, key: str) -> webhooks.Claim:
        raise ConnectionError("redis unavailable")

    async def complete(self, key: str) -> None:
        return None

    async def release(self, key: str) -> None:
        return None


async def test_a_delivery_log_failure_is_answered_503_not_raised() -> None:
    handled: list[webhooks.WebhookEvent] = []
    receiver = webhooks.WebhookReceiver(SECRET, handled.append, deliveries=FailingLog())
    body = body_of()
    sent = await call_asgi(receiver, body, signed(body))
    assert sent[0]["status"] == 503
    assert handled == []
    assert receiver.stats.log_errors == 1


async def test_an_unsigned_forgery_does_not_shadow_the_signed_delivery_of_the_same_job() -> None:
    seen: list[webhooks.WebhookEvent] = []
    receiver = webhooks.WebhookReceiver(SECRET, seen.append, allow_unsigned=True)
    forged = body_of(url="https://evil.example/x.mp4")
    genuine = body_of(url="https://files.heygen.ai/v1.mp4")
    assert (await call_asgi(receiver, forged, []))[0]["status"] == 200
    assert (await call_asgi(receiver, genuine, signed(genuine)))[0]["status"] == 200
    assert [(event.verified, getattr(event, "url", None)) for event in seen] == [
        (False, "https://evil.example/x.mp4"),
        (True, "https://files.heygen.ai/v1.mp4"),
    ]


class SlowReleaseLog(webhooks.MemoryDeliveryLog):
    async def release(self, key: str) -> None:
        await asyncio.sleep(0.01)
        await super().release(key)


async def test_a_cancelled_delivery_forgets_its_key_even_with_an_async_log() -> None:
    started = asyncio.Event()

    async def handler(event: webhooks.WebhookEvent) -> None:
        started.set()
        await asyncio.sleep(10)

    log = SlowReleaseLog()
    receiver = webhooks.WebhookReceiver(SECRET, handler, deliveries=log)
    body = body_of()
    task = asyncio.create_task(receiver.deliver(body, signed(body)))
    await started.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert len(log) == 0


async def test_one_odd_optional_field_does_not_hide_a_success_from_its_class_handler() -> None:
    seen: list[webhooks.WebhookEvent] = []
    receiver = webhooks.WebhookReceiver(SECRET)
    receiver.on(webhooks.AvatarVideoSuccess)(seen.append)
    body = body_of(url="https://files.heygen.ai/v1.mp4", msg={"code": 0, "text": "ok"})
    assert (await call_asgi(receiver, body, signed(body)))[0]["status"] == 200
    assert [event.job_id for event in seen] == ["v1"]


def test_headers_given_as_a_generator_are_read_once() -> None:
    receiver = webhooks.WebhookReceiver(SECRET)
    body = body_of()
    reply = asyncio.run(receiver.deliver(body, (pair for pair in signed(body))))
    assert reply.status == 200


def test_a_secret_with_a_trailing_newline_still_verifies() -> None:
    body = body_of()
    webhooks.verify(body, signed(body), SECRET + "\n")


def test_on_refuses_a_misspelt_event_name_unless_allowed() -> None:
    receiver = webhooks.WebhookReceiver(SECRET)
    with pytest.raises(hg.ValidationError):
        receiver.on("avatar_video.sucess")
    receiver.on("brand_new.event", allow_unknown=True)(lambda event: None)


async def test_a_body_that_trickles_in_slower_than_read_timeout_gets_408() -> None:
    receiver = webhooks.WebhookReceiver(SECRET, read_timeout=0.05)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.02)
        return {"type": "http.request", "body": b"x", "more_body": True}

    async def send(message: Any) -> None:
        sent.append(message)

    await receiver({"type": "http", "method": "POST", "headers": signed(b"x")}, receive, send)
    assert sent[0]["status"] == 408
    assert receiver.stats.timed_out == 1


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with serving("aiohttp-route") as start:
        yield await start(webhooks.WebhookReceiver())


@pytest.fixture
async def client(heygen_emulator: Emulator) -> AsyncIterator[hg.HeyGenClient]:
    async with fast_client(heygen_emulator) as client:
        yield client


async def test_ensure_none_after_a_list_really_subscribes_to_everything(client: hg.HeyGenClient, url: str) -> None:
    await client.webhooks.ensure(url, ["avatar_video.success"])
    returned = await client.webhooks.ensure(url, None)
    listed = await client.webhooks.find(url)
    assert listed is not None
    assert returned.events is None
    assert listed.events is None


async def test_an_events_only_change_does_not_make_heygen_probe_the_url_again(
    client: hg.HeyGenClient, heygen_emulator: Emulator
) -> None:
    receiver = webhooks.WebhookReceiver()
    async with serving("aiohttp-route") as start:
        url = await start(receiver)
        await client.webhooks.ensure(url, ["avatar_video.success"])
        assert receiver.stats.probes == 1
        changed = await client.webhooks.ensure(url, ["avatar_video.fail"])
    assert changed.events == ["avatar_video.fail"]
    assert receiver.stats.probes == 1  # the URL was not sent again, so HeyGen had nothing to probe


async def test_concurrent_ensures_of_one_url_spelt_two_ways_create_one_endpoint(
    client: hg.HeyGenClient, url: str
) -> None:
    other = url.replace("/webhooks/heygen", "/webhooks/%68eygen")
    assert _same_url(url, other)
    await asyncio.gather(client.webhooks.ensure(url), client.webhooks.ensure(other))
    assert len(await client.webhooks.list_endpoints()) == 1


@pytest.mark.parametrize(
    "bad", ["http://exa mple.com/hook", "http://example.com/ho\tok", "http://example.com:99999/hook"]
)
async def test_a_malformed_url_is_refused_before_anything_is_sent(
    client: hg.HeyGenClient, heygen_emulator: Emulator, bad: str
) -> None:
    before = len(heygen_emulator.request_log)
    with pytest.raises(hg.ValidationError):
        await client.webhooks.register(bad)
    assert len(heygen_emulator.request_log) == before


def test_same_url_treats_default_ports_and_case_as_the_same() -> None:
    assert _same_url("https://example.com:443/hook", "https://example.com/hook")
    assert _same_url("HTTPS://Example.COM/hook", "https://example.com/hook")
    assert not _same_url("https://example.com/Hook", "https://example.com/hook")
    assert not _same_url("https://example.com:8443/hook", "https://example.com/hook")


async def test_entity_id_of_the_wrong_type_is_refused_before_anything_is_sent(
    client: hg.HeyGenClient, heygen_emulator: Emulator, url: str
) -> None:
    before = len(heygen_emulator.request_log)
    with pytest.raises(hg.ValidationError):
        await client.webhooks.register(url, entity_id=123)  # type: ignore[arg-type]
    assert len(heygen_emulator.request_log) == before
