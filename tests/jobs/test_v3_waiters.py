"""v3 jobs run under the same Job handles, waiters, resume tokens and scheduler as the legacy kinds, against the
emulator's v3 state machines: renders (in bulk), translations (one job per language), voice clones, failures
with HeyGen's reason, a create's Idempotency-Key in its resume token, and webhooks waking v3 waiters."""

from __future__ import annotations

import json
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._jobs._scheduler import BULK_FAILURES
from heygen_async.emulator import Emulator, EmulatorConfig, Faults
from heygen_async.v3 import VideoDetail, VideoTranslationDetail
from tests.support import AUDIO_URL, LOOK_ID, MARK, SARA, VIDEO_URL, running, ticking

FAST_POLL = hg.PollPolicy(first_poll=1.0, max_interval=2.0, jitter=0.0)
SOURCE = {"type": "url", "url": VIDEO_URL}


def avatar(script: str = "Hello from v3") -> dict[str, Any]:
    return {"type": "avatar", "avatar_id": LOOK_ID, "script": script, "voice_id": SARA}


def client_for(emulator: Emulator, **options: Any) -> hg.HeyGenClient:
    return emulator.direct_client(poll_policy=FAST_POLL, poll_budget=1000, **options)


def routes(emulator: Emulator, key: str) -> int:
    return sum(1 for entry in emulator.request_log if entry.get("route") == key)


async def test_a_render_is_waited_for_and_its_detail_returned() -> None:
    async with running() as emulator, client_for(emulator) as client:
        created = await client.v3.videos.create(**avatar())
        assert created.video_id is not None
        async with ticking(emulator, step=5.0):
            video = await client.v3.videos.wait(created.video_id, timeout=600)
    assert isinstance(video, VideoDetail)
    assert video.status is not None
    assert video.status.value == "completed"
    assert video.video_url


async def test_a_failed_render_raises_video_failed_with_heygens_reason() -> None:
    async with running() as emulator, client_for(emulator) as client:
        created = await client.v3.videos.create(**avatar(f"Break {MARK}"))
        assert created.video_id is not None
        async with ticking(emulator, step=5.0):
            with pytest.raises(hg.VideoFailed) as caught:
                await client.v3.videos.wait(created.video_id, timeout=600)
    assert caught.value.kind == "v3_video"
    assert caught.value.reason is not None
    assert "Emulated failure" in caught.value.reason
    assert json.loads(caught.value.resume_token)["kind"] == "v3_video"


async def test_many_renders_are_polled_in_bulk_with_one_detail_poll_each() -> None:
    config = EmulatorConfig(concurrent_jobs=100)
    async with running(config) as emulator, client_for(emulator) as client:
        ids = [(await client.v3.videos.create(**avatar(f"Render {i}"))).video_id or "" for i in range(40)]
        async with ticking(emulator, step=5.0):
            finished = [job.id async for job in client.v3.videos.as_completed(ids, timeout=600)]
        bulk = routes(emulator, "GET /v3/videos/statuses")
        detail = routes(emulator, "GET /v3/videos/{video_id}")
        stats = client.jobs.scheduler.stats
    assert sorted(finished) == sorted(ids)
    assert bulk >= 1
    assert detail == len(ids)  # each finished render: one detail poll for its full result, none while it runs
    assert stats.bulk_polls == bulk
    assert stats.jobs_in_bulk >= len(ids)


@pytest.mark.parametrize("fault", ["500", "lost", "html"])
async def test_renders_finish_while_the_bulk_status_route_keeps_failing(fault: str) -> None:
    """Every bulk status request fails (a 5xx, an answer lost after processing, an HTML page) while the detail
    route answers: the renders are still waited for, through their own polls, with one detail poll each."""
    faults = Faults(rate=1.0, kinds={fault: 1.0}, endpoints=frozenset({"GET /v3/videos/statuses"}))
    async with running(EmulatorConfig(concurrent_jobs=100)) as emulator, client_for(emulator) as client:
        ids = [(await client.v3.videos.create(**avatar(f"Render {i}"))).video_id or "" for i in range(3)]
        await emulator.advance(600)  # every render has finished
        emulator.set_faults(faults)
        videos = await client.v3.videos.wait_many(ids, timeout=60)
        bulk = routes(emulator, "GET /v3/videos/statuses")
        detail = routes(emulator, "GET /v3/videos/{video_id}")
    assert [video.status.value if video.status else None for video in videos] == ["completed"] * 3
    assert bulk == BULK_FAILURES
    assert detail == len(ids)


