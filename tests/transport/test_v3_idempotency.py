"""v3 creates carry an Idempotency-Key: one per call (or the caller's), the same on every retry, so such a create is
retried like a read; 409 ``request_in_progress`` is waited out; v3 errors keep ``param``/``doc_url``; a gateway
client refuses v3 before sending."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async._transport._call import may_have_been_processed
from tests.support import FAST, sent, sent_json

DIRECT = "https://api.heygen.com"
VIDEOS = re.compile(r"^https://api\.heygen\.com/v3/videos$")
CREATED = {"data": {"video_id": "v_1", "status": "waiting"}}
IN_PROGRESS = {"error": {"code": "request_in_progress", "message": "still running", "param": None, "doc_url": None}}
AVATAR_VIDEO: dict[str, Any] = {"type": "avatar", "avatar_id": "a_1", "script": "Hello", "voice_id": "v_9"}


def keys_sent(m: aioresponses) -> list[str]:
    return [kwargs["headers"]["Idempotency-Key"] for method, _, kwargs in sent(m) if method == "POST"]


async def test_a_create_sends_a_new_key_kept_across_its_retries() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, exception=aiohttp.ServerDisconnectedError())  # maybe processed: a plain POST would stop
            m.post(VIDEOS, status=502, payload={"error": {"code": "internal_error", "message": "bad gateway"}})
            m.post(VIDEOS, payload=CREATED)
            created = await client.v3.videos.create(**AVATAR_VIDEO)
            keys = keys_sent(m)
    assert created.video_id == "v_1"
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", keys[0])


async def test_two_creates_get_two_keys() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, payload=CREATED, repeat=True)
            await client.v3.videos.create(**AVATAR_VIDEO)
            await client.v3.videos.create(**AVATAR_VIDEO)
            keys = keys_sent(m)
    assert len(set(keys)) == 2


async def test_the_callers_key_is_sent_as_given() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, payload=CREATED)
            await client.v3.videos.create(**AVATAR_VIDEO, idempotency_key="order-42:render.1")
            assert keys_sent(m) == ["order-42:render.1"]


@pytest.mark.parametrize("key", ["", "has space", "a/b", "x" * 256, 42])
async def test_a_malformed_key_is_refused_before_sending(key: Any) -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ValidationError, match="idempotency_key") as caught:
                await client.v3.videos.create(**AVATAR_VIDEO, idempotency_key=key)
            assert sent(m) == []
    assert caught.value.parameter == "idempotency_key"


async def test_request_in_progress_is_waited_out_then_the_same_key_gets_the_answer() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, status=409, payload=IN_PROGRESS)
            m.post(VIDEOS, status=409, payload=IN_PROGRESS)
            m.post(VIDEOS, payload=CREATED)
            created = await client.v3.videos.create(**AVATAR_VIDEO)
            assert len(set(keys_sent(m))) == 1
    assert created.video_id == "v_1"


async def test_a_conflict_other_than_in_progress_is_a_verdict_carrying_the_key() -> None:
    conflict = {"error": {"code": "conflict", "message": "no", "param": "title", "doc_url": "https://d.example/c"}}
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, status=409, payload=conflict)
            with pytest.raises(hg.ConflictError) as caught:
                await client.v3.videos.create(**AVATAR_VIDEO, idempotency_key="k-1")
            assert len(sent(m)) == 1
    error = caught.value
    assert (error.code, error.param, error.doc_url, error.idempotency_key) == (
        "conflict",
        "title",
        "https://d.example/c",
        "k-1",
    )
    assert "parameter title" in str(error)


async def test_an_unknown_outcome_after_every_retry_names_the_key_to_send_again_with() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, exception=aiohttp.ServerDisconnectedError(), repeat=True)
            with pytest.raises(hg.APIConnectionError) as caught:
                await client.v3.videos.create(**AVATAR_VIDEO)
            keys = keys_sent(m)
    assert len(keys) == FAST.attempts
    assert caught.value.idempotency_key == keys[0]


async def test_v3_errors_carry_the_request_id_and_the_parameter() -> None:
    invalid = {"error": {"code": "invalid_parameter", "message": "bad voice", "param": "voice_id", "doc_url": None}}
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, status=400, payload=invalid, headers={"X-Request-Id": "req_123"})
            with pytest.raises(hg.BadRequestError) as caught:
                await client.v3.videos.create(**AVATAR_VIDEO)
    assert (caught.value.code, caught.value.param, caught.value.request_id) == (
        "invalid_parameter",
        "voice_id",
        "req_123",
    )


async def test_a_gateway_client_refuses_v3_before_sending() -> None:
    async with hg.HeyGenClient("t", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ConfigurationError, match=r"HeyGenClient\.direct"):
                await client.v3.videos.create(**AVATAR_VIDEO)
            with pytest.raises(hg.ConfigurationError, match="gateway does not serve"):
                await client.v3.users.me()
            assert sent(m) == []


async def test_a_read_takes_no_idempotency_key() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.get(re.compile(r"^https://api\.heygen\.com/v3/users/me$"), payload={"data": {"email": "a@b.c"}})
            me = await client.v3.users.me()
            ((_, _, kwargs),) = sent(m)
    assert me.email == "a@b.c"
    assert "Idempotency-Key" not in (kwargs.get("headers") or {})


def test_the_gateways_definition_lists_no_v3_route() -> None:
    """What the refusal above rests on: LowCodeAPI's HeyGen definition (its 48 routes) has no /v3 path."""
    from heygen_async._spec._v3_table import V3_ENDPOINTS
    from tests.support import DATA

    text = (DATA / "lowcodeapi-heygen-definition.json").read_text()
    assert "/v3/" not in text
    assert all(endpoint.path.startswith("/v3/") for endpoint in V3_ENDPOINTS)


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, {"error": {"code": "internal_error", "message": "boom"}}), (409, IN_PROGRESS)],
    ids=["500", "in-progress"],
)
async def test_a_keyed_create_asked_to_wait_too_long_after_it_may_have_run_is_not_reported_unprocessed(
    status: int, body: dict[str, Any]
) -> None:
    """A 500 (HeyGen may have made the render) or a 409 request_in_progress (it is making it) with a Retry-After
    over the policy's limit becomes a RateLimitError, as documented; that must not turn the outcome into "surely
    not processed", or a batch reports a render that exists as failed and the caller makes it twice."""
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, status=status, payload=body, headers={"Retry-After": "3600"})
            with pytest.raises(hg.RateLimitError) as caught:
                await client.v3.videos.create(**AVATAR_VIDEO, idempotency_key="order-7")
            assert len(sent(m)) == 1
    assert caught.value.retry_after == 3600
    assert caught.value.idempotency_key == "order-7"
    assert may_have_been_processed(caught.value)


