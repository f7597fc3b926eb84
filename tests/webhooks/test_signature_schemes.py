"""Signature schemes: BodySignature (today's default) and TimestampedSignature (a signed timestamp within a
tolerance window), rotation, pluggable schemes, and errors that never echo a secret or a digest."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

import heygen_async as hg
from heygen_async import webhooks
from tests.support import body_of

SECRET = "whsec_Timestamped-secret-0123456789"
OLD_SECRET = "whsec_the-one-before-rotation"
NOW = 1_750_000_000  # a Unix time: every check here is against an explicit now, never this machine's clock
BODY = body_of(url="https://r/v1.mp4")


def hexmac(secret: str, message: bytes) -> str:
    """An independent HMAC-SHA256, to compare the library against."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def refusal(headers: Any, *, now: float = NOW, scheme: Any = None, secret: Any = SECRET) -> hg.InvalidSignatureError:
    with pytest.raises(hg.InvalidSignatureError) as caught:
        webhooks.verify(BODY, headers, secret, scheme=scheme or webhooks.TimestampedSignature(), now=now)
    return caught.value


def test_sign_timestamped_signs_the_timestamp_a_dot_and_the_body() -> None:
    headers = webhooks.sign_timestamped(BODY, SECRET, NOW)
    assert headers == {"Heygen-Signature": hexmac(SECRET, f"{NOW}.".encode() + BODY), "Heygen-Timestamp": str(NOW)}
    body_only = webhooks.TimestampedSignature(payload=webhooks.BODY_ONLY)
    assert webhooks.sign_timestamped(BODY, SECRET, NOW, event_id="evt_1", scheme=body_only) == {
        "Heygen-Signature": webhooks.sign(BODY, SECRET),
        "Heygen-Timestamp": str(NOW),
        "Heygen-Event-Id": "evt_1",
    }


@pytest.mark.parametrize("offset", [0, 1, 299, 300, -299, -300])
def test_a_delivery_stamped_inside_the_window_is_accepted(offset: int) -> None:
    webhooks.verify(
        BODY,
        webhooks.sign_timestamped(BODY, SECRET, NOW),
        SECRET,
        scheme=webhooks.TimestampedSignature(),
        now=NOW + offset,
    )


@pytest.mark.parametrize(
    ("offset", "words"), [(301, "301 s old"), (86_400, "86400 s old"), (-301, "301 s in the future")]
)
def test_a_delivery_stamped_outside_the_window_is_refused_as_stale(offset: int, words: str) -> None:
    error = refusal(webhooks.sign_timestamped(BODY, SECRET, NOW), now=NOW + offset)
    assert error.reason == "stale"
    assert words in str(error)
    assert "300 s tolerance" in str(error)


def test_a_millisecond_timestamp_is_read_as_milliseconds() -> None:
    headers = webhooks.sign_timestamped(BODY, SECRET, NOW * 1000 + 250)
    scheme = webhooks.TimestampedSignature()
    webhooks.verify(BODY, headers, SECRET, scheme=scheme, now=NOW)
    webhooks.verify(BODY, headers, SECRET, scheme=scheme, now=NOW + 300)
    error = refusal(headers, now=NOW + 301)
    assert (error.reason, "301 s old" in str(error)) == ("stale", True)


def test_the_tolerance_is_configurable() -> None:
    headers = webhooks.sign_timestamped(BODY, SECRET, NOW)
    strict = webhooks.TimestampedSignature(tolerance=5)
    webhooks.verify(BODY, headers, SECRET, scheme=strict, now=NOW + 5)
    assert refusal(headers, now=NOW + 6, scheme=strict).reason == "stale"


def test_a_fresh_timestamp_on_a_captured_delivery_is_refused() -> None:
    """The default payload signs the stamp: a replay cannot move it into the window."""
    captured = webhooks.sign_timestamped(BODY, SECRET, NOW)
    replayed = {**captured, "Heygen-Timestamp": str(NOW + 3600)}
    assert refusal(replayed, now=NOW + 3600).reason == "mismatch"


