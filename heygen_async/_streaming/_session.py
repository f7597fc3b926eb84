"""A live avatar session that cannot leak: ``async with client.streaming.session(...) as session``.

Entering calls ``streaming.new`` then ``streaming.start``; the session id is recorded the moment ``new``
returns. Leaving, for any reason (normal exit, an exception, cancellation, also while ``new`` or ``start`` is
in flight), calls ``streaming.stop`` once, in its own task so the caller's cancellation cannot cut it short,
bounded by ``stop_timeout``. A stop that fails is logged, warned (:class:`RuntimeWarning`) and reported as a
:class:`StopFailed` event, and the session still counts as open (:attr:`StreamingSession.needs_stop`): its
owners keep it on their ledgers until a later stop succeeds (``close()`` again tries once more) or HeyGen no
longer lists it. Speech is serialised in the order it was asked for; ``interrupt()`` cuts the current speech
and drops what still waits. One small supervisor task per connected session keeps it alive (direct mode),
warns before the idle timeout and the duration limit, and reports finished speech.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
import warnings
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, ClassVar, Final, Literal, TypeVar, cast

from heygen_async._exceptions import (
    APIError,
    APIStatusError,
    CreatedResponseError,
    SessionClosedError,
    TaskInterrupted,
    ValidationError,
)
from heygen_async._models import StreamingSessionInfo, StreamingTask
from heygen_async._shield import finish
from heygen_async._spec._table import ENDPOINTS_BY_NAME
from heygen_async._spec._validation import build_request
from heygen_async._transport._call import may_have_been_processed

from ._backend import StreamingBackend, TaskBackend
from ._events import (
    ExpiryWarning,
    IdleWarning,
    KeepAliveFailed,
    KeepAliveSent,
    SessionEvent,
    SessionState,
    StateChanged,
    StopFailed,
    TaskFinished,
    TaskSent,
)

__all__ = ["SESSION_OPTIONS", "StreamingSession"]
_S = TypeVar("_S", bound="StreamingSession")

logger = logging.getLogger("heygen_async")

DEFAULT_IDLE_TIMEOUT: Final = 120
"""HeyGen's idle timeout when ``activity_idle_timeout`` is not given (seconds)."""
EVENT_BUFFER: Final = 1000
"""Events kept for a subscriber that does not keep up; older ones are dropped (and counted)."""

TaskType = Literal["repeat", "talk", "chat"]
TaskMode = Literal["sync", "async"]
_TASK_TYPES: Final = ("repeat", "talk", "chat")
_TASK_MODES: Final = ("sync", "async")
SESSION_OPTIONS: Final = (
    "keep_alive",
    "keep_alive_interval",
    "idle_warning",
    "expiry_warning",
    "stop_timeout",
    "start_grace",
)
"""The keyword arguments of a session that are the session's own, not ``streaming.new``'s."""


def _seconds(name: str, value: Any, *, optional: bool = False, positive: bool = True) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValidationError(f"{name} must be a finite number of seconds, got {value!r}", parameter=name)
    if positive and value <= 0:
        raise ValidationError(f"{name} must be > 0, got {value!r}", parameter=name)
    return float(value)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Subscriber:
    __slots__ = ("dropped", "items", "wake")

    def __init__(self) -> None:
        self.items: collections.deque[SessionEvent | None] = collections.deque()
        self.wake: asyncio.Event = asyncio.Event()
        self.dropped = 0

    def put(self, event: SessionEvent | None) -> None:
        if event is not None and len(self.items) >= EVENT_BUFFER:
            self.items.popleft()
            self.dropped += 1
        self.items.append(event)
        self.wake.set()


