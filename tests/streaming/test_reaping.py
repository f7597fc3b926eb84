"""reap_orphans: what a crashed process left open is stopped, and what must live is kept: the manager's own
sessions (also one HeyGen creates while the listing is in flight), what ``keep`` says, what is younger than
``min_age``; it waits only for opens in flight at its listing, reports a stop that failed, stops a session
whose creation was never heard of, and refuses bad arguments."""

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
    SESSION_PARAMS,
    CheckpointBackend,
    Gated,
    StubBackend,
    hold_session,
    in_flight,
    open_at_emulator,
    requests_to,
    running,
    wait_until,
)


async def _orphan(client: hg.HeyGenClient, **params: Any) -> str:
    """What a crashed process leaves: a session created and started with the plain calls, never stopped."""
    info = await client.streaming.new(**{**SESSION_PARAMS, **params})
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
    async with manager.session(**SESSION_PARAMS) as own:
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


class _ClockAhead(StubBackend):
    """An API whose clock runs a minute ahead of ours: its session's ``created_at`` is in our future."""

    async def list_active(self) -> list[hg.StreamingSessionSummary]:
        return [hg.StreamingSessionSummary(session_id="ahead", created_at=time.time() + 60)]


async def test_min_age_zero_stops_an_orphan_stamped_ahead_of_our_clock() -> None:
    """``min_age=0`` (the default without a shared state) means no age limit: an orphan whose ``created_at``
    is ahead of the local clock (clock skew, or an emulator's sped-up clock) is stopped, not kept as young."""
    backend = _ClockAhead()
    report = await SessionManager(backend, max_sessions=1).reap_orphans(min_age=0)
    assert report.stopped == ("ahead",)
    assert report.kept == ()
    assert backend.calls == ["stop"]


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
    before deciding, and never stops a session of its own (test_reap_orphans_keeps_a_session_its_manager_is_opening
    covers HeyGen creating it during the listing)."""
    manager = gateway.streaming.manager(max_sessions=1)
    entered, leave = asyncio.Event(), asyncio.Event()
    heygen_emulator.inject("slow", endpoint="streaming.new")
    holder = asyncio.create_task(hold_session(manager, entered, leave))
    await wait_until(lambda: in_flight(heygen_emulator, "streaming.new"), what="streaming.new in flight")
    report = await manager.reap_orphans()
    assert report.stopped == ()
    assert len(manager.sessions) == 1  # recorded before reap_orphans returned
    assert set(report.kept) <= set(manager.sessions)
    await asyncio.wait_for(entered.wait(), 3)
    leave.set()
    await asyncio.wait_for(holder, 3)
    assert requests_to(heygen_emulator, "streaming.stop") == 1


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
        async with manager.session(**SESSION_PARAMS) as session:
            await asyncio.sleep(0.05)
            return session.state

    opener = asyncio.create_task(owner())
    await asyncio.wait_for(new_reached.wait(), 3)
    created = open_at_emulator(heygen_emulator)
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
            async with manager.session(**SESSION_PARAMS):
                await asyncio.sleep(0)

    workers = [asyncio.create_task(churn()) for _ in range(3)]
    try:
        await asyncio.sleep(0.1)
        report = await asyncio.wait_for(manager.reap_orphans(), 5)
    finally:
        stop.set()
        await asyncio.gather(*workers)
    assert report.stopped == ()
    assert open_at_emulator(heygen_emulator) == []


async def test_reap_orphans_stops_nothing_unknown_while_an_open_does_not_settle(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    orphan = await gateway.streaming.new(**SESSION_PARAMS)
    backend = Gated(gateway.streaming.backend)
    manager = SessionManager(backend, max_sessions=2)
    new_reached, new_go = backend.gate_after("new")
    opener = asyncio.create_task(manager.session(**SESSION_PARAMS).__aenter__())
    await asyncio.wait_for(new_reached.wait(), 3)
    report = await manager.reap_orphans(settle_timeout=0.05)
    assert report.stopped == ()
    assert orphan.session_id in report.kept
    new_go.set()
    session = await opener
    await session.close()
    assert (await manager.reap_orphans()).stopped == (orphan.session_id,)


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
            async with manager.session(**SESSION_PARAMS):
                pytest.fail("the session was never created as far as we know")
    else:
        backend = _AnswerNeverArrives(gateway.streaming.backend, heygen_emulator)
        manager = SessionManager(backend, max_sessions=1, start_grace=0.05)
        entered, leave = asyncio.Event(), asyncio.Event()
        owner = asyncio.create_task(hold_session(manager, entered, leave))
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


async def test_min_age_stays_zero_for_a_state_nobody_else_shares() -> None:
    state = hg.MemoryState()
    async with Emulator() as emulator, emulator.client(retry=NO_WAIT_RETRY, state=state) as client:
        other = emulator.client(retry=NO_WAIT_RETRY)
        async with other:
            orphan = await other.streaming.new(**SESSION_PARAMS)
        report = await client.streaming.manager(max_sessions=2).reap_orphans()
        assert report.stopped == (orphan.session_id,), "a one-process state keeps reaping at once, as before"
