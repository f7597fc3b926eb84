"""The emulator's fault injection, each kind seen through the real client (and through raw aiohttp for the bytes).

Kinds that fail before processing (500, 502, 503, 429, 429-date, 429-body, html, drop) never create anything;
kinds that fail after processing (lost, truncate) did create, which is what a client's duplicate-avoidance must
cope with; slow only delays. Rate-based faults are reproducible with a seed, can be limited to endpoints, and
can be set at start, per test, or over the control API.

Retry waits are made instant with the ``sleeps`` fixture (tests/conftest.py) wherever the test is about the
wait's length rather than the wait itself, so the file runs in a couple of seconds.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import heygen_async as hg
from heygen_async.emulator import FAULT_KINDS, Emulator, EmulatorConfig, Faults, ManualClock

SCENE: dict[str, Any] = {
    "character": {"type": "avatar", "avatar_id": "Daisy-inskirt-20220818", "avatar_style": "normal"},
    "voice": {"type": "text", "input_text": "Hello", "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54"},
}
QUOTA_PATH = "/v2/user/remaining_quota"
GENERATE_PATH = "/v2/video/generate"
NO_SLOW: dict[str, float] = dict.fromkeys(sorted(FAULT_KINDS - {"slow"}), 1.0)


# -- helpers -----------------------------------------------------------------------------------------------------


def videos_created(emulator: Emulator) -> int:
    count = emulator.stats()["videos_created"]
    assert isinstance(count, int)
    return count


def faults_seen(emulator: Emulator, endpoint: str) -> list[str | None]:
    """The fault (or None) of every request to ``endpoint``, in order, as the request log records it."""
    return [entry.get("fault") for entry in emulator.request_log if entry["endpoint"] == endpoint]


def recording(events: list[hg.RetryEvent], *, attempts: int = 3, retry_after_max: float = 60.0) -> hg.RetryPolicy:
    """An instant-backoff policy whose ``on_retry`` hook records every retry."""
    return hg.RetryPolicy(
        attempts=attempts, wait_initial=0, wait_jitter=0, retry_after_max=retry_after_max, on_retry=events.append
    )


def gateway_url(emulator: Emulator, path: str) -> str:
    return f"{emulator.base_url}{path}?api_token={emulator.token}"


async def quota_outcomes(client: hg.HeyGenClient, calls: int) -> list[str]:
    """One quota read per call with ``max_retries=0``: "ok" or the error's class name."""
    outcomes: list[str] = []
    for _ in range(calls):
        try:
            await client.user.remaining_quota(max_retries=0)
        except hg.HeyGenError as exc:
            outcomes.append(type(exc).__name__)
        else:
            outcomes.append("ok")
    return outcomes


async def read_until_cut(response: aiohttp.ClientResponse, into: bytearray) -> None:
    """Collect a body chunk by chunk, so what arrived before the connection broke is kept."""
    while chunk := await response.content.readany():
        into += chunk


