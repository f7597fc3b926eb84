"""A LITE session's speech against the emulator: an utterance interrupted mid-stream stops for good, one whose
caller gives up is cut rather than left open, speech in order with its events, ``speak(text)`` through HeyGen's
text-to-speech, and what a FULL session refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import heygen_async as hg
from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async.emulator import Emulator
from heygen_async.emulator._liveavatar_state import Utterance
from tests.support import HANG_GUARD, QUICK_SPEECH, Recorder, tone, wait_until


def _utterance(emulator: Emulator, event_id: str) -> Utterance:
    (session,) = emulator.liveavatar.sessions.values()
    (found,) = [utterance for utterance in session.utterances if utterance.event_id == event_id]
    return found


def _commands(emulator: Emulator) -> list[str]:
    (session,) = emulator.liveavatar.sessions.values()
    return [command.type for command in session.commands]


async def test_an_utterance_interrupted_mid_stream_sends_nothing_more_and_the_next_one_plays(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """``interrupt()`` while a long utterance streams: its caller gets TaskInterrupted, LiveAvatar got
    ``agent.interrupt`` and not one frame of that utterance after it (nor its ``speak_end``), the session says
    TaskFinished(interrupted=True), and the next utterance plays to its end."""
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        speaking = asyncio.create_task(session.speak_audio(tone(5.0)))
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["speak_frames"] >= 3, within=HANG_GUARD)
        await session.interrupt()
        with pytest.raises(hg.TaskInterrupted):
            await speaking
        (sent,) = recorder.of(hg.TaskSent)
        assert sent.task_id is not None
        cut = _utterance(heygen_emulator, sent.task_id)
        frames_when_cut = cut.frames
        assert frames_when_cut < 50  # 5 s in 100 ms frames: cut short

        after = await session.speak_audio(tone(0.3))
        await wait_until(
            lambda: any(e.task_id == after.task_id for e in recorder.of(hg.TaskFinished)), within=HANG_GUARD
        )

    stats = heygen_emulator.liveavatar.stats()
    assert stats["frames_after_interrupt"] == 0
    assert cut.frames == frames_when_cut
    assert cut.interrupted
    assert cut.speak_end_at is None
    assert _commands(heygen_emulator).count("agent.interrupt") == 1
    assert _commands(heygen_emulator).index("agent.interrupt") > _commands(heygen_emulator).index("agent.speak")
    finished = {event.task_id: event.interrupted for event in recorder.of(hg.TaskFinished)}
    assert finished == {sent.task_id: True, after.task_id: False}
    played = _utterance(heygen_emulator, after.task_id or "")
    assert played.ended_by_speak_end
    assert not played.interrupted
    assert after.duration_ms == 300


async def test_an_utterance_whose_source_ends_after_an_interrupt_is_still_interrupted(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """Interrupted while it waits for its source's next chunk (a slow text-to-speech), the utterance does not
    close with ``agent.speak_end`` when that source then ends: its caller gets TaskInterrupted."""
    more = asyncio.Event()

    async def slow_source() -> AsyncIterator[bytes]:
        yield tone(0.1)
        await more.wait()

    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        speaking = asyncio.create_task(session.speak_audio(slow_source()))
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["speak_frames"] == 1, within=HANG_GUARD)
        await session.interrupt()
        more.set()
        with pytest.raises(hg.TaskInterrupted):
            await speaking
        await session.speak_audio(tone(0.1))  # goes out after the interrupt: the channel is written in order
        await wait_until(lambda: _commands(heygen_emulator)[-1] == "agent.speak_end", within=HANG_GUARD)
    assert _commands(heygen_emulator) == [
        "agent.speak",
        "agent.interrupt",
        "agent.speak",
        "agent.speak_end",
    ]


async def test_a_speaker_that_gives_up_mid_utterance_cuts_it_and_closes_its_source(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """A ``speak_audio`` cancelled mid-stream (its caller's timeout) does not leave a half-sent utterance open
    at LiveAvatar, which would hold every later one behind it: it is interrupted, its source generator is
    closed at once, and the next utterance plays to its end."""
    closed = asyncio.Event()

    async def source() -> AsyncIterator[bytes]:
        try:
            for _ in range(50):
                yield tone(0.1)
        finally:
            closed.set()

    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        speaking = asyncio.create_task(session.speak_audio(source()))
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["speak_frames"] >= 3, within=HANG_GUARD)
        speaking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await speaking
        assert closed.is_set()
        after = await session.speak_audio(tone(0.2))
        await wait_until(
            lambda: any(e.task_id == after.task_id for e in recorder.of(hg.TaskFinished)), within=HANG_GUARD
        )
        assert session.state is hg.SessionState.CONNECTED
    (cut_sent, _) = recorder.of(hg.TaskSent)
    finished = {event.task_id: event.interrupted for event in recorder.of(hg.TaskFinished)}
    assert finished == {cut_sent.task_id: True, after.task_id: False}
    assert _utterance(heygen_emulator, after.task_id or "").ended_by_speak_end
    assert heygen_emulator.liveavatar.stats()["frames_after_interrupt"] == 0


async def test_an_interrupt_frees_the_next_utterance_while_the_current_one_waits_on_its_source(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """The utterance speaking now waits on a slow source (a TTS still thinking) when the user barges in:
    ``interrupt()`` stops that wait at once (its caller gets TaskInterrupted, its source is closed), so the
    reply after it goes out instead of queueing behind a source that may never yield again."""
    source_closed = asyncio.Event()
    never = asyncio.Event()

    async def thinking() -> AsyncIterator[bytes]:
        try:
            yield tone(0.2)
            await never.wait()
            yield tone(0.2)
        finally:
            source_closed.set()

    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        speaking = asyncio.create_task(session.speak_audio(thinking()))
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["speak_frames"] >= 1, within=HANG_GUARD)
        await session.interrupt()
        with pytest.raises(hg.TaskInterrupted):
            await asyncio.wait_for(speaking, HANG_GUARD)
        assert source_closed.is_set()
        reply = await asyncio.wait_for(session.speak_audio(tone(0.2)), HANG_GUARD)
        await wait_until(
            lambda: any(e.task_id == reply.task_id for e in recorder.of(hg.TaskFinished)), within=HANG_GUARD
        )
    assert [e.interrupted for e in recorder.of(hg.TaskFinished) if e.task_id == reply.task_id] == [False]


async def test_a_speaker_waiting_on_its_source_gets_session_closed_when_the_session_closes(
    live: LiveAvatarClient,
) -> None:
    """Leaving the block while an utterance waits on its source: the speaker is not left pending for ever; it
    gets SessionClosedError once the session closes, and its source is closed."""
    source_closed = asyncio.Event()
    never = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        try:
            yield tone(0.1)
            await never.wait()
            yield tone(0.1)
        finally:
            source_closed.set()

    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        speaking = asyncio.create_task(session.speak_audio(stalled()))
        await asyncio.sleep(0.3)
    with pytest.raises(hg.SessionClosedError):
        await asyncio.wait_for(speaking, HANG_GUARD)
    assert source_closed.is_set()


async def test_back_to_back_utterances_share_one_schedule_so_the_lead_does_not_grow(live: LiveAvatarClient) -> None:
    """Each utterance paced on a schedule of its own would start a lead ahead of playback again, so a run of
    them drifts further and further ahead of what LiveAvatar has played; one schedule for the session keeps one
    lead (its pacing stats count every frame of every utterance)."""
    async with live.session(sandbox=True, first_frame=0.1, frame=0.1, lead=0.2) as session:
        await session.speak_audio(tone(0.3))
        pacing = session.pacing
        assert pacing is not None
        await session.speak_audio(tone(0.3))
        assert session.pacing is pacing
        assert pacing.stats().audio_seconds == pytest.approx(0.6)
