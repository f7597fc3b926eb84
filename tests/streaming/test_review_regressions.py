"""Regressions from the streaming review: no session opened by a caller already cancelled, none stopped by
reap_orphans while its owner opens it, none left open by manager.aclose(), a slot held until the stop, and
no keep-alive after HeyGen said the session is gone."""

from __future__ import annotations

import asyncio
import collections
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._streaming._manager import SessionManager, _Slots
from heygen_async._streaming._session import StreamingSession
from heygen_async.emulator import Emulator

PARAMS: dict[str, Any] = {"avatar_id": "Wayne_20240711", "quality": "low"}


class Gated:
    """A backend around a real one whose calls the test can hold before or after they reach the emulator."""

    def __init__(self, inner: hg.StreamingBackend) -> None:
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


def _open_ids(emulator: Emulator) -> list[str]:
    return [session.id for session in emulator.account.open_sessions()]


async def test_reap_orphans_keeps_a_session_its_manager_is_opening(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """HeyGen creates the session while the listing is in flight; the client hears of it after the listing."""
    backend = Gated(gateway.streaming.backend)
    manager = SessionManager(backend, max_sessions=2)
    list_reached, list_go = backend.gate_before("list_active")
    new_reached, new_go = backend.gate_after("new")
    reaper = asyncio.create_task(manager.reap_orphans())
    await asyncio.wait_for(list_reached.wait(), 3)

    async def owner() -> hg.SessionState:
        async with manager.session(**PARAMS) as session:
            await asyncio.sleep(0.05)
            return session.state

    opener = asyncio.create_task(owner())
    await asyncio.wait_for(new_reached.wait(), 3)
    created = _open_ids(heygen_emulator)
    assert len(created) == 1
    list_go.set()
    await asyncio.sleep(0.05)
    assert not reaper.done()  # it waits for the open in flight
    new_go.set()
    report = await asyncio.wait_for(reaper, 3)
    assert await asyncio.wait_for(opener, 3) is hg.SessionState.CONNECTED
    assert report.stopped == ()
    assert report.kept == tuple(created)
    assert backend.calls["stop"] == 1  # the owner's own, on leaving


async def test_reap_orphans_does_not_wait_for_opens_that_began_after_its_listing(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """Steady load (an open always in flight) cannot starve it: it waits only for opens in flight at its
    listing, and those that begin later cannot be in it."""
    backend = Gated(gateway.streaming.backend)
    manager = SessionManager(backend, max_sessions=5, acquire_timeout=None)
    stop = asyncio.Event()

    async def churn() -> None:
        while not stop.is_set():
            async with manager.session(**PARAMS):
                await asyncio.sleep(0)

    workers = [asyncio.create_task(churn()) for _ in range(3)]
    try:
        await asyncio.sleep(0.1)
        report = await asyncio.wait_for(manager.reap_orphans(), 5)
    finally:
        stop.set()
        await asyncio.gather(*workers)
    assert report.stopped == ()
    assert _open_ids(heygen_emulator) == []


async def test_reap_orphans_stops_nothing_unknown_while_an_open_does_not_settle(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    orphan = await gateway.streaming.new(**PARAMS)
    backend = Gated(gateway.streaming.backend)
    manager = SessionManager(backend, max_sessions=2)
    new_reached, new_go = backend.gate_after("new")
    opener = asyncio.create_task(manager.session(**PARAMS).__aenter__())
    await asyncio.wait_for(new_reached.wait(), 3)
    report = await manager.reap_orphans(settle_timeout=0.05)
    assert report.stopped == ()
    assert orphan.session_id in report.kept
    new_go.set()
    session = await opener
    await session.close()
    assert (await manager.reap_orphans()).stopped == (orphan.session_id,)


async def test_manager_aclose_stops_a_session_whose_new_is_in_flight(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    backend = Gated(gateway.streaming.backend)
    manager = SessionManager(backend, max_sessions=2)
    new_reached, new_go = backend.gate_after("new")
    entered: list[hg.SessionState] = []

    async def owner() -> None:
        async with manager.session(**PARAMS) as session:
            entered.append(session.state)

    opener = asyncio.create_task(owner())
    await asyncio.wait_for(new_reached.wait(), 3)
    closing = asyncio.create_task(manager.aclose())
    await asyncio.sleep(0.05)
    assert not closing.done()  # it waits for new's answer, to stop what new made
    new_go.set()
    await asyncio.wait_for(closing, 3)
    assert _open_ids(heygen_emulator) == []
    with pytest.raises(hg.SessionClosedError):
        await opener
    assert entered == []
    assert backend.calls["stop"] == 1
    with pytest.raises(hg.SessionClosedError, match="manager is closed"):
        async with manager.session(**PARAMS):
            pytest.fail("a closed manager opened a session")
    assert backend.calls["new"] == 1


async def test_close_during_new_holds_the_slot_until_the_session_is_stopped(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    backend = Gated(gateway.streaming.backend)
    manager = SessionManager(backend, max_sessions=1)
    new_reached, new_go = backend.gate_after("new")
    first, second = manager.session(**PARAMS), manager.session(**PARAMS)
    most_open = 0

    async def use(managed: Any) -> None:
        nonlocal most_open
        async with managed:
            most_open = max(most_open, len(_open_ids(heygen_emulator)))
            await asyncio.sleep(0.05)

    a = asyncio.create_task(use(first))
    await asyncio.wait_for(new_reached.wait(), 3)
    b = asyncio.create_task(use(second))
    await asyncio.sleep(0.01)
    assert first.session is not None
    closing = asyncio.create_task(first.session.close(reason="shutdown"))
    await asyncio.sleep(0.1)
    assert manager.active == 1
    assert backend.calls["new"] == 1  # the second waits: the first's session is not stopped yet
    new_go.set()
    await asyncio.wait_for(closing, 3)
    outcomes = await asyncio.gather(a, b, return_exceptions=True)
    assert isinstance(outcomes[0], hg.SessionClosedError)
    assert outcomes[1] is None
    assert most_open == 1
    assert manager.high_water == 1
    assert _open_ids(heygen_emulator) == []


@pytest.mark.parametrize("steps", [0, 1, 2, 3])
async def test_a_caller_cancelled_as_the_slot_is_handed_over_does_not_get_it(steps: int) -> None:
    """Whenever the cancellation lands while the caller is still suspended, it ends cancelled and the slot is
    passed on (on Python 3.10/3.11 asyncio.wait_for could return the slot to it instead, two steps in)."""
    slots = _Slots(1)
    await slots.acquire(60.0)
    waiter = asyncio.create_task(slots.acquire(60.0))
    await asyncio.sleep(0.01)
    slots.release()  # handed to ``waiter``
    for _ in range(steps):
        await asyncio.sleep(0)
    suspended = waiter.cancel()  # e.g. its TaskGroup is torn down
    await asyncio.gather(waiter, return_exceptions=True)
    if suspended:
        assert waiter.cancelled()
        assert slots.used == 0  # passed on (nobody else waits): free again
    else:
        assert waiter.result() is None  # it had the slot before the cancellation came
        assert slots.used == 1


async def test_the_slot_wait_still_times_out() -> None:
    slots = _Slots(1)
    await slots.acquire(None)
    with pytest.raises(asyncio.TimeoutError):
        await slots.acquire(0.05)
    assert not slots._waiters
    slots.release()
    await slots.acquire(0.05)


class _Stub:
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


async def test_no_keep_alive_after_heygen_said_the_session_is_gone() -> None:
    stub = _Stub()
    async with StreamingSession(stub, {"avatar_id": "a"}, keep_alive_interval=0.05) as session:
        await asyncio.sleep(0.2)
        assert session.state is hg.SessionState.CLOSED
    assert stub.calls.count("keep_alive") == 1
    assert stub.calls.count("stop") == 1


async def test_a_stop_failing_after_close_during_new_is_seen_as_an_event() -> None:
    stub = _Stub()
    stub.new_gate.clear()
    stub.stop_error = RuntimeError("stop broke")
    session = StreamingSession(stub, {"avatar_id": "a"})
    seen: list[hg.SessionEvent] = []

    async def consume() -> None:
        async for event in session.events():
            seen.append(event)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0)
    opener = asyncio.create_task(session.open())
    await asyncio.sleep(0.01)
    closing = asyncio.create_task(session.close())
    await asyncio.sleep(0.01)
    stub.new_gate.set()
    with pytest.warns(RuntimeWarning, match="stop broke"):
        await closing
    with pytest.raises(hg.SessionClosedError):
        await opener
    await asyncio.wait_for(consumer, 1)
    assert isinstance(session.stop_error, RuntimeError)
    assert any(isinstance(event, hg.StopFailed) for event in seen)
    last = seen[-1]
    assert isinstance(last, hg.StateChanged)
    assert (last.new, last.session_id) == (hg.SessionState.CLOSED, "s1")
    assert stub.calls.count("stop") == 1


def test_a_keep_alive_interval_not_shorter_than_the_idle_timeout_is_refused() -> None:
    with pytest.raises(hg.ValidationError) as caught:
        StreamingSession(_Stub(), {"avatar_id": "a", "activity_idle_timeout": 60}, keep_alive_interval=60)
    assert caught.value.parameter == "keep_alive_interval"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="pytest.warns inside a filter: same on 3.10, kept simple")
async def test_a_warning_filter_that_raises_does_not_hide_the_stop_failed_event() -> None:
    stub = _Stub()
    stub.stop_error = RuntimeError("stop broke")
    session = StreamingSession(stub, {"avatar_id": "a"})
    seen: list[hg.SessionEvent] = []
    await session.open()

    async def consume() -> None:
        async for event in session.events():
            seen.append(event)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeWarning):  # this suite turns warnings into errors
        await session.close()
    await asyncio.sleep(0)
    assert any(isinstance(event, hg.StopFailed) for event in seen)
    consumer.cancel()
    await asyncio.gather(consumer, return_exceptions=True)


class _RefusesAfterStop(_Stub):
    """HeyGen refuses speech for a session its stop already closed."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped = False
        self.task_gate = asyncio.Event()

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> hg.StreamingTask:
        await self.task_gate.wait()
        if self.stopped:
            raise hg.BadRequestError("session closed", endpoint="streaming.task", status_code=400)
        return await super().task(session_id, text, task_type, task_mode)

    async def stop(self, session_id: str) -> None:
        self.stopped = True
        await super().stop(session_id)


async def test_speech_refused_because_the_session_closed_meanwhile_is_a_session_closed_error() -> None:
    stub = _RefusesAfterStop()
    session = StreamingSession(stub, {"avatar_id": "a"})
    await session.open()
    speaking = asyncio.create_task(session.speak("hello"))
    await asyncio.sleep(0.01)
    await session.close()
    stub.task_gate.set()
    with pytest.raises(hg.SessionClosedError) as caught:
        await speaking
    assert isinstance(caught.value.__cause__, hg.BadRequestError)


class _CutOffAfterStop(_RefusesAfterStop):
    """The client's connections close under a speech in flight once the session was stopped (client.aclose())."""

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> hg.StreamingTask:
        await self.task_gate.wait()
        if self.stopped:
            raise hg.APIConnectionError("connection closed", endpoint="streaming.task", maybe_processed=True)
        return await super().task(session_id, text, task_type, task_mode)


async def test_speech_cut_off_because_the_session_closed_meanwhile_is_a_session_closed_error() -> None:
    stub = _CutOffAfterStop()
    session = StreamingSession(stub, {"avatar_id": "a"})
    await session.open()
    speaking = asyncio.create_task(session.speak("hello"))
    await asyncio.sleep(0.01)
    await session.close()
    stub.task_gate.set()
    with pytest.raises(hg.SessionClosedError) as caught:
        await speaking
    assert isinstance(caught.value.__cause__, hg.APIConnectionError)


async def test_speech_refused_on_an_open_session_keeps_heygens_error() -> None:
    stub = _RefusesAfterStop()
    stub.stopped = True  # HeyGen refuses although the client never closed it
    stub.task_gate.set()
    async with StreamingSession(stub, {"avatar_id": "a"}) as session:
        with pytest.raises(hg.BadRequestError):
            await session.speak("hello")


async def test_a_cancellation_landing_with_the_slot_timeout_stays_a_cancellation() -> None:
    """The timeout fails the waiter with its own error instead of cancelling it, so a cancellation of the
    caller in the same loop turn is never mistaken for the timeout (on any Python)."""
    slots = _Slots(1)
    await slots.acquire(None)
    task = asyncio.create_task(slots.acquire(0))
    await asyncio.sleep(0)  # waiting now; its timer fires on the next loop turn
    asyncio.get_running_loop().call_later(0, task.cancel)  # and the cancellation in that same turn
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not slots._waiters
    assert slots.used == 1
    with pytest.raises(asyncio.TimeoutError):  # a timeout alone is still a timeout
        await slots.acquire(0)
