"""Every LiveAvatar REST operation through ``LiveAvatarClient`` against the emulator: what went on the wire (method,
path, query, body, which credential) and what came back (the row's model, its fields as answered); page walks;
LiveAvatar's errors as the library's typed ones; bad arguments refused before anything is sent; and the
namespaces' methods and the table's rows are the same, both ways.

One walk through the whole API (module-scoped: the operations depend on each other's ids) records, per operation,
the arguments, the result and the emulator's log entry; then one test per operation checks them.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Final

import attrs
import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async._converter import json_ready
from heygen_async._liveavatar import _resources
from heygen_async._spec._liveavatar_table import LIVEAVATAR_ENDPOINTS, LIVEAVATAR_ENDPOINTS_BY_NAME
from heygen_async._spec._types import Endpoint
from heygen_async.emulator import Emulator, EmulatorConfig
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID, PUBLIC_VOICES
from heygen_async.liveavatar import _models
from tests.support import ServerFactory, expected_path, fields_match, live_client, live_requests, shown

PREFIX: Final = "/liveavatar"
LINKS: Final = [{"url": "https://example.com/faq", "faq": "Opening hours"}]
NAMESPACES: Final = ("sessions", "avatars", "voices", "contexts", "languages", "users")


@attrs.frozen
class Seen:
    positional: tuple[Any, ...]
    arguments: dict[str, Any]
    result: Any
    entry: dict[str, Any]


def method_of(target: Any, endpoint: Endpoint) -> Any:
    return getattr(getattr(target, endpoint.namespace), endpoint.method)


class Walk:
    """Calls operations through a ``LiveAvatarClient`` and keeps what each sent and got."""

    def __init__(self, live: hg.LiveAvatarClient, emulator: Emulator) -> None:
        self.live = live
        self.emulator = emulator
        self.seen: dict[str, Seen] = {}

    async def __call__(self, operation: str, /, *positional: Any, via: Any = None, **arguments: Any) -> Any:
        endpoint = LIVEAVATAR_ENDPOINTS_BY_NAME[operation]
        before = len(self.emulator.request_log)
        target = method_of(self.live, endpoint) if via is None else getattr(via, endpoint.method)
        result = await target(*positional, **arguments)
        entries = [e for e in self.emulator.request_log[before:] if e.get("route") == endpoint.key]
        assert len(entries) == 1, (operation, entries)
        named = inspect.signature(target).bind(*positional, **arguments).arguments  # session_id of stop is positional
        named.pop("options", None)
        self.seen[operation] = Seen(positional, dict(named), result, entries[0])
        return result


async def walk_everything(call: Walk) -> None:
    live = call.live
    minted = await call(
        "sessions.token",
        avatar_id=LITE_AVATAR_ID,
        mode="LITE",
        video_settings={"quality": "low", "encoding": "VP8"},
        max_session_duration=600,
    )
    assert minted.session_token
    await call("sessions.start", via=live.with_session_token(minted.session_token))
    session_id = minted.session_id
    await call("sessions.keep_alive", session_id)
    await call("sessions.list", type="active", page=1, page_size=5)
    await call("sessions.get", session_id)
    await call("sessions.transcript", session_id, start_timestamp=0)
    await call("sessions.stop", session_id, reason="USER_CLOSED")

    mine = await call("avatars.list", page=1, page_size=1)
    await call("avatars.list_public", page=1, page_size=2)
    await call("avatars.get", LITE_AVATAR_ID)
    await call("avatars.update", mine[0].id, name="Renamed", default_voice_id=PUBLIC_VOICES[1]["id"])
    await call("avatars.delete", mine[0].id)

    private = await call("voices.list", voice_type="private", page=1, page_size=10)
    await call("voices.get", PUBLIC_VOICES[0]["id"])
    await call("voices.update", private[0].id, name="Mine")
    await call("voices.preview", PUBLIC_VOICES[0]["id"])
    await call("voices.delete", private[0].id)

    context = await call("contexts.create", name="Shop", prompt="You sell shoes.", opening_text="Hi!", links=LINKS)
    await call("contexts.list", page=1, page_size=10)
    await call("contexts.get", context.id)
    await call("contexts.update", context.id, opening_text="Hello!", links=LINKS)
    await call("contexts.delete", context.id)

    await call("languages.list")
    await call("users.credits")


async def run_walk() -> dict[str, Seen]:
    async with live_client() as (emulator, live):
        call = Walk(live, emulator)
        await walk_everything(call)
        return call.seen


@pytest.fixture(scope="module")
def walked() -> dict[str, Seen]:
    return asyncio.run(run_walk())


def test_the_walk_calls_every_operation(walked: dict[str, Seen]) -> None:
    assert set(walked) == set(LIVEAVATAR_ENDPOINTS_BY_NAME)


@pytest.mark.parametrize("endpoint", LIVEAVATAR_ENDPOINTS, ids=lambda e: f"{e.namespace}.{e.method}")
def test_operation_sends_its_arguments_and_parses_its_answer(walked: dict[str, Seen], endpoint: Endpoint) -> None:
    seen = walked[f"{endpoint.namespace}.{endpoint.method}"]
    keyword = {k: v for k, v in seen.arguments.items() if v is not None}
    entry = seen.entry
    assert entry["route"] == endpoint.key
    assert entry["status"] < 300
    assert entry["path"] == expected_path(endpoint, seen.positional, PREFIX)
    query = {p.name: shown(keyword[p.name]) for p in endpoint.params if p.location == "query" and p.name in keyword}
    assert entry["query"] == query
    body = {p.name: keyword[p.name] for p in endpoint.params if p.location == "body" and p.name in keyword}
    assert entry.get("body", {}) == json_ready(body)
    # Only the start takes the session token; everything else goes with the API key, and never both.
    assert entry["auth"] == (["bearer"] if endpoint.key == "POST /v1/sessions/start" else ["key"])
    model = getattr(_models, endpoint.result)
    assert isinstance(seen.result, model)
    if isinstance(seen.result, hg.ListModel):
        items = seen.result.raw if isinstance(seen.result.raw, list) else seen.result.raw[seen.result._items]
        assert len(seen.result) == len(items) > 0
        for item, raw in zip(seen.result, items, strict=True):
            fields_match(item, raw)
    else:
        fields_match(seen.result, seen.result.raw)


# -- pages --------------------------------------------------------------------------------------------------------


async def test_iter_all_walks_every_page_number() -> None:
    """Five contexts, two a page: ``iter_all`` asks for pages 1, 2 and 3 and yields each context once, in order."""
    async with live_client() as (emulator, live):
        made = [(await live.contexts.create(name=f"C{n}", prompt="p", opening_text="o")).id for n in range(5)]
        before = len(live_requests(emulator, "GET /v1/contexts"))
        walked = [context.id async for context in live.contexts.iter_all(page_size=2)]
        pages = live_requests(emulator, "GET /v1/contexts")[before:]
    assert walked == made
    assert [entry["query"] for entry in pages] == [{"page_size": "2", "page": str(n)} for n in (1, 2, 3)]


async def test_iter_all_of_sessions_lists_every_active_one() -> None:
    """``sessions.iter_all(type="active")`` over more sessions than a page holds yields each once."""
    async with live_client() as (emulator, live):
        minted = [await live.sessions.token(avatar_id=LITE_AVATAR_ID, mode="LITE") for _ in range(3)]
        for one in minted:
            assert one.session_token is not None
            await live.with_session_token(one.session_token).start()
        listed = [summary.id async for summary in live.sessions.iter_all(type="active", page_size=2)]
        assert len(live_requests(emulator, "GET /v1/sessions")) == 2
    assert sorted(map(str, listed)) == sorted(str(one.session_id) for one in minted)


# -- errors -------------------------------------------------------------------------------------------------------


async def test_a_422_names_the_parameter_liveavatar_refused() -> None:
    """A rule only LiveAvatar checks (a FULL session needs a persona) comes back as FastAPI's 422 ``detail``: a
    BadRequestError whose ``param`` and text name the field and say LiveAvatar's reason."""
    async with live_client(max_retries=0) as (_, live):
        with pytest.raises(hg.BadRequestError) as caught:
            await live.sessions.token(avatar_id=LITE_AVATAR_ID, mode="FULL")
    error = caught.value
    assert error.status_code == 422
    assert error.param == "avatar_persona"
    assert "avatar_persona: Field required" in str(error)
    assert "(parameter avatar_persona)" in str(error)