class StreamingSession:
    """One live avatar session. Create it with ``client.streaming.session(...)`` (or a :class:`SessionManager`)
    and use it with ``async with``; it can be entered once.

    ``params`` are ``streaming.new``'s arguments (checked before anything is sent). ``activity_idle_timeout``
    is always sent (HeyGen's default 120 s when not given) so the session knows when HeyGen would close it.
    ``keep_alive`` (default: when the backend can, i.e. direct mode) sends ``streaming.keep_alive`` every
    ``keep_alive_interval`` seconds (default: a third of the idle timeout). ``idle_warning`` and
    ``expiry_warning`` are how many seconds before the idle timeout and ``session_duration_limit`` the
    warnings fire. ``stop_timeout`` bounds ``streaming.stop``; ``start_grace`` bounds how long a cancelled
    enter still waits for ``streaming.new`` to answer, so the session it created can be stopped.

    The callbacks are for the ledgers that own the session (a manager's, the client's, a shared state's):
    ``on_created`` once it has an id, ``on_stop_failed`` after each stop that failed (it still counts as open),
    ``on_closed`` once it is closed for good (stopped, gone from HeyGen's list, or never created).
    ``retried_by`` says, in the stop-failure warning, what will try the stop again.
    """

    OPTIONS: ClassVar[tuple[str, ...]] = SESSION_OPTIONS
    """The keyword arguments that are the session's own, not the create call's (a manager's defaults)."""
    API: ClassVar[str] = "HeyGen"
    """Whose session it is, in warnings and logs (where it "may still be open and billed")."""
    CREATE: ClassVar[str] = "streaming.new"
    STOP: ClassVar[str] = "streaming.stop"
    """The create and stop calls, as warnings and logs name them."""

    def __init__(
        self,
        backend: StreamingBackend,
        params: Mapping[str, Any],
        *,
        keep_alive: bool | None = None,
        keep_alive_interval: float | None = None,
        idle_warning: float = 20.0,
        expiry_warning: float = 60.0,
        stop_timeout: float = 10.0,
        start_grace: float = 30.0,
        on_created: Callable[[StreamingSession], None] | None = None,
        on_stop_failed: Callable[[StreamingSession], None] | None = None,
        on_closed: Callable[[StreamingSession], None] | None = None,
        retried_by: str | None = None,
    ) -> None:
        params, idle_timeout = self._check_params(params)  # ValidationError before anything is sent
        if keep_alive is not None and not isinstance(keep_alive, bool):
            raise ValidationError(f"keep_alive must be True, False or None, got {keep_alive!r}", parameter="keep_alive")
        self._params = params
        self._backend = backend
        self._idle_timeout = idle_timeout
        self._keep_alive = backend.supports_keep_alive if keep_alive is None else keep_alive
        if self._keep_alive and not backend.supports_keep_alive:
            raise ValidationError(
                "keep_alive=True needs streaming.keep_alive, which the LowCodeAPI gateway does not expose; use "
                "direct mode (HeyGenClient.direct) or activity_idle_timeout",
                parameter="keep_alive",
            )
        interval = _seconds("keep_alive_interval", keep_alive_interval, optional=True)
        if interval is not None and interval >= self._idle_timeout:
            raise ValidationError(
                f"keep_alive_interval ({interval:g} s) must be shorter than activity_idle_timeout "
                f"({self._idle_timeout:g} s), or HeyGen closes the session between keep-alives",
                parameter="keep_alive_interval",
            )
        self._keep_alive_interval = interval if interval is not None else self._idle_timeout / 3
        self._idle_warning = _seconds("idle_warning", idle_warning, positive=False) or 0.0
        self._expiry_warning = _seconds("expiry_warning", expiry_warning, positive=False) or 0.0
        self._stop_timeout = _seconds("stop_timeout", stop_timeout) or 10.0
        self._start_grace = _seconds("start_grace", start_grace, positive=False) or 0.0
        self._on_created = on_created
        self._on_stop_failed = on_stop_failed
        self._on_closed = on_closed
        self._retried_by = retried_by

        self._state = SessionState.NEW
        self._id: str | None = None
        self._info: StreamingSessionInfo | None = None
        self._close_reason: str | None = None
        self._closing: asyncio.Future[None] | None = None
        self._new: asyncio.Future[StreamingSessionInfo] | None = None  # streaming.new, while it is in flight
        self._supervisor: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[None] | None = None  # the supervisor's sleep, cut short by _poke()
        self._send_lock = asyncio.Lock()
        self._epoch = 0  # bumped by interrupt(): speech queued before it is dropped
        self._speaking: collections.deque[tuple[float, str | None]] = collections.deque()
        self._speaking_until = 0.0
        self._last_activity = 0.0
        self._created_at = 0.0
        self._idle_warned = False
        self._expiry_warned = False
        self._subscribers: list[_Subscriber] = []
        self._stopped = False  # a streaming.stop succeeded, or HeyGen no longer lists the session
        self._stop_failures = 0
        self._settled = False  # on_closed has run: off every ledger
        self._untrack: Callable[[], None] | None = None
        self.stop_error: BaseException | None = None
        """Why the last ``streaming.stop`` failed while the session still needs one (also a :class:`StopFailed`
        event and a warning); None once a stop succeeded."""

    def _check_params(self, params: Mapping[str, Any]) -> tuple[dict[str, Any], float]:
        """The create call's arguments, checked (:class:`ValidationError` before anything is sent), and the idle
        timeout they give the session (seconds): here ``streaming.new``'s and its ``activity_idle_timeout``,
        which is always sent (HeyGen's default when not given). ``None`` means "not given", except for a
        parameter with a default (``version="v2"``): there it leaves the parameter out, as on
        ``client.streaming.new()``."""
        endpoint = ENDPOINTS_BY_NAME["streaming.new"]
        defaulted = {param.name for param in endpoint.params if param.default is not None}
        params = {name: value for name, value in params.items() if value is not None or name in defaulted}
        params.setdefault("activity_idle_timeout", DEFAULT_IDLE_TIMEOUT)
        unknown = sorted(set(params) - {param.name for param in endpoint.params} - {"extra_body"})
        if unknown:
            raise ValidationError(
                f"unknown session arguments {unknown}: streaming.new takes {sorted(p.name for p in endpoint.params)} "
                f"(and extra_body), a session also {list(SESSION_OPTIONS)}",
                parameter=unknown[0],
            )
        extra_body = params.get("extra_body")
        if extra_body is not None and not isinstance(extra_body, Mapping):
            raise ValidationError("extra_body must be a mapping", parameter="extra_body")
        arguments = {name: value for name, value in params.items() if name != "extra_body"}
        build_request(endpoint, arguments, extra_body=extra_body)  # ValidationError before anything is sent
        return params, float(params["activity_idle_timeout"])

    def __repr__(self) -> str:
        return f"<StreamingSession {self._id or '(no id yet)'} {self._state.value}>"

    # -- what it is ----------------------------------------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The session id, from the moment ``streaming.new`` answers."""
        return self._id

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def info(self) -> StreamingSessionInfo:
        """What ``streaming.new`` returned: LiveKit ``url`` and ``access_token``, ICE servers, duration limit."""
        if self._info is None:
            raise SessionClosedError("the session has not been created yet: enter it first", session_id=self._id)
        return self._info

    @property
    def needs_stop(self) -> bool:
        """Whether the session may be open (and billed) at HeyGen: it was created, and no ``streaming.stop``
        has succeeded yet nor has HeyGen stopped listing it. After the session is closed, True only when its
        stop failed: ``close()`` again tries the stop once more."""
        return self._id is not None and not self._stopped

    @property
    def idle_timeout(self) -> float:
        return self._idle_timeout

    @property
    def keeps_alive(self) -> bool:
        return self._keep_alive

    # -- events ---------------------------------------------------------------------------------------------

    async def events(self) -> AsyncGenerator[SessionEvent, None]:
        """Every event from now on, in order, until the session is closed (the last is the change to CLOSED).

        Each call is its own subscription; a subscriber that falls more than 1,000 events behind loses the
        oldest. Subscribing to a closed session yields nothing.
        """
        if self._state is SessionState.CLOSED:
            return
        subscriber = _Subscriber()
        self._subscribers.append(subscriber)
        try:
            while True:
                while subscriber.items:
                    event = subscriber.items.popleft()
                    if event is None:
                        return
                    yield event
                subscriber.wake.clear()
                await subscriber.wake.wait()
        finally:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def _emit(self, event: SessionEvent) -> None:
        for subscriber in self._subscribers:
            subscriber.put(event)

    def _set_state(self, new: SessionState, reason: str | None = None) -> None:
        old, self._state = self._state, new
        if old is not new:
            self._emit(StateChanged(session_id=self._id, old=old, new=new, reason=reason))

    # -- entering -----------------------------------------------------------------------------------------------

    async def __aenter__(self: _S) -> _S:  # a subclass's block gets its own type (LiveAvatarSession's viewer)
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close(reason="exit" if exc_info[0] is None else f"error: {getattr(exc_info[0], '__name__', '?')}")

    async def open(self) -> None:
        """``streaming.new`` then ``streaming.start``; on any failure or cancellation the session is stopped
        before the error propagates. Prefer ``async with``, which also closes it."""
        if self._state is not SessionState.NEW:
            raise SessionClosedError(f"a StreamingSession is entered once; this one is {self._state.value}")
        track = getattr(self._backend, "track", None)  # the client's ledger: its aclose() stops what is left
        if track is not None:
            self._untrack = track(self)  # ClientClosedError (before anything is sent) once the client is closing
        self._set_state(SessionState.STARTING)
        try:
            # new() creates a billed session: it is seen through even if we are cancelled meanwhile.
            self._new = asyncio.ensure_future(self._backend.new(self._params))
            task, cancelled = await finish(self._new, grace=self._start_grace)
            if task.done() and not task.cancelled() and task.exception() is None:
                await self._created(task.result())
            elif cancelled or not task.done() or task.cancelled():
                logger.warning(
                    "%s did not answer before cancellation: a session may have been created; "
                    "SessionManager.reap_orphans() stops sessions nobody owns",
                    self.CREATE,
                )
            if cancelled:
                raise asyncio.CancelledError
            task.result()  # new()'s own error
            assert self._id is not None
            try:
                started = await self._backend.start(self._id)
            except APIError as exc:
                if self._closing is None:
                    raise
                raise self._closed_meanwhile("start") from exc  # e.g. HeyGen refused it: our stop came first
            if started is not None:  # the API said more once started (LiveAvatar: the room, the WebSocket)
                self._info = started
            if self._closing is None:
                await self._open_channel()
            if self._closing is not None:  # closed (and stopped) while start was in flight
                raise SessionClosedError(
                    f"the session was closed while it was starting ({self._close_reason})", session_id=self._id
                )
            self._last_activity = time.monotonic()
            self._set_state(SessionState.CONNECTED)
            self._supervisor = asyncio.get_running_loop().create_task(
                self._supervise(), name=f"heygen-session-{self._id}"
            )
        except BaseException as exc:
            if self._closing is None:
                await self.close(reason=f"start failed: {type(exc).__name__}")
            else:  # closed meanwhile: that close's stop is the one (failed or not), not tried again here
                await self._wait_closing()
            raise

    def _adopt(self, info: StreamingSessionInfo) -> None:
        """Record what ``streaming.new`` answered (once; from open() or from a close that waited for it)."""
        if self._info is None:
            self._created_at = time.monotonic()  # HeyGen's duration limit runs from here, at the latest
            self._info = info
            self._id = info.session_id or None

    async def _created(self, info: StreamingSessionInfo) -> None:
        self._adopt(info)
        if self._closing is not None:
            # close() ran while new() was in flight: its close waits for new() and stops what it made; one that
            # gave up waiting before new() answered has stopped nothing, so what new() made is stopped now.
            if self._closing.done() and self.needs_stop and not self._stop_failures:
                self._closing = asyncio.ensure_future(self._stop_again())
            await self._wait_closing()
            outcome = "its stop failed (see stop_error)" if self.needs_stop else "it has been stopped"
            raise SessionClosedError(
                f"the session was closed while it was being created ({self._close_reason}); {outcome}",
                session_id=self._id,
            )
        if self._id is None:
            raise SessionClosedError("streaming.new answered without a session_id")
        if self._on_created is not None:
            self._on_created(self)

    # -- speaking -------------------------------------------------------------------------------------------

    async def speak(self, text: str, *, task_type: TaskType = "repeat", task_mode: TaskMode = "sync") -> StreamingTask:
        """Say ``text`` verbatim (``task_type="repeat"``). An LLM reply from the knowledge base is asked for
        explicitly with ``task_type="talk"`` (or ``"chat"``), or :meth:`chat`. Speech is sent in the order
        asked for; returns HeyGen's task id and duration. Raises :class:`TaskInterrupted` if ``interrupt()``
        dropped it before it was sent, :class:`SessionClosedError` once the session is closing."""
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(f"text must be a non-empty string, got {text!r}", parameter="text")
        if task_type not in _TASK_TYPES:
            raise ValidationError(f"task_type must be one of {_TASK_TYPES}, got {task_type!r}", parameter="task_type")
        if task_mode not in _TASK_MODES:
            raise ValidationError(f"task_mode must be one of {_TASK_MODES}, got {task_mode!r}", parameter="task_mode")
        self._check_open("speak")
        epoch = self._epoch
        async with self._send_lock:
            if epoch != self._epoch:
                raise TaskInterrupted("interrupt() dropped this speech before it was sent", session_id=self._id)
            self._check_open("speak")
            assert self._id is not None
            try:
                result = await self._tasks().task(self._id, text, task_type, task_mode)
            except APIError as exc:
                if self._closing is None:
                    raise
                raise self._closed_meanwhile("speak") from exc
        now = time.monotonic()
        self._touch(now)
        duration = result.duration
        self._speaking_until = max(self._speaking_until, now) + (duration or 0.0)
        self._speaking.append((self._speaking_until, result.task_id))
        self._emit(TaskSent(session_id=self._id, task_id=result.task_id, task_type=task_type, duration=duration))
        self._poke()
        return result

    async def chat(self, text: str, *, task_mode: TaskMode = "sync") -> StreamingTask:
        """Ask the knowledge base: the avatar answers ``text`` with an LLM reply (``task_type="talk"``)."""
        return await self.speak(text, task_type="talk", task_mode=task_mode)

    async def interrupt(self) -> None:
        """Cut the current speech short and drop speech still waiting its turn (it raises
        :class:`TaskInterrupted`). Sent at once, not behind queued speech."""
        self._check_open("interrupt")
        self._epoch += 1
        assert self._id is not None
        try:
            await self._tasks().interrupt(self._id)
        except APIError as exc:
            if self._closing is None:
                raise
            raise self._closed_meanwhile("interrupt") from exc
        now = time.monotonic()
        self._touch(now)
        while self._speaking:
            _, task_id = self._speaking.popleft()
            self._emit(TaskFinished(session_id=self._id, task_id=task_id, interrupted=True))
        self._speaking_until = now

    def _tasks(self) -> TaskBackend:
        """HeyGen v1's task calls (a subclass for another API speaks its own way and overrides speak/interrupt)."""
        return cast("TaskBackend", self._backend)

    @property
    def speaking(self) -> bool:
        """Whether speech sent is still running its duration (as far as the client knows)."""
        return self._speaking_until > time.monotonic()

    def _closed_meanwhile(self, what: str) -> SessionClosedError:
        """A request sent just before the session began closing failed (HeyGen refused it, or the client's
        connections closed under it): that is the close, not a bad request."""
        return SessionClosedError(
            f"cannot {what}: the session closed while the request was out ({self._close_reason})",
            session_id=self._id,
        )

    def _check_open(self, what: str) -> None:
        if self._state is not SessionState.CONNECTED:
            raise SessionClosedError(
                f"cannot {what}: the session is {self._state.value}"
                + (f" ({self._close_reason})" if self._close_reason else ""),
                session_id=self._id,
            )

    def _touch(self, now: float) -> None:
        self._last_activity = now
        self._idle_warned = False
        self._poke()

    # -- staying alive -----------------------------------------------------------------------------------------

    async def _supervise(self) -> None:
        """Keep-alives, idle and expiry warnings, finished speech; closes the session at its duration limit."""
        limit = self._info.session_duration_limit if self._info is not None else None
        while self._state is SessionState.CONNECTED and self._closing is None:
            now = time.monotonic()
            while self._speaking and self._speaking[0][0] <= now:
                _, task_id = self._speaking.popleft()
                self._emit(TaskFinished(session_id=self._id, task_id=task_id))
            due: list[float] = []
            if self._speaking:
                due.append(self._speaking[0][0])
            if self._keep_alive:
                keep_alive_at = self._last_activity + self._keep_alive_interval
                if keep_alive_at <= now:
                    await self._send_keep_alive()
                    continue
                due.append(keep_alive_at)
            else:
                warn_at = self._last_activity + self._idle_timeout - self._idle_warning
                if not self._idle_warned:
                    if warn_at <= now:
                        self._idle_warned = True
                        idle_for = now - self._last_activity
                        self._emit(
                            IdleWarning(
                                session_id=self._id,
                                idle_for=idle_for,
                                closes_in=max(0.0, self._idle_timeout - idle_for),
                            )
                        )
                        continue
                    due.append(warn_at)
            if limit:
                ends_at = self._created_at + limit
                if ends_at <= now:
                    self._begin_close("duration limit reached")
                    return
                due.append(ends_at)
                if not self._expiry_warned:
                    warn_at = ends_at - min(self._expiry_warning, limit / 2)  # a short session: warn halfway
                    if warn_at <= now:
                        self._expiry_warned = True
                        self._emit(ExpiryWarning(session_id=self._id, expires_in=max(0.0, ends_at - now)))
                        continue
                    due.append(warn_at)
            await self._sleep(None if not due else max(0.0, min(due) - time.monotonic()))

    async def _sleep(self, seconds: float | None) -> None:
        """Sleep ``seconds`` (None: until poked) or until :meth:`_poke`: one future and a timer, no task."""
        loop = asyncio.get_running_loop()
        wake: asyncio.Future[None] = loop.create_future()
        self._wake = wake
        timer = None if seconds is None else loop.call_later(seconds, _resolve, wake)
        try:
            await wake
        finally:
            if timer is not None:
                timer.cancel()
            self._wake = None

    def _poke(self) -> None:
        if self._wake is not None:
            _resolve(self._wake)

    async def _send_keep_alive(self) -> None:
        assert self._id is not None
        try:
            await self._backend.keep_alive(self._id)
        except APIStatusError as exc:
            self._emit(KeepAliveFailed(session_id=self._id, error=exc))
            if exc.status_code in (400, 404):  # HeyGen closed it (idle, duration): stop is still harmless
                logger.warning("live session %s is gone at %s (%s); closing it", self._id, self.API, exc)
                self._begin_close(f"closed by {self.API}")
                return
            self._last_activity = time.monotonic() - self._keep_alive_interval / 2  # try again soon
        except Exception as exc:
            self._emit(KeepAliveFailed(session_id=self._id, error=exc))
            self._last_activity = time.monotonic() - self._keep_alive_interval / 2
        else:
            self._last_activity = time.monotonic()
            self._emit(KeepAliveSent(session_id=self._id))

    def _begin_close(self, reason: str) -> None:
        """Close from inside the supervisor (which close() cancels): the close runs in its own task."""
        if self._closing is None:
            self._close_reason = reason
            self._closing = asyncio.ensure_future(self._close(reason))

    # -- closing ---------------------------------------------------------------------------------------------

    async def close(self, *, reason: str = "closed") -> None:
        """Stop the session (one ``streaming.stop``, shielded, bounded by ``stop_timeout``); closing
        concurrently waits for the same stop, closing again once it is closed sends nothing more, unless that
        stop failed: then it tries the stop once more. Never raises the stop's error: see :attr:`stop_error`
        and :attr:`needs_stop`."""
        if self._closing is None:
            self._close_reason = reason
            self._closing = asyncio.ensure_future(self._close(reason))
        elif self._closing.done() and self.needs_stop:
            self._closing = asyncio.ensure_future(self._stop_again())
        await self._wait_closing()

    async def _wait_closing(self) -> None:
        """Wait for the close (or stop) in progress, shielded and bounded; a cancellation is raised after it."""
        assert self._closing is not None
        task, cancelled = await finish(asyncio.shield(self._closing), grace=self._stop_timeout + 1.0)
        if cancelled:
            raise asyncio.CancelledError
        if task.done() and not task.cancelled():
            task.result()

    async def _close(self, reason: str) -> None:
        self._set_state(SessionState.CLOSING, reason)
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None and supervisor is not asyncio.current_task():
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        try:
            await self._await_new()
            await self._stop()
        finally:
            await self._close_channel()
            for _, task_id in self._speaking:
                self._emit(TaskFinished(session_id=self._id, task_id=task_id, interrupted=True))
            self._speaking.clear()
            self._set_state(SessionState.CLOSED, reason)
            for subscriber in self._subscribers:
                subscriber.put(None)
            self._after_stop()

    async def _open_channel(self) -> None:
        """Open what the session speaks through besides REST, once started (LiveAvatar LITE: its WebSocket);
        a failure here closes and stops the session like a failed start. Nothing for HeyGen's v1 API."""

    async def _close_channel(self) -> None:
        """Close that channel, after the stop; bounded, never raises (it runs inside the shielded close)."""

    async def _stop_again(self) -> None:
        """Another ``streaming.stop`` for a closed session whose stop failed (or was never sent)."""
        try:
            await self._stop()
        finally:
            self._after_stop()

    def _after_stop(self) -> None:
        """Tell the owners: a session still open at HeyGen stays on their ledgers, needing a stop; any other is
        closed for good (off the client's live set, then ``on_closed``), once."""
        if self.needs_stop:
            if self._on_stop_failed is not None:
                self._on_stop_failed(self)
        else:
            self._settle()

    def _settle(self) -> None:
        if self._settled:
            return
        self._settled = True
        untrack, self._untrack = self._untrack, None
        if untrack is not None:
            untrack()
        if self._on_closed is not None:
            self._on_closed(self)

    def _closing_now(self) -> bool:
        """Whether a close (or a stop tried again) is in progress."""
        return self._closing is not None and not self._closing.done()

    def _gone(self) -> None:
        """HeyGen no longer has this session (a reaper stopped it, or it is not listed any more): nothing is
        open, whatever our own stops said. Called by a :class:`SessionManager` on a session whose stop failed."""
        self._stopped = True
        self.stop_error = None
        if self._state is SessionState.CLOSED and self._closing is not None and self._closing.done():
            self._settle()  # else the close or stop in progress settles it when it ends

    async def _await_new(self) -> None:
        """If ``streaming.new`` is still in flight, wait (bounded) for its answer: the session it creates is
        this one's to stop, and until it is stopped the session does not count as closed."""
        creating = self._new
        if self._id is not None or creating is None:
            return
        if not creating.done():
            await asyncio.wait({creating}, timeout=max(self._stop_timeout, self._start_grace))
        if creating.done() and not creating.cancelled():
            error = creating.exception()
            if error is None:
                self._adopt(creating.result())
            elif isinstance(error, CreatedResponseError):  # an unreadable answer, but a session: stop it too
                self._adopt(StreamingSessionInfo(session_id=error.created_id, raw=error.raw))
            elif may_have_been_processed(error):  # its answer was lost or cut short: no id to stop
                logger.warning(
                    "%s failed after %s may have done it (%s): a session may have been created; "
                    "SessionManager.reap_orphans() stops sessions nobody owns",
                    self.CREATE,
                    self.API,
                    type(error).__name__,
                )
        elif not creating.done():
            logger.warning(
                "%s had not answered when the session closed: a session may have been created; "
                "SessionManager.reap_orphans() stops sessions nobody owns",
                self.CREATE,
            )

    async def _stop(self) -> None:
        """One ``streaming.stop`` if the session needs one, bounded; a failure is reported, never raised."""
        if not self.needs_stop:
            return
        assert self._id is not None
        try:
            await asyncio.wait_for(self._backend.stop(self._id), self._stop_timeout)
        except asyncio.CancelledError:
            self._stop_failed(TimeoutError(f"{self.STOP} was abandoned before it answered"), warn=False)
            raise
        except Exception as exc:
            error: BaseException = exc
            if isinstance(exc, asyncio.TimeoutError):
                error = TimeoutError(f"{self.STOP} did not answer within {self._stop_timeout:g} s")
            self._stop_failed(error)
        else:
            self._stopped = True
            self.stop_error = None

    def _stop_failed(self, error: BaseException, *, warn: bool = True) -> None:
        """Report a failed stop: the first as a :class:`StopFailed` event, a log line and a RuntimeWarning,
        later ones (tries again) as log lines; each says what will try again."""
        if self._stopped:
            return  # a reaper stopped it meanwhile, or HeyGen no longer lists it
        self.stop_error = error
        self._stop_failures += 1
        message = (
            f"{self.STOP} failed for session {self._id}: {type(error).__name__}: {error}; it may still be "
            f"open and billed at {self.API} ({self._retried_by or self._default_retry()})"
        )
        if self._stop_failures > 1:
            logger.warning("%s [stop attempt %d]", message, self._stop_failures)
            return
        self._emit(StopFailed(session_id=self._id, error=error))  # first: a warning filter may raise
        logger.warning("%s", message)
        if warn:
            warnings.warn(message, RuntimeWarning, stacklevel=2)

    def _default_retry(self) -> str:
        """What tries a failed stop again for a session no manager owns."""
        if self._untrack is not None:  # a client's: its aclose() closes what it still tracks
            return "close() of the session or the client's aclose() tries again; SessionManager.reap_orphans() stops it"
        return "close() of the session tries again; SessionManager.reap_orphans() stops it"
