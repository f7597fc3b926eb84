"""A FULL session's commands: LiveKit's data channel, through the optional ``livekit`` package.

In FULL mode LiveAvatar runs speech itself; the session only sends commands (``avatar.speak_text``,
``avatar.speak_response``, ``avatar.interrupt``, ``avatar.start_listening``/``stop_listening``) as JSON on
the room's data channel, topic ``agent-control``, and LiveAvatar answers on ``agent-response``. The seam is
:class:`FullChannel`, three coroutines; :class:`LiveKitChannel` is the one over ``livekit.rtc`` (``pip install
'heygen-async[livekit]'``), which joins the room with the session's agent token. No LiveKit server runs here,
so the suite tests the session through a stand-in channel and this class only as far as it can without one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

from heygen_async._exceptions import ConfigurationError, SessionClosedError
from heygen_async.liveavatar._models import LiveSessionInfo

__all__ = ["COMMAND_TOPIC", "EVENT_TOPIC", "FullChannel", "LiveKitChannel", "open_full_channel"]

logger = logging.getLogger("heygen_async")
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
            except ValueError:
                return
            if isinstance(event, dict):
                on_event(event)

        room.on("data_received", received)
        await room.connect(url, token)
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


async def open_full_channel(
    info: LiveSessionInfo,
    on_event: Callable[[Mapping[str, Any]], None],
    factory: Callable[[], FullChannel] | None,
) -> FullChannel:
    """Join the room of the session ``info`` describes with its agent token (``factory`` makes the channel;
    default LiveKit's); ``on_event`` gets LiveAvatar's events."""
    token = info.livekit_agent_token or info.access_token
    if not info.url or not token:
        raise SessionClosedError(
            "LiveAvatar did not give this session a LiveKit room to send commands to", session_id=info.session_id
        )
    channel = factory() if factory is not None else LiveKitChannel()
    await channel.connect(info.url, token, on_event)
    return channel
