"""Decoding responses: the gateway's wrapper, HeyGen's envelopes, and every error shape, in one place.

Success bodies arrive as HeyGen's v1 ``{"code": 100, "data", "message"}`` or v2 ``{"error": null, "data"}``,
through the gateway wrapped once more as the seed's ``{"data": <HeyGen body>}`` or the open-source
gateway's ``{"message", "provider", "result": <HeyGen body>, "response_headers"}``.

Error bodies arrive as the seed's ``{"data": {"error": {"message", "code"}}}``, the gateway's
``{"message", "provider", "error": <HeyGen body>, "headers"}``, HeyGen v1 ``{"code", "message"}`` or v2
``{"data": null, "error": {"code", "message"}}``, LiveAvatar's 422 ``{"detail": [{"loc", "msg", ...}]}`` (the
first offending parameter becomes the error's ``param``); a body that is not JSON at all (an HTML 502 page, an empty
or truncated body) becomes a typed error with a short excerpt, never a ``JSONDecodeError``.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from heygen_async._exceptions import (
    APIResponseError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientCreditError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from heygen_async._redact import Redactor

__all__ = ["DEFAULT_SUCCESS_CODES", "LIVEAVATAR_SUCCESS_CODES", "decode_envelope", "is_route_miss", "parse_retry_after"]

_NOT_JSON: Final = object()
_EXCERPT: Final = 200
_DETAIL_SHOWN: Final = 5
"""A 422's problems said in the error's text; the rest are counted (all of them stay in ``body``)."""
_LOCATIONS: Final = frozenset({"body", "query", "path", "header"})
_SCRUBBED_BODY_MAX: Final = 1 << 20
"""An error body larger than this (bytes) is kept as an excerpt, so scrubbing it stays cheap."""
DEFAULT_SUCCESS_CODES: Final = frozenset({100, "100", "success", "SUCCESS", "Success"})
LIVEAVATAR_SUCCESS_CODES: Final = DEFAULT_SUCCESS_CODES | {1000, "1000"}
"""LiveAvatar's: its OpenAPI document says 100, its own web SDK takes 1000 as success; both are."""

# HeyGen's codes that say more than the HTTP status (errors page; v3 error codes).
_AUTH_CODES: Final = frozenset({40009, 400101, 400112, 401056, 401057, "unauthorized", "invalid_api_key"})
_PERMISSION_CODES: Final = frozenset({400561, 400562, 400573, 400599, 400631, "forbidden", "resource_access_denied"})
_CREDIT_CODES: Final = frozenset({"insufficient_credit", "insufficient_credits"})
_RATE_CODES: Final = frozenset({"rate_limit_exceeded", "too_many_requests"})
_NOT_FOUND_CODES: Final = frozenset({"not_found", "resource_not_found"})
_STATUS_CLASSES: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}
_REQUEST_ID_HEADERS: Final = ("x-request-id", "request-id", "x-amzn-requestid", "x-amz-cf-id", "trace-id")


_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = vars(json.JSONDecoder())["scan_once"]
"""The C scanner ``json.loads`` ends in, called directly for the common answer (a UTF-8 object or array)."""


def _loads(raw: bytes) -> Any:
    """``raw`` as JSON, or ``_NOT_JSON``. An answer that starts with ``{`` or ``[`` and decodes as strict UTF-8
    is scanned at once (no encoding detection, no wrapper calls); anything else, or anything that fails that
    way, goes through ``json.loads``, which decides (the same value, or the same refusal)."""
    if raw[:1] in (b"{", b"["):
        try:
            text = raw.decode()
            value, end = _SCAN(text, 0)
        except (ValueError, StopIteration, RecursionError):
            pass
        else:
            if end == len(text) or not text[end:].strip(" \t\n\r"):  # json.loads's whitespace only
                return value
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _NOT_JSON


def _is_heygen_envelope(value: Any) -> bool:
    return isinstance(value, dict) and ("code" in value or "error" in value or "data" in value)


def _is_gateway_wrapper(body: dict[str, Any]) -> bool:
    return "provider" in body and ("result" in body or "error" in body)


