"""LiveAvatar's audio: PCM checked and cut into frames (``pcm_frames``), other formats refused or converted,
files decoded (``decode_audio``), and frames paced to real time (``Pacer``) on a fake clock."""

from __future__ import annotations

import array
import struct
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._liveavatar import _audio
from tests.support import chunked, hide_miniaudio, pcm_tone, streamed, wav_file, zero_crossings

FIRST, SECOND = 28800, 48000
"""Bytes in the default first frame (600 ms) and in each later one (1 s) of PCM s16le 24 kHz mono."""


async def frames_of(source: Any, **options: Any) -> list[bytes]:
    return [frame async for frame in hg.pcm_frames(source, **options)]


# -- framing -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(lambda pcm: pcm, id="one bytes object"),
        pytest.param(lambda pcm: [pcm], id="one huge chunk"),
        pytest.param(lambda pcm: chunked(pcm, 1), id="1-byte chunks"),
        pytest.param(lambda pcm: streamed(chunked(pcm, 7)), id="7-byte chunks, async"),
        pytest.param(lambda pcm: streamed(chunked(pcm, 50_001)), id="chunks bigger than a frame, async"),
    ],
)
async def test_frames_are_600_ms_then_a_second_each_then_the_rest_however_the_input_is_cut(cut: Any) -> None:
    pcm = pcm_tone(3.7)
    frames = await frames_of(cut(pcm))
    assert [len(frame) for frame in frames] == [FIRST, SECOND, SECOND, SECOND, 4800]
    assert b"".join(frames) == pcm


async def test_frame_lengths_round_to_whole_samples_and_audio_shorter_than_a_frame_is_one_frame() -> None:
    frames = await frames_of(pcm_tone(0.2), first_frame=0.0333, frame=0.05)
    assert [len(frame) for frame in frames] == [1598, 2400, 2400, 2400, 802]  # 0.0333 s: 799 samples
    assert await frames_of(pcm_tone(0.1)) == [pcm_tone(0.1)]
    assert await frames_of([]) == []
    assert await frames_of([b"", b""]) == []


async def test_bytes_like_chunks_of_any_kind_are_taken() -> None:
    pcm = pcm_tone(1.0)
    reused = bytearray(pcm[:5000])
    chunks: list[Any] = [reused, memoryview(pcm)[5000:9000], array.array("h", pcm[9000:])]
    assert b"".join(await frames_of(chunks)) == pcm


async def test_frames_are_read_as_they_are_needed_not_all_at_once() -> None:
    """The first frame is yielded after its 600 ms are read, the rest of the source still unread: at most about
    a frame and a chunk are held."""
    read = 0

    async def source() -> AsyncIterator[bytes]:
        nonlocal read
        for chunk in chunked(pcm_tone(10.0), 4800):
            read += 1
            yield chunk

    frames = hg.pcm_frames(source())
    assert len(await anext(frames)) == FIRST
    assert read == FIRST // 4800
    await frames.aclose()


async def test_closing_the_frames_closes_the_source() -> None:
    closed = False

    async def source() -> AsyncIterator[bytes]:
        nonlocal closed
        try:
            while True:
                yield pcm_tone(0.5)
        finally:
            closed = True

    frames = hg.pcm_frames(source())
    await anext(frames)
    await frames.aclose()
    assert closed


# -- refusals --------------------------------------------------------------------------------------------


class Untouched:
    """A source that fails the test if anything reads it."""

    def __iter__(self) -> Iterator[bytes]:
        raise AssertionError("the source was read")


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"sample_rate": 0}, "sample_rate"),
        ({"sample_rate": 24000.0}, "sample_rate"),
        ({"channels": 0}, "channels"),
        ({"channels": True}, "channels"),
        ({"sample_width": 5}, "sample_width"),
        ({"first_frame": 0}, "first_frame"),
        ({"first_frame": 0.01}, "first_frame"),
        ({"frame": 16.0}, "frame"),
        ({"frame": float("nan")}, "frame"),
        ({"frame": "1"}, "frame"),
    ],
)
def test_bad_arguments_are_refused_by_the_call_itself(options: dict[str, Any], named: str) -> None:
    """Not lazily on the first frame: the session calls pcm_frames() before it sends anything."""
    with pytest.raises(hg.AudioFormatError) as caught:
        hg.pcm_frames(Untouched(), **options)
    assert caught.value.parameter == named
    assert isinstance(caught.value, hg.ValidationError)


