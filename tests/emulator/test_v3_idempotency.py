"""``Idempotency-Key`` on the emulator's v3 creates: the first answer replayed for 24 emulated hours (whatever
the retry's body), ``409 request_in_progress`` while the first request is processed, one scope per route,
path value and account, and answers lost after processing replayed to the retry."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from heygen_async.emulator import EmulatorConfig, Faults
from tests.support import VIDEO_URL, V3Caller, avatar_video, v3_emulator, wait_until

DAY = 24 * 3600.0
TEMPLATE_ID = "7a2bc0d1e4f54b2a9c3e8d6f1a0b2c3d"


def v3_stats(v3: V3Caller) -> dict[str, Any]:
    stats: dict[str, Any] = v3.emulator.stats()["v3"]
    return stats


async def emulated_video_ids(v3: V3Caller) -> list[str]:
    async with v3.session.get(v3.emulator.url + "/_emulator/v3/videos") as response:
        return [video["id"] for video in await response.json()]


async def test_a_repeated_key_replays_the_first_answer_even_when_the_body_differs() -> None:
    async with v3_emulator() as v3:
        first = await v3.call("POST", "/v3/videos", avatar_video("One"), key="order-42")
        again = await v3.call("POST", "/v3/videos", avatar_video("Something else entirely"), key="order-42")
        other = await v3.call("POST", "/v3/videos", avatar_video("One"), key="order-43")
        stats = v3_stats(v3)
    assert again.status == first.status == 200
    assert again.body == first.body
    assert other.data["video_id"] != first.data["video_id"]
    assert stats["videos_created"] == 2
    assert stats["idempotent_replays"] == 1


async def test_a_retry_while_the_first_request_is_processed_gets_409_request_in_progress() -> None:
    async with v3_emulator(EmulatorConfig(create_latency=5.0)) as v3:
        first = asyncio.create_task(v3.call("POST", "/v3/videos", avatar_video(), key="slow-create"))
        await wait_until(lambda: v3.emulator.app.v3.processing == 1, what="the first create to be processing")
        during = await v3.call("POST", "/v3/videos", avatar_video(), key="slow-create")
        assert not first.done()
        await v3.emulator.advance(5.0)
        answered = await first
        after = await v3.call("POST", "/v3/videos", avatar_video(), key="slow-create")
        stats = v3_stats(v3)
    assert (during.status, during.error["code"]) == (409, "request_in_progress")
    assert answered.status == 200
    assert after.body == answered.body
    assert stats["videos_created"] == 1
    assert stats["in_progress_conflicts"] == 1


async def test_the_key_is_scoped_per_route_per_path_value_and_per_account() -> None:
    async with v3_emulator() as v3:
        endpoints = [
            (await v3.call("POST", "/v3/webhooks/endpoints", {"url": f"https://example.com/{n}"})).data
            for n in ("a", "b")
        ]
        rotated = [
            (await v3.call("POST", f"/v3/webhooks/endpoints/{e['endpoint_id']}/rotate-secret", key="k-1")).data
            for e in endpoints
        ]
        replayed = await v3.call(
            "POST", f"/v3/webhooks/endpoints/{endpoints[0]['endpoint_id']}/rotate-secret", key="k-1"
        )
        video = await v3.call("POST", "/v3/videos", avatar_video(), key="k-1")
        theirs = await v3.as_account("hk_another-account").call("POST", "/v3/videos", avatar_video(), key="k-1")
    assert rotated[0]["secret"] != rotated[1]["secret"]
    assert all(r["secret"] != e["secret"] for r, e in zip(rotated, endpoints, strict=False))
    assert replayed.data == rotated[0]
    assert video.status == theirs.status == 200
    assert video.data["video_id"] != theirs.data["video_id"]


async def test_an_answer_is_replayed_for_24_emulated_hours_then_the_key_starts_afresh() -> None:
    async with v3_emulator() as v3:
        first = await v3.call("POST", "/v3/videos", avatar_video(), key="daily")
        await v3.emulator.advance(DAY - 1)
        within = await v3.call("POST", "/v3/videos", avatar_video(), key="daily")
        await v3.emulator.advance(2)
        after = await v3.call("POST", "/v3/videos", avatar_video(), key="daily")
    assert within.body == first.body
    assert after.status == 200
    assert after.data["video_id"] != first.data["video_id"]


@pytest.mark.parametrize("key", ["has space", "x" * 256, "emoji-\u2603", ""])
async def test_a_malformed_key_is_a_400_and_creates_nothing(key: str) -> None:
    async with v3_emulator() as v3:
        reply = await v3.call("POST", "/v3/videos", avatar_video(), key=key)
        stats = v3_stats(v3)
    assert (reply.status, reply.error["code"], reply.error["param"]) == (400, "invalid_parameter", "Idempotency-Key")
    assert stats["videos_created"] == 0


async def test_a_refused_request_leaves_its_key_free_for_a_corrected_retry() -> None:
    async with v3_emulator(EmulatorConfig(concurrent_jobs=1)) as v3:
        bad = await v3.call("POST", "/v3/videos", {"type": "avatar"}, key="fix-me")
        fixed = await v3.call("POST", "/v3/videos", avatar_video(), key="fix-me")
        capped = await v3.call("POST", "/v3/videos", avatar_video(), key="later")
        await v3.emulator.advance(60)
        later = await v3.call("POST", "/v3/videos", avatar_video(), key="later")
    assert bad.status == 400
    assert fixed.status == 200
    assert capped.status == 429
    assert later.status == 200


@pytest.mark.parametrize("fault", ["lost", "truncate"])
async def test_an_answer_lost_after_processing_is_replayed_to_the_retry_with_the_same_id(fault: str) -> None:
    async with v3_emulator() as v3:
        v3.emulator.inject(fault, endpoint="POST /v3/videos")
        with pytest.raises(aiohttp.ClientError):  # no answer, or half of one: the caller never sees the id
            await v3.call("POST", "/v3/videos", avatar_video(), key="lost-once")
        retried = await v3.call("POST", "/v3/videos", avatar_video(), key="lost-once")
        stats = v3_stats(v3)
        ids = await emulated_video_ids(v3)
    assert retried.status == 200
    assert ids == [retried.data["video_id"]]
    assert stats["videos_created"] == 1
    assert stats["idempotent_replays"] == 1


async def test_renders_created_equal_the_ids_returned_under_faults_with_retried_keys() -> None:
    kinds = dict.fromkeys(["500", "502", "503", "429", "drop", "lost", "truncate", "html"], 1.0)
    faults = Faults(rate=0.3, kinds=kinds, retry_after=0, endpoints=frozenset({"POST /v3/videos"}), seed=18)
    async with v3_emulator(EmulatorConfig(concurrent_jobs=100)) as v3:
        v3.emulator.set_faults(faults)

        async def create(index: int) -> str:
            key = f"render-{index}"
            while True:
                try:
                    reply = await v3.call("POST", "/v3/videos", avatar_video(f"Render {index}"), key=key)
                except aiohttp.ClientError:
                    continue
                if reply.status == 200 and reply.body is not None:
                    video_id: str = reply.data["video_id"]
                    return video_id

        returned = await asyncio.gather(*(create(i) for i in range(60)))
        stats = v3_stats(v3)
        ids = await emulated_video_ids(v3)
    assert len(set(returned)) == 60
    assert sorted(ids) == sorted(returned)
    assert stats["videos_created"] == 60
    assert stats["idempotent_replays"] >= 1  # the seeded run loses some answers after processing


async def test_a_template_replay_returns_the_creation_time_snapshot() -> None:
    async with v3_emulator() as v3:
        body = {"variables": {"headline": {"name": "headline", "type": "text", "properties": {"content": "Hi"}}}}
        first = await v3.call("POST", f"/v3/templates/{TEMPLATE_ID}", body, key="tpl")
        await v3.emulator.advance(60)
        replay = await v3.call("POST", f"/v3/templates/{TEMPLATE_ID}", body, key="tpl")
        now = await v3.video_status(first.data["id"])
    assert replay.data == first.data
    assert replay.data["status"] == "pending"
    assert now == "completed"


async def test_background_removals_dedup_on_request_id_and_ignore_the_header() -> None:
    async with v3_emulator() as v3:
        body = {"video": {"type": "url", "url": VIDEO_URL}}
        by_header = [(await v3.call("POST", "/v3/background-removals", body, key="same")).data["id"] for _ in range(2)]
        by_request_id = [
            (await v3.call("POST", "/v3/background-removals", {**body, "request_id": "r-1", "title": t})).data["id"]
            for t in ("first", "second")
        ]
    assert by_header[0] != by_header[1]
    assert by_request_id[0] == by_request_id[1]