def decode_envelope(
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    gateway: bool,
    endpoint: str,
    redactor: Redactor,
    success_codes: frozenset[Any] = DEFAULT_SUCCESS_CODES,
) -> Any:
    """HeyGen's ``data`` for a successful answer; raise the matching :class:`APIStatusError` otherwise.
    ``success_codes``: the envelope ``code`` values that mean success (LiveAvatar's add 1000)."""
    body = _loads(raw) if raw else _NOT_JSON
    if not 200 <= status < 300:
        raise _status_error(status, headers, body, raw, endpoint=endpoint, redactor=redactor)
    if body is _NOT_JSON:
        if not raw and status == 204:
            return None
        excerpt = redactor.excerpt(raw, _EXCERPT)
        what = "an empty body" if not raw else f"a body that is not JSON: {excerpt!r}"
        raise APIResponseError(
            f"{endpoint} answered HTTP {status} with {what}",
            endpoint=endpoint,
            status_code=status,
            body=excerpt,
        )
    payload = body
    if gateway and type(payload) is dict:
        if "provider" in payload and _is_gateway_wrapper(payload):
            if "result" not in payload:
                raise _status_error(status, headers, body, raw, endpoint=endpoint, redactor=redactor)
            payload = payload["result"]
        elif len(payload) == 1 and type(inner := payload.get("data")) is dict and _is_heygen_envelope(inner):
            payload = inner
    if type(payload) is not dict:
        return payload
    if "code" in payload:
        code = payload["code"]
        if isinstance(code, (int, str)) and code in success_codes:
            return payload.get("data")
        raise _status_error(status, headers, body, raw, endpoint=endpoint, redactor=redactor)
    if "error" in payload:
        if payload["error"] in (None, {}, "", []):
            return payload.get("data")
        raise _status_error(status, headers, body, raw, endpoint=endpoint, redactor=redactor)
    if len(payload) == 1 and "data" in payload:
        return payload["data"]
    return payload


def is_route_miss(status: int, raw: bytes) -> bool:
    """Whether a 404 came from the gateway not knowing the route, rather than from HeyGen.

    A 404 that HeyGen produced comes back through the gateway with ``"provider"`` set; that means "no such
    resource" and must not trigger the old-format fallback. Anything else may be a route miss. The caller
    only remembers a format once an answer other than 404 confirms it, so a wrong guess here costs one
    extra request, never a wrong memory.
    """
    if status != 404:
        return False
    body = _loads(raw) if raw else _NOT_JSON
    return not (isinstance(body, dict) and body.get("provider"))


def _v3_details(body: Any) -> tuple[str | None, str | None]:
    """``(param, doc_url)`` of a v3 error (``{"error": {"code", "message", "param", "doc_url"}}``)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    param, doc_url = error.get("param"), error.get("doc_url")
    return (param if isinstance(param, str) else None), (doc_url if isinstance(doc_url, str) else None)


def _validation_details(body: Any) -> tuple[str | None, str | None]:
    """``(param, message)`` of a FastAPI 422 (LiveAvatar's): ``{"detail": [{"loc": ["body", "avatar_id"], "msg":
    "Field required"}, ...]}`` names its first parameter (dotted, ``video_settings.quality``, ``links[0].url``)
    and says every problem, each after its parameter; ``(None, None)`` for any other shape."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list):
        return None, None
    params: list[str | None] = []
    problems: list[str] = []
    for problem in detail[:_DETAIL_SHOWN]:
        if not isinstance(problem, dict):
            continue
        loc = problem.get("loc")
        parts = (
            [part for part in loc if isinstance(part, (str, int)) and not isinstance(part, bool)]
            if isinstance(loc, list)
            else []
        )
        if parts and parts[0] in _LOCATIONS:
            parts = parts[1:]
        name = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).lstrip(".") or None
        msg = problem.get("msg")
        text = msg if isinstance(msg, str) and msg else "invalid"
        params.append(name)
        problems.append(f"{name}: {text}" if name else text)
    if not problems:
        return None, None
    more = len(detail) - _DETAIL_SHOWN
    message = "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
    return next((name for name in params if name), None), message


