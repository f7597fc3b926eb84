"""Webhook signatures: HMAC-SHA256, keyed with the endpoint's secret, as hex in a header; the scheme is pluggable.

HeyGen documents this thinly (see the project's reference notes), and not at all for v3. The default,
:class:`BodySignature`, is what its legacy guide describes: the HMAC of the raw body in ``Signature``
(``X-HeyGen-Signature`` or ``Heygen-Signature`` in third-party receivers, so all three are read, case-insensitive,
and the names are configurable). :class:`TimestampedSignature` reads ``Heygen-Signature`` with a
``Heygen-Timestamp`` header, as some v3 receivers do, and refuses a delivery whose timestamp is outside a
tolerance window; what its HMAC covers (``{timestamp}.{body}``, the body alone, or with the event id) is a
template. Any object with :class:`SignatureScheme`'s two members plugs in.
A ``sha256=`` prefix is tolerated, several comma-separated signatures are tried, and several secrets may be
given (rotation). Only raw bytes are ever verified: JSON parsed and serialised again rarely has the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import string
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Protocol, TypeAlias, runtime_checkable

import attrs

from heygen_async._exceptions import InvalidSignatureError, ValidationError

__all__ = [
    "BODY_ONLY",
    "DEFAULT_SIGNATURE_HEADERS",
    "TIMESTAMP_AND_BODY",
    "BodySignature",
    "Headers",
    "Secret",
    "SignatureScheme",
    "TimestampedSignature",
    "header_values",
    "scheme_of",
    "secrets_of",
    "sign",
    "sign_timestamped",
    "signed_event_id",
    "verify",
]

DEFAULT_SIGNATURE_HEADERS: Final = ("Signature", "X-HeyGen-Signature", "Heygen-Signature")
"""Read in this order; the first one present on the delivery is checked."""
TIMESTAMP_AND_BODY: Final = "{timestamp}.{body}"
"""What :class:`TimestampedSignature` signs by default: the timestamp header's text, a dot, the raw body."""
BODY_ONLY: Final = "{body}"
"""The raw body alone: the timestamp is checked against the window but not covered by the signature."""

Secret: TypeAlias = "str | bytes | Sequence[str | bytes]"
Headers: TypeAlias = "Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]]"

_MAX_HEADER: Final = 4096  # a header longer than this is not a list of a few hex digests
_MAX_CANDIDATES: Final = 8
_HEX: Final = frozenset("0123456789abcdef")
_DIGEST_HEX_LEN: Final = 64
_TIMESTAMP: Final = re.compile(r"[0-9]{1,16}(\.[0-9]{1,9})?")
_MILLISECONDS_FROM: Final = 1e11  # 10^11 s is the year 5138; 10^11 ms is 1973: larger stamps are milliseconds
_PLACEHOLDERS: Final = frozenset({"timestamp", "body", "event_id"})
_EVENT_ID: Final = re.compile(r"[\x21-\x7e]{1,256}")  # printable ASCII: what a signed id can be written as


@runtime_checkable
class SignatureScheme(Protocol):
    """How a delivery is signed: which headers carry the signature, and how to check it.

    :class:`BodySignature` (the default) and :class:`TimestampedSignature` are the two this library ships;
    another scheme plugs into :func:`verify` and :class:`WebhookReceiver` as ``scheme=``. A scheme whose
    signature also covers an event-id header may name it in a ``signed_event_id_header`` attribute: that id
    then becomes the event's ``event_id``, which de-duplication prefers (an id the signature does not cover
    could be changed by whoever replays a delivery, so it is never used).
    """

    @property
    def signature_headers(self) -> tuple[str, ...]:
        """The headers that carry a signature: a delivery with none of them is unsigned."""
        ...

    def verify(self, raw_body: bytes, headers: Headers, secrets: Secret, now: float) -> None:
        """Return if ``raw_body`` and ``headers`` were signed with one of ``secrets`` (``now`` is the Unix
        time, for schemes with a window); else raise :class:`InvalidSignatureError`, whose text never holds
        a secret, the signature received or the one expected."""
        ...


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


