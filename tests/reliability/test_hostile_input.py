"""Hostile input (issue 10): every parameter of every endpoint, fed garbage through the generated methods.

Driven from the endpoint table: for each endpoint a fully valid call is built, then one parameter at a time
is replaced with something hostile (a wrong type, a huge or unicode string with lone surrogates or control
characters, a path-traversal or query-injection attempt). Endpoints without parameters get hostile
``extra_query`` instead. Each call runs against a real aiohttp server on 127.0.0.1 that records every request,
and must either

* raise :class:`ValidationError` with **nothing** sent, or
* send exactly one request that reaches only its own route: the raw path equals the route's path with each
  value as one percent-encoded segment (or, in the old path format, the template with the value in the
  query), the query has exactly the expected keys and exactly one ``api_token`` (the client's), and the JSON
  body holds exactly the body parameters.

Any other outcome (another exception type, a second request, a changed route, a smuggled key) fails.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings, strategies as st

import heygen_async as hg
from heygen_async._spec._table import ENDPOINTS
from heygen_async._spec._types import Endpoint, Param

TOKEN = "at_hostile-Input-token-0123456789"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64

# -- the recording server ------------------------------------------------------------------------------


@attrs.define
class Recorded:
    method: str
    raw_path: str
    body: bytes


@attrs.define
class Harness:
    loop: asyncio.AbstractEventLoop
    server: TestServer
    clients: dict[str, hg.HeyGenClient]
    requests: list[Recorded]

    def run(
        self, style: str, endpoint: Endpoint, args: dict[str, Any], extra_query: Any = None
    ) -> BaseException | None:
        """Call the generated method; return what it raised (None if it returned)."""
        self.requests.clear()
        method = getattr(getattr(self.clients[style], endpoint.namespace), endpoint.method)
        kwargs = dict(args)
        if extra_query is not None:
            kwargs["extra_query"] = extra_query

        async def go() -> None:
            await method(**kwargs)

        try:
            self.loop.run_until_complete(go())
        except Exception as exc:
            return exc
        return None


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    requests: list[Recorded] = []

    async def record(request: web.Request) -> web.Response:
        requests.append(Recorded(request.method, request.raw_path, await request.read()))
        return web.json_response({"code": 100, "data": {}, "message": "ok"})

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", record)
    loop = asyncio.new_event_loop()  # one loop for the module: the server and clients outlive each example
    server = TestServer(app, host="127.0.0.1")
    # Huge-but-valid values must reach the handler (and be checked), not be cut by the server's line limit.
    loop.run_until_complete(
        server.start_server(access_log=None, max_line_size=4 * 1024 * 1024, max_field_size=64 * 1024)
    )
    base = str(server.make_url("/heygen"))

    async def make(style: Any) -> hg.HeyGenClient:
        return hg.HeyGenClient(TOKEN, base_url=base, path_style=style, retry=hg.RetryPolicy(attempts=1), timeout=10)

    clients = {style: loop.run_until_complete(make(style)) for style in ("new", "old")}
    yield Harness(loop, server, clients, requests)
    for client in clients.values():
        loop.run_until_complete(client.aclose())
    loop.run_until_complete(server.close())
    loop.close()


# -- valid baselines -----------------------------------------------------------------------------------

SCENE = {
    "character": {"type": "avatar", "avatar_id": "avatar_1"},
    "voice": {"type": "text", "input_text": "Hello", "voice_id": "voice_1"},
}
VALID_BY_TYPE: dict[str, Any] = {
    "str": "abc_123-X.y~z",
    "number": 1.0,
    "bool": True,
    "list[str]": ["en", "fr"],
    "object": {"k": "v", "n": 1},
    "Dimension": {"width": 1280, "height": 720},
    "list[VideoInput]": [SCENE],
    "StreamingVoice": {"voice_id": "voice_1"},
    "TemplateVariables": {"name": {"type": "text", "name": "name", "properties": {"content": "Hi"}}},
    "Sdp": {"sdp": "v=0", "type": "answer"},
    "file": PNG,
}


def valid_value(param: Param) -> Any:
    if param.enum is not None:
        return param.enum[0]
    if param.type == "int":
        low = int(param.minimum) if param.minimum is not None else 1
        return max(low, 1) if param.maximum is None or param.maximum >= 1 else low
    if param.name == "content_type":
        return "image/png"
    return VALID_BY_TYPE[param.type]


def baseline(endpoint: Endpoint) -> dict[str, Any]:
    """Every parameter with a valid value (which also satisfies every either-or rule of the table)."""
    return {param.name: valid_value(param) for param in endpoint.params}


# -- hostile values ------------------------------------------------------------------------------------

TRAVERSAL = [
    "..",
    ".",
    "../",
    "../../v1/user/me",
    "..%2F",
    "..%2f..%2fv1%2fuser%2fme",
    "%2e%2e%2f",
    "%2E%2E/",
    "..\\",
    "a/../b",
    "a%2Fb",
    "%252F",
    "..%252F",
    "%00",
    "..;/",
    "\u2215..\u2215",  # division slash
    "\uff0e\uff0e\uff0f",  # fullwidth ../
]
INJECTION = [
    "a&api_token=x",
    "a#b",
    "a?b=c",
    "a&b=c",
    "a=b",
    "a;b=c",
    "a+b",
    "a b",
    "x\r\nX-Injected: 1",
    "api_token=x",
    "a%26api_token%3Dx",
    "&",
    "=",
    "?",
    "#",
    "a?api_token=x#",
]
SURROGATES = ["\ud800", "a\udfffb", "\udc80", "x\ud83d"]
ATTACKS = TRAVERSAL + INJECTION + SURROGATES + ["", " ", "\x00", "\x7f", "\u2028", "\ufeff", "😀", "é" * 3]

_chars = st.characters() | st.integers(0xD800, 0xDFFF).map(chr) | st.integers(0, 0x1F).map(chr)
attacks = st.builds(
    lambda pre, core, post: pre + core + post,
    st.text(_chars, max_size=3),
    st.sampled_from(ATTACKS),
    st.text(_chars, max_size=3),
)
unicode_text = st.text(_chars, max_size=40)
control_text = st.text(
    st.integers(0, 0x1F).map(chr) | st.sampled_from(["\x7f", "\x85", "\u2028", "\u2029", "\u200b"]), min_size=1
)
huge_text = st.builds(
    lambda char, n: char * n, st.sampled_from(["a", "é", "😀", "/", "%", "&"]), st.integers(5_000, 60_000)
)
wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([4301, 5000]).map(lambda digits: 10**digits),  # str() of it raises ValueError
    st.floats(),  # nan and infinities included
    st.binary(max_size=8),
    st.lists(st.integers() | st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
    st.tuples(st.integers()),
    st.sets(st.integers(), max_size=2),
    st.just(object()),
)
hostile = st.one_of(attacks, unicode_text, control_text, huge_text, wrong_types)
hostile_keys = st.one_of(
    attacks,
    unicode_text,
    control_text,
    st.sampled_from(["api_token", "API_Token", "api_token "]),
    st.integers(),
    st.none(),
)
hostile_query = st.dictionaries(hostile_keys, hostile, max_size=3)

# -- what a safe request looks like --------------------------------------------------------------------


def _query_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _pairs(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [(name, _query_text(item)) for item in value if item is not None]
    return [(name, _query_text(value))]


def check_sent(
    harness: Harness, endpoint: Endpoint, style: str, args: dict[str, Any], extra: dict[str, Any] | None = None
) -> None:
    """Exactly one request, on the endpoint's own route, with exactly the expected query and body."""
    assert len(harness.requests) == 1, harness.requests
    request = harness.requests[0]
    assert request.method == endpoint.http_method
    raw_path, _, raw_query = request.raw_path.partition("?")
    assert "#" not in request.raw_path
    path_params = [p for p in endpoint.params if p.location == "path"]
    if style == "old" and path_params:
        expected_path = endpoint.route.old_path
        expected_query = [pair for p in path_params for pair in _pairs(p.name, args[p.name])]
    else:
        expected_path = endpoint.path
        for param in path_params:
            expected_path = expected_path.replace("{" + param.name + "}", quote(str(args[param.name]), safe=""))
        expected_query = []
    assert raw_path == "/heygen" + expected_path, (raw_path, expected_path)
    # One segment per template segment, whatever the value held.
    assert raw_path.count("/") == ("/heygen" + endpoint.path).count("/")

    for param in endpoint.params:
        if param.location == "query":
            expected_query.extend(_pairs(param.name, args.get(param.name)))
    for key, value in (extra or {}).items():
        expected_query.extend(_pairs(key, value))
    expected_query.append(("api_token", TOKEN))
    got = parse_qsl(raw_query, keep_blank_values=True, strict_parsing=True, errors="strict")
    assert Counter(key for key, _ in got) == Counter(key for key, _ in expected_query)
    assert sorted(got) == sorted(expected_query)
    assert [value for key, value in got if key == "api_token"] == [TOKEN]

    if endpoint.host == "upload":
        return
    expected_body = {
        p.name: args[p.name]
        for p in endpoint.params
        if (p.location == "body" or p.also_in_body) and args.get(p.name) is not None
    }
    if expected_body or endpoint.http_method in ("POST", "PATCH", "PUT"):
        assert json.loads(request.body) == json.loads(json.dumps(expected_body))
    else:
        assert request.body == b""


