"""client.webhooks.register/ensure/find/remove on the emulator; bad input refused before anything is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.emulator import Emulator
from tests.support import fast_client, serving


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with serving("aiohttp-route") as start:
        yield await start(webhooks.WebhookReceiver())


@pytest.fixture
async def client(heygen_emulator: Emulator) -> AsyncIterator[hg.HeyGenClient]:
    async with fast_client(heygen_emulator) as client:
        yield client


async def test_register_returns_the_secret_and_subscribes_to_the_events(client: hg.HeyGenClient, url: str) -> None:
    endpoint = await client.webhooks.register(url, [webhooks.AvatarVideoSuccess, "video_translate.fail"])
    assert endpoint.secret
    assert endpoint.secret not in repr(endpoint)
    assert endpoint.url == url
    assert endpoint.events == ["avatar_video.success", "video_translate.fail"]
    found = await client.webhooks.find(url)
    assert found is not None
    assert found.endpoint_id == endpoint.endpoint_id


async def test_ensure_creates_once_and_returns_the_same_endpoint_after(
    client: hg.HeyGenClient, url: str, heygen_emulator: Emulator
) -> None:
    first = await client.webhooks.ensure(url, ["avatar_video.success"])
    adds = _count(heygen_emulator, "webhooks.add_endpoint")
    second = await client.webhooks.ensure(url, ["avatar_video.success"])
    assert second.endpoint_id == first.endpoint_id
    assert second.secret == first.secret
    assert _count(heygen_emulator, "webhooks.add_endpoint") == adds == 1
    assert len(await client.webhooks.list_endpoints()) == 1


async def test_concurrent_ensures_of_one_url_create_one_endpoint(
    client: hg.HeyGenClient, url: str, heygen_emulator: Emulator
) -> None:
    endpoints = await asyncio.gather(*(client.webhooks.ensure(url) for _ in range(10)))
    assert len({endpoint.endpoint_id for endpoint in endpoints}) == 1
    assert _count(heygen_emulator, "webhooks.add_endpoint") == 1


async def test_ensure_brings_the_events_in_line_and_keeps_the_secret(client: hg.HeyGenClient, url: str) -> None:
    first = await client.webhooks.ensure(url, ["avatar_video.success"])
    changed = await client.webhooks.ensure(url, ["avatar_video.success", "avatar_video.fail"])
    assert changed.endpoint_id == first.endpoint_id
    assert changed.secret == first.secret
    assert changed.events == ["avatar_video.success", "avatar_video.fail"]
    listed = await client.webhooks.find(url)
    assert listed is not None
    assert set(listed.events or ()) == {"avatar_video.success", "avatar_video.fail"}
    everything = await client.webhooks.ensure(url, None)
    assert everything.events is None


async def test_remove_deletes_every_endpoint_for_the_url(client: hg.HeyGenClient, url: str) -> None:
    await client.webhooks.register(url)
    await client.webhooks.register(url, ["avatar_video.fail"])
    assert await client.webhooks.remove(url) == 2
    assert await client.webhooks.find(url) is None
    assert await client.webhooks.remove(url) == 0


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda c: c.webhooks.register("ftp://example.com/hook"), "url"),
        (lambda c: c.webhooks.register("/relative/hook"), "url"),
        (lambda c: c.webhooks.register(""), "url"),
        (lambda c: c.webhooks.register(None), "url"),
        (lambda c: c.webhooks.register("https://example.com/h", ["avatar_video.sucess"]), "events[0]"),
        (lambda c: c.webhooks.register("https://example.com/h", "avatar_video.success"), "events"),
        (lambda c: c.webhooks.register("https://example.com/h", []), "events"),
        (lambda c: c.webhooks.register("https://example.com/h", [3]), "events[0]"),
        (lambda c: c.webhooks.register("https://example.com/h", [webhooks.UnknownEvent]), "events[0]"),
        (lambda c: c.webhooks.ensure("https://example.com/h", ["nope"]), "events[0]"),
        (lambda c: c.webhooks.find("not a url"), "url"),
        (lambda c: c.webhooks.remove(42), "url"),
    ],
)
async def test_bad_input_is_refused_by_name_before_anything_is_sent(
    client: hg.HeyGenClient, heygen_emulator: Emulator, call: Any, parameter: str
) -> None:
    before = len(heygen_emulator.request_log)
    with pytest.raises(hg.ValidationError) as caught:
        await call(client)
    assert caught.value.parameter == parameter
    assert len(heygen_emulator.request_log) == before


async def test_an_unknown_event_can_be_allowed_explicitly_and_the_api_decides(
    client: hg.HeyGenClient, url: str, heygen_emulator: Emulator
) -> None:
    """Allowed, the name is sent as given; this account (the emulator) does not offer it, and says so."""
    with pytest.raises(hg.BadRequestError, match=r"brand_new\.event"):
        await client.webhooks.register(url, ["avatar_video.success", "brand_new.event"], allow_unknown_events=True)
    assert _count(heygen_emulator, "webhooks.add_endpoint") == 1


def _count(emulator: Emulator, endpoint: str) -> int:
    return sum(1 for entry in emulator.request_log if entry["endpoint"] == endpoint)
