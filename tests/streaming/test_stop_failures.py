"""A session whose ``streaming.stop`` failed is still open and billed at HeyGen, so it is closed for good (off
the ledgers, its slot free) only once a stop succeeded or HeyGen no longer lists it. Meanwhile it stays in
its manager's ledger marked as needing a stop and keeps its slot; the manager tries again in the background
and in ``aclose()``, the client's ``aclose()`` tries again, ``close()`` tries again, and ``reap_orphans()`` of
the same manager (or, through a shared ledger, of any process) stops it. A failed stop is a StopFailed event,
also after a close during ``new`` and under a warning filter that raises. Seeded runs of 200 sessions with
stops failing end with nothing open at the emulator, every failure reported."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._streaming._live import CLOSE_ATTEMPTS
from heygen_async._streaming._manager import SessionManager
from heygen_async._streaming._session import StreamingSession
from heygen_async.emulator import Emulator, EmulatorConfig, Faults, ManualClock
from tests.support import (
    ONE_TRY,
    SESSION_PARAMS,
    CheckpointBackend,
    Recorder,
    StubBackend,
    failed_stops,
    needs_stop,
    requests_to,
    rounds_of_stops,
    stop_faults,
    wait_until,
)

SESSIONS = 200
CAP = 20
SEED = 1616


def _open_ids(emulator: Emulator) -> set[str]:
    return {session.id for session in emulator.account.open_sessions()}


def _retries_logged(caplog: pytest.LogCaptureFixture) -> int:
    """Failed stops tried again (the first failure of a session is an event and a warning; later ones are logged)."""
    return sum(1 for record in caplog.records if "[stop attempt" in record.getMessage())


# -- one session ---------------------------------------------------------------------------------------------------


async def test_a_failed_stop_keeps_the_session_and_its_slot_until_its_own_managers_reap_stops_it(
    heygen_emulator: Emulator, restop_never: None
) -> None:
    """The defect: the manager dropped the session from its ledger and freed its slot, and its reap_orphans()
    then kept it as its own (recently closed): open and billed for ever. Now it stays in the ledger as
    unstopped, holds its slot (a second session is refused, saying why) until the same manager's reap stops
    it, and the warning says what stops it."""
    async with heygen_emulator.client(retry=ONE_TRY) as client:
        manager = client.streaming.manager(max_sessions=1, acquire_timeout=0)
        heygen_emulator.inject("500", endpoint="streaming.stop")
        with pytest.warns(
            RuntimeWarning, match=r"its SessionManager tries the stop again .* reap_orphans\(\) stops it"
        ):
            async with manager.session(**SESSION_PARAMS) as session:
                pass
        assert session.state is hg.SessionState.CLOSED
        assert session.needs_stop
        error = session.stop_error
        assert isinstance(error, hg.ServerError)
        assert _open_ids(heygen_emulator) == {session.id}
        assert session.id is not None
        assert dict(manager.sessions) == dict(manager.unstopped) == {session.id: session}
        assert manager.active == 1
        with pytest.raises(hg.SessionLimitError, match="1 of them closed here but not stopped"):
            async with manager.session(**SESSION_PARAMS):
                pytest.fail("the only slot belongs to a session still open at HeyGen")

        report = await manager.reap_orphans()
        assert (report.stopped, report.kept, dict(report.failed)) == ((session.id,), (), {})
        assert heygen_emulator.account.sessions[session.id].closed_reason == "stopped"
        assert not needs_stop(session)
        assert session.stop_error is None
        assert (manager.active, dict(manager.sessions), dict(manager.unstopped)) == (0, {}, {})
        async with manager.session(**SESSION_PARAMS):  # the slot is free again
            pass
    assert heygen_emulator.account.open_sessions() == []
    assert requests_to(heygen_emulator, "streaming.stop") == 3


async def test_the_manager_tries_a_failed_stop_again_in_the_background(
    heygen_emulator: Emulator, restop_soon: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Without anyone asking, the manager tries again (backing off) until a stop succeeds; each failure is
    reported once: the first as a warning, the next in the log."""
    async with heygen_emulator.client(retry=ONE_TRY) as client:
        manager = client.streaming.manager(max_sessions=1)
        heygen_emulator.inject("500", endpoint="streaming.stop", times=2)
        with pytest.warns(RuntimeWarning, match="streaming.stop failed"):
            async with manager.session(**SESSION_PARAMS) as session:
                pass
        await wait_until(lambda: not manager.unstopped, what="the manager's retry to stop it")
        assert heygen_emulator.account.open_sessions() == []
        assert not needs_stop(session)
        assert (manager.active, dict(manager.sessions)) == (0, {})
        assert requests_to(heygen_emulator, "streaming.stop") == 3
        assert _retries_logged(caplog) == 1
        assert manager._restopping is None  # nothing left to try: the background task is gone


