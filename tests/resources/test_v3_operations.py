"""Every HeyGen v3 operation through ``client.v3`` against the emulator: what went on the wire (method, path, query,
body) and what came back (the operation's model, its fields as answered).

One walk through the whole API (module-scoped: the operations depend on each other's ids) records, per operation,
the arguments, the result and the emulator's log entry of the request; then one test per operation checks them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
import attrs
import pytest

import heygen_async as hg
from heygen_async._converter import json_ready
from heygen_async._spec._types import Endpoint
from heygen_async._spec._v3_table import V3_ENDPOINTS, V3_ENDPOINTS_BY_NAME
from heygen_async.emulator import Emulator, ManualClock
from heygen_async.v3 import _models
from tests.support import AUDIO_URL, LOOK_ID, SARA, VIDEO_URL, expected_path, fields_match, shown, v3_method

LONG: Final = 120.0
PNG: Final = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SOURCE: Final = {"type": "url", "url": VIDEO_URL}


@attrs.frozen
class Seen:
    positional: tuple[Any, ...]
    arguments: dict[str, Any]
    result: Any
    entry: dict[str, Any]


class Walk:
    """Calls operations through ``client.v3`` and keeps what each sent and got."""

    def __init__(self, client: hg.HeyGenClient, emulator: Emulator) -> None:
        self.client = client
        self.emulator = emulator
        self.seen: dict[str, Seen] = {}

    async def __call__(self, operation: str, /, *positional: Any, **arguments: Any) -> Any:
        endpoint = V3_ENDPOINTS_BY_NAME[f"v3.{operation}"]
        before = len(self.emulator.request_log)
        result = await v3_method(self.client, endpoint)(*positional, **arguments)
        entries = [e for e in self.emulator.request_log[before:] if e.get("route") == endpoint.key]
        assert len(entries) == 1, (operation, entries)
        self.seen[endpoint.qualname] = Seen(positional, arguments, result, entries[0])
        return result


async def walk_everything(call: Walk, emulator: Emulator) -> None:
    me = await call("users.me")
    groups = await call("avatars.list")
    await call("avatars.get", groups[0].id)
    await call("avatars.looks.list", group_id=groups[0].id, limit=5)
    await call("avatars.looks.get", LOOK_ID)
    photo = await call("avatars.create", type="photo", name="Lina", file=SOURCE)
    look_id = photo.avatar_item.id
    await call("avatars.looks.update", look_id, name="Lina smiling")
    twin = await call("avatars.create", type="digital_twin", name="Me", file=SOURCE)
    await call("avatars.consent", twin.avatar_group.id)
    await call("avatars.looks.delete", look_id)
    await call("avatars.delete", twin.avatar_group.id)

    await call("voices.list", limit=10)
    await call("voices.get", SARA)
    await call("voices.design", prompt="a warm narrator", seed=7)
    clone = await call("voices.clone", audio={"type": "url", "url": AUDIO_URL}, voice_name="Me")
    await call("voices.delete", clone.voice_clone_id)
    await call("voices.speech.create", text="Hello there", voice_id=SARA)

    templates = await call("templates.list")
    await call("templates.get", templates[0].id)
    variables = {"headline": {"name": "headline", "type": "text", "properties": {"content": "Hi"}}}
    await call("templates.generate", templates[0].id, variables=variables, title="From a template")
    created = await call("videos.create", type="avatar", avatar_id=LOOK_ID, script="Hello", voice_id=SARA)
    await call("videos.list", limit=3)
    await call("videos.get", created.video_id)
    await call("videos.statuses", video_ids=created.video_id)
    one = {"type": "avatar", "avatar_id": LOOK_ID, "script": "One", "voice_id": SARA}
    batch = await call("videos.batches.create", videos=[one, {**one, "script": "Two"}], title="Two at once")
    await call("videos.batches.get", batch.batch_id)
    await call("videos.delete", created.video_id)

    await call("video_translations.languages")
    translated = await call("video_translations.create", video=SOURCE, output_languages=["Spanish", "French"])
    first, second = translated.video_translation_ids
    await call("video_translations.list")
    await call("video_translations.get", first)
    await call("video_translations.update", first, title="Spanish cut")
    await call("video_translations.statuses", video_translation_ids=f"{first},{second}")
    source = {"video": SOURCE, "output_languages": ["Spanish"]}
    batch = await call("video_translations.batches.create", video_translations=[source])
    await call("video_translations.batches.get", batch.batch_id)
    await call("video_translations.delete", second)
    proofreads = await call(
        "video_translations.proofreads.create", video=SOURCE, output_languages=["German"], title="Check"
    )
    (proofread_id,) = proofreads.proofread_ids
    await emulator.advance(LONG)
    await call("video_translations.proofreads.get", proofread_id)
    await call("video_translations.proofreads.get_srt", proofread_id)
    srt = {"type": "url", "url": "https://example.com/fixed.srt"}
    await call("video_translations.proofreads.update_srt", proofread_id, srt=srt)
    await call("video_translations.proofreads.generate", proofread_id)

    lipsync = await call("lipsyncs.create", video=SOURCE, audio={"type": "url", "url": AUDIO_URL})
    await call("lipsyncs.list")
    await call("lipsyncs.get", lipsync.lipsync_id)
    await call("lipsyncs.update", lipsync.lipsync_id, title="Dubbed")
    pair = {"video": SOURCE, "audio": {"type": "url", "url": AUDIO_URL}}
    batch = await call("lipsyncs.batches.create", lipsyncs=[pair, pair])
    await call("lipsyncs.batches.get", batch.batch_id)
    await call("lipsyncs.statuses", lipsync_ids=lipsync.lipsync_id)
    await call("lipsyncs.delete", lipsync.lipsync_id)

    styles = await call("video_agents.styles")
    made = await call("video_agents.create", prompt="A 20 second product teaser", style_id=styles[0].style_id)
    chat = await call("video_agents.create", prompt="Let's make a video", mode="chat")
    await call("video_agents.list")
    await emulator.advance(LONG)
    session = await call("video_agents.get", made.session_id)
    (resource_id,) = session.raw["messages"][-1]["resource_ids"]
    await call("video_agents.resource", made.session_id, resource_id)
    await call("video_agents.videos", made.session_id)
    await call("video_agents.send_message", chat.session_id, message="Angela, 30 seconds, upbeat")
    await call("video_agents.stop", chat.session_id)

    uploaded = await call("assets.upload", PNG)
    slot_spec = {"filename": "clip.mp4", "content_type": "video/mp4", "size_bytes": 10}
    slot = await call("assets.direct_uploads.create", **slot_spec)
    await put(slot.upload_url, slot.raw["upload_headers"], b"0" * 10)
    await call("assets.complete", slot.asset_id)
    batch = await call("assets.direct_uploads.create_batch", files=[slot_spec, slot_spec])
    for item in batch.raw["items"]:
        await put(item["upload_url"], item["upload_headers"], b"1" * 10)
    await call("assets.complete_batch", batch_id=batch.batch_id)
    await call("assets.batches.get", batch.batch_id)
    await call("assets.statuses", asset_ids=slot.asset_id)
    await call("assets.list", username=me.username)
    await call("assets.get", uploaded.asset_id)
    await call("assets.delete", uploaded.asset_id)
    await call("assets.search", query="pizza on a table", type="image")
    await call("audio.sounds.list", query="upbeat corporate music")

    removal = await call("background_removals.create", video=SOURCE)
    await call("background_removals.list")
    await call("background_removals.get", removal.id)
    await call("background_removals.delete", removal.id)
    clipping = await call("ai_clipping.create", video=SOURCE)
    await call("ai_clipping.list")
    await call("ai_clipping.get", clipping.id)
    await call("ai_clipping.delete", clipping.id)
    await call("brand_kits.list")
    await call("brand_glossaries.list")

    await call("webhooks.event_types.list")
    endpoint = await call("webhooks.endpoints.create", url="https://example.com/hooks")
    await call("webhooks.endpoints.list")
    await call("webhooks.endpoints.update", endpoint.endpoint_id, events=["avatar_video.success"])
    await call("webhooks.endpoints.rotate_secret", endpoint.endpoint_id)
    await call("webhooks.events.list")
    await call("webhooks.endpoints.delete", endpoint.endpoint_id)


async def put(url: str, headers: Mapping[str, str], content: bytes) -> None:
    async with aiohttp.ClientSession() as session, session.put(url, data=content, headers=headers) as response:
        assert response.status == 200


async def run_walk() -> dict[str, Seen]:
    async with Emulator(clock=ManualClock()) as emulator, emulator.direct_client() as client:
        call = Walk(client, emulator)
        await walk_everything(call, emulator)
        return call.seen


@pytest.fixture(scope="module")
def walked() -> dict[str, Seen]:
    return asyncio.run(run_walk())


def test_the_walk_calls_every_operation(walked: dict[str, Seen]) -> None:
    assert set(walked) == {e.qualname for e in V3_ENDPOINTS}


@pytest.mark.parametrize("endpoint", V3_ENDPOINTS, ids=lambda e: e.qualname)
def test_operation_sends_its_arguments_and_parses_its_answer(walked: dict[str, Seen], endpoint: Endpoint) -> None:
    seen = walked[endpoint.qualname]
    keyword = {k: v for k, v in seen.arguments.items() if v is not None}
    entry = seen.entry
    assert entry["route"] == endpoint.key
    assert entry["mode"] == "direct"
    assert entry["path"] == expected_path(endpoint, seen.positional)
    query = {p.name: shown(keyword[p.name]) for p in endpoint.params if p.location == "query" and p.name in keyword}
    assert entry["query"] == query
    body = {p.name: keyword[p.name] for p in endpoint.params if p.location == "body" and p.name in keyword}
    if any(p.type == "file" for p in endpoint.params):
        assert "body" not in entry  # multipart: the file went as a form part
    else:
        if endpoint.idempotency_field is not None and endpoint.idempotency_field not in body:  # filled in for us
            body[endpoint.idempotency_field] = entry["body"][endpoint.idempotency_field]
        assert entry.get("body", {}) == json_ready(body)
    assert entry.get("idempotency_key") is not None or not endpoint.idempotency_key
    model = getattr(_models, endpoint.result)
    assert isinstance(seen.result, model)
    assert seen.result.raw is not None
    if isinstance(seen.result, hg.ListModel):
        items = seen.result.raw if isinstance(seen.result.raw, list) else seen.result.raw["data"]
        assert len(seen.result) == len(items)
        for item, raw in zip(seen.result, items, strict=True):
            if attrs.has(type(item)):
                fields_match(item, raw)
    else:
        fields_match(seen.result, seen.result.raw)