@pytest.mark.parametrize(
    ("source", "named"),
    [("some text", "str"), (None, "NoneType"), (42, "int")],
)
def test_a_source_that_is_not_audio_is_refused_by_the_call_itself(source: Any, named: str) -> None:
    with pytest.raises(hg.AudioFormatError, match=named):
        hg.pcm_frames(source)


@pytest.mark.parametrize(("chunk", "named"), [("text", "str"), (None, "NoneType"), (7, "int")])
async def test_a_chunk_that_is_not_bytes_is_refused_naming_its_type(chunk: Any, named: str) -> None:
    with pytest.raises(hg.AudioFormatError, match=f"chunk 1 is a {named}"):
        await frames_of(streamed([pcm_tone(0.1), chunk]))


def _mpeg_frames(count: int) -> bytes:
    """MPEG-1 layer III frames at 128 kbps, 44.1 kHz: a 4-byte header and 413 bytes of (silent) data each."""
    return (b"\xff\xfb\x90\x00" + bytes(413)) * count


def _adts_frames(count: int) -> bytes:
    """AAC ADTS frames of 100 bytes (7-byte header, no CRC)."""
    length = 100
    header = bytes([0xFF, 0xF1, 0x50, 0x80 | (length >> 11), (length >> 3) & 0xFF, ((length & 7) << 5) | 0x1F, 0xFC])
    return (header + bytes(length - 7)) * count


CONTAINERS = {
    "a WAV file": wav_file(pcm_tone(0.5)),
    "an MP3 file": b"ID3\x04\x00\x00\x00\x00\x01\x00" + _mpeg_frames(4),
    "an MP3 (MPEG audio) stream": _mpeg_frames(8),
    "an Ogg file": b"OggS\x00\x02" + bytes(3000),
    "a FLAC file": b"fLaC\x00\x00\x00\x22" + bytes(3000),
    "a Core Audio (CAF) file": b"caff\x00\x01\x00\x00" + bytes(3000),
    "an MP4/M4A file": b"\x00\x00\x00\x20ftypM4A " + bytes(3000),
    "an AAC (ADTS) stream": _adts_frames(40),
}


@pytest.mark.parametrize("one_byte_chunks", [False, True])
@pytest.mark.parametrize("name", sorted(CONTAINERS))
async def test_a_container_is_refused_before_the_first_frame(name: str, one_byte_chunks: bool) -> None:
    data = CONTAINERS[name]
    source = streamed(chunked(data, 1) if one_byte_chunks else [data])
    frames = hg.pcm_frames(source, first_frame=0.02)  # a frame shorter than what is read to recognise it
    with pytest.raises(hg.AudioFormatError) as caught:
        await anext(frames)
    message = str(caught.value)
    assert f"looks like {name}" in message
    assert "decode_audio()" in message
    assert "heygen-async[audio]" in message


async def test_pcm_that_happens_to_start_like_an_mpeg_header_is_not_refused() -> None:
    """One frame header could be chance in PCM; only a second one where the first says it ends is a stream."""
    pcm = b"\xff\xfb\x90\x00" + pcm_tone(1.0)
    assert b"".join(await frames_of(pcm)) == pcm
    silence_then_sound = struct.pack("<2h", -1, 16) + pcm_tone(1.0)  # [-1, 16] would be an MPEG layer I header
    assert b"".join(await frames_of(silence_then_sound)) == silence_then_sound


async def test_a_partial_sample_at_the_end_raises_after_the_frames_before_it() -> None:
    frames = hg.pcm_frames(streamed([pcm_tone(1.7), b"\x01"]))
    assert [len(await anext(frames)), len(await anext(frames))] == [FIRST, SECOND]
    with pytest.raises(hg.AudioFormatError, match="partial sample: 1 byte"):
        await anext(frames)