def test_a_wrong_secret_is_refused_inside_the_window_and_outside_it() -> None:
    headers = webhooks.sign_timestamped(BODY, "whsec_someone-else", NOW)
    assert refusal(headers).reason == "mismatch"
    assert refusal(headers, now=NOW + 10_000).reason == "mismatch"  # the signature is checked before the window


def test_a_tampered_body_is_refused() -> None:
    headers = webhooks.sign_timestamped(BODY, SECRET, NOW)
    with pytest.raises(hg.InvalidSignatureError) as caught:
        webhooks.verify(BODY + b" ", headers, SECRET, scheme=webhooks.TimestampedSignature(), now=NOW)
    assert caught.value.reason == "mismatch"


@pytest.mark.parametrize(
    "scheme",
    [
        webhooks.TimestampedSignature(),
        webhooks.TimestampedSignature(payload=webhooks.BODY_ONLY),
        webhooks.BodySignature(),
    ],
    ids=["timestamped", "timestamped-body-only", "body"],
)
def test_any_of_several_secrets_verifies_during_rotation(scheme: Any) -> None:
    for signer in (OLD_SECRET, SECRET):
        if isinstance(scheme, webhooks.TimestampedSignature):
            headers = webhooks.sign_timestamped(BODY, signer, NOW, scheme=scheme)
        else:
            headers = {"Signature": webhooks.sign(BODY, signer)}
        webhooks.verify(BODY, headers, [OLD_SECRET, SECRET], scheme=scheme, now=NOW)
        webhooks.verify(BODY, headers, (SECRET.encode(), OLD_SECRET), scheme=scheme, now=NOW)
        with pytest.raises(hg.InvalidSignatureError):
            webhooks.verify(BODY, headers, ["whsec_a-third-one"], scheme=scheme, now=NOW)


def test_an_emulator_style_v3_delivery_verifies_with_the_body_only_payload() -> None:
    """The body's HMAC (``sign``) in Heygen-Signature, Unix seconds in Heygen-Timestamp, an event id."""
    headers = {
        "Heygen-Signature": webhooks.sign(BODY, SECRET),
        "Heygen-Timestamp": str(NOW),
        "Heygen-Event-Id": "evt_9",
    }
    body_only = webhooks.TimestampedSignature(payload=webhooks.BODY_ONLY)
    webhooks.verify(BODY, headers, SECRET, scheme=body_only, now=NOW + 12)
    assert refusal(headers, now=NOW + 400, scheme=body_only).reason == "stale"
    assert refusal(headers).reason == "mismatch"  # the default payload signs the stamp too
    webhooks.verify(BODY, headers, SECRET, now=NOW)  # and the default scheme reads Heygen-Signature as well


def test_a_signed_event_id_is_covered_by_the_signature_and_becomes_the_events_id() -> None:
    scheme = webhooks.TimestampedSignature(payload="{event_id}.{timestamp}.{body}")
    headers = webhooks.sign_timestamped(BODY, SECRET, NOW, event_id="evt_1", scheme=scheme)
    assert headers["Heygen-Signature"] == hexmac(SECRET, f"evt_1.{NOW}.".encode() + BODY)
    event = webhooks.construct_event(BODY, headers, SECRET, scheme=scheme, now=NOW)
    assert (event.event_id, event.job_id, event.verified) == ("evt_1", "v1", True)
    assert refusal({**headers, "Heygen-Event-Id": "evt_2"}, scheme=scheme).reason == "mismatch"
    missing = {name: value for name, value in headers.items() if name != "Heygen-Event-Id"}
    assert refusal(missing, scheme=scheme).reason == "missing"
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.sign_timestamped(BODY, SECRET, NOW, scheme=scheme)
    assert caught.value.parameter == "event_id"