async def test_a_422_with_several_problems_names_the_first_and_says_each(serve: ServerFactory) -> None:
    """Problems at nested places read dotted (``video_settings.quality``, ``links[0].url``), the first is the
    ``param``, and the whole ``detail`` stays in ``body``."""
    detail = [
        {"loc": ["body", "video_settings", "quality"], "msg": "Input should be 'high' or 'low'", "type": "enum"},
        {"loc": ["body", "links", 0, "url"], "msg": "Field required", "type": "missing"},
        {"loc": ["query", "page"], "msg": "Input should be greater than 0", "type": "greater_than"},
    ]

    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"detail": detail}, status=422)

    app = web.Application()
    app.router.add_post("/heygen/v1/contexts", refuse)
    async with hg.LiveAvatarClient("la_k", base_url=await serve(app), max_retries=0) as live:
        with pytest.raises(hg.BadRequestError) as caught:
            await live.contexts.create(name="n", prompt="p", opening_text="o")
    error = caught.value
    assert error.param == "video_settings.quality"
    assert error.error_message == (
        "video_settings.quality: Input should be 'high' or 'low'; links[0].url: Field required; "
        "page: Input should be greater than 0"
    )
    assert error.body == {"detail": detail}


async def test_a_wrong_api_key_is_an_authentication_error() -> None:
    config = EmulatorConfig(liveavatar_api_keys=frozenset({"la_the-right-key"}))
    async with (
        Emulator(config) as emulator,
        hg.LiveAvatarClient("la_a-wrong-key", base_url=emulator.liveavatar_url) as live,
    ):
        with pytest.raises(hg.AuthenticationError) as caught:
            await live.users.credits()
    assert caught.value.status_code == 401


