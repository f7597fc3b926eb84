"""webhooks.verify: HMAC-SHA256 of the raw body, constant-time, typed errors that never echo the secret."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from multidict import CIMultiDict

import heygen_async as hg
from heygen_async import webhooks
from tests.support import WEBHOOK_SECRET, body_of, signed_headers

SECRET = "whsec_Sup3r-secret-value-0123456789"
BODY = b'{"event_type":"avatar_video.success","event_data":{"video_id":"v1","url":"https://x/v1.mp4"}}'


def signature(body: bytes = BODY, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_sign_matches_an_independent_hmac() -> None:
    assert webhooks.sign(BODY, SECRET) == signature()
    assert webhooks.sign(BODY, SECRET.encode()) == signature()


@pytest.mark.parametrize(
    "headers",
    [
        {"Signature": signature()},
        {"signature": signature()},
        {"SIGNATURE": signature()},
        CIMultiDict({"Signature": signature()}),
        [(b"signature", signature().encode())],
        [("Signature", signature())],
        {"Signature": "sha256=" + signature()},
        {"Signature": "SHA256=" + signature().upper()},
        {"X-HeyGen-Signature": signature()},
        {"Heygen-Signature": signature()},
        [(b"heygen-signature", signature().encode())],
        {"Signature": f"{'0' * 64}, {signature()}"},
    ],
    ids=[
        "dict",
        "lower",
        "upper",
        "cimultidict",
        "asgi-bytes",
        "pairs",
        "sha256-prefix",
        "upper-hex",
        "fallback-header",
        "heygen-signature",
        "heygen-signature-asgi-lower",
        "several",
    ],
)
def test_a_valid_delivery_verifies(headers: Any) -> None:
    for body in (BODY, bytearray(BODY), memoryview(BODY)):
        webhooks.verify(body, headers, SECRET)  # returns only when the signature is good


def test_the_first_configured_header_present_is_the_one_checked() -> None:
    """With both headers present, ``Signature`` decides: a good fallback cannot rescue a bad primary."""
    headers = {"Signature": "0" * 64, "X-HeyGen-Signature": signature()}
    with pytest.raises(hg.InvalidSignatureError) as caught:
        webhooks.verify(BODY, headers, SECRET)
    assert caught.value.reason == "mismatch"


def test_the_header_name_is_configurable() -> None:
    webhooks.verify(BODY, {"X-Custom-Sig": signature()}, SECRET, header="x-custom-sig")
    with pytest.raises(hg.InvalidSignatureError) as caught:
        webhooks.verify(BODY, {"Signature": signature()}, SECRET, header="X-Custom-Sig")
    assert caught.value.reason == "missing"
    assert "X-Custom-Sig" in str(caught.value)


def test_any_of_several_secrets_verifies_during_rotation() -> None:
    webhooks.verify(BODY, {"Signature": signature()}, ["whsec_old-one", SECRET])
    webhooks.verify(BODY, {"Signature": signature(secret="whsec_old-one")}, ("whsec_old-one", SECRET.encode()))


def test_a_tampered_body_is_refused() -> None:
    tampered = BODY.replace(b"v1.mp4", b"v2.mp4")
    with pytest.raises(hg.InvalidSignatureError) as caught:
        webhooks.verify(tampered, {"Signature": signature()}, SECRET)
    assert caught.value.reason == "mismatch"


def test_a_wrong_secret_is_refused() -> None:
    with pytest.raises(hg.InvalidSignatureError) as caught:
        webhooks.verify(BODY, {"Signature": signature(secret="whsec_someone-else")}, SECRET)
    assert caught.value.reason == "mismatch"


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "application/json"}, [], {"Signature-Other": "x"}])
def test_a_missing_signature_is_refused(headers: Any) -> None:
    with pytest.raises(hg.InvalidSignatureError) as caught:
        webhooks.verify(BODY, headers, SECRET)
    assert caught.value.reason == "missing"


@pytest.mark.parametrize(
    "value",
    ["", "not-hex", signature()[:-1], signature() + "0", "g" * 64, "sha1=" + signature(), "x" * 10_000],
)
def test_a_malformed_signature_is_refused(value: str) -> None:
    with pytest.raises(hg.InvalidSignatureError) as caught:
        webhooks.verify(BODY, {"Signature": value}, SECRET)
    assert caught.value.reason == "malformed"


def test_errors_never_echo_the_secret_or_the_signature() -> None:
    for headers in ({"Signature": signature(secret="whsec_other")}, {"Signature": "zz" + signature()}, {}):
        with pytest.raises(hg.InvalidSignatureError) as caught:
            webhooks.verify(BODY, headers, SECRET)
        text = str(caught.value) + repr(caught.value)
        assert SECRET not in text
        assert signature() not in text
        assert signature(secret="whsec_other") not in text
        assert isinstance(caught.value, hg.WebhookError)
        assert isinstance(caught.value, hg.HeyGenError)


@pytest.mark.parametrize(
    "body",
    [BODY.decode(), {"event_type": "avatar_video.success"}, None, 12],
    ids=["str", "parsed-json", "none", "int"],
)
def test_only_raw_bytes_are_verified(body: Any) -> None:
    """Re-serialised JSON rarely has the signed bytes: anything but bytes is a usage error, named as such."""
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.verify(body, {"Signature": signature()}, SECRET)
    assert caught.value.parameter == "raw_body"
    assert "raw body" in str(caught.value)


@pytest.mark.parametrize("secret", ["", b"", [], [""], None, 5, ["ok", 3]])
def test_a_missing_or_bad_secret_is_a_usage_error(secret: Any) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.verify(BODY, {"Signature": signature()}, secret)
    assert caught.value.parameter == "secret"


@pytest.mark.parametrize("header", ["", [], [""], [None]])
def test_a_bad_header_name_is_a_usage_error(header: Any) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.verify(BODY, {"Signature": signature()}, SECRET, header=header)
    assert caught.value.parameter == "header"


@pytest.mark.parametrize("headers", ["Signature: x", 42, [("only-one",)]])
def test_headers_of_the_wrong_shape_are_a_usage_error(headers: Any) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        webhooks.verify(BODY, headers, SECRET)
    assert caught.value.parameter == "headers"


def test_a_secret_with_a_trailing_newline_still_verifies() -> None:
    body = body_of()
    webhooks.verify(body, signed_headers(body), WEBHOOK_SECRET + "\n")


def test_construct_event_verifies_then_parses() -> None:
    event = webhooks.construct_event(BODY, {"Signature": signature()}, SECRET)
    assert isinstance(event, webhooks.AvatarVideoSuccess)
    assert event.verified is True
    assert event.video_id == "v1"
    with pytest.raises(hg.InvalidSignatureError):
        webhooks.construct_event(BODY, {"Signature": signature(secret="whsec_x")}, SECRET)
    unsigned_garbage = b"not json"
    with pytest.raises(hg.WebhookPayloadError):
        webhooks.construct_event(unsigned_garbage, {"Signature": signature(unsigned_garbage)}, SECRET)
