"""SessionManager against the emulator: the cap holds under contention (also at the emulator), slots are
handed out in order, an acquire timeout creates nothing, a cancelled waiter loses no slot; reap_orphans stops
what a crashed process left open and keeps what it must."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._streaming._manager import SessionManager
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock
from tests.support import (
    NO_WAIT_RETRY,
    STREAMING_AVATAR,
    CheckpointBackend,
    in_flight,
    requests_to,
    running,
    wait_until,
)

PARAMS: dict[str, Any] = {"avatar_id": STREAMING_AVATAR, "quality": "low"}


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
            async with manager.session(**PARAMS) as session:
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
        async with manager.session(**PARAMS):
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
    async with manager.session(**PARAMS) as first, manager.session(**PARAMS) as second:
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
    async with manager.session(**PARAMS):
        started = time.monotonic()
        with pytest.raises(hg.SessionLimitError):
            async with manager.session(**PARAMS):
                pytest.fail("no slot was free")
        assert 0.08 <= time.monotonic() - started < 1
        assert manager.active == 1
        assert requests_to(heygen_emulator, "streaming.new") == 1
        assert len(heygen_emulator.account.sessions) == 1
    async with manager.session(**PARAMS):  # and the slot still works
        assert manager.active == 1
    assert manager.active == 0


async def _hold(manager: SessionManager, entered: asyncio.Event, leave: asyncio.Event) -> None:
    async with manager.session(**PARAMS):
        entered.set()
        await leave.wait()


async def _queue(manager: SessionManager, got: list[str]) -> None:
    async with manager.session(**PARAMS) as session:
        assert session.id is not None
        got.append(session.id)


async def test_a_waiter_cancelled_while_queued_loses_no_slot(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """A waiter cancelled while queued leaves the queue: the next waiter gets the slot when it frees, and the
    cancelled one created nothing."""
    manager = gateway.streaming.manager(max_sessions=1, acquire_timeout=None)
    entered, leave = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold(manager, entered, leave))
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
    async with manager.session(**PARAMS):
        assert manager.active == 1


async def test_a_waiter_cancelled_as_the_slot_frees_passes_it_on(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """The first waiter is cancelled the instant the holder's stop returns (just before its slot is handed
    over): the slot goes to the next waiter, not lost, and the cancelled waiter created nothing."""
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    manager = SessionManager(backend, max_sessions=1, acquire_timeout=None)
    entered, leave = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold(manager, entered, leave))
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
    async with manager.session(**PARAMS) as first, manager.session(**PARAMS) as second:
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
        async with manager.session(**PARAMS) as session:
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


# -- reaping ---------------------------------------------------------------------------------------------------------


async def _orphan(client: hg.HeyGenClient, **params: Any) -> str:
    """What a crashed process leaves: a session created and started with the plain calls, never stopped."""
    info = await client.streaming.new(**{**PARAMS, **params})
    assert info.session_id is not None
    await client.streaming.start(info.session_id)
    return info.session_id


async def test_reap_orphans_stops_what_nobody_owns_and_keeps_its_own(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """Two sessions another process left open are stopped; the manager's own live session is kept and stays
    usable; the report says which is which."""
    orphans = {await _orphan(gateway), await _orphan(gateway)}
    manager = gateway.streaming.manager(max_sessions=1)
    async with manager.session(**PARAMS) as own:
        report = await manager.reap_orphans()
        assert set(report.stopped) == orphans
        assert report.kept == (own.id,)
        assert dict(report.failed) == {}
        assert [s.id for s in heygen_emulator.account.open_sessions()] == [own.id]
        for orphan in orphans:
            assert heygen_emulator.account.sessions[orphan].closed_reason == "stopped"
        await own.speak("Still mine")
    assert heygen_emulator.account.open_sessions() == []


async def test_reap_orphans_keeps_what_keep_says(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """``keep`` sees each session's summary; those it returns True for (another live process's) are kept."""
    other_process, orphan = await _orphan(gateway), await _orphan(gateway)
    manager = gateway.streaming.manager(max_sessions=1)
    seen: list[hg.StreamingSessionSummary] = []

    def keep(summary: hg.StreamingSessionSummary) -> bool:
        seen.append(summary)
        return summary.session_id == other_process

    report = await manager.reap_orphans(keep=keep)
    assert report.stopped == (orphan,)
    assert report.kept == (other_process,)
    assert {summary.session_id for summary in seen} == {other_process, orphan}
    assert [s.id for s in heygen_emulator.account.open_sessions()] == [other_process]


async def test_reap_orphans_keeps_sessions_younger_than_min_age() -> None:
    """With HeyGen's ``created_at`` in Unix seconds (the emulator's clock set to the wall clock), a session
    made 50 minutes ago is stopped and one made just now is kept under ``min_age=600``."""
    clock = ManualClock(start=time.time() - 3000)
    config = EmulatorConfig(session_duration_limit=7200)
    async with running(config, clock=clock) as emulator, emulator.client(retry=NO_WAIT_RETRY) as client:
        old = await _orphan(client, activity_idle_timeout=3600)
        await emulator.advance(3000)
        young = await _orphan(client)
        report = await client.streaming.manager(max_sessions=1).reap_orphans(min_age=600)
        assert report.stopped == (old,)
        assert report.kept == (young,)
        assert [s.id for s in emulator.account.open_sessions()] == [young]


async def test_reap_orphans_reports_a_stop_that_failed(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """An orphan whose stop fails (500 on every try) is in ``failed`` with the error, not in ``stopped``."""
    orphan = await _orphan(gateway)
    heygen_emulator.inject("500", endpoint="streaming.stop", times=3)
    report = await gateway.streaming.manager(max_sessions=1).reap_orphans()
    assert report.stopped == ()
    assert list(report.failed) == [orphan]
    error = report.failed[orphan]
    assert isinstance(error, hg.APIStatusError)
    assert error.status_code == 500


async def test_reap_orphans_waits_for_a_session_being_created(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """Run while one of the manager's sessions is in streaming.new, reap_orphans waits for that open to end
    before deciding, and never stops a session of its own (test_review_regressions covers HeyGen creating
    it during the listing)."""
    manager = gateway.streaming.manager(max_sessions=1)
    entered, leave = asyncio.Event(), asyncio.Event()
    heygen_emulator.inject("slow", endpoint="streaming.new")
    holder = asyncio.create_task(_hold(manager, entered, leave))
    await wait_until(lambda: in_flight(heygen_emulator, "streaming.new"), what="streaming.new in flight")
    report = await manager.reap_orphans()
    assert report.stopped == ()
    assert len(manager.sessions) == 1  # recorded before reap_orphans returned
    assert set(report.kept) <= set(manager.sessions)
    await asyncio.wait_for(entered.wait(), 3)
    leave.set()
    await asyncio.wait_for(holder, 3)
    assert requests_to(heygen_emulator, "streaming.stop") == 1


class _AnswerNeverArrives(CheckpointBackend):
    """``streaming.new`` creates the session, but its answer never reaches the session."""

    async def new(self, params: Mapping[str, Any]) -> hg.StreamingSessionInfo:
        await super().new(params)
        await asyncio.Event().wait()
        raise AssertionError("never answers")


@pytest.mark.parametrize("how", ["answer lost", "cancelled past start_grace"])
async def test_reap_orphans_stops_a_session_whose_creation_we_never_heard_of(
    how: str, heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """When ``streaming.new`` created a session but its answer never came (lost on the way back, or given up
    ``start_grace`` after a cancellation), the session cannot stop it; reap_orphans does."""
    manager = gateway.streaming.manager(max_sessions=1, start_grace=0.05)
    if how == "answer lost":
        heygen_emulator.inject("lost", endpoint="streaming.new")
        with pytest.raises(hg.APIConnectionError):
            async with manager.session(**PARAMS):
                pytest.fail("the session was never created as far as we know")
    else:
        backend = _AnswerNeverArrives(gateway.streaming.backend, heygen_emulator)
        manager = SessionManager(backend, max_sessions=1, start_grace=0.05)
        entered, leave = asyncio.Event(), asyncio.Event()
        owner = asyncio.create_task(_hold(manager, entered, leave))
        await wait_until(lambda: len(heygen_emulator.account.sessions) == 1, what="the emulator to create it")
        owner.cancel()
        await asyncio.wait({owner}, timeout=3)
        assert owner.cancelled()
        assert backend.calls["stop"] == 0
    assert manager.active == 0
    (orphan,) = heygen_emulator.account.open_sessions()
    assert requests_to(heygen_emulator, "streaming.stop") == 0
    report = await manager.reap_orphans()
    assert report.stopped == (orphan.id,)
    assert heygen_emulator.account.open_sessions() == []


@pytest.mark.parametrize(
    "arguments", [{"min_age": -1}, {"stop_timeout": 0 * float("inf")}, {"keep": "yes"}], ids=["min_age", "stop", "keep"]
)
async def test_reap_orphans_refuses_bad_arguments(
    arguments: dict[str, Any], heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """Bad ``min_age``, ``stop_timeout`` or ``keep``: ValidationError before streaming.list is asked."""
    with pytest.raises(hg.ValidationError):
        await gateway.streaming.manager(max_sessions=1).reap_orphans(**arguments)
    assert requests_to(heygen_emulator, "streaming.list_sessions") == 0
