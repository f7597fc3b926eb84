"""What a LITE session does with the audio it is given: anything but raw PCM s16le 24 kHz mono is refused with a
clear error before a frame is sent (and the session goes on), or converted with the ``audio`` extra; text goes
through HeyGen's text-to-speech; a FULL session takes no audio."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable

import pytest

import heygen_async as hg
from heygen_async._liveavatar import _audio
from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async.emulator import Emulator
from tests.support import HANG_GUARD, QUICK_SPEECH, Recorder, finished, pcm, tone, wait_until


def _wav(audio: bytes, rate: int = 24_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(audio)
    return out.getvalue()


def _frames_received(emulator: Emulator) -> int:
    frames: int = emulator.liveavatar.stats()["speak_frames"]
    return frames


REFUSED: list[tuple[str, object, dict[str, int], type[hg.ValidationError], str]] = [
    ("a WAV file", _wav(tone(0.3)), {}, hg.AudioFormatError, "WAV file"),
    ("an MP3 file", b"ID3\x03\x00\x00\x00\x00\x00\x00" + tone(0.3), {}, hg.AudioFormatError, "MP3 file"),
    ("text", "Hello there", {}, hg.AudioFormatError, "str, not audio"),
    ("a str chunk", ["Hello there"], {}, hg.AudioFormatError, "chunk 0 is a str"),
    ("no audio", b"", {}, hg.ValidationError, "empty"),
    ("no chunks", [], {}, hg.ValidationError, "empty"),
    (
        "a three-channel declaration",
        tone(0.3),
        {"channels": 3, "sample_rate": 24_000},
        hg.AudioFormatError,
        "audio extra",
    ),
]


@pytest.mark.parametrize(
    ("audio", "keywords", "error", "says"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
async def test_audio_that_is_not_raw_pcm_is_refused_before_anything_is_sent(
    audio: object,
    keywords: dict[str, int],
    error: type[hg.ValidationError],
    says: str,
    heygen_emulator: Emulator,
    live: LiveAvatarClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Encoded audio, text, empty audio, and (without the ``audio`` extra) a format that needs converting: a
    typed error naming what was wrong, no frame sent for it, and the session speaks on."""
    monkeypatch.setattr(_audio, "_load_miniaudio", lambda: None)
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        with pytest.raises(error, match=says):
            await session.speak_audio(audio, **keywords)  # type: ignore[arg-type]
        assert _frames_received(heygen_emulator) == 0
        assert recorder.of(hg.TaskSent) == []
        task = await session.speak_audio(tone(0.2))
        await wait_until(lambda: finished(recorder, task.task_id), within=HANG_GUARD)
    assert heygen_emulator.liveavatar.stats()["bad_frames"] == {}
    assert _frames_received(heygen_emulator) == 2


