"""``client.streaming.session(...)`` and ``client.streaming.manager(...)``: the hand-written half of the
generated ``streaming`` namespace (the generated class inherits this mixin)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from heygen_async._resources._base import Resource

from ._backend import RestStreamingBackend, StreamingBackend
from ._ledger import SessionLedger
from ._manager import SessionManager
from ._session import StreamingSession

__all__ = ["StreamingSessions", "open_session"]

S = TypeVar("S", bound=StreamingSession)


class StreamingSessions(Resource):
    __slots__ = ()

    @property
    def backend(self) -> RestStreamingBackend:
        """The REST backend sessions of this client use (HeyGen's v1 streaming API)."""
        return RestStreamingBackend(self, self._runtime.live())

    def session(self, **params: Any) -> StreamingSession:
        """A live avatar session: ``async with client.streaming.session(avatar_id=..., quality="low") as s``.

        Takes ``streaming.new``'s arguments (``avatar_id``, ``quality``, ``voice``, ``knowledge_base``,
        ``activity_idle_timeout``, ...) and :class:`StreamingSession`'s options (``keep_alive``,
        ``keep_alive_interval``, ``idle_warning``, ``expiry_warning``, ``stop_timeout``, ``start_grace``), all
        checked here, before anything is sent. Leaving the block always stops the session; a stop that fails
        is tried again by ``close()`` and the client's ``aclose()``. With a shared ``state`` on the client, the
        session is in its session ledger until it is stopped (marked as needing a stop if its stop failed, so
        any process's ``reap_orphans()`` stops it).
        """
        return open_session(StreamingSession, self.backend, self._runtime.session_ledger(), params)

    def manager(self, *, max_sessions: int, acquire_timeout: float | None = 60.0, **defaults: Any) -> SessionManager:
        """A :class:`SessionManager` for this client's account: at most ``max_sessions`` open at once (across
        every process sharing the client's ``state``, when it has one)."""
        return SessionManager(
            self.backend,
            max_sessions=max_sessions,
            acquire_timeout=acquire_timeout,
            state=self._runtime.state,
            **defaults,
        )


def open_session(
    session_type: type[S], backend: StreamingBackend, ledger: SessionLedger | None, params: Mapping[str, Any]
) -> S:
    """A session of ``session_type`` on ``backend`` from one mapping of arguments (the create call's and the
    session's own ``OPTIONS``), written to ``ledger`` (the client's shared session ledger, when it has a state)
    from the moment it has an id until it is stopped (marked as needing a stop while its stop fails)."""
    arguments = dict(params)
    options: dict[str, Any] = {name: arguments.pop(name) for name in session_type.OPTIONS if name in arguments}
    if ledger is None:
        return session_type(backend, arguments, **options)

    def created(session: StreamingSession) -> None:
        if session.id is not None:
            ledger.record(session.id)

    def stop_failed(session: StreamingSession) -> None:
        if session.id is not None:
            ledger.mark_unstopped(session.id)

    def closed(session: StreamingSession) -> None:
        if session.id is not None:
            ledger.forget(session.id)

    return session_type(backend, arguments, **options, on_created=created, on_stop_failed=stop_failed, on_closed=closed)
