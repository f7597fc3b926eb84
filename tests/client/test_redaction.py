"""The token never appears in a log record, an exception's text or repr, a traceback, or the client's repr."""

from __future__ import annotations

import asyncio
import logging
import pickle
import re
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async._redact import Redactor, Secret
from tests.support import BASE, TOKEN, ServerFactory, error_text, refused

DIRECT_KEY = "hg-direct-K3y-abcdef0123456789"
ANY = re.compile(r"^http://gateway\.test/heygen/.*$")
ANY_DIRECT = re.compile(r"^https://api\.heygen\.com/.*$")
ECHO = f"GET https://api.lowcodeapi.com/heygen/v2/avatars?api_token={TOKEN} failed (token {TOKEN})"


FAILURES: list[Any] = [
    pytest.param({"status": 401, "payload": {"message": ECHO, "provider": "heygen", "error": ECHO}}, id="401-echo"),
    pytest.param({"status": 400, "payload": {"data": {"error": {"message": ECHO, "code": ECHO}}}}, id="400-seed-echo"),
    pytest.param({"status": 500, "body": f"<html>{ECHO}</html>"}, id="500-html-echo"),
    pytest.param({"status": 200, "body": f"not json {ECHO}"}, id="200-garbage-echo"),
    pytest.param({"status": 429, "payload": {"code": 1, "message": ECHO}, "headers": {"Retry-After": "999"}}, id="429"),
    pytest.param(
        {"status": 403, "payload": {"code": 1, "message": "m"}, "headers": {"X-Request-Id": TOKEN, "X-Echo": ECHO}},
        id="headers-echo",
    ),
    pytest.param(
        {
            "status": 502,
            "payload": {"message": "m", "provider": "heygen", "error": {}, "headers": {"x-api-key": TOKEN}},
        },
        id="forwarded-headers",
    ),
    pytest.param({"exception": refused(f"refused {TOKEN}")}, id="refused"),
    pytest.param({"exception": aiohttp.ServerDisconnectedError(ECHO)}, id="disconnected"),
    pytest.param({"exception": asyncio.TimeoutError()}, id="timeout"),
    pytest.param({"exception": aiohttp.InvalidURL(f"http://x/?api_token={TOKEN}")}, id="invalid-url"),
]


@pytest.mark.parametrize("failure", FAILURES)
async def test_failing_calls_never_show_the_token(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture, sleeps: list[float], failure: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.get(ANY, repeat=True, **failure)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, max_retries=2) as client:
        with pytest.raises(hg.HeyGenError) as caught:
            await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa"})
        assert TOKEN not in repr(client)
        assert TOKEN not in str(client)
    seen = error_text(caught.value)
    assert TOKEN not in seen
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)


async def test_an_unmatched_url_in_the_error_text_is_scrubbed(mocked: aioresponses, sleeps: list[float]) -> None:
    # aioresponses (like aiohttp for some errors) puts the full URL, token included, in its exception text.
    async with hg.HeyGenClient(TOKEN, base_url=BASE, max_retries=0) as client:
        with pytest.raises(hg.APIConnectionError) as caught:
            await client.request("GET", "/v2/avatars")
    assert "api_token=***" in str(caught.value)
    assert TOKEN not in error_text(caught.value)


@pytest.mark.parametrize("failure", FAILURES[:7])
async def test_direct_mode_never_shows_the_api_key(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture, sleeps: list[float], failure: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    raw = dict(failure)
    if "payload" in raw:
        raw["payload"] = _replace(raw["payload"], TOKEN, DIRECT_KEY)
    if "body" in raw:
        raw["body"] = raw["body"].replace(TOKEN, DIRECT_KEY)
    if "headers" in raw:
        raw["headers"] = _replace(raw["headers"], TOKEN, DIRECT_KEY)
    mocked.get(ANY_DIRECT, repeat=True, **raw)
    async with hg.HeyGenClient.direct(heygen_api_key=DIRECT_KEY, max_retries=1) as client:
        with pytest.raises(hg.HeyGenError) as caught:
            await client.request("GET", "/v2/avatars")
        assert DIRECT_KEY not in repr(client)
    assert DIRECT_KEY not in error_text(caught.value)
    assert DIRECT_KEY not in caplog.text


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    return value


async def test_real_server_round_trips_keep_the_token_out_of_logs(
    serve: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """End to end over a socket: success, gateway 404 fallback, HeyGen errors and a retried 503."""
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        assert request.query["api_token"] == TOKEN  # the token does travel where it must
        if request.path.endswith("/pa-1"):
            return web.Response(status=404, text=f"Cannot GET {request.path_qs}")
        if calls % 3 == 0:
            return web.json_response({"message": request.path_qs, "provider": "heygen", "error": {}}, status=503)
        return web.json_response({"message": request.path_qs, "provider": "heygen", "result": {"error": None}})

    app = web.Application()
    app.router.add_route("*", "/heygen/{tail:.*}", handler)
    base = await serve(app)
    caplog.set_level(logging.DEBUG)
    policy = hg.RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0)
    async with hg.HeyGenClient(TOKEN, base_url=base, retry=policy) as client:
        for _ in range(4):
            await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "pa-1"})
            await client.request("POST", "/v2/video/generate", json={"title": "t"})
    assert calls > 8
    assert "retrying" in caplog.text
    assert "old path format" in caplog.text
    assert TOKEN not in caplog.text