async def test_16_khz_audio_without_the_audio_extra_is_refused_naming_the_extra(
    heygen_emulator: Emulator, live: LiveAvatarClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sample_rate=16000`` with miniaudio not installed: AudioFormatError saying how to install the extra,
    raised by the call itself, nothing sent."""
    monkeypatch.setattr(_audio, "_load_miniaudio", lambda: None)
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        with pytest.raises(hg.AudioFormatError, match=r"heygen-async\[audio\]") as refused:
            await session.speak_audio(pcm(16_000 // 5), sample_rate=16_000)
        assert refused.value.parameter == "sample_rate"
    assert _frames_received(heygen_emulator) == 0


async def test_16_khz_audio_with_the_audio_extra_is_converted_and_played(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """With the extra, 0.4 s of 16 kHz audio goes out as 0.4 s of 24 kHz PCM and plays to its end."""
    pytest.importorskip("miniaudio")
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        task = await session.speak_audio(pcm(16_000 * 2 // 5), sample_rate=16_000)
        await wait_until(lambda: finished(recorder, task.task_id), within=HANG_GUARD)
    assert task.duration_ms == 400
    assert heygen_emulator.liveavatar.stats()["speak_bytes"] == 48_000 * 2 // 5


async def test_a_bad_chunk_after_frames_went_out_cuts_the_utterance(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """A chunk that is not bytes, met after the first frames were sent: AudioFormatError, and LiveAvatar is
    told to stop (``agent.interrupt``, no ``speak_end``) rather than wait for the rest; the utterance finishes
    interrupted."""

    def chunks() -> Iterable[object]:
        yield tone(0.3)
        yield 12345

    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        with pytest.raises(hg.AudioFormatError, match="chunk 1 is a int"):
            await session.speak_audio(chunks())  # type: ignore[arg-type]
        (sent,) = recorder.of(hg.TaskSent)
        await wait_until(lambda: finished(recorder, sent.task_id), within=HANG_GUARD)
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["utterances_interrupted"] == 1, within=HANG_GUARD)
    (recorded,) = heygen_emulator.liveavatar.sessions.values()
    assert [command.type for command in recorded.commands][-1] == "agent.interrupt"
    assert "agent.speak_end" not in [command.type for command in recorded.commands]
    assert [event.interrupted for event in recorder.of(hg.TaskFinished)] == [True]


async def test_speak_runs_text_through_heygen_speech_and_streams_it(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """``speak(text)`` with :class:`HeyGenSpeech` on a direct client of the same emulator: HeyGen v3 makes the
    speech, the session streams it as one utterance, and it plays to its end."""
    pytest.importorskip("miniaudio")  # HeyGen's speech file is decoded
    async with heygen_emulator.direct_client() as heygen:
        speech = hg.HeyGenSpeech(heygen, voice_id="1bd001e7e50f421d891986aad5158bc8")
        async with live.session(sandbox=True, tts=speech, lead=5.0) as session:
            recorder = await Recorder.subscribe(session)
            task = await session.speak("Hello there, nice to meet you")
            await wait_until(lambda: finished(recorder, task.task_id), within=HANG_GUARD)
    assert task.duration_ms is not None
    assert task.duration_ms > 0
    (recorded,) = heygen_emulator.liveavatar.sessions.values()
    (utterance,) = recorded.utterances
    assert utterance.event_id == task.task_id
    assert utterance.bytes == round(task.duration_ms * 48)
    assert utterance.ended_by_speak_end


async def test_a_full_session_takes_no_audio_and_a_lite_one_no_llm(live: LiveAvatarClient) -> None:
    """``speak_audio`` on a FULL session, and ``chat`` or ``speak`` without a text-to-speech on a LITE one, are
    refused with errors that say what to do instead."""
    async with live.session(sandbox=True, **QUICK_SPEECH) as lite:
        with pytest.raises(hg.ValidationError, match="LITE session has no LLM"):
            await lite.chat("What is new?")
        with pytest.raises(hg.ConfigurationError, match="needs a text-to-speech"):
            await lite.speak("Hello")
    full = live.session(sandbox=True, mode="FULL", avatar_persona={"context_id": "ctx"})
    with pytest.raises(hg.ValidationError, match="speak_audio is for LITE sessions"):
        await full.speak_audio(tone(0.1))


async def test_pcm_given_whole_with_a_partial_sample_is_refused_before_anything_is_sent(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """Audio given as one bytes object is checked whole: an odd length (not whole 16-bit samples) is refused at
    once, before a frame goes out, and the utterance speaking before it is not cut."""
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        first = await session.speak_audio(tone(0.2))
        frames = heygen_emulator.liveavatar.stats()["speak_frames"]
        with pytest.raises(hg.AudioFormatError, match="partial sample"):
            await session.speak_audio(tone(0.3) + b"\x01")
        assert heygen_emulator.liveavatar.stats()["speak_frames"] == frames
        await wait_until(lambda: finished(recorder, first.task_id), within=HANG_GUARD)
    assert [e.interrupted for e in recorder.of(hg.TaskFinished) if e.task_id == first.task_id] == [False]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"mode": "FULL", "avatar_id": "a"}, "avatar_persona"),
        ({"mode": "FULL", "avatar_id": "a", "avatar_persona": {}, "voice_agent": {}}, "avatar_persona"),
        ({"mode": "FULL", "avatar_id": "a", "avatar_persona": {"contextid": "x"}}, "avatar_persona.contextid"),
        ({"avatar_id": "a", "interactivity_type": "PUSH_TO_TALK"}, "interactivity_type"),
        ({"avatar_id": "a", "video_settings": {"fps": 60}}, "video_settings.fps"),
        ({"sandbox": "yes"}, "sandbox"),
        (
            {"avatar_id": "a", "mode": "FULL", "voice_agent": {}, "dynamic_variables": {str(i): i for i in range(51)}},
            "dynamic_variables",
        ),
    ],
    ids=[
        "full-without-persona",
        "persona-and-agent",
        "misspelt-persona",
        "full-only-on-lite",
        "unknown-setting",
        "sandbox-not-bool",
        "too-many-variables",
    ],
)
async def test_session_arguments_liveavatar_would_ignore_or_refuse_are_refused_before_anything_is_sent(
    arguments: dict[str, object], named: str, heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    with pytest.raises(hg.ValidationError, match=named.replace(".", r"\.")):
        live.session(**arguments)
    assert heygen_emulator.liveavatar.stats()["requests"] == 0
