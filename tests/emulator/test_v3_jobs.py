"""The emulator's v3 jobs on its manual clock: state machines, the concurrency cap with ``Retry-After``, batches
that queue for slots, bulk statuses, and the media a finished job points to."""

from __future__ import annotations

import io
from typing import Any

import aiohttp

from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock
from tests.support import AUDIO_URL, MARK, VIDEO_URL, V3Caller, avatar_video, v3_emulator

DEFAULTS = EmulatorConfig()
PENDING = DEFAULTS.pending_seconds
RENDER = DEFAULTS.render_seconds
RENDERED = PENDING + RENDER
TRANSLATED = PENDING + DEFAULTS.translation_seconds
SOURCE = {"type": "url", "url": VIDEO_URL}


async def create(v3: V3Caller, script: str = "Hello from v3.", **fields: Any) -> str:
    video_id: str = (await v3.call("POST", "/v3/videos", avatar_video(script, **fields))).data["video_id"]
    return video_id


async def statuses(v3: V3Caller, path: str, **params: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (await v3.call("GET", path, params=params)).data
    return entries


async def test_a_video_goes_pending_processing_completed_and_its_files_are_served() -> None:
    async with v3_emulator() as v3:
        video_id = await create(v3)
        seen = [await v3.video_status(video_id)]
        await v3.emulator.advance(PENDING)
        seen.append(await v3.video_status(video_id))
        await v3.emulator.advance(RENDER)
        video = (await v3.call("GET", f"/v3/videos/{video_id}")).data
        async with v3.session.get(video["video_url"]) as response:
            media = (response.status, response.content_type)
        stats = v3.emulator.stats()["v3"]
    assert [*seen, video["status"]] == ["pending", "processing", "completed"]
    assert media == (200, "video/mp4")
    assert video["completed_at"] >= video["created_at"]
    assert video["thumbnail_url"]
    assert video["duration"] > 0
    assert (stats["videos_created"], stats["videos_completed"], stats["jobs_running"]) == (1, 1, 0)


async def test_the_failure_marker_and_the_failure_rate_fail_jobs_with_their_reason() -> None:
    async with v3_emulator() as v3:
        marked = await create(v3, f"Say {MARK}")
        await v3.emulator.advance(RENDERED)
        failed = (await v3.call("GET", f"/v3/videos/{marked}")).data
    async with v3_emulator(EmulatorConfig(failure_rate=1.0)) as v3:
        drawn = await create(v3)
        await v3.emulator.advance(RENDERED)
        unlucky = await v3.video_status(drawn)
    assert failed["status"] == "failed"
    assert failed["video_url"] is None
    assert failed["failure_code"]
    assert "failure_marker" in failed["failure_message"]
    assert unlucky == "failed"


async def test_the_cap_refuses_one_job_too_many_with_retry_after_until_a_slot_frees() -> None:
    async with v3_emulator(EmulatorConfig(concurrent_jobs=3)) as v3:
        for _ in range(3):
            await create(v3)
        refused = await v3.call("POST", "/v3/videos", avatar_video())
        translation = await v3.call(
            "POST", "/v3/video-translations", {"video": SOURCE, "output_languages": ["Spanish"]}
        )
        agent = await v3.call("POST", "/v3/video-agents", {"prompt": "A teaser"})
        other_account = await v3.as_account("hk_second-account").call("POST", "/v3/videos", avatar_video())
        lipsync = await v3.call("POST", "/v3/lipsyncs", {"video": SOURCE, "audio": {"type": "url", "url": AUDIO_URL}})
        await v3.emulator.advance(RENDERED)
        freed = await v3.call("POST", "/v3/videos", avatar_video())
        stats = v3.emulator.stats()["v3"]
    assert refused.status == 429
    assert refused.error["code"] == "rate_limit_exceeded"
    assert refused.headers["Retry-After"] == str(int(RENDERED))  # when the first running render should end
    assert translation.status == agent.status == 429
    assert other_account.status == 200  # the cap is per account
    assert lipsync.status == 200  # lipsyncs are not capped
    assert freed.status == 200
    assert stats["cap_refusals"] == 3


async def test_a_translation_request_over_the_cap_is_refused_whole() -> None:
    async with v3_emulator(EmulatorConfig(concurrent_jobs=2)) as v3:
        await create(v3)
        two = await v3.call(
            "POST", "/v3/video-translations", {"video": SOURCE, "output_languages": ["Spanish", "French"]}
        )
        one = await v3.call("POST", "/v3/video-translations", {"video": SOURCE, "output_languages": ["Spanish"]})
        stats = v3.emulator.stats()["v3"]
    assert two.status == 429
    assert one.status == 200
    assert stats["translations_created"] == 1


async def test_batch_items_queue_for_slots_and_the_batch_finishes_when_every_item_is_final() -> None:
    async with v3_emulator(EmulatorConfig(concurrent_jobs=2)) as v3:
        videos = [avatar_video(f"Item {i}") for i in range(4)] + [avatar_video(f"Item {MARK}")]
        batch_id = (await v3.call("POST", "/v3/videos/batches", {"videos": videos})).data["batch_id"]
        started = (await v3.call("GET", f"/v3/videos/batches/{batch_id}")).data
        direct = await v3.call("POST", "/v3/videos", avatar_video())
        for _ in range(3):
            await v3.emulator.advance(RENDERED)
        done = (await v3.call("GET", f"/v3/videos/batches/{batch_id}")).data
        expanded = await statuses(v3, "/v3/videos/statuses", batch_ids=batch_id)
    assert [item["video_id"] is not None for item in started["items"]] == [True, True, False, False, False]
    assert {item["status"] for item in started["items"]} == {"queued"}
    assert direct.status == 429  # the batch holds every slot
    assert done["status"] == "completed"
    assert done["counts_by_status"] == {"completed": 4, "failed": 1}
    assert [(e["batch_id"], e["item_index"], e["status"]) for e in expanded] == [
        (batch_id, i, "failed" if i == 4 else "completed") for i in range(5)
    ]
    assert expanded[4]["error"]["code"] == "RENDER_FAILED"


async def test_bulk_statuses_answer_each_id_once_and_refuse_more_than_100() -> None:
    async with v3_emulator() as v3:
        queued = await create(v3)
        await v3.emulator.advance(PENDING)
        processing = queued
        fresh = await create(v3)
        answered = await statuses(v3, "/v3/videos/statuses", video_ids=f"{processing},{fresh},nope,{fresh}")
        too_many = await v3.call(
            "GET", "/v3/videos/statuses", params={"video_ids": ",".join(str(i) for i in range(101))}
        )
        none = await v3.call("GET", "/v3/videos/statuses")
        await v3.emulator.advance(RENDERED)
        later = await statuses(v3, "/v3/videos/statuses", video_ids=f"{processing},{fresh}")
    assert [(e["video_id"], e["status"]) for e in answered] == [
        (processing, "processing"),
        (fresh, "queued"),
        ("nope", "not_found"),
    ]
    assert all(set(e) == {"video_id", "status", "batch_id", "item_index", "error"} for e in answered)
    assert (too_many.status, too_many.error["param"]) == (400, "video_ids")
    assert (none.status, none.error["code"]) == (400, "invalid_parameter")
    assert [e["status"] for e in later] == ["completed", "completed"]


async def test_translations_run_one_job_per_language_and_report_through_bulk_status() -> None:
    async with v3_emulator() as v3:
        body = {"video": SOURCE, "output_languages": ["Spanish", "French", "German"], "enable_caption": True}
        ids = (await v3.call("POST", "/v3/video-translations", body)).data["video_translation_ids"]
        await v3.emulator.advance(PENDING)
        running = (await v3.call("GET", f"/v3/video-translations/{ids[0]}")).data["status"]
        await v3.emulator.advance(TRANSLATED)
        detail = (await v3.call("GET", f"/v3/video-translations/{ids[1]}")).data
        bulk = await statuses(v3, "/v3/video-translations/statuses", video_translation_ids=",".join(ids))
    assert len(set(ids)) == 3
    assert running == "running"
    assert detail["status"] == "completed"
    assert detail["output_language"] == "French"
    assert detail["video_url"]
    assert detail["srt_caption_url"]
    assert detail["vtt_caption_url"]
    assert [(e["video_id"], e["status"]) for e in bulk] == [(i, "completed") for i in ids]


async def test_a_proofread_is_reviewed_then_rendered_as_a_translation() -> None:
    async with v3_emulator() as v3:
        body = {"video": SOURCE, "output_languages": ["German"], "title": "Review me"}
        (proofread_id,) = (await v3.call("POST", "/v3/video-translations/proofreads", body)).data["proofread_ids"]
        early = await v3.call("POST", f"/v3/video-translations/proofreads/{proofread_id}/generate", {})
        await v3.emulator.advance(TRANSLATED)
        srt = (await v3.call("GET", f"/v3/video-translations/proofreads/{proofread_id}/srt")).data
        generated = (await v3.call("POST", f"/v3/video-translations/proofreads/{proofread_id}/generate", {})).data
        await v3.emulator.advance(TRANSLATED)
        translation = (await v3.call("GET", f"/v3/video-translations/{generated['video_translation_id']}")).data
        events = [e["event_type"] for e in (await v3.call("GET", "/v3/webhooks/events")).data]
    assert (early.status, early.error["code"]) == (409, "conflict")
    assert srt["srt_url"]
    assert srt["original_srt_url"]
    assert translation["status"] == "completed"
    assert translation["output_language"] == "German"
    assert "proofread_creation.success" in events
    assert "video_translate.success" in events


async def test_a_lipsync_goes_pending_running_completed() -> None:
    async with v3_emulator() as v3:
        body = {"video": SOURCE, "audio": {"type": "url", "url": AUDIO_URL}, "start_time": 1, "end_time": 11}
        lipsync_id = (await v3.call("POST", "/v3/lipsyncs", body)).data["lipsync_id"]
        seen = []
        for step in (0, PENDING, DEFAULTS.translation_seconds):
            await v3.emulator.advance(step)
            seen.append((await v3.call("GET", f"/v3/lipsyncs/{lipsync_id}")).data)
        backwards = await v3.call("POST", "/v3/lipsyncs", {**body, "start_time": 5, "end_time": 2})
    assert [s["status"] for s in seen] == ["pending", "running", "completed"]
    assert seen[-1]["video_url"]
    assert seen[-1]["duration"] == 10.0
    assert (backwards.status, backwards.error["param"]) == (400, "end_time")


async def test_a_video_agent_thinks_generates_and_completes_with_its_video() -> None:
    async with v3_emulator() as v3:
        created = (await v3.call("POST", "/v3/video-agents", {"prompt": "A product teaser"})).data
        session_id, video_id = created["session_id"], created["video_id"]
        seen = [created["status"]]
        await v3.emulator.advance(DEFAULTS.generation_seconds)
        seen.append((await v3.call("GET", f"/v3/video-agents/{session_id}")).data["status"])
        follow_up = await v3.call("POST", f"/v3/video-agents/{session_id}", {"message": "Make it shorter"})
        await v3.emulator.advance(RENDERED)
        session = (await v3.call("GET", f"/v3/video-agents/{session_id}")).data
        video = await v3.video_status(video_id)
        slots = v3.emulator.stats()["v3"]["jobs_running"]
    assert [*seen, session["status"]] == ["thinking", "generating", "completed"]
    assert session["video_id"] == video_id
    assert session["progress"] == 100
    assert video == "completed"
    assert (follow_up.status, follow_up.error["code"]) == (409, "conflict")  # generate mode takes no messages
    assert slots == 0


async def test_a_chat_session_waits_for_input_and_a_stop_fails_its_unfinished_video() -> None:
    async with v3_emulator(EmulatorConfig(concurrent_jobs=1)) as v3:
        session_id = (await v3.call("POST", "/v3/video-agents", {"prompt": "Hi", "mode": "chat"})).data["session_id"]
        await v3.emulator.advance(DEFAULTS.generation_seconds)
        waiting = (await v3.call("GET", f"/v3/video-agents/{session_id}")).data
        meanwhile = await v3.call("POST", "/v3/videos", avatar_video())  # a waiting chat holds no slot
        await v3.emulator.advance(RENDERED)
        await v3.call("POST", f"/v3/video-agents/{session_id}", {"message": "Angela, upbeat"})
        await v3.emulator.advance(DEFAULTS.generation_seconds + PENDING)
        generating = (await v3.call("GET", f"/v3/video-agents/{session_id}")).data
        await v3.call("POST", f"/v3/video-agents/{session_id}/stop")
        stopped = (await v3.call("GET", f"/v3/video-agents/{session_id}")).data
        video = (await v3.call("GET", f"/v3/videos/{generating['video_id']}")).data
    assert waiting["status"] == "waiting_for_input"
    assert waiting["video_id"] is None
    assert meanwhile.status == 200
    assert generating["status"] == "generating"
    assert stopped["status"] == "waiting_for_input"
    assert (video["status"], video["failure_code"]) == ("failed", "stopped")


async def test_a_digital_twin_waits_for_consent_then_trains_and_a_photo_avatar_trains_at_once() -> None:
    async with v3_emulator() as v3:
        file = {"type": "url", "url": VIDEO_URL}
        twin = (await v3.call("POST", "/v3/avatars", {"type": "digital_twin", "name": "Me", "file": file})).data
        photo = (await v3.call("POST", "/v3/avatars", {"type": "photo", "name": "Lina", "file": file})).data
        group_id, look_id = twin["avatar_group"]["id"], twin["avatar_item"]["id"]
        await v3.emulator.advance(DEFAULTS.training_seconds)
        still = (await v3.call("GET", f"/v3/avatars/{group_id}")).data
        not_ready = await v3.call("POST", "/v3/videos", avatar_video(avatar_id=look_id))
        url = (await v3.call("POST", f"/v3/avatars/{group_id}/consent", {})).data["url"]
        async with v3.session.get(url) as response:
            assert response.status == 200
        training = (await v3.call("GET", f"/v3/avatars/{group_id}")).data
        await v3.emulator.advance(DEFAULTS.training_seconds)
        trained = (await v3.call("GET", f"/v3/avatars/looks/{look_id}")).data
        photo_look = (await v3.call("GET", f"/v3/avatars/looks/{photo['avatar_item']['id']}")).data
        usable = await v3.call("POST", "/v3/videos", avatar_video(avatar_id=look_id))
        events = [e["event_type"] for e in (await v3.call("GET", "/v3/webhooks/events")).data]
    assert (still["status"], still["consent_status"]) == ("pending_consent", "pending")
    assert (not_ready.status, not_ready.error["param"]) == (400, "avatar_id")
    assert (training["status"], training["consent_status"]) == ("processing", "approved")
    assert trained["status"] == "completed"
    assert trained["avatar_type"] == "digital_twin"
    assert photo_look["status"] == "completed"
    assert photo_look["avatar_type"] == "photo_avatar"
    assert usable.status == 200
    assert {"instant_avatar.success", "photo_avatar_train.success"} <= set(events)


async def test_public_avatars_cannot_be_changed_and_a_groups_last_look_takes_the_group() -> None:
    async with v3_emulator() as v3:
        public = await v3.call("DELETE", "/v3/avatars/angela-public")
        photo = (
            await v3.call(
                "POST", "/v3/avatars", {"type": "photo", "name": "Lina", "file": {"type": "url", "url": VIDEO_URL}}
            )
        ).data
        await v3.call("DELETE", f"/v3/avatars/looks/{photo['avatar_item']['id']}")
        gone = await v3.call("GET", f"/v3/avatars/{photo['avatar_group']['id']}")
    assert (public.status, public.error["code"]) == (403, "resource_access_denied")
    assert (gone.status, gone.error["code"]) == (404, "avatar_not_found")


async def test_a_voice_clone_goes_processing_to_complete_and_can_speak_then() -> None:
    async with v3_emulator() as v3:
        body = {"audio": {"type": "url", "url": AUDIO_URL}, "voice_name": "My voice"}
        clone_id = (await v3.call("POST", "/v3/voices/clone", body)).data["voice_clone_id"]
        before = (await v3.call("GET", f"/v3/voices/{clone_id}")).data["status"]
        early = await v3.call("POST", "/v3/voices/speech", {"text": "Hi", "voice_id": clone_id})
        await v3.emulator.advance(DEFAULTS.generation_seconds)
        after = (await v3.call("GET", f"/v3/voices/{clone_id}")).data["status"]
        spoken = await v3.call("POST", "/v3/voices/speech", {"text": "Hi", "voice_id": clone_id})
        private = await v3.walk("/v3/voices", limit=5, params={"type": "private"})
        await v3.call("DELETE", f"/v3/voices/{clone_id}")
        again = await v3.call("DELETE", f"/v3/voices/{clone_id}")
    assert (before, after) == ("processing", "complete")
    assert (early.status, early.error["param"]) == (400, "voice_id")
    assert spoken.status == 200
    assert [v["voice_id"] for v in private] == [clone_id]
    assert (again.status, again.error["code"]) == (404, "voice_not_found")


async def test_background_removal_and_ai_clipping_finish_with_their_outputs() -> None:
    async with v3_emulator() as v3:
        removal = (await v3.call("POST", "/v3/background-removals", {"video": SOURCE, "layers": ["mask"]})).data
        clipping = (await v3.call("POST", "/v3/ai-clipping", {"video": SOURCE, "title": "Talk"})).data
        await v3.emulator.advance(RENDERED)
        removed = (await v3.call("GET", f"/v3/background-removals/{removal['id']}")).data
        clipped = (await v3.call("GET", f"/v3/ai-clipping/{clipping['id']}")).data
        await v3.call("DELETE", f"/v3/background-removals/{removal['id']}")
        soft = (await v3.call("GET", f"/v3/background-removals/{removal['id']}")).data
        listed = await v3.walk("/v3/background-removals", limit=10)
    assert (removal["status"], removed["status"]) == ("pending", "completed")
    assert list(removed["layers"]) == ["mask"]
    assert clipped["status"] == "completed"
    assert len(clipped["clips"]) == 3
    assert soft["status"] == "deleted"
    assert listed == []


async def test_uploads_are_limited_and_direct_uploads_are_checked_when_completed() -> None:
    async with v3_emulator() as v3:
        too_big = aiohttp.FormData()
        oversized = io.BytesIO(b"\x00" * (32 * 1024 * 1024 + 1))
        too_big.add_field("file", oversized, filename="big.mp4", content_type="video/mp4")
        big = await v3.call("POST", "/v3/assets", data=too_big)
        exe = aiohttp.FormData()
        exe.add_field("file", b"MZ", filename="tool.exe", content_type="application/x-msdownload")
        wrong_type = await v3.call("POST", "/v3/assets", data=exe)
        spec = {"filename": "a.mp4", "content_type": "video/mp4", "size_bytes": 4, "checksum_sha256": "0" * 64}
        slot = (await v3.call("POST", "/v3/assets/direct-uploads", spec)).data
        before_upload = await v3.call("POST", f"/v3/assets/{slot['asset_id']}/complete", {})
        async with v3.session.put(slot["upload_url"], data=b"abcd", headers=slot["upload_headers"]) as response:
            assert response.status == 200
        bad_checksum = await v3.call("POST", f"/v3/assets/{slot['asset_id']}/complete", {})
        async with v3.session.put(slot["upload_url"].replace("Signature=", "Signature=0"), data=b"abcd") as response:
            forged = response.status
        queued = await statuses(v3, "/v3/assets/statuses", asset_ids=slot["asset_id"])
    assert (big.status, big.error["code"]) == (413, "payload_too_large")
    assert (wrong_type.status, wrong_type.error["param"]) == (400, "file")
    assert (before_upload.status, before_upload.error["code"]) == (409, "conflict")
    assert (bad_checksum.status, bad_checksum.error["param"]) == (400, "checksum_sha256")
    assert forged == 403
    assert queued[0]["status"] == "queued"


async def test_an_asset_batch_completes_its_uploaded_files_and_fails_the_missing_one() -> None:
    async with v3_emulator() as v3:
        spec = {"filename": "a.png", "content_type": "image/png", "size_bytes": 3}
        batch = (await v3.call("POST", "/v3/assets/direct-uploads/batches", {"files": [spec, spec]})).data
        first = batch["items"][0]
        async with v3.session.put(first["upload_url"], data=b"png", headers=first["upload_headers"]) as response:
            assert response.status == 200
        accepted = await v3.call("POST", "/v3/assets/complete/batches", {"batch_id": batch["batch_id"]})
        await v3.emulator.advance(PENDING)
        detail = (await v3.call("GET", f"/v3/assets/batches/{batch['batch_id']}")).data
    assert accepted.status == 202
    assert detail["status"] == "completed"
    assert [(i["video_id"], i["status"]) for i in detail["items"]] == [
        (batch["items"][0]["asset_id"], "completed"),
        (batch["items"][1]["asset_id"], "failed"),
    ]


async def test_retry_after_is_in_real_seconds_when_the_clock_runs_on_its_own() -> None:
    config = EmulatorConfig(concurrent_jobs=1)
    async with Emulator(config, clock=ScaledClock(1000)) as emulator, aiohttp.ClientSession() as session:
        v3 = V3Caller(emulator, session)
        await create(v3)
        refused = await v3.call("POST", "/v3/videos", avatar_video())
    # 32 emulated seconds at 1000x are 0.032 real ones: the header says 1 (whole seconds, at least one), not 32.
    assert (refused.status, refused.headers["Retry-After"]) == (429, "1")


async def test_deleting_a_batch_items_video_settles_the_batch() -> None:
    async with v3_emulator() as v3:
        batch_id = (await v3.call("POST", "/v3/videos/batches", {"videos": [avatar_video()]})).data["batch_id"]
        (item,) = (await v3.call("GET", f"/v3/videos/batches/{batch_id}")).data["items"]
        await v3.call("DELETE", f"/v3/videos/{item['video_id']}")
        batch = (await v3.call("GET", f"/v3/videos/batches/{batch_id}")).data
        slots = v3.emulator.stats()["v3"]["jobs_running"]
    assert batch["status"] == "failed"
    assert batch["items"][0]["error"]["code"] == "deleted"
    assert slots == 0