def check_outcome(
    harness: Harness,
    error: BaseException | None,
    endpoint: Endpoint,
    style: str,
    args: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    if isinstance(error, hg.ValidationError):
        assert harness.requests == [], f"{endpoint.qualname}: ValidationError after sending {harness.requests}"
        return
    # The fake server answers {} for everything: a result model or an APIResponseError both mean "sent".
    if error is not None and not isinstance(error, hg.APIResponseError):
        raise AssertionError(f"{endpoint.qualname} raised {type(error).__name__}: {error}") from error
    check_sent(harness, endpoint, style, args, extra)


# -- the tests -----------------------------------------------------------------------------------------

PARAM_CASES = [
    pytest.param(endpoint, param, id=f"{endpoint.qualname}.{param.name}")
    for endpoint in ENDPOINTS
    for param in endpoint.params
]
NO_PARAM_ENDPOINTS = [pytest.param(e, id=e.qualname) for e in ENDPOINTS if not e.params]
PATH_PARAM_CASES = [
    pytest.param(e, p, id=f"{e.qualname}.{p.name}") for e in ENDPOINTS for p in e.params if p.location == "path"
]
QUERY_STR_CASES = [
    pytest.param(e, p, id=f"{e.qualname}.{p.name}")
    for e in ENDPOINTS
    for p in e.params
    if p.location == "query" and p.type == "str"
]
HYPOTHESIS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_the_table_is_covered() -> None:
    assert len(ENDPOINTS) == 48
    assert len(PARAM_CASES) + len(NO_PARAM_ENDPOINTS) >= 48
    assert PATH_PARAM_CASES
    assert QUERY_STR_CASES


@pytest.mark.parametrize("style", ["new", "old"])
@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.qualname) for e in ENDPOINTS])
def test_a_valid_baseline_reaches_its_route(harness: Harness, endpoint: Endpoint, style: str) -> None:
    """The starting point of every hostile case is itself a valid, correctly routed call."""
    args = baseline(endpoint)
    error = harness.run(style, endpoint, args)
    assert error is None or isinstance(error, hg.APIResponseError), error
    check_sent(harness, endpoint, style, args)


