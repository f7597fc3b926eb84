"""Opening a session outside a manager: its arguments split into the create call's and the session's own, and its
life written to the shared session ledger (when the client has a state) through the session's callbacks.

Apart from the ledger itself, so that the runtime (which makes the ledger) never depends on sessions and backends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ._backend import StreamingBackend
    from ._ledger import SessionLedger
    from ._session import StreamingSession

__all__ = ["open_session"]

S = TypeVar("S", bound="StreamingSession")


def open_session(
    session_type: type[S], backend: StreamingBackend, ledger: SessionLedger | None, params: Mapping[str, Any]
) -> S:
    """A session of ``session_type`` on ``backend`` from one mapping of arguments (the create call's and the
    session's own ``OPTIONS``), written to ``ledger`` (the runtime's shared session ledger, when the client has
    a state) from the moment it has an id until it is stopped (marked as needing a stop while its stop fails)."""
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
