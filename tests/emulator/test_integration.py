"""The client against the emulator: every one of the 48 endpoints, in every path style and in direct mode.

One scenario walks the whole API the way an application would (create, then follow and use what was
created, moving the emulator's clock on so jobs finish). The emulator's own counters then prove that every
endpoint was reached, and in which path format.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async._spec._table import ENDPOINTS
from heygen_async._transport._urls import PathStyle
from heygen_async.emulator import OLD_FORMAT_ONLY, Emulator, EmulatorConfig, ManualClock
from tests.support import ServerFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FAST = hg.RetryPolicy(attempts=2, wait_initial=0, wait_jitter=0)


async def receiver(serve: ServerFactory) -> tuple[str, list[dict[str, Any]]]:
    """A webhook receiver on 127.0.0.1 that answers HeyGen's OPTIONS probe and records deliveries."""
    received: list[dict[str, Any]] = []

    async def probe(request: web.Request) -> web.Response:
        return web.Response()

    async def deliver(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_route("OPTIONS", "/heygen/hook", probe)
    app.router.add_post("/heygen/hook", deliver)
    return await serve(app) + "/hook", received


async def walk_the_whole_api(client: hg.HeyGenClient, emulator: Emulator, hook_url: str, tmp: Path) -> None:
    """Call all 48 endpoints, each with real inputs from earlier answers."""
    # Account, catalogues
    assert (await client.user.me()).username
    assert (await client.user.remaining_quota()).credits == 600
    avatars = await client.avatars.list()
    voices = await client.voices.list()
    assert avatars.talking_photos
    await client.avatar_groups.list(include_public=True)
    assert len(await client.streaming.list_avatars()) >= 1
    assert "French" in await client.translations.target_languages()
    assert len([v async for v in client.brand_voices.iter_all(limit=2)]) == 5
    assert "avatar_video.success" in await client.webhooks.list_events()

    # Webhooks
    endpoint = await client.webhooks.add_endpoint(hook_url, events=["avatar_video.success"])
    assert endpoint.secret
    assert endpoint.secret.startswith("whsec_")
    await client.webhooks.update_endpoint(
        endpoint.endpoint_id or "", events=["avatar_video.success", "avatar_video.fail"]
    )
    assert [e.endpoint_id for e in await client.webhooks.list_endpoints()] == [endpoint.endpoint_id]

    # Folders and assets
    folder = await client.folders.create("Campaign", project_type="video")
    await client.folders.rename(folder.id or "", "Campaign Q3")
    await client.folders.trash(folder.id or "")
    assert [f.name for f in await client.folders.list(is_trash=True)] == ["Campaign Q3"]
    await client.folders.restore(folder.id or "")
    image = tmp / "portrait.png"
    image.write_bytes(PNG)
    asset = await client.assets.upload(image)
    assert asset.image_key

    # Videos: a render, a WebM, one from a template
    scene = hg.VideoInput(
        character=hg.AvatarCharacter(avatar_id=avatars[0].avatar_id or ""),
        voice=hg.TextVoice(input_text="Welcome to the quarterly update.", voice_id=voices[0].voice_id or ""),
        background=hg.ColorBackground("#FAFAFA"),
    )
    job = await client.videos.generate([scene], dimension=hg.Dimension(1280, 720), folder_id=folder.id)
    webm = await client.videos.generate_webm(avatars[0].avatar_id or "", input_text="Hi!", voice_id="v")
    template = (await client.templates.list())[0]
    details = await client.templates.get(template.template_id or "")
    assert "headline" in details.variables
    from_template = await client.templates.generate(
        template.template_id or "", {"headline": hg.TextVariable(name="headline", content="New product")}
    )
    await emulator.advance(60)
    video = await client.videos.status(job.video_id or "")
    assert video.status is hg.VideoStatus.COMPLETED
    assert video.video_url
    listed = [v.video_id async for v in client.videos.iter_all(limit=2)]
    assert {job.video_id, webm.video_id, from_template.video_id} <= set(listed)
    await client.videos.delete(webm.video_id or "")

    # Translation
    translation = await client.translations.create("https://example.com/talk.mp4", output_language="French")
    await emulator.advance(120)
    assert (
        await client.translations.status(translation.video_translate_id or "")
    ).status is hg.TranslationStatus.SUCCESS

    # Photo avatars: generate photos, make a group, add looks, train, generate looks, motion, sound, upscale
    generation = await client.photo_avatars.generate_photos(
        name="Lina",
        age="Young Adult",
        gender="Woman",
        ethnicity="East Asian",
        orientation="square",
        pose="half_body",
        style="Realistic",
        appearance="A friendly presenter in a bright studio",
    )
    await emulator.advance(30)
    photos = await client.photo_avatars.generation_status(generation.generation_id or "")
    assert photos.status is hg.GenerationStatus.SUCCESS
    look = await client.photo_avatars.create_group(
        "Lina", photos.image_key_list[0], generation_id=generation.generation_id
    )
    group_id = look.group_id or ""
    await client.photo_avatars.add_looks(group_id, [asset.image_key or ""], name="Lina (upload)")
    await client.photo_avatars.train(group_id)
    await emulator.advance(90)
    assert (await client.photo_avatars.training_status(group_id)).status is hg.TrainingStatus.READY
    looks = await client.photo_avatars.generate_looks(
        group_id, "in a navy suit", orientation="square", pose="close_up", style="Realistic"
    )
    assert looks.generation_id
    members = await client.avatar_groups.list_avatars(group_id)
    assert len(members) == 2
    moving = await client.photo_avatars.add_motion(members[0].id or "")
    await client.photo_avatars.add_sound_effect(members[0].id or "")
    await emulator.advance(30)
    assert (await client.photo_avatars.get(moving.id or "")).is_motion
    upscaled = await client.photo_avatars.upscale(moving.id or "")
    assert upscaled.id

    # Streaming
    token = await client.streaming.create_token()
    assert token.token
    session = await client.streaming.new(quality="low", avatar_id="Wayne_20240711", activity_idle_timeout=300)
    await client.streaming.start(session.session_id or "")
    task = await client.streaming.task(session.session_id or "", "Hello from the emulator!", task_type="repeat")
    assert task.duration_ms
    await client.streaming.interrupt(session.session_id or "")
    assert [s.session_id for s in await client.streaming.list_sessions()] == [session.session_id]
    await client.streaming.stop(session.session_id or "")
    assert len(await client.streaming.list_sessions()) == 0

    await client.webhooks.delete_endpoint(endpoint.endpoint_id or "")


def reached(emulator: Emulator) -> dict[str, set[str]]:
    """Endpoint key -> the ``mode format`` labels it was reached with."""
    seen: dict[str, set[str]] = {}
    for key in emulator.stats()["requests_by_route"]:
        route, _, label = key.rpartition(" [")
        seen.setdefault(route, set()).add(label.rstrip("]"))
    return seen


Expect = Callable[[Any], str]
SCENARIOS: list[Any] = [
    pytest.param(
        EmulatorConfig(), "old", lambda e: "gateway old" if e.route.path_params else "gateway new", id="old-format"
    ),
    pytest.param(
        EmulatorConfig(old_format_only=frozenset()), "new", lambda e: "gateway new", id="new-format-everywhere"
    ),
    pytest.param(
        EmulatorConfig(),
        "auto",
        lambda e: "gateway old" if e.qualname in OLD_FORMAT_ONLY else "gateway new",
        id="auto-falls-back-where-needed",
    ),
    pytest.param(
        EmulatorConfig(wrapper="result"),
        "auto",
        lambda e: "gateway old" if e.qualname in OLD_FORMAT_ONLY else "gateway new",
        id="auto-open-source-wrapper",
    ),
]


@pytest.mark.parametrize(("config", "style", "expect"), SCENARIOS)
async def test_every_endpoint_through_the_gateway(
    serve: ServerFactory, tmp_path: Path, config: EmulatorConfig, style: PathStyle, expect: Expect
) -> None:
    hook_url, received = await receiver(serve)
    async with (
        Emulator(config, clock=ManualClock()) as emulator,
        emulator.client(path_style=style, retry=FAST) as client,
    ):
        await walk_the_whole_api(client, emulator, hook_url, tmp_path)
        if style == "auto":
            assert client.path_style_memory.export() == {
                e.key: ("old" if e.qualname in OLD_FORMAT_ONLY else "new") for e in ENDPOINTS if e.route.path_params
            }
    seen = reached(emulator)
    missing = [e.qualname for e in ENDPOINTS if expect(e) not in seen.get(e.key, set())]
    assert missing == []
    assert any(event["event_type"] == "avatar_video.success" for event in received)
    # The only 404s are gateway route misses: auto's one new-format try per old-format-only endpoint.
    stats = emulator.stats()
    misses = stats["requests_by_route"].get("route miss [gateway]", 0)
    assert misses == (len(OLD_FORMAT_ONLY) if style == "auto" else 0)
    assert stats["statuses"] == {"200": stats["requests"] - misses, **({"404": misses} if misses else {})}


async def test_every_endpoint_directly(serve: ServerFactory, tmp_path: Path) -> None:
    hook_url, _ = await receiver(serve)
    async with Emulator(clock=ManualClock()) as emulator, emulator.direct_client(retry=FAST) as client:
        await walk_the_whole_api(client, emulator, hook_url, tmp_path)
    seen = reached(emulator)
    assert [e.qualname for e in ENDPOINTS if "direct new" not in seen.get(e.key, set())] == []
    assert not any(label.startswith("gateway") for labels in seen.values() for label in labels)
    assert set(emulator.stats()["statuses"]) == {"200"}


def test_every_table_row_has_a_handler() -> None:
    from heygen_async.emulator._handlers import HANDLERS

    assert set(HANDLERS) == {e.qualname for e in ENDPOINTS}
