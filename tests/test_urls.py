"""LowCodeAPI's two path formats, the auto fallback and its memory, and safe encoding of every value."""

from __future__ import annotations

import logging
import re

import pytest
from aiohttp import web
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async._urls import Route, encode_query

from .conftest import BASE, FAST, TOKEN, ServerFactory, sent

OK = {"data": {"error": None, "data": {"id": "pa-1"}}}
HEYGEN_404 = {"message": "Not found", "provider": "heygen", "error": {"code": 404, "message": "avatar not found"}}
PHOTO_NEW = re.compile(r"^http://gateway\.test/heygen/v2/photo_avatar/pa-1\?.*$")
PHOTO_OLD = re.compile(r"^http://gateway\.test/heygen/v2/photo_avatar/id\?.*$")


def test_route_derives_old_and_new_forms() -> None:
    route = Route("POST", "/v2/template/{template_id}/generate", False)
    assert route.key == "POST /v2/template/{template_id}/generate"
    assert route.path_params == ("template_id",)
    assert route.old_path == "/v2/template/template_id/generate"
    assert route.new_path({"template_id": "t 1/x"}) == "/v2/template/t%201%2Fx/generate"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("../v1/user/me", "..%2Fv1%2Fuser%2Fme"),
        ("a?b=c", "a%3Fb%3Dc"),
        ("a&api_token=evil", "a%26api_token%3Devil"),
        ("x#frag", "x%23frag"),
        ("ünï cødé", "%C3%BCn%C3%AF%20c%C3%B8d%C3%A9"),
        ("%2e%2e", "%252e%252e"),
        ("line\nbreak", "line%0Abreak"),
    ],
)
def test_path_values_are_one_percent_encoded_segment(value: str, encoded: str) -> None:
    assert Route("GET", "/v2/photo_avatar/{id}", True).new_path({"id": value}) == f"/v2/photo_avatar/{encoded}"


@pytest.mark.parametrize("value", ["", "  ", ".", "..", None, 3.5, True, ["a"]])
def test_unusable_path_values_are_refused(value: object) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        Route("GET", "/v2/photo_avatar/{id}", True).new_path({"id": value})
    assert caught.value.parameter == "id"


def test_query_encoding() -> None:
    assert encode_query([("a", True), ("b", False), ("c", None), ("d", [1, 2]), ("e f", "x&y=z")]) == (
        "a=true&b=false&d=1&d=2&e%20f=x%26y%3Dz"
    )


async def test_new_format_puts_the_value_in_the_path(mocked: aioresponses, sleeps: list[float]) -> None:
    mocked.get(PHOTO_NEW, payload=OK)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, path_style="new", retry=FAST) as client:
        assert await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"}) == {"id": "pa-1"}
    ((method, url, _),) = sent(mocked)
    assert (method, url.path, dict(url.query)) == ("GET", "/heygen/v2/photo_avatar/pa-1", {"api_token": TOKEN})


async def test_old_format_keeps_the_name_in_the_path_and_the_value_in_the_query(
    mocked: aioresponses, sleeps: list[float]
) -> None:
    mocked.get(PHOTO_OLD, payload=OK)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, path_style="old", retry=FAST) as client:
        await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"})
    ((_, url, _),) = sent(mocked)
    assert url.path == "/heygen/v2/photo_avatar/id"
    assert dict(url.query) == {"id": "pa-1", "api_token": TOKEN}


async def test_routes_without_path_params_are_the_same_in_both_formats(
    mocked: aioresponses, sleeps: list[float]
) -> None:
    mocked.get(re.compile(r".*/v1/video_status\.get\?.*"), payload=OK, repeat=True)
    for style in ("new", "old"):
        async with hg.HeyGenClient(TOKEN, base_url=BASE, path_style=style) as client:
            await client.request("GET", "/v1/video_status.get", params={"video_id": "v1"})
    urls = [url for _, url, _ in sent(mocked)]
    assert all(u.path == "/heygen/v1/video_status.get" for u in urls)
    assert all(dict(u.query) == {"video_id": "v1", "api_token": TOKEN} for u in urls)


