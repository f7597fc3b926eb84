"""Every retry rule: what is retried for reads and for creates, Retry-After in all its forms, hooks, budgets."""

from __future__ import annotations

import asyncio
import email.utils
import re
import time
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

import heygen_async as hg
from tests.support import BASE, FAST, GATEWAY_OK, TOKEN, refused, sent

GET_URL = re.compile(r"^http://gateway\.test/heygen/v2/avatars\?.*$")
POST_URL = re.compile(r"^http://gateway\.test/heygen/v2/video/generate\?.*$")
CREATED = {"data": {"error": None, "data": {"video_id": "v-1"}}}
BODY = {"video_inputs": [{"character": {"type": "avatar", "avatar_id": "a"}}]}


async def get(client: hg.HeyGenClient, **kwargs: Any) -> Any:
    return await client.request("GET", "/v2/avatars", **kwargs)


async def create(client: hg.HeyGenClient, **kwargs: Any) -> Any:
    return await client.request("POST", "/v2/video/generate", json=BODY, **kwargs)


# -- idempotent calls ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param({"status": 500, "body": "oops"}, id="500"),
        pytest.param({"status": 502, "body": "<html>502</html>"}, id="502"),
        pytest.param({"status": 503, "payload": {"code": 503, "message": "busy"}}, id="503"),
        pytest.param({"status": 504, "body": ""}, id="504"),
        pytest.param({"status": 522, "body": "cloudflare"}, id="522"),
        pytest.param({"status": 408, "body": ""}, id="408"),
        pytest.param({"status": 429, "payload": {"error": {"code": "rate_limit_exceeded"}}}, id="429"),
        pytest.param({"exception": aiohttp.ServerDisconnectedError()}, id="disconnected"),
        pytest.param({"exception": aiohttp.ClientOSError(104, "Connection reset by peer")}, id="reset"),
        pytest.param({"exception": asyncio.TimeoutError()}, id="read-timeout"),
        pytest.param({"exception": aiohttp.ClientPayloadError("Response payload is not completed")}, id="payload"),
        pytest.param({"exception": refused()}, id="refused"),
        pytest.param({"status": 200, "body": '{"data": {"err'}, id="truncated-success-body"),
    ],
)
async def test_reads_are_retried_after_transient_failures(
    client: hg.HeyGenClient, mocked: aioresponses, failure: dict[str, Any], sleeps: list[float]
) -> None:
    mocked.get(GET_URL, **failure)
    mocked.get(GET_URL, payload=GATEWAY_OK)
    assert await get(client) == {"ok": True}
    assert len(sent(mocked)) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 422, 501, 505])
async def test_client_errors_are_never_retried(client: hg.HeyGenClient, mocked: aioresponses, status: int) -> None:
    mocked.get(GET_URL, status=status, payload={"code": 1, "message": "no"}, repeat=True)
    with pytest.raises(hg.APIStatusError) as caught:
        await get(client)
    assert caught.value.status_code == status
    assert caught.value.attempts == 1
    assert len(sent(mocked)) == 1


async def test_attempts_are_bounded_and_the_last_error_raised(client: hg.HeyGenClient, mocked: aioresponses) -> None:
    mocked.get(GET_URL, status=500, payload={"code": 1, "message": "first"})
    mocked.get(GET_URL, status=502, payload={"code": 2, "message": "second"})
    mocked.get(GET_URL, status=503, payload={"code": 3, "message": "third"})
    mocked.get(GET_URL, payload=GATEWAY_OK)
    with pytest.raises(hg.ServerError) as caught:
        await get(client)
    assert caught.value.status_code == 503
    assert caught.value.attempts == 3
    assert len(sent(mocked)) == 3


async def test_backoff_grows_exponentially_up_to_the_cap(mocked: aioresponses, sleeps: list[float]) -> None:
    policy = hg.RetryPolicy(attempts=6, wait_initial=0.5, wait_exp_base=2.0, wait_max=3.0, wait_jitter=0.0)
    mocked.get(GET_URL, status=500, body="", repeat=True)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=policy) as client:
        with pytest.raises(hg.ServerError):
            await get(client)
    assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]


async def test_jitter_stays_within_its_bound(mocked: aioresponses, sleeps: list[float]) -> None:
    policy = hg.RetryPolicy(attempts=30, wait_initial=1.0, wait_exp_base=1.0, wait_max=1.0, wait_jitter=0.25)
    mocked.get(GET_URL, status=500, body="", repeat=True)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=policy, timeout=None) as client:
        with pytest.raises(hg.ServerError):
            await get(client)
    assert len(sleeps) == 29
    assert all(1.0 <= s < 1.25 for s in sleeps)
    assert len(set(sleeps)) > 1


