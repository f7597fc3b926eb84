"""Webhook signatures: HMAC-SHA256 of the raw body, keyed with the endpoint's secret, as hex in a header.

HeyGen documents this thinly (see the project's reference notes): the header is ``Signature`` in its guide, and
``X-HeyGen-Signature`` or ``Heygen-Signature`` in third-party receivers, so all three are read by default
(case-insensitive) and the names are configurable.
A ``sha256=`` prefix is tolerated, several comma-separated signatures are tried, and several secrets may be
given (rotation). Only raw bytes are ever verified: JSON parsed and serialised again rarely has the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypeAlias

from heygen_async._exceptions import InvalidSignatureError, ValidationError

__all__ = ["DEFAULT_SIGNATURE_HEADERS", "Headers", "Secret", "header_values", "secrets_of", "sign", "verify"]

DEFAULT_SIGNATURE_HEADERS: Final = ("Signature", "X-HeyGen-Signature", "Heygen-Signature")
"""Read in this order; the first one present on the delivery is checked."""

Secret: TypeAlias = "str | bytes | Sequence[str | bytes]"
Headers: TypeAlias = "Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]]"

_MAX_HEADER: Final = 4096  # a header longer than this is not a list of a few hex digests
_MAX_CANDIDATES: Final = 8
_HEX: Final = frozenset("0123456789abcdef")
_DIGEST_HEX_LEN: Final = 64


def secrets_of(secret: Any, *, parameter: str = "secret") -> tuple[bytes, ...]:
    """``secret`` as a tuple of non-empty byte strings, or a ValidationError naming what is wrong."""
    items = [secret] if isinstance(secret, (str, bytes)) else secret
    if not isinstance(items, (list, tuple)) or not items:
        raise ValidationError(
            "expected the endpoint's secret: a non-empty str or bytes, or a list of them (rotation)",
            parameter=parameter,
        )
    keys = []
    for item in items:
        if isinstance(item, str):
            item = item.encode()
        if isinstance(item, bytes):
            item = item.strip()  # a secret read from a file or an env var often ends in a newline
        if not isinstance(item, bytes) or not item:
            raise ValidationError("every secret must be a non-empty str or bytes", parameter=parameter)
        keys.append(item)
    return tuple(keys)


def _raw_body(raw_body: Any) -> bytes:
    if isinstance(raw_body, bytes):
        return raw_body
    if isinstance(raw_body, (bytearray, memoryview)):
        return bytes(raw_body)
    raise ValidationError(
        f"expected the delivery's raw body as bytes, got {type(raw_body).__name__}: verify the bytes received "
        "(aiohttp: await request.read(); ASGI frameworks: await request.body()), never parsed or re-serialised JSON",
        parameter="raw_body",
    )


def header_values(headers: Any, names: Sequence[str]) -> list[str]:
    """Every value of the first of ``names`` (case-insensitive) present in ``headers``.

    ``headers`` is a mapping (dict, aiohttp's CIMultiDict, Starlette's Headers) or ASGI's raw list of
    ``(name, value)`` byte pairs.
    """
    wanted = [name.lower() for name in names]
    found: dict[str, list[str]] = {}
    if isinstance(headers, Mapping):
        getall = getattr(headers, "getall", None)
        for key in headers:
            lowered = (key.decode("latin-1") if isinstance(key, bytes) else str(key)).lower()
            if lowered in wanted and lowered not in found:
                values = getall(key, []) if callable(getall) else [headers[key]]
                found[lowered] = [_text(value) for value in values]
    elif isinstance(headers, Iterable) and not isinstance(headers, (str, bytes)):
        for pair in headers:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValidationError("expected headers as a mapping or (name, value) pairs", parameter="headers")
            lowered = _text(pair[0]).lower()
            if lowered in wanted:
                found.setdefault(lowered, []).append(_text(pair[1]))
    else:
        raise ValidationError("expected headers as a mapping or (name, value) pairs", parameter="headers")
    for name in wanted:
        if name in found:
            return found[name]
    return []


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


def _candidates(values: list[str]) -> list[bytes]:
    """The hex digests a header offers (``sha256=`` prefixes dropped); empty if it offers none well-formed."""
    found: list[bytes] = []
    for value in values:
        if len(value) > _MAX_HEADER:
            continue
        for part in value.replace(" ", ",").split(","):
            part = part.strip()
            if part[:7].lower() == "sha256=":
                part = part[7:]
            part = part.lower()
            if len(part) == _DIGEST_HEX_LEN and _HEX.issuperset(part):
                found.append(part.encode("ascii"))
            if len(found) >= _MAX_CANDIDATES:
                return found
    return found


def sign(raw_body: bytes | bytearray | memoryview, secret: str | bytes) -> str:
    """The signature HeyGen sends for ``raw_body``: hex HMAC-SHA256 keyed with ``secret`` (for tests and tools)."""
    (key,) = secrets_of(secret)
    return hmac.new(key, _raw_body(raw_body), hashlib.sha256).hexdigest()


def verify(
    raw_body: bytes | bytearray | memoryview,
    headers: Headers,
    secret: Secret,
    *,
    header: str | Sequence[str] = DEFAULT_SIGNATURE_HEADERS,
) -> None:
    """Check that ``raw_body`` was signed with ``secret``; raise :class:`InvalidSignatureError` if not.

    ``headers`` are the delivery's headers (any mapping, or ASGI's ``(name, value)`` pairs); ``header`` the
    name (or names, first present wins) of the signature header, case-insensitive. Comparison is in constant
    time. There is no return value to forget to check: returning at all means the signature is good.
    """
    body = _raw_body(raw_body)
    keys = secrets_of(secret)
    names = (header,) if isinstance(header, str) else tuple(header)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ValidationError("expected a header name or a list of them", parameter="header")
    values = header_values(headers, names)
    if not values:
        raise InvalidSignatureError(f"the delivery has no {' or '.join(names)} header", reason="missing")
    offered = _candidates(values)
    if not offered:
        raise InvalidSignatureError(
            f"the {names[0]} header is not a hex HMAC-SHA256 digest (64 hex digits, optionally sha256=...)",
            reason="malformed",
        )
    good = False
    for key in keys:
        expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode("ascii")
        for candidate in offered:
            # No early exit: how long this takes does not depend on where a candidate stops matching.
            good |= hmac.compare_digest(expected, candidate)
    if not good:
        raise InvalidSignatureError(
            "the signature does not match the raw body under any configured secret", reason="mismatch"
        )
