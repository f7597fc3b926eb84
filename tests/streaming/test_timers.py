"""The session's timers against a manual-clock emulator: keep-alives hold off HeyGen's idle timeout in direct
mode, the gateway (which has no keep-alive) gets an IdleWarning and is closed by the idle timer, a refused
keep-alive closes the session (and no keep-alive follows HeyGen saying it is gone), the duration limit closes
it after an ExpiryWarning, and a keep-alive interval not shorter than the idle timeout is refused.

The session's timers run on the real clock (short intervals here); HeyGen's, in the emulator, on the manual one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._streaming._session import StreamingSession
from heygen_async.emulator import Emulator, EmulatorConfig
from tests.support import (
    NO_WAIT_RETRY,
    STREAMING_AVATAR,
    CheckpointBackend,
    Recorder,
    StubBackend,
    requests_to,
    running,
    wait_until,
)

IDLE = 30
"""``activity_idle_timeout``: HeyGen's smallest."""
PARAMS: dict[str, Any] = {"avatar_id": STREAMING_AVATAR, "quality": "low", "activity_idle_timeout": IDLE}


async def _next_keep_alive(recorder: Recorder, sent: int) -> None:
    """Wait for a keep-alive that HeyGen answered (the emulator took it, so its idle timer restarted)."""
    await wait_until(lambda: len(recorder.of(hg.KeepAliveSent)) > sent, what="a keep-alive")


async def test_keep_alive_holds_off_the_idle_timeout_in_direct_mode(
    heygen_emulator: Emulator, direct: hg.HeyGenClient
) -> None:
    """Emulated time moves four idle timeouts on, in steps, while keep-alives go out: the session stays open at
    the emulator, with no idle warning, until the block stops it."""
    async with direct.streaming.session(**PARAMS, keep_alive_interval=0.05, idle_warning=29.9) as session:
        assert session.keeps_alive
        recorder = await Recorder.subscribe(session)
        assert session.id is not None
        emulated = heygen_emulator.account.sessions[session.id]
        for _ in range(12):  # 12 x 10 = 120 emulated seconds
            sent = len(recorder.of(hg.KeepAliveSent))
            await heygen_emulator.advance(10)
            await _next_keep_alive(recorder, sent)
            assert emulated.status == "connected"
        assert session.state is hg.SessionState.CONNECTED
    await recorder.ended()
    assert emulated.closed_reason == "stopped"
    assert len(recorder.of(hg.KeepAliveSent)) >= 12
    assert recorder.of(hg.KeepAliveFailed) == []
    assert recorder.of(hg.IdleWarning) == []


@pytest.fixture(params=["gateway", "direct without keep-alive"])
async def idle_client(request: pytest.FixtureRequest, heygen_emulator: Emulator) -> AsyncIterator[hg.HeyGenClient]:
    if request.param == "gateway":
        client = heygen_emulator.client(retry=NO_WAIT_RETRY)
    else:
        client = heygen_emulator.direct_client(retry=NO_WAIT_RETRY)
    async with client:
        yield client


async def test_without_keep_alive_the_idle_timer_warns_and_the_emulator_closes_it(
    heygen_emulator: Emulator, idle_client: hg.HeyGenClient
) -> None:
    """The control: no keep-alive is sent; the session warns ``idle_warning`` seconds before the idle timeout
    (again after new activity), and the emulator's idle timer closes the session."""
    async with idle_client.streaming.session(**PARAMS, keep_alive=False, idle_warning=29.9) as session:
        assert not session.keeps_alive
        recorder = await Recorder.subscribe(session)
        await wait_until(lambda: len(recorder.of(hg.IdleWarning)) == 1, what="an idle warning")
        await session.speak("Still here")
        await wait_until(lambda: len(recorder.of(hg.IdleWarning)) == 2, what="a second idle warning")
        assert session.id is not None
        emulated = heygen_emulator.account.sessions[session.id]
        for _ in range(4):  # 40 emulated seconds > IDLE
            await heygen_emulator.advance(10)
        assert emulated.status == "closed"
        assert emulated.closed_reason == "idle"
    await recorder.ended()
    warning = recorder.of(hg.IdleWarning)[0]
    assert warning.session_id == session.id
    assert 0 < warning.closes_in <= 29.9
    assert warning.idle_for + warning.closes_in == pytest.approx(IDLE)
    assert requests_to(heygen_emulator, "streaming.keep_alive") == 0
    assert requests_to(heygen_emulator, "streaming.stop") == 1


class _FlakyKeepAlive(CheckpointBackend):
    """The first ``failures`` keep-alives fail with a connection error."""

    failures = 2

    async def keep_alive(self, session_id: str) -> None:
        self.calls["keep_alive"] += 1
        if self.calls["keep_alive"] <= self.failures:
            raise ConnectionError("the network blinked")
        await self.inner.keep_alive(session_id)