# -- other formats -----------------------------------------------------------------------------------------


def test_another_declared_format_is_refused_at_once_without_the_audio_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_miniaudio(monkeypatch)
    with pytest.raises(hg.AudioFormatError) as caught:
        hg.pcm_frames(Untouched(), sample_rate=44100, channels=2)
    message = str(caught.value)
    assert "signed 16-bit 44100 Hz stereo" in message
    assert "PCM s16le 24 kHz mono" in message
    assert "pip install 'heygen-async[audio]'" in message
    assert caught.value.parameter == "sample_rate"


@pytest.mark.parametrize(("rate", "channels"), [(44100, 2), (16000, 1), (48000, 2), (22050, 1)])
async def test_another_declared_format_is_converted_with_the_audio_extra(rate: int, channels: int) -> None:
    """Its length stays the audio's duration to the sample (no drift from block to block) and a 440 Hz tone
    stays 440 Hz."""
    pcm = pcm_tone(2.5, rate, channels)
    frames = await frames_of(streamed(chunked(pcm, 999 * channels * 2)), sample_rate=rate, channels=channels)
    assert [len(frame) for frame in frames] == [FIRST, SECOND, 43200]
    assert zero_crossings(b"".join(frames)) == pytest.approx(2 * 440 * 2.5, rel=0.01)


async def test_a_converted_stream_ending_in_a_partial_frame_raises_there() -> None:
    stereo = pcm_tone(1.0, 44100, 2) + b"\x00\x00\x00"
    with pytest.raises(hg.AudioFormatError, match=r"partial sample: 3 byte\(s\).*4 bytes each"):
        await frames_of(stereo, sample_rate=44100, channels=2)


# -- decoding ----------------------------------------------------------------------------------------------


def test_a_wav_already_24khz_mono_is_read_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_miniaudio(monkeypatch)
    pcm = pcm_tone(1.3)
    assert hg.decode_audio(wav_file(pcm)) == pcm


def test_a_44khz_stereo_wav_becomes_24khz_mono_with_the_extra() -> None:
    pcm = hg.decode_audio(wav_file(pcm_tone(2.0, 44100, 2), 44100, 2))
    assert len(pcm) == 2.0 * 48000
    assert zero_crossings(pcm) == pytest.approx(2 * 440 * 2.0, rel=0.01)


def test_decoding_needs_the_extra_for_anything_else_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_miniaudio(monkeypatch)
    with pytest.raises(hg.AudioFormatError) as caught:
        hg.decode_audio(wav_file(pcm_tone(0.5, 44100, 2), 44100, 2))
    assert "a WAV file of PCM signed 16-bit 44100 Hz stereo" in str(caught.value)
    assert "pip install 'heygen-async[audio]'" in str(caught.value)
    with pytest.raises(hg.AudioFormatError, match=r"decoding an MP3 \(MPEG audio\) stream .* needs the audio extra"):
        hg.decode_audio(_mpeg_frames(8))


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"not audio at all, just a SECRET-MARKER " * 200, "no known audio format was recognised"),
        (CONTAINERS["an MP4/M4A file"] + b"SECRET-MARKER", "it looks like an MP4/M4A file"),
    ],
)
def test_data_that_cannot_be_decoded_is_refused_without_quoting_it(data: bytes, found: str) -> None:
    with pytest.raises(hg.AudioFormatError) as caught:
        hg.decode_audio(data)
    assert found in str(caught.value)
    assert "SECRET" not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize(("data", "named"), [(b"", "empty"), ("RIFF....WAVE", "not str"), (None, "not NoneType")])
def test_decode_refuses_what_is_no_audio_file(data: Any, named: str) -> None:
    with pytest.raises(hg.AudioFormatError, match=named):
        hg.decode_audio(data)


# -- pacing ------------------------------------------------------------------------------------------------


