"""A FULL session's commands: LiveKit's data channel, through the optional ``livekit`` package.

In FULL mode LiveAvatar runs speech itself; the session only sends commands (``avatar.speak_text``,
``avatar.speak_response``, ``avatar.interrupt``, ``avatar.start_listening``/``stop_listening``) as JSON on
the room's data channel, topic ``agent-control``, and LiveAvatar answers on ``agent-response`` (events named
by ``event_type``, which become the session's :class:`ServerEvent` of that ``type``; ``session.stopped`` closes
the session). The seam is :class:`FullChannel`, three coroutines; :class:`LiveKitChannel` is the one over
``livekit.rtc`` (``pip install 'heygen-async[livekit]'``): ``Room()``, ``room.on("data_received", ...)`` (a
``DataPacket`` with ``data`` and ``topic``), ``await room.connect(url, token)``,
``await room.local_participant.publish_data(payload, reliable=True, topic=...)``, ``await room.disconnect()``.

It joins with the session's *agent* token (``livekit_agent_token``), as pipecat's LiveAvatar service does by
default and Vision-Agents' plugin always does: the client token (``s.viewer.token``) is your front end's, and a
second participant joining with it would take the viewer's identity and push it out of the room. A session
LiveAvatar gave no agent token cannot send commands (a clear error; the session stays open). No LiveKit server
runs here, so the suite tests the session through a stand-in channel, and this class against a stand-in of
``livekit.rtc`` with the shape above (checked against livekit/python-sdks).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from heygen_async._exceptions import ConfigurationError, SessionClosedError

if TYPE_CHECKING:
    from heygen_async.liveavatar._models import LiveSessionInfo

__all__ = ["COMMAND_TOPIC", "EVENT_TOPIC", "FullChannel", "LiveKitChannel", "as_session_event", "open_full_channel"]

COMMAND_TOPIC: Final = "agent-control"
EVENT_TOPIC: Final = "agent-response"


@runtime_checkable
class FullChannel(Protocol):
    """What a FULL session needs of a data channel."""

    async def connect(self, url: str, token: str, on_event: Callable[[Mapping[str, Any]], None]) -> None:
        """Join the room at ``url`` with ``token``; ``on_event`` gets each JSON event on ``agent-response``."""
        ...

    async def publish(self, payload: Mapping[str, Any]) -> None:
        """Send one command (JSON) on ``agent-control``, reliably."""
        ...

    async def close(self) -> None: ...


class LiveKitChannel:
    """:class:`FullChannel` over ``livekit.rtc.Room`` (the ``livekit`` extra)."""

    def __init__(self) -> None:
        try:
            from livekit import rtc
        except ImportError:
            raise ConfigurationError(
                "FULL mode's speak(), chat() and interrupt() need the livekit package: "
                "pip install 'heygen-async[livekit]' (or pass full_channel= to the session)"
            ) from None
        self._rtc = rtc
        self._room: Any = None

    async def connect(self, url: str, token: str, on_event: Callable[[Mapping[str, Any]], None]) -> None:
        room = self._rtc.Room()

        def received(packet: Any) -> None:
            if getattr(packet, "topic", None) != EVENT_TOPIC:
                return
            try:
                event = json.loads(bytes(packet.data))
            except (ValueError, TypeError):  # not JSON (UnicodeDecodeError is a ValueError): not LiveAvatar's
                return
            if isinstance(event, dict):
                on_event(event)

        room.on("data_received", received)
        try:
            await room.connect(url, token)
        except BaseException:
            with contextlib.suppress(Exception):  # a room that never connected has nothing to leave
                await room.disconnect()
            raise
        self._room = room

    async def publish(self, payload: Mapping[str, Any]) -> None:
        if self._room is None:
            raise SessionClosedError("the FULL session's data channel is not connected")
        data = json.dumps(payload, separators=(",", ":")).encode()
        await self._room.local_participant.publish_data(data, reliable=True, topic=COMMAND_TOPIC)

    async def close(self) -> None:
        room, self._room = self._room, None
        if room is not None:
            await room.disconnect()


def as_session_event(
    received: Callable[[Mapping[str, Any]], None], close: Callable[[str], None]
) -> Callable[[Mapping[str, Any]], None]:
    """What a session makes of a FULL event (``received`` takes it, as a LITE session's WebSocket messages):
    its ``event_type`` is the :class:`ServerEvent`'s ``type`` (the LITE WebSocket's key); ``session.stopped``
    (LiveAvatar ended it) calls ``close``, as a LITE session's ``session.state_updated`` closed does. Events
    without a name are not LiveAvatar's, and are ignored."""

    def on_event(event: Mapping[str, Any]) -> None:
        kind = event.get("event_type")
        if not isinstance(kind, str) or not kind:
            return
        received({**event, "type": kind})
        if kind == "session.stopped":
            close(f"LiveAvatar ended the session ({event.get('end_reason') or 'session.stopped'})")

    return on_event


async def open_full_channel(
    info: LiveSessionInfo,
    factory: Callable[[], FullChannel] | None,
    on_event: Callable[[Mapping[str, Any]], None],
) -> FullChannel:
    """Join the room of the session ``info`` describes with its agent token (``factory`` makes the channel;
    default LiveKit's); ``on_event`` gets each of LiveAvatar's events. A channel whose ``connect`` failed (or
    was cancelled) is closed before the error propagates, so nothing it joined stays in the room."""
    if not info.url:
        raise SessionClosedError(
            "LiveAvatar did not give this session a LiveKit room to send commands to", session_id=info.session_id
        )
    if not info.livekit_agent_token:
        raise SessionClosedError(
            "LiveAvatar gave this session no livekit_agent_token to send commands with (the client token is the "
            "front end's: joining with it would push the viewer out of the room)",
            session_id=info.session_id,
        )
    channel = factory() if factory is not None else LiveKitChannel()
    try:
        await channel.connect(info.url, info.livekit_agent_token, on_event)
    except BaseException:
        # Whatever the connect got to (a room joined before a later step failed, or it was cancelled) is left;
        # the connect's own error is the one that matters.
        with contextlib.suppress(Exception):
            await channel.close()
        raise
    return channel