# -- creates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "error_class"),
    [
        pytest.param({"status": 500, "body": "oops"}, hg.ServerError, id="500"),
        pytest.param({"status": 502, "body": ""}, hg.ServerError, id="502"),
        pytest.param({"status": 504, "body": ""}, hg.ServerError, id="504"),
        pytest.param({"status": 408, "body": ""}, hg.APIStatusError, id="408"),
        pytest.param({"exception": aiohttp.ServerDisconnectedError()}, hg.APIConnectionError, id="disconnected"),
        pytest.param({"exception": aiohttp.ClientOSError(104, "reset")}, hg.APIConnectionError, id="reset"),
        pytest.param({"exception": asyncio.TimeoutError()}, hg.APITimeoutError, id="read-timeout"),
        pytest.param({"status": 200, "body": '{"data": {"vid'}, hg.APIResponseError, id="truncated-success-body"),
    ],
)
async def test_creates_are_not_retried_once_they_may_have_reached_the_server(
    client: hg.HeyGenClient, mocked: aioresponses, failure: dict[str, Any], error_class: type[hg.APIError]
) -> None:
    mocked.post(POST_URL, **failure)
    mocked.post(POST_URL, payload=CREATED)
    with pytest.raises(error_class) as caught:
        await create(client)
    assert len(sent(mocked)) == 1
    if isinstance(caught.value, hg.APIConnectionError):
        assert caught.value.maybe_processed is True


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param({"exception": refused()}, id="connection-refused"),
        pytest.param({"exception": aiohttp.ConnectionTimeoutError()}, id="connect-timeout"),
        pytest.param(
            {"status": 429, "payload": {"error": {"code": "rate_limit_exceeded", "message": "slow"}}}, id="429"
        ),
        pytest.param({"status": 503, "body": "unavailable"}, id="503"),
    ],
)
async def test_creates_are_retried_when_they_surely_did_not_reach_processing(
    client: hg.HeyGenClient, mocked: aioresponses, failure: dict[str, Any]
) -> None:
    mocked.post(POST_URL, **failure)
    mocked.post(POST_URL, payload=CREATED)
    assert await create(client) == {"video_id": "v-1"}
    assert len(sent(mocked)) == 2


async def test_refused_connection_is_marked_not_processed(mocked: aioresponses) -> None:
    mocked.post(POST_URL, exception=refused(), repeat=True)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, max_retries=0) as client:
        with pytest.raises(hg.APIConnectionError) as caught:
            await create(client)
    assert caught.value.maybe_processed is False
    assert "Connection refused" in str(caught.value)


async def test_idempotent_flag_overrides_the_method_default(client: hg.HeyGenClient, mocked: aioresponses) -> None:
    mocked.post(POST_URL, status=500, body="")
    mocked.post(POST_URL, payload=CREATED)
    assert await create(client, idempotent=True) == {"video_id": "v-1"}
    mocked.get(GET_URL, status=500, body="")
    with pytest.raises(hg.ServerError):
        await get(client, idempotent=False)


# -- Retry-After -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "payload"),
    [
        pytest.param({"Retry-After": "7"}, {"error": {"code": "rate_limit_exceeded"}}, id="header-seconds"),
        pytest.param({"retry-after": "7.0"}, {"error": {"code": "rate_limit_exceeded"}}, id="header-lowercase"),
        pytest.param({"Retry-After-Ms": "7000"}, {"error": {"code": "rate_limit_exceeded"}}, id="header-ms"),
        pytest.param(
            {},
            {"message": "m", "provider": "heygen", "error": {"code": 429}, "headers": {"retry-after": "7"}},
            id="inside-gateway-body",
        ),
        pytest.param(
            {},
            {"message": "m", "provider": "heygen", "error": {"code": 429}, "headers": {"Retry-After": ["7"]}},
            id="inside-gateway-body-list",
        ),
    ],
)
async def test_retry_after_seconds_is_honoured(
    client: hg.HeyGenClient, mocked: aioresponses, sleeps: list[float], headers: dict[str, str], payload: Any
) -> None:
    mocked.get(GET_URL, status=429, payload=payload, headers=headers)
    mocked.get(GET_URL, payload=GATEWAY_OK)
    assert await get(client) == {"ok": True}
    assert sleeps == [pytest.approx(7.0)]


async def test_retry_after_http_date_is_honoured(
    client: hg.HeyGenClient, mocked: aioresponses, sleeps: list[float]
) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    mocked.get(GET_URL, status=503, body="", headers={"Retry-After": when})
    mocked.get(GET_URL, payload=GATEWAY_OK)
    assert await get(client) == {"ok": True}
    assert len(sleeps) == 1
    assert 17.0 <= sleeps[0] <= 20.5


