"""A LiveAvatar session that cannot leak: ``async with live.session(avatar_id=..., mode="LITE") as s``.

It is a :class:`~heygen_async.StreamingSession` (the same state machine, events, serialised speech, and
exactly one shielded, bounded stop on every exit), whose create call is ``POST /v1/sessions/token`` and whose
start is ``POST /v1/sessions/start``. What differs is how it speaks:

- LITE: LiveAvatar renders the audio you send. Once started, the session opens the WebSocket LiveAvatar gave
  (:class:`LiteChannel`). ``speak_audio(chunks)`` checks the audio before anything is sent, cuts it into
  frames (600 ms, then 1 s), paces them to real time with a lead, sends each as ``agent.speak`` with one
  ``event_id`` per utterance, and closes the utterance with ``agent.speak_end``; ``speak(text)`` runs ``text``
  through the session's text-to-speech first. ``interrupt()`` drops speech not sent yet and sends
  ``agent.interrupt`` ahead of it. ``agent.speak_ended`` is a :class:`TaskFinished` event.
- FULL: LiveAvatar runs speech itself; ``s.viewer`` is what a front end joins the LiveKit room with, and
  ``speak``/``chat``/``interrupt`` go over LiveKit's data channel (the ``livekit`` extra: see ``_full.py``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from heygen_async._exceptions import (
    AudioFormatError,
    ConfigurationError,
    SessionClosedError,
    TaskInterrupted,
    ValidationError,
)
from heygen_async._models import StreamingTask
from heygen_async._redact import Secret
from heygen_async._shield import first_of
from heygen_async._spec._liveavatar_table import LIVEAVATAR_ENDPOINTS_BY_NAME, MODES, SANDBOX_AVATAR_ID
from heygen_async._spec._validation import build_request
from heygen_async._streaming._events import Reconnected, ServerEvent, SessionState, TaskFinished, TaskSent
from heygen_async._streaming._session import SESSION_OPTIONS, StreamingSession, TaskMode, TaskType, _seconds
from heygen_async.liveavatar._models import LiveMode, LiveSessionInfo

from ._audio import BYTES_PER_SECOND, Pacer, pcm_frames
from ._lite import LiteChannel, url_redactor

if TYPE_CHECKING:
    from ._backend import LiveAvatarBackend
    from ._full import FullChannel
    from ._tts import TextToSpeech

__all__ = ["IDLE_TIMEOUT", "LIVE_OPTIONS", "LiveAvatarSession", "Viewer"]

logger = logging.getLogger("heygen_async")

IDLE_TIMEOUT: Final = 300.0
"""LiveAvatar ends a session after 5 minutes without activity."""
LIVE_OPTIONS: Final = (
    *SESSION_OPTIONS,
    "tts",
    "first_frame",
    "frame",
    "lead",
    "connect_timeout",
    "reconnects",
    "full_channel",
)
"""A LiveAvatar session's own keyword arguments (the legacy session's, and those of its speech)."""
_TOKEN: Final = LIVEAVATAR_ENDPOINTS_BY_NAME["sessions.token"]
_TOKEN_PARAMS: Final = frozenset(param.name for param in _TOKEN.params)
_FULL_ONLY: Final = frozenset(
    {"avatar_persona", "voice_agent", "interactivity_type", "llm_configuration_id", "dynamic_variables", "memory"}
)
_LITE_ONLY: Final = frozenset(
    {"livekit_config", "agora_config", "elevenlabs_agent_config", "openai_realtime_config", "gemini_realtime_config"}
)
"""The token's fields that only one mode takes (notes C.2): sent to the other, they would be ignored."""
_MAX_VARIABLES: Final = 50


@attrs.frozen(kw_only=True)
class Viewer:
    """What a front end joins the session's LiveKit room with (LiveKit's ``Room.connect(url, token)``); the
    token is a credential, kept out of the repr."""

    url: str | None
    token: str | None = attrs.field(repr=False)


