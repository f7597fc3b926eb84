"""The emulator stays up and truthful under hostile input and broken receivers (regressions from review)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

import aiohttp
import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, Faults, ManualClock, ScaledClock
from tests.support import ServerFactory

SCENE = {
    "character": {"type": "avatar", "avatar_id": "Angela-inTshirt-20220820"},
    "voice": {"type": "text", "input_text": "Hello", "voice_id": "v"},
}


@pytest.fixture
async def raw() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(raw: aiohttp.ClientSession, emulator: Emulator, path: str, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, (bytes, str)) else None
    json_body = None if data is not None else body
    url = f"{emulator.base_url}{path}?api_token={emulator.token}"
    async with raw.post(url, data=data, json=json_body) as response:
        return response.status, await response.json(content_type=None)


HOSTILE_BODIES: list[Any] = [
    pytest.param("/v1/streaming.start", {"session_id": ["x"]}, id="list-for-id"),
    pytest.param("/v1/streaming.task", {"session_id": {"a": 1}, "text": "hi"}, id="object-for-id"),
    pytest.param("/v2/photo_avatar/train", {"group_id": 5}, id="number-for-id"),
    pytest.param("/v2/photo_avatar/avatar_group/add", {"group_id": "g", "image_keys": "k"}, id="text-for-list"),
    pytest.param("/v2/video_translate", {"video_url": 5, "output_language": "French"}, id="number-for-url"),
    pytest.param("/v2/video_translate", {"video_url": "u", "output_languages": 5}, id="number-for-languages"),
    pytest.param("/v2/video/generate", {"video_inputs": [SCENE], "title": {"x": 1}}, id="object-for-title"),
    pytest.param("/v2/video/generate", {"video_inputs": [SCENE], "callback_url": 5}, id="number-for-callback"),
    pytest.param("/v2/video/generate", {"video_inputs": "scene"}, id="text-for-scenes"),
    pytest.param("/v1/video.webm", {"avatar_pose_id": "a", "input_text": 5, "voice_id": "v"}, id="number-for-text"),
    pytest.param("/v1/folders/create", {"name": 5}, id="number-for-name"),
    pytest.param("/v1/folders/create", {"name": "f", "parent_id": ["p"]}, id="list-for-parent"),
    pytest.param("/v1/folders/create", {"name": "f", "project_type": "music"}, id="unknown-enum"),
    pytest.param("/v1/streaming.new", {"activity_idle_timeout": 1e308}, id="huge-float-for-int"),
    pytest.param("/v2/video/generate", b"[" * 20000, id="deeply-nested"),
    pytest.param("/v2/video/generate", b"[1, 2]", id="array-body"),
    pytest.param("/v2/video/generate", b"{not json", id="not-json"),
]


@pytest.mark.parametrize(("path", "body"), HOSTILE_BODIES)
async def test_hostile_bodies_get_a_heygen_shaped_400_and_change_nothing(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession, path: str, body: Any
) -> None:
    status, answer = await post(raw, heygen_emulator, path, body)
    assert status == 400
    assert answer["data"]["error"]["message"]
    stats = heygen_emulator.stats()
    assert stats["videos_created"] == stats["translations_created"] == stats["sessions_created"] == 0
    assert heygen_emulator.account.folders == {}


async def test_a_path_value_sent_in_the_body_is_not_taken_for_the_path(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession
) -> None:
    status, answer = await post(raw, heygen_emulator, "/v1/folders/folder_id", {"folder_id": "f1", "name": "n"})
    assert status == 400
    assert "folder_id" in answer["data"]["error"]["message"]


async def test_broken_multipart_and_bad_keep_alive_bodies_are_400s(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession
) -> None:
    url = f"{heygen_emulator.base_url}/v1/asset?api_token={heygen_emulator.token}"
    headers = {"Content-Type": "multipart/form-data; boundary=zz"}
    async with raw.post(url, data=b"garbage without parts", headers=headers) as response:
        assert response.status == 400
    for body in (b"[1]", b"null", b'"text"', b"{}"):
        async with raw.post(
            heygen_emulator.url + "/v1/streaming.keep_alive", data=body, headers={"X-Api-Key": "k"}
        ) as response:
            assert response.status == 400


async def test_a_bad_callback_url_is_refused_and_webhooks_keep_flowing(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, serve: ServerFactory
) -> None:
    received: list[Any] = []

    async def hook(request: web.Request) -> web.Response:
        if request.method == "POST":
            received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/heygen/hook", hook)
    hook_url = await serve(app) + "/hook"
    with pytest.raises(hg.BadRequestError):
        await heygen_client.request("POST", "/v2/video/generate", json={"video_inputs": [SCENE], "callback_url": 5})
    endpoint = await heygen_client.webhooks.add_endpoint(hook_url)
    with pytest.raises(hg.BadRequestError):
        await heygen_client.webhooks.update_endpoint(endpoint.endpoint_id or "", url="ftp://nowhere")
    with pytest.raises(hg.BadRequestError):
        await heygen_client.request(
            "PATCH", "/v1/webhook/endpoint.update", json={"endpoint_id": endpoint.endpoint_id, "events": 5}
        )
    await heygen_client.videos.generate([SCENE])
    await asyncio.wait_for(heygen_emulator.advance(60), 20)
    assert [event["event_type"] for event in received] == ["avatar_video.success"]


async def test_an_event_that_fails_does_not_stall_the_render_queue(
    heygen_client: hg.HeyGenClient, heygen_emulator: Emulator
) -> None:
    def broken(*event: Any) -> None:
        raise RuntimeError("a receiver list that cannot be read")

    heygen_emulator.account.on_event = broken
    first = await heygen_client.videos.generate([SCENE])
    queued = [await heygen_client.videos.generate([SCENE]) for _ in range(4)]
    await heygen_emulator.advance(200)
    statuses = {(await heygen_client.videos.status(v.video_id or "")).status for v in [first, *queued]}
    assert statuses == {hg.VideoStatus.COMPLETED}


async def test_a_dead_receiver_does_not_delay_the_others(serve: ServerFactory) -> None:
    arrived: list[float] = []

    async def stuck(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    async def quick(request: web.Request) -> web.Response:
        arrived.append(time.monotonic())
        return web.Response()

    app = web.Application()
    app.router.add_route("OPTIONS", "/heygen/{name}", probe)
    app.router.add_post("/heygen/stuck", stuck)
    app.router.add_post("/heygen/quick", quick)
    base = await serve(app)
    config = EmulatorConfig(webhook_timeout=0.5, webhook_attempts=1)
    async with Emulator(config, clock=ManualClock()) as emulator, emulator.client() as client:
        await client.webhooks.add_endpoint(base + "/stuck")
        await client.webhooks.add_endpoint(base + "/quick")
        await client.videos.generate([hg.VideoInput(**SCENE)])
        started = time.monotonic()
        await emulator.advance(60)
        assert time.monotonic() - started < 10
    assert len(arrived) == 1
    assert arrived[0] - started < 0.5


async def probe(request: web.Request) -> web.Response:
    return web.Response()


async def test_a_scaled_clock_wakes_for_a_job_sooner_than_it_planned() -> None:
    config = EmulatorConfig(pending_seconds=0, render_seconds=20)
    async with Emulator(config, clock=ScaledClock(1000)) as emulator, emulator.client() as client:
        await asyncio.sleep(0.3)  # the ticker is now asleep with nothing due
        job = await client.videos.generate([hg.VideoInput(**SCENE)])
        started = time.monotonic()
        while (await client.videos.status(job.video_id or "")).status is not hg.VideoStatus.COMPLETED:
            assert time.monotonic() - started < 5
            await asyncio.sleep(0.01)
        # 20 emulated seconds at 1000x is 20 ms; a ticker that slept its full idle period would take far longer
        assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("wrapper", "shape"),
    [
        ("data", lambda body: body["data"]["error"]["code"]),
        ("result", lambda body: body["error"].get("code") or body["error"]["error"]["code"]),  # HeyGen's body inside
    ],
)
async def test_fault_answers_use_the_chosen_gateway_shape(
    raw: aiohttp.ClientSession, wrapper: Literal["data", "result"], shape: Any
) -> None:
    async with Emulator(EmulatorConfig(wrapper=wrapper), clock=ManualClock()) as emulator:
        for kind, status in (("503", 503), ("429", 429)):
            emulator.inject(kind)
            url = f"{emulator.base_url}/v2/avatars?api_token={emulator.token}"
            async with raw.get(url) as response:
                body = await response.json()
                assert response.status == status
                assert shape(body) in (status, "rate_limit_exceeded")
                if kind == "429":
                    in_header = response.headers.get("Retry-After")
                    in_body = body.get("headers", {}).get("retry-after") if wrapper == "result" else None
                    assert (in_header, in_body) == (("1", None) if wrapper == "data" else (None, "1"))


async def test_keep_alive_and_route_misses_are_logged_without_tokens(
    heygen_emulator: Emulator, raw: aiohttp.ClientSession
) -> None:
    async with raw.post(f"{heygen_emulator.url}/v1/streaming.keep_alive?api_token=at_SECRET", json={}) as response:
        assert response.status == 401
    async with raw.get(f"{heygen_emulator.base_url}/v9/nothing?api_token=at_SECRET2") as response:
        assert response.status == 404
    log = repr(heygen_emulator.request_log)
    assert "at_SECRET" not in log
    assert heygen_emulator.stats()["requests_by_route"]["route miss [gateway]"] == 1


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="concurrent_renders"):
        EmulatorConfig(concurrent_renders=0)
    with pytest.raises(ValueError, match="webhook_attempts"):
        EmulatorConfig(webhook_attempts=0)
    with pytest.raises(ValueError, match="render_seconds"):
        EmulatorConfig(render_seconds=float("nan"))
    with pytest.raises(ValueError, match="retry_after"):
        Faults(retry_after=float("inf"))
    with pytest.raises(ValueError, match="max_latency"):
        Faults(max_latency=-1)
    with pytest.raises(ValueError, match="unknown endpoints"):
        Faults(rate=0.5, endpoints=frozenset({"video.generate"}))


async def test_inject_and_advance_refuse_what_cannot_work(heygen_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown endpoint"):
        heygen_emulator.inject("500", endpoint="video.generate")
    for seconds in (float("nan"), -1, float("inf")):
        with pytest.raises(ValueError, match="finite"):
            await heygen_emulator.advance(seconds)
    assert heygen_emulator.clock.now() == 0


async def test_reset_restores_the_starting_faults(heygen_client: hg.HeyGenClient) -> None:
    async with Emulator(clock=ManualClock(), faults=Faults(rate=0.0)) as emulator, emulator.client() as client:
        emulator.set_faults(Faults(rate=1.0, kinds={"500": 1.0}))
        emulator.inject("503")
        emulator.reset()
        assert len(await client.avatars.list()) == 3
        assert emulator.stats()["faults"] == {}


async def test_envelopes_and_codes_follow_heygen(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, raw: aiohttp.ClientSession
) -> None:
    direct = {"X-Api-Key": "k"}
    async with raw.get(heygen_emulator.url + "/v1/video_status.get?video_id=missing", headers=direct) as response:
        assert (await response.json())["code"] == 40031  # v1: numeric codes
    async with raw.get(heygen_emulator.url + "/v2/video_translate/missing", headers=direct) as response:
        assert (await response.json())["error"]["code"] == "not_found"  # v2: string codes
    folder = await heygen_client.folders.create("f")
    async with raw.post(heygen_emulator.url + f"/v1/folders/{folder.id}/restore", headers=direct) as response:
        body = await response.json()
    assert body["error"] is None  # restore answers in the v2 envelope, as HeyGen documents
    assert body["data"]["id"] == folder.id


async def test_video_list_uses_its_own_status_set_and_gifs_get_their_event(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, serve: ServerFactory
) -> None:
    events: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        if request.method == "POST":
            events.append((await request.json())["event_type"])
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/heygen/hook", hook)
    await heygen_client.webhooks.add_endpoint(await serve(app) + "/hook")
    template = (await heygen_client.templates.list())[0].template_id or ""
    await heygen_client.templates.generate(
        template, {"headline": hg.TextVariable(name="headline", content="Hi")}, include_gif=True
    )
    assert {v.status for v in await heygen_client.videos.list()} <= {hg.VideoStatus.PROCESSING}
    await heygen_emulator.advance(60)
    assert events == ["avatar_video.success", "avatar_video_gif.success"]
