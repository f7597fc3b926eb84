"""``client.v3.videos.create_many``: every request rendered once, each under its own Idempotency-Key, and an item
whose outcome cannot be known names the key to send it again with."""

from __future__ import annotations

import asyncio
import re
import types
from typing import Any

import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async._jobs import _v3_methods
from tests.support import FAST, LOOK_ID, SARA, running, sent, ticking

POLL = hg.PollPolicy(first_poll=1.0, max_interval=2.0, jitter=0.0)
VIDEOS = re.compile(r"^https://api\.heygen\.com/v3/videos$")


def avatar(script: str, **more: Any) -> dict[str, Any]:
    return {"type": "avatar", "avatar_id": LOOK_ID, "script": script, "voice_id": SARA, **more}


async def test_two_requests_naming_the_same_key_are_not_both_answered_with_one_render() -> None:
    """HeyGen answers a repeated key with the first request's render: the second request would "succeed" with a
    render of another script, and be made by nobody. It is refused before sending, naming the key."""
    requests = [avatar("First", idempotency_key="order-1"), avatar("Second", idempotency_key="order-1")]
    async with running() as emulator, emulator.direct_client(poll_policy=POLL, poll_budget=1000) as client:
        async with ticking(emulator, step=5.0):
            items = [item async for item in client.v3.videos.create_many(requests, timeout=600)]
        made = [video.title or "" for video in emulator.app.v3.state.videos.values()]
    first, second = sorted(items, key=lambda item: item.index)
    assert first.ok
    assert isinstance(second.error, hg.ValidationError)
    assert second.error.parameter == "idempotency_key"
    assert "order-1" in str(second.error)
    assert not second.ambiguous
    assert len(made) == 1


async def test_an_answer_without_a_video_id_is_ambiguous_and_names_the_key_to_send_again_with() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, payload={"data": {"status": "waiting"}})
            items = [item async for item in client.v3.videos.create_many([avatar("Hi")], timeout=60)]
            ((_, _, request),) = sent(m)
    (item,) = items
    assert item.ambiguous
    assert isinstance(item.error, hg.APIResponseError)
    assert item.error.idempotency_key == request["headers"]["Idempotency-Key"]


async def test_an_outcome_still_unknown_past_the_replay_window_is_ambiguous_and_never_sent_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HeyGen replays a key's answer for 24 hours only: sent again after that, the same key can make a second
    render. A create whose outcome is still unknown then is reported ambiguous (with its key), not resent."""
    monkeypatch.setattr(_v3_methods, "REPLAY_WINDOW", 0.0)  # the window has passed at the first unknown outcome
    monkeypatch.setattr(_v3_methods, "RESUBMIT_WAIT", 0.0)
    broken = {"error": {"code": "internal_error", "message": "boom"}}
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            for _ in range(FAST.attempts):
                m.post(VIDEOS, status=500, payload=broken)  # HeyGen may have made the render
            m.post(VIDEOS, status=400, payload={"error": {"code": "invalid_parameter", "message": "late"}}, repeat=True)
            items = [item async for item in client.v3.videos.create_many([avatar("Hi")])]
            keys = {request["headers"]["Idempotency-Key"] for _, _, request in sent(m)}
            requests = len(sent(m))
    (item,) = items
    assert item.ambiguous
    assert isinstance(item.error, hg.ServerError)
    assert item.error.idempotency_key in keys
    assert requests == FAST.attempts  # the client's own retries, within the window; nothing after it


async def test_a_create_whose_outcome_stays_unknown_is_resent_with_its_key_but_never_past_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every send of a create fails so that HeyGen may have made the render (a 500): it is sent again with its
    key, but the pause before a resend never reaches past the batch's deadline (it slept up to 30 s, however
    close the deadline was); the item ends ambiguous with its key, every send under that one key."""
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await asyncio.sleep(min(seconds, 0.01))

    monkeypatch.setattr(_v3_methods, "RESUBMIT_WAIT", 1000.0)
    monkeypatch.setattr(_v3_methods, "anyio", types.SimpleNamespace(sleep=sleep))  # the resend's pauses only
    broken = {"error": {"code": "internal_error", "message": "boom"}}
    timeout = 0.5
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.post(VIDEOS, status=500, payload=broken, repeat=True)
            items = [item async for item in client.v3.videos.create_many([avatar("Hi")], timeout=timeout)]
            keys = {request["headers"]["Idempotency-Key"] for _, _, request in sent(m)}
    (item,) = items
    assert pauses, "the create was sent again"
    assert all(0 <= pause <= timeout for pause in pauses), pauses
    assert item.ambiguous
    assert isinstance(item.error, hg.ServerError)
    assert keys == {item.error.idempotency_key}
