"""What the streaming-session tests share: backends around a real one that count calls and cancel a task or
hold a call at chosen points, one with no server at all, an event recorder, small helpers to read the
emulator's request log, and seeded stop faults."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import heygen_async as hg
from heygen_async._streaming._manager import SessionManager
from heygen_async.emulator import Emulator, Faults
from heygen_async.emulator._faults import FaultPlan

from ._emulated import STREAMING_AVATAR, wait_until

T = TypeVar("T")

SLOW_ANSWER = 0.2
"""Real seconds an injected ``slow`` answer takes (``emulator.app.faults.latency`` is patched to this)."""
SESSION_PARAMS: dict[str, Any] = {"avatar_id": STREAMING_AVATAR, "quality": "low"}
"""``streaming.new`` arguments for a cheap session of the catalogue's streaming avatar."""
STREAMING_ENDPOINTS = frozenset(
    {
        "streaming.new",
        "streaming.start",
        "streaming.task",
        "streaming.interrupt",
        "streaming.stop",
        "streaming.keep_alive",
        "streaming.list_sessions",
    }
)


def streaming_requests(emulator: Emulator) -> list[str]:
    """The streaming endpoints the emulator was asked for, in order."""
    return [entry["endpoint"] for entry in emulator.request_log if entry["endpoint"] in STREAMING_ENDPOINTS]


def needs_stop(session: hg.StreamingSession) -> bool:
    """``session.needs_stop``, read afresh (mypy narrows a property once it has been checked)."""
    return session.needs_stop


def failed_stops(emulator: Emulator) -> int:
    """How many ``streaming.stop`` requests the emulator answered with an error."""
    return sum(
        1 for entry in emulator.request_log if entry["endpoint"] == "streaming.stop" and entry.get("status", 0) >= 400
    )


def stop_faults(rate: float, seed: int) -> Faults:
    """A share ``rate`` of ``streaming.stop`` requests answered 500 (and nothing else), in a seeded order."""
    return Faults(rate=rate, kinds={"500": 1.0}, endpoints=frozenset({"streaming.stop"}), seed=seed)


def rounds_of_stops(faults: Faults, sessions: int, attempts: int) -> list[int]:
    """How many of ``sessions`` stops fail in each round when every failed one is tried again in the next (up
    to ``attempts`` rounds), with ``faults`` drawn from their start: the emulator's own draws, replayed."""
    plan = FaultPlan(faults)
    failed: list[int] = []
    pending = sessions
    while pending and len(failed) < attempts:
        pending = sum(1 for _ in range(pending) if plan.draw("streaming.stop") is not None)
        failed.append(pending)
    return failed


def open_at_emulator(emulator: Emulator) -> list[str]:
    """The ids of the sessions open (and billed) at the emulator, oldest first."""
    return [session.id for session in emulator.account.open_sessions()]


def in_flight(emulator: Emulator, endpoint: str) -> bool:
    """Whether a request to ``endpoint`` has reached the emulator and not been answered yet."""
    return any(entry["endpoint"] == endpoint and "status" not in entry for entry in emulator.request_log)


class Recorder:
    """Every event of one session from the moment of subscription, in a list."""

    def __init__(self, session: hg.StreamingSession) -> None:
        self.events: list[hg.SessionEvent] = []
        self._task = asyncio.create_task(self._consume(session))

    async def _consume(self, session: hg.StreamingSession) -> None:
        async for event in session.events():
            self.events.append(event)

    @classmethod
    async def subscribe(cls, session: hg.StreamingSession) -> Recorder:
        recorder = cls(session)
        await asyncio.sleep(0)  # one loop step: the consumer task starts and subscribes
        return recorder

    async def ended(self, within: float = 3.0) -> list[hg.SessionEvent]:
        """Wait for the stream to end (it ends when the session is closed) and return what it yielded."""
        await asyncio.wait_for(self._task, within)
        return self.events

    def of(self, kind: type[T]) -> list[T]:
        return [event for event in self.events if isinstance(event, kind)]

    def states(self) -> list[tuple[hg.SessionState, hg.SessionState]]:
        return [(event.old, event.new) for event in self.of(hg.StateChanged)]


