"""SessionManager against the emulator: the cap holds under contention (also at the emulator), slots are
handed out in order, an acquire timeout creates nothing, a cancelled waiter loses no slot, a slot is held until
its session is stopped, and aclose() stops every session, also one whose new is in flight. Its slots on
their own: handed over, timed out, cancelled. (reap_orphans: test_reaping.py.)"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._streaming._manager import SessionManager, _Slots
from heygen_async.emulator import Emulator, EmulatorConfig
from tests.support import (
    NO_WAIT_RETRY,
    SESSION_PARAMS,
    CheckpointBackend,
    Gated,
    hold_session,
    in_flight,
    open_at_emulator,
    requests_to,
    running,
    wait_until,
)


async def test_the_cap_holds_under_200_competing_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """200 tasks each open a session, speak and leave, through a manager capped at 5 (the emulator would
    allow 50): never more than 5 slots in use nor 5 sessions open at the emulator, all 200 done, none left."""
    cap, tasks = 5, 200
    async with running(EmulatorConfig(max_sessions=50)) as emulator, emulator.client(retry=NO_WAIT_RETRY) as client:
        account = emulator.account
        open_at_creation: list[int] = []
        new_session = account.new_session

        def counting(*args: Any, **kwargs: Any) -> Any:
            session = new_session(*args, **kwargs)
            open_at_creation.append(len(account.open_sessions()))
            return session

        monkeypatch.setattr(account, "new_session", counting)
        manager = client.streaming.manager(max_sessions=cap, acquire_timeout=None)

        async def one(n: int) -> str | None:
            async with manager.session(**SESSION_PARAMS) as session:
                assert manager.active <= cap
                await session.speak(f"Hello number {n}")
                return session.id

        ids = await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(tasks))), 30)
        assert len(set(ids)) == tasks
        assert manager.high_water <= cap
        assert manager.high_water == cap  # there was contention
        assert len(open_at_creation) == tasks
        assert max(open_at_creation) <= cap
        assert account.open_sessions() == []
        assert requests_to(emulator, "streaming.stop") == tasks
        assert manager.active == 0
        assert dict(manager.sessions) == {}


async def test_slots_are_handed_out_first_come_first_served(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """With one slot, ten waiters get it in the order they asked."""
    manager = gateway.streaming.manager(max_sessions=1)
    order: list[int] = []

    async def one(n: int) -> None:
        async with manager.session(**SESSION_PARAMS):
            order.append(n)

    waiters = []
    for n in range(10):
        waiters.append(asyncio.create_task(one(n)))
        await asyncio.sleep(0)  # each starts, and queues, before the next
    await asyncio.wait_for(asyncio.gather(*waiters), 10)
    assert order == list(range(10))
    assert manager.high_water == 1


async def test_the_ledger_holds_open_sessions_only(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """``sessions`` lists this manager's open sessions by id, read-only, and forgets them once closed."""
    manager = gateway.streaming.manager(max_sessions=2)
    async with manager.session(**SESSION_PARAMS) as first, manager.session(**SESSION_PARAMS) as second:
        assert first.id is not None
        assert second.id is not None
        assert dict(manager.sessions) == {first.id: first, second.id: second}
        assert manager.active == 2
        with pytest.raises(TypeError):
            manager.sessions[first.id] = first  # type: ignore[index]
    assert dict(manager.sessions) == {}
    assert manager.active == 0


