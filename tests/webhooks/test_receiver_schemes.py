"""WebhookReceiver with ``scheme=`` over real HTTP on 127.0.0.1 (aiohttp route, sub-app, ASGI): v3 deliveries
with a timestamp inside or outside the window by the receiver's clock (a ManualClock), rotation, unsigned
deliveries, and de-duplication by an event id only when the signature covers it."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.emulator import ManualClock
from tests.support import WEBHOOK_SECRET, Start, body_of, post_delivery

NOW = 1_750_000_000
BODY_ONLY = webhooks.TimestampedSignature(payload=webhooks.BODY_ONLY)
WITH_EVENT_ID = webhooks.TimestampedSignature(payload="{event_id}.{timestamp}.{body}")


def stamped(
    body: bytes,
    timestamp: int = NOW,
    scheme: webhooks.TimestampedSignature | None = None,
    event_id: str | None = None,
    secret: str = WEBHOOK_SECRET,
) -> dict[str, str]:
    return webhooks.sign_timestamped(body, secret, timestamp, event_id=event_id, scheme=scheme)


def receiver_of(
    seen: list[webhooks.WebhookEvent], scheme: webhooks.SignatureScheme, clock: ManualClock, **options: Any
) -> webhooks.WebhookReceiver:
    return webhooks.WebhookReceiver(WEBHOOK_SECRET, seen.append, scheme=scheme, clock=clock.now, **options)


@pytest.mark.parametrize(
    "scheme", [webhooks.TimestampedSignature(), BODY_ONLY], ids=["timestamp-and-body", "body-only"]
)
async def test_a_timestamped_delivery_is_handled_inside_the_window_and_refused_outside_it(
    start: Start, http: aiohttp.ClientSession, scheme: webhooks.TimestampedSignature
) -> None:
    clock = ManualClock(NOW)
    seen: list[webhooks.WebhookEvent] = []
    receiver = receiver_of(seen, scheme, clock)
    url = await start(receiver)
    first, second, third = (body_of(video_id=f"v{n}") for n in (1, 2, 3))
    assert await post_delivery(http, url, first, stamped(first, scheme=scheme)) == (200, {"ok": True})
    clock.move_to(NOW + 301)
    status, answer = await post_delivery(http, url, second, stamped(second, scheme=scheme))
    assert (status, answer["reason"]) == (401, "stale")
    in_milliseconds = stamped(third, (NOW + 300) * 1000, scheme=scheme)
    assert (await post_delivery(http, url, third, in_milliseconds))[0] == 200
    assert [(event.job_id, event.verified) for event in seen] == [("v1", True), ("v3", True)]
    assert (receiver.stats.handled, receiver.stats.unauthorized) == (2, 1)
    assert WEBHOOK_SECRET not in json.dumps(answer)


async def test_the_emulators_v3_delivery_headers_are_verified_end_to_end(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """The body's HMAC by ``sign`` in Heygen-Signature, Unix seconds in Heygen-Timestamp, Heygen-Event-Id."""
    clock = ManualClock(NOW + 2)
    seen: list[webhooks.WebhookEvent] = []
    url = await start(receiver_of(seen, BODY_ONLY, clock))
    body = body_of("video_agent.success", session_id="s1")
    headers = {
        "Heygen-Signature": webhooks.sign(body, WEBHOOK_SECRET),
        "Heygen-Timestamp": str(NOW),
        "Heygen-Event-Id": "evt_1",
        "Content-Type": "application/json",
    }
    assert (await post_delivery(http, url, body, headers))[0] == 200
    forged = {**headers, "Heygen-Signature": webhooks.sign(body, "whsec_not-the-secret")}
    status, answer = await post_delivery(http, url, body_of("video_agent.success", video_id="v2"), forged)
    assert (status, answer["reason"]) == (401, "mismatch")
    (event,) = seen
    assert isinstance(event, webhooks.VideoAgentSuccess)
    assert (event.job_id, event.verified) == ("v1", True)


async def test_rotation_accepts_either_secret_with_a_timestamped_scheme(
    start: Start, http: aiohttp.ClientSession
) -> None:
    clock = ManualClock(NOW)
    seen: list[webhooks.WebhookEvent] = []
    receiver = receiver_of(seen, webhooks.TimestampedSignature(), clock)
    receiver.set_secret(["whsec_old-secret", WEBHOOK_SECRET])
    url = await start(receiver)
    for index, secret in enumerate(["whsec_old-secret", WEBHOOK_SECRET, "whsec_unknown"]):
        body = body_of(video_id=f"v{index}")
        await post_delivery(http, url, body, stamped(body, secret=secret))
    assert [event.job_id for event in seen] == ["v0", "v1"]
    assert receiver.stats.unauthorized == 1


