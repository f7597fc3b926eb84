"""How long a LiveAvatar session lives, against the manual-clock emulator: keep-alives hold it past LiveAvatar's
5-minute idle timeout; without them (or when LiveAvatar ends it) the client side closes and stops too; its
events come in order; and a closed session refuses everything with SessionClosedError."""

from __future__ import annotations

import asyncio

import pytest

import heygen_async as hg
from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async.emulator import Emulator
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID
from tests.support import (
    HANG_GUARD,
    QUICK_SPEECH,
    Recorder,
    finished,
    live_registry,
    needs_stop,
    not_ended,
    tone,
    wait_until,
)

IDLE = 300.0
"""LiveAvatar's (and the emulator's) idle timeout, emulated seconds."""


def _rest_keep_alives(emulator: Emulator) -> int:
    count: int = emulator.liveavatar.stats()["keep_alives"]["rest"]
    return count


async def test_keep_alives_hold_a_session_past_the_idle_timeout_many_times(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """With keep-alives every 50 real ms, emulated time moves 200 s at a time to 1,000 s (under the 1,200 s
    duration limit), past the 300 s idle timeout three times over: the session stays open at LiveAvatar and on
    the client, and still speaks."""
    async with live.session(avatar_id=LITE_AVATAR_ID, keep_alive_interval=0.05, **QUICK_SPEECH) as session:
        for _ in range(5):
            kept = _rest_keep_alives(heygen_emulator)
            await wait_until(lambda kept=kept: _rest_keep_alives(heygen_emulator) > kept, within=HANG_GUARD)  # type: ignore[misc]
            await heygen_emulator.advance(200)
        assert heygen_emulator.liveavatar.stats()["sessions_open"] == 1
        assert session.state is hg.SessionState.CONNECTED
        recorder = await Recorder.subscribe(session)
        task = await session.speak_audio(tone(0.2))
        await wait_until(lambda: finished(recorder, task.task_id), within=HANG_GUARD)
    assert heygen_emulator.liveavatar.stats()["sessions_ended"] == {"USER_CLOSED": 1}


async def test_without_keep_alives_liveavatar_ends_an_idle_session_and_the_client_closes_and_stops_it(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """No keep-alives, nothing said: past the idle timeout LiveAvatar ends the session (its socket says closing,
    closed) and the client's session closes on its own, saying why, stopped, off the client's registry."""
    async with live.session(avatar_id=LITE_AVATAR_ID, keep_alive=False, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        assert session.channel is not None
        await wait_until(lambda: session.channel is not None and session.channel.ready, within=HANG_GUARD)
        await heygen_emulator.advance(IDLE / 2)
        assert needs_stop(session)  # still open
        await heygen_emulator.advance(IDLE / 2 + 1)
        await recorder.ended(within=HANG_GUARD)
        assert session.state is hg.SessionState.CLOSED
        closing = [event for event in recorder.of(hg.StateChanged) if event.new is hg.SessionState.CLOSING]
        assert [event.reason for event in closing] == ["LiveAvatar ended the session (closing)"]
        with pytest.raises(hg.SessionClosedError, match="LiveAvatar ended the session"):
            await session.speak_audio(tone(0.1))
    assert heygen_emulator.liveavatar.stats()["sessions_ended"] == {"IDLE_TIMEOUT": 1}
    assert _rest_keep_alives(heygen_emulator) == 0
    assert not_ended(heygen_emulator) == []
    assert not needs_stop(session)
    assert session.stop_error is None
    assert live_registry(live) == 0


async def test_a_session_liveavatar_ends_mid_utterance_closes_its_speaker_and_is_stopped(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """LiveAvatar ends a session (a server error) while it speaks: the speaker gets SessionClosedError, the
    utterance is reported interrupted, and the client side is closed and stopped."""
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        speaking = asyncio.create_task(session.speak_audio(tone(30.0)))
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["speak_frames"] >= 2, within=HANG_GUARD)
        assert session.id is not None
        assert heygen_emulator.liveavatar.end_session(session.id)
        with pytest.raises(hg.SessionClosedError):
            await speaking
        await recorder.ended(within=HANG_GUARD)
    assert [event.interrupted for event in recorder.of(hg.TaskFinished)] == [True]
    assert heygen_emulator.liveavatar.stats()["sessions_ended"] == {"SERVER_ERROR": 1}
    assert not session.needs_stop
    assert live_registry(live) == 0


async def test_a_lite_sessions_events_come_in_the_order_things_happen(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """Opening, one utterance played out, leaving: the state changes, TaskSent, LiveAvatar's own messages
    (connected, speak_started, speak_ended) as ServerEvents, TaskFinished, then closing and closed."""
    session = live.session(avatar_id=LITE_AVATAR_ID, **QUICK_SPEECH)  # not a sandbox: no expiry warning at once
    recorder = await Recorder.subscribe(session)
    async with session:
        assert session.channel is not None
        await wait_until(lambda: session.channel is not None and session.channel.ready, within=HANG_GUARD)
        task = await session.speak_audio(tone(0.2))
        await wait_until(lambda: finished(recorder, task.task_id), within=HANG_GUARD)
    events = await recorder.ended(within=HANG_GUARD)
    story: list[str] = []
    for event in events:
        if isinstance(event, hg.StateChanged):
            story.append(f"state {event.new.value}")
        elif isinstance(event, hg.ServerEvent):
            story.append(event.type + (f" {event.data.get('state')}" if event.type == "session.state_updated" else ""))
        elif isinstance(event, (hg.TaskSent, hg.TaskFinished)):
            assert event.task_id == task.task_id
            story.append(type(event).__name__)
        elif not isinstance(event, hg.KeepAliveSent):
            story.append(type(event).__name__)
    assert story == [
        "state starting",
        "state connected",
        "session.state_updated connecting",
        "session.state_updated connected",
        "TaskSent",
        "agent.speak_started",
        "agent.speak_ended",
        "TaskFinished",
        "state closing",
        "state closed",
    ]
    finished_event = recorder.of(hg.TaskFinished)[0]
    assert finished_event.interrupted is False


async def test_a_closed_session_refuses_everything_with_session_closed_error(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """After leaving, speech, interrupts and poses raise SessionClosedError, and nothing more is sent."""
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        pass
    before = heygen_emulator.liveavatar.stats()["requests"]
    with pytest.raises(hg.SessionClosedError):
        await session.speak_audio(tone(0.1))
    with pytest.raises(hg.SessionClosedError):
        await session.interrupt()
    with pytest.raises(hg.SessionClosedError):
        await session.start_listening()
    with pytest.raises(hg.SessionClosedError):
        await session.open()
    assert heygen_emulator.liveavatar.stats()["requests"] == before
    assert session.channel is None
