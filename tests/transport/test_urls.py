"""LowCodeAPI's two path formats, the auto fallback and its memory, and safe encoding of every value."""

from __future__ import annotations

import logging
import re

import pytest
from aiohttp import web
from aioresponses import aioresponses
from yarl import URL

import heygen_async as hg
from heygen_async._transport._urls import Route, encode_query
from tests.support import BASE, FAST, TOKEN, ServerFactory, sent

OK = {"data": {"error": None, "data": {"id": "pa-1"}}}
HEYGEN_404 = {"message": "Not found", "provider": "heygen", "error": {"code": 404, "message": "avatar not found"}}
PHOTO_NEW = re.compile(r"^http://gateway\.test/heygen/v2/photo_avatar/pa-1\?.*$")
PHOTO_OLD = re.compile(r"^http://gateway\.test/heygen/v2/photo_avatar/id\?.*$")


def test_route_derives_old_and_new_forms() -> None:
    route = Route("POST", "/v2/template/{template_id}/generate", False)
    assert route.key == "POST /v2/template/{template_id}/generate"
    assert route.path_params == ("template_id",)
    assert route.old_path == "/v2/template/template_id/generate"
    assert route.new_path({"template_id": "tëmplate:1"}) == "/v2/template/t%C3%ABmplate%3A1/generate"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("Angela-inTshirt-20220820", "Angela-inTshirt-20220820"),
        ("a&api_token=evil", "a%26api_token%3Devil"),
        ("ünï-cødé", "%C3%BCn%C3%AF-c%C3%B8d%C3%A9"),
        ("a:b@c+d;e", "a%3Ab%40c%2Bd%3Be"),
        ("v1.2", "v1.2"),
    ],
)
def test_path_values_are_one_percent_encoded_segment(value: str, encoded: str) -> None:
    assert Route("GET", "/v2/photo_avatar/{id}", True).new_path({"id": value}) == f"/v2/photo_avatar/{encoded}"


HOSTILE_IDS = [
    "../v1/user/me",
    "../../heygen/v1/user/me",
    "x/../../../v2/user/remaining_quota",
    "a?b=c",
    "a#frag",
    "%2e%2e%2fv1",
    "a%3Fb",
    "back\\slash",
    "line\nbreak",
    "tab\there",
    "sp ace",
    "nul\x00",
    ".",
    "..",
    "...",
]


@pytest.mark.parametrize("value", [*HOSTILE_IDS, "", None, 3.5, True, ["a"]])
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


def splicing_gateway(upstream: list[tuple[str, str]]) -> web.Application:
    """Behaves like LowCodeAPI's open-source gateway: it decodes the value (from the path in the new format,
    from the query in the old one) and pastes it, unencoded, into HeyGen's URL, whose dots are then resolved."""

    def forward(value: str) -> web.Response:
        resolved = URL("https://api.heygen.com/v2/photo_avatar/{id}".replace("{id}", value))
        upstream.append((value, resolved.path + (f"?{resolved.query_string}" if resolved.query_string else "")))
        return web.json_response({"error": None, "data": {"ok": True}})

    async def new(request: web.Request) -> web.Response:
        return forward(request.match_info["pid"])

    async def old(request: web.Request) -> web.Response:
        return forward(request.query["id"])

    app = web.Application()
    app.router.add_get("/heygen/v2/photo_avatar/id", old)
    app.router.add_get("/heygen/v2/photo_avatar/{pid}", new)
    return app


@pytest.mark.parametrize("style", ["new", "old"])
async def test_hostile_ids_never_reach_another_heygen_route(serve: ServerFactory, style: str) -> None:
    upstream: list[tuple[str, str]] = []
    base = await serve(splicing_gateway(upstream))
    async with hg.HeyGenClient(TOKEN, base_url=base, path_style=style) as client:  # type: ignore[arg-type]
        for value in HOSTILE_IDS:
            with pytest.raises(hg.ValidationError):
                await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": value})
        assert upstream == []  # refused before anything was sent
        accepted = ["Angela-inTshirt-20220820", "a&b=c", "é+ü:x@y", "v1.2"]
        for value in accepted:
            assert await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": value}) == {"ok": True}
    assert [value for value, _ in upstream] == accepted
    for _, heygen_path in upstream:
        # After the gateway's decode-and-splice, each id is still one segment of the photo avatar route.
        assert heygen_path.startswith("/v2/photo_avatar/")
        assert heygen_path.count("/") == 3