async def test_close_again_tries_a_failed_stop_once_more(heygen_emulator: Emulator) -> None:
    """A session's own close() after a failed stop sends one more stop; once stopped, closing sends nothing."""
    async with heygen_emulator.client(retry=ONE_TRY) as client:
        heygen_emulator.inject("500", endpoint="streaming.stop")
        with pytest.warns(RuntimeWarning, match=r"close\(\) of the session or the client's aclose\(\) tries again"):
            async with client.streaming.session(**SESSION_PARAMS) as session:
                pass
        assert session.needs_stop
        await session.close()
        assert not needs_stop(session)
        assert heygen_emulator.account.open_sessions() == []
        await session.close()
        assert requests_to(heygen_emulator, "streaming.stop") == 2


@pytest.mark.parametrize("failures", [1, 1 + CLOSE_ATTEMPTS])
async def test_the_clients_aclose_tries_a_failed_stop_again(
    failures: int, heygen_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The client's aclose() tries a plain session's failed stop again (up to CLOSE_ATTEMPTS times); one that
    still fails is logged by id, and a reaper of a new client stops it."""
    client = heygen_emulator.client(retry=ONE_TRY)
    heygen_emulator.inject("500", endpoint="streaming.stop", times=failures)
    with pytest.warns(RuntimeWarning, match="streaming.stop failed"):
        async with client.streaming.session(**SESSION_PARAMS) as session:
            pass
    await client.aclose()
    assert requests_to(heygen_emulator, "streaming.stop") == min(failures, CLOSE_ATTEMPTS) + 1
    if failures == 1:
        assert heygen_emulator.account.open_sessions() == []
        assert not needs_stop(session)
        return
    assert _open_ids(heygen_emulator) == {session.id}
    (closing,) = [r.getMessage() for r in caplog.records if "the client closed with" in r.getMessage()]
    assert "1 session(s) whose streaming.stop kept failing" in closing
    assert f"as far as we know: {session.id}; SessionManager.reap_orphans() (from a new client) stops them" in closing
    async with heygen_emulator.client() as fresh:
        report = await fresh.streaming.manager(max_sessions=1).reap_orphans()
    assert report.stopped == (session.id,)
    assert heygen_emulator.account.open_sessions() == []


def _restop_tasks() -> list[asyncio.Task[Any]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "heygen-session-restop" and not task.done()]


async def test_the_clients_aclose_ends_the_background_retries_of_a_manager_nobody_closed(
    heygen_emulator: Emulator, restop_never: None
) -> None:
    """A manager never closed, its session's stop failing every time: the client's aclose() makes the last
    tries, and no background retry of the manager's outlives the client (before, it slept on and then tried
    again through the closed client; a close() of the session after the client closed started another)."""
    client = heygen_emulator.client(retry=ONE_TRY)
    manager = client.streaming.manager(max_sessions=1)
    heygen_emulator.inject("500", endpoint="streaming.stop", times=100)
    with pytest.warns(RuntimeWarning, match="streaming.stop failed"):
        async with manager.session(**SESSION_PARAMS) as session:
            pass
    assert len(_restop_tasks()) == 1
    await client.aclose()
    assert _restop_tasks() == []
    await session.close()  # nothing can go out any more: it says so, and nothing is left to try in the background
    assert isinstance(session.stop_error, hg.ClientClosedError)
    assert _restop_tasks() == []
    assert requests_to(heygen_emulator, "streaming.stop") == 1 + CLOSE_ATTEMPTS
    assert dict(manager.unstopped) == {session.id: session}  # for a reaper of a new client
    assert manager.active == 1


@pytest.mark.parametrize("failures", [CLOSE_ATTEMPTS - 1, CLOSE_ATTEMPTS])
async def test_manager_aclose_tries_failed_stops_again_and_keeps_what_still_fails_for_its_reap(
    failures: int, heygen_emulator: Emulator, restop_never: None, caplog: pytest.LogCaptureFixture
) -> None:
    """aclose() stops an open session in up to CLOSE_ATTEMPTS tries; one that never succeeds stays in the
    closed manager's ledger, is logged by id, and that manager's reap_orphans() stops it."""
    async with heygen_emulator.client(retry=ONE_TRY) as client:
        manager = client.streaming.manager(max_sessions=1)
        managed = manager.session(**SESSION_PARAMS)
        session = await managed.__aenter__()
        heygen_emulator.inject("500", endpoint="streaming.stop", times=failures)
        with pytest.warns(RuntimeWarning, match="streaming.stop failed"):
            await manager.aclose()
        assert requests_to(heygen_emulator, "streaming.stop") == min(failures + 1, CLOSE_ATTEMPTS)
        if failures < CLOSE_ATTEMPTS:
            assert heygen_emulator.account.open_sessions() == []
            assert (manager.active, dict(manager.sessions)) == (0, {})
        else:
            assert _open_ids(heygen_emulator) == {session.id}
            assert dict(manager.unstopped) == {session.id: session}
            assert any(
                f"could not be stopped and may still be open and billed at HeyGen: {session.id};" in r.getMessage()
                for r in caplog.records
            )
            report = await manager.reap_orphans()
            assert report.stopped == (session.id,)
            assert heygen_emulator.account.open_sessions() == []
            assert (manager.active, dict(manager.sessions), dict(manager.unstopped)) == (0, {}, {})
        await managed.__aexit__(None, None, None)  # the owner leaves: nothing more is sent
    assert requests_to(heygen_emulator, "streaming.stop") == min(failures + 1, CLOSE_ATTEMPTS) + (
        failures == CLOSE_ATTEMPTS
    )


async def test_a_session_heygen_no_longer_lists_is_closed_for_good_without_a_stop(
    heygen_emulator: Emulator, restop_never: None
) -> None:
    """A session whose stop failed but which HeyGen has closed since (here: another client stopped it) leaves
    the ledger and frees its slot at the next reap_orphans(), which sends no stop for it."""
    async with heygen_emulator.client(retry=ONE_TRY) as client:
        manager = client.streaming.manager(max_sessions=1)
        heygen_emulator.inject("500", endpoint="streaming.stop")
        with pytest.warns(RuntimeWarning, match="streaming.stop failed"):
            async with manager.session(**SESSION_PARAMS) as session:
                pass
        assert session.id is not None
        await client.streaming.stop(session.id)
        report = await manager.reap_orphans()
        assert (report.stopped, report.kept, dict(report.failed)) == ((), (), {})
        assert (manager.active, dict(manager.sessions), dict(manager.unstopped)) == (0, {}, {})
        assert not needs_stop(session)
    assert requests_to(heygen_emulator, "streaming.stop") == 2


class _StopsOnTheThirdTry(CheckpointBackend):
    """The first stop fails at once, the second once ``gate`` opens, the third goes through; ``listed`` is set
    when a listing has been answered."""

    def __init__(self, inner: hg.TaskBackend, emulator: Emulator) -> None:
        super().__init__(inner, emulator)
        self.gate = asyncio.Event()
        self.listed = asyncio.Event()

    async def stop(self, session_id: str) -> None:
        self.calls["stop"] += 1
        if self.calls["stop"] == 1:
            raise ConnectionError("down")
        if self.calls["stop"] == 2:
            await self.gate.wait()
            raise ConnectionError("still down")
        await self.inner.stop(session_id)

    async def list_active(self) -> Sequence[hg.StreamingSessionSummary]:
        listed = await super().list_active()
        self.listed.set()
        return listed


async def test_reap_orphans_joins_a_retry_in_flight_and_tries_itself_if_that_fails(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, restop_never: None
) -> None:
    """A reap that finds a try of the session's stop in flight (the background retry's) waits for it rather than
    send a second stop beside it; that one failing, it tries itself. When it returns the session is stopped and
    off the ledger, its slot free."""
    backend = _StopsOnTheThirdTry(gateway.streaming.backend, heygen_emulator)
    manager = SessionManager(backend, max_sessions=1)
    with pytest.warns(RuntimeWarning, match="streaming.stop failed"):
        async with manager.session(**SESSION_PARAMS) as session:
            pass
    retrying = asyncio.create_task(session.close())  # as the background retry does
    await wait_until(lambda: backend.calls["stop"] == 2, what="the second try in flight")
    reaping = asyncio.create_task(manager.reap_orphans())
    await backend.listed.wait()
    await asyncio.sleep(0)  # the reap's stop of it starts, and joins the try in flight
    backend.gate.set()
    report = await reaping
    await retrying
    assert backend.calls["stop"] == 3
    assert (report.stopped, dict(report.failed)) == ((session.id,), {})
    assert (manager.active, dict(manager.sessions), dict(manager.unstopped)) == (0, {}, {})
    assert heygen_emulator.account.open_sessions() == []


async def test_a_stop_failing_after_close_during_new_is_seen_as_an_event() -> None:
    stub = StubBackend()
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


@pytest.mark.skipif(sys.version_info < (3, 11), reason="pytest.warns inside a filter: same on 3.10, kept simple")
async def test_a_warning_filter_that_raises_does_not_hide_the_stop_failed_event() -> None:
    stub = StubBackend()
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


# -- 200 sessions ----------------------------------------------------------------------------------------------------


async def test_200_sessions_with_30_percent_of_stops_failing_leave_nothing_open_after_reap_orphans(
    restop_soon: None, caplog: pytest.LogCaptureFixture
) -> None:
    """200 sessions through a manager capped at 20 on an account allowed 20 (so a slot freed while its
    session is still open would make HeyGen refuse a streaming.new), 30% of stop requests failing (seeded).
    Nothing is refused; whatever is still open at the end is exactly the manager's unstopped sessions; once
    HeyGen's stops work again, reap_orphans() on the same manager leaves 0 open. Every failed stop request was
    reported: each session's first as a StopFailed event and a RuntimeWarning, each later one in the log."""
    config = EmulatorConfig(max_sessions=CAP)
    async with (
        Emulator(config=config, clock=ManualClock(), faults=stop_faults(0.3, SEED)) as emulator,
        emulator.client(retry=ONE_TRY) as client,
    ):
        manager = client.streaming.manager(max_sessions=CAP, acquire_timeout=None)
        recorders: list[Recorder] = []

        async def one(index: int) -> None:
            managed = manager.session(**SESSION_PARAMS)
            assert managed.session is not None
            recorders.append(await Recorder.subscribe(managed.session))
            async with managed as session:
                await session.speak(f"line {index}")

        with pytest.warns(RuntimeWarning, match="streaming.stop failed") as warned:
            await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(SESSIONS))), 120)
        pending = set(manager.unstopped)
        # What is open at HeyGen is the manager's, as unstopped (the background retry may have one stopped at
        # HeyGen whose answer is still on its way, so not the other way round).
        assert _open_ids(emulator) <= pending
        assert manager.active == len(pending)
        assert manager.high_water == CAP
        assert requests_to(emulator, "streaming.new") == SESSIONS

        emulator.set_faults(Faults())  # HeyGen's stops work again
        report = await manager.reap_orphans()
        assert emulator.account.open_sessions() == []
        assert set(report.stopped) <= pending  # the background retry may have stopped some meanwhile
        assert (report.kept, dict(report.failed)) == ((), {})
        assert (manager.active, dict(manager.sessions), dict(manager.unstopped)) == (0, {}, {})

        first_failures = [event for recorder in recorders for event in recorder.of(hg.StopFailed)]
        assert failed_stops(emulator) > 0
        assert failed_stops(emulator) == len(first_failures) + _retries_logged(caplog)
        assert len([w for w in warned if "streaming.stop failed" in str(w.message)]) == len(first_failures)
        assert len({event.session_id for event in first_failures}) == len(first_failures)
        print(
            f"\nstop faults: {failed_stops(emulator)} failed stops ({len(first_failures)} sessions), "
            f"{len(pending)} left for reap_orphans, which stopped {len(report.stopped)}"
        )