class CheckpointBackend:
    """A :class:`StreamingBackend` around a real one that counts calls and, at the chosen await points,
    cancels ``victim``.

    Points are ``"<method>.before"`` (before the call is made), ``"<method>.during"`` (once the request has
    reached the emulator, held there ``SLOW_ANSWER`` seconds by an injected ``slow`` answer), ``"<method>.after"``
    (once the call returned), and ``"body"`` (the test's own await inside the ``async with`` block, see
    :meth:`point`). Methods are ``new``, ``start``, ``task``, ``interrupt``, ``keep_alive``, ``stop``; the emulator
    names each ``endpoint(method)`` (``streaming.<method>`` here; a subclass for another API maps its own).
    """

    def __init__(self, inner: hg.StreamingBackend, emulator: Emulator, trips: Sequence[str] = ()) -> None:
        self.inner = inner
        self.emulator = emulator
        self.trips = frozenset(trips)
        self.victim: asyncio.Task[Any] | None = None
        self.tripped: list[str] = []
        self.calls: collections.Counter[str] = collections.Counter()
        self.stopped: list[str] = []
        self.in_flight: collections.Counter[str] = collections.Counter()
        self.most_in_flight: collections.Counter[str] = collections.Counter()
        self.hooks: dict[str, Callable[[], object]] = {}
        """Called (synchronously) at a point, whether or not it also cancels; a ``.during`` hook makes the call
        slow, as a ``.during`` trip does."""
        self._watchers: list[asyncio.Task[None]] = []

    @property
    def supports_keep_alive(self) -> bool:
        return self.inner.supports_keep_alive

    async def point(self, name: str) -> None:
        hook = self.hooks.get(name)
        if hook is not None:
            hook()
        if name in self.trips:
            self._cancel(name)
            await asyncio.sleep(0)  # the victim, if it is the running task, is cancelled here

    def _cancel(self, name: str) -> None:
        assert self.victim is not None, "set .victim before tripping a point"
        self.tripped.append(name)
        self.victim.cancel()

    def endpoint(self, method: str) -> str:
        """What the emulator's request log and faults call ``method``'s endpoint."""
        return f"streaming.{method}"

    async def _when_in_flight(self, method: str) -> None:
        endpoint = self.endpoint(method)
        await wait_until(lambda: in_flight(self.emulator, endpoint), what=endpoint)
        hook = self.hooks.get(f"{method}.during")
        if hook is not None:
            hook()
        if f"{method}.during" in self.trips:
            self._cancel(f"{method}.during")

    async def _through(self, method: str, call: Callable[[], Awaitable[T]]) -> T:
        self.calls[method] += 1
        await self.point(f"{method}.before")
        if f"{method}.during" in self.trips or f"{method}.during" in self.hooks:
            self.emulator.inject("slow", endpoint=self.endpoint(method))
            self._watchers.append(asyncio.create_task(self._when_in_flight(method)))
        self.in_flight[method] += 1
        self.most_in_flight[method] = max(self.most_in_flight[method], self.in_flight[method])
        try:
            result = await call()
        finally:
            self.in_flight[method] -= 1
        await self.point(f"{method}.after")
        return result

    def _tasks(self) -> hg.TaskBackend:
        """The inner backend's task calls (HeyGen v1's: a LiveAvatar backend speaks over its WebSocket)."""
        return cast("hg.TaskBackend", self.inner)

    async def settle(self) -> None:
        """Wait for the watchers of calls in flight (they must all have fired)."""
        await asyncio.wait_for(asyncio.gather(*self._watchers), 3)

    async def new(self, params: Mapping[str, Any]) -> hg.StreamingSessionInfo:
        return await self._through("new", lambda: self.inner.new(params))

    async def start(self, session_id: str) -> hg.StreamingSessionInfo | None:
        return await self._through("start", lambda: self.inner.start(session_id))

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> hg.StreamingTask:
        return await self._through("task", lambda: self._tasks().task(session_id, text, task_type, task_mode))

    async def interrupt(self, session_id: str) -> None:
        await self._through("interrupt", lambda: self._tasks().interrupt(session_id))

    async def keep_alive(self, session_id: str) -> None:
        await self._through("keep_alive", lambda: self.inner.keep_alive(session_id))

    async def stop(self, session_id: str) -> None:
        self.stopped.append(session_id)
        await self._through("stop", lambda: self.inner.stop(session_id))

    async def list_active(self) -> Sequence[hg.StreamingSessionSummary]:
        return await self.inner.list_active()