def test_an_event_id_the_signature_does_not_cover_is_not_the_events_id() -> None:
    """Anyone replaying a delivery can change such a header: it must not make the copy look like a new event."""
    body_only = webhooks.TimestampedSignature(payload=webhooks.BODY_ONLY)
    headers = webhooks.sign_timestamped(BODY, SECRET, NOW, event_id="evt_1", scheme=body_only)
    assert webhooks.construct_event(BODY, headers, SECRET, scheme=body_only, now=NOW).event_id is None
    signed_body = b'{"event_id":"evt_in_body","event_type":"avatar_video.success","event_data":{"video_id":"v1"}}'
    headers = webhooks.sign_timestamped(signed_body, SECRET, NOW, event_id="evt_1", scheme=body_only)
    assert webhooks.construct_event(signed_body, headers, SECRET, scheme=body_only, now=NOW).event_id == "evt_in_body"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"Heygen-Timestamp": str(NOW)}, "missing"),
        ({"Signature": "0" * 64, "Heygen-Timestamp": str(NOW)}, "missing"),
        ({"Heygen-Signature": "0" * 64}, "missing"),
        ({"Heygen-Signature": "not-hex", "Heygen-Timestamp": str(NOW)}, "malformed"),
        ({"Heygen-Signature": "0" * 64, "Heygen-Timestamp": "yesterday"}, "malformed"),
        ({"Heygen-Signature": "0" * 64, "Heygen-Timestamp": "-5"}, "malformed"),
        ({"Heygen-Signature": "0" * 64, "Heygen-Timestamp": "1.7e9"}, "malformed"),
        ({"Heygen-Signature": "0" * 64, "Heygen-Timestamp": "9" * 40}, "malformed"),
        ([(b"heygen-signature", b"0" * 64), (b"heygen-timestamp", b"1"), (b"heygen-timestamp", b"2")], "malformed"),
    ],
    ids=[
        "nothing",
        "no-signature",
        "only-the-legacy-header",
        "no-timestamp",
        "signature-not-hex",
        "timestamp-not-a-number",
        "negative-timestamp",
        "exponent",
        "absurdly-long",
        "two-timestamps",
    ],
)
def test_a_missing_or_malformed_header_is_refused_by_name(headers: Any, reason: str) -> None:
    error = refusal(headers)
    assert error.reason == reason
    assert "Heygen-" in str(error)


def test_a_decimal_timestamp_is_accepted() -> None:
    stamp = f"{NOW}.5"
    headers = {"Heygen-Signature": hexmac(SECRET, f"{stamp}.".encode() + BODY), "Heygen-Timestamp": stamp}
    webhooks.verify(BODY, headers, SECRET, scheme=webhooks.TimestampedSignature(), now=NOW)


def test_header_names_are_configurable_and_case_insensitive() -> None:
    scheme = webhooks.TimestampedSignature(signature_header="X-Sig", timestamp_header="X-Time")
    headers = webhooks.sign_timestamped(BODY, SECRET, NOW, scheme=scheme)
    assert set(headers) == {"X-Sig", "X-Time"}
    lowered = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    webhooks.verify(BODY, lowered, SECRET, scheme=scheme, now=NOW)
    assert scheme.signature_headers == ("X-Sig",)


def test_the_secret_and_the_digests_never_appear_in_errors_or_reprs() -> None:
    good = webhooks.sign_timestamped(BODY, SECRET, NOW)
    expected = good["Heygen-Signature"]
    forged = webhooks.sign_timestamped(BODY, "whsec_forger", NOW)
    cases = [(forged, NOW), (good, NOW + 999), ({**good, "Heygen-Timestamp": "x"}, NOW), ({}, NOW)]
    for headers, now in cases:
        error = refusal(headers, now=now)
        text = str(error) + repr(error) + repr(error.args)
        for secret_text in (SECRET, expected, forged["Heygen-Signature"], SECRET.encode().hex()):
            assert secret_text not in text
    scheme = webhooks.TimestampedSignature()
    receiver = webhooks.WebhookReceiver(SECRET, scheme=scheme)
    for text in (repr(scheme), repr(receiver), repr(webhooks.BodySignature())):
        assert SECRET not in text


