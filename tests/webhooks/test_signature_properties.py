"""Property: no mutation of the body or of the signature verifies (hypothesis)."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import HealthCheck, given, settings, strategies as st

import heygen_async as hg
from heygen_async import webhooks

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Secrets are stripped of surrounding ASCII whitespace (a trailing newline from a file): draw them stripped.
secrets = st.text(min_size=1, max_size=64).filter(lambda s: bool(s.encode()) and s.encode() == s.encode().strip())
bodies = st.binary(max_size=2048)


def _sig(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _refused(body: bytes, signature: str, secret: str) -> bool:
    try:
        webhooks.verify(body, {"Signature": signature}, secret)
    except hg.InvalidSignatureError:
        return True
    return False


@st.composite
def mutated_bodies(draw: st.DrawFn) -> tuple[bytes, bytes]:
    body = draw(bodies)
    kind = draw(st.sampled_from(["flip", "insert", "delete", "append", "truncate", "replace"]))
    if kind == "flip" and body:
        index = draw(st.integers(0, len(body) - 1))
        bit = 1 << draw(st.integers(0, 7))
        mutated = body[:index] + bytes([body[index] ^ bit]) + body[index + 1 :]
    elif kind == "insert":
        index = draw(st.integers(0, len(body)))
        mutated = body[:index] + draw(st.binary(min_size=1, max_size=8)) + body[index:]
    elif kind == "delete" and body:
        start = draw(st.integers(0, len(body) - 1))
        end = draw(st.integers(start + 1, len(body)))
        mutated = body[:start] + body[end:]
    elif kind == "truncate" and body:
        mutated = body[: draw(st.integers(0, len(body) - 1))]
    elif kind == "replace":
        mutated = draw(st.binary(max_size=2048))
    else:
        mutated = body + draw(st.binary(min_size=1, max_size=8))
    return body, mutated


@PROPERTY
@given(pair=mutated_bodies(), secret=secrets)
def test_no_mutation_of_the_body_verifies(pair: tuple[bytes, bytes], secret: str) -> None:
    body, mutated = pair
    signature = _sig(body, secret)
    assert not _refused(body, signature, secret)  # the original does verify: the property is not vacuous
    if mutated != body:
        assert _refused(mutated, signature, secret)


def _normalised(signature: str) -> str:
    value = signature.strip()
    if value[:7].lower() == "sha256=":
        value = value[7:]
    return value.lower()


@st.composite
def mutated_signatures(draw: st.DrawFn, original: str) -> str:
    kind = draw(st.sampled_from(["char", "hex", "text", "truncate", "extend"]))
    if kind == "char":
        index = draw(st.integers(0, len(original) - 1))
        return original[:index] + draw(st.characters()) + original[index + 1 :]
    if kind == "hex":
        return draw(st.text(alphabet="0123456789abcdefABCDEF", min_size=64, max_size=64))
    if kind == "truncate":
        return original[: draw(st.integers(0, len(original) - 1))]
    if kind == "extend":
        return original + draw(st.text(alphabet="0123456789abcdef", min_size=1, max_size=4))
    return draw(st.text(max_size=200))


@PROPERTY
@given(body=bodies, secret=secrets, data=st.data())
def test_no_mutation_of_the_signature_verifies(body: bytes, secret: str, data: st.DataObject) -> None:
    signature = _sig(body, secret)
    mutated = data.draw(mutated_signatures(signature))
    # Case and a sha256= prefix are tolerated by design; every other change to the digest must be refused.
    if _normalised(mutated) != signature:
        assert _refused(body, mutated, secret)


@PROPERTY
@given(body=bodies, secret=secrets, other=secrets)
def test_no_other_secret_verifies(body: bytes, secret: str, other: str) -> None:
    # HMAC pads keys with zero bytes, so "k" and "k\x00" are the same key: that is HMAC, not a forgery.
    if other.encode().rstrip(b"\0") != secret.encode().rstrip(b"\0"):
        assert _refused(body, _sig(body, other), secret)
