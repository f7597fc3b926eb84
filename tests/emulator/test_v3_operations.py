"""The emulator serves every HeyGen v3 operation: one walk through the whole API, each answered with a success,
with raw HTTP in direct mode (``x-api-key``) on a manual clock."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp

from heygen_async.emulator._v3_handlers import V3_HANDLERS
from tests.support import AUDIO_URL, LOOK_ID, SARA, VIDEO_URL, V3Caller, avatar_video, v3_emulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LONG = 120.0  # emulated seconds: longer than any default job takes


async def ok(v3: V3Caller, method: str, path: str, body: Any = None, **options: Any) -> Any:
    reply = await v3.call(method, path, body, **options)
    assert reply.status in (200, 202), (method, path, reply.status, reply.body)
    return reply.data


async def upload_to(v3: V3Caller, slot: dict[str, Any], content: bytes) -> None:
    async with v3.session.put(slot["upload_url"], data=content, headers=slot["upload_headers"]) as response:
        assert response.status == 200


async def walk_avatars_and_voices(v3: V3Caller) -> None:
    await ok(v3, "GET", "/v3/users/me")
    assert [g["id"] for g in await ok(v3, "GET", "/v3/avatars")][:1] == ["angela-public"]
    await ok(v3, "GET", "/v3/avatars/angela-public")
    await ok(v3, "GET", "/v3/avatars/looks", params={"group_id": "angela-public"})
    await ok(v3, "GET", f"/v3/avatars/looks/{LOOK_ID}")
    photo = await ok(
        v3, "POST", "/v3/avatars", {"type": "photo", "name": "Lina", "file": {"type": "url", "url": VIDEO_URL}}
    )
    look_id = photo["avatar_item"]["id"]
    await ok(v3, "PATCH", f"/v3/avatars/looks/{look_id}", {"name": "Lina smiling"})
    twin = await ok(
        v3,
        "POST",
        "/v3/avatars",
        {"type": "digital_twin", "name": "Me", "file": {"type": "url", "url": VIDEO_URL}},
    )
    group_id = twin["avatar_group"]["id"]
    assert twin["avatar_group"]["status"] == "pending_consent"
    consent = await ok(v3, "POST", f"/v3/avatars/{group_id}/consent", {})
    assert consent["url"].endswith(f"/_emulator/v3/consent/{group_id}")
    await ok(v3, "DELETE", f"/v3/avatars/looks/{look_id}")
    await ok(v3, "DELETE", f"/v3/avatars/{group_id}")

    await ok(v3, "GET", "/v3/voices")
    await ok(v3, "GET", f"/v3/voices/{SARA}")
    designed = await ok(v3, "POST", "/v3/voices", {"prompt": "a warm narrator", "seed": 7})
    assert len(designed["voices"]) == 3
    assert designed["seed"] == 7
    clone = await ok(v3, "POST", "/v3/voices/clone", {"audio": {"type": "url", "url": AUDIO_URL}, "voice_name": "Me"})
    await ok(v3, "DELETE", f"/v3/voices/{clone['voice_clone_id']}")
    speech = await ok(v3, "POST", "/v3/voices/speech", {"text": "Hello there", "voice_id": SARA})
    assert [w["word"] for w in speech["word_timestamps"]] == ["Hello", "there"]


async def walk_videos_and_templates(v3: V3Caller) -> None:
    templates = await ok(v3, "GET", "/v3/templates")
    template_id = templates[0]["id"]
    detail = await ok(v3, "GET", f"/v3/templates/{template_id}")
    assert "headline" in detail["variables"]
    from_template = await ok(
        v3,
        "POST",
        f"/v3/templates/{template_id}",
        {"variables": {"headline": {"name": "headline", "type": "text", "properties": {"content": "Hi"}}}},
    )
    assert from_template["status"] == "pending"
    video_id = (await ok(v3, "POST", "/v3/videos", avatar_video()))["video_id"]
    await ok(v3, "GET", "/v3/videos")
    await ok(v3, "GET", f"/v3/videos/{video_id}")
    await ok(v3, "GET", "/v3/videos/statuses", params={"video_ids": video_id})
    batch = await ok(v3, "POST", "/v3/videos/batches", {"videos": [avatar_video(), avatar_video("Two")]})
    await ok(v3, "GET", f"/v3/videos/batches/{batch['batch_id']}")
    await ok(v3, "DELETE", f"/v3/videos/{video_id}")


async def walk_translations_and_lipsyncs(v3: V3Caller) -> None:
    assert "Spanish" in (await ok(v3, "GET", "/v3/video-translations/languages"))["languages"]
    source = {"video": {"type": "url", "url": VIDEO_URL}, "output_languages": ["Spanish", "French"]}
    ids = (await ok(v3, "POST", "/v3/video-translations", source))["video_translation_ids"]
    assert len(ids) == 2
    await ok(v3, "GET", "/v3/video-translations")
    await ok(v3, "GET", f"/v3/video-translations/{ids[0]}")
    await ok(v3, "PATCH", f"/v3/video-translations/{ids[0]}", {"title": "Spanish cut"})
    await ok(v3, "GET", "/v3/video-translations/statuses", params={"video_translation_ids": ",".join(ids)})
    batch = await ok(v3, "POST", "/v3/video-translations/batches", {"video_translations": [source]})
    await ok(v3, "GET", f"/v3/video-translations/batches/{batch['batch_id']}")
    await ok(v3, "DELETE", f"/v3/video-translations/{ids[1]}")

    proofread = {"video": {"type": "url", "url": VIDEO_URL}, "output_languages": ["German"], "title": "Check"}
    (proofread_id,) = (await ok(v3, "POST", "/v3/video-translations/proofreads", proofread))["proofread_ids"]
    await v3.emulator.advance(LONG)
    assert (await ok(v3, "GET", f"/v3/video-translations/proofreads/{proofread_id}"))["status"] == "completed"
    await ok(v3, "GET", f"/v3/video-translations/proofreads/{proofread_id}/srt")
    srt = {"srt": {"type": "url", "url": "https://example.com/fixed.srt"}}
    await ok(v3, "PUT", f"/v3/video-translations/proofreads/{proofread_id}/srt", srt)
    await ok(v3, "POST", f"/v3/video-translations/proofreads/{proofread_id}/generate", {})

    lipsync = {"video": {"type": "url", "url": VIDEO_URL}, "audio": {"type": "url", "url": AUDIO_URL}}
    lipsync_id = (await ok(v3, "POST", "/v3/lipsyncs", lipsync))["lipsync_id"]
    await ok(v3, "GET", "/v3/lipsyncs")
    await ok(v3, "GET", f"/v3/lipsyncs/{lipsync_id}")
    await ok(v3, "PATCH", f"/v3/lipsyncs/{lipsync_id}", {"title": "Dubbed"})
    batch = await ok(v3, "POST", "/v3/lipsyncs/batches", {"lipsyncs": [lipsync, lipsync]})
    await ok(v3, "GET", f"/v3/lipsyncs/batches/{batch['batch_id']}")
    await ok(v3, "GET", "/v3/lipsyncs/statuses", params={"lipsync_ids": lipsync_id})
    await ok(v3, "DELETE", f"/v3/lipsyncs/{lipsync_id}")


async def walk_video_agent(v3: V3Caller) -> None:
    style = (await ok(v3, "GET", "/v3/video-agents/styles"))[0]["style_id"]
    made = await ok(v3, "POST", "/v3/video-agents", {"prompt": "A 20 second product teaser", "style_id": style})
    chat = await ok(v3, "POST", "/v3/video-agents", {"prompt": "Let's make a video", "mode": "chat"})
    await ok(v3, "GET", "/v3/video-agents")
    await v3.emulator.advance(LONG)
    session = await ok(v3, "GET", f"/v3/video-agents/{made['session_id']}")
    assert session["status"] == "completed"
    (resource_id,) = session["messages"][-1]["resource_ids"]
    await ok(v3, "GET", f"/v3/video-agents/{made['session_id']}/resources/{resource_id}")
    videos = await ok(v3, "GET", f"/v3/video-agents/{made['session_id']}/videos")
    assert [v["id"] for v in videos] == [made["video_id"]]
    assert (await ok(v3, "GET", f"/v3/video-agents/{chat['session_id']}"))["status"] == "waiting_for_input"
    await ok(v3, "POST", f"/v3/video-agents/{chat['session_id']}", {"message": "Angela, 30 seconds, upbeat"})
    await ok(v3, "POST", f"/v3/video-agents/{chat['session_id']}/stop")


async def walk_assets(v3: V3Caller) -> None:
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="logo.png", content_type="image/png")
    uploaded = await ok(v3, "POST", "/v3/assets", data=form)
    assert uploaded["size_bytes"] == len(PNG)
    spec = {"filename": "clip.mp4", "content_type": "video/mp4", "size_bytes": 10}
    slot = await ok(
        v3, "POST", "/v3/assets/direct-uploads", {**spec, "checksum_sha256": hashlib.sha256(b"0" * 10).hexdigest()}
    )
    await upload_to(v3, slot, b"0" * 10)
    done = await ok(v3, "POST", f"/v3/assets/{slot['asset_id']}/complete", {})
    assert done["status"] == "processing"
    batch = await ok(v3, "POST", "/v3/assets/direct-uploads/batches", {"files": [spec, spec]})
    for item in batch["items"]:
        await upload_to(v3, item, b"1" * 10)
    await ok(v3, "POST", "/v3/assets/complete/batches", {"batch_id": batch["batch_id"]})
    await ok(v3, "GET", f"/v3/assets/batches/{batch['batch_id']}")
    await ok(v3, "GET", "/v3/assets/statuses", params={"asset_ids": slot["asset_id"]})
    me = await ok(v3, "GET", "/v3/users/me")
    assert uploaded["asset_id"] in [
        a["id"] for a in await ok(v3, "GET", "/v3/assets", params={"username": me["username"]})
    ]
    await ok(v3, "GET", f"/v3/assets/{uploaded['asset_id']}")
    await ok(v3, "DELETE", f"/v3/assets/{uploaded['asset_id']}")
    images = await ok(v3, "GET", "/v3/assets/search", params={"query": "pizza on a table", "type": "image"})
    assert images[0]["id"] == "img00"
    sounds = await ok(v3, "GET", "/v3/audio/sounds", params={"query": "upbeat corporate music"})
    assert sounds[0]["name"] == "Upbeat corporate"


async def walk_other_jobs(v3: V3Caller) -> None:
    removal = await ok(v3, "POST", "/v3/background-removals", {"video": {"type": "url", "url": VIDEO_URL}})
    await ok(v3, "GET", "/v3/background-removals")
    await ok(v3, "GET", f"/v3/background-removals/{removal['id']}")
    await ok(v3, "DELETE", f"/v3/background-removals/{removal['id']}")
    clipping = await ok(v3, "POST", "/v3/ai-clipping", {"video": {"type": "url", "url": VIDEO_URL}})
    await ok(v3, "GET", "/v3/ai-clipping")
    await ok(v3, "GET", f"/v3/ai-clipping/{clipping['id']}")
    await ok(v3, "DELETE", f"/v3/ai-clipping/{clipping['id']}")
    await ok(v3, "GET", "/v3/brand-kits")
    await ok(v3, "GET", "/v3/brand-glossaries")


async def walk_webhooks(v3: V3Caller) -> None:
    assert len(await ok(v3, "GET", "/v3/webhooks/event-types")) == 30
    created = await ok(v3, "POST", "/v3/webhooks/endpoints", {"url": "https://example.com/hooks"})
    endpoint_id = created["endpoint_id"]
    await ok(v3, "GET", "/v3/webhooks/endpoints")
    await ok(v3, "PATCH", f"/v3/webhooks/endpoints/{endpoint_id}", {"events": ["avatar_video.success"]})
    await ok(v3, "POST", f"/v3/webhooks/endpoints/{endpoint_id}/rotate-secret")
    await ok(v3, "GET", "/v3/webhooks/events")
    await ok(v3, "DELETE", f"/v3/webhooks/endpoints/{endpoint_id}")


async def test_every_v3_operation_answers_a_success_in_one_walk_of_the_api() -> None:
    async with v3_emulator() as v3:
        await walk_avatars_and_voices(v3)
        await walk_videos_and_templates(v3)
        await walk_translations_and_lipsyncs(v3)
        await walk_video_agent(v3)
        await walk_assets(v3)
        await walk_other_jobs(v3)
        await walk_webhooks(v3)
        answered = {
            entry["route"]
            for entry in v3.emulator.request_log
            if entry["format"] == "v3" and entry["status"] in (200, 202)
        }
        assert len(V3_HANDLERS) == 85
        assert sorted(set(V3_HANDLERS) - answered) == []
        refused = [e for e in v3.emulator.request_log if e["format"] == "v3" and e["status"] >= 300]
        assert refused == []


def test_the_emulator_has_one_handler_per_row_of_the_clients_v3_table() -> None:
    """The emulator and the client read HeyGen's v3 the same way: its handlers are exactly the table's routes."""
    from heygen_async._spec._v3_table import V3_ENDPOINTS

    assert set(V3_HANDLERS) == {endpoint.key for endpoint in V3_ENDPOINTS}
