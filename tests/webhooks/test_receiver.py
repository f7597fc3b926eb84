"""WebhookReceiver over real HTTP on 127.0.0.1, the same for an aiohttp route, an aiohttp sub-app and ASGI:
probe, size limit before reading, signatures, payloads, de-duplication, handler failures, dispatch. Straight
through the ASGI app: a copy arriving while the first handling fails is not acknowledged, a failing delivery
log is a 503, an unsigned forgery does not shadow the signed delivery, a cancelled delivery forgets its key, a
body slower than read_timeout is a 408."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from typing import Any

import aiohttp
import pytest
from yarl import URL

import heygen_async as hg
from heygen_async import webhooks
from tests.support import WEBHOOK_SECRET, Start, body_of, post_delivery, signed_headers


def signed(body: bytes, secret: str = WEBHOOK_SECRET, header: str = "Signature") -> dict[str, str]:
    return {header: hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(), "Content-Type": "application/json"}


class Recorder:
    def __init__(self) -> None:
        self.events: list[webhooks.WebhookEvent] = []

    async def __call__(self, event: webhooks.WebhookEvent) -> None:
        self.events.append(event)


async def test_the_probe_is_answered_with_200_even_before_a_secret_is_set(
    start: Start, http: aiohttp.ClientSession
) -> None:
    url = await start(webhooks.WebhookReceiver())
    async with http.options(url) as response:
        assert response.status == 200
        assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_get_405(start: Start, http: aiohttp.ClientSession, method: str) -> None:
    recorder = Recorder()
    url = await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder))
    async with http.request(method, url) as response:
        assert response.status == 405
    assert recorder.events == []


async def test_a_valid_delivery_reaches_the_handler_once_verified(start: Start, http: aiohttp.ClientSession) -> None:
    recorder = Recorder()
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder)
    url = await start(receiver)
    body = body_of(url="https://r/v1.mp4")
    assert await post_delivery(http, url, body, signed(body)) == (200, {"ok": True})
    (event,) = recorder.events
    assert isinstance(event, webhooks.AvatarVideoSuccess)
    assert (event.video_id, event.url, event.verified) == ("v1", "https://r/v1.mp4", True)
    assert receiver.stats.handled == 1


@pytest.mark.parametrize("header", ["Signature", "X-HeyGen-Signature", "Heygen-Signature", "HEYGEN-SIGNATURE"])
async def test_each_default_signature_header_is_verified(
    start: Start, http: aiohttp.ClientSession, header: str
) -> None:
    recorder = Recorder()
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder)
    url = await start(receiver)
    body = body_of()
    assert (await post_delivery(http, url, body, signed(body, header=header)))[0] == 200
    other = body_of(video_id="v2")
    assert (await post_delivery(http, url, other, signed(body, header=header)))[0] == 401  # still checked
    assert [(event.job_id, event.verified) for event in recorder.events] == [("v1", True)]


@pytest.mark.parametrize(
    ("headers_of", "reason"),
    [
        (lambda body: {}, "missing"),
        (lambda body: {"Signature": "nope"}, "malformed"),
        (lambda body: signed(body, secret="whsec_wrong"), "mismatch"),
        (lambda body: signed(body + b" "), "mismatch"),
    ],
    ids=["missing", "malformed", "wrong-secret", "tampered"],
)
async def test_a_bad_signature_gets_401_and_no_handler_runs(
    start: Start, http: aiohttp.ClientSession, headers_of: Any, reason: str
) -> None:
    recorder = Recorder()
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder)
    url = await start(receiver)
    body = body_of()
    status, answer = await post_delivery(http, url, body, headers_of(body))
    assert (status, answer["reason"]) == (401, reason)
    assert recorder.events == []
    assert receiver.stats.unauthorized == 1
    assert WEBHOOK_SECRET not in json.dumps(answer)


async def test_without_a_secret_deliveries_get_503_until_one_is_set(start: Start, http: aiohttp.ClientSession) -> None:
    recorder = Recorder()
    receiver = webhooks.WebhookReceiver(handler=recorder)
    url = await start(receiver)
    body = body_of()
    assert (await post_delivery(http, url, body, signed(body)))[0] == 503
    assert not receiver.has_secret
    receiver.set_secret(WEBHOOK_SECRET)
    assert (await post_delivery(http, url, body, signed(body)))[0] == 200
    assert len(recorder.events) == 1
    assert WEBHOOK_SECRET not in repr(receiver)


async def test_a_replayed_delivery_reaches_the_application_once(start: Start, http: aiohttp.ClientSession) -> None:
    recorder = Recorder()
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder)
    url = await start(receiver)
    body = body_of()
    answers = [await post_delivery(http, url, body, signed(body)) for _ in range(3)]
    duplicate = (200, {"ok": True, "duplicate": True})
    assert answers == [(200, {"ok": True}), duplicate, duplicate]
    # The same event re-serialised differently (a retry with other key order) is the same delivery too.
    other = json.dumps({"event_data": {"video_id": "v1"}, "event_type": "avatar_video.success"}).encode()
    assert await post_delivery(http, url, other, signed(other)) == (200, {"ok": True, "duplicate": True})
    assert len(recorder.events) == 1
    assert receiver.stats.duplicates == 3


async def test_copies_arriving_while_the_first_is_handled_are_told_to_retry(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """A copy arriving mid-handling gets 409, not 200: if the first handling fails, the sender's retry is
    what gets the event through. Once handled, copies get 200 and are not handed on again."""
    gate, entered = asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def slow(event: webhooks.WebhookEvent) -> None:
        calls.append(event.event_type)
        entered.set()
        await gate.wait()
        if len(calls) == 1:
            raise RuntimeError("the first handling fails")

    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, slow)
    url = await start(receiver)
    body = body_of()
    first = asyncio.create_task(post_delivery(http, url, body, signed(body)))
    await asyncio.wait_for(entered.wait(), 5)
    copies = await asyncio.gather(*(post_delivery(http, url, body, signed(body)) for _ in range(3)))
    assert [status for status, _ in copies] == [409] * 3
    gate.set()
    assert (await first)[0] == 500
    assert await post_delivery(http, url, body, signed(body)) == (200, {"ok": True})  # the retry gets it through
    assert (await post_delivery(http, url, body, signed(body)))[1] == {"ok": True, "duplicate": True}
    assert calls == ["avatar_video.success", "avatar_video.success"]
    assert (receiver.stats.in_progress, receiver.stats.failed, receiver.stats.handled) == (3, 1, 1)


async def test_events_without_a_job_id_are_deduplicated_by_body(start: Start, http: aiohttp.ClientSession) -> None:
    recorder = Recorder()
    url = await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder))
    first = json.dumps({"event_type": "brand_new.event", "event_data": {"n": 1}}).encode()
    second = json.dumps({"event_type": "brand_new.event", "event_data": {"n": 2}}).encode()
    for body in (first, second, first):
        assert (await post_delivery(http, url, body, signed(body)))[0] == 200
    assert [event.event_data["n"] for event in recorder.events] == [1, 2]


async def test_deduplication_can_be_turned_off(start: Start, http: aiohttp.ClientSession) -> None:
    recorder = Recorder()
    url = await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder, deliveries=None))
    body = body_of()
    for _ in range(2):
        await post_delivery(http, url, body, signed(body))
    assert len(recorder.events) == 2


async def test_a_failing_handler_gets_500_and_the_retry_gets_through(
    start: Start, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []

    async def flaky(event: webhooks.WebhookEvent) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database down")

    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, flaky)
    url = await start(receiver)
    body = body_of()
    with caplog.at_level(logging.ERROR, logger="heygen_async.webhooks"):
        assert (await post_delivery(http, url, body, signed(body)))[0] == 500
    assert "webhook handler failed" in caplog.text
    assert (await post_delivery(http, url, body, signed(body))) == (200, {"ok": True})
    assert (await post_delivery(http, url, body, signed(body)))[1] == {"ok": True, "duplicate": True}
    assert len(attempts) == 2
    assert (receiver.stats.failed, receiver.stats.handled) == (1, 1)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"event_data": {}}'],
    ids=["garbage", "list", "no-event"],
)
async def test_a_signed_body_that_is_not_an_event_gets_400(
    start: Start, http: aiohttp.ClientSession, body: bytes
) -> None:
    recorder = Recorder()
    url = await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder))
    status, answer = await post_delivery(http, url, body, signed(body))
    assert status == 400
    assert answer["ok"] is False
    assert recorder.events == []


async def test_a_body_over_the_limit_is_refused_from_its_content_length_without_reading_it(start: Start) -> None:
    """The client announces 50 MB and sends 10 bytes: the answer is 413 at once, not after waiting for the rest."""
    recorder = Recorder()
    url = URL(await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder, max_body_size=1000)))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(
            f"POST {url.raw_path} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\nContent-Type: application/json\r\n"
            f"Signature: {'0' * 64}\r\nContent-Length: 50000000\r\n\r\n0123456789".encode()
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
    assert status_line.split()[1] == b"413"
    assert recorder.events == []


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(start: Start) -> None:
    """No Content-Length: the receiver reads until the limit and answers 413 without waiting for the end."""
    recorder = Recorder()
    url = URL(await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder, max_body_size=1000)))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(
            f"POST {url.raw_path} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        for _ in range(3):
            writer.write(b"200\r\n" + b"x" * 512 + b"\r\n")  # 3 x 512 bytes, and the body never ends
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
    assert status_line.split()[1] == b"413"
    assert recorder.events == []


async def test_a_body_just_under_the_limit_is_accepted(start: Start, http: aiohttp.ClientSession) -> None:
    recorder = Recorder()
    body = body_of(padding="y" * 900)
    url = await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder, max_body_size=len(body)))
    assert (await post_delivery(http, url, body, signed(body)))[0] == 200
    assert (await post_delivery(http, url, body + b" ", signed(body + b" ")))[0] == 413
    assert len(recorder.events) == 1


async def test_unsigned_deliveries_are_accepted_only_when_allowed_and_marked_unverified(
    start: Start, http: aiohttp.ClientSession
) -> None:
    recorder = Recorder()
    url = await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder, allow_unsigned=True))
    body = body_of(video_id="unsigned")
    assert (await post_delivery(http, url, body, {}))[0] == 200
    # A signature that is present is still checked.
    forged = body_of(video_id="forged")
    assert (await post_delivery(http, url, forged, signed(forged, secret="whsec_nope")))[0] == 401
    assert [(event.job_id, event.verified) for event in recorder.events] == [("unsigned", False)]


async def test_handlers_are_dispatched_by_event_name_and_class(start: Start, http: aiohttp.ClientSession) -> None:
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET)
    seen: dict[str, list[str]] = {"name": [], "class": [], "family": [], "all": [], "sync": []}

    @receiver.on("video_translate.success")
    async def by_name(event: webhooks.WebhookEvent) -> None:
        seen["name"].append(event.event_type)

    @receiver.on(webhooks.AvatarVideoFail)
    async def by_class(event: webhooks.AvatarVideoFail) -> None:  # a narrower type checks too (mypy --strict)
        seen["class"].append(event.event_type)

    @receiver.on(webhooks.AvatarVideoEvent)
    async def by_family(event: webhooks.WebhookEvent) -> None:
        seen["family"].append(event.event_type)

    @receiver.on()
    async def every(event: webhooks.WebhookEvent) -> None:
        seen["all"].append(event.event_type)

    @receiver.on("avatar_video.success")
    def plain(event: webhooks.WebhookEvent) -> None:  # a plain function works too
        seen["sync"].append(event.event_type)

    url = await start(receiver)
    for index, event_type in enumerate(["avatar_video.success", "avatar_video.fail", "video_translate.success"]):
        body = body_of(event_type, video_id=f"v{index}", video_translate_id=f"t{index}")
        assert (await post_delivery(http, url, body, signed(body)))[0] == 200
    assert seen == {
        "name": ["video_translate.success"],
        "class": ["avatar_video.fail"],
        "family": ["avatar_video.success", "avatar_video.fail"],
        "all": ["avatar_video.success", "avatar_video.fail", "video_translate.success"],
        "sync": ["avatar_video.success"],
    }


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"secret": ""}, "secret"),
        ({"secret": 5}, "secret"),
        ({"max_body_size": 0}, "max_body_size"),
        ({"max_body_size": True}, "max_body_size"),
        ({"signature_header": ""}, "signature_header"),
        ({"handler": "not callable"}, "handler"),
        ({"client": object()}, "client"),
        ({"deliveries": object()}, "deliveries"),
    ],
)
def test_bad_receiver_options_are_refused_by_name(options: dict[str, Any], parameter: str) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.WebhookReceiver(**options)
    assert caught.value.parameter == parameter


def test_on_refuses_what_is_not_an_event_selector() -> None:
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET)
    with pytest.raises(hg.ValidationError):
        receiver.on(5)  # type: ignore[arg-type]
    with pytest.raises(hg.ValidationError):
        receiver.on(dict)  # type: ignore[arg-type]


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

    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, handler)
    body = body_of()
    first = asyncio.create_task(call_asgi(receiver, body, signed_headers(body)))
    await asyncio.sleep(0.05)
    retry = await call_asgi(receiver, body, signed_headers(body))
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
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, handled.append, deliveries=FailingLog())
    body = body_of()
    sent = await call_asgi(receiver, body, signed_headers(body))
    assert sent[0]["status"] == 503
    assert handled == []
    assert receiver.stats.log_errors == 1


async def test_an_unsigned_forgery_does_not_shadow_the_signed_delivery_of_the_same_job() -> None:
    seen: list[webhooks.WebhookEvent] = []
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, seen.append, allow_unsigned=True)
    forged = body_of(url="https://evil.example/x.mp4")
    genuine = body_of(url="https://files.heygen.ai/v1.mp4")
    assert (await call_asgi(receiver, forged, []))[0]["status"] == 200
    assert (await call_asgi(receiver, genuine, signed_headers(genuine)))[0]["status"] == 200
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
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, handler, deliveries=log)
    body = body_of()
    task = asyncio.create_task(receiver.deliver(body, signed_headers(body)))
    await started.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert len(log) == 0


async def test_one_odd_optional_field_does_not_hide_a_success_from_its_class_handler() -> None:
    seen: list[webhooks.WebhookEvent] = []
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET)
    receiver.on(webhooks.AvatarVideoSuccess)(seen.append)
    body = body_of(url="https://files.heygen.ai/v1.mp4", msg={"code": 0, "text": "ok"})
    assert (await call_asgi(receiver, body, signed_headers(body)))[0]["status"] == 200
    assert [event.job_id for event in seen] == ["v1"]


def test_headers_given_as_a_generator_are_read_once() -> None:
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET)
    body = body_of()
    reply = asyncio.run(receiver.deliver(body, (pair for pair in signed_headers(body))))
    assert reply.status == 200


async def test_a_body_that_trickles_in_slower_than_read_timeout_gets_408() -> None:
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, read_timeout=0.05)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.02)
        return {"type": "http.request", "body": b"x", "more_body": True}

    async def send(message: Any) -> None:
        sent.append(message)

    await receiver({"type": "http", "method": "POST", "headers": signed_headers(b"x")}, receive, send)
    assert sent[0]["status"] == 408
    assert receiver.stats.timed_out == 1


def test_on_refuses_a_misspelt_event_name_unless_allowed() -> None:
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET)
    with pytest.raises(hg.ValidationError):
        receiver.on("avatar_video.sucess")
    receiver.on("brand_new.event", allow_unknown=True)(lambda event: None)


async def test_the_asgi_app_answers_lifespan_and_refuses_websockets() -> None:
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET)
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await receiver({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    sent.clear()
    await receiver({"type": "websocket", "headers": []}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_an_asgi_client_that_disconnects_mid_body_gets_nothing_and_no_handler_runs() -> None:
    recorder = Recorder()
    receiver = webhooks.WebhookReceiver(WEBHOOK_SECRET, recorder)
    inbox: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"{", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    await receiver({"type": "http", "method": "POST", "headers": [(b"signature", b"0" * 64)]}, receive, send)
    assert sent == []
    assert recorder.events == []


async def test_memory_delivery_log_states_expiry_and_bound() -> None:
    log = webhooks.MemoryDeliveryLog(max_entries=2, ttl=0.05, lease=0.05)
    assert await log.claim("a") == "new"
    assert await log.claim("a") == "in_progress"
    await log.complete("a")
    assert await log.claim("a") == "done"
    assert await log.claim("b") == "new"
    assert await log.claim("c") == "new"  # "a" is pushed out by the bound
    assert len(log) == 2
    assert await log.claim("a") == "new"
    await asyncio.sleep(0.06)
    assert await log.claim("b") == "new"  # its lease ran out (its handler hung or died)
    await log.release("b")
    assert await log.claim("b") == "new"
    await log.complete("b")
    await asyncio.sleep(0.06)
    assert await log.claim("b") == "new"  # handled, then expired
    for bad in ({"max_entries": 0}, {"ttl": 0}, {"ttl": "1"}, {"lease": -1}):
        with pytest.raises(hg.ValidationError):
            webhooks.MemoryDeliveryLog(**bad)