async def test_a_rate_limited_create_is_still_surely_unprocessed() -> None:
    limited = {"error": {"code": "rate_limit_exceeded", "message": "slow down"}}
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, status=429, payload=limited, headers={"Retry-After": "3600"})
            with pytest.raises(hg.RateLimitError) as caught:
                await client.v3.videos.create(**AVATAR_VIDEO)
    assert not may_have_been_processed(caught.value)


async def test_a_webhook_secret_an_answer_handed_over_is_masked_when_a_later_error_echoes_it() -> None:
    secret = "whsec_Qm9vbXRvd24tc2VjcmV0LTEyMzQ1Njc4"
    created = {"data": {"endpoint_id": "ep_1", "url": "https://example.com/h", "secret": secret}}
    echo = {"error": {"code": "invalid_parameter", "message": f"bad signature for {secret}", "param": secret}}
    endpoints = re.compile(r"^https://api\.heygen\.com/v3/webhooks/endpoints.*$")
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(endpoints, payload=created)
            m.get(endpoints, status=400, payload=echo)
            endpoint = await client.v3.webhooks.endpoints.create(url="https://example.com/h")
            with pytest.raises(hg.BadRequestError) as caught:
                await client.v3.webhooks.endpoints.list()
    assert endpoint.secret == secret
    shown = f"{caught.value} {caught.value.body} {caught.value.error_message} {caught.value.param}"
    assert secret not in shown
    assert secret not in repr(endpoint)


REMOVALS = re.compile(r"^https://api\.heygen\.com/v3/background-removals$")
REMOVAL = {"data": {"id": "br_1", "status": "pending"}}


async def test_a_background_removal_gets_a_request_id_kept_across_its_retries() -> None:
    """HeyGen de-duplicates background removals on the body's request_id (it ignores Idempotency-Key): one is
    always sent, the same on every retry, so a lost answer is retried safely."""
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(REMOVALS, exception=aiohttp.ServerDisconnectedError())
            m.post(REMOVALS, payload=REMOVAL)
            made = await client.v3.background_removals.create(video={"type": "url", "url": "https://x/v.mp4"})
            bodies = [sent_json(kwargs) for method, _, kwargs in sent(m) if method == "POST"]
    assert made.id == "br_1"
    assert len(bodies) == 2
    assert bodies[0]["request_id"] == bodies[1]["request_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", bodies[0]["request_id"])


async def test_a_background_removal_keeps_the_callers_request_id_and_names_it_on_failure() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(REMOVALS, exception=aiohttp.ServerDisconnectedError(), repeat=True)
            with pytest.raises(hg.APIConnectionError) as caught:
                await client.v3.background_removals.create(
                    video={"type": "url", "url": "https://x/v.mp4"}, request_id="clip-42"
                )
            bodies = [sent_json(kwargs) for method, _, kwargs in sent(m) if method == "POST"]
    assert {body["request_id"] for body in bodies} == {"clip-42"}
    assert len(bodies) == FAST.attempts
    assert caught.value.idempotency_key == "clip-42"


async def test_finishing_an_upload_is_retried_like_a_read() -> None:
    """``POST /v3/assets/{id}/complete`` is idempotent by nature (finishing twice finishes once): a lost answer
    is asked again rather than reported as a failure that may have happened."""
    complete = re.compile(r"^https://api\.heygen\.com/v3/assets/a_1/complete$")
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(complete, exception=aiohttp.ServerDisconnectedError())
            m.post(complete, payload={"data": {"asset_id": "a_1", "status": "processing"}})
            done = await client.v3.assets.complete("a_1")
            assert len(sent(m)) == 2
    assert done.raw["asset_id"] == "a_1"