async def test_a_signed_event_id_tells_two_events_of_one_job_apart_and_a_copy_from_either(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Two trainings of one photo avatar group are two events: with ids the signature covers, both reach the
    application, and each one's retry is recognised."""
    clock = ManualClock(NOW)
    seen: list[webhooks.WebhookEvent] = []
    receiver = receiver_of(seen, WITH_EVENT_ID, clock)
    url = await start(receiver)
    body = body_of("photo_avatar_train.success", group_id="g1")
    answers = [
        await post_delivery(http, url, body, stamped(body, scheme=WITH_EVENT_ID, event_id=event_id))
        for event_id in ("evt_1", "evt_2", "evt_1")
    ]
    assert answers == [(200, {"ok": True}), (200, {"ok": True}), (200, {"ok": True, "duplicate": True})]
    assert [(event.job_id, event.event_id) for event in seen] == [("g1", "evt_1"), ("g1", "evt_2")]


async def test_an_event_id_the_signature_does_not_cover_cannot_make_a_replay_look_new(
    start: Start, http: aiohttp.ClientSession
) -> None:
    clock = ManualClock(NOW)
    seen: list[webhooks.WebhookEvent] = []
    url = await start(receiver_of(seen, BODY_ONLY, clock))
    body = body_of()
    for event_id in ("evt_1", "evt_forged"):
        await post_delivery(http, url, body, stamped(body, scheme=BODY_ONLY, event_id=event_id))
    assert [(event.job_id, event.event_id) for event in seen] == [("v1", None)]


async def test_the_bodys_event_id_is_the_delivery_key(start: Start, http: aiohttp.ClientSession) -> None:
    """v3 puts the delivery's id in the signed body: two events of one job get through, a retry does not."""
    seen: list[webhooks.WebhookEvent] = []
    url = await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, seen.append))
    bodies = [
        json.dumps(
            {"event_id": event_id, "event_type": "photo_avatar_train.success", "event_data": {"group_id": "g1"}}
        ).encode()
        for event_id in ("evt_1", "evt_2", "evt_1")
    ]
    answers = [
        await post_delivery(http, url, body, {"Signature": webhooks.sign(body, WEBHOOK_SECRET)}) for body in bodies
    ]
    assert [answer for _, answer in answers] == [{"ok": True}, {"ok": True}, {"ok": True, "duplicate": True}]
    assert [event.event_id for event in seen] == ["evt_1", "evt_2"]


async def test_deliveries_without_the_schemes_signature_header_are_unsigned(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """With ``allow_unsigned``: no Heygen-Signature means unsigned (a legacy ``Signature`` is not this scheme's);
    a Heygen-Signature that is present is always checked, its timestamp too."""
    clock = ManualClock(NOW)
    seen: list[webhooks.WebhookEvent] = []
    url = await start(receiver_of(seen, webhooks.TimestampedSignature(), clock, allow_unsigned=True))
    unsigned = body_of(video_id="unsigned")
    assert (await post_delivery(http, url, unsigned, {"Signature": webhooks.sign(unsigned, WEBHOOK_SECRET)}))[0] == 200
    stale = body_of(video_id="stale")
    status, answer = await post_delivery(http, url, stale, stamped(stale, NOW - 3600))
    assert (status, answer["reason"]) == (401, "stale")
    assert [(event.job_id, event.verified) for event in seen] == [("unsigned", False)]


async def test_the_receivers_default_clock_is_the_system_clock(start: Start, http: aiohttp.ClientSession) -> None:
    """Without ``clock=``: a delivery stamped in 2025 is long out of any window; one stamped now is not."""
    seen: list[webhooks.WebhookEvent] = []
    url = await start(webhooks.WebhookReceiver(WEBHOOK_SECRET, seen.append, scheme=webhooks.TimestampedSignature()))
    old, fresh = body_of(video_id="old"), body_of(video_id="fresh")
    assert (await post_delivery(http, url, old, stamped(old)))[1]["reason"] == "stale"
    assert (await post_delivery(http, url, fresh, stamped(fresh, int(time.time()))))[0] == 200
    assert [event.job_id for event in seen] == ["fresh"]


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"scheme": object()}, "scheme"),
        ({"scheme": webhooks.BodySignature(), "signature_header": "Signature"}, "signature_header"),
        ({"clock": 5}, "clock"),
    ],
)
def test_bad_scheme_options_of_the_receiver_are_refused_by_name(options: dict[str, Any], parameter: str) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.WebhookReceiver(WEBHOOK_SECRET, **options)
    assert caught.value.parameter == parameter
