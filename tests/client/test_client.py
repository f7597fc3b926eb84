"""Client configuration, direct mode, and the ``request`` escape hatch's checks and wire format."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aiohttp import web
from aioresponses import aioresponses

import heygen_async as hg
from tests.support import BASE, GATEWAY_OK, TOKEN, ServerFactory, sent, sent_content_type, sent_json


def test_token_from_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", "at_from-env")
    assert hg.HeyGenClient()._transport.options.token.reveal() == "at_from-env"
    assert hg.HeyGenClient("at_explicit")._transport.options.token.reveal() == "at_explicit"


def test_missing_token_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN", raising=False)
    monkeypatch.delenv("HEYGEN_API_KEY", raising=False)
    with pytest.raises(hg.ConfigurationError, match="LOWCODEAPI_API_TOKEN"):
        hg.HeyGenClient()
    with pytest.raises(hg.ConfigurationError, match="HEYGEN_API_KEY"):
        hg.HeyGenClient.direct()
    with pytest.raises(hg.ConfigurationError):
        hg.HeyGenClient("")


@pytest.mark.parametrize("token", ["at_ has space", "at_x\n", " at_x", "at_\x00"])
def test_malformed_tokens_are_refused_without_being_shown(token: str) -> None:
    with pytest.raises(hg.ConfigurationError) as caught:
        hg.HeyGenClient(token)
    assert token.strip() not in str(caught.value)


def test_base_url_default_and_override() -> None:
    assert hg.HeyGenClient(TOKEN).base_url == "https://api.lowcodeapi.com/heygen"
    assert hg.HeyGenClient(TOKEN, base_url="http://127.0.0.1:8080/heygen/").base_url == "http://127.0.0.1:8080/heygen"
    direct = hg.HeyGenClient.direct(heygen_api_key="k")
    assert (direct.mode, direct.base_url, direct.path_style) == ("direct", "https://api.heygen.com", "new")


@pytest.mark.parametrize(
    "url", ["ftp://x/heygen", "api.lowcodeapi.com/heygen", "https://x/h?api_token=1", "", "http://"]
)
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(hg.ConfigurationError, match="base_url"):
        hg.HeyGenClient(TOKEN, base_url=url)


def test_bad_path_style_is_refused() -> None:
    with pytest.raises(hg.ConfigurationError, match="path_style"):
        hg.HeyGenClient(TOKEN, path_style="newest")  # type: ignore[arg-type]
    with pytest.raises(hg.ConfigurationError, match="path_style"):
        hg.HeyGenClient(TOKEN).with_options(path_style="x")  # type: ignore[arg-type]


async def test_direct_mode_uses_the_api_key_header_and_heygen_paths(mocked: aioresponses) -> None:
    mocked.get(re.compile(r"^https://api\.heygen\.com/v2/photo_avatar/pa-1$"), payload={"error": None, "data": 1})
    async with hg.HeyGenClient.direct(heygen_api_key="hg-key") as client:
        assert await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"}) == 1
    ((_, url, kwargs),) = sent(mocked)
    assert "api_token" not in url.query
    assert kwargs["headers"]["X-Api-Key"] == "hg-key"


async def test_gateway_mode_sends_the_token_only_as_the_api_token_query(mocked: aioresponses) -> None:
    mocked.get(re.compile(r".*"), payload=GATEWAY_OK)
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        await client.request("GET", "/v2/avatars")
    ((_, url, kwargs),) = sent(mocked)
    assert url.query["api_token"] == TOKEN
    assert "X-Api-Key" not in kwargs["headers"]
    assert kwargs["headers"]["User-Agent"].startswith("heygen-async/")


async def test_request_sends_query_and_json_body(mocked: aioresponses) -> None:
    mocked.post(re.compile(r".*"), payload=GATEWAY_OK)
    body = {"title": "Ünïcode ✓", "video_inputs": [{"n": 1}], "test": True}
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        await client.request("POST", "/v2/video/generate", params={"folder_id": "f 1", "x": None}, json=body)
    ((method, url, kwargs),) = sent(mocked)
    assert method == "POST"
    assert url.path == "/heygen/v2/video/generate"
    assert dict(url.query) == {"folder_id": "f 1", "api_token": TOKEN}
    assert sent_json(kwargs) == body
    assert sent_content_type(kwargs) == "application/json"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"method": "FETCH", "path": "/v2/avatars"}, "method"),
        ({"method": "GET", "path": "https://evil.example/v2/avatars"}, "path"),
        ({"method": "GET", "path": "//evil.example/v2/avatars"}, "path"),
        ({"method": "GET", "path": "v2/avatars"}, "path"),
        ({"method": "GET", "path": "/v2/avatars?api_token=x"}, "path"),
        ({"method": "GET", "path": "/v2/../v1/user/me"}, "path"),
        ({"method": "GET", "path": "/v2/%2e%2e/v1"}, "path"),
        ({"method": "GET", "path": "/v2/av atars"}, "path"),
        ({"method": "GET", "path": "/v2/photo_avatar/{id"}, "path"),
        ({"method": "GET", "path": "/v2/photo_avatar/{id}"}, "path_params"),
        ({"method": "GET", "path": "/v2/avatars", "path_params": {"id": "x"}}, "path_params"),
        ({"method": "GET", "path": "/v2/photo_avatar/{id}", "path_params": {"id": ".."}}, "id"),
        ({"method": "GET", "path": "/v2/photo_avatar/{id}", "path_params": {"id": ""}}, "id"),
        ({"method": "GET", "path": "/v2/avatars", "params": {"api_token": "other"}}, "params"),
        ({"method": "GET", "path": "/v2/avatars", "params": [("a", 1)]}, "params"),
        ({"method": "POST", "path": "/v2/video/generate", "json": {"x": float("nan")}}, None),
        ({"method": "POST", "path": "/v2/video/generate", "json": {"x": object()}}, None),
    ],
)
async def test_bad_requests_are_refused_before_anything_is_sent(
    mocked: aioresponses, kwargs: dict[str, Any], parameter: str | None
) -> None:
    mocked.get(re.compile(r".*"), payload=GATEWAY_OK, repeat=True)
    mocked.post(re.compile(r".*"), payload=GATEWAY_OK, repeat=True)
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        with pytest.raises(hg.ValidationError) as caught:
            await client.request(**kwargs)
    assert caught.value.parameter == parameter
    assert sent(mocked) == []


async def test_redirects_are_not_followed(serve: ServerFactory) -> None:
    hits: list[str] = []

    async def redirect(request: web.Request) -> web.Response:
        hits.append(request.path)
        raise web.HTTPFound("/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response(GATEWAY_OK)

    app = web.Application()
    app.router.add_get("/heygen/v2/avatars", redirect)
    app.router.add_get("/elsewhere", elsewhere)
    base = await serve(app)
    async with hg.HeyGenClient(TOKEN, base_url=base, max_retries=0) as client:
        with pytest.raises(hg.APIStatusError) as caught:
            await client.request("GET", "/v2/avatars")
    assert caught.value.status_code == 302
    assert hits == ["/heygen/v2/avatars"]


async def test_cookies_are_never_kept_between_calls(serve: ServerFactory) -> None:
    cookies: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        cookies.append(request.headers.get("Cookie"))
        response = web.json_response(GATEWAY_OK)
        response.set_cookie("tenant", "one")
        return response

    app = web.Application()
    app.router.add_get("/heygen/v2/avatars", handler)
    base = await serve(app)
    async with hg.HeyGenClient(TOKEN, base_url=base) as client:
        await client.request("GET", "/v2/avatars")
        await client.with_options(api_token="at_tenant-two").request("GET", "/v2/avatars")
    assert cookies == [None, None]


async def test_result_is_plain_json(mocked: aioresponses) -> None:
    payload = {"data": {"code": 100, "data": [{"avatar_id": "a"}, {"avatar_id": "b"}], "message": "ok"}}
    mocked.get(re.compile(r".*"), body=json.dumps(payload))
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        assert await client.request("GET", "/v1/streaming/avatar.list") == [{"avatar_id": "a"}, {"avatar_id": "b"}]


async def test_lean_polls_is_still_accepted_but_warns_that_it_does_nothing() -> None:
    """The lean poll path is gone (one HTTP stack): the argument stays for one release, with a warning."""
    with pytest.warns(DeprecationWarning, match="lean_polls"):
        gateway = hg.HeyGenClient("at_lean-polls-token", lean_polls=True)
    with pytest.warns(DeprecationWarning, match="does nothing"):
        direct = hg.HeyGenClient.direct("lean-polls-key", lean_polls=False)
    for client in (gateway, direct):
        assert not hasattr(client._transport.pool, "lean_polls")
        await client.aclose()