@pytest.mark.parametrize(("endpoint", "param"), PARAM_CASES)
@HYPOTHESIS
@given(value=hostile)
def test_hostile_parameter_is_refused_or_sent_safely(
    harness: Harness, endpoint: Endpoint, param: Param, value: Any
) -> None:
    args = {**baseline(endpoint), param.name: value}
    for style in ("new", "old") if param.location == "path" else ("new",):
        error = harness.run(style, endpoint, args)
        check_outcome(harness, error, endpoint, style, args)


@pytest.mark.parametrize("endpoint", NO_PARAM_ENDPOINTS)
@HYPOTHESIS
@given(extra=hostile_query)
def test_hostile_extra_query_is_refused_or_sent_safely(
    harness: Harness, endpoint: Endpoint, extra: dict[str, Any]
) -> None:
    error = harness.run("new", endpoint, {}, extra_query=extra)
    check_outcome(harness, error, endpoint, "new", {}, extra)


@pytest.mark.parametrize("style", ["new", "old"])
@pytest.mark.parametrize(("endpoint", "param"), PATH_PARAM_CASES)
def test_every_traversal_and_injection_in_ids_is_refused_or_one_segment(
    harness: Harness, endpoint: Endpoint, param: Param, style: str
) -> None:
    """The fixed attack list, every entry, in every path parameter (hypothesis only samples it)."""
    refused = 0
    for attack in ATTACKS:
        args = {**baseline(endpoint), param.name: attack}
        error = harness.run(style, endpoint, args)
        check_outcome(harness, error, endpoint, style, args)
        refused += isinstance(error, hg.ValidationError)
    # Everything that could re-route after the gateway decodes the value is refused outright.
    for attack in ("..", "../", "..%2F", "a?b=c", "a#b", "a/../b", "%2e%2e%2f", "\ud800", "\x00"):
        args = {**baseline(endpoint), param.name: attack}
        assert isinstance(harness.run(style, endpoint, args), hg.ValidationError), attack
    assert refused >= len(TRAVERSAL)


@pytest.mark.parametrize(("endpoint", "param"), QUERY_STR_CASES)
def test_query_injection_stays_inside_one_value(harness: Harness, endpoint: Endpoint, param: Param) -> None:
    for attack in INJECTION + TRAVERSAL:
        args = {**baseline(endpoint), param.name: attack}
        error = harness.run("new", endpoint, args)
        assert error is None or isinstance(error, hg.APIResponseError), (attack, error)
        check_sent(harness, endpoint, "new", args)


def test_huge_integers_and_non_finite_numbers_never_escape_as_other_errors(harness: Harness) -> None:
    cases = [
        (endpoint, param, value)
        for endpoint in ENDPOINTS
        for param in endpoint.params
        if param.type in ("int", "number")
        for value in (10**5000, -(10**5000), math.nan, math.inf, -math.inf, 1e308)
    ]
    assert cases
    for endpoint, param, value in cases:
        args = {**baseline(endpoint), param.name: value}
        check_outcome(harness, harness.run("new", endpoint, args), endpoint, "new", args)