async def test_retry_after_in_the_past_or_garbage_falls_back_sensibly(
    client: hg.HeyGenClient, mocked: aioresponses, sleeps: list[float]
) -> None:
    mocked.get(GET_URL, status=429, body="", headers={"Retry-After": "Mon, 01 Jan 2001 00:00:00 GMT"})
    mocked.get(GET_URL, status=429, body="", headers={"Retry-After": "soon-ish"})
    mocked.get(GET_URL, payload=GATEWAY_OK)
    assert await get(client) == {"ok": True}
    assert sleeps == [0.0, 0.0]  # a past date means "now"; garbage means the policy's own backoff (0 in FAST)


async def test_retry_after_above_the_cap_raises_rate_limit_error_instead_of_retrying_early(
    mocked: aioresponses, sleeps: list[float]
) -> None:
    mocked.get(GET_URL, status=429, payload={"error": {"code": "rate_limit_exceeded"}}, headers={"Retry-After": "120"})
    mocked.get(GET_URL, payload=GATEWAY_OK)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=hg.RetryPolicy(retry_after_max=30)) as client:
        with pytest.raises(hg.RateLimitError) as caught:
            await get(client)
    assert caught.value.retry_after == 120.0
    assert sleeps == []
    assert len(sent(mocked)) == 1


async def test_a_long_retry_after_on_503_also_becomes_rate_limit_error(
    mocked: aioresponses, sleeps: list[float]
) -> None:
    mocked.get(GET_URL, status=503, body="", headers={"Retry-After": "3600"})
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        with pytest.raises(hg.RateLimitError) as caught:
            await get(client)
    assert caught.value.retry_after == 3600.0
    assert caught.value.status_code == 503


async def test_retry_after_beyond_the_call_budget_stops_retrying(mocked: aioresponses, sleeps: list[float]) -> None:
    mocked.get(GET_URL, status=429, body="", headers={"Retry-After": "20"})
    mocked.get(GET_URL, payload=GATEWAY_OK)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, timeout=hg.Timeout(total=5)) as client:
        with pytest.raises(hg.RateLimitError) as caught:
            await get(client)
    assert caught.value.retry_after == 20.0
    assert sleeps == []


# -- policy plumbing ------------------------------------------------------------------------------


async def test_on_retry_hook_sync_and_async(mocked: aioresponses, sleeps: list[float]) -> None:
    events: list[hg.RetryEvent] = []

    async def async_hook(event: hg.RetryEvent) -> None:
        events.append(event)

    for hook in (events.append, async_hook):
        policy = hg.RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0, on_retry=hook)
        mocked.get(GET_URL, status=502, body="")
        mocked.get(GET_URL, status=429, body="", headers={"Retry-After": "2"})
        mocked.get(GET_URL, payload=GATEWAY_OK)
        async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=policy) as client:
            await get(client)
    assert [(e.attempt, e.wait, type(e.error)) for e in events] == [
        (1, 0.0, hg.ServerError),
        (2, 2.0, hg.RateLimitError),
    ] * 2
    assert all(e.endpoint == "GET /v2/avatars" for e in events)


async def test_per_call_max_retries_and_policy_override_the_client(
    client: hg.HeyGenClient, mocked: aioresponses
) -> None:
    mocked.get(GET_URL, status=500, body="", repeat=True)
    with pytest.raises(hg.ServerError):
        await get(client, max_retries=0)
    assert len(sent(mocked)) == 1
    with pytest.raises(hg.ServerError):
        await get(client, retry=hg.RetryPolicy(attempts=5, wait_initial=0, wait_jitter=0))
    assert len(sent(mocked)) == 6
    with pytest.raises(hg.ServerError):
        await get(client, retry=hg.RetryPolicy(attempts=5, wait_initial=0, wait_jitter=0), max_retries=1)
    assert len(sent(mocked)) == 8


async def test_client_level_max_retries(mocked: aioresponses, sleeps: list[float]) -> None:
    mocked.get(GET_URL, status=500, body="", repeat=True)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, max_retries=4) as client:
        assert client.retry.attempts == 5
        with pytest.raises(hg.ServerError) as caught:
            await get(client)
    assert caught.value.attempts == 5


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
async def test_bad_max_retries_is_a_clear_error(bad: Any) -> None:
    with pytest.raises(hg.ConfigurationError, match="max_retries"):
        hg.HeyGenClient(TOKEN, max_retries=bad)


def test_retry_policy_validates_its_fields() -> None:
    with pytest.raises(ValueError, match="attempts"):
        hg.RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="wait_max"):
        hg.RetryPolicy(wait_max=-1)
    assert FAST.max_retries == 2
