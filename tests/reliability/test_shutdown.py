"""Issue 10, part 5: closing the client while calls, job waiters and live sessions are in flight.

``client.aclose()`` must finish within a bounded time, stop every live session the client opened (through
the pool it closes, so each ``streaming.stop`` still has a connection), end every waiter with
``ClientClosedError`` (or the caller's own cancellation), and leave no task, connection or report behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, Faults, ManualClock
from tests.support import (
    FAST_POLL,
    NO_WAIT_RETRY,
    STREAMING_AVATAR,
    Hygiene,
    connector_of,
    requests_to,
    scene,
    wait_until,
)

CLOSE_WITHIN = 5.0
"""Real seconds ``aclose()`` may take with everything in flight (each stop is ~1 ms against the emulator)."""


@contextlib.asynccontextmanager
async def scenario(max_sessions: int = 50) -> AsyncIterator[tuple[Emulator, Hygiene]]:
    async with Emulator(config=EmulatorConfig(max_sessions=max_sessions), clock=ManualClock()) as emulator:
        hygiene = Hygiene()  # the emulator's own tasks are not the scenario's
        try:
            yield emulator, hygiene
            await hygiene.check(emulator)
        finally:
            hygiene.restore()


def client_for(emulator: Emulator) -> hg.HeyGenClient:
    return emulator.client(poll_policy=FAST_POLL, poll_budget=200, retry=NO_WAIT_RETRY)


async def talk_until_closed(session_cm: Any, opened: list[hg.StreamingSession]) -> None:
    """Open a session and keep speaking until the client closes it under us."""
    async with session_cm as session:
        opened.append(session)
        while True:
            await session.speak("still here")
            await asyncio.sleep(0.01)


async def test_aclose_with_everything_in_flight_stops_sessions_and_ends_every_waiter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with scenario() as (emulator, _hygiene):
        monkeypatch.setattr(emulator.app.faults, "latency", lambda: 0.3)
        client = client_for(emulator)
        manager = client.streaming.manager(max_sessions=4)
        renders = [str((await client.videos.generate([scene(f"render {i}")])).video_id) for i in range(12)]
        opened: list[hg.StreamingSession] = []
        talkers = [
            asyncio.create_task(talk_until_closed(client.streaming.session(avatar_id=STREAMING_AVATAR), opened))
            for _ in range(6)
        ]
        talkers += [
            asyncio.create_task(talk_until_closed(manager.session(avatar_id=STREAMING_AVATAR), opened))
            for _ in range(6)
        ]
        waits = [asyncio.create_task(client.videos.wait(video_id, timeout=None)) for video_id in renders[:8]]

        async def first_of_the_rest() -> Any:
            async for handle in client.videos.as_completed(renders[8:], timeout=None):
                return handle.result()
            return None

        waits.append(asyncio.create_task(first_of_the_rest()))
        await wait_until(lambda: len(opened) == 10, what="10 sessions connected (4 managed, 6 plain)")
        await wait_until(lambda: requests_to(emulator, "videos.status") >= 12, what="every render polled")
        # Now calls in flight, each held 0.3 s by the emulator: a streaming.new (an 11th session being
        # created), a plain status call.
        emulator.inject("slow", endpoint="streaming.new")
        emulator.inject("slow", endpoint="avatars.list")
        creating = asyncio.create_task(talk_until_closed(client.streaming.session(avatar_id=STREAMING_AVATAR), opened))
        call = asyncio.create_task(client.avatars.list())
        # 4 managed + 6 plain sessions are connected, 2 more wait for one of the manager's 4 slots.
        await wait_until(
            lambda: requests_to(emulator, "streaming.new") == 11 and requests_to(emulator, "avatars.list") == 1
        )
        session, connector = connector_of(client)

        await asyncio.wait_for(client.aclose(), CLOSE_WITHIN)

        assert emulator.account.open_sessions() == []
        assert requests_to(emulator, "streaming.stop") == requests_to(emulator, "streaming.new") == 11
        assert session.closed
        assert connector.closed
        assert not connector._acquired  # no connection left checked out
        _done, pending = await asyncio.wait([*talkers, creating, *waits, call], timeout=CLOSE_WITHIN)
        assert not pending, "a caller hung after aclose()"
        # Connected sessions were stopped under their owners (speaking again says so); the two waiting for a
        # manager's slot got one as the others closed, and were refused before sending anything.
        errors = sorted(type(task.exception()).__name__ for task in talkers)
        assert errors == ["ClientClosedError"] * 2 + ["SessionClosedError"] * 10
        # The one being created: its streaming.new answered after the close began, so it was stopped at once.
        assert isinstance(creating.exception(), (hg.SessionClosedError, hg.ClientClosedError))
        for task in waits:
            assert isinstance(task.exception(), hg.ClientClosedError)
        assert isinstance(call.exception(), (hg.APIConnectionError, hg.ClientClosedError)) or call.exception() is None
        assert all(s.state is hg.SessionState.CLOSED and s.stop_error is None for s in opened)
        assert client.is_closed
        assert manager.active == 0


async def test_a_session_open_when_the_client_closes_is_stopped_not_leaked() -> None:
    """The defect: aclose() closed the pool under a live session, whose own stop then failed with
    ClientClosedError (a RuntimeWarning) and left it open and billed at HeyGen."""
    async with scenario() as (emulator, _):
        client = client_for(emulator)
        session = client.streaming.session(avatar_id=STREAMING_AVATAR)
        await session.open()
        assert len(emulator.account.open_sessions()) == 1
        await asyncio.wait_for(client.aclose(), CLOSE_WITHIN)
        assert emulator.account.open_sessions() == []
        assert session.state is hg.SessionState.CLOSED
        assert session.stop_error is None
        await session.close()  # the owner's own close afterwards: nothing more is sent
        assert requests_to(emulator, "streaming.stop") == 1
        with pytest.raises(hg.SessionClosedError):
            await session.speak("anyone there?")


async def test_a_session_being_created_when_the_client_closes_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    async with scenario() as (emulator, _):
        monkeypatch.setattr(emulator.app.faults, "latency", lambda: 0.3)
        client = client_for(emulator)
        emulator.inject("slow", endpoint="streaming.new")
        session = client.streaming.session(avatar_id=STREAMING_AVATAR)
        opening = asyncio.create_task(session.open())
        await wait_until(lambda: requests_to(emulator, "streaming.new") == 1)
        await asyncio.wait_for(client.aclose(), CLOSE_WITHIN)
        with pytest.raises(hg.SessionClosedError):
            await opening
        assert session.id is not None
        assert emulator.account.open_sessions() == []
        assert requests_to(emulator, "streaming.start") == 0


async def test_a_handle_stops_its_own_sessions_and_the_owner_stops_the_rest() -> None:
    async with scenario() as (emulator, _):
        client = client_for(emulator)
        handle = client.with_options(timeout=30)
        mine = client.streaming.session(avatar_id=STREAMING_AVATAR)
        theirs = handle.streaming.session(avatar_id=STREAMING_AVATAR)
        await mine.open()
        await theirs.open()
        await handle.aclose()  # the pool stays open: only the handle's session is stopped
        assert theirs.state is hg.SessionState.CLOSED
        assert mine.state is hg.SessionState.CONNECTED
        assert [s.id for s in emulator.account.open_sessions()] == [mine.id]
        late = handle.streaming.session(avatar_id=STREAMING_AVATAR)
        with pytest.raises(hg.ClientClosedError):
            await late.open()  # refused before anything is sent
        assert requests_to(emulator, "streaming.new") == 2
        await client.aclose()
        assert mine.state.value == "closed"  # (read afresh: mypy narrowed it above)
        assert emulator.account.open_sessions() == []


async def test_no_session_opens_while_the_client_is_closing(monkeypatch: pytest.MonkeyPatch) -> None:
    async with scenario() as (emulator, _):
        monkeypatch.setattr(emulator.app.faults, "latency", lambda: 0.3)
        client = client_for(emulator)
        first = client.streaming.session(avatar_id=STREAMING_AVATAR)
        await first.open()
        emulator.inject("slow", endpoint="streaming.stop")  # the close takes a while
        closing = asyncio.create_task(client.aclose())
        await wait_until(lambda: requests_to(emulator, "streaming.stop") == 1)
        with pytest.raises(hg.ClientClosedError):
            await client.streaming.session(avatar_id=STREAMING_AVATAR).open()
        await asyncio.wait_for(closing, CLOSE_WITHIN)
        assert requests_to(emulator, "streaming.new") == 1
        assert emulator.account.open_sessions() == []


async def test_a_cancelled_aclose_still_stops_the_session_and_closes_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    async with scenario() as (emulator, _):
        monkeypatch.setattr(emulator.app.faults, "latency", lambda: 0.2)
        client = client_for(emulator)
        session = client.streaming.session(avatar_id=STREAMING_AVATAR)
        await session.open()
        emulator.inject("slow", endpoint="streaming.stop")
        closing = asyncio.create_task(client.aclose())
        await wait_until(lambda: requests_to(emulator, "streaming.stop") == 1)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(closing, CLOSE_WITHIN)
        assert emulator.account.open_sessions() == []
        assert session.stop_error is None
        assert client.is_closed
        assert not client._transport.pool.is_open


async def test_aclose_in_the_middle_of_a_storm() -> None:
    """200 tasks when the client closes: 20 hold a session open and keep speaking, 80 churn (open a session,
    speak a few lines, close it, again), 100 wait on unfinished renders. The close comes once the storm is
    under way (every holder connected, sessions already churned through), not after a sleep a fast machine
    outlives. Nothing is left open; holders learn their session closed, churners that, or that the client is
    closed; waiters that the client is closed."""
    rng = random.Random(1010)
    async with scenario(max_sessions=200) as (emulator, _):
        emulator.set_faults(Faults(rate=0.3, kinds={"slow": 1.0}, max_latency=0.03, seed=1010))
        client = client_for(emulator)
        manager = client.streaming.manager(max_sessions=10, acquire_timeout=None)
        ids = [str((await client.videos.generate([scene(f"render {i}")])).video_id) for i in range(20)]
        holding: list[hg.StreamingSession] = []
        churned = 0

        def session_cm(managed: bool) -> Any:
            return (
                manager.session(avatar_id=STREAMING_AVATAR)
                if managed
                else client.streaming.session(avatar_id=STREAMING_AVATAR)
            )

        async def hold(managed: bool) -> None:
            async with session_cm(managed) as session:
                holding.append(session)
                while True:
                    await session.speak("still here")
                    await asyncio.sleep(0.01)

        async def churn(managed: bool, lines: int) -> None:
            nonlocal churned
            while True:
                async with session_cm(managed) as session:
                    for _ in range(lines):
                        await session.speak("hello")
                        await asyncio.sleep(0)
                churned += 1

        holders = [asyncio.create_task(hold(managed=i < 5)) for i in range(20)]  # 5 of the manager's 10 slots
        churners = [asyncio.create_task(churn(managed=i % 2 == 0, lines=rng.randint(0, 3))) for i in range(80)]
        waits = [asyncio.create_task(client.videos.wait(ids[i % 20], timeout=None)) for i in range(100)]
        await wait_until(lambda: len(holding) == 20 and churned >= 40, within=60, what="the storm under way")
        await asyncio.wait_for(client.aclose(), CLOSE_WITHIN)
        assert emulator.account.open_sessions() == []
        assert requests_to(emulator, "streaming.stop") == requests_to(emulator, "streaming.new")
        tasks = [*holders, *churners, *waits]
        _done, pending = await asyncio.wait(tasks, timeout=CLOSE_WITHIN)
        assert not pending
        assert {type(t.exception()).__name__ for t in holders} == {"SessionClosedError"}
        assert {type(t.exception()).__name__ for t in churners} <= {"SessionClosedError", "ClientClosedError"}
        assert all(isinstance(t.exception(), hg.ClientClosedError) for t in waits)
        assert manager.active == 0
