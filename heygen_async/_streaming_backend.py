"""The seam between a live session's logic and the REST calls that drive it.

:class:`StreamingSession` and :class:`SessionManager` talk only to a :class:`StreamingBackend`. The one here,
:class:`RestStreamingBackend`, drives HeyGen's v1 streaming API (``streaming.new/start/task/interrupt/stop``,
``streaming.list``, and ``streaming.keep_alive`` where it is reachable). HeyGen's successor API, or a test
double, is another backend; the session API does not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from ._models import StreamingSessionInfo, StreamingSessionSummary, StreamingTask
from ._urls import Route

if TYPE_CHECKING:
    from ._resources.streaming import StreamingResource

__all__ = ["RestStreamingBackend", "StreamingBackend"]

KEEP_ALIVE: Final = Route("POST", "/v1/streaming.keep_alive", True)
"""HeyGen has it; LowCodeAPI does not expose it, so it is used in direct mode only."""


@runtime_checkable
class StreamingBackend(Protocol):
    """What a live session needs from an API. Every method raises the client's typed errors."""

    @property
    def supports_keep_alive(self) -> bool:
        """Whether :meth:`keep_alive` reaches the API (else the idle timer is only tracked, and warned about)."""
        ...

    async def new(self, params: Mapping[str, Any]) -> StreamingSessionInfo:
        """Create a session from validated ``streaming.new`` arguments."""
        ...

    async def start(self, session_id: str) -> None: ...

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> StreamingTask: ...

    async def interrupt(self, session_id: str) -> None: ...

    async def keep_alive(self, session_id: str) -> None: ...

    async def stop(self, session_id: str) -> None:
        """Close a session; stopping a closed one is harmless."""
        ...

    async def list_active(self) -> Sequence[StreamingSessionSummary]:
        """The account's open sessions (whoever opened them)."""
        ...


class RestStreamingBackend:
    """HeyGen's v1 streaming REST API, through the client's ``streaming`` namespace (gateway or direct)."""

    __slots__ = ("_streaming",)

    def __init__(self, streaming: StreamingResource) -> None:
        self._streaming = streaming

    def __repr__(self) -> str:
        return f"<RestStreamingBackend {self._streaming._transport!r}>"

    @property
    def supports_keep_alive(self) -> bool:
        return self._streaming._transport.options.mode == "direct"

    async def new(self, params: Mapping[str, Any]) -> StreamingSessionInfo:
        return await self._streaming.new(**params)

    async def start(self, session_id: str) -> None:
        await self._streaming.start(session_id)

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> StreamingTask:
        return await self._streaming.task(session_id, text, task_type=task_type, task_mode=task_mode)  # type: ignore[arg-type]

    async def interrupt(self, session_id: str) -> None:
        await self._streaming.interrupt(session_id)

    async def keep_alive(self, session_id: str) -> None:
        await self._streaming._transport.call(KEEP_ALIVE, json={"session_id": session_id}, idempotent=True)

    async def stop(self, session_id: str) -> None:
        await self._streaming.stop(session_id)

    async def list_active(self) -> Sequence[StreamingSessionSummary]:
        return list(await self._streaming.list_sessions())