async def test_an_acquire_timeout_raises_session_limit_error_and_creates_nothing(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """With the only slot taken, a second session waits acquire_timeout, then SessionLimitError; no
    streaming.new was sent for it and the slot count is unchanged."""
    manager = gateway.streaming.manager(max_sessions=1, acquire_timeout=0.1)
    async with manager.session(**SESSION_PARAMS):
        started = time.monotonic()
        with pytest.raises(hg.SessionLimitError):
            async with manager.session(**SESSION_PARAMS):
                pytest.fail("no slot was free")
        assert 0.08 <= time.monotonic() - started < 1
        assert manager.active == 1
        assert requests_to(heygen_emulator, "streaming.new") == 1
        assert len(heygen_emulator.account.sessions) == 1
    async with manager.session(**SESSION_PARAMS):  # and the slot still works
        assert manager.active == 1
    assert manager.active == 0


async def _queue(manager: SessionManager, got: list[str]) -> None:
    async with manager.session(**SESSION_PARAMS) as session:
        assert session.id is not None
        got.append(session.id)


async def test_a_waiter_cancelled_while_queued_loses_no_slot(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """A waiter cancelled while queued leaves the queue: the next waiter gets the slot when it frees, and the
    cancelled one created nothing."""
    manager = gateway.streaming.manager(max_sessions=1, acquire_timeout=None)
    entered, leave = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(hold_session(manager, entered, leave))
    await asyncio.wait_for(entered.wait(), 3)
    got: list[str] = []
    cancelled = asyncio.create_task(_queue(manager, got))
    waiting = asyncio.create_task(_queue(manager, got))
    await asyncio.sleep(0)  # both queue up
    cancelled.cancel()
    await asyncio.wait({cancelled}, timeout=3)
    assert cancelled.cancelled()
    leave.set()
    await asyncio.wait_for(asyncio.gather(holder, waiting), 3)
    assert len(got) == 1
    assert requests_to(heygen_emulator, "streaming.new") == 2
    assert manager.active == 0
    async with manager.session(**SESSION_PARAMS):
        assert manager.active == 1


async def test_a_waiter_cancelled_as_the_slot_frees_passes_it_on(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """The first waiter is cancelled the instant the holder's stop returns (just before its slot is handed
    over): the slot goes to the next waiter, not lost, and the cancelled waiter created nothing."""
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    manager = SessionManager(backend, max_sessions=1, acquire_timeout=None)
    entered, leave = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(hold_session(manager, entered, leave))
    await asyncio.wait_for(entered.wait(), 3)
    got: list[str] = []
    cancelled = asyncio.create_task(_queue(manager, got))
    waiting = asyncio.create_task(_queue(manager, got))
    await asyncio.sleep(0)  # both queue up
    backend.hooks["stop.after"] = cancelled.cancel
    leave.set()
    await asyncio.wait_for(asyncio.gather(holder, waiting), 3)
    await asyncio.wait({cancelled}, timeout=3)
    assert cancelled.cancelled()
    assert len(got) == 1
    assert requests_to(heygen_emulator, "streaming.new") == 2
    assert manager.active == 0
    assert heygen_emulator.account.open_sessions() == []


async def test_aclose_stops_every_open_session_once(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """manager.aclose() stops each open session (once: leaving their blocks afterwards sends nothing more)."""
    manager = gateway.streaming.manager(max_sessions=2)
    async with manager.session(**SESSION_PARAMS) as first, manager.session(**SESSION_PARAMS) as second:
        await manager.aclose()
        assert (first.state, second.state) == (hg.SessionState.CLOSED, hg.SessionState.CLOSED)
        assert heygen_emulator.account.open_sessions() == []
        with pytest.raises(hg.SessionClosedError):
            await first.speak("Hello")
    assert requests_to(heygen_emulator, "streaming.stop") == 2
    assert manager.active == 0


async def test_aclose_while_a_session_is_starting_does_not_hand_it_out(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """manager.aclose() (shutdown) while a session's start is in flight, HeyGen answering start before stop:
    the block must not run, states must never go back from CLOSING, and no supervisor task may be left."""
    latencies = iter([0.2, 0.4])  # start answers, then stop
    monkeypatch.setattr(heygen_emulator.app.faults, "latency", lambda: next(latencies))
    heygen_emulator.inject("slow", endpoint="streaming.start")
    heygen_emulator.inject("slow", endpoint="streaming.stop")
    manager = gateway.streaming.manager(max_sessions=1)
    entered = asyncio.Event()
    seen: list[tuple[hg.SessionState, hg.SessionState]] = []

    async def user() -> None:
        async with manager.session(**SESSION_PARAMS) as session:
            entered.set()
            await session.speak("Hello")

    watchers: list[asyncio.Task[None]] = []

    async def watch(session: hg.StreamingSession) -> None:
        async for event in session.events():
            if isinstance(event, hg.StateChanged):
                seen.append((event.old, event.new))

    task = asyncio.create_task(user())
    try:
        await wait_until(lambda: in_flight(heygen_emulator, "streaming.start"), what="streaming.start in flight")
        watchers.extend(asyncio.create_task(watch(session)) for session in manager.sessions.values())
        assert len(watchers) == 1  # new answered: the session is in the ledger while it starts
        await asyncio.sleep(0)  # the watchers subscribe
        await manager.aclose()
        await asyncio.wait({task}, timeout=3)
        await asyncio.wait_for(asyncio.gather(*watchers), 3)
        assert not entered.is_set()
        assert (hg.SessionState.CLOSING, hg.SessionState.CONNECTED) not in seen
        assert [t for t in asyncio.all_tasks() if t.get_name().startswith("heygen-session-")] == []
    finally:
        for leftover in asyncio.all_tasks():
            if leftover.get_name().startswith("heygen-session-"):
                leftover.cancel()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert heygen_emulator.account.open_sessions() == []


async def test_manager_aclose_stops_a_session_whose_new_is_in_flight(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    backend = Gated(gateway.streaming.backend)
    manager = SessionManager(backend, max_sessions=2)
    new_reached, new_go = backend.gate_after("new")
    entered: list[hg.SessionState] = []

    async def owner() -> None:
        async with manager.session(**SESSION_PARAMS) as session:
            entered.append(session.state)

    opener = asyncio.create_task(owner())
    await asyncio.wait_for(new_reached.wait(), 3)
    closing = asyncio.create_task(manager.aclose())
    await asyncio.sleep(0.05)
    assert not closing.done()  # it waits for new's answer, to stop what new made
    new_go.set()
    await asyncio.wait_for(closing, 3)
    assert open_at_emulator(heygen_emulator) == []
    with pytest.raises(hg.SessionClosedError):
        await opener
    assert entered == []
    assert backend.calls["stop"] == 1
    with pytest.raises(hg.SessionClosedError, match="manager is closed"):
        async with manager.session(**SESSION_PARAMS):
            pytest.fail("a closed manager opened a session")
    assert backend.calls["new"] == 1


async def test_close_during_new_holds_the_slot_until_the_session_is_stopped(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    backend = Gated(gateway.streaming.backend)
    manager = SessionManager(backend, max_sessions=1)
    new_reached, new_go = backend.gate_after("new")
    first, second = manager.session(**SESSION_PARAMS), manager.session(**SESSION_PARAMS)
    most_open = 0

    async def use(managed: Any) -> None:
        nonlocal most_open
        async with managed:
            most_open = max(most_open, len(open_at_emulator(heygen_emulator)))
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
    assert open_at_emulator(heygen_emulator) == []


# -- slots ------------------------------------------------------------------------------------------------------------


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