def _header_names(value: Any, parameter: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, (list, tuple)) else ()
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ValidationError("expected a header name or a list of them", parameter=parameter)
    return names


def _as_header_names(value: Any) -> tuple[str, ...]:
    return _header_names(value, "headers")


def _a_header_name(_: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError("expected a header name", parameter=attribute.name)


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


def _offered(headers: Headers, names: tuple[str, ...]) -> list[bytes]:
    """The digests the first of ``names`` present offers; InvalidSignatureError if none is or it is malformed."""
    values = header_values(headers, names)
    if not values:
        raise InvalidSignatureError(f"the delivery has no {' or '.join(names)} header", reason="missing")
    offered = _candidates(values)
    if not offered:
        raise InvalidSignatureError(
            f"the {names[0]} header is not a hex HMAC-SHA256 digest (64 hex digits, optionally sha256=...)",
            reason="malformed",
        )
    return offered


def _check(keys: tuple[bytes, ...], message: bytes, offered: list[bytes], what: str) -> None:
    good = False
    for key in keys:
        expected = hmac.new(key, message, hashlib.sha256).hexdigest().encode("ascii")
        for candidate in offered:
            # No early exit: how long this takes does not depend on where a candidate stops matching.
            good |= hmac.compare_digest(expected, candidate)
    if not good:
        raise InvalidSignatureError(
            f"the signature does not match the {what} under any configured secret", reason="mismatch"
        )


@attrs.frozen
class BodySignature:
    """Hex HMAC-SHA256 of the raw body in the first of ``headers`` present (the default scheme)."""

    headers: tuple[str, ...] = attrs.field(default=DEFAULT_SIGNATURE_HEADERS, converter=_as_header_names)

    @property
    def signature_headers(self) -> tuple[str, ...]:
        return self.headers

    def verify(self, raw_body: bytes, headers: Headers, secrets: Secret, now: float = 0.0) -> None:
        """See :meth:`SignatureScheme.verify`; ``now`` is not used (nothing here expires)."""
        body = _raw_body(raw_body)
        keys = secrets_of(secrets)
        _check(keys, body, _offered(headers, self.headers), "raw body")


def _template(payload: Any) -> tuple[tuple[str, str | None], ...]:
    """``payload`` as (literal text, placeholder or None) pairs; a ValidationError unless it names ``{body}``
    once and otherwise only ``{timestamp}`` and ``{event_id}``, each at most once, with no format spec."""
    parsed: list[tuple[str, str | None, str | None, str | None]] | None = None
    if isinstance(payload, str):
        try:
            parsed = list(string.Formatter().parse(payload))
        except ValueError:  # an unmatched brace
            parsed = None
    names = [name for _, name, _, _ in parsed or () if name is not None]
    if (
        parsed is None
        or any(spec or conversion for _, _, spec, conversion in parsed)
        or names.count("body") != 1
        or not _PLACEHOLDERS.issuperset(names)
        or len(set(names)) != len(names)
    ):
        raise ValidationError(
            "expected the signed payload as a template naming {body} once and otherwise only {timestamp} and "
            "{event_id}, each at most once: '{timestamp}.{body}', '{body}', '{event_id}.{timestamp}.{body}'",
            parameter="payload",
        )
    return tuple((text, name) for text, name, _, _ in parsed)


def _tolerance(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValidationError("must be a positive number of seconds", parameter="tolerance")
    return float(value)


@attrs.frozen
class TimestampedSignature:
    """Hex HMAC-SHA256 of ``payload`` in ``signature_header``, and a ``timestamp_header`` within ``tolerance``.

    ``payload`` says what was signed: the default ``"{timestamp}.{body}"`` (the timestamp header's text, a
    dot, the raw body) makes a captured delivery useless once its window has passed; ``"{body}"``
    (:data:`BODY_ONLY`) is what some v3 receivers check, where the window only refuses deliveries stamped
    long ago (the stamp itself is not signed); ``{event_id}`` adds ``event_id_header``'s value, and then
    the receiver may de-duplicate by it. Timestamps are Unix seconds, or milliseconds from 10^11 on;
    one further than ``tolerance`` seconds from ``now`` either way is refused (reason ``"stale"``).
    """

    signature_header: str = attrs.field(default="Heygen-Signature", validator=_a_header_name)
    timestamp_header: str = attrs.field(default="Heygen-Timestamp", validator=_a_header_name)
    tolerance: float = attrs.field(default=300.0, converter=_tolerance)
    payload: str = attrs.field(default=TIMESTAMP_AND_BODY)
    event_id_header: str = attrs.field(default="Heygen-Event-Id", validator=_a_header_name)
    _parts: tuple[tuple[str, str | None], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_parts", _template(self.payload))

    @property
    def signature_headers(self) -> tuple[str, ...]:
        return (self.signature_header,)

    @property
    def signed_event_id_header(self) -> str | None:
        """The event-id header the signature covers (the payload names ``{event_id}``), else None."""
        return self.event_id_header if any(name == "event_id" for _, name in self._parts) else None

    def _message(self, raw_body: bytes, timestamp: str, event_id: str | None) -> bytes:
        """The bytes the HMAC is taken of: ``payload`` with the values filled in."""
        values = {"body": raw_body, "timestamp": timestamp.encode("ascii")}
        if event_id is not None:
            values["event_id"] = event_id.encode("ascii")
        pieces = []
        for text, name in self._parts:
            pieces.append(text.encode())
            if name is not None:
                pieces.append(values[name])
        return b"".join(pieces)

    def verify(self, raw_body: bytes, headers: Headers, secrets: Secret, now: float) -> None:
        """See :meth:`SignatureScheme.verify`. The signature is checked before the window, so ``"stale"``
        means a delivery signed with a configured secret, stamped too far from ``now``."""
        body = _raw_body(raw_body)
        keys = secrets_of(secrets)
        if isinstance(now, bool) or not isinstance(now, (int, float)) or not math.isfinite(now):
            raise ValidationError("must be the current Unix time in seconds", parameter="now")
        offered = _offered(headers, (self.signature_header,))
        stamps = header_values(headers, (self.timestamp_header,))
        if not stamps:
            raise InvalidSignatureError(f"the delivery has no {self.timestamp_header} header", reason="missing")
        stamp = stamps[0].strip()
        if len(stamps) > 1 or not _TIMESTAMP.fullmatch(stamp):
            raise InvalidSignatureError(
                f"the {self.timestamp_header} header is not one Unix time in seconds or milliseconds",
                reason="malformed",
            )
        event_id = None
        if self.signed_event_id_header is not None:
            ids = header_values(headers, (self.event_id_header,))
            if not ids:
                raise InvalidSignatureError(f"the delivery has no {self.event_id_header} header", reason="missing")
            if len(ids) > 1 or not _EVENT_ID.fullmatch(ids[0].strip()):
                raise InvalidSignatureError(
                    f"the {self.event_id_header} header is not one id of printable ASCII", reason="malformed"
                )
            event_id = ids[0].strip()
        _check(keys, self._message(body, stamp, event_id), offered, "signed payload")
        seconds = float(stamp)
        if seconds >= _MILLISECONDS_FROM:
            seconds /= 1000.0
        skew = now - seconds
        if abs(skew) > self.tolerance:
            when = f"{skew:.0f} s old" if skew > 0 else f"{-skew:.0f} s in the future"
            raise InvalidSignatureError(
                f"the delivery's {self.timestamp_header} is {when}, outside the {self.tolerance:g} s tolerance "
                "(a replayed delivery, or a clock that is off)",
                reason="stale",
            )


def sign(raw_body: bytes | bytearray | memoryview, secret: str | bytes) -> str:
    """The signature HeyGen sends for ``raw_body``: hex HMAC-SHA256 keyed with ``secret`` (for tests and tools)."""
    (key,) = secrets_of(secret)
    return hmac.new(key, _raw_body(raw_body), hashlib.sha256).hexdigest()


def sign_timestamped(
    raw_body: bytes | bytearray | memoryview,
    secret: str | bytes,
    timestamp: int,
    *,
    event_id: str | None = None,
    scheme: TimestampedSignature | None = None,
) -> dict[str, str]:
    """The headers of a delivery of ``raw_body`` signed under ``scheme`` (default: ``TimestampedSignature()``),
    stamped ``timestamp`` (Unix seconds or milliseconds), with ``event_id`` if given: for tests and tools."""
    scheme = TimestampedSignature() if scheme is None else scheme
    if not isinstance(scheme, TimestampedSignature):
        raise ValidationError("expected a TimestampedSignature", parameter="scheme")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValidationError("expected a Unix time as a non-negative int", parameter="timestamp")
    if event_id is not None and (not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id)):
        raise ValidationError("expected 1 to 256 printable ASCII characters", parameter="event_id")
    if event_id is None and scheme.signed_event_id_header is not None:
        raise ValidationError("the scheme's payload signs {event_id}: pass one", parameter="event_id")
    (key,) = secrets_of(secret)
    message = scheme._message(_raw_body(raw_body), str(timestamp), event_id)
    headers = {
        scheme.signature_header: hmac.new(key, message, hashlib.sha256).hexdigest(),
        scheme.timestamp_header: str(timestamp),
    }
    if event_id is not None:
        headers[scheme.event_id_header] = event_id
    return headers


def verify(
    raw_body: bytes | bytearray | memoryview,
    headers: Headers,
    secret: Secret,
    *,
    header: str | Sequence[str] | None = None,
    scheme: SignatureScheme | None = None,
    now: float | None = None,
) -> None:
    """Check that ``raw_body`` was signed with ``secret``; raise :class:`InvalidSignatureError` if not.

    ``headers`` are the delivery's headers (any mapping, or ASGI's ``(name, value)`` pairs). ``scheme`` says
    how deliveries are signed (:class:`BodySignature` by default); ``header`` is the short way to name the
    signature header (or names, first present wins, case-insensitive) of the default scheme. ``now`` (Unix
    seconds, default the system clock) is for schemes with a window. Comparison is in constant time. There
    is no return value to forget to check: returning at all means the signature is good.
    """
    scheme_of(scheme, header, "header").verify(
        _raw_body(raw_body), headers, secrets_of(secret), time.time() if now is None else now
    )


def signed_event_id(scheme: SignatureScheme, headers: Headers) -> str | None:
    """The event id in the header ``scheme``'s signature covers (after it verified), else None."""
    name = getattr(scheme, "signed_event_id_header", None)
    values = header_values(headers, (name,)) if isinstance(name, str) and name else []
    value = values[0].strip() if len(values) == 1 else ""
    return value if _EVENT_ID.fullmatch(value) else None


def scheme_of(scheme: Any, header: Any, parameter: str) -> SignatureScheme:
    """``scheme``, or the default scheme reading ``header``; a ValidationError if both are given."""
    if scheme is None:
        return BodySignature() if header is None else BodySignature(_header_names(header, parameter))
    if header is not None:
        raise ValidationError(
            f"pass either {parameter}= (the default scheme's header names) or scheme=, not both",
            parameter=parameter,
        )
    if not isinstance(scheme, SignatureScheme):
        raise ValidationError(
            "expected a SignatureScheme: a signature_headers property and verify(raw_body, headers, secrets, now)",
            parameter="scheme",
        )
    return scheme
