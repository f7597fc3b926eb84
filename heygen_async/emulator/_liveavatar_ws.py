"""A LITE session's WebSocket on the emulator: LiveAvatar's control channel, JSON text frames keyed by ``type``.

On connect it says ``session.state_updated`` ``connecting``, then ``connected`` a moment later; commands that
arrive before ``connected`` are dropped without a word (as the real service drops them) and counted. Then:

- ``agent.speak {audio, event_id}``: a frame of base64 PCM s16le, 24 kHz mono. A frame that is not valid
  base64, holds an odd number of bytes, decodes to more than 1 MB or nothing, has no ``event_id``, or opens
  an utterance with an audio container's header (WAV, MP3, Ogg, FLAC: encoded audio rather than PCM) is
  refused with ``{"type": "error", "message", "event_id"}`` (our choice: the real server says nothing and
  plays noise) and counted by reason. Utterances play one at a time in the order their first frames arrived,
  in real time at 48,000 bytes a second: ``agent.speak_started`` when one starts, ``agent.speak_ended`` once
  its ``agent.speak_end`` came and all its audio played.
- ``agent.interrupt``: every queued and playing utterance is dropped, each answered with ``agent.speak_ended``
  carrying ``interrupted: true`` (our choice); frames still arriving for a dropped utterance are ignored.
- ``agent.start_listening`` / ``agent.stop_listening``: recorded; ``session.keep_alive``: counted. Every
  command counts as activity (the idle timer starts again).
- Anything else (an unknown type, text that is not a JSON object, a binary frame) is counted and answered
  with an ``error`` frame.

When the session ends the socket says ``closing``, then ``closed``, and closes with 1000; a newer connection to
the same session replaces this one (closed with 4001); speech still queued when a connection closes is dropped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import time
from collections import deque
from typing import Any, Final

import anyio
from aiohttp import WSMsgType, web

from ._liveavatar_state import MAX_RECORDED, Command, Connection, LiveAvatarState, LiveSession, Utterance

__all__ = ["REPLACED", "LiteSocket", "container_of"]

BYTES_PER_SECOND: Final = 48_000
MAX_FRAME_BYTES: Final = 1024 * 1024
REPLACED: Final = 4001
"""The close code of a connection a newer one to the same session replaced."""
_MAX_BASE64: Final = (MAX_FRAME_BYTES + 2) // 3 * 4
_COMMANDS: Final = frozenset(
    {
        "agent.speak",
        "agent.speak_end",
        "agent.interrupt",
        "agent.start_listening",
        "agent.stop_listening",
        "session.keep_alive",
    }
)


def container_of(audio: bytes) -> str | None:
    """The audio container ``audio`` starts with (encoded audio, not raw PCM), or None.

    MPEG and ADTS frames only count with a plausible header (a valid bitrate and sample rate), since PCM
    samples near -1 start with the same 0xFF 0xFx bytes as their sync word.
    """
    for magic, name in ((b"RIFF", "WAV"), (b"ID3", "MP3"), (b"OggS", "Ogg"), (b"fLaC", "FLAC")):
        if audio.startswith(magic):
            return name
    if len(audio) >= 4 and audio[0] == 0xFF and audio[1] & 0xF0 == 0xF0:
        layer = (audio[1] >> 1) & 0b11
        if layer == 0:  # ADTS (AAC): a sample-rate index below 13
            return "AAC" if (audio[2] >> 2) & 0xF < 13 else None
        return "MP3" if audio[2] >> 4 not in (0, 0xF) and (audio[2] >> 2) & 0b11 != 3 else None
    return None


class LiteSocket:
    """One WebSocket connection to a LITE session, from its handshake to its close."""

    def __init__(
        self,
        state: LiveAvatarState,
        session: LiveSession,
        request: web.Request,
        ws: web.WebSocketResponse,
        *,
        connect_delay: float,
    ) -> None:
        self.state = state
        self.session = session
        self.request = request
        self.ws = ws
        self.connect_delay = connect_delay
        self.record = Connection(number=len(session.connections) + 1, opened_at=time.monotonic())
        session.connections.append(self.record)
        self.queue: deque[Utterance] = deque()
        self.active: dict[str, Utterance] = {}
        self.interrupted_ids: set[str] = set()
        self.changed = asyncio.Event()
        self.stopped = asyncio.Event()
        self.stop_code = 1000
        self._send_lock = asyncio.Lock()

    def stop(self, code: int) -> None:
        """Close this connection with ``code`` (a newer one replaced it, or the emulator is going away)."""
        self.stop_code = code
        self.stopped.set()

    async def serve(self) -> None:
        """Talk until the client or the session ends the connection."""
        counters = self.state.counters
        counters["ws_connections"] += 1
        counters["ws_open"] += 1
        helpers = [
            asyncio.create_task(self._announce(), name="liveavatar-connected"),
            asyncio.create_task(self._play(), name="liveavatar-playback"),
            asyncio.create_task(self._watch(), name="liveavatar-watch"),
        ]
        try:
            await self.send({"type": "session.state_updated", "state": "connecting"})
            async for message in self.ws:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._take(message.data)
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            self._drop_speech()
            self.record.closed_at = time.monotonic()
            self.record.close_code = self.ws.close_code
            counters["ws_open"] -= 1

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            if self.ws.closed:
                return
            try:
                await self.ws.send_str(json.dumps(frame, separators=(",", ":")))
            except (ConnectionResetError, RuntimeError):  # the peer went away mid-send: nothing left to tell it
                return

    # -- the helpers ------------------------------------------------------------------------------------------

    async def _announce(self) -> None:
        await asyncio.sleep(self.connect_delay)
        self.record.connected = True
        await self.send({"type": "session.state_updated", "state": "connected"})

    async def _watch(self) -> None:
        """Close when the session ends (saying so first) or when told to."""
        ended = asyncio.create_task(self.session.ended.wait())
        stopped = asyncio.create_task(self.stopped.wait())
        try:
            await asyncio.wait((ended, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            stopped.cancel()
        if self.session.ended.is_set() and self.state.sessions.get(self.session.id) is self.session:
            self._drop_speech()
            await self.send({"type": "session.state_updated", "state": "closing"})
            await self.send({"type": "session.state_updated", "state": "closed"})
            await self.ws.close(code=1000, message=b"session ended")
        else:  # replaced, the emulator reset or shutting down
            await self.ws.close(code=self.stop_code if self.stopped.is_set() else 1001)

    async def _play(self) -> None:
        """Play utterances one after another, in real time."""
        while True:
            while not self.queue:
                self.changed.clear()
                await self.changed.wait()
            utterance = self.queue[0]
            utterance.started_at = time.monotonic()
            await self.send(self._speech_event("agent.speak_started", utterance))
            while self.queue and self.queue[0] is utterance:
                self.changed.clear()
                left = utterance.started_at + utterance.seconds - time.monotonic()
                if left <= 0 and utterance.speak_end_at is not None:
                    utterance.ended_at = time.monotonic()
                    utterance.ended_by_speak_end = True
                    self.queue.popleft()
                    self.active.pop(utterance.event_id, None)
                    await self.send(self._speech_event("agent.speak_ended", utterance))
                    break
                with anyio.move_on_after(left if left > 0 else math.inf):
                    await self.changed.wait()

    @staticmethod
    def _speech_event(kind: str, utterance: Utterance, **more: Any) -> dict[str, Any]:
        return {"type": kind, "event_id": utterance.event_id, "task": {"id": utterance.task_id}, **more}

    def _drop_speech(self) -> list[Utterance]:
        """Drop every queued and playing utterance (interrupted); the dropped ones."""
        dropped = list(self.queue)
        now = time.monotonic()
        for utterance in dropped:
            utterance.interrupted = True
            utterance.ended_at = now
            self.interrupted_ids.add(utterance.event_id)
        self.state.counters["utterances_interrupted"] += len(dropped)
        self.queue.clear()
        self.active.clear()
        self.changed.set()
        return dropped

    # -- commands -----------------------------------------------------------------------------------------------

    async def _take(self, data: str | bytes) -> None:
        counters = self.state.counters
        if not self.record.connected:
            self.record.dropped_before_connected += 1
            counters["dropped_before_connected"] += 1
            return
        try:
            frame = json.loads(data) if isinstance(data, str) else None
        except (ValueError, RecursionError):
            frame = None
        if not isinstance(frame, dict):
            counters["invalid_messages"] += 1
            await self.send({"type": "error", "message": "Messages are JSON objects with a 'type'", "event_id": None})
            return
        kind = frame.get("type")
        event_id = frame.get("event_id")
        if kind not in _COMMANDS:
            counters["unknown_commands"] += 1
            await self.send({"type": "error", "message": f"Unknown message type {kind!r}", "event_id": event_id})
            return
        self.session.record(Command(kind, event_id if isinstance(event_id, str) else None))
        self.state.touch(self.session)
        if kind == "agent.speak":
            await self._speak(frame)
        elif kind == "agent.speak_end":
            utterance = self.active.get(event_id) if isinstance(event_id, str) else None
            if utterance is not None:
                utterance.speak_end_at = time.monotonic()
                self.changed.set()
        elif kind == "agent.interrupt":
            for utterance in self._drop_speech():
                await self.send(self._speech_event("agent.speak_ended", utterance, interrupted=True))
        elif kind == "session.keep_alive":
            self.state.keep_alives["ws"] += 1

    async def _speak(self, frame: dict[str, Any]) -> None:
        event_id = frame.get("event_id")
        audio = frame.get("audio")
        problem, pcm = self._decode(event_id, audio)
        if problem is None:
            assert isinstance(event_id, str)  # _decode said so
            if event_id in self.interrupted_ids:
                self.state.counters["frames_after_interrupt"] += 1
                return
            container = container_of(pcm) if event_id not in self.active else None
            if container is not None:
                problem = ("container", f"the audio is a {container} file; send raw PCM s16le, 24 kHz mono")
        if problem is not None:
            reason, message = problem
            self.state.bad_frames[reason] += 1
            sent_id = event_id if isinstance(event_id, str) else None
            await self.send({"type": "error", "message": f"agent.speak refused: {message}", "event_id": sent_id})
            return
        assert isinstance(event_id, str)
        now = time.monotonic()
        utterance = self.active.get(event_id)
        if utterance is None:
            utterance = Utterance(event_id=event_id, task_id=f"task_{len(self.session.utterances) + 1}")
            utterance.first_frame_at = now
            self.session.utterances.append(utterance)
            self.active[event_id] = utterance
            self.queue.append(utterance)
            self.state.counters["utterances"] += 1
        utterance.frames += 1
        utterance.bytes += len(pcm)
        if self.state.config.liveavatar_record_frames and self.session.recorded < MAX_RECORDED:
            utterance.frame_arrivals.append(now)
            self.session.recorded += 1
        self.state.counters["speak_frames"] += 1
        self.state.counters["speak_bytes"] += len(pcm)
        self.changed.set()

    @staticmethod
    def _decode(event_id: Any, audio: Any) -> tuple[tuple[str, str] | None, bytes]:
        """An ``agent.speak`` frame's PCM, or what is wrong with the frame (a reason and a message)."""
        if not isinstance(event_id, str) or not event_id:
            return ("missing_event_id", "event_id must be a non-empty string (one per utterance)"), b""
        if not isinstance(audio, str) or not audio:
            return ("missing_audio", "audio must be base64 text of PCM s16le, 24 kHz mono"), b""
        too_large = ("too_large", f"a frame holds at most {MAX_FRAME_BYTES} bytes of audio")
        if len(audio) > _MAX_BASE64:
            return too_large, b""
        try:
            pcm = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            return ("invalid_base64", "audio is not valid base64"), b""
        if len(pcm) > MAX_FRAME_BYTES:
            return too_large, b""
        if len(pcm) % 2:
            return ("odd_length", f"{len(pcm)} bytes is not a whole number of 16-bit samples"), b""
        return None, pcm