async def test_a_start_with_a_wrong_session_token_is_an_authentication_error() -> None:
    async with live_client() as (emulator, live):
        with pytest.raises(hg.AuthenticationError):
            await live.with_session_token("not-a-session-token").start()
        (entry,) = live_requests(emulator, "POST /v1/sessions/start")
    assert entry["auth"] == ["bearer"]


async def test_an_unknown_id_is_not_found() -> None:
    async with live_client() as (_, live):
        with pytest.raises(hg.NotFoundError) as caught:
            await live.avatars.get("00000000-0000-4000-8000-000000000000")
    assert caught.value.status_code == 404


@pytest.mark.parametrize("code", [100, 1000])
async def test_both_success_codes_are_successes(code: int) -> None:
    """LiveAvatar's OpenAPI document says 100, its web SDK checks 1000: an answer with either is a result."""
    async with live_client(EmulatorConfig(liveavatar_success_code=code)) as (emulator, live):
        credits = await live.users.credits()
        (entry,) = live_requests(emulator, "GET /v1/users/credits")
    assert entry["status"] == 200
    assert credits.credits is not None


# -- refused before sending ---------------------------------------------------------------------------------------

BAD_CALLS: Final[list[tuple[str, dict[str, Any], str]]] = [
    ("sessions.token", {"avatar_id": 123}, "avatar_id"),
    ("sessions.token", {"avatar_id": LITE_AVATAR_ID, "mode": "MEDIUM"}, "mode"),
    ("sessions.token", {"avatar_id": LITE_AVATAR_ID, "is_sandbox": "yes"}, "is_sandbox"),
    ("sessions.token", {"avatar_id": LITE_AVATAR_ID, "video_settings": {"quality": "ultra"}}, "video_settings"),
    ("sessions.token", {"avatar_id": LITE_AVATAR_ID, "max_session_duration": 0}, "max_session_duration"),
    ("sessions.token", {"avatar_id": None}, "avatar_id"),
    ("sessions.stop", {"session_id": "s", "reason": "BORED"}, "reason"),
    ("sessions.list", {"type": "all"}, "type"),
    ("sessions.list", {"type": "active", "page": 0}, "page"),
    ("sessions.list", {"type": "active", "page_size": 101}, "page_size"),
    ("avatars.update", {"avatar_id": "a", "name": "x" * 256}, "name"),
    ("voices.list", {"voice_type": "shared"}, "voice_type"),
    ("contexts.create", {"name": "n", "prompt": None, "opening_text": "o"}, "prompt"),
    ("contexts.create", {"name": "n", "prompt": "p", "opening_text": "o", "links": "https://x"}, "links"),
]


