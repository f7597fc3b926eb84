"""Audio in tests: PCM tones made here (no sound files shipped), WAV files of them, and a way to run code as if
the optional ``audio`` extra (miniaudio) were not installed."""

from __future__ import annotations

import array
import io
import itertools
import math
import sys
import wave
from collections.abc import AsyncIterator, Iterable

import pytest


def pcm_tone(seconds: float, rate: int = 24000, channels: int = 1, *, frequency: float = 440.0) -> bytes:
    """``seconds`` of a sine tone as 16-bit little-endian PCM, ``channels`` interleaved (the same in each)."""
    samples = array.array("h")
    for index in range(round(seconds * rate)):
        samples.extend([round(8000 * math.sin(2 * math.pi * frequency * index / rate))] * channels)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def zero_crossings(pcm: bytes, channels: int = 1) -> int:
    """How often the first channel of 16-bit PCM changes sign: twice a period, so it tells a tone's frequency."""
    samples = array.array("h", pcm)[::channels]
    return sum(1 for before, after in itertools.pairwise(samples) if (before < 0) != (after < 0))


def wav_file(pcm: bytes, rate: int = 24000, channels: int = 1) -> bytes:
    """``pcm`` (16-bit) in a WAV file, made with the stdlib."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return out.getvalue()


def chunked(data: bytes, size: int) -> list[bytes]:
    """``data`` cut into chunks of ``size`` bytes (the last shorter)."""
    return [data[start : start + size] for start in range(0, len(data), size)]


async def streamed(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    """``chunks`` as an async iterator, as a text-to-speech or a network stream gives them."""
    for chunk in chunks:
        yield chunk


def hide_miniaudio(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import miniaudio`` fail for the rest of the test, as when the ``audio`` extra is not installed."""
    monkeypatch.setitem(sys.modules, "miniaudio", None)