class LiveAvatarSession(StreamingSession):
    """One LiveAvatar session. Create it with ``live.session(...)`` (or ``live.manager(...).session(...)``).

    Beyond :class:`StreamingSession`'s options: ``tts`` (an async callable text -> PCM chunks, e.g.
    :class:`~heygen_async.HeyGenSpeech`) for ``speak(text)`` in LITE mode; ``first_frame`` and ``frame``
    (seconds of audio per ``agent.speak`` frame: 0.6 then 1.0, as LiveAvatar recommends); ``lead`` (how far
    ahead of real time audio is sent, seconds, default 1.0); ``connect_timeout`` (the WebSocket's opening,
    default 10 s); ``reconnects`` (tries to reopen a dropped WebSocket before the session is closed and
    stopped, default 3); ``full_channel`` (a factory for FULL mode's data channel; default: LiveKit's).
    ``keep_alive`` defaults to on: ``POST /v1/sessions/keep-alive`` every ``keep_alive_interval`` (default
    100 s) against LiveAvatar's 5-minute idle timeout.
    """

    OPTIONS: ClassVar[tuple[str, ...]] = LIVE_OPTIONS
    API: ClassVar[str] = "LiveAvatar"
    CREATE: ClassVar[str] = "POST /v1/sessions/token"
    STOP: ClassVar[str] = "POST /v1/sessions/stop"

    def __init__(
        self,
        backend: LiveAvatarBackend,
        params: Mapping[str, Any],
        *,
        tts: TextToSpeech | None = None,
        first_frame: float = 0.6,
        frame: float = 1.0,
        lead: float = 1.0,
        connect_timeout: float = 10.0,
        reconnects: int = 3,
        full_channel: Callable[[], FullChannel] | None = None,
        **options: Any,
    ) -> None:
        if tts is not None and not callable(tts):
            raise ValidationError("tts must be an async callable text -> PCM chunks", parameter="tts")
        self._first_frame = _seconds("first_frame", first_frame) or 0.6
        self._frame = _seconds("frame", frame) or 1.0
        self._lead = _seconds("lead", lead, positive=False) or 0.0
        self._connect_timeout = _seconds("connect_timeout", connect_timeout) or 10.0
        if isinstance(reconnects, bool) or not isinstance(reconnects, int) or not 0 <= reconnects <= 100:
            raise ValidationError(
                f"reconnects must be a whole number 0-100, got {reconnects!r}", parameter="reconnects"
            )
        if full_channel is not None and not callable(full_channel):
            raise ValidationError("full_channel must be a callable making a FullChannel", parameter="full_channel")
        for name in ("first_frame", "frame"):
            if getattr(self, f"_{name}") > 10:
                raise ValidationError(
                    f"{name} must be at most 10 s of audio (LiveAvatar takes <= 1 MB a frame)", parameter=name
                )
        self._tts = tts
        self._reconnects = reconnects
        self._full_factory = full_channel
        self._lite: LiteChannel | None = None
        self._full: FullChannel | None = None
        self._joining = asyncio.Lock()  # one join of the FULL data channel at a time (see _joined)
        self._utterances: dict[str, float] = {}  # event_id -> seconds of audio, sent and not reported ended
        self._pacing: Pacer | None = None
        self._cut: asyncio.Event | None = None  # set when the utterance streaming now must stop (see _cut_short)
        self._cut_why = ""
        self._streaming: str | None = None  # the event_id of the utterance streaming now
        super().__init__(backend, params, **options)
        self._live_backend = backend
        self._mode = LiveMode(str(self._params.get("mode", "LITE")))

    def _check_params(self, params: Mapping[str, Any]) -> tuple[dict[str, Any], float]:
        """``sessions.token``'s arguments: ``mode`` LITE unless given, ``sandbox`` as ``is_sandbox`` (with the
        sandbox avatar when no ``avatar_id`` is given); unknown names and bad values are refused here."""
        arguments = {name: value for name, value in params.items() if value is not None}
        if "sandbox" in arguments:
            if "is_sandbox" in arguments:
                raise ValidationError("give sandbox or is_sandbox, not both", parameter="sandbox")
            arguments["is_sandbox"] = arguments.pop("sandbox")
        arguments.setdefault("mode", "LITE")
        if isinstance(arguments["mode"], str):
            arguments["mode"] = arguments["mode"].upper()
        if arguments["mode"] not in MODES:
            raise ValidationError(f"mode must be one of {MODES}, got {arguments['mode']!r}", parameter="mode")
        if not isinstance(arguments.get("is_sandbox", False), bool):
            raise ValidationError(
                f"sandbox must be True or False, got {arguments['is_sandbox']!r}", parameter="sandbox"
            )
        wrong = sorted(set(arguments) & (_LITE_ONLY if arguments["mode"] == "FULL" else _FULL_ONLY))
        if wrong:
            raise ValidationError(
                f"{wrong} {'are' if len(wrong) > 1 else 'is'} not for a {arguments['mode']} session "
                f"(FULL takes {sorted(_FULL_ONLY)}, LITE {sorted(_LITE_ONLY)})",
                parameter=wrong[0],
            )
        if arguments["mode"] == "FULL":
            given = [name for name in ("avatar_persona", "voice_agent") if name in arguments]
            if len(given) != 1:
                raise ValidationError(
                    "a FULL session needs exactly one of avatar_persona (voice_id, context_id, ...) and voice_agent: "
                    + ("they are mutually exclusive" if given else "without one the avatar has nothing to say"),
                    parameter="avatar_persona",
                )
        variables = arguments.get("dynamic_variables")
        if isinstance(variables, Mapping) and len(variables) > _MAX_VARIABLES:
            raise ValidationError(
                f"dynamic_variables holds {len(variables)} entries; LiveAvatar takes at most {_MAX_VARIABLES}",
                parameter="dynamic_variables",
            )
        if arguments.get("is_sandbox") is True:
            arguments.setdefault("avatar_id", SANDBOX_AVATAR_ID)
            if arguments["avatar_id"] != SANDBOX_AVATAR_ID:
                raise ValidationError(
                    f"a sandbox session can only use LiveAvatar's sandbox avatar {SANDBOX_AVATAR_ID!r}, "
                    f"not {arguments['avatar_id']!r}; leave avatar_id out, or sandbox=False",
                    parameter="avatar_id",
                )
        unknown = sorted(set(arguments) - _TOKEN_PARAMS - {"extra_body"})
        if unknown:
            raise ValidationError(
                f"unknown session arguments {unknown}: sessions.token takes {sorted(_TOKEN_PARAMS)} (and sandbox, "
                f"extra_body), a session also {list(LIVE_OPTIONS)}",
                parameter=unknown[0],
            )
        extra_body = arguments.get("extra_body")
        if extra_body is not None and not isinstance(extra_body, Mapping):
            raise ValidationError("extra_body must be a mapping", parameter="extra_body")
        build_request(
            _TOKEN, {k: v for k, v in arguments.items() if k != "extra_body"}, extra_body=extra_body
        )  # ValidationError before anything is sent
        return arguments, IDLE_TIMEOUT

    def __repr__(self) -> str:
        return f"<LiveAvatarSession {self.id or '(no id yet)'} {self._mode.value} {self.state.value}>"

    # -- what it is -------------------------------------------------------------------------------------------

    @property
    def mode(self) -> LiveMode:
        return self._mode

    @property
    def info(self) -> LiveSessionInfo:
        """What LiveAvatar said: the session id, mode and sandbox once minted; the LiveKit room (``url``,
        ``access_token``), ``session_duration_limit`` and (LITE) ``ws_url`` once started."""
        info = super().info
        if isinstance(info, LiveSessionInfo):
            return info
        # Only the id is known (the mint's answer could not be read whole, yet named the session it made).
        return LiveSessionInfo(session_id=info.session_id, mode=self._mode, raw=info.raw)

    @property
    def viewer(self) -> Viewer:
        """The LiveKit URL and viewer token a front end joins the room with to see and hear the avatar."""
        info = self.info
        return Viewer(url=info.url, token=info.access_token)

    @property
    def channel(self) -> LiteChannel | None:
        """A LITE session's WebSocket channel once started (``ready``, ``queued``, ``reconnected``)."""
        return self._lite

    @property
    def pacing(self) -> Pacer | None:
        """The pacer of the last utterance sent (its ``stats()``: frames and how late they went)."""
        return self._pacing

    # -- the channel --------------------------------------------------------------------------------------------

    async def _open_channel(self) -> None:
        if self._mode is not LiveMode.LITE:
            return
        info = self.info
        if not info.ws_url:
            raise SessionClosedError("LiveAvatar started a LITE session without a ws_url", session_id=self.id)
        transport = self._live_backend.sessions._transport
        self._lite = LiteChannel(
            transport.pool,
            Secret(info.ws_url),
            url_redactor(info.ws_url, transport.options.token.reveal()),
            on_message=self._received,
            on_lost=self._lost,
            on_reconnected=self._reconnected,
            connect_timeout=self._connect_timeout,
            reconnects=self._reconnects,
        )
        await self._lite.open()

    async def _close_channel(self) -> None:
        self._cut_short("the session closed")
        lite, self._lite = self._lite, None
        if lite is not None:
            await lite.close()
        full, self._full = self._full, None
        if full is not None:
            try:
                await full.close()
            except Exception as exc:  # the session is stopped already: a channel that closes badly is only noise
                self._log_close_failure(exc)
        for event_id in list(self._utterances):
            self._finished(event_id, interrupted=True)

    @staticmethod
    def _log_close_failure(exc: Exception) -> None:
        logger.info("the FULL session's data channel closed badly: %s", type(exc).__name__)

    def _received(self, message: Mapping[str, Any]) -> None:
        kind = str(message["type"])
        self._emit(ServerEvent(session_id=self.id, type=kind, data=message))
        if kind == "agent.speak_ended":
            event_id = message.get("event_id")
            if isinstance(event_id, str):
                self._finished(event_id, interrupted=bool(message.get("interrupted")))
        elif kind == "session.state_updated" and str(message.get("state", "")).lower() in ("closing", "closed"):
            self._begin_close(f"LiveAvatar ended the session ({message.get('state')})")

    def _lost(self, why: str) -> None:
        self._begin_close(why)

    def _reconnected(self, attempt: int, lost: frozenset[str]) -> None:
        """The socket reopened: speech whose audio had reached the dropped one was dropped with it by LiveAvatar
        (no ``agent.speak_ended`` will come for it), so it is reported finished, interrupted."""
        self._emit(Reconnected(session_id=self.id, attempt=attempt))
        if self._streaming is not None and self._streaming in lost:  # its start is gone: the rest must not play
            self._cut_short("the WebSocket dropped mid-utterance, and LiveAvatar dropped its audio with it")
            if self._lite is not None:
                self._lite.drop_speech()
        for event_id in lost:
            self._finished(event_id, interrupted=True)
        if self._pacing is not None:
            self._pacing.reset()

    def _finished(self, event_id: str, *, interrupted: bool) -> None:
        if self._utterances.pop(event_id, None) is not None:
            self._emit(TaskFinished(session_id=self.id, task_id=event_id, interrupted=interrupted))

    # -- speaking -------------------------------------------------------------------------------------------------

    async def speak_audio(
        self,
        audio: AsyncIterable[bytes] | Iterable[bytes] | bytes,
        *,
        sample_rate: int = 24000,
        channels: int = 1,
    ) -> StreamingTask:
        """Stream one utterance of PCM s16le audio (any chunking; an async iterable, an iterable or bytes),
        paced to real time; returns its ``task_id`` (the ``event_id``) and duration once the last frame and
        ``agent.speak_end`` are sent (``agent.speak_ended`` later is a :class:`TaskFinished` event).

        Audio other than 24 kHz mono is converted with the ``audio`` extra, else refused with
        :class:`AudioFormatError`, as is encoded audio (WAV, MP3, ...): before anything is sent. Utterances go
        out in the order asked for. Raises :class:`TaskInterrupted` if ``interrupt()`` dropped or cut it,
        :class:`SessionClosedError` once the session is closing."""
        self._require_lite("speak_audio")
        frames = pcm_frames(
            audio, sample_rate=sample_rate, channels=channels, first_frame=self._first_frame, frame=self._frame
        )
        if isinstance(audio, (bytes, bytearray, memoryview)) and memoryview(audio).nbytes % (2 * channels):
            await frames.aclose()
            raise AudioFormatError(
                f"the audio is {memoryview(audio).nbytes} bytes: not a whole number of {channels}-channel 16-bit "
                "samples (a partial sample at its end); nothing was sent",
                parameter="audio",
            )
        self._check_open("speak_audio")
        epoch = self._epoch
        async with self._send_lock:
            if epoch != self._epoch:
                raise TaskInterrupted("interrupt() dropped this speech before it was sent", session_id=self.id)
            self._check_open("speak_audio")
            return await self._stream(frames, epoch)

    async def _stream(self, frames: AsyncGenerator[bytes, None], epoch: int) -> StreamingTask:
        channel = self._lite
        assert channel is not None
        event_id = uuid.uuid4().hex
        if self._pacing is None:  # one schedule for the session: back-to-back utterances keep one lead, not one each
            self._pacing = Pacer(lead=self._lead)
        pacer = self._pacing
        cut = self._cut = asyncio.Event()
        self._streaming = event_id
        seconds = 0.0
        sent = 0
        try:
            async with contextlib.aclosing(frames):  # the caller's source is closed now, however this ends
                while (frame := await self._next_frame(frames, cut)) is not None:
                    duration = len(frame) / BYTES_PER_SECOND
                    if not channel.ready:  # audio waits for LiveAvatar's connected, not in the channel's outbox
                        await self._until_ready(channel, cut)
                        pacer.reset()
                    await pacer.wait(duration)
                    if cut.is_set() or epoch != self._epoch:
                        self._check_open("speak_audio")
                        raise TaskInterrupted(self._cut_why or "interrupt() cut this speech short", session_id=self.id)
                    self._check_open("speak_audio")
                    channel.send(
                        {"type": "agent.speak", "audio": base64.b64encode(frame).decode(), "event_id": event_id}
                    )
                    if not sent:
                        self._utterances[event_id] = 0.0
                        self._emit(TaskSent(session_id=self.id, task_id=event_id, task_type="audio", duration=None))
                    sent += 1
                    seconds += duration
                    if event_id in self._utterances:
                        self._utterances[event_id] = seconds
                    if not self._keep_alive:  # else keep-alives go on schedule, whatever LiveAvatar counts as activity
                        self._touch(time.monotonic())
            if cut.is_set() or epoch != self._epoch:  # interrupted while the source was read: no speak_end for it
                self._check_open("speak_audio")
                raise TaskInterrupted(self._cut_why or "interrupt() cut this speech short", session_id=self.id)
            self._check_open("speak_audio")
        except TaskInterrupted:
            self._finished(event_id, interrupted=True)
            raise
        except BaseException:
            # A bad chunk, or the caller gave up (cancelled): LiveAvatar must not wait, holding every later
            # utterance behind this one, for an end that never comes, nor play half of it.
            if sent and self.state is SessionState.CONNECTED:
                self._silence(channel)
            raise
        finally:
            self._streaming = None
            self._cut = None
        if not sent:
            raise ValidationError("the audio was empty: nothing to say", parameter="audio")
        channel.send({"type": "agent.speak_end", "event_id": event_id})
        now = time.monotonic()
        self._speaking_until = max(self._speaking_until, now) + max(0.0, seconds - self._lead)
        return StreamingTask(task_id=event_id, duration_ms=math.floor(seconds * 1000))

    async def _next_frame(self, frames: AsyncGenerator[bytes, None], cut: asyncio.Event) -> bytes | None:
        """The next frame (None at the end), read so that an interrupt, a close or a reconnect that lost the
        utterance stops the wait for a slow source at once (the source is cancelled), not at its next chunk."""
        reading = asyncio.ensure_future(frames.__anext__())
        await first_of(reading, asyncio.ensure_future(cut.wait()))
        if reading.cancelled():
            self._check_open("speak_audio")
            raise TaskInterrupted(self._cut_why or "interrupt() cut this speech short", session_id=self.id)
        try:
            return reading.result()
        except StopAsyncIteration:
            return None

    def _cut_short(self, why: str) -> None:
        """Stop the utterance streaming now (its speaker gets TaskInterrupted, or SessionClosedError once closing)."""
        if self._cut is not None and not self._cut.is_set():
            self._cut_why = why
            self._cut.set()

    async def _until_ready(self, channel: LiteChannel, cut: asyncio.Event) -> None:
        """Wait for LiveAvatar to say connected, so audio is not piled up while it cannot be sent: for as long as
        the channel itself waits (its watchdog and its reconnects decide; a channel given up closes the session),
        or until ``interrupt()`` or a close cuts this utterance."""
        await first_of(asyncio.ensure_future(channel.wait_ready()), asyncio.ensure_future(cut.wait()))
        if channel.ready and not cut.is_set():
            return
        self._check_open("speak_audio")  # closed meanwhile (or the channel lost): SessionClosedError with why
        if cut.is_set():
            raise TaskInterrupted(self._cut_why or "interrupt() cut this speech short", session_id=self.id)
        raise SessionClosedError("cannot speak_audio: the session's WebSocket is gone", session_id=self.id)

    async def speak(self, text: str, *, task_type: TaskType = "repeat", task_mode: TaskMode = "sync") -> StreamingTask:
        """Say ``text``. LITE: through the session's ``tts`` (text -> PCM), then as :meth:`speak_audio`
        (``task_type`` must be "repeat": LITE has no LLM of LiveAvatar's). FULL: ``avatar.speak_text``
        ("repeat") or ``avatar.speak_response`` ("talk"/"chat": an LLM reply)."""
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(f"text must be a non-empty string, got {text!r}", parameter="text")
        if task_type not in ("repeat", "talk", "chat"):
            raise ValidationError(f"task_type must be repeat, talk or chat, got {task_type!r}", parameter="task_type")
        if task_mode not in ("sync", "async"):
            raise ValidationError(f"task_mode must be sync or async, got {task_mode!r}", parameter="task_mode")
        if self._mode is LiveMode.FULL:
            return await self._command("avatar.speak_text" if task_type == "repeat" else "avatar.speak_response", text)
        if task_type != "repeat":
            raise ValidationError(
                "a LITE session has no LLM of LiveAvatar's: run your own and speak its reply, or use mode='FULL'",
                parameter="task_type",
            )
        if self._tts is None:
            raise ConfigurationError(
                "speak(text) in LITE mode needs a text-to-speech: pass tts= to the session (for example "
                "HeyGenSpeech(client, voice_id=...)), or send audio with speak_audio()"
            )
        self._check_open("speak")
        return await self.speak_audio(self._tts(text))

    async def chat(self, text: str, *, task_mode: TaskMode = "sync") -> StreamingTask:
        """FULL: the avatar answers ``text`` with its LLM (``avatar.speak_response``)."""
        return await self.speak(text, task_type="talk", task_mode=task_mode)

    async def interrupt(self) -> None:
        """Stop speaking now: speech not sent yet is dropped (its callers get :class:`TaskInterrupted`) and
        ``agent.interrupt`` (FULL: ``avatar.interrupt``) goes out ahead of anything queued."""
        self._check_open("interrupt")
        self._epoch += 1
        if self._mode is LiveMode.FULL:
            await self._command("avatar.interrupt")
            return
        assert self._lite is not None
        self._cut_short("interrupt() cut this speech short")
        self._silence(self._lite)
        if self._pacing is not None:
            self._pacing.reset()

    def _silence(self, channel: LiteChannel) -> None:
        """Drop the speech not written yet and send ``agent.interrupt`` ahead of everything: every utterance
        sent so far has finished, interrupted."""
        channel.drop_speech()
        channel.send({"type": "agent.interrupt", "event_id": uuid.uuid4().hex}, first=True)
        self._touch(time.monotonic())
        for event_id in list(self._utterances):
            self._finished(event_id, interrupted=True)
        self._speaking_until = time.monotonic()

    async def start_listening(self) -> None:
        """Put the avatar in its listening pose (LITE ``agent.start_listening``; FULL ``avatar.start_listening``)."""
        await self._pose("start_listening")

    async def stop_listening(self) -> None:
        """End the listening pose."""
        await self._pose("stop_listening")

    async def _pose(self, what: str) -> None:
        self._check_open(what)
        if self._mode is LiveMode.FULL:
            await self._command(f"avatar.{what}")
            return
        assert self._lite is not None
        self._lite.send({"type": f"agent.{what}", "event_id": uuid.uuid4().hex})
        self._touch(time.monotonic())

    def _require_lite(self, what: str) -> None:
        if self._mode is not LiveMode.LITE:
            raise ValidationError(
                f"{what} is for LITE sessions (you send the audio); a FULL session speaks with speak() and chat()",
                parameter="mode",
            )

    async def _command(self, event_type: str, text: str | None = None) -> StreamingTask:
        """A FULL command on LiveKit's data channel (joined on first use)."""
        self._check_open(event_type)
        channel = await self._joined(event_type)
        event_id = uuid.uuid4().hex
        payload: dict[str, Any] = {"event_type": event_type, "event_id": event_id, "session_id": self.id}
        if text is not None:
            payload["text"] = text
        await channel.publish(payload)
        self._touch(time.monotonic())
        return StreamingTask(task_id=event_id, duration_ms=None)

    async def _joined(self, what: str) -> FullChannel:
        """The FULL data channel, joined once however many commands come at once (each room connection holds
        the agent's identity). A join that completes once the session is closing is left at once: the close
        has closed the channel it knew of (none) or will not see this one, and the agent token must not stay
        in the room of a stopped session."""
        async with self._joining:
            if self._full is not None:
                return self._full
            self._check_open(what)
            from ._full import as_session_event, open_full_channel

            on_event = as_session_event(self._received, self._begin_close)
            try:  # bounded: a join that never completes must not hold every later command (open_full_channel
                # closes a channel whose connect was cut short)
                channel = await asyncio.wait_for(
                    open_full_channel(self.info, self._full_factory, on_event), self._connect_timeout
                )
            except asyncio.TimeoutError:
                raise SessionClosedError(
                    f"cannot {what}: the data channel was not joined within {self._connect_timeout:g} s",
                    session_id=self.id,
                ) from None
            if self._closing is not None or self.state is not SessionState.CONNECTED:
                try:
                    await channel.close()
                except Exception as exc:  # left anyway: the session is closed, its stop is what counts
                    self._log_close_failure(exc)
                raise SessionClosedError(
                    f"cannot {what}: the session closed while its data channel was being joined"
                    + (f" ({self._close_reason})" if self._close_reason else ""),
                    session_id=self.id,
                )
            self._full = channel
            return channel
