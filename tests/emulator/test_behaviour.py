"""The emulator's own behaviour: its state machines, limits, idle timeout, webhooks, gateway and introspection.

Everything is driven through the real client (raw aiohttp only where the client would refuse to send the
request, or to see the exact bytes on the wire), on a :class:`ManualClock` so every step is deterministic;
one smoke test lets a :class:`ScaledClock` move the jobs on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal, TypeVar

import aiohttp
import anyio
import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import heygen_async as hg
from heygen_async._spec._table import ENDPOINTS_BY_NAME
from heygen_async.emulator import OLD_FORMAT_ONLY, Emulator, EmulatorConfig, ManualClock, ScaledClock

T = TypeVar("T")
Wrapper = Literal["data", "result"]

DEFAULTS = EmulatorConfig()
PENDING = DEFAULTS.pending_seconds
RENDER = DEFAULTS.render_seconds
RENDERED = PENDING + RENDER  # a render's whole life when it does not queue
TRANSLATED = DEFAULTS.pending_seconds + DEFAULTS.translation_seconds
AVATAR_ID = "Angela-inTshirt-20220820"
VOICE_ID = "1bd001e7e50f421d891986aad5158bc8"
NO_RETRY = hg.RetryPolicy(attempts=1)
GATEWAY_401 = "A valid API token is required to access this API."


# -- helpers ---------------------------------------------------------------------------------------------------


def present(value: T | None) -> T:
    """``value``, asserting the emulator sent it."""
    assert value is not None
    return value


def scene(text: str = "Hello from the emulator.") -> hg.VideoInput:
    return hg.VideoInput(
        character=hg.AvatarCharacter(avatar_id=AVATAR_ID), voice=hg.TextVoice(input_text=text, voice_id=VOICE_ID)
    )


@asynccontextmanager
async def emulated(config: EmulatorConfig | None = None) -> AsyncIterator[tuple[Emulator, hg.HeyGenClient]]:
    """An emulator with ``config`` on a manual clock, and a gateway client that does not retry."""
    async with Emulator(config, clock=ManualClock()) as emulator, emulator.client(retry=NO_RETRY) as client:
        yield emulator, client


async def render(client: hg.HeyGenClient, text: str = "Hello from the emulator.", **options: Any) -> str:
    """Submit a one-scene render; its video id."""
    return present((await client.videos.generate([scene(text)], **options)).video_id)


async def video_statuses(client: hg.HeyGenClient, video_ids: Sequence[str]) -> list[str]:
    return [str((await client.videos.status(video_id)).status) for video_id in video_ids]


async def open_session(client: hg.HeyGenClient, **options: Any) -> str:
    """A started (connected) streaming session's id."""
    session_id = present((await client.streaming.new(**options)).session_id)
    await client.streaming.start(session_id)
    return session_id


async def open_session_ids(client: hg.HeyGenClient) -> list[str]:
    return [present(s.session_id) for s in await client.streaming.list_sessions()]


async def generated_photos(client: hg.HeyGenClient, emulator: Emulator) -> tuple[str, list[str]]:
    """A finished photo generation: its id and image keys."""
    job = await client.photo_avatars.generate_photos(
        name="Lina",
        age="Young Adult",
        gender="Woman",
        ethnicity="East Asian",
        orientation="square",
        pose="half_body",
        style="Realistic",
        appearance="A friendly presenter in a bright studio",
    )
    generation_id = present(job.generation_id)
    await emulator.advance(DEFAULTS.generation_seconds)
    return generation_id, (await client.photo_avatars.generation_status(generation_id)).image_key_list


async def photo_group(client: hg.HeyGenClient, emulator: Emulator) -> hg.PhotoAvatar:
    """A photo avatar group made from a generated photo; its first look."""
    generation_id, keys = await generated_photos(client, emulator)
    return await client.photo_avatars.create_group("Lina", keys[0], generation_id=generation_id)


def signed_by(secret: str | None, hit: Hit) -> bool:
    """Whether ``hit`` carries the hex HMAC-SHA256 of its raw body keyed with ``secret``."""
    expected = hmac.new(present(secret).encode(), hit.body, hashlib.sha256).hexdigest()
    return hit.signature is not None and hmac.compare_digest(hit.signature, expected)


