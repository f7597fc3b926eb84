"""Every success and error shape the gateway and HeyGen send, decoded by one decoder."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aioresponses import aioresponses
from hypothesis import given, settings, strategies as st

import heygen_async as hg
from heygen_async._transport._envelope import _NOT_JSON as NOT_JSON, _loads
from tests.support import BASE, TOKEN

AVATARS = re.compile(r"^http://gateway\.test/heygen/v2/avatars\?.*$")
PAYLOAD = {"avatars": [{"avatar_id": "Angela-inTshirt-20220820", "avatar_name": "Angela in T-shirt"}]}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"data": {"error": None, "data": PAYLOAD}}, id="seed-wrapper-v2"),
        pytest.param({"data": {"code": 100, "data": PAYLOAD, "message": "Success"}}, id="seed-wrapper-v1"),
        pytest.param(
            {
                "message": "Request completed",
                "provider": "heygen",
                "result": {"error": None, "data": PAYLOAD},
                "response_headers": {"content-type": "application/json"},
            },
            id="oss-gateway-v2",
        ),
        pytest.param(
            {
                "message": "Success",
                "provider": "heygen",
                "result": {"code": 100, "data": PAYLOAD, "message": "Success", "msg": None},
                "response_headers": {},
            },
            id="oss-gateway-v1",
        ),
        pytest.param({"code": 100, "data": PAYLOAD, "message": "Success"}, id="bare-v1"),
        pytest.param({"code": "SUCCESS", "data": PAYLOAD}, id="bare-v1-SUCCESS"),
        pytest.param({"error": None, "data": PAYLOAD}, id="bare-v2"),
        pytest.param({"error": {}, "data": PAYLOAD}, id="bare-v2-empty-error"),
    ],
)
async def test_success_envelopes_unwrap_to_heygen_data(
    client: hg.HeyGenClient, mocked: aioresponses, body: dict[str, Any]
) -> None:
    mocked.get(AVATARS, payload=body)
    assert await client.request("GET", "/v2/avatars") == PAYLOAD


async def test_direct_mode_reads_heygen_envelopes_without_gateway_unwrapping(mocked: aioresponses) -> None:
    mocked.get("https://api.heygen.com/v1/video.list", payload={"code": 100, "data": {"videos": []}, "message": "ok"})
    mocked.get("https://api.heygen.com/v2/avatars", payload={"data": {"error": None, "data": 1}})
    async with hg.HeyGenClient.direct(heygen_api_key="hg-key-xyz") as client:
        assert await client.request("GET", "/v1/video.list") == {"videos": []}
        # Without a gateway, a lone "data" key is HeyGen's (v3-style) envelope: unwrapped once, not twice.
        assert await client.request("GET", "/v2/avatars") == {"error": None, "data": 1}


async def test_no_content_is_none(client: hg.HeyGenClient, mocked: aioresponses) -> None:
    mocked.delete(re.compile(r".*/v1/video\.delete.*"), status=204, body=b"")
    assert await client.request("DELETE", "/v1/video.delete", params={"video_id": "v1"}) is None


ERROR_SHAPES: list[Any] = [
    pytest.param(
        400,
        {"data": {"error": {"message": "video_inputs is invalid", "code": "invalid_parameter"}}},
        hg.BadRequestError,
        "invalid_parameter",
        "video_inputs is invalid",
        id="seed-error",
    ),
    pytest.param(
        400,
        {
            "message": "Error received from the heygen API",
            "provider": "heygen",
            "error": {"data": None, "error": {"code": "invalid_parameter", "message": "dimension is invalid"}},
            "headers": {"x-request-id": "req-gw-1"},
        },
        hg.BadRequestError,
        "invalid_parameter",
        "dimension is invalid",
        id="gateway-wrapping-v2",
    ),
    pytest.param(
        400,
        {
            "message": "Error received from the heygen API",
            "provider": "heygen",
            "error": {"code": 40039, "message": "Invalid text input"},
            "headers": {},
        },
        hg.BadRequestError,
        40039,
        "Invalid text input",
        id="gateway-wrapping-v1",
    ),
    pytest.param(
        400,
        {"message": "Error received from the heygen API", "provider": "heygen", "error": "plain text", "headers": {}},
        hg.BadRequestError,
        None,
        "plain text",
        id="gateway-wrapping-text",
    ),
    pytest.param(
        400, {"code": 40001, "message": "Missing params"}, hg.BadRequestError, 40001, "Missing params", id="v1"
    ),
    pytest.param(
        400,
        {"data": None, "error": {"code": "invalid_parameter", "message": "video_inputs is invalid: field required"}},
        hg.BadRequestError,
        "invalid_parameter",
        "video_inputs is invalid: field required",
        id="v2",
    ),
    pytest.param(401, {"code": 40009, "message": "Invalid credentials"}, hg.AuthenticationError, 40009, None, id="401"),
    pytest.param(
        400, {"code": 400112, "message": "Unauthorized"}, hg.AuthenticationError, 400112, None, id="auth-code-on-400"
    ),
    pytest.param(
        401,
        {"message": "A valid API token is required to access this API.", "provider": "heygen"},
        hg.AuthenticationError,
        None,
        "A valid API token is required to access this API.",
        id="gateway-401",
    ),
    pytest.param(
        402,
        {"error": {"code": "insufficient_credit", "message": "Not enough credits"}},
        hg.InsufficientCreditError,
        "insufficient_credit",
        None,
        id="402",
    ),
    pytest.param(
        400,
        {"error": {"code": "insufficient_credit", "message": "x"}},
        hg.InsufficientCreditError,
        None,
        None,
        id="credit-code-on-400",
    ),
    pytest.param(
        403, {"code": 400573, "message": "Permission denied"}, hg.PermissionDeniedError, 400573, None, id="403"
    ),
    pytest.param(
        400, {"code": 400599, "message": "Tier not supported"}, hg.PermissionDeniedError, 400599, None, id="plan-code"
    ),
    pytest.param(
        404, {"data": None, "error": {"code": "not_found", "message": "gone"}}, hg.NotFoundError, None, None, id="404"
    ),
    pytest.param(
        429, {"error": {"code": "rate_limit_exceeded", "message": "slow down"}}, hg.RateLimitError, None, None, id="429"
    ),
    pytest.param(500, {"code": 500, "message": "Internal error"}, hg.ServerError, 500, "Internal error", id="500"),
    pytest.param(
        200, {"code": 40119, "message": "Video is too long"}, hg.BadRequestError, 40119, None, id="v1-error-on-200"
    ),
    pytest.param(
        200,
        {"data": None, "error": {"code": "invalid_parameter", "message": "bad"}},
        hg.BadRequestError,
        "invalid_parameter",
        "bad",
        id="v2-error-on-200",
    ),
    pytest.param(
        200,
        {"message": "failed", "provider": "heygen", "error": {"code": 401056, "message": "expired"}},
        hg.AuthenticationError,
        401056,
        "expired",
        id="gateway-error-on-200",
    ),
    pytest.param(
        409,
        {"data": None, "error": {"code": "conflict", "message": "busy"}},
        hg.ConflictError,
        "conflict",
        "busy",
        id="conflict-409",
    ),
    pytest.param(
        418,
        {"data": None, "error": {"code": "teapot", "message": "busy"}},
        hg.APIStatusError,
        "teapot",
        "busy",
        id="other-4xx",
    ),
]


@pytest.mark.parametrize(("status", "body", "error_class", "code", "message"), ERROR_SHAPES)
async def test_error_shapes_raise_the_matching_typed_error(
    client: hg.HeyGenClient,
    mocked: aioresponses,
    status: int,
    body: Any,
    error_class: type[hg.APIStatusError],
    code: Any,
    message: str | None,
) -> None:
    mocked.get(AVATARS, status=status, payload=body)
    with pytest.raises(error_class) as caught:
        await client.request("GET", "/v2/avatars", max_retries=0)
    err = caught.value
    assert type(err) is error_class
    assert err.status_code == status
    assert err.endpoint == "GET /v2/avatars"
    assert err.body == body
    if code is not None:
        assert err.code == code
    if message is not None:
        assert err.error_message == message
        assert message in str(err)
    assert "GET /v2/avatars" in str(err)


async def test_request_id_comes_from_headers_or_the_gateways_forwarded_headers(
    client: hg.HeyGenClient, mocked: aioresponses
) -> None:
    mocked.get(AVATARS, status=400, payload={"code": 1, "message": "x"}, headers={"X-Request-Id": "req-direct"})
    with pytest.raises(hg.BadRequestError) as caught:
        await client.request("GET", "/v2/avatars")
    assert caught.value.request_id == "req-direct"
    assert "req-direct" in str(caught.value)

    mocked.get(
        AVATARS,
        status=400,
        payload={"message": "m", "provider": "heygen", "error": {"code": 1}, "headers": {"X-Request-ID": "req-fwd"}},
    )
    with pytest.raises(hg.BadRequestError) as caught:
        await client.request("GET", "/v2/avatars")
    assert caught.value.request_id == "req-fwd"


@pytest.mark.parametrize(
    ("status", "raw", "error_class", "excerpt"),
    [
        pytest.param(
            502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", hg.ServerError, "502 Bad Gateway", id="html-502"
        ),
        pytest.param(500, b"", hg.ServerError, None, id="empty-500"),
        pytest.param(200, b"", hg.APIResponseError, None, id="empty-200"),
        pytest.param(
            200, b'{"data": {"error": null, "data": {"avat', hg.APIResponseError, '{"data"', id="truncated-200"
        ),
        pytest.param(200, b"\xff\xfe\x00garbage", hg.APIResponseError, None, id="binary-200"),
        pytest.param(400, b"Bad Request", hg.BadRequestError, "Bad Request", id="text-400"),
    ],
)
async def test_non_json_bodies_give_typed_errors_with_an_excerpt(
    mocked: aioresponses, status: int, raw: bytes, error_class: type[hg.APIError], excerpt: str | None
) -> None:
    mocked.get(AVATARS, status=status, body=raw)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, max_retries=0) as client:
        with pytest.raises(error_class) as caught:
            await client.request("GET", "/v2/avatars")
    assert not isinstance(caught.value.__cause__, ValueError)
    if excerpt is not None:
        assert excerpt in str(caught.value)
    if raw == b"":
        assert "empty body" in str(caught.value)


async def test_long_non_json_body_is_cut_to_a_short_excerpt(mocked: aioresponses) -> None:
    mocked.get(AVATARS, status=503, body=b"<html>" + b"x" * 10_000 + b"</html>")
    async with hg.HeyGenClient(TOKEN, base_url=BASE, max_retries=0) as client:
        with pytest.raises(hg.ServerError) as caught:
            await client.request("GET", "/v2/avatars")
    assert len(str(caught.value)) < 400
    assert isinstance(caught.value.body, str)
    assert len(caught.value.body) < 300


@pytest.mark.parametrize(
    ("status", "raw", "error_class"),
    [
        pytest.param(502, b"[" * 20_000 + b"]" * 20_000, hg.ServerError, id="deeply-nested-502"),
        pytest.param(200, b"[" * 20_000 + b"]" * 20_000, hg.APIResponseError, id="deeply-nested-200"),
        pytest.param(200, b'{"code": {"a": 1}, "data": 1}', hg.BadRequestError, id="dict-code"),
        pytest.param(200, b'{"code": [100], "data": 1}', hg.BadRequestError, id="list-code"),
        pytest.param(400, b'{"code": {"a": 1}, "message": "m"}', hg.BadRequestError, id="dict-code-400"),
    ],
)
async def test_hostile_bodies_still_give_typed_errors(
    mocked: aioresponses, status: int, raw: bytes, error_class: type[hg.APIError]
) -> None:
    mocked.get(AVATARS, status=status, body=raw)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, max_retries=0) as client:
        with pytest.raises(error_class):
            await client.request("GET", "/v2/avatars")


def _json_loads_or_not_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return NOT_JSON


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1}',
        b'[1, "x", null]',
        b'{"a":1}\r\n\t ',
        b'{"a":1} x',  # extra data
        b'{"a":1}\x0b',  # not JSON whitespace, though str.isspace() says it is
        b'{"a":1}\xc2\xa0',
        b"{",
        b"[1,",
        b'\xef\xbb\xbf{"a":1}',  # a UTF-8 BOM: json.loads strips it
        b'{"a":"\xed\xa0\x80"}',  # a lone surrogate in UTF-8 form: json.loads lets it through
        b'{"a":"\xff"}',  # not UTF-8
        b'\x00{\x00"\x00a\x00"\x00:\x001\x00}',  # UTF-16-LE without a BOM
        b'{"a":NaN,"b":-Infinity}',
        b'{"a":1e400}',
        b"[" * 100_000,  # nesting past the recursion limit
        b'"text"',
        b"12",
        b"  {}",
    ],
)
def test_an_answer_decodes_exactly_as_json_loads_decides(raw: bytes) -> None:
    """The fast path for UTF-8 objects and arrays gives what json.loads gives, and refuses what it refuses."""
    expected = _json_loads_or_not_json(raw)
    decoded = _loads(raw)
    if expected is NOT_JSON:
        assert decoded is NOT_JSON
    else:
        assert json.dumps(decoded) == json.dumps(expected)


@given(st.binary(max_size=40).map(lambda tail: b"{" + tail) | st.binary(max_size=40).map(lambda tail: b"[" + tail))
@settings(max_examples=300, deadline=None)
def test_any_bytes_after_a_brace_decode_as_json_loads_decides(raw: bytes) -> None:
    expected = _json_loads_or_not_json(raw)
    decoded = _loads(raw)
    assert decoded is NOT_JSON if expected is NOT_JSON else json.dumps(decoded) == json.dumps(expected)
