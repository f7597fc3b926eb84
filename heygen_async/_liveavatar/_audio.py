"""Audio for LiveAvatar's LITE mode: raw PCM s16le, 24 kHz, mono, checked, cut into frames, paced, decoded.

LiveAvatar renders the avatar from PCM it receives over the session's WebSocket (``agent.speak``, base64
chunks of at most 1 MB, about a second each). Audio in any other format plays garbled or silent with no error
from the server, so the client refuses or converts it before sending anything. Decoding containers (MP3, WAV,
FLAC, Ogg Vorbis) and converting rates and channels take the optional ``audio`` extra (miniaudio, one small,
maintained library): this package writes no codec or resampler of its own.
"""

from __future__ import annotations

import asyncio
import io
import math
import time
import wave
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from types import ModuleType
from typing import Any, Final

import attrs

from heygen_async._exceptions import AudioFormatError, ValidationError

__all__ = [
    "BYTES_PER_SECOND",
    "CHANNELS",
    "MAX_FRAME_SECONDS",
    "SAMPLE_RATE",
    "SAMPLE_WIDTH",
    "Pacer",
    "PacingStats",
    "decode_audio",
    "pcm_frames",
]

SAMPLE_RATE: Final = 24000
"""What LiveAvatar plays: samples per second ..."""
CHANNELS: Final = 1
"""... of one channel ..."""
SAMPLE_WIDTH: Final = 2
"""... of signed 16-bit little-endian samples."""
BYTES_PER_SECOND: Final = SAMPLE_RATE * CHANNELS * SAMPLE_WIDTH
MIN_FRAME_SECONDS: Final = 0.02
"""The shortest frame: 20 ms (960 bytes), what LiveAvatar's own web SDK sends."""
MAX_FRAME_SECONDS: Final = 15.0
"""The longest frame: 720,000 bytes of PCM are 960,000 characters of base64, under LiveAvatar's 1 MB packet
limit with room for the JSON around them."""
AUDIO_EXTRA: Final = "pip install 'heygen-async[audio]'"

_SNIFF_BYTES: Final = 2048
"""How much of a stream's start is read for a container's signature: an MPEG audio frame (at most 1,729 bytes)
and the header of the next one, which confirms it."""
_WIDTHS: Final = {1: "unsigned 8-bit", 2: "signed 16-bit", 3: "signed 24-bit", 4: "signed 32-bit"}
"""Integer PCM sample widths in bytes, little-endian, as WAV files (and the stdlib ``wave`` module) have them."""
_NEEDED: Final = "PCM s16le 24 kHz mono"


def _load_miniaudio() -> ModuleType | None:
    """miniaudio (the ``audio`` extra), or None when it is not installed."""
    try:
        import miniaudio
    except ImportError:
        return None
    return miniaudio


def _describe(sample_rate: int, channels: int, sample_width: int) -> str:
    layout = "mono" if channels == 1 else "stereo" if channels == 2 else f"{channels} channels"
    return f"PCM {_WIDTHS[sample_width]} {sample_rate} Hz {layout}"


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AudioFormatError(f"{name} must be a whole number within {low}..{high}, got {value!r}", parameter=name)
    return value