async def raw(
    method: str, url: str, *, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One request with plain aiohttp: ``(status, decoded JSON body)``."""
    async with aiohttp.ClientSession() as http, http.request(method, url, params=params, headers=headers) as answer:
        return answer.status, await answer.json(content_type=None)


async def fetch_status(url: str, method: str = "GET", *, params: dict[str, str] | None = None) -> int:
    """The HTTP status of one plain request (whatever its body)."""
    async with aiohttp.ClientSession() as http, http.request(method, url, params=params) as answer:
        await answer.read()
        return answer.status


# -- a webhook receiver ------------------------------------------------------------------------------------------


@attrs.frozen
class Hit:
    """One webhook POST as the receiver got it."""

    name: str
    signature: str | None
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Webhook URLs on 127.0.0.1: ``/hook/{name}`` answers the OPTIONS probe and records POSTs (answering 500
    while ``failures[name]`` lasts); ``/slow`` answers OPTIONS only when the test ends; anything else is 404."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.probes: list[str] = []
        self.failures: dict[str, int] = {}
        self.release = asyncio.Event()
        self.arrived = asyncio.Event()
        self.server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("OPTIONS", "/hook/{name}", self._probe)
        app.router.add_post("/hook/{name}", self._deliver)
        app.router.add_route("OPTIONS", "/slow", self._slow_probe)
        return app

    async def _probe(self, request: web.Request) -> web.Response:
        self.probes.append(request.match_info["name"])
        return web.Response()

    async def _slow_probe(self, request: web.Request) -> web.Response:
        await self.release.wait()
        return web.Response()

    async def _deliver(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.hits.append(Hit(name, request.headers.get("Signature"), await request.read()))
        self.arrived.set()
        if self.failures.get(name, 0) > 0:
            self.failures[name] -= 1
            return web.Response(status=500)
        return web.Response()

    def url(self, path: str) -> str:
        return str(present(self.server).make_url(path))

    def to(self, name: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.name == name]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hooks = Receiver()
    server = TestServer(hooks.app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    hooks.server = server
    yield hooks
    hooks.release.set()
    await server.close()


# -- videos -------------------------------------------------------------------------------------------------------


async def test_render_goes_pending_processing_completed_with_urls(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """A render is pending, then processing, then completed with its media URLs."""
    video_id = await render(heygen_client)
    assert await video_statuses(heygen_client, [video_id]) == ["pending"]
    await heygen_emulator.advance(PENDING)
    processing = await heygen_client.videos.status(video_id)
    assert processing.status is hg.VideoStatus.PROCESSING
    assert processing.video_url is None
    await heygen_emulator.advance(RENDER - 1)
    assert await video_statuses(heygen_client, [video_id]) == ["processing"]
    await heygen_emulator.advance(1)
    video = await heygen_client.videos.status(video_id)
    assert video.status is hg.VideoStatus.COMPLETED
    assert video.id == video_id
    assert video.error is None
    assert present(video.duration) > 0
    for url in (video.video_url, video.thumbnail_url, video.gif_url):
        assert present(url).startswith(heygen_emulator.url + "/media/")


async def test_failure_marker_fails_the_render_with_heygens_error_shape_saying_it_is_emulated(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """'#fail' in a scene's text makes the render fail with HeyGen's error object (code 40119), in words that
    say it is the emulator's marker, not a real problem with the video or the plan."""
    video_id = await render(heygen_client, "This one will not render #fail")
    await heygen_emulator.advance(RENDERED)
    video = await heygen_client.videos.status(video_id)
    assert video.status is hg.VideoStatus.FAILED
    assert video.video_url is None
    error = present(video.error)
    assert error.code == 40119
    assert error.message == "Emulated failure: the script contains the emulator's #fail marker"
    assert present(error.detail).startswith(error.message)
    assert "upgrade" not in present(error.detail).lower()
    assert heygen_emulator.stats()["videos_failed"] == 1


async def test_concurrent_render_limit_queues_the_rest() -> None:
    """With a plan limit of 2 renders, 5 jobs leave 'waiting' two at a time and all complete in turn."""
    async with emulated(EmulatorConfig(concurrent_renders=2)) as (emulator, client):
        ids = [await render(client) for _ in range(5)]
        assert await video_statuses(client, ids) == ["pending"] * 2 + ["waiting"] * 3
        stats = emulator.stats()
        assert (stats["videos_created"], stats["videos_rendering"], stats["videos_queued"]) == (5, 2, 3)

        await emulator.advance(PENDING)
        assert await video_statuses(client, ids) == ["processing"] * 2 + ["waiting"] * 3

        await emulator.advance(RENDER)  # the first two finish; their slots go to the next two
        assert await video_statuses(client, ids) == ["completed"] * 2 + ["pending"] * 2 + ["waiting"]
        stats = emulator.stats()
        assert (stats["videos_completed"], stats["videos_rendering"], stats["videos_queued"]) == (2, 2, 1)

        await emulator.advance(RENDERED)
        assert await video_statuses(client, ids) == ["completed"] * 4 + ["pending"]
        await emulator.advance(RENDERED)
        assert await video_statuses(client, ids) == ["completed"] * 5
        stats = emulator.stats()
        assert (stats["videos_completed"], stats["videos_rendering"], stats["videos_queued"]) == (5, 0, 0)


async def test_queued_renders_keep_their_pace_over_one_long_advance() -> None:
    """A queued render starts when a slot frees in emulated time, however far one advance() jumps."""
    async with emulated(EmulatorConfig(concurrent_renders=1)) as (emulator, client):
        ids = [await render(client) for _ in range(3)]
        await emulator.advance(3 * RENDERED)
        assert await video_statuses(client, ids) == ["completed"] * 3


async def test_media_urls_expire_and_a_status_call_refreshes_them() -> None:
    """Past url_ttl the old URL answers 403; a fresh status call hands out a new URL that works."""
    async with emulated(EmulatorConfig(url_ttl=60)) as (emulator, client):
        video_id = await render(client)
        await emulator.advance(RENDERED)
        old_url = present((await client.videos.status(video_id)).video_url)
        assert await fetch_status(old_url) == 200

        await emulator.advance(61)
        assert await fetch_status(old_url) == 403
        new_url = present((await client.videos.status(video_id)).video_url)
        assert new_url != old_url
        assert await fetch_status(new_url) == 200


async def test_media_url_with_a_forged_signature_is_refused(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """A media URL whose expiry was pushed out by hand no longer matches its signature: 403."""
    video_id = await render(heygen_client)
    await heygen_emulator.advance(RENDERED)
    url = present((await heygen_client.videos.status(video_id)).video_url)
    forged = re.sub(r"Expires=(\d+)", lambda m: f"Expires={int(m.group(1)) + 3600}", url)
    assert forged != url
    assert await fetch_status(forged) == 403


async def test_delete_removes_the_video(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """A deleted video is gone from status and from the list."""
    kept, deleted = await render(heygen_client), await render(heygen_client)
    await heygen_client.videos.delete(deleted)
    with pytest.raises(hg.NotFoundError):
        await heygen_client.videos.status(deleted)
    assert [v.video_id for v in await heygen_client.videos.list()] == [kept]


async def test_deleting_a_rendering_video_frees_its_slot() -> None:
    """With one render slot, deleting the video that holds it starts the next queued one."""
    async with emulated(EmulatorConfig(concurrent_renders=1)) as (emulator, client):
        first, second = await render(client), await render(client)
        assert await video_statuses(client, [second]) == ["waiting"]
        await client.videos.delete(first)
        assert await video_statuses(client, [second]) == ["pending"]
        await emulator.advance(RENDERED)
        assert await video_statuses(client, [second]) == ["completed"]


async def test_video_list_paginates_with_a_token(heygen_client: hg.HeyGenClient) -> None:
    """list(limit=2) walks 5 videos in 3 pages through ``token``; iter_all() yields them all once."""
    ids = {await render(heygen_client) for _ in range(5)}
    first = await heygen_client.videos.list(limit=2)
    second = await heygen_client.videos.list(limit=2, token=present(first.token))
    last = await heygen_client.videos.list(limit=2, token=present(second.token))
    assert [len(page) for page in (first, second, last)] == [2, 2, 1]
    assert last.token is None
    assert {v.video_id for page in (first, second, last) for v in page} == ids
    assert sorted([present(v.video_id) async for v in heygen_client.videos.iter_all(limit=2)]) == sorted(ids)


async def test_each_render_is_charged_to_the_quota(heygen_client: hg.HeyGenClient) -> None:
    """Renders are billed in 30-second increments of speech: a short one 30 s, a 36 s one 60 s."""
    before = present((await heygen_client.user.remaining_quota()).remaining_quota)
    await render(heygen_client, "Short.")
    assert (await heygen_client.user.remaining_quota()).remaining_quota == before - 30
    await render(heygen_client, "x" * 600)  # 600 characters: 36 s of speech
    assert (await heygen_client.user.remaining_quota()).remaining_quota == before - 90


async def test_a_render_beyond_the_quota_is_refused_and_creates_nothing() -> None:
    """Without quota left, generate raises InsufficientCreditError and no video is created."""
    async with emulated(EmulatorConfig(initial_quota=30)) as (emulator, client):
        await render(client)
        with pytest.raises(hg.InsufficientCreditError) as caught:
            await render(client)
        assert caught.value.status_code == 402
        assert emulator.stats()["videos_created"] == 1
        assert (await client.user.remaining_quota()).remaining_quota == 0


# -- translations -------------------------------------------------------------------------------------------------


async def test_translation_goes_pending_running_success(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """A translation is pending, then running, then success with a URL."""
    job = await heygen_client.translations.create("https://example.com/talk.mp4", output_language="French")
    translation_id = present(job.video_translate_id)
    assert (await heygen_client.translations.status(translation_id)).status is hg.TranslationStatus.PENDING
    await heygen_emulator.advance(PENDING)
    assert (await heygen_client.translations.status(translation_id)).status is hg.TranslationStatus.RUNNING
    await heygen_emulator.advance(DEFAULTS.translation_seconds)
    done = await heygen_client.translations.status(translation_id)
    assert done.status is hg.TranslationStatus.SUCCESS
    assert done.output_language == "French"
    assert present(done.url).startswith(heygen_emulator.url + "/media/translation/")


async def test_translation_failure_marker_fails_it(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """'#fail' in the video_url makes the translation fail, with a message and no URL."""
    job = await heygen_client.translations.create("https://example.com/talk.mp4#fail", output_language="Spanish")
    await heygen_emulator.advance(TRANSLATED)
    failed = await heygen_client.translations.status(present(job.video_translate_id))
    assert failed.status is hg.TranslationStatus.FAILED
    assert present(failed.message).startswith("Emulated failure: the video_url contains the emulator's #fail marker")
    assert failed.url is None


async def test_batch_translation_makes_one_job_per_language(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """output_languages gives one translation id per language, each finishing on its own."""
    job = await heygen_client.translations.create(
        "https://example.com/talk.mp4", output_languages=["Spanish", "French", "German"]
    )
    ids = present(job.video_translate_ids)
    assert len(set(ids)) == 3
    await heygen_emulator.advance(TRANSLATED)
    done = [await heygen_client.translations.status(i) for i in ids]
    assert [t.output_language for t in done] == ["Spanish", "French", "German"]
    assert {t.status for t in done} == {hg.TranslationStatus.SUCCESS}


# -- photo avatars ------------------------------------------------------------------------------------------------


async def test_photo_generation_goes_in_progress_then_success_with_image_keys(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """generate_photos starts a generation that succeeds after generation_seconds with image keys and URLs."""
    job = await heygen_client.photo_avatars.generate_photos(
        name="Lina",
        age="Young Adult",
        gender="Woman",
        ethnicity="East Asian",
        orientation="square",
        pose="half_body",
        style="Realistic",
        appearance="A friendly presenter",
    )
    generation_id = present(job.generation_id)
    running = await heygen_client.photo_avatars.generation_status(generation_id)
    assert running.status is hg.GenerationStatus.IN_PROGRESS
    assert running.image_key_list == []
    await heygen_emulator.advance(DEFAULTS.generation_seconds)
    done = await heygen_client.photo_avatars.generation_status(generation_id)
    assert done.status is hg.GenerationStatus.SUCCESS
    assert len(done.image_key_list) == len(done.image_url_list) == 4
    assert all(key.startswith("image/") for key in done.image_key_list)


async def test_create_group_from_a_generated_key_then_add_looks(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """create_group takes a generated image key; add_looks adds more looks to that group."""
    generation_id, keys = await generated_photos(heygen_client, heygen_emulator)
    first = await heygen_client.photo_avatars.create_group("Lina", keys[0], generation_id=generation_id)
    group_id = present(first.group_id)
    assert first.status is hg.PhotoAvatarStatus.PENDING
    added = await heygen_client.photo_avatars.add_looks(group_id, keys[1:3], generation_id=generation_id)
    assert len(added) == 2
    assert {look.group_id for look in added} == {group_id}
    members = await heygen_client.avatar_groups.list_avatars(group_id)
    assert [m.id for m in members] == [first.id, added[0].id, added[1].id]
    await heygen_emulator.advance(DEFAULTS.generation_seconds)
    members = await heygen_client.avatar_groups.list_avatars(group_id)
    assert {m.status for m in members} == {hg.PhotoAvatarStatus.COMPLETED}


async def test_create_group_refuses_a_key_from_another_generation(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """An image key that the named generation did not produce is refused."""
    generation_id, _ = await generated_photos(heygen_client, heygen_emulator)
    with pytest.raises(hg.BadRequestError):
        await heygen_client.photo_avatars.create_group("Lina", "image/unknown/original", generation_id=generation_id)
    assert heygen_emulator.account.groups == {}


async def test_training_goes_pending_then_ready(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """train() makes training_status pending until training_seconds have passed, then ready."""
    group_id = present((await photo_group(heygen_client, heygen_emulator)).group_id)
    with pytest.raises(hg.BadRequestError):
        await heygen_client.photo_avatars.training_status(group_id)  # not trained yet
    await heygen_client.photo_avatars.train(group_id)
    assert (await heygen_client.photo_avatars.training_status(group_id)).status is hg.TrainingStatus.PENDING
    await heygen_emulator.advance(DEFAULTS.training_seconds - 1)
    assert (await heygen_client.photo_avatars.training_status(group_id)).status is hg.TrainingStatus.PENDING
    await heygen_emulator.advance(1)
    assert (await heygen_client.photo_avatars.training_status(group_id)).status is hg.TrainingStatus.READY


async def test_generate_looks_needs_a_trained_group(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """generate_looks is refused before training and starts a generation once the group is ready."""
    group_id = present((await photo_group(heygen_client, heygen_emulator)).group_id)
    looks = heygen_client.photo_avatars.generate_looks
    with pytest.raises(hg.BadRequestError):
        await looks(group_id, "in a navy suit", orientation="square", pose="close_up", style="Realistic")
    await heygen_client.photo_avatars.train(group_id)
    await heygen_emulator.advance(DEFAULTS.training_seconds)
    job = await looks(group_id, "in a navy suit", orientation="square", pose="close_up", style="Realistic")
    await heygen_emulator.advance(DEFAULTS.generation_seconds)
    done = await heygen_client.photo_avatars.generation_status(present(job.generation_id))
    assert done.status is hg.GenerationStatus.SUCCESS


async def test_add_motion_makes_a_new_photo_avatar(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """add_motion returns a new photo avatar with motion, pending until motion_seconds have passed."""
    look = await photo_group(heygen_client, heygen_emulator)
    moving_id = present((await heygen_client.photo_avatars.add_motion(present(look.id))).id)
    assert moving_id != look.id
    moving = await heygen_client.photo_avatars.get(moving_id)
    assert moving.status is hg.PhotoAvatarStatus.PENDING
    assert moving.is_motion is True
    assert moving.group_id == look.group_id
    assert present(moving.upscale_availability).available is True
    await heygen_emulator.advance(DEFAULTS.motion_seconds)
    assert (await heygen_client.photo_avatars.get(moving_id)).status is hg.PhotoAvatarStatus.COMPLETED


async def test_upscale_makes_a_new_photo_avatar_from_one_with_motion(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """upscale of an avatar with motion returns a new upscaled one, pending then completed."""
    look = await photo_group(heygen_client, heygen_emulator)
    moving_id = present((await heygen_client.photo_avatars.add_motion(present(look.id))).id)
    upscaled_id = present((await heygen_client.photo_avatars.upscale(moving_id)).id)
    assert upscaled_id not in (look.id, moving_id)
    upscaled = await heygen_client.photo_avatars.get(upscaled_id)
    assert upscaled.status is hg.PhotoAvatarStatus.PENDING
    assert upscaled.upscaled is True
    await heygen_emulator.advance(DEFAULTS.motion_seconds)
    assert (await heygen_client.photo_avatars.get(upscaled_id)).status is hg.PhotoAvatarStatus.COMPLETED


async def test_upscale_is_refused_without_motion(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """A photo avatar without motion says it cannot be upscaled, and upscale() is refused."""
    look = await photo_group(heygen_client, heygen_emulator)
    assert present(look.upscale_availability).available is False
    with pytest.raises(hg.BadRequestError):
        await heygen_client.photo_avatars.upscale(present(look.id))
    assert len(heygen_emulator.account.photo_avatars) == 1


# -- streaming ----------------------------------------------------------------------------------------------------


async def test_session_goes_new_then_connected(heygen_client: hg.HeyGenClient) -> None:
    """streaming.new makes a 'new' session; start() connects it."""
    info = await heygen_client.streaming.new(quality="low")
    session_id = present(info.session_id)
    assert info.access_token
    assert [s.status for s in await heygen_client.streaming.list_sessions()] == [hg.SessionStatus.NEW]
    await heygen_client.streaming.start(session_id)
    assert [s.status for s in await heygen_client.streaming.list_sessions()] == [hg.SessionStatus.CONNECTED]


async def test_task_returns_task_id_and_duration(heygen_client: hg.HeyGenClient) -> None:
    """A task answers with a task_id and how long the avatar speaks; longer text, longer speech."""
    session_id = await open_session(heygen_client)
    short = await heygen_client.streaming.task(session_id, "Hello there")
    long = await heygen_client.streaming.task(session_id, "Hello there, and welcome to the quarterly update.")
    assert short.task_id
    assert long.task_id
    assert short.task_id != long.task_id
    assert 0 < present(short.duration_ms) < present(long.duration_ms)


async def test_task_before_start_is_refused(heygen_client: hg.HeyGenClient) -> None:
    """A session that was created but not started cannot speak yet."""
    session_id = present((await heygen_client.streaming.new()).session_id)
    with pytest.raises(hg.BadRequestError):
        await heygen_client.streaming.task(session_id, "Too early")


async def test_interrupt_is_acknowledged(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """interrupt() stops the avatar mid-sentence and leaves the session open."""
    session_id = await open_session(heygen_client)
    await heygen_client.streaming.task(session_id, "A long sentence the avatar will not finish " * 5)
    session = heygen_emulator.account.sessions[session_id]
    assert session.speaking_until > heygen_emulator.clock.now()
    ack = await heygen_client.streaming.interrupt(session_id)
    assert ack.raw == {"status": "success"}
    assert session.speaking_until == heygen_emulator.clock.now()
    assert await open_session_ids(heygen_client) == [session_id]


async def test_stop_closes_and_list_sessions_shows_only_open_ones(heygen_client: hg.HeyGenClient) -> None:
    """After stop(), list_sessions shows only the sessions still open."""
    stopped = await open_session(heygen_client)
    kept = await open_session(heygen_client)
    await heygen_client.streaming.stop(stopped)
    assert await open_session_ids(heygen_client) == [kept]
    await heygen_client.streaming.stop(stopped)  # stopping twice is harmless


async def test_session_limit_refuses_with_a_typed_error() -> None:
    """Past max_sessions open sessions, streaming.new raises BadRequestError; stopping one frees a place."""
    async with emulated(EmulatorConfig(max_sessions=2)) as (emulator, client):
        first = await open_session(client)
        await open_session(client)
        with pytest.raises(hg.BadRequestError) as caught:
            await client.streaming.new()
        assert caught.value.status_code == 400
        assert caught.value.code == 10007
        assert emulator.stats()["sessions_open"] == 2
        await client.streaming.stop(first)
        assert await client.streaming.new()


async def test_an_idle_closed_session_frees_its_place() -> None:
    """A session closed by the idle timeout no longer counts against max_sessions."""
    async with emulated(EmulatorConfig(max_sessions=1)) as (emulator, client):
        await open_session(client)
        with pytest.raises(hg.BadRequestError):
            await client.streaming.new()
        await emulator.advance(DEFAULTS.idle_timeout)
        assert await client.streaming.new()


async def test_idle_timeout_closes_a_session_after_120_seconds(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """Without activity a session closes after HeyGen's default 120 s, not before."""
    session_id = await open_session(heygen_client)
    await heygen_emulator.advance(119)
    assert await open_session_ids(heygen_client) == [session_id]
    await heygen_emulator.advance(1)
    assert await open_session_ids(heygen_client) == []
    assert heygen_emulator.account.sessions[session_id].closed_reason == "idle"


async def test_activity_idle_timeout_is_honoured(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """activity_idle_timeout=30 closes an idle session after 30 s."""
    session_id = await open_session(heygen_client, activity_idle_timeout=30)
    await heygen_emulator.advance(29)
    assert await open_session_ids(heygen_client) == [session_id]
    await heygen_emulator.advance(1)
    assert await open_session_ids(heygen_client) == []


async def test_a_task_resets_the_idle_timer(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """A task at 100 s keeps the session open until 220 s."""
    session_id = await open_session(heygen_client)
    await heygen_emulator.advance(100)
    await heygen_client.streaming.task(session_id, "Still here")
    await heygen_emulator.advance(119)
    assert await open_session_ids(heygen_client) == [session_id]
    await heygen_emulator.advance(1)
    assert await open_session_ids(heygen_client) == []


async def test_direct_keep_alive_resets_the_idle_timer(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """POST /v1/streaming.keep_alive (direct, X-Api-Key) at 100 s keeps the session open until 220 s."""
    session_id = await open_session(heygen_client)
    await heygen_emulator.advance(100)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            heygen_emulator.url + "/v1/streaming.keep_alive",
            json={"session_id": session_id},
            headers={"X-Api-Key": heygen_emulator.api_key},
        ) as answer,
    ):
        assert answer.status == 200
        assert await answer.json() == {"code": 100, "data": {"status": "success"}, "message": "Success"}
    await heygen_emulator.advance(119)
    assert await open_session_ids(heygen_client) == [session_id]
    await heygen_emulator.advance(1)
    assert await open_session_ids(heygen_client) == []


async def test_keep_alive_through_a_direct_clients_request(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """client.request() on a direct client reaches keep_alive, which resets the idle timer."""
    session_id = await open_session(heygen_client)
    await heygen_emulator.advance(100)
    async with heygen_emulator.direct_client(retry=NO_RETRY) as direct:
        data = await direct.request("POST", "/v1/streaming.keep_alive", json={"session_id": session_id})
    assert data == {"status": "success"}
    await heygen_emulator.advance(119)
    assert await open_session_ids(heygen_client) == [session_id]
    assert heygen_emulator.stats()["requests_by_route"]["POST /v1/streaming.keep_alive [direct new]"] == 1
    assert heygen_emulator.request_log[-2]["endpoint"] == "streaming.keep_alive"


async def test_keep_alive_needs_an_api_key(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """keep_alive without X-Api-Key answers 401 and does not touch the session."""
    session_id = await open_session(heygen_client)
    await heygen_emulator.advance(100)
    async with (
        aiohttp.ClientSession() as http,
        http.post(heygen_emulator.url + "/v1/streaming.keep_alive", json={"session_id": session_id}) as answer,
    ):
        assert answer.status == 401
    await heygen_emulator.advance(20)
    assert await open_session_ids(heygen_client) == []


async def test_a_session_closes_at_its_duration_limit_despite_activity(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """A session kept busy is still closed once session_duration_limit (600 s) has passed."""
    session_id = await open_session(heygen_client)
    for _ in range(5):
        await heygen_emulator.advance(100)
        await heygen_client.streaming.task(session_id, "Still here")
    await heygen_emulator.advance(99)
    assert await open_session_ids(heygen_client) == [session_id]
    await heygen_emulator.advance(1)
    assert await open_session_ids(heygen_client) == []
    assert heygen_emulator.account.sessions[session_id].closed_reason == "duration"


async def test_a_closed_session_refuses_tasks(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """Tasks to a stopped or timed-out session raise BadRequestError."""
    stopped = await open_session(heygen_client)
    idle = await open_session(heygen_client)
    await heygen_client.streaming.stop(stopped)
    await heygen_emulator.advance(DEFAULTS.idle_timeout)
    for session_id in (stopped, idle):
        with pytest.raises(hg.BadRequestError) as caught:
            await heygen_client.streaming.task(session_id, "Anyone there?")
        assert caught.value.code == 10006


# -- webhooks -----------------------------------------------------------------------------------------------------


async def test_add_endpoint_probes_with_options_and_registers(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """A URL answering the OPTIONS probe with 200 is registered, with a whsec_ secret."""
    endpoint = await heygen_client.webhooks.add_endpoint(receiver.url("/hook/main"))
    assert receiver.probes == ["main"]
    assert present(endpoint.secret).startswith("whsec_")
    assert endpoint.url == receiver.url("/hook/main")
    assert [e.endpoint_id for e in await heygen_client.webhooks.list_endpoints()] == [endpoint.endpoint_id]


@pytest.mark.parametrize("path", ["/missing", "/slow"], ids=["probe-answers-404", "probe-times-out"])
async def test_add_endpoint_refuses_a_url_failing_the_probe(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient, path: str
) -> None:
    """A URL answering OPTIONS with 404, or not within 1 s, gets BadRequestError and nothing is registered."""
    with pytest.raises(hg.BadRequestError) as caught:
        await heygen_client.webhooks.add_endpoint(receiver.url(path))
    assert "OPTIONS" in str(caught.value.error_message)
    assert len(await heygen_client.webhooks.list_endpoints()) == 0
    assert heygen_emulator.account.endpoints == {}


async def test_add_endpoint_refuses_unknown_events(receiver: Receiver, heygen_client: hg.HeyGenClient) -> None:
    """Events that HeyGen does not send are refused."""
    with pytest.raises(hg.BadRequestError):
        await heygen_client.webhooks.add_endpoint(receiver.url("/hook/main"), events=["avatar_video.done"])
    assert len(await heygen_client.webhooks.list_endpoints()) == 0


async def test_completed_render_is_delivered_signed(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """avatar_video.success arrives as {event_type, event_data}, signed with the endpoint's secret."""
    endpoint = await heygen_client.webhooks.add_endpoint(receiver.url("/hook/main"))
    video_id = await render(heygen_client, callback_id="order-7")
    await heygen_emulator.advance(RENDERED)
    [hit] = receiver.hits
    assert signed_by(endpoint.secret, hit)
    payload = hit.json()
    assert set(payload) == {"event_type", "event_data"}
    assert payload["event_type"] == "avatar_video.success"
    assert payload["event_data"]["video_id"] == video_id
    assert payload["event_data"]["callback_id"] == "order-7"
    assert await fetch_status(payload["event_data"]["url"]) == 200


async def test_failed_render_is_delivered_signed(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """avatar_video.fail arrives signed, with the video id and HeyGen's message."""
    endpoint = await heygen_client.webhooks.add_endpoint(receiver.url("/hook/main"))
    video_id = await render(heygen_client, "Doomed #fail")
    await heygen_emulator.advance(RENDERED)
    [hit] = receiver.hits
    assert signed_by(endpoint.secret, hit)
    assert hit.json()["event_type"] == "avatar_video.fail"
    assert hit.json()["event_data"]["video_id"] == video_id
    assert hit.json()["event_data"]["msg"]


async def test_translation_results_are_delivered_signed(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """video_translate.success and video_translate.fail arrive signed, naming the translation."""
    endpoint = await heygen_client.webhooks.add_endpoint(receiver.url("/hook/main"))
    good = await heygen_client.translations.create("https://example.com/a.mp4", output_language="French")
    bad = await heygen_client.translations.create("https://example.com/b.mp4#fail", output_language="French")
    await heygen_emulator.advance(TRANSLATED)
    assert all(signed_by(endpoint.secret, hit) for hit in receiver.hits)
    events = {hit.json()["event_type"]: hit.json()["event_data"] for hit in receiver.hits}
    assert set(events) == {"video_translate.success", "video_translate.fail"}
    assert events["video_translate.success"]["video_translate_id"] == good.video_translate_id
    assert events["video_translate.success"]["url"]
    assert events["video_translate.fail"]["video_translate_id"] == bad.video_translate_id
    assert events["video_translate.fail"]["message"]


async def test_deliveries_honour_the_events_filter(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """An endpoint subscribed to avatar_video.fail gets only failures; one without a list gets everything."""
    await heygen_client.webhooks.add_endpoint(receiver.url("/hook/failures"), events=["avatar_video.fail"])
    await heygen_client.webhooks.add_endpoint(receiver.url("/hook/all"))
    await render(heygen_client)
    await render(heygen_client, "Doomed #fail")
    await heygen_emulator.advance(RENDERED)
    assert [hit.json()["event_type"] for hit in receiver.to("failures")] == ["avatar_video.fail"]
    assert sorted(hit.json()["event_type"] for hit in receiver.to("all")) == [
        "avatar_video.fail",
        "avatar_video.success",
    ]


async def test_deliveries_honour_the_entity_id(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """An endpoint registered for one video's id hears about that video only."""
    watched = await render(heygen_client)
    await heygen_client.webhooks.add_endpoint(receiver.url("/hook/one"), entity_id=watched)
    await render(heygen_client)
    await heygen_emulator.advance(RENDERED)
    assert [hit.json()["event_data"]["video_id"] for hit in receiver.to("one")] == [watched]


async def test_callback_url_gets_the_event_unsigned(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """A video's callback_url gets the same event as registered endpoints, without a Signature."""
    endpoint = await heygen_client.webhooks.add_endpoint(receiver.url("/hook/registered"))
    await render(heygen_client, callback_url=receiver.url("/hook/callback"))
    await heygen_emulator.advance(RENDERED)
    [registered] = receiver.to("registered")
    [callback] = receiver.to("callback")
    assert signed_by(endpoint.secret, registered)
    assert callback.signature is None
    assert callback.body == registered.body


async def test_a_failing_receiver_is_retried(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """A receiver answering 500 twice gets the event a third time, and the delivery counts 3 attempts."""
    receiver.failures["flaky"] = 2
    await heygen_client.webhooks.add_endpoint(receiver.url("/hook/flaky"))
    await render(heygen_client)
    await heygen_emulator.advance(RENDERED)
    assert len(receiver.to("flaky")) == 3
    assert len({hit.body for hit in receiver.hits}) == 1
    [delivery] = heygen_emulator.deliveries
    assert (delivery.attempts, delivery.status, delivery.delivered) == (3, 200, True)


async def test_a_receiver_that_keeps_failing_is_given_up() -> None:
    """After webhook_attempts answers of 500 the delivery is abandoned, marked undelivered."""
    hooks = Receiver()
    server = TestServer(hooks.app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    hooks.server = server
    hooks.failures["down"] = 99
    try:
        async with emulated(EmulatorConfig(webhook_attempts=2)) as (emulator, client):
            await client.webhooks.add_endpoint(hooks.url("/hook/down"))
            await render(client)
            await emulator.advance(RENDERED)
            [delivery] = emulator.deliveries
            assert (delivery.attempts, delivery.status, delivery.delivered) == (2, 500, False)
            assert emulator.stats()["webhooks_delivered"] == 0
        assert len(hooks.to("down")) == 2
    finally:
        await server.close()


async def test_update_endpoint_changes_url_and_events(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """update_endpoint moves an endpoint to a new URL and event list; deliveries follow."""
    endpoint = await heygen_client.webhooks.add_endpoint(receiver.url("/hook/before"))
    endpoint_id = present(endpoint.endpoint_id)
    updated = await heygen_client.webhooks.update_endpoint(
        endpoint_id, url=receiver.url("/hook/after"), events=["avatar_video.fail"]
    )
    assert (updated.url, updated.events) == (receiver.url("/hook/after"), ["avatar_video.fail"])
    assert updated.secret == endpoint.secret
    [listed] = await heygen_client.webhooks.list_endpoints()
    assert (listed.url, listed.events) == (updated.url, updated.events)
    await render(heygen_client)
    await render(heygen_client, "Doomed #fail")
    await heygen_emulator.advance(RENDERED)
    assert receiver.to("before") == []
    assert [hit.json()["event_type"] for hit in receiver.to("after")] == ["avatar_video.fail"]


async def test_delete_endpoint_stops_deliveries(
    receiver: Receiver, heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """A deleted endpoint is no longer listed and gets nothing."""
    endpoint = await heygen_client.webhooks.add_endpoint(receiver.url("/hook/gone"))
    await heygen_client.webhooks.delete_endpoint(present(endpoint.endpoint_id))
    assert len(await heygen_client.webhooks.list_endpoints()) == 0
    await render(heygen_client)
    await heygen_emulator.advance(RENDERED)
    assert receiver.hits == []
    assert heygen_emulator.deliveries == []


# -- the gateway --------------------------------------------------------------------------------------------------

GATEWAY_401_BODIES: dict[Wrapper, Any] = {
    "data": {"data": {"error": {"message": GATEWAY_401, "code": 401}}},
    "result": {"message": GATEWAY_401, "provider": "heygen", "error": {}, "headers": {}},
}


@pytest.mark.parametrize("wrapper", ["data", "result"])
@pytest.mark.parametrize("token", [None, ""], ids=["no-token", "empty-token"])
async def test_a_missing_token_gets_the_gateways_401(wrapper: Wrapper, token: str | None) -> None:
    """Without an api_token the gateway answers 401 with its own body, in either wrapper."""
    async with emulated(EmulatorConfig(wrapper=wrapper)) as (emulator, _):
        params = None if token is None else {"api_token": token}
        status, body = await raw("GET", emulator.base_url + "/v1/user/me", params=params)
    assert status == 401
    assert body == GATEWAY_401_BODIES[wrapper]


@pytest.mark.parametrize("wrapper", ["data", "result"])
async def test_a_token_without_the_at_prefix_raises_authentication_error(wrapper: Wrapper) -> None:
    """A token not starting with at_ gets the gateway's 401; the client raises AuthenticationError."""
    async with emulated(EmulatorConfig(wrapper=wrapper)) as (emulator, _):
        status, body = await raw("GET", emulator.base_url + "/v1/user/me", params={"api_token": "lc_0123456789"})
        assert (status, body) == (401, GATEWAY_401_BODIES[wrapper])
        async with hg.HeyGenClient("lc_0123456789", base_url=emulator.base_url, retry=NO_RETRY) as client:
            with pytest.raises(hg.AuthenticationError) as caught:
                await client.user.me()
    assert caught.value.status_code == 401
    assert caught.value.error_message == GATEWAY_401


async def test_only_the_configured_tokens_are_accepted() -> None:
    """With api_tokens set, another at_ token is refused."""
    async with emulated(EmulatorConfig(api_tokens=frozenset({"at_the-only-one"}))) as (emulator, _):
        async with hg.HeyGenClient("at_the-only-one", base_url=emulator.base_url) as allowed:
            assert (await allowed.user.me()).username
        async with hg.HeyGenClient("at_another-one", base_url=emulator.base_url, retry=NO_RETRY) as refused:
            with pytest.raises(hg.AuthenticationError):
                await refused.user.me()


def _placeholders(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


@pytest.mark.parametrize("name", sorted(OLD_FORMAT_ONLY))
async def test_old_format_only_endpoints_answer_404_to_the_new_format(heygen_emulator: Emulator, name: str) -> None:
    """The new path format gets the gateway's own 404 (no provider); the old format reaches the endpoint."""
    endpoint = ENDPOINTS_BY_NAME[name]
    token = {"api_token": heygen_emulator.token}
    new_url = heygen_emulator.base_url + _placeholders(endpoint.path, "abc")
    status, body = await raw(endpoint.http_method, new_url, params=token)
    assert status == 404
    assert "provider" not in body
    assert body["message"].startswith(f"Cannot {endpoint.http_method}")
    old_query = {**token, **dict.fromkeys(endpoint.route.path_params, "abc")}
    await raw(endpoint.http_method, heygen_emulator.base_url + endpoint.route.old_path, params=old_query)
    assert heygen_emulator.stats()["requests_by_route"] == {
        "route miss [gateway]": 1,
        f"{endpoint.key} [gateway old]": 1,
    }


async def test_path_style_new_gets_not_found_for_an_old_format_only_endpoint(heygen_emulator: Emulator) -> None:
    """A client pinned to the new format cannot reach an old-format-only endpoint: NotFoundError."""
    async with heygen_emulator.client(path_style="new", retry=NO_RETRY) as client:
        template_id = present((await client.templates.list())[0].template_id)
        with pytest.raises(hg.NotFoundError):
            await client.templates.get(template_id)
    assert "templates.get" in OLD_FORMAT_ONLY


async def test_path_style_auto_falls_back_to_old_and_remembers(heygen_emulator: Emulator) -> None:
    """'auto' falls back to the old format on the gateway's 404 and remembers 'old' for that route."""
    async with heygen_emulator.client(path_style="auto", retry=NO_RETRY) as client:
        template_id = present((await client.templates.list())[0].template_id)
        assert (await client.templates.get(template_id)).variables
        assert client.path_style_memory.export() == {ENDPOINTS_BY_NAME["templates.get"].key: "old"}
        await client.templates.get(template_id)
    assert [entry["format"] for entry in heygen_emulator.request_log if entry["endpoint"] == "templates.get"] == [
        "old",
        "old",
    ]


async def test_the_data_wrapper_on_the_wire(heygen_emulator: Emulator) -> None:
    """wrapper='data' (the default): {"data": <HeyGen's envelope>}."""
    status, body = await raw(
        "GET", heygen_emulator.base_url + "/v1/user/me", params={"api_token": heygen_emulator.token}
    )
    assert status == 200
    assert set(body) == {"data"}
    assert body["data"]["code"] == 100
    assert body["data"]["data"]["username"] == "emulated-user"


async def test_the_result_wrapper_on_the_wire() -> None:
    """wrapper='result': the open-source gateway's {message, provider, result, response_headers}, read by the client."""
    async with emulated(EmulatorConfig(wrapper="result")) as (emulator, client):
        status, body = await raw("GET", emulator.base_url + "/v1/user/me", params={"api_token": emulator.token})
        assert (await client.user.me()).username == "emulated-user"
    assert status == 200
    assert set(body) == {"message", "provider", "result", "response_headers"}
    assert body["provider"] == "heygen"
    assert body["result"]["code"] == 100
    assert body["result"]["data"]["username"] == "emulated-user"


async def test_direct_mode_needs_an_api_key(heygen_emulator: Emulator) -> None:
    """Direct mode answers 401 without X-Api-Key."""
    status, body = await raw("GET", heygen_emulator.url + "/v1/user/me")
    assert status == 401
    assert body["code"] == 40009


async def test_direct_mode_answers_without_a_gateway_wrapper(heygen_emulator: Emulator) -> None:
    """Direct mode answers HeyGen's bare v1 and v2 envelopes; the direct client reads them."""
    key = {"X-Api-Key": heygen_emulator.api_key}
    status, v1 = await raw("GET", heygen_emulator.url + "/v1/user/me", headers=key)
    assert status == 200
    assert v1 == {"code": 100, "data": v1["data"], "message": "Success"}
    assert v1["data"]["username"] == "emulated-user"
    status, v2 = await raw("GET", heygen_emulator.url + "/v2/user/remaining_quota", headers=key)
    assert status == 200
    assert set(v2) == {"error", "data"}
    assert v2["error"] is None
    async with heygen_emulator.direct_client() as direct:
        assert (await direct.user.me()).username == "emulated-user"


async def test_direct_mode_refuses_a_wrong_key() -> None:
    """With api_keys set, a direct client with another key raises AuthenticationError."""
    async with (
        emulated(EmulatorConfig(api_keys=frozenset({"the-key"}))) as (emulator, _),
        hg.HeyGenClient.direct("another-key", base_url=emulator.url, upload_url=emulator.url, retry=NO_RETRY) as direct,
    ):
        with pytest.raises(hg.AuthenticationError):
            await direct.user.me()


# -- introspection --------------------------------------------------------------------------------------------


async def test_counters_count_requests_videos_and_sessions(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """stats() counts requests by route and mode, videos created and sessions open."""
    await heygen_client.user.me()
    await heygen_client.user.me()
    await render(heygen_client)
    session_id = await open_session(heygen_client)
    stats = heygen_emulator.stats()
    assert stats["requests_by_route"]["GET /v1/user/me [gateway new]"] == 2
    assert stats["requests_by_route"]["POST /v2/video/generate [gateway new]"] == 1
    assert stats["requests"] == 5
    assert (stats["videos_created"], stats["sessions_open"]) == (1, 1)
    await heygen_client.streaming.stop(session_id)
    assert heygen_emulator.stats()["sessions_open"] == 0


async def test_a_folder_is_created_without_a_name(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """HeyGen documents ``name`` as optional: neither the client nor the emulator refuses a create without it."""
    parent = await heygen_client.folders.create("Campaigns")
    unnamed = await heygen_client.folders.create(parent_id=parent.id)
    assert unnamed.id is not None
    assert unnamed.id != parent.id
    assert unnamed.parent_id == parent.id
    assert unnamed.name == "test"  # the default LowCodeAPI's definition names
    assert [entry["status"] for entry in heygen_emulator.request_log] == [200, 200]


async def test_request_log_redacts_the_token(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """The request log shows api_token as *** and never the token itself, refused tokens included."""
    await heygen_client.user.me()
    async with hg.HeyGenClient("lc_refused-secret-token", base_url=heygen_emulator.base_url, retry=NO_RETRY) as bad:
        with pytest.raises(hg.AuthenticationError):
            await bad.user.me()
    log = heygen_emulator.request_log
    assert [(entry["endpoint"], entry["status"]) for entry in log] == [("user.me", 200), ("user.me", 401)]
    assert all(entry["query"]["api_token"] == "***" for entry in log)
    _, over_http = await raw("GET", heygen_emulator.url + "/_emulator/log")
    for dumped in (json.dumps(log), json.dumps(over_http)):
        assert heygen_emulator.token not in dumped
        assert "refused-secret-token" not in dumped


async def test_reset_clears_state(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """reset() forgets videos, sessions, counters and the request log."""
    video_id = await render(heygen_client)
    await open_session(heygen_client)
    heygen_emulator.reset()
    stats = heygen_emulator.stats()
    assert (stats["requests"], stats["videos_created"], stats["sessions_open"]) == (0, 0, 0)
    assert heygen_emulator.request_log == []
    with pytest.raises(hg.NotFoundError):
        await heygen_client.videos.status(video_id)
    assert len(await heygen_client.streaming.list_sessions()) == 0


async def test_control_api_stats(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """GET /_emulator/stats answers the counters as JSON."""
    await render(heygen_client)
    status, stats = await raw("GET", heygen_emulator.url + "/_emulator/stats")
    assert status == 200
    assert stats["videos_created"] == 1
    assert stats["requests_by_route"] == {"POST /v2/video/generate [gateway new]": 1}


async def test_control_api_advance_moves_a_manual_clock(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """POST /_emulator/advance?seconds=N moves the manual clock and runs what fell due."""
    video_id = await render(heygen_client)
    status, body = await raw("POST", heygen_emulator.url + "/_emulator/advance", params={"seconds": str(RENDERED)})
    assert (status, body) == (200, {"clock": RENDERED})
    assert heygen_emulator.clock.now() == RENDERED
    assert await video_statuses(heygen_client, [video_id]) == ["completed"]


async def test_control_api_reset(heygen_emulator: Emulator, heygen_client: hg.HeyGenClient) -> None:
    """POST /_emulator/reset clears the emulator's state."""
    video_id = await render(heygen_client)
    status, body = await raw("POST", heygen_emulator.url + "/_emulator/reset")
    assert (status, body) == (200, {"reset": True})
    assert heygen_emulator.stats()["videos_created"] == 0
    with pytest.raises(hg.NotFoundError):
        await heygen_client.videos.status(video_id)


@pytest.mark.parametrize("seconds", ["-5", "soon"])
async def test_control_api_advance_refuses_bad_seconds(heygen_emulator: Emulator, seconds: str) -> None:
    """A negative or non-numeric ``seconds`` is the caller's mistake (400), and the clock stays put."""
    status = await fetch_status(heygen_emulator.url + "/_emulator/advance", "POST", params={"seconds": seconds})
    assert heygen_emulator.clock.now() == 0
    assert status == 400


async def test_control_api_log_answers_the_last_entries(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """GET /_emulator/log?limit=N answers the last N logged requests."""
    await heygen_client.user.me()
    await heygen_client.voices.list()
    status, entries = await raw("GET", heygen_emulator.url + "/_emulator/log", params={"limit": "1"})
    assert status == 200
    assert [entry["endpoint"] for entry in entries] == ["voices.list"]


async def test_control_api_log_limit_zero_answers_nothing(
    heygen_emulator: Emulator, heygen_client: hg.HeyGenClient
) -> None:
    """GET /_emulator/log?limit=0 answers no entries."""
    await heygen_client.user.me()
    _, entries = await raw("GET", heygen_emulator.url + "/_emulator/log", params={"limit": "0"})
    assert entries == []


async def test_control_api_advance_refuses_a_scaled_clock() -> None:
    """Only a manual clock can be advanced over HTTP: a scaled one answers 409."""
    async with Emulator(clock=ScaledClock(1)) as emulator:
        status, _ = await raw("POST", emulator.url + "/_emulator/advance", params={"seconds": "10"})
        with pytest.raises(TypeError):
            await emulator.advance(10)
    assert status == 409


# -- a scaled clock -----------------------------------------------------------------------------------------------


async def test_a_scaled_clock_finishes_a_render_and_delivers_its_webhook(receiver: Receiver) -> None:
    """With ScaledClock(30) a 3.5 s render finishes on its own in real time and its webhook arrives."""
    config = EmulatorConfig(render_seconds=3, pending_seconds=0.5)
    async with Emulator(config, clock=ScaledClock(30)) as emulator, emulator.client(retry=NO_RETRY) as client:
        endpoint = await client.webhooks.add_endpoint(receiver.url("/hook/scaled"))
        video_id = await render(client)
        with anyio.fail_after(10):  # generous: the render takes about 0.12 real seconds
            while True:
                if (await client.videos.status(video_id)).status is hg.VideoStatus.COMPLETED:
                    break
                await asyncio.sleep(0.05)
            await receiver.arrived.wait()
    [hit] = receiver.hits
    assert signed_by(endpoint.secret, hit)
    assert hit.json()["event_type"] == "avatar_video.success"
    assert hit.json()["event_data"]["video_id"] == video_id
