"""Hostile responses (issue 10): a local aiohttp server answers with wrong types, absurd nesting, huge or
slow bodies, and the client must answer with its own typed errors, promptly, never with a stray exception.

* wrong types: every field of a realistic answer (for several endpoints), and every envelope field, replaced
  by a list, a dict, numbers, a string, a boolean, null, a lone surrogate -> a model or ``APIResponseError``
  (an envelope whose ``code``/``error`` turns into an error is an ``APIStatusError``, by design);
* deep nesting: 100,000 levels of ``[`` or ``{"data":`` (and depths around the parser's recursion limit),
  on 200, 400 and 500 answers -> a typed ``APIError``, no ``RecursionError``;
* a 50 MB body (declared by ``Content-Length``, chunked without one, or gzip that inflates to 50 MB) ->
  ``APIResponseError`` once it passes ``Limits.max_response_bytes`` (16 MiB by default), without reading it
  whole, in one attempt;
* a slow drip (one byte every 0.2 s) -> ``APITimeoutError`` when the attempt's time limit runs out;
* a create (a render, a translation, a live session) whose success answer does not fit its model keeps what
  HeyGen created: a result with the id and a warning, or ``CreatedResponseError`` carrying the id (a session
  is stopped); a plain ``APIResponseError`` only when no id can be found (issue 16).
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async._config import DEFAULT_MAX_RESPONSE_BYTES
from heygen_async.emulator import Emulator
from heygen_async.emulator._handlers import HANDLERS
from tests.support import SETTLE, ServerFactory, fast_client, scene, wait_until

TOKEN = "at_hostile-Responses-token-0123456789"
ONE_ATTEMPT = hg.RetryPolicy(attempts=1)
MB = 1024 * 1024

# -- a server whose answer each test sets --------------------------------------------------------------


@attrs.define
class Answer:
    status: int = 200
    body: bytes = b"{}"
    requests: int = 0


async def answering(serve: ServerFactory, answer: Answer) -> str:
    async def handler(request: web.Request) -> web.Response:
        answer.requests += 1
        return web.Response(status=answer.status, body=answer.body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return await serve(app)


def client_for(base: str, **settings: Any) -> hg.HeyGenClient:
    settings.setdefault("retry", ONE_ATTEMPT)
    settings.setdefault("timeout", 10)
    return hg.HeyGenClient(TOKEN, base_url=base, **settings)


# -- (a) wrong types in every field --------------------------------------------------------------------

REALISTIC: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # qualname: (arguments, HeyGen's answer)
    "videos.status": (
        {"video_id": "v1"},
        {
            "code": 100,
            "message": "Success",
            "data": {
                "id": "v1",
                "status": "completed",
                "video_url": "https://files.example/v1.mp4",
                "thumbnail_url": "https://files.example/v1.jpg",
                "gif_url": None,
                "caption_url": None,
                "video_url_caption": None,
                "duration": 12.5,
                "created_at": 1700000000,
                "callback_id": "cb",
                "error": {"code": 40001, "message": "none", "detail": "none"},
            },
        },
    ),
    "videos.list": (
        {},
        {
            "code": 100,
            "message": "Success",
            "data": {
                "videos": [
                    {"video_id": "v1", "video_title": "A", "status": "completed", "created_at": 1700000000},
                    {"video_id": "v2", "video_title": "B", "status": "failed", "created_at": 1700000001},
                ],
                "token": "next",
            },
        },
    ),
    "avatars.list": (
        {},
        {
            "error": None,
            "data": {
                "avatars": [
                    {"avatar_id": "a1", "avatar_name": "Anna", "gender": "female", "premium": False},
                ],
                "talking_photos": [{"talking_photo_id": "t1", "talking_photo_name": "T", "preview_image_url": "u"}],
            },
        },
    ),
    "user.remaining_quota": (
        {},
        {"error": None, "data": {"remaining_quota": 3600, "details": {"api": 3600, "seat": 0}}},
    ),
    "templates.get": (
        {"template_id": "tpl1"},
        {
            "error": None,
            "data": {
                "variables": {"name": {"name": "name", "type": "text", "properties": {"content": "Hi"}}},
                "scenes": [{"id": "s1"}],
            },
        },
    ),
    "translations.status": (
        {"video_translate_id": "vt1"},
        {
            "error": None,
            "data": {"video_translate_id": "vt1", "title": "t", "status": "success", "url": "u", "message": None},
        },
    ),
    "videos.generate": (
        {
            "video_inputs": [
                {
                    "character": {"type": "avatar", "avatar_id": "a1"},
                    "voice": {"type": "text", "input_text": "Hi", "voice_id": "v"},
                }
            ]
        },
        {"error": None, "data": {"video_id": "v9"}},
    ),
}
WRONG_VALUES: list[Any] = [
    [],
    [1, {"a": []}],
    {},
    {"x": {"y": [None]}},
    0,
    -1,
    12345678901234567890,
    1.5,
    1e308,
    "str",
    "",
    "\ud800",  # a lone surrogate (sent as the JSON escape \ud800)
    True,
    False,
    None,
]
ENVELOPE_KEYS = frozenset({"code", "error", "message", "data"})


def field_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``value``: each dict key and list index, at every depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from field_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from field_paths(item, (*prefix, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(document)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("qualname", sorted(REALISTIC))
async def test_wrong_types_in_every_field_give_a_model_or_api_response_error(
    serve: ServerFactory, qualname: str
) -> None:
    arguments, document = REALISTIC[qualname]
    namespace, method_name = qualname.split(".")
    answer = Answer(body=json.dumps(document).encode())
    base = await answering(serve, answer)
    outcomes: dict[str, int] = {}
    async with client_for(base) as client:
        method = getattr(getattr(client, namespace), method_name)
        assert isinstance(await method(**arguments), hg.Model)  # the realistic answer itself is fine
        paths = list(field_paths(document))
        for path in paths:
            for wrong in WRONG_VALUES:
                answer.body = json.dumps(replaced(document, path, wrong)).encode()
                try:
                    result = await method(**arguments)
                except hg.APIResponseError:
                    outcomes["APIResponseError"] = outcomes.get("APIResponseError", 0) + 1
                except hg.APIStatusError:
                    # Only the envelope's own code/error can turn an answer into an error answer.
                    assert len(path) == 1, (path, wrong)
                    assert path[0] in ENVELOPE_KEYS, (path, wrong)
                    outcomes["APIStatusError"] = outcomes.get("APIStatusError", 0) + 1
                else:
                    assert isinstance(result, hg.Model), (path, wrong, result)
                    outcomes["model"] = outcomes.get("model", 0) + 1
    assert answer.requests == 1 + len(paths) * len(WRONG_VALUES)
    assert outcomes.get("APIResponseError", 0) > 0
    assert outcomes.get("model", 0) > 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"code": 100, "data": ' + b"1" * 5000 + b"}",  # an int past Python's digit limit
        b'{"code": 100, "data": {"id": "v1"',  # cut short
        b'{"code": 100, "data": {"id": "\xff\xfe"}}',  # not UTF-8
        b"\xef\xbb\xbf{}",  # a BOM
        b"NaN",
        b'{"code": 100, "data": {"duration": NaN, "created_at": Infinity}}',
        b"[]",
        b'"just a string"',
        b"null",
        b"12",
    ],
    ids=["huge-int", "truncated", "not-utf8", "bom", "nan", "nan-fields", "list", "string", "null", "number"],
)
async def test_malformed_bodies_give_a_model_or_api_response_error(serve: ServerFactory, body: bytes) -> None:
    answer = Answer(body=body)
    async with client_for(await answering(serve, answer)) as client:
        try:
            result = await client.videos.status("v1")
        except hg.APIResponseError:
            pass
        else:
            assert isinstance(result, hg.Model)


# -- (b) deep nesting ----------------------------------------------------------------------------------


def nested(depth: int, kind: str) -> bytes:
    if kind == "list":
        return b"[" * depth + b"]" * depth
    if kind == "data":
        return b'{"data":' * depth + b"1" + b"}" * depth
    return b'{"code": 100, "data": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


@pytest.mark.parametrize("status", [200, 400, 500])
@pytest.mark.parametrize("kind", ["list", "data", "in-envelope"])
@pytest.mark.parametrize("depth", [100_000, 990, 900, 500])
async def test_deeply_nested_json_is_a_typed_error_never_recursion_error(
    serve: ServerFactory, depth: int, kind: str, status: int
) -> None:
    answer = Answer(status=status, body=nested(depth, kind))
    async with client_for(await answering(serve, answer)) as client:
        outcome: Any
        try:
            outcome = await client.videos.status("v1")
        except hg.APIError as exc:
            outcome = exc
    if status != 200:
        assert isinstance(outcome, hg.APIStatusError), outcome
        assert outcome.status_code == status
    else:
        assert isinstance(outcome, (hg.APIResponseError, hg.Model)), outcome
    assert answer.requests == 1


# -- (c) huge bodies -----------------------------------------------------------------------------------

HUGE = 50 * MB
CHUNK = b" " * MB


@attrs.define
class Streamed:
    written: int = 0
    requests: int = 0


async def huge_server(serve: ServerFactory, streamed: Streamed, mode: str) -> str:
    async def handler(request: web.Request) -> web.StreamResponse:
        streamed.requests += 1
        response = web.StreamResponse(status=500 if mode == "error" else 200)
        response.content_type = "application/json"
        if mode == "declared":
            response.content_length = HUGE
        elif mode == "gzip":
            response.headers["Content-Encoding"] = "gzip"
        await response.prepare(request)
        try:
            if mode == "gzip":
                body = gzip.compress(b'{"code": 100, "data": "' + b"0" * HUGE + b'"}', compresslevel=1)
                await response.write(body)
                streamed.written += len(body)
            else:
                await response.write(b'{"code": 100, "data": "')
                while streamed.written < HUGE:
                    await response.write(CHUNK)
                    streamed.written += len(CHUNK)
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return await serve(app)


@pytest.mark.parametrize("mode", ["declared", "chunked", "gzip", "error"])
async def test_a_50_mb_body_is_refused_past_the_size_limit(serve: ServerFactory, mode: str) -> None:
    streamed = Streamed()
    base = await huge_server(serve, streamed, mode)
    # Retries allowed: a too-large answer must still not be fetched again.
    async with client_for(base, retry=hg.RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0)) as client:
        assert client._transport.pool.limits.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 16 * MB
        started = time.monotonic()
        with pytest.raises(hg.APIResponseError, match="over the 16777216-byte limit") as caught:
            await client.videos.status("v1")
        elapsed = time.monotonic() - started
    assert caught.value.attempts == 1
    assert streamed.requests == 1
    assert caught.value.status_code == (500 if mode == "error" else 200)
    assert elapsed < 5, elapsed
    if mode == "declared":
        assert "declared 52428800 bytes" in str(caught.value)
    if mode != "gzip":
        # Cut well before the end: the client stopped reading (socket buffers hold a few MB at most).
        assert streamed.written < HUGE


async def test_the_size_limit_is_configurable_and_exact(serve: ServerFactory) -> None:
    document = json.dumps({"code": 100, "data": {"id": "v1", "callback_id": "x" * 1000}}).encode()
    answer = Answer(body=document)
    base = await answering(serve, answer)
    async with client_for(base, limits=hg.Limits(max_response_bytes=len(document))) as client:
        assert (await client.videos.status("v1")).id == "v1"  # exactly at the limit: fine
    async with client_for(base, limits=hg.Limits(max_response_bytes=len(document) - 1)) as client:
        with pytest.raises(hg.APIResponseError, match="byte limit"):
            await client.videos.status("v1")
    async with client_for(base, limits=hg.Limits(max_response_bytes=None)) as client:
        assert (await client.videos.status("v1")).id == "v1"


@pytest.mark.parametrize("bad", [0, -1, 1.5, "16", True])
def test_a_malformed_size_limit_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        hg.Limits(max_response_bytes=bad)


# -- (d) slow drip -------------------------------------------------------------------------------------


async def drip_server(serve: ServerFactory, sent: list[float]) -> str:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_type = "application/json"
        await response.prepare(request)
        try:
            await response.write(b'{"code": 100, "data": "')
            for _ in range(200):  # 40 s at most, if the client never gave up
                await asyncio.sleep(0.2)
                await response.write(b"x")
                sent.append(time.monotonic())
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return await serve(app)


@pytest.mark.parametrize(
    ("timeout", "limit"),
    [(hg.Timeout(total=30, attempt=1.0), 1.0), (hg.Timeout(total=1.0, attempt=None), 1.0)],
    ids=["attempt-limit", "total-limit"],
)
async def test_a_slow_drip_body_is_cut_by_the_time_limit(
    serve: ServerFactory, timeout: hg.Timeout, limit: float
) -> None:
    sent: list[float] = []
    base = await drip_server(serve, sent)
    async with client_for(base, timeout=timeout) as client:
        started = time.monotonic()
        with pytest.raises(hg.APITimeoutError) as caught:
            await client.videos.status("v1")
        elapsed = time.monotonic() - started
    assert limit <= elapsed < limit + 0.75, elapsed
    assert caught.value.maybe_processed
    assert len(sent) >= 2  # bytes kept arriving: it is the overall limit, not an idle gap, that cut it


# -- (e) a create whose answer does not fit: HeyGen did the work, the id is kept ----------------------------


def mangle(monkeypatch: pytest.MonkeyPatch, endpoint: str, change: Callable[[Any], Any]) -> None:
    """Make the emulator do ``endpoint``'s work as usual (a job, a billed session) but answer ``change(data)``."""
    original = HANDLERS[endpoint]
    monkeypatch.setitem(HANDLERS, endpoint, lambda account, call: change(original(account, call)))


