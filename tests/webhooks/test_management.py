"""client.webhooks.register/ensure/find/remove on the emulator: ensure(None) subscribes to everything, an
events-only change is not probed again, one URL spelt two ways is one endpoint; bad input (a malformed URL, an
entity id of the wrong type) refused before anything is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.emulator import Emulator
from heygen_async.webhooks._management import _same_url
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


async def test_ensure_none_after_a_list_really_subscribes_to_everything(client: hg.HeyGenClient, url: str) -> None:
    await client.webhooks.ensure(url, ["avatar_video.success"])
    returned = await client.webhooks.ensure(url, None)
    listed = await client.webhooks.find(url)
    assert listed is not None
    assert returned.events is None
    assert listed.events is None


async def test_an_events_only_change_does_not_make_heygen_probe_the_url_again(
    client: hg.HeyGenClient, heygen_emulator: Emulator
) -> None:
    receiver = webhooks.WebhookReceiver()
    async with serving("aiohttp-route") as start:
        url = await start(receiver)
        await client.webhooks.ensure(url, ["avatar_video.success"])
        assert receiver.stats.probes == 1
        changed = await client.webhooks.ensure(url, ["avatar_video.fail"])
    assert changed.events == ["avatar_video.fail"]
    assert receiver.stats.probes == 1  # the URL was not sent again, so HeyGen had nothing to probe


async def test_concurrent_ensures_of_one_url_spelt_two_ways_create_one_endpoint(
    client: hg.HeyGenClient, url: str
) -> None:
    other = url.replace("/webhooks/heygen", "/webhooks/%68eygen")
    assert _same_url(url, other)
    await asyncio.gather(client.webhooks.ensure(url), client.webhooks.ensure(other))
    assert len(await client.webhooks.list_endpoints()) == 1


@pytest.mark.parametrize(
    "bad", ["http://exa mple.com/hook", "http://example.com/ho\tok", "http://example.com:99999/hook"]
)
async def test_a_malformed_url_is_refused_before_anything_is_sent(
    client: hg.HeyGenClient, heygen_emulator: Emulator, bad: str
) -> None:
    before = len(heygen_emulator.request_log)
    with pytest.raises(hg.ValidationError):
        await client.webhooks.register(bad)
    assert len(heygen_emulator.request_log) == before


def test_same_url_treats_default_ports_and_case_as_the_same() -> None:
    assert _same_url("https://example.com:443/hook", "https://example.com/hook")
    assert _same_url("HTTPS://Example.COM/hook", "https://example.com/hook")
    assert not _same_url("https://example.com/Hook", "https://example.com/hook")
    assert not _same_url("https://example.com:8443/hook", "https://example.com/hook")


async def test_entity_id_of_the_wrong_type_is_refused_before_anything_is_sent(
    client: hg.HeyGenClient, heygen_emulator: Emulator, url: str
) -> None:
    before = len(heygen_emulator.request_log)
    with pytest.raises(hg.ValidationError):
        await client.webhooks.register(url, entity_id=123)  # type: ignore[arg-type]
    assert len(heygen_emulator.request_log) == before


def _count(emulator: Emulator, endpoint: str) -> int:
    return sum(1 for entry in emulator.request_log if entry["endpoint"] == endpoint)