class StaticToken:
    """A scheme of the user's own: the secret itself in a header (only to show that any scheme plugs in)."""

    signature_headers = ("X-Token",)

    def verify(self, raw_body: bytes, headers: webhooks.Headers, secrets: webhooks.Secret, now: float) -> None:
        assert isinstance(headers, dict)
        token = headers.get("X-Token", "").encode()
        if not any(hmac.compare_digest(token, key) for key in (secrets if isinstance(secrets, tuple) else ())):
            raise hg.InvalidSignatureError("the token does not match", reason="mismatch")


def test_a_scheme_of_ones_own_plugs_into_verify() -> None:
    assert isinstance(StaticToken(), webhooks.SignatureScheme)
    assert isinstance(webhooks.TimestampedSignature(), webhooks.SignatureScheme)
    webhooks.verify(BODY, {"X-Token": SECRET}, SECRET, scheme=StaticToken())
    with pytest.raises(hg.InvalidSignatureError):
        webhooks.verify(BODY, {"X-Token": "guess"}, SECRET, scheme=StaticToken())


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"tolerance": 0}, "tolerance"),
        ({"tolerance": -1}, "tolerance"),
        ({"tolerance": float("inf")}, "tolerance"),
        ({"tolerance": True}, "tolerance"),
        ({"tolerance": "300"}, "tolerance"),
        ({"signature_header": ""}, "signature_header"),
        ({"timestamp_header": None}, "timestamp_header"),
        ({"event_id_header": 5}, "event_id_header"),
        ({"payload": "{timestamp}"}, "payload"),
        ({"payload": "{body}.{body}"}, "payload"),
        ({"payload": "{nonce}.{body}"}, "payload"),
        ({"payload": "{timestamp}.{timestamp}.{body}"}, "payload"),
        ({"payload": "{body:>10}"}, "payload"),
        ({"payload": "{body!r}"}, "payload"),
        ({"payload": "{body"}, "payload"),
        ({"payload": "{}.{body}"}, "payload"),
        ({"payload": b"{body}"}, "payload"),
    ],
)
def test_bad_scheme_options_are_refused_by_name(options: dict[str, Any], parameter: str) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.TimestampedSignature(**options)
    assert caught.value.parameter == parameter


@pytest.mark.parametrize("headers", ["", [], [""], [None]])
def test_a_body_signature_needs_header_names(headers: Any) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.BodySignature(headers)
    assert caught.value.parameter == "headers"


def test_a_scheme_and_header_names_together_are_refused() -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.verify(BODY, {}, SECRET, header="Signature", scheme=webhooks.BodySignature())
    assert caught.value.parameter == "header"
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.verify(BODY, {}, SECRET, scheme=object())  # type: ignore[arg-type]
    assert caught.value.parameter == "scheme"


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"timestamp": 1.5}, "timestamp"),
        ({"timestamp": -1}, "timestamp"),
        ({"timestamp": True}, "timestamp"),
        ({"event_id": ""}, "event_id"),
        ({"event_id": "with space"}, "event_id"),
        ({"scheme": webhooks.BodySignature()}, "scheme"),
        ({"secret": ""}, "secret"),
    ],
)
def test_sign_timestamped_refuses_bad_arguments_by_name(arguments: dict[str, Any], parameter: str) -> None:
    call: dict[str, Any] = {"secret": SECRET, "timestamp": NOW, **arguments}
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.sign_timestamped(BODY, **call)
    assert caught.value.parameter == parameter


@pytest.mark.parametrize("now", [float("nan"), float("inf"), "now", True])
def test_now_must_be_a_finite_unix_time(now: Any) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.verify(
            BODY, webhooks.sign_timestamped(BODY, SECRET, NOW), SECRET, scheme=webhooks.TimestampedSignature(), now=now
        )
    assert caught.value.parameter == "now"