@pytest.fixture
async def raw() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, to see exactly what goes over the wire."""
    async with aiohttp.ClientSession() as session:
        yield session


# -- 500 / 502 / 503 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "503"])
async def test_5xx_on_a_create_creates_nothing(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, kind: str
) -> None:
    heygen_emulator.inject(kind, endpoint="videos.generate")

    with pytest.raises(hg.ServerError) as caught:
        await heygen_client.videos.generate([SCENE], max_retries=0)

    assert caught.value.status_code == int(kind)
    assert videos_created(heygen_emulator) == 0
    assert (await heygen_client.videos.list()).videos == []
    assert faults_seen(heygen_emulator, "videos.generate") == [kind]


@pytest.mark.parametrize("kind", ["500", "502"])
async def test_500_and_502_on_a_create_are_not_retried(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, kind: str
) -> None:
    heygen_emulator.inject(kind, endpoint="videos.generate")

    with pytest.raises(hg.ServerError) as caught:
        await heygen_client.videos.generate([SCENE])  # the client would retry up to 3 attempts

    assert caught.value.attempts == 1
    assert faults_seen(heygen_emulator, "videos.generate") == [kind]
    assert videos_created(heygen_emulator) == 0


async def test_503_on_a_create_is_retried_and_creates_exactly_one_video(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("503", endpoint="videos.generate")

    job = await heygen_client.videos.generate([SCENE])

    assert faults_seen(heygen_emulator, "videos.generate") == ["503", None]
    assert videos_created(heygen_emulator) == 1
    assert [v.video_id for v in (await heygen_client.videos.list()).videos] == [job.video_id]


@pytest.mark.parametrize("kind", ["500", "502", "503"])
async def test_5xx_on_a_read_is_retried(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, kind: str) -> None:
    heygen_emulator.inject(kind, endpoint="user.remaining_quota")

    quota = await heygen_client.user.remaining_quota()

    assert quota.remaining_quota is not None
    assert faults_seen(heygen_emulator, "user.remaining_quota") == [kind, None]


async def test_5xx_body_in_the_open_source_gateway_wrapper_gives_heygens_message() -> None:
    async with (
        Emulator(EmulatorConfig(wrapper="result"), clock=ManualClock()) as emulator,
        emulator.client() as client,
    ):
        emulator.inject("500")
        with pytest.raises(hg.ServerError) as caught:
            await client.user.remaining_quota(max_retries=0)

    assert caught.value.status_code == 500
    assert caught.value.error_message == "Internal server error"


# -- 429 in its three shapes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["429", "429-body"])
async def test_429_waits_exactly_the_retry_after_seconds(
    heygen_emulator: Emulator, sleeps: list[float], kind: str
) -> None:
    heygen_emulator.set_faults(Faults(retry_after=7))
    heygen_emulator.inject(kind, endpoint="user.remaining_quota")
    events: list[hg.RetryEvent] = []

    async with heygen_emulator.client(retry=recording(events)) as client:
        await client.user.remaining_quota()

    assert [event.wait for event in events] == [7.0]
    assert isinstance(events[0].error, hg.RateLimitError)
    assert events[0].error.retry_after == 7.0
    assert sleeps == [7.0]
    assert faults_seen(heygen_emulator, "user.remaining_quota") == [kind, None]


async def test_429_with_an_http_date_waits_until_that_date(heygen_emulator: Emulator, sleeps: list[float]) -> None:
    heygen_emulator.set_faults(Faults(retry_after=7))
    heygen_emulator.inject("429-date", endpoint="user.remaining_quota")
    events: list[hg.RetryEvent] = []

    async with heygen_emulator.client(retry=recording(events)) as client:
        await client.user.remaining_quota()

    # An HTTP-date has whole seconds: the date names now + 7 s rounded down, so the wait is within (6, 7].
    assert len(events) == 1
    assert 5.5 < events[0].wait <= 7.0
    assert sleeps == [events[0].wait]
    assert faults_seen(heygen_emulator, "user.remaining_quota") == ["429-date", None]


async def test_429_really_waits_before_retrying(heygen_emulator: Emulator) -> None:
    heygen_emulator.set_faults(Faults(retry_after=1))
    heygen_emulator.inject("429", endpoint="user.remaining_quota")
    events: list[hg.RetryEvent] = []

    async with heygen_emulator.client(retry=recording(events)) as client:
        started = time.monotonic()
        await client.user.remaining_quota()
        elapsed = time.monotonic() - started

    assert [event.wait for event in events] == [1.0]
    assert elapsed >= 0.95


@pytest.mark.parametrize("kind", ["429", "429-date", "429-body"])
async def test_429_on_a_create_is_retried_and_creates_exactly_one_video(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, sleeps: list[float], kind: str
) -> None:
    heygen_emulator.set_faults(Faults(retry_after=3))
    heygen_emulator.inject(kind, endpoint="videos.generate")

    job = await heygen_client.videos.generate([SCENE])

    assert len(sleeps) == 1
    assert 1.5 < sleeps[0] <= 3.0
    assert faults_seen(heygen_emulator, "videos.generate") == [kind, None]
    assert videos_created(heygen_emulator) == 1
    assert [v.video_id for v in (await heygen_client.videos.list()).videos] == [job.video_id]


@pytest.mark.parametrize("kind", ["429", "429-date", "429-body"])
async def test_retry_after_above_the_policy_maximum_raises_at_once(
    heygen_emulator: Emulator, sleeps: list[float], kind: str
) -> None:
    heygen_emulator.set_faults(Faults(retry_after=120))
    heygen_emulator.inject(kind, endpoint="videos.generate")
    events: list[hg.RetryEvent] = []

    async with heygen_emulator.client(retry=recording(events, retry_after_max=60)) as client:
        with pytest.raises(hg.RateLimitError) as caught:
            await client.videos.generate([SCENE])

    assert caught.value.retry_after is not None
    assert 118.5 < caught.value.retry_after <= 120.0
    assert caught.value.attempts == 1
    assert events == []
    assert sleeps == []
    assert videos_created(heygen_emulator) == 0


async def test_429_sends_retry_after_seconds_in_the_header(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession
) -> None:
    heygen_emulator.set_faults(Faults(retry_after=7))
    heygen_emulator.inject("429")

    async with raw.get(gateway_url(heygen_emulator, QUOTA_PATH)) as response:
        body = await response.json()
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"

    assert body["data"]["error"]["code"] == "rate_limit_exceeded"  # the hosted gateway's error shape


async def test_429_date_sends_an_http_date_in_the_header(heygen_emulator: Emulator, raw: aiohttp.ClientSession) -> None:
    heygen_emulator.set_faults(Faults(retry_after=7))
    heygen_emulator.inject("429-date")

    async with raw.get(gateway_url(heygen_emulator, QUOTA_PATH)) as response:
        assert response.status == 429
        value = response.headers["Retry-After"]

    assert value.endswith(" GMT")
    when = email.utils.parsedate_to_datetime(value).timestamp()
    assert time.time() + 5 < when <= time.time() + 7


async def test_429_body_puts_retry_after_in_the_gateway_error_body(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession
) -> None:
    heygen_emulator.set_faults(Faults(retry_after=7))
    heygen_emulator.inject("429-body")

    async with raw.get(gateway_url(heygen_emulator, QUOTA_PATH)) as response:
        body = await response.json()
        assert response.status == 429
        assert "Retry-After" not in response.headers

    assert body["provider"] == "heygen"
    assert body["headers"] == {"retry-after": "7"}
    assert body["error"]["error"]["code"] == "rate_limit_exceeded"


async def test_429_body_in_direct_mode_is_a_header(heygen_emulator: Emulator, raw: aiohttp.ClientSession) -> None:
    heygen_emulator.set_faults(Faults(retry_after=7))
    heygen_emulator.inject("429-body")

    async with raw.get(heygen_emulator.url + QUOTA_PATH, headers={"X-Api-Key": heygen_emulator.api_key}) as r:
        body = await r.json()
        assert r.status == 429
        assert r.headers["Retry-After"] == "7"

    assert "provider" not in body


# -- html --------------------------------------------------------------------------------------------------------


async def test_html_is_a_server_error_with_an_excerpt(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("html", endpoint="user.remaining_quota")

    with pytest.raises(hg.ServerError) as caught:
        await heygen_client.user.remaining_quota(max_retries=0)

    error = caught.value
    assert error.status_code == 502
    assert error.code is None
    assert isinstance(error.body, str)
    assert "<h1>502 Bad Gateway</h1>" in error.body
    assert "non-JSON body" in str(error)


async def test_html_on_a_read_is_retried(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.inject("html", endpoint="videos.list")

    page = await heygen_client.videos.list()

    assert page.videos == []
    assert faults_seen(heygen_emulator, "videos.list") == ["html", None]


async def test_html_on_a_create_is_not_retried_and_creates_nothing(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("html", endpoint="videos.generate")

    with pytest.raises(hg.ServerError) as caught:
        await heygen_client.videos.generate([SCENE])

    assert caught.value.attempts == 1
    assert videos_created(heygen_emulator) == 0


async def test_html_is_served_as_an_html_page(heygen_emulator: Emulator, raw: aiohttp.ClientSession) -> None:
    heygen_emulator.inject("html")

    async with raw.get(gateway_url(heygen_emulator, QUOTA_PATH)) as response:
        text = await response.text()
        assert response.status == 502
        assert response.content_type == "text/html"

    assert text.startswith("<html>")


# -- drop ----------------------------------------------------------------------------------------------------------


async def test_drop_on_a_read_is_retried(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.inject("drop", endpoint="user.remaining_quota")

    quota = await heygen_client.user.remaining_quota()

    assert quota.remaining_quota is not None
    assert faults_seen(heygen_emulator, "user.remaining_quota") == ["drop", None]


async def test_drop_on_a_create_may_have_been_processed_but_created_nothing(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("drop", endpoint="videos.generate")

    with pytest.raises(hg.APIConnectionError) as caught:
        await heygen_client.videos.generate([SCENE])

    assert not isinstance(caught.value, hg.APITimeoutError)
    assert caught.value.maybe_processed is True  # the client cannot tell a drop from a lost answer
    assert caught.value.attempts == 1
    assert videos_created(heygen_emulator) == 0
    assert (await heygen_client.videos.list()).videos == []


async def test_drop_closes_the_connection_without_an_answer(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession
) -> None:
    heygen_emulator.inject("drop")

    # A POST, so the raw aiohttp session's own resend of idempotent requests does not hide the drop.
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with raw.post(gateway_url(heygen_emulator, GENERATE_PATH), json={"video_inputs": [SCENE]}) as response:
            await response.read()

    assert videos_created(heygen_emulator) == 0


async def test_a_dropped_read_with_max_retries_0_is_sent_once(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("drop", endpoint="user.remaining_quota")

    with pytest.raises(hg.APIConnectionError):
        await heygen_client.user.remaining_quota(max_retries=0)  # actual: succeeds on a hidden second request

    assert faults_seen(heygen_emulator, "user.remaining_quota") == ["drop"]


async def test_a_lost_delete_marked_not_idempotent_is_not_resent(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    job = await heygen_client.videos.generate([SCENE])
    heygen_emulator.inject("lost", endpoint="videos.delete")

    # actual: aiohttp resends the DELETE, the video is already gone, and the caller gets NotFoundError
    with pytest.raises(hg.APIConnectionError) as caught:
        await heygen_client.request("DELETE", "/v1/video.delete", params={"video_id": job.video_id}, idempotent=False)

    assert caught.value.maybe_processed is True
    assert faults_seen(heygen_emulator, "videos.delete") == ["lost"]


# -- lost ----------------------------------------------------------------------------------------------------------


async def test_lost_create_raises_maybe_processed_and_the_video_exists(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("lost", endpoint="videos.generate")

    with pytest.raises(hg.APIConnectionError) as caught:
        await heygen_client.videos.generate([SCENE])

    assert caught.value.maybe_processed is True
    assert caught.value.attempts == 1  # not retried: a retry would have made a duplicate
    assert videos_created(heygen_emulator) == 1
    assert len((await heygen_client.videos.list()).videos) == 1
    assert [e["status"] for e in heygen_emulator.request_log if e["endpoint"] == "videos.generate"] == ["200 (lost)"]


async def test_a_lost_video_renders_like_any_other(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.inject("lost", endpoint="videos.generate")
    with pytest.raises(hg.APIConnectionError):
        await heygen_client.videos.generate([SCENE])
    (summary,) = (await heygen_client.videos.list()).videos
    assert summary.video_id is not None

    await heygen_emulator.advance(60)
    video = await heygen_client.videos.status(summary.video_id)

    assert video.status == hg.VideoStatus.COMPLETED
    assert video.video_url


async def test_lost_on_a_read_is_retried(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.inject("lost", endpoint="user.remaining_quota")

    quota = await heygen_client.user.remaining_quota()

    assert quota.remaining_quota is not None
    assert faults_seen(heygen_emulator, "user.remaining_quota") == ["lost", None]


async def test_lost_closes_the_connection_after_processing(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession
) -> None:
    heygen_emulator.inject("lost")

    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with raw.post(gateway_url(heygen_emulator, GENERATE_PATH), json={"video_inputs": [SCENE]}) as response:
            await response.read()

    assert videos_created(heygen_emulator) == 1


# -- truncate --------------------------------------------------------------------------------------------------------


async def test_truncated_create_is_a_typed_error_and_the_video_exists(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("truncate", endpoint="videos.generate")

    with pytest.raises((hg.APIConnectionError, hg.APIResponseError)) as caught:
        await heygen_client.videos.generate([SCENE])

    error = caught.value
    assert isinstance(error, hg.APIError)
    assert error.attempts == 1
    if isinstance(error, hg.APIConnectionError):
        assert error.maybe_processed is True
    assert videos_created(heygen_emulator) == 1
    assert len((await heygen_client.videos.list()).videos) == 1


async def test_truncated_read_is_retried(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.inject("truncate", endpoint="user.remaining_quota")

    quota = await heygen_client.user.remaining_quota()

    assert quota.remaining_quota is not None
    assert faults_seen(heygen_emulator, "user.remaining_quota") == ["truncate", None]


async def test_truncate_sends_half_the_announced_body(heygen_emulator: Emulator, raw: aiohttp.ClientSession) -> None:
    heygen_emulator.inject("truncate")
    received = bytearray()

    async with raw.get(gateway_url(heygen_emulator, QUOTA_PATH)) as response:
        assert response.status == 200
        announced = response.content_length
        with pytest.raises(aiohttp.ClientPayloadError):
            await read_until_cut(response, received)

    assert announced is not None
    assert len(received) == announced // 2
    with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
        json.loads(received)


# -- slow ----------------------------------------------------------------------------------------------------------


async def test_slow_answers_late_but_normally(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.set_faults(Faults(max_latency=0.3, seed=3))
    heygen_emulator.inject("slow", endpoint="user.remaining_quota")
    latency = random.Random(3).uniform(0.0, 0.3)  # an injected fault draws nothing, so this is the first draw

    started = time.monotonic()
    quota = await heygen_client.user.remaining_quota()
    elapsed = time.monotonic() - started

    assert quota.remaining_quota is not None
    assert elapsed >= latency - 0.02
    assert faults_seen(heygen_emulator, "user.remaining_quota") == ["slow"]
    assert heygen_emulator.stats()["faults"] == {"slow": 1}


async def test_slow_answer_past_the_call_timeout_is_an_api_timeout_error(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.set_faults(Faults(max_latency=0.5, seed=0))
    heygen_emulator.inject("slow", endpoint="user.remaining_quota")
    latency = random.Random(0).uniform(0.0, 0.5)
    assert latency > 0.4  # the seed is chosen for a latency well past the timeout below

    with pytest.raises(hg.APITimeoutError) as caught:
        await heygen_client.user.remaining_quota(timeout=0.1, max_retries=0)

    assert caught.value.maybe_processed is True


# -- rate-based faults ---------------------------------------------------------------------------------------------


async def test_the_same_seed_gives_the_same_faults_whether_set_at_start_or_later(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    faults = Faults(rate=0.5, kinds=NO_SLOW, retry_after=0, seed=11)
    async with Emulator(clock=ManualClock(), faults=faults) as at_start, at_start.client() as client:
        first = await quota_outcomes(client, 40)
    heygen_emulator.set_faults(faults)

    second = await quota_outcomes(heygen_client, 40)

    assert second == first
    assert faults_seen(heygen_emulator, "user.remaining_quota") == faults_seen(at_start, "user.remaining_quota")
    assert 5 < first.count("ok") < 35


async def test_setting_the_same_faults_again_restarts_the_sequence(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    faults = Faults(rate=0.5, kinds=NO_SLOW, retry_after=0, seed=11)
    heygen_emulator.set_faults(faults)
    first = await quota_outcomes(heygen_client, 30)
    split = len(heygen_emulator.request_log)
    heygen_emulator.set_faults(faults)

    second = await quota_outcomes(heygen_client, 30)

    assert second == first
    log = faults_seen(heygen_emulator, "user.remaining_quota")
    assert log[:split] == log[split:]


async def test_a_different_seed_gives_different_faults(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.set_faults(Faults(rate=0.5, kinds=NO_SLOW, retry_after=0, seed=11))
    first = await quota_outcomes(heygen_client, 30)
    heygen_emulator.set_faults(Faults(rate=0.5, kinds=NO_SLOW, retry_after=0, seed=12))

    second = await quota_outcomes(heygen_client, 30)

    assert second != first


async def test_faults_are_limited_to_the_named_endpoints(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.set_faults(Faults(rate=1.0, kinds={"500": 1.0}, endpoints=frozenset({"videos.list"})))

    assert await quota_outcomes(heygen_client, 10) == ["ok"] * 10
    with pytest.raises(hg.ServerError):
        await heygen_client.videos.list(max_retries=0)
    assert heygen_emulator.stats()["faults"] == {"500": 1}


async def test_rate_zero_injects_nothing(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.set_faults(Faults(rate=0.0, seed=1))

    outcomes = await quota_outcomes(heygen_client, 50)

    assert outcomes == ["ok"] * 50
    assert heygen_emulator.stats()["faults"] == {}
    assert all("fault" not in entry for entry in heygen_emulator.request_log)


async def test_rate_one_fails_every_request(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.set_faults(Faults(rate=1.0, kinds={"503": 1.0}))

    outcomes = await quota_outcomes(heygen_client, 10)

    assert outcomes == ["ServerError"] * 10
    assert heygen_emulator.stats()["faults"] == {"503": 10}


async def test_the_draw_respects_the_kind_weights(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.set_faults(Faults(rate=1.0, kinds={"500": 1.0, "502": 0.0}, seed=5))

    await quota_outcomes(heygen_client, 20)

    assert heygen_emulator.stats()["faults"] == {"500": 20}


# -- injected (one-shot) faults ------------------------------------------------------------------------------------


async def test_inject_times_fails_that_many_requests(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.inject("500", endpoint="user.remaining_quota", times=3)

    with pytest.raises(hg.ServerError) as caught:
        await heygen_client.user.remaining_quota()  # 3 attempts, 3 faults

    assert caught.value.attempts == 3
    assert (await heygen_client.user.remaining_quota()).remaining_quota is not None
    assert faults_seen(heygen_emulator, "user.remaining_quota") == ["500", "500", "500", None]


async def test_an_injected_fault_waits_for_its_endpoint(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("500", endpoint="videos.generate")

    await heygen_client.user.remaining_quota(max_retries=0)
    await heygen_client.videos.list(max_retries=0)
    with pytest.raises(hg.ServerError):
        await heygen_client.videos.generate([SCENE], max_retries=0)

    assert [entry.get("fault") for entry in heygen_emulator.request_log] == [None, None, "500"]


async def test_inject_without_an_endpoint_hits_the_next_request(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    heygen_emulator.inject("502")

    with pytest.raises(hg.ServerError):
        await heygen_client.videos.list(max_retries=0)

    assert await quota_outcomes(heygen_client, 2) == ["ok", "ok"]


async def test_injected_faults_come_before_the_rate(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.set_faults(Faults(rate=1.0, kinds={"503": 1.0}))
    heygen_emulator.inject("500")

    outcomes = await quota_outcomes(heygen_client, 2)

    assert outcomes == ["ServerError", "ServerError"]
    assert faults_seen(heygen_emulator, "user.remaining_quota") == ["500", "503"]


async def test_reset_forgets_queued_faults(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    heygen_emulator.inject("500", times=5)

    heygen_emulator.reset()

    assert await quota_outcomes(heygen_client, 1) == ["ok"]


def test_inject_rejects_an_unknown_kind(heygen_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'teapot'"):
        heygen_emulator.inject("teapot")


async def test_every_kind_is_counted_and_logged(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, sleeps: list[float]
) -> None:
    heygen_emulator.set_faults(Faults(retry_after=0, max_latency=0.01))
    for kind in sorted(FAULT_KINDS):
        heygen_emulator.inject(kind, endpoint="user.remaining_quota")
        await heygen_client.user.remaining_quota()

    assert heygen_emulator.stats()["faults"] == dict.fromkeys(FAULT_KINDS, 1)
    logged = [fault for fault in faults_seen(heygen_emulator, "user.remaining_quota") if fault is not None]
    assert logged == sorted(FAULT_KINDS)


# -- Faults settings -------------------------------------------------------------------------------------------------


def test_fault_kinds_are_the_documented_ones() -> None:
    assert {"500", "502", "503", "429", "429-date", "429-body", "html", "drop", "lost", "truncate", "slow"} == set(
        FAULT_KINDS
    )


def test_parse_reads_every_setting() -> None:
    spec = "rate=0.2, kinds=500+502+429, retry_after=1.5, max_latency=0.25, seed=7, endpoints=videos.list+user.me"

    assert Faults.parse(spec) == Faults(
        rate=0.2,
        kinds={"500": 1.0, "502": 1.0, "429": 1.0},
        retry_after=1.5,
        max_latency=0.25,
        seed=7,
        endpoints=frozenset({"videos.list", "user.me"}),
    )


def test_parse_of_an_empty_spec_is_no_faults() -> None:
    assert Faults.parse("") == Faults()
    assert Faults().rate == 0.0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("colour=red", "unknown fault setting 'colour'"),
        ("rate=0.1,bogus=1", "unknown fault setting 'bogus'"),
        ("rate", "could not convert"),
        ("seed=x", "invalid literal"),
    ],
)
def test_parse_rejects_unknown_or_malformed_settings(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Faults.parse(spec)


def test_parse_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match=r"unknown fault kinds \['teapot'\]"):
        Faults.parse("kinds=500+teapot")


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_a_rate_outside_0_to_1_is_rejected(rate: float) -> None:
    with pytest.raises(ValueError, match=r"rate must be within 0\.\.1"):
        Faults(rate=rate)


@pytest.mark.parametrize("kinds", [{"500": 0.0}, {"500": -1.0, "502": 1.0}, {}])
def test_kind_weights_must_be_non_negative_with_one_positive(kinds: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="fault weights"):
        Faults(kinds=kinds)


# -- the control API -------------------------------------------------------------------------------------------------


async def test_control_api_injects_faults(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, raw: aiohttp.ClientSession
) -> None:
    body = {"inject": "503", "endpoint": "user.remaining_quota", "times": 2}
    async with raw.post(heygen_emulator.url + "/_emulator/faults", json=body) as response:
        answer = await response.json()
        assert response.status == 200
    assert answer["queued"] == 2

    outcomes = await quota_outcomes(heygen_client, 3)

    assert outcomes == ["ServerError", "ServerError", "ok"]


async def test_control_api_sets_a_fault_spec(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, raw: aiohttp.ClientSession
) -> None:
    spec = {"spec": "rate=1,kinds=502,endpoints=user.remaining_quota"}
    async with raw.post(heygen_emulator.url + "/_emulator/faults", json=spec) as response:
        assert response.status == 200

    assert await quota_outcomes(heygen_client, 2) == ["ServerError", "ServerError"]
    assert (await heygen_client.videos.list(max_retries=0)).videos == []
    async with raw.post(heygen_emulator.url + "/_emulator/faults", json={"spec": "rate=0"}) as response:
        assert response.status == 200
    assert await quota_outcomes(heygen_client, 2) == ["ok", "ok"]


async def test_control_api_stats_count_faults(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, raw: aiohttp.ClientSession
) -> None:
    heygen_emulator.inject("500", times=2)
    await quota_outcomes(heygen_client, 2)

    async with raw.get(heygen_emulator.url + "/_emulator/stats") as response:
        stats = await response.json()

    assert stats["faults"] == {"500": 2}
    assert stats["statuses"]["500"] == 2


@pytest.mark.parametrize(
    "body",
    [{"inject": "teapot"}, {"spec": "colour=red"}, {"spec": "kinds=teapot"}, {"inject": "500", "times": "many"}],
)
async def test_control_api_rejects_bad_settings_with_400(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    async with raw.post(heygen_emulator.url + "/_emulator/faults", json=body) as response:
        answer = await response.json()
        assert response.status == 400

    assert answer["message"]
    assert len(heygen_emulator.app.faults.queued) == 0


@pytest.mark.parametrize("payload", [b"not json", b'{"spec": 5}'])
async def test_control_api_rejects_a_malformed_body_with_400(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession, payload: bytes
) -> None:
    async with raw.post(heygen_emulator.url + "/_emulator/faults", data=payload) as response:
        assert response.status == 400


# -- bulk --------------------------------------------------------------------------------------------------------------


async def test_200_reads_survive_a_30_percent_fault_rate(heygen_emulator: Emulator) -> None:
    heygen_emulator.set_faults(Faults(rate=0.3, kinds=NO_SLOW, retry_after=0, seed=2024))
    policy = hg.RetryPolicy(attempts=6, wait_initial=0, wait_jitter=0, retry_after_max=1)

    async with heygen_emulator.client(retry=policy) as client:
        results: list[object] = []
        for _ in range(200):
            try:
                results.append(await client.user.remaining_quota())
            except hg.HeyGenError as exc:  # a typed error is acceptable; anything else fails the test
                results.append(exc)

    assert all(isinstance(result, (hg.Quota, hg.HeyGenError)) for result in results)
    assert sum(isinstance(result, hg.Quota) for result in results) >= 198
    faults = heygen_emulator.stats()["faults"]
    assert sum(faults.values()) >= 40
    assert len(faults) >= 7
    assert "slow" not in faults
