"""The seam between a live session's logic and the REST calls that drive it.

:class:`StreamingSession` and :class:`SessionManager` talk only to a :class:`StreamingBackend`. The one here,
:class:`RestStreamingBackend`, drives HeyGen's v1 streaming API (``streaming.new/start/task/interrupt/stop``,
``streaming.list``, and ``streaming.keep_alive`` where it is reachable). HeyGen's successor API, or a test
double, is another backend; the session API does not change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from heygen_async._exceptions import ClientClosedError
from heygen_async._models import Ack, StreamingSessionInfo, StreamingSessionList, StreamingSessionSummary, StreamingTask
from heygen_async._resources._base import Resource
from heygen_async._spec._table import ENDPOINTS_BY_NAME
from heygen_async._transport._urls import Route

if TYPE_CHECKING:
    from ._live import LiveSessions, Retrying, Stoppable

__all__ = ["KEEP_ALIVE", "ClientBackend", "RestStreamingBackend", "StreamingBackend", "TaskBackend"]

logger = logging.getLogger("heygen_async")
KEEP_ALIVE: Final = Route("POST", "/v1/streaming.keep_alive", True)
"""HeyGen has it; LowCodeAPI does not expose it, so it is used in direct mode only."""
_NEW = ENDPOINTS_BY_NAME["streaming.new"]
_START = ENDPOINTS_BY_NAME["streaming.start"]
_TASK = ENDPOINTS_BY_NAME["streaming.task"]
_INTERRUPT = ENDPOINTS_BY_NAME["streaming.interrupt"]
_STOP = ENDPOINTS_BY_NAME["streaming.stop"]
_LIST = ENDPOINTS_BY_NAME["streaming.list_sessions"]


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

    async def start(self, session_id: str) -> StreamingSessionInfo | None:
        """Start a created session; what the API says once it is started replaces ``new``'s info (None: no more)."""
        ...

    async def keep_alive(self, session_id: str) -> None: ...

    async def stop(self, session_id: str) -> None:
        """Close a session; stopping a closed one is harmless."""
        ...

    async def list_active(self) -> Sequence[StreamingSessionSummary]:
        """The account's open sessions (whoever opened them)."""
        ...


@runtime_checkable
class TaskBackend(StreamingBackend, Protocol):
    """A backend whose sessions speak through REST tasks (HeyGen's v1 streaming API)."""

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> StreamingTask: ...

    async def interrupt(self, session_id: str) -> None: ...


class ClientBackend:
    """A backend working through a client handle: its sessions are live in the client's ``live`` registry until
    stopped, so the client's ``aclose()`` stops them, and its managers' retries end with the client."""

    __slots__ = ("_api", "_live")

    def __init__(self, api: Resource, live: LiveSessions) -> None:
        self._api = api
        self._live = live

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._api._transport!r}>"

    def track(self, session: Stoppable) -> Callable[[], None]:
        """Record ``session`` as live until the returned callable is called (once it is closed and stopped,
        or never created), so the client's ``aclose()`` stops it, or tries its failed stop again; raises
        :class:`ClientClosedError` once the client is closing."""
        transport = self._api._transport
        if transport.closed or transport.pool.closed:
            raise ClientClosedError("the client is closed (or closing); create a new client")
        return self._live.track(session, transport)

    def attach(self, manager: Retrying) -> None:
        """Let ``manager`` know when this client closes, so its background retries of failed stops end with the
        client (whose ``aclose()`` makes the last tries) instead of going on through a closed client."""
        self._live.attach(manager, self._api._transport)


class RestStreamingBackend(ClientBackend):
    """HeyGen's v1 streaming REST API, through a client handle (gateway or direct); the endpoints are called
    through the endpoint table."""

    __slots__ = ()

    @property
    def supports_keep_alive(self) -> bool:
        return self._api._transport.options.mode == "direct"

    async def new(self, params: Mapping[str, Any]) -> StreamingSessionInfo:
        return await self._api._call_kwargs(_NEW, StreamingSessionInfo, params)

    async def start(self, session_id: str) -> None:
        await self._api._call(_START, Ack, {"session_id": session_id})

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> StreamingTask:
        arguments = {"session_id": session_id, "text": text, "task_type": task_type, "task_mode": task_mode}
        return await self._api._call(_TASK, StreamingTask, arguments)

    async def interrupt(self, session_id: str) -> None:
        await self._api._call(_INTERRUPT, Ack, {"session_id": session_id})

    async def keep_alive(self, session_id: str) -> None:
        await self._api._transport.call(KEEP_ALIVE, json={"session_id": session_id}, idempotent=True)

    async def stop(self, session_id: str) -> None:
        await self._api._call(_STOP, Ack, {"session_id": session_id})

    async def list_active(self) -> Sequence[StreamingSessionSummary]:
        return list(await self._api._call(_LIST, StreamingSessionList, {}))