def test_secret_and_client_reprs() -> None:
    secret = Secret(TOKEN)
    assert TOKEN not in repr(secret)
    assert TOKEN not in str(secret)
    assert TOKEN not in f"{secret}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    client = hg.HeyGenClient(TOKEN)
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client._transport.options)
    assert TOKEN not in repr(vars(client))
    handle = client.with_options(api_token="at_other-secret-value")
    assert "at_other-secret-value" not in repr(handle)


def test_scrub_masks_token_values_it_was_not_told_about() -> None:
    assert Redactor().text("GET /x?a=1&api_token=at_unknown&b=2") == "GET /x?a=1&api_token=***&b=2"
    assert Redactor(TOKEN).text(f"token {TOKEN} and API_TOKEN=zz") == "token *** and API_TOKEN=***"
    assert Redactor().text("see https://user:pw@gw.test/heygen") == "see https://user:***@gw.test/heygen"


async def test_errors_survive_pickling_without_the_token(mocked: aioresponses) -> None:
    mocked.get(ANY, status=429, payload={"code": 1, "message": ECHO}, headers={"Retry-After": "3"})
    async with hg.HeyGenClient(TOKEN, base_url=BASE, max_retries=0) as client:
        with pytest.raises(hg.RateLimitError) as caught:
            await client.request("GET", "/v2/avatars")
    clone = pickle.loads(pickle.dumps(caught.value))
    assert type(clone) is hg.RateLimitError
    assert str(clone) == str(caught.value)
    assert clone.retry_after == 3.0
    assert clone.status_code == 429
    assert TOKEN not in error_text(clone)


@pytest.mark.parametrize(
    "url",
    [
        f"https://api.lowcodeapi.com/heygen?api_token={TOKEN}",
        f"https://api.lowcodeapi.com/heygen/?x=1&api_token={TOKEN}#frag",
        f"api.lowcodeapi.com/heygen?api_token={TOKEN}",
    ],
)
def test_a_base_url_carrying_the_token_is_refused_without_showing_it(url: str) -> None:
    with pytest.raises(hg.ConfigurationError) as caught:
        hg.HeyGenClient(TOKEN, base_url=url)
    assert "base_url" in str(caught.value)
    assert TOKEN not in error_text(caught.value)
    with pytest.raises(hg.ConfigurationError) as caught:
        hg.HeyGenClient.direct(heygen_api_key=DIRECT_KEY, upload_url=url.replace(TOKEN, DIRECT_KEY))
    assert DIRECT_KEY not in error_text(caught.value)


@pytest.mark.parametrize("token", [f"{TOKEN} ", f"{TOKEN}\n", f" {TOKEN}"])
def test_a_malformed_token_is_not_in_the_constructor_traceback_locals(token: str) -> None:
    with pytest.raises(hg.ConfigurationError) as caught:
        hg.HeyGenClient(token)
    assert TOKEN not in error_text(caught.value)
    client = hg.HeyGenClient("at_fine")
    with pytest.raises(hg.ConfigurationError) as caught:
        client.with_options(api_token=token)
    assert TOKEN not in error_text(caught.value)


async def test_a_secret_straddling_the_excerpt_cut_is_masked(mocked: aioresponses) -> None:
    body = "<html>" + "x" * 188 + f" invalid key {DIRECT_KEY}</html>"
    mocked.get(ANY_DIRECT, status=401, body=body)
    async with hg.HeyGenClient.direct(heygen_api_key=DIRECT_KEY) as client:
        with pytest.raises(hg.AuthenticationError) as caught:
            await client.request("GET", "/v2/avatars")
    seen = error_text(caught.value)
    assert DIRECT_KEY not in seen
    assert DIRECT_KEY[:8] not in seen


async def test_an_error_body_over_a_mebibyte_is_kept_as_a_scrubbed_excerpt(serve: ServerFactory) -> None:
    """Scrubbing walks every string of an error body: past 1 MiB, ``body`` is an excerpt, so the cost stays
    bounded however large (up to ``max_response_bytes``) a hostile server makes it."""
    small = {"message": f"bad token {TOKEN}", "items": [TOKEN] * 3}
    large = {"message": f"bad token {TOKEN}", "items": [f"{TOKEN} {i}" for i in range(30_000)]}
    answers = iter([small, large])

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(next(answers), status=500)

    app = web.Application()
    app.router.add_route("*", "/heygen/{tail:.*}", handler)
    async with hg.HeyGenClient(TOKEN, base_url=await serve(app), max_retries=0) as client:
        errors = []
        for _ in range(2):
            with pytest.raises(hg.ServerError) as caught:
                await client.request("GET", "/v2/avatars")
            errors.append(caught.value)
    assert errors[0].body == {"message": "bad token ***", "items": ["***"] * 3}
    assert isinstance(errors[1].body, str)
    assert len(errors[1].body) <= 203
    assert errors[1].body.startswith('{"message": "bad token ***"')
    for error in errors:
        assert TOKEN not in error_text(error)


async def test_traceback_locals_of_a_real_failing_call_hold_no_token(serve: ServerFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"code": 40001, "message": f"bad {request.path_qs}"}, status=400)

    app = web.Application()
    app.router.add_route("*", "/heygen/{tail:.*}", handler)
    base = await serve(app)
    async with hg.HeyGenClient(TOKEN, base_url=base) as client:
        for call in (
            client.request("GET", "/v2/avatars"),
            client.videos.status("v-1"),
            client.request("POST", "/v2/video/generate", json={"x": 1}),
        ):
            with pytest.raises(hg.BadRequestError) as caught:
                await call
            assert TOKEN not in error_text(caught.value)