class FakeTime:
    """A clock that moves only when slept on (each sleep overshooting by ``overshoot``) or told to."""

    def __init__(self, overshoot: float = 0.0) -> None:
        self.now = 100.0
        self.overshoot = overshoot
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 9))
        self.now += seconds + self.overshoot

    def pacer(self, lead: float = 1.0) -> hg.Pacer:
        return hg.Pacer(lead, clock=self.clock, sleep=self.sleep)


async def test_the_first_lead_seconds_go_at_once_then_each_frame_when_the_audio_before_it_has_played() -> None:
    time = FakeTime()
    pacer = time.pacer(lead=1.0)
    for duration in (0.6, 1.0, 1.0, 1.0, 0.5):
        await pacer.wait(duration)
    assert time.sleeps == [0.6, 1.0, 1.0]  # sent by then: 1.6 s, 2.6 s, 3.6 s of audio, always 1 s ahead
    assert pacer.stats() == hg.PacingStats(frames=5, audio_seconds=4.1, late_p50=0.0, late_p99=0.0, late_max=0.0)


async def test_lateness_is_measured_against_the_schedule_which_does_not_drift() -> None:
    time = FakeTime(overshoot=0.03)
    pacer = time.pacer(lead=0.5)
    for _ in range(20):
        await pacer.wait(1.0)
    assert time.sleeps == [0.5] + [0.97] * 18  # each late wake-up is made up by the next wait
    stats = pacer.stats()
    assert stats.frames == 20
    assert stats.late_max == pytest.approx(0.03)
    assert stats.late_p50 == pytest.approx(0.03, rel=0.05)
    assert stats.late_p99 == pytest.approx(0.03, rel=0.05)


async def test_after_a_gap_in_the_audio_the_lead_is_refilled_not_flooded() -> None:
    """A slow producer lets the avatar's buffer run dry: what comes next goes out ``lead`` ahead again, not
    as far ahead as the gap was long."""
    time = FakeTime()
    pacer = time.pacer(lead=1.0)
    for _ in range(3):
        await pacer.wait(1.0)
    time.now += 10.0  # nothing to send for 10 s
    time.sleeps.clear()
    for _ in range(4):
        await pacer.wait(1.0)
    assert time.sleeps == [1.0, 1.0]


async def test_reset_starts_a_new_schedule_and_keeps_the_stats() -> None:
    time = FakeTime()
    pacer = time.pacer(lead=0.0)
    await pacer.wait(2.0)
    pacer.reset()  # an interrupt: the server dropped the 2 s it held
    await pacer.wait(1.0)
    await pacer.wait(1.0)
    assert time.sleeps == [1.0]
    assert pacer.stats().frames == 3


async def test_the_lateness_record_stays_small_however_many_frames_are_paced() -> None:
    time = FakeTime()
    pacer = time.pacer(lead=0.0)
    for index in range(3000):
        time.overshoot = (index % 1000) * 0.0007  # 3000 frames, lateness spread over 0..0.7 s
        await pacer.wait(0.02)
    assert len(pacer._late) < 200  # bins 5% wide, not one entry per frame
    stats = pacer.stats()
    assert stats.late_max == pytest.approx(0.6993)
    assert stats.late_p99 <= stats.late_max
    assert stats.late_p99 == pytest.approx(0.99 * 0.6993, rel=0.06)
    assert stats.late_p50 == pytest.approx(0.35, rel=0.06)


@pytest.mark.parametrize("lead", [-1, float("inf"), True, "1"])
def test_a_bad_lead_is_refused(lead: Any) -> None:
    with pytest.raises(hg.ValidationError, match="lead must be"):
        hg.Pacer(lead)


def test_the_constants_are_liveavatars_format() -> None:
    assert (_audio.SAMPLE_RATE, _audio.CHANNELS, _audio.SAMPLE_WIDTH, _audio.BYTES_PER_SECOND) == (24000, 1, 2, 48000)
    # the longest frame, base64-encoded in its JSON message, stays under LiveAvatar's 1 MB packet limit
    assert round(_audio.MAX_FRAME_SECONDS * _audio.SAMPLE_RATE) * 2 * 4 // 3 + 200 < 1_000_000
