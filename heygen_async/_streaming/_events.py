"""What a live session is doing: its states and the typed events it reports.

A session goes ``NEW -> STARTING -> CONNECTED -> CLOSING -> CLOSED`` (or from ``STARTING`` straight to
``CLOSING`` when creating or starting it fails). Every change, every task sent and finished, every
keep-alive and every warning is an event on :meth:`StreamingSession.events`. Events are frozen attrs
classes with ``session_id`` and ``at`` (wall-clock seconds); match on their type.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "ExpiryWarning",
    "IdleWarning",
    "KeepAliveFailed",
    "KeepAliveSent",
    "Reconnected",
    "ServerEvent",
    "SessionEvent",
    "SessionState",
    "StateChanged",
    "StopFailed",
    "TaskFinished",
    "TaskSent",
]


class SessionState(str, enum.Enum):
    """Where a :class:`StreamingSession` is in its life."""

    NEW = "new"
    STARTING = "starting"
    CONNECTED = "connected"
    CLOSING = "closing"
    CLOSED = "closed"


@attrs.frozen(kw_only=True)
class SessionEvent:
    """Base of every session event."""

    session_id: str | None
    at: float = attrs.field(factory=time.time)


@attrs.frozen(kw_only=True)
class StateChanged(SessionEvent):
    """The session moved from ``old`` to ``new``; ``reason`` says why when it is closing or closed."""

    old: SessionState
    new: SessionState
    reason: str | None = None


@attrs.frozen(kw_only=True)
class TaskSent(SessionEvent):
    """HeyGen took a task: ``duration`` is how long the avatar speaks, in seconds (None if not said)."""

    task_id: str | None
    task_type: str
    duration: float | None


@attrs.frozen(kw_only=True)
class TaskFinished(SessionEvent):
    """A task's speech has run its duration (``interrupted``: it was cut short by ``interrupt()``)."""

    task_id: str | None
    interrupted: bool = False


@attrs.frozen(kw_only=True)
class KeepAliveSent(SessionEvent):
    """A keep-alive reset HeyGen's idle timer (direct mode only: the gateway does not expose it)."""


@attrs.frozen(kw_only=True)
class KeepAliveFailed(SessionEvent):
    """A keep-alive failed; the next is tried on schedule. ``error`` is the client's error."""

    error: BaseException = attrs.field(eq=False)


@attrs.frozen(kw_only=True)
class IdleWarning(SessionEvent):
    """No activity for ``idle_for`` seconds: HeyGen closes the session in about ``closes_in`` seconds."""

    idle_for: float
    closes_in: float


@attrs.frozen(kw_only=True)
class ExpiryWarning(SessionEvent):
    """The session reaches HeyGen's ``session_duration_limit`` in about ``expires_in`` seconds."""

    expires_in: float


@attrs.frozen(kw_only=True)
class StopFailed(SessionEvent):
    """``streaming.stop`` failed or ran out of time: the session may still be open (and billed) at HeyGen.

    Also logged and warned (:class:`RuntimeWarning`). The session keeps counting as open
    (``session.needs_stop``): it stays on its owners' ledgers, and the warning says what tries the stop again
    (``close()`` of the session, its manager, the client's ``aclose()``); ``SessionManager.reap_orphans()``
    stops it. Later failed attempts are logged only (the event stream has ended by then).
    """

    error: BaseException = attrs.field(eq=False)


@attrs.frozen(kw_only=True)
class ServerEvent(SessionEvent):
    """A message the API pushed on the session's channel (LiveAvatar: ``agent.speak_started``,
    ``agent.speak_ended``, ``session.state_updated``, and any type nobody has seen yet), as received."""

    type: str
    data: Mapping[str, Any] = attrs.field(eq=False, repr=False)


@attrs.frozen(kw_only=True)
class Reconnected(SessionEvent):
    """The session's channel dropped and was opened again (``attempt``: the try that did it); commands not
    written before the drop go out once the server says connected again."""

    attempt: int