def _error_details(body: Any) -> tuple[Any, str | None, Any]:
    """``(code, message, forwarded_headers)`` from any known error shape."""
    code: Any = None
    message: str | None = None
    forwarded: Any = None
    gateway_message: str | None = None
    node = body
    if isinstance(node, dict) and _is_gateway_wrapper(node):
        forwarded = node.get("headers") or node.get("response_headers")
        if isinstance(node.get("message"), str):
            gateway_message = node["message"]
        node = node.get("error", node.get("result"))
    if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("data"), dict):
        node = node["data"]
    if isinstance(node, dict):
        error = node.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            message = _first_text(error, ("message", "detail", "msg"))
        elif isinstance(error, str) and error:
            message = error
        if code is None:
            code = node.get("code")
        if message is None:
            message = _first_text(node, ("message", "msg", "detail"))
    elif isinstance(node, str) and node:
        message = node
    if isinstance(code, (dict, list, float, bool)):
        code = None
    return code, message or gateway_message, forwarded


def _first_text(node: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = node.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _classify(status: int, code: Any) -> type[APIStatusError]:
    if status >= 500:
        return ServerError
    if status in (401, 402, 403, 404, 409, 429):
        return _STATUS_CLASSES[status]
    if not isinstance(code, (int, str)):
        code = None
    if code in _AUTH_CODES:
        return AuthenticationError
    if code in _PERMISSION_CODES:
        return PermissionDeniedError
    if code in _CREDIT_CODES:
        return InsufficientCreditError
    if code in _RATE_CODES:
        return RateLimitError
    if code in _NOT_FOUND_CODES:
        return NotFoundError
    if 200 <= status < 300 or status in (400, 422):
        return BadRequestError
    return APIStatusError


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    if not isinstance(headers, Mapping):
        return None
    value = headers.get(name)
    if value is None:
        for key, item in headers.items():
            if isinstance(key, str) and key.lower() == name:
                value = item
                break
    if isinstance(value, list) and value:
        value = value[0]
    return None if value is None else str(value)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date; None if unparseable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def retry_after_from(headers: Any, forwarded: Any) -> float | None:
    """``Retry-After`` from the response headers, or from HeyGen's headers the gateway put in its body."""
    for source in (headers, forwarded):
        ms = _header(source, "retry-after-ms")
        if ms is not None:
            parsed = parse_retry_after(ms)
            if parsed is not None:
                return parsed / 1000.0
        parsed = parse_retry_after(_header(source, "retry-after"))
        if parsed is not None:
            return parsed
    return None


def _status_error(
    status: int,
    headers: Mapping[str, str],
    body: Any,
    raw: bytes,
    *,
    endpoint: str,
    redactor: Redactor,
) -> APIStatusError:
    param = doc_url = None
    if body is _NOT_JSON:
        code, message, forwarded = None, None, None
        kept: Any = redactor.excerpt(raw, _EXCERPT)
        detail = f"a non-JSON body: {kept!r}" if raw else "an empty body"
    else:
        code, message, forwarded = _error_details(body)
        param, doc_url = _v3_details(body)
        if param is None and message is None:
            param, message = _validation_details(body)
        if isinstance(code, str):
            code = redactor.text(code)
        try:
            kept = redactor.json(body) if len(raw) <= _SCRUBBED_BODY_MAX else redactor.excerpt(raw, _EXCERPT)
        except RecursionError:  # nested deeper than scrubbing can walk (json.loads went a little deeper)
            kept = redactor.excerpt(raw, _EXCERPT)
        detail = redactor.text(message) if message else "no message"
    request_id = None
    for name in _REQUEST_ID_HEADERS:
        request_id = _header(headers, name) or _header(forwarded, name)
        if request_id:
            break
    cls = _classify(status, code)
    text = f"{endpoint} failed with HTTP {status}: {detail}"
    if code is not None:
        text += f" (code {code})"
    if param is not None:
        param = redactor.text(param)
        text += f" (parameter {param})"
    if request_id:
        request_id = redactor.text(request_id)
        text += f" [request id {request_id}]"
    return cls(
        text,
        endpoint=endpoint,
        status_code=status,
        code=code,
        error_message=redactor.text(message) if message else None,
        request_id=request_id,
        body=kept,
        headers=redactor.headers(headers),
        retry_after=retry_after_from(headers, forwarded),
        param=param,
        doc_url=redactor.text(doc_url) if doc_url is not None else None,
    )