class FailingStop(CheckpointBackend):
    """A backend whose ``stop`` raises ``error`` (after counting the call), or hangs when ``error`` is None."""

    def __init__(self, inner: hg.TaskBackend, emulator: Emulator, error: BaseException | None) -> None:
        super().__init__(inner, emulator)
        self.error = error

    async def stop(self, session_id: str) -> None:
        self.stopped.append(session_id)
        self.calls["stop"] += 1
        if self.error is None:
            await asyncio.Event().wait()
        else:
            raise self.error


async def hold_session(manager: SessionManager, entered: asyncio.Event, leave: asyncio.Event) -> None:
    """Open a session through ``manager``, set ``entered``, and keep it until ``leave`` is set."""
    async with manager.session(**SESSION_PARAMS):
        entered.set()
        await leave.wait()


class Gated:
    """A backend around a real one whose calls the test can hold before or after they reach the emulator."""

    def __init__(self, inner: hg.TaskBackend) -> None:
        self.inner = inner
        self.calls: collections.Counter[str] = collections.Counter()
        self.hold_after: dict[str, tuple[asyncio.Event, asyncio.Event]] = {}
        self.hold_before: dict[str, tuple[asyncio.Event, asyncio.Event]] = {}

    def gate_after(self, method: str) -> tuple[asyncio.Event, asyncio.Event]:
        """(reached, release): the next ``method`` call waits for ``release`` once the emulator answered."""
        self.hold_after[method] = (asyncio.Event(), asyncio.Event())
        return self.hold_after[method]

    def gate_before(self, method: str) -> tuple[asyncio.Event, asyncio.Event]:
        """(reached, release): the next ``method`` call waits for ``release`` before it is sent."""
        self.hold_before[method] = (asyncio.Event(), asyncio.Event())
        return self.hold_before[method]

    @property
    def supports_keep_alive(self) -> bool:
        return self.inner.supports_keep_alive

    async def _run(self, method: str, call: Callable[[], Any]) -> Any:
        self.calls[method] += 1
        if method in self.hold_before:
            reached, release = self.hold_before.pop(method)
            reached.set()
            await release.wait()
        result = await call()
        if method in self.hold_after:
            reached, release = self.hold_after.pop(method)
            reached.set()
            await release.wait()
        return result

    async def new(self, params: Mapping[str, Any]) -> hg.StreamingSessionInfo:
        info: hg.StreamingSessionInfo = await self._run("new", lambda: self.inner.new(params))
        return info

    async def start(self, session_id: str) -> None:
        await self._run("start", lambda: self.inner.start(session_id))

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> hg.StreamingTask:
        task: hg.StreamingTask = await self._run(
            "task", lambda: self.inner.task(session_id, text, task_type, task_mode)
        )
        return task

    async def interrupt(self, session_id: str) -> None:
        await self._run("interrupt", lambda: self.inner.interrupt(session_id))

    async def keep_alive(self, session_id: str) -> None:
        await self._run("keep_alive", lambda: self.inner.keep_alive(session_id))

    async def stop(self, session_id: str) -> None:
        await self._run("stop", lambda: self.inner.stop(session_id))

    async def list_active(self) -> Sequence[hg.StreamingSessionSummary]:
        summaries: Sequence[hg.StreamingSessionSummary] = await self._run("list_active", self.inner.list_active)
        return summaries


class StubBackend:
    """A backend with no server: ``new`` waits for ``new_gate`` and makes session ``s1``, a keep-alive is
    answered 404 (HeyGen no longer knows the session), and ``stop`` raises ``stop_error`` if one is set."""

    supports_keep_alive = True

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.new_gate = asyncio.Event()
        self.new_gate.set()
        self.stop_error: BaseException | None = None

    async def new(self, params: Mapping[str, Any]) -> hg.StreamingSessionInfo:
        self.calls.append("new")
        await self.new_gate.wait()
        return hg.StreamingSessionInfo(session_id="s1", session_duration_limit=600)

    async def start(self, session_id: str) -> None:
        self.calls.append("start")

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> hg.StreamingTask:
        return hg.StreamingTask(task_id="t", duration_ms=0)

    async def interrupt(self, session_id: str) -> None:
        self.calls.append("interrupt")

    async def keep_alive(self, session_id: str) -> None:
        self.calls.append("keep_alive")
        await asyncio.sleep(0.01)
        raise hg.APIStatusError("gone", endpoint="streaming.keep_alive", status_code=404)

    async def stop(self, session_id: str) -> None:
        self.calls.append("stop")
        if self.stop_error is not None:
            raise self.stop_error

    async def list_active(self) -> Sequence[hg.StreamingSessionSummary]:
        return []