async def test_a_failed_keep_alive_is_reported_and_tried_again_soon(
    heygen_emulator: Emulator, direct: hg.HeyGenClient
) -> None:
    """Keep-alives that fail for other reasons than HeyGen closing the session are KeepAliveFailed events and
    are tried again (within the interval); the session stays connected."""
    backend = _FlakyKeepAlive(direct.streaming.backend, heygen_emulator)
    session = StreamingSession(backend, PARAMS, keep_alive_interval=0.1)
    recorder = await Recorder.subscribe(session)
    async with session:
        await wait_until(lambda: bool(recorder.of(hg.KeepAliveSent)), what="a keep-alive to get through")
        assert session.state is hg.SessionState.CONNECTED
    await recorder.ended()
    failed = recorder.of(hg.KeepAliveFailed)
    assert [type(event.error) for event in failed] == [ConnectionError, ConnectionError]
    kinds = [type(event) for event in recorder.events]
    assert kinds.index(hg.KeepAliveSent) > kinds.index(hg.KeepAliveFailed)
    assert requests_to(heygen_emulator, "streaming.stop") == 1


async def test_a_refused_keep_alive_closes_the_session(heygen_emulator: Emulator, direct: hg.HeyGenClient) -> None:
    """When HeyGen already closed the session (idle), the keep-alive's 400 is a KeepAliveFailed event and the
    session closes itself, stopping once; further speech raises SessionClosedError."""
    async with direct.streaming.session(**PARAMS, keep_alive_interval=0.2) as session:
        recorder = await Recorder.subscribe(session)
        await heygen_emulator.advance(IDLE + 1)  # before the first keep-alive
        await recorder.ended()
        with pytest.raises(hg.SessionClosedError, match="closed by HeyGen"):
            await session.speak("Anyone there?")
    (failed,) = recorder.of(hg.KeepAliveFailed)
    assert isinstance(failed.error, hg.APIStatusError)
    assert failed.error.status_code == 400
    closing = [event for event in recorder.of(hg.StateChanged) if event.new is hg.SessionState.CLOSING]
    assert [event.reason for event in closing] == ["closed by HeyGen"]
    assert requests_to(heygen_emulator, "streaming.stop") == 1
    assert session.id is not None
    assert heygen_emulator.account.sessions[session.id].closed_reason == "idle"


async def test_no_keep_alive_after_heygen_said_the_session_is_gone() -> None:
    stub = StubBackend()
    async with StreamingSession(stub, {"avatar_id": "a"}, keep_alive_interval=0.05) as session:
        await asyncio.sleep(0.2)
        assert session.state is hg.SessionState.CLOSED
    assert stub.calls.count("keep_alive") == 1
    assert stub.calls.count("stop") == 1


async def test_the_duration_limit_closes_the_session_after_an_expiry_warning() -> None:
    """With a one-second ``session_duration_limit``, an ExpiryWarning comes ``expiry_warning`` seconds before it,
    then the session closes itself at the limit (one stop); the block then finds it closed."""
    async with (
        running(EmulatorConfig(session_duration_limit=1)) as emulator,
        emulator.client(retry=NO_WAIT_RETRY) as client,
    ):
        session = client.streaming.session(**PARAMS, expiry_warning=0.8)
        recorder = await Recorder.subscribe(session)
        async with session:
            assert session.info.session_duration_limit == 1
            await recorder.ended()
            with pytest.raises(hg.SessionClosedError, match="duration limit"):
                await session.speak("Too late")
        events = recorder.events
        kinds = [type(event) for event in events]
        (warning,) = recorder.of(hg.ExpiryWarning)
        assert 0 < warning.expires_in <= 0.8
        closing = next(event for event in recorder.of(hg.StateChanged) if event.new is hg.SessionState.CLOSING)
        assert closing.reason == "duration limit reached"
        assert kinds.index(hg.ExpiryWarning) < events.index(closing)
        assert closing.at - warning.at == pytest.approx(warning.expires_in, abs=0.5)
        assert requests_to(emulator, "streaming.stop") == 1
        assert session.id is not None
        assert emulator.account.sessions[session.id].closed_reason == "stopped"


def test_a_keep_alive_interval_not_shorter_than_the_idle_timeout_is_refused() -> None:
    with pytest.raises(hg.ValidationError) as caught:
        StreamingSession(StubBackend(), {"avatar_id": "a", "activity_idle_timeout": 60}, keep_alive_interval=60)
    assert caught.value.parameter == "keep_alive_interval"


async def test_a_session_shorter_than_its_expiry_warning_is_warned_halfway_not_at_once() -> None:
    """The default 60 s warning on a session that lasts about a minute (LiveAvatar's sandbox) or less would fire
    the moment it starts, saying nothing: it comes halfway through instead."""
    async with (
        running(EmulatorConfig(session_duration_limit=1)) as emulator,
        emulator.client(retry=NO_WAIT_RETRY) as client,
    ):
        session = client.streaming.session(**PARAMS, expiry_warning=60)
        recorder = await Recorder.subscribe(session)
        async with session:
            await recorder.ended()
        (warning,) = recorder.of(hg.ExpiryWarning)
        assert warning.expires_in <= 0.6  # halfway (later under load, never sooner); at once it would be ~1 s