async def test_a_translation_into_two_languages_is_two_jobs_each_waited_for() -> None:
    async with running() as emulator, client_for(emulator) as client:
        made = await client.v3.video_translations.create(video=SOURCE, output_languages=["Spanish", "French"])
        ids = made.video_translation_ids or []
        assert len(ids) == 2
        async with ticking(emulator, step=10.0):
            results = await client.v3.video_translations.wait_many(ids, timeout=600)
    assert all(isinstance(result, VideoTranslationDetail) for result in results)
    assert {result.id for result in results} == set(ids)


async def test_a_voice_clone_ends_at_complete() -> None:
    async with running() as emulator, client_for(emulator) as client:
        clone = await client.v3.voices.clone(audio={"type": "url", "url": AUDIO_URL}, voice_name="Me")
        assert clone.voice_clone_id is not None
        async with ticking(emulator, step=5.0):
            voice = await client.v3.voices.wait(clone.voice_clone_id, timeout=600)
    assert voice.raw["status"] == "complete"


async def test_a_submitted_renders_token_carries_its_key_and_resubmitting_with_it_gets_the_same_render() -> None:
    async with running() as emulator:
        async with client_for(emulator) as first:
            job = await first.v3.videos.submit(**avatar(), idempotency_key="order-7:render")
            token = job.resume_token
        assert json.loads(token)["idempotency_key"] == "order-7:render"
        async with client_for(emulator) as restarted:  # a new worker, unsure whether the create went through
            resumed = hg.Job.resume(restarted, token)
            assert resumed.idempotency_key == "order-7:render"
            again = await restarted.v3.videos.submit(**avatar(), idempotency_key=resumed.idempotency_key)
        videos = emulator.stats()["v3"]["videos_created"]
    assert again.id == job.id == resumed.id
    assert videos == 1


async def test_a_v3_render_webhook_wakes_its_waiter_at_once() -> None:
    slow = hg.PollPolicy(first_poll=600.0, max_interval=600.0, jitter=0.0)
    async with running() as emulator, emulator.direct_client(poll_policy=slow) as client:
        created = await client.v3.videos.create(**avatar())
        video_id = created.video_id or ""
        waiting = client.v3.videos.job(video_id)
        record = waiting._track()
        await emulator.advance(400.0)  # finished at the emulator; the next poll would be minutes away
        assert client.jobs.feed({"event_type": "avatar_video.success", "event_data": {"video_id": video_id}})
        video = await waiting.wait(timeout=30)
        assert record.polls == 1
    assert video.video_url


@pytest.mark.parametrize(
    "wait",
    [
        pytest.param(lambda client: client.v3.videos.wait("v_1", timeout=1), id="wait"),
        pytest.param(lambda client: client.v3.video_translations.job("t_1").wait(timeout=1), id="job"),
        pytest.param(lambda client: client.v3.lipsyncs.wait_many(["l_1", "l_2"], timeout=1), id="wait_many"),
        pytest.param(lambda client: client.jobs.job("v3_voice_clone", "vc_1").wait(timeout=1), id="jobs.job"),
    ],
)
async def test_a_gateway_client_refuses_to_wait_for_a_v3_job_before_polling(wait: Any) -> None:
    """The gateway serves no v3 route: a v3 waiter on a gateway client is a ConfigurationError naming the way out
    at once, not status polls sent to the gateway (with its token) until the wait times out."""
    async with running() as emulator, emulator.client(poll_policy=FAST_POLL) as client:
        before = len(emulator.request_log)
        with pytest.raises(hg.ConfigurationError, match=r"HeyGenClient\.direct"):
            await wait(client)
        assert emulator.request_log[before:] == []


async def test_a_lipsync_is_submitted_as_a_job_carrying_its_key_and_waited_for() -> None:
    async with running() as emulator, client_for(emulator) as client:
        job = await client.v3.lipsyncs.submit(
            video=SOURCE, audio={"type": "url", "url": AUDIO_URL}, idempotency_key="dub-1"
        )
        again = await client.v3.lipsyncs.submit(
            video=SOURCE, audio={"type": "url", "url": AUDIO_URL}, idempotency_key="dub-1"
        )
        async with ticking(emulator, step=10.0):
            done = await job.wait(timeout=600)
    assert (job.kind.name, job.idempotency_key, json.loads(job.resume_token)["idempotency_key"]) == (
        "v3_lipsync",
        "dub-1",
        "dub-1",
    )
    assert again.id == job.id
    assert done.raw["status"] == "completed"


async def test_a_photo_avatar_is_submitted_as_a_job_on_its_look_and_waited_for() -> None:
    async with running() as emulator, client_for(emulator) as client:
        job = await client.v3.avatars.submit(type="photo", name="Lina", file=SOURCE)
        async with ticking(emulator, step=10.0):
            look = await job.wait(timeout=600)
    assert job.kind.name == "v3_avatar"
    assert look.id == job.id
    assert look.raw["status"] == "completed"