async def test_auto_falls_back_to_old_on_a_gateway_404_and_remembers(
    client: hg.HeyGenClient, mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.get(PHOTO_NEW, status=404, body="Cannot GET /heygen/v2/photo_avatar/pa-1", content_type="text/html")
    mocked.get(PHOTO_OLD, payload=OK, repeat=True)
    caplog.set_level(logging.INFO, logger="heygen_async")
    for _ in range(3):
        assert await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"}) == {"id": "pa-1"}
    paths = [url.path for _, url, _ in sent(mocked)]
    # One miss in the new format, then the old format three times: the memory spares later calls the miss.
    assert sorted(paths) == ["/heygen/v2/photo_avatar/id"] * 3 + ["/heygen/v2/photo_avatar/pa-1"]
    assert client.path_style_memory.export() == {"GET /v2/photo_avatar/{id}": "old"}
    learnt = [r for r in caplog.records if "old path format" in r.getMessage()]
    assert len(learnt) == 1
    assert learnt[0].levelno == logging.INFO


async def test_auto_remembers_new_when_it_works(client: hg.HeyGenClient, mocked: aioresponses) -> None:
    mocked.get(PHOTO_NEW, payload=OK)
    await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"})
    assert client.path_style_memory.export() == {"GET /v2/photo_avatar/{id}": "new"}


async def test_a_heygen_404_is_not_a_route_miss(client: hg.HeyGenClient, mocked: aioresponses) -> None:
    mocked.get(PHOTO_NEW, status=404, payload=HEYGEN_404)
    with pytest.raises(hg.NotFoundError) as caught:
        await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"})
    assert caught.value.error_message == "avatar not found"
    assert len(sent(mocked)) == 1
    assert client.path_style_memory.export() == {"GET /v2/photo_avatar/{id}": "new"}


async def test_404_in_both_formats_raises_and_remembers_nothing(client: hg.HeyGenClient, mocked: aioresponses) -> None:
    mocked.get(PHOTO_NEW, status=404, body="")
    mocked.get(PHOTO_OLD, status=404, payload={"data": {"error": {"message": "no such avatar", "code": 404}}})
    with pytest.raises(hg.NotFoundError) as caught:
        await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"})
    assert caught.value.error_message == "no such avatar"
    assert client.path_style_memory.export() == {}


async def test_memory_can_be_exported_and_loaded_into_a_new_client(mocked: aioresponses, sleeps: list[float]) -> None:
    mocked.get(PHOTO_OLD, payload=OK)
    known = {"GET /v2/photo_avatar/{id}": "old"}
    async with hg.HeyGenClient(TOKEN, base_url=BASE, path_style_memory=known) as client:
        await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"})
        assert client.path_style_memory.export() == known
    ((_, url, _),) = sent(mocked)
    assert url.path == "/heygen/v2/photo_avatar/id"


def test_memory_refuses_unknown_styles() -> None:
    with pytest.raises(hg.ConfigurationError):
        hg.HeyGenClient(TOKEN, path_style_memory={"GET /x/{id}": "sideways"})
    memory = hg.PathStyleMemory()
    with pytest.raises(ValueError, match="'new' or 'old'"):
        memory.load({"GET /x/{id}": "sideways"})


async def test_hostile_ids_reach_only_their_own_route_on_a_real_server(serve: ServerFactory) -> None:
    """The server sees each id as one opaque segment (new format) or one query value (old format)."""
    seen: list[tuple[str, str, str | None]] = []

    async def photo(request: web.Request) -> web.Response:
        seen.append((request.match_info.get("pid", ""), request.raw_path, request.query.get("id")))
        return web.json_response({"error": None, "data": {"ok": True}})

    async def me(request: web.Request) -> web.Response:
        raise AssertionError("a hostile id reached /v1/user/me")

    app = web.Application()
    app.router.add_get("/heygen/v1/user/me", me)
    app.router.add_get("/heygen/v2/photo_avatar/id", photo)
    app.router.add_get("/heygen/v2/photo_avatar/{pid}", photo)
    base = await serve(app)
    hostile = ["../v1/user/me", "../../heygen/v1/user/me", "a?b=c", "x&api_token=evil", "%2e%2e%2fv1", "a#b", "é/ü"]
    for style in ("new", "old"):
        async with hg.HeyGenClient(TOKEN, base_url=base, path_style=style) as client:
            for value in hostile:
                assert await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": value}) == {"ok": True}
    new, old = seen[: len(hostile)], seen[len(hostile) :]
    assert [pid for pid, _, _ in new] == hostile
    assert [qid for _, _, qid in old] == hostile