@pytest.mark.parametrize("closer", ["manager", "client"])
async def test_aclose_with_half_the_stops_failing_tries_again_and_a_reap_stops_the_rest(
    closer: str, restop_never: None, caplog: pytest.LogCaptureFixture
) -> None:
    """200 sessions through a manager capped at 20: 180 come and go, 20 are held open when aclose() (the
    manager's or the client's) runs with half the stop requests failing (seeded). aclose() tries each failed
    stop again, CLOSE_ATTEMPTS stops in all; the counts of each round are exactly what the seeded faults
    predict. What is still open is exactly the manager's unstopped sessions, logged by id; a reap (the same
    manager's, or a new client's after the client closed) stops exactly those: 0 open."""
    faults = stop_faults(0.5, SEED)
    rounds = rounds_of_stops(faults, CAP, CLOSE_ATTEMPTS)
    assert len(rounds) == CLOSE_ATTEMPTS
    assert rounds[-1] > 0, "a seed that leaves some sessions open after aclose()"
    async with Emulator(config=EmulatorConfig(max_sessions=CAP), clock=ManualClock()) as emulator:
        client = emulator.client(retry=ONE_TRY)
        manager = client.streaming.manager(max_sessions=CAP, acquire_timeout=None)
        release = asyncio.Event()
        held: list[hg.StreamingSession] = []

        async def one(index: int) -> None:
            async with manager.session(**SESSION_PARAMS) as session:
                await session.speak(f"line {index}")
                if index >= SESSIONS - CAP:
                    held.append(session)
                    await release.wait()

        tasks = [asyncio.create_task(one(i)) for i in range(SESSIONS)]
        await wait_until(lambda: len(held) == CAP, within=60, what="the last 20 sessions to be held open")
        assert requests_to(emulator, "streaming.stop") == SESSIONS - CAP
        emulator.set_faults(faults)
        with pytest.warns(RuntimeWarning, match="streaming.stop failed") as warned:
            await (manager.aclose() if closer == "manager" else client.aclose())

        left = set(manager.unstopped)
        assert len(left) == rounds[-1]
        assert _open_ids(emulator) == left
        assert failed_stops(emulator) == sum(rounds)
        assert len([w for w in warned if "streaming.stop failed" in str(w.message)]) == rounds[0]
        assert _retries_logged(caplog) == sum(rounds[1:])
        said = "SessionManager.aclose:" if closer == "manager" else "the client closed with"
        (logged,) = [r.getMessage() for r in caplog.records if said in r.getMessage()]
        assert {session_id for session_id in left if session_id in logged} == left

        emulator.set_faults(Faults())  # HeyGen's stops work again
        if closer == "manager":
            report = await manager.reap_orphans()
            assert (manager.active, dict(manager.sessions), dict(manager.unstopped)) == (0, {}, {})
        else:
            async with emulator.client() as fresh:
                report = await fresh.streaming.manager(max_sessions=CAP).reap_orphans()
        assert set(report.stopped) == left
        assert emulator.account.open_sessions() == []

        release.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert [outcome for outcome in outcomes if outcome is not None] == []
        await client.aclose()
        await manager.aclose()
        assert emulator.account.open_sessions() == []


@pytest.fixture(autouse=True)
def _log_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="heygen_async")