async def test_a_create_answer_with_a_malformed_field_still_gives_the_job_and_a_warning(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mangle(monkeypatch, "translations.create", lambda data: {**data, "video_translate_ids": 5})
    async with fast_client(heygen_emulator) as client:
        job = await client.translations.create("https://example.com/v.mp4", output_language="French")
        assert job.video_translate_id is not None
        assert job.raw["video_translate_ids"] == 5  # the answer as received
        assert job.video_translate_ids is None  # the field that did not fit keeps its default
        (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert "POST /v2/video_translate" in warning
        assert job.video_translate_id in warning
        assert "video_translate_ids" in warning
        waiting = asyncio.ensure_future(client.translations.wait(job.video_translate_id, timeout=10))
        await heygen_emulator.advance(SETTLE)
        translation = await waiting
    assert translation.status == hg.TranslationStatus.SUCCESS


async def test_a_create_answer_of_another_shape_raises_with_the_created_id(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    mangle(monkeypatch, "videos.generate", lambda data: [{"video": data}])  # the id is there, deeper
    async with fast_client(heygen_emulator) as client:
        with pytest.raises(hg.CreatedResponseError) as caught:
            await client.videos.generate([scene()])
        assert isinstance(caught.value, hg.APIResponseError)
        video_id = caught.value.created_id
        assert video_id in heygen_emulator.account.videos
        assert caught.value.raw == [{"video": {"video_id": video_id}}]
        assert video_id in str(caught.value)
        waiting = asyncio.ensure_future(client.videos.wait(video_id, timeout=10))
        await heygen_emulator.advance(SETTLE)
        video = await waiting
    assert video.status == hg.VideoStatus.COMPLETED


@pytest.mark.parametrize(
    "change",
    [
        lambda data: {"result": data},
        lambda data: {"video_id": {"id": data["video_id"]}},
        lambda data: {"video_id": [data["video_id"]]},
        lambda data: {"id": data["video_id"]},
        lambda data: {"result": data, "trace": json.loads(nested(700, "list"))},
    ],
    ids=["deeper", "id-in-an-object", "id-in-a-list", "id-under-id", "beside-deep-nesting"],
)
async def test_a_batch_follows_a_render_whose_answer_had_another_shape(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, change: Callable[[Any], Any]
) -> None:
    mangle(monkeypatch, "videos.generate", change)
    async with fast_client(heygen_emulator) as client:

        async def run() -> list[Any]:
            return [item async for item in client.videos.generate_many([{"video_inputs": [scene()]}], timeout=10)]

        batch = asyncio.ensure_future(run())
        await wait_until(lambda: heygen_emulator.stats()["videos_created"] == 1, what="the submission")
        await heygen_emulator.advance(SETTLE)
        (item,) = await batch
    assert item.ok
    assert not item.ambiguous
    assert item.job_id in heygen_emulator.account.videos
    assert item.result.status == hg.VideoStatus.COMPLETED


async def test_a_create_answer_without_any_id_is_ambiguous_in_a_batch(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    mangle(monkeypatch, "videos.generate", lambda data: {"video_id": {"unexpected": True}})
    async with fast_client(heygen_emulator) as client:
        with pytest.raises(hg.APIResponseError) as caught:
            await client.videos.generate([scene()])
        assert not isinstance(caught.value, hg.CreatedResponseError)
        items = [item async for item in client.videos.generate_many([{"video_inputs": [scene()]}], timeout=10)]
    (item,) = items
    assert item.ambiguous
    assert isinstance(item.error, hg.APIResponseError)


@pytest.mark.parametrize(
    ("change", "usable"),
    [
        pytest.param(
            lambda data: {**data, "session_duration_limit": "ten minutes", "is_paid": "maybe", "sdp": "none"},
            True,
            id="malformed-fields",
        ),
        pytest.param(lambda data: [data], False, id="another-shape"),
        pytest.param(lambda data: {**data, "session_id": {"id": data["session_id"]}}, False, id="id-in-an-object"),
        pytest.param(lambda data: {**data, "session_id": [data["session_id"]]}, False, id="id-in-a-list"),
        pytest.param(
            lambda data: {
                **{key: value for key, value in data.items() if key != "session_id"},
                "id": data["session_id"],
            },
            False,
            id="id-under-id",
        ),
    ],
)
async def test_a_session_whose_new_answer_does_not_fit_is_stopped(
    heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, change: Callable[[Any], Any], usable: bool
) -> None:
    """Used if its id is where it belongs, else CreatedResponseError; stopped either way, and the error shows no
    LiveKit access token (a credential, as in the model's repr)."""
    answers: list[Any] = []
    errors: list[hg.CreatedResponseError] = []

    def answer(data: Any) -> Any:
        answers.append(data)
        return change(data)

    mangle(monkeypatch, "streaming.new", answer)
    async with fast_client(heygen_emulator) as client:
        try:
            async with client.streaming.session(avatar_id="Wayne_20240711", quality="low") as session:
                assert heygen_emulator.stats()["sessions_open"] == 1
                await session.speak("Hello")
        except hg.CreatedResponseError as exc:  # another shape: the session cannot be used
            errors.append(exc)
    assert len(errors) == (0 if usable else 1)
    for error in errors:
        assert error.created_id == answers[0]["session_id"]
        shown = f"{error} {error!r} {error.body!r} {error.raw!r}"
        assert answers[0]["access_token"][-8:] not in shown
    stats = heygen_emulator.stats()
    assert stats["sessions_created"] == 1
    assert stats["sessions_open"] == 0


async def test_an_answer_that_does_not_fit_never_shows_a_credential_it_holds(serve: ServerFactory) -> None:
    """A webhook endpoint's signing secret, like a session's access token, is a credential the model keeps out
    of its repr: an answer that does not fit shows neither in the error's text, body or repr."""
    secret = "whsec_MisfitSigningSecretQwErTyZx42"
    data = {"endpoint_id": {"not": "text"}, "url": "https://example.com/hook", "secret": secret}
    answer = Answer(body=json.dumps({"code": 100, "data": data}).encode())
    async with client_for(await answering(serve, answer)) as client:
        with pytest.raises(hg.APIResponseError) as caught:
            await client.webhooks.add_endpoint("https://example.com/hook", events=["avatar_video.success"])
    error = caught.value
    assert "endpoint_id" in str(error)  # the misfit is reported
    shown = f"{error} {error!r} {error.body!r}"
    assert secret[-12:] not in shown
