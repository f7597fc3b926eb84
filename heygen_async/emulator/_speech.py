"""The audio the emulator serves for ``POST /v3/voices/speech``: a real WAV file, so clients decode it.

One tone per word, from the word's start to its end as the answer's ``word_timestamps`` give them, silence
between words, and as long in all as the answer's ``duration``. Each tone is one period repeated (a period of
whole samples), so a few minutes of speech are made in milliseconds.
"""

from __future__ import annotations

import array
import io
import math
import wave
from collections.abc import Sequence
from typing import Final

__all__ = ["TONES", "speech_wav"]

TONES: Final = (220.0, 330.0, 440.0)
"""Hz of the words' tones, in turn (each rounded to a whole number of samples per period)."""
_AMPLITUDE: Final = 8000


def _period(frequency: float, sample_rate: int, channels: int) -> array.array[int]:
    size = max(2, round(sample_rate / frequency))
    samples = array.array("h")
    for index in range(size):
        samples.extend([round(_AMPLITUDE * math.sin(2 * math.pi * index / size))] * channels)
    return samples


def speech_wav(words: Sequence[tuple[float, float]], duration: float, *, sample_rate: int, channels: int) -> bytes:
    """A WAV file of ``duration`` seconds with a tone over each ``(start, end)`` word, in seconds."""
    total = round(duration * sample_rate)
    samples = array.array("h")
    for index, (start, end) in enumerate(words):
        first, last = min(round(start * sample_rate), total), min(round(end * sample_rate), total)
        samples.extend(array.array("h", bytes(2 * channels * max(0, first - len(samples) // channels))))
        period = _period(TONES[index % len(TONES)], sample_rate, channels)
        length = (last - first) * channels
        samples.extend((period * (length // len(period) + 1))[:length])
    samples.extend(array.array("h", bytes(2 * (total * channels - len(samples)))))
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(samples.tobytes())
    return out.getvalue()