def _frame_samples(name: str, value: object) -> int:
    """A frame length in seconds, checked, as a whole number of 24 kHz samples."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not MIN_FRAME_SECONDS <= value <= MAX_FRAME_SECONDS
    ):
        raise AudioFormatError(
            f"{name} must be a number of seconds within {MIN_FRAME_SECONDS}..{MAX_FRAME_SECONDS}, got {value!r}",
            parameter=name,
        )
    return round(value * SAMPLE_RATE)


def _check_format(sample_rate: object, channels: object, sample_width: object) -> tuple[int, int, int]:
    rate = _whole("sample_rate", sample_rate, 8000, 192000)
    count = _whole("channels", channels, 1, 8)
    if isinstance(sample_width, bool) or sample_width not in _WIDTHS:
        raise AudioFormatError(
            f"sample_width must be the bytes per integer sample, 1, 2, 3 or 4, got {sample_width!r} "
            "(float samples: convert them to 16-bit integers first)",
            parameter="sample_width",
        )
    assert isinstance(sample_width, int)
    return rate, count, sample_width


# -- containers --------------------------------------------------------------------------------------------

_MPEG_RATES: Final = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MPEG_KBPS: Final = {
    (3, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),  # MPEG-1 layer II
    (3, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 layer III
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2/2.5 layers II, III
    (2, 1): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}


def _mpeg_frame(head: bytes, at: int) -> int | None:
    """The length of the MPEG audio (layer II or III) frame whose header starts at ``at``, or None if none does.

    Layer I is left out: its sync pattern is the 16-bit PCM sample -1, common in near-silence."""
    if len(head) < at + 4 or head[at] != 0xFF or head[at + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (head[at + 1] >> 3) & 3, (head[at + 1] >> 1) & 3
    bitrate, rate, padding = head[at + 2] >> 4, (head[at + 2] >> 2) & 3, (head[at + 2] >> 1) & 1
    if version == 1 or layer not in (1, 2) or bitrate in (0, 15) or rate == 3:
        return None
    kbps = _MPEG_KBPS[(3 if version == 3 else 2, layer)][bitrate]
    hertz = _MPEG_RATES[version][rate]
    per_frame = 144 if version == 3 or layer == 2 else 72
    return per_frame * kbps * 1000 // hertz + padding


def _adts_frame(head: bytes, at: int) -> int | None:
    """The length of the AAC ADTS frame whose header starts at ``at``, or None if none does."""
    if len(head) < at + 7 or head[at] != 0xFF or head[at + 1] & 0xF6 != 0xF0 or (head[at + 2] >> 2) & 0xF > 12:
        return None
    length = ((head[at + 3] & 3) << 11) | (head[at + 4] << 3) | (head[at + 5] >> 5)
    return length if length >= 7 else None


def _framed(head: bytes, parse: Callable[[bytes, int], int | None]) -> bool:
    """Whether ``head`` starts with a frame that ``parse`` reads, followed by another (when ``head`` is long
    enough to hold it): one header alone could be chance in raw PCM, two in a row are not."""
    length = parse(head, 0)
    if length is None:
        return False
    return len(head) < length + 4 or parse(head, length) is not None


def container_of(head: bytes) -> str | None:
    """What file format ``head`` (the first bytes of some audio) looks like, or None for none known (raw PCM)."""
    if head[:4] in (b"RIFF", b"RF64"):
        return "a WAV file"
    if head[:3] == b"ID3" and len(head) >= 10 and head[3] in (2, 3, 4) and all(b < 0x80 for b in head[6:10]):
        return "an MP3 file"
    if head[:5] == b"OggS\x00":
        return "an Ogg file (Vorbis or Opus)"
    if head[:4] == b"fLaC":
        return "a FLAC file"
    if head[:6] == b"caff\x00\x01":
        return "a Core Audio (CAF) file"
    if head[4:8] == b"ftyp":
        return "an MP4/M4A file"
    if _framed(head, _mpeg_frame):
        return "an MP3 (MPEG audio) stream"
    if _framed(head, _adts_frame):
        return "an AAC (ADTS) stream"
    return None


# -- framing -----------------------------------------------------------------------------------------------


@attrs.frozen
class _Plan:
    """How input becomes frames: their sizes in 24 kHz samples, and the input's format when it needs
    converting (``miniaudio`` is then the loaded module)."""

    first: int
    frame: int
    rate: int = SAMPLE_RATE
    channels: int = CHANNELS
    width: int = SAMPLE_WIDTH
    miniaudio: Any = None

    @property
    def in_width(self) -> int:
        """Bytes per input frame (one sample of every channel)."""
        return self.channels * self.width

    def input_for(self, samples: int) -> int:
        """Input frames that make the first ``samples`` output samples."""
        return -(-samples * self.rate // SAMPLE_RATE)

    def output_for(self, frames: int) -> int:
        """Output samples that the first ``frames`` input frames make."""
        return frames * SAMPLE_RATE // self.rate

    def convert(self, block: bytes, samples: int) -> bytes:
        """``block`` of input as exactly ``samples`` samples of PCM s16le 24 kHz mono."""
        if self.miniaudio is None:
            return block
        ma = self.miniaudio
        formats = ma.SampleFormat
        source = {1: formats.UNSIGNED8, 2: formats.SIGNED16, 3: formats.SIGNED24, 4: formats.SIGNED32}[self.width]
        out = bytes(ma.convert_frames(source, self.channels, self.rate, block, formats.SIGNED16, 1, SAMPLE_RATE))
        # Each block is converted on its own: its length can be a sample off the exact ratio. Trim or pad to the
        # planned count, so frames keep their sizes and the whole never drifts from the input's duration.
        size = samples * SAMPLE_WIDTH
        if len(out) >= size:
            return out[:size]
        return out + (out[-SAMPLE_WIDTH:] or b"\0\0") * ((size - len(out)) // SAMPLE_WIDTH)


class _Framer:
    """Cuts a stream of input chunks into frames, holding less than one frame's input between chunks."""

    def __init__(self, plan: _Plan) -> None:
        self._plan = plan
        self._buffer = bytearray()
        self._taken = 0  # input frames made into output so far
        self._made = 0  # output samples so far
        self._next = plan.first

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        view = memoryview(chunk)
        at = 0
        while True:
            plan = self._plan
            need = (plan.input_for(self._made + self._next) - self._taken) * plan.in_width - len(self._buffer)
            if len(view) - at < need:
                self._buffer += view[at:]
                return
            if self._buffer:
                self._buffer += view[at : at + need]
                block = bytes(self._buffer)
                self._buffer.clear()
            else:
                block = bytes(view[at : at + need])
            at += need
            yield self._emit(block, self._next)

    def finish(self) -> Iterator[bytes]:
        plan = self._plan
        left = len(self._buffer)
        if left % plan.in_width:
            raise AudioFormatError(
                f"the audio ends with a partial sample: {left % plan.in_width} byte(s) after the last whole one "
                f"({plan.in_width} bytes each); the frames before it were sent",
                parameter="source",
            )
        samples = plan.output_for(self._taken + left // plan.in_width) - self._made
        if samples > 0:
            yield self._emit(bytes(self._buffer), samples)
        self._buffer.clear()

    def _emit(self, block: bytes, samples: int) -> bytes:
        self._taken += len(block) // self._plan.in_width
        self._made += samples
        self._next = self._plan.frame
        return self._plan.convert(block, samples)


def _as_bytes(chunk: object, index: int) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        raise AudioFormatError(
            f"audio chunk {index} is a str, not bytes: audio is PCM bytes (text goes to speak())", parameter="source"
        )
    try:
        view = memoryview(chunk)  # type: ignore[arg-type]  # any bytes-like object: bytearray, memoryview, array
    except TypeError:
        raise AudioFormatError(
            f"audio chunk {index} is a {type(chunk).__name__}, not bytes-like", parameter="source"
        ) from None
    return view.tobytes()  # our own copy: the caller may reuse its buffer once we ask for the next chunk


async def _chunks(source: AsyncIterator[object] | Iterator[object]) -> AsyncGenerator[bytes, None]:
    """The source's non-empty chunks as bytes; the source is closed when this is, however it ends."""
    try:
        if isinstance(source, AsyncIterator):
            index = 0
            async for chunk in source:
                data = _as_bytes(chunk, index)
                index += 1
                if data:
                    yield data
        else:
            for index, chunk in enumerate(source):
                data = _as_bytes(chunk, index)
                if data:
                    yield data
    finally:
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()
        else:
            close = getattr(source, "close", None)
            if close is not None:
                close()


async def _frames(chunks: AsyncGenerator[bytes, None], plan: _Plan) -> AsyncGenerator[bytes, None]:
    try:
        head: list[bytes] = []
        seen = 0
        while seen < _SNIFF_BYTES:
            chunk = await anext(chunks, None)
            if chunk is None:
                break
            head.append(chunk)
            seen += len(chunk)
        start = b"".join(chunk[:_SNIFF_BYTES] for chunk in head)[:_SNIFF_BYTES]
        found = container_of(start)
        if found is not None:
            raise AudioFormatError(
                f"the audio looks like {found}, not raw {_NEEDED}: decode it first with "
                f"heygen_async.decode_audio() (needs the audio extra: {AUDIO_EXTRA}; a WAV already in "
                f"{_NEEDED} needs nothing), or send the PCM inside",
                parameter="source",
            )
        framer = _Framer(plan)
        for chunk in head:
            for frame in framer.feed(chunk):
                yield frame
        del head
        async for chunk in chunks:
            for frame in framer.feed(chunk):
                yield frame
        for frame in framer.finish():
            yield frame
    finally:
        await chunks.aclose()


def pcm_frames(
    source: AsyncIterable[bytes] | Iterable[bytes] | bytes,
    *,
    sample_rate: int = SAMPLE_RATE,
    channels: int = CHANNELS,
    sample_width: int = SAMPLE_WIDTH,
    first_frame: float = 0.6,
    frame: float = 1.0,
) -> AsyncGenerator[bytes, None]:
    """``source``'s audio as frames of PCM s16le 24 kHz mono, ready for ``agent.speak``.

    ``source`` is an async iterable or an iterable of bytes-like chunks of any size, or one bytes object (the
    whole audio), in the declared format: ``sample_rate`` Hz, ``channels`` interleaved channels and
    ``sample_width`` bytes per sample (1: unsigned 8-bit, 2: signed 16-bit, 3 and 4: signed 24 and 32-bit,
    little-endian, as in WAV files; float samples are not taken). Anything but 24 kHz mono 16-bit is
    converted with the ``audio`` extra (miniaudio, block by block).

    The first frame holds ``first_frame`` seconds, the next ``frame`` seconds each, the last the rest: each a
    whole number of samples, never empty, at most :data:`MAX_FRAME_SECONDS`. At most about one frame plus one
    input chunk is held at a time.

    Checked at once, before anything is read: the arguments, the source's type, and that the ``audio`` extra
    is installed when converting; each raises :class:`AudioFormatError`. Checked while reading, before the
    first frame: the start of the audio is no container (WAV, MP3, Ogg, FLAC, CAF, MP4, AAC): decode those with
    :func:`decode_audio`. Later: a chunk that is not bytes-like (a ``str`` neither), and a partial sample at
    the very end, raise when they are reached, after the frames before them were yielded.

    The returned generator closes ``source`` (if it is a generator) when it is closed or finishes.
    """
    rate, count, width = _check_format(sample_rate, channels, sample_width)
    first_samples, frame_samples = _frame_samples("first_frame", first_frame), _frame_samples("frame", frame)
    miniaudio = None
    if (rate, count, width) != (SAMPLE_RATE, CHANNELS, SAMPLE_WIDTH):
        miniaudio = _load_miniaudio()
        if miniaudio is None:
            raise AudioFormatError(
                f"the audio is declared as {_describe(rate, count, width)}; LiveAvatar plays only {_NEEDED}. "
                f"Converting it needs the audio extra ({AUDIO_EXTRA}), or convert it before sending",
                parameter="sample_rate" if rate != SAMPLE_RATE else "channels" if count != CHANNELS else "sample_width",
            )
    plan = _Plan(first_samples, frame_samples, rate, count, width, miniaudio)
    if isinstance(source, str):
        raise AudioFormatError(
            "source is a str, not audio: speak_audio() takes PCM bytes (text goes to speak())", parameter="source"
        )
    if isinstance(source, (bytes, bytearray, memoryview)):
        chunks = _chunks(iter((bytes(source),)))
    elif isinstance(source, AsyncIterable):
        chunks = _chunks(aiter(source))
    elif isinstance(source, Iterable):
        chunks = _chunks(iter(source))
    else:
        raise AudioFormatError(
            f"source must be bytes, or an async iterable or iterable of bytes chunks, not {type(source).__name__}",
            parameter="source",
        )
    return _frames(chunks, plan)


# -- decoding ----------------------------------------------------------------------------------------------


def _wav_as_is(data: bytes, sample_rate: int, channels: int) -> bytes | None:
    """The samples of a WAV file that is already 16-bit PCM at the wanted rate and channels, else None."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            if (reader.getsampwidth(), reader.getframerate(), reader.getnchannels()) != (2, sample_rate, channels):
                return None
            return reader.readframes(reader.getnframes())
    except (wave.Error, EOFError):
        return None


def _wav_format(data: bytes) -> str:
    """A WAV file's sample format in words, for an error saying it needs converting."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            width, rate, count = reader.getsampwidth(), reader.getframerate(), reader.getnchannels()
    except (wave.Error, EOFError):
        return "a WAV file in a format the stdlib cannot read (compressed, float or extensible)"
    if width not in _WIDTHS:
        return f"a WAV file of {width}-byte samples"
    return f"a WAV file of {_describe(rate, count, width)}"


def decode_audio(data: bytes, *, sample_rate: int = SAMPLE_RATE, channels: int = CHANNELS) -> bytes:
    """An audio file (MP3, WAV, FLAC or Ogg Vorbis, whole, in memory) as PCM s16le at ``sample_rate`` Hz with
    ``channels`` channels: LiveAvatar's 24 kHz mono by default.

    Needs the ``audio`` extra (miniaudio), except for a WAV file that is already 16-bit PCM at that rate and
    channel count, which the stdlib reads. Raises :class:`AudioFormatError` when the extra is missing or the
    data cannot be decoded, saying why and never quoting the data.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise AudioFormatError(f"data must be the bytes of an audio file, not {type(data).__name__}", parameter="data")
    data = bytes(data)
    if not data:
        raise AudioFormatError("data is empty: there is no audio to decode", parameter="data")
    rate, count, _ = _check_format(sample_rate, channels, SAMPLE_WIDTH)
    found = container_of(data[:_SNIFF_BYTES])
    if found == "a WAV file":
        as_is = _wav_as_is(data, rate, count)
        if as_is is not None:
            return as_is
        found = _wav_format(data)
    miniaudio = _load_miniaudio()
    if miniaudio is None:
        what = found or "the audio"
        raise AudioFormatError(
            f"decoding {what} into {_describe(rate, count, 2)} needs the audio extra ({AUDIO_EXTRA}); "
            "only a WAV file already in that format is read without it",
            parameter="data",
        )
    try:
        decoded = miniaudio.decode(data, miniaudio.SampleFormat.SIGNED16, count, rate)
    except miniaudio.MiniaudioError:
        what = f"it looks like {found}" if found else "no known audio format was recognised"
        raise AudioFormatError(
            f"the audio could not be decoded ({what}): miniaudio reads WAV, MP3, FLAC and Ogg Vorbis, whole "
            "and undamaged",
            parameter="data",
        ) from None
    samples: bytes = decoded.samples.tobytes()
    return samples


# -- pacing ------------------------------------------------------------------------------------------------

_ON_TIME: Final = 1e-4
"""Lateness up to 0.1 ms counts as none."""
_BIN_STEP: Final = 1.05
"""Lateness is kept in bins 5% wide (a few hundred at most), so a session's pacer holds bounded memory."""


@attrs.frozen(kw_only=True)
class PacingStats:
    """How a :class:`Pacer` kept to its schedule.

    ``frames`` and ``audio_seconds`` count every frame paced; ``late_p50``, ``late_p99`` and ``late_max`` are
    seconds by which frames that had to wait went out after their time (0.0 when none waited). Percentiles are
    the upper edge of a bin 5% wide (never above the maximum), the maximum exact.
    """

    frames: int
    audio_seconds: float
    late_p50: float
    late_p99: float
    late_max: float


class Pacer:
    """Lets frames of audio go out in real time, ``lead`` seconds ahead of playback.

    ``await pacer.wait(duration)`` before sending each frame: the first ``lead`` seconds go at once, and later
    a frame goes once what was sent before it, less ``lead``, has played. Playback is modelled as starting when
    audio arrives: after a gap (a slow producer), the buffer is counted as drained and refilled ``lead``
    ahead, never flooded. :meth:`reset` after an interrupt (the server dropped what it held). One sleep per
    frame at most; ``clock`` and ``sleep`` are replaceable for tests.
    """

    def __init__(
        self,
        lead: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if isinstance(lead, bool) or not isinstance(lead, (int, float)) or not 0 <= lead < math.inf:
            raise ValidationError(f"lead must be a finite number of seconds >= 0, got {lead!r}", parameter="lead")
        self.lead = float(lead)
        self._clock = clock
        self._sleep = sleep
        self._played_by: float | None = None  # when everything sent so far will have played
        self._frames = 0
        self._seconds = 0.0
        self._late: Counter[int] = Counter()
        self._late_max = 0.0

    def __repr__(self) -> str:
        return f"<Pacer lead={self.lead:g}s frames={self._frames}>"

    async def wait(self, duration: float) -> None:
        """Return when the next frame, ``duration`` seconds of audio, may be sent; counts it as sent then."""
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0 <= duration < math.inf:
            raise ValidationError(
                f"duration must be a finite number of seconds >= 0, got {duration!r}", parameter="duration"
            )
        now = self._clock()
        if self._played_by is not None:
            due = self._played_by - self.lead
            if due > now:
                await self._sleep(due - now)
                now = self._clock()
                self._record(now - due)
        self._played_by = max(self._played_by if self._played_by is not None else now, now) + duration
        self._frames += 1
        self._seconds += duration

    def reset(self) -> None:
        """Start a new schedule (after an interrupt: nothing is queued on the server); the stats carry on."""
        self._played_by = None

    def stats(self) -> PacingStats:
        waited = sum(self._late.values())
        return PacingStats(
            frames=self._frames,
            audio_seconds=self._seconds,
            late_p50=self._percentile(0.50, waited),
            late_p99=self._percentile(0.99, waited),
            late_max=self._late_max,
        )

    def _record(self, late: float) -> None:
        late = max(late, 0.0)
        self._late_max = max(self._late_max, late)
        self._late[0 if late <= _ON_TIME else 1 + int(math.log(late / _ON_TIME, _BIN_STEP))] += 1

    def _percentile(self, share: float, waited: int) -> float:
        if not waited:
            return 0.0
        rank, seen = math.ceil(share * waited), 0
        for index in sorted(self._late):
            seen += self._late[index]
            if seen >= rank:
                return 0.0 if index == 0 else min(_ON_TIME * _BIN_STEP**index, self._late_max)
        raise AssertionError("unreachable: the bins hold every frame that waited")