@pytest.mark.parametrize(("operation", "arguments", "parameter"), BAD_CALLS, ids=lambda v: str(v)[:40])
async def test_bad_arguments_are_refused_before_anything_is_sent(
    operation: str, arguments: dict[str, Any], parameter: str
) -> None:
    endpoint = LIVEAVATAR_ENDPOINTS_BY_NAME[operation]
    async with live_client() as (emulator, live):
        path = [arguments.pop(p.name) for p in endpoint.params if p.location == "path" and p.name in arguments]
        with pytest.raises(hg.ValidationError) as caught:
            await method_of(live, endpoint)(*path, **arguments)
        assert live_requests(emulator) == []
    assert caught.value.parameter is not None
    assert caught.value.parameter.split(".")[0].split("[")[0] == parameter


async def test_a_call_on_a_closed_client_sends_nothing() -> None:
    async with live_client() as (emulator, live):
        await live.aclose()
        with pytest.raises(hg.ClientClosedError):
            await live.users.credits()
        assert live_requests(emulator) == []


# -- the namespaces are the table ---------------------------------------------------------------------------------

RESOURCE_CLASSES: Final = {
    "sessions": _resources.SessionsResource,
    "avatars": _resources.AvatarsResource,
    "voices": _resources.VoicesResource,
    "contexts": _resources.ContextsResource,
    "languages": _resources.LanguagesResource,
    "users": _resources.UsersResource,
}
CALL_OPTIONS: Final = {"self", "options"}


def operations_of(cls: type) -> dict[str, Any]:
    """A namespace's operations: its public coroutine functions (``iter_all``, an async generator, is not one)."""
    return {
        name: function
        for name, function in vars(cls).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(function)
    }


def test_the_namespaces_methods_are_the_tables_rows_both_ways() -> None:
    live = hg.LiveAvatarClient("la_k")
    assert {e.namespace for e in LIVEAVATAR_ENDPOINTS} == set(NAMESPACES) == set(RESOURCE_CLASSES)
    for namespace in NAMESPACES:
        assert type(getattr(live, namespace)) is RESOURCE_CLASSES[namespace]
    methods = {f"{ns}.{name}" for ns, cls in RESOURCE_CLASSES.items() for name in operations_of(cls)}
    assert methods == set(LIVEAVATAR_ENDPOINTS_BY_NAME)


@pytest.mark.parametrize("endpoint", LIVEAVATAR_ENDPOINTS, ids=lambda e: f"{e.namespace}.{e.method}")
def test_each_methods_parameters_are_its_rows(endpoint: Endpoint) -> None:
    """The same names, both ways; a path parameter (and the session a session call is about) is positional, the
    rest keyword-only; a required one has no default, an optional one defaults to None; the docstring names the
    route."""
    function = operations_of(RESOURCE_CLASSES[endpoint.namespace])[endpoint.method]
    signature = inspect.signature(function)
    declared = {name: p for name, p in signature.parameters.items() if name not in CALL_OPTIONS}
    assert set(declared) == {p.name for p in endpoint.params}
    for param in endpoint.params:
        parameter = declared[param.name]
        if param.location == "path" or (endpoint.namespace, param.name) == ("sessions", "session_id"):
            assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, param.name
        else:
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, param.name
        if param.required:
            assert parameter.default is inspect.Parameter.empty, param.name
        else:
            assert parameter.default is None, param.name
    assert signature.parameters["options"].kind is inspect.Parameter.VAR_KEYWORD
    assert f"``{endpoint.http_method} {endpoint.path}``" in (inspect.getdoc(function) or "")


def test_each_paged_list_has_an_iterator_over_its_pages() -> None:
    paged = [e for e in LIVEAVATAR_ENDPOINTS if e.pagination == "page"]
    assert {f"{e.namespace}.{e.method}" for e in paged} >= {"sessions.list", "avatars.list", "contexts.list"}
    for endpoint in paged:
        cls = RESOURCE_CLASSES[endpoint.namespace]
        name = "iter_all" if endpoint.method == "list" else endpoint.method.replace("list_", "iter_")
        iterator = getattr(cls, name, None)
        assert inspect.isasyncgenfunction(iterator), endpoint.key
        names = set(inspect.signature(iterator).parameters) - CALL_OPTIONS
        assert names == {p.name for p in endpoint.params} - {"page"}, endpoint.key
