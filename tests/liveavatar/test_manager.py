"""``live.manager(...)`` on LiveAvatar: the cap (first come, first served; SessionLimitError with nothing minted),
the ledger of open sessions, ``reap_orphans()`` through ``GET /v1/sessions?type=active`` (orphans stopped, its own
kept), failed stops (retried by the client, then marked, tried again and reaped), and the client's ``aclose()``
stopping what is still open."""

from __future__ import annotations

import asyncio
import functools
from typing import Final

import aiohttp
import pytest

import heygen_async as hg
from heygen_async._liveavatar._session import LiveAvatarSession
from heygen_async.emulator import Emulator
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID
from tests.support import NO_WAIT_RETRY, ONE_TRY, LiveCaller, live_client, live_requests, needs_stop, pcm, wait_until

STOP: Final = "POST /v1/sessions/stop"
TOKEN: Final = "POST /v1/sessions/token"


def open_ids(emulator: Emulator) -> set[str]:
    return {session.id for session in emulator.liveavatar.state.open_sessions()}


def end_reason(emulator: Emulator, session_id: str | None) -> str | None:
    assert session_id is not None
    return emulator.liveavatar.sessions[session_id].end_reason


async def orphan_of(live: hg.LiveAvatarClient) -> str:
    """What a crashed process leaves: a session minted and started with the plain calls, never stopped."""
    minted = await live.sessions.token(avatar_id=LITE_AVATAR_ID, mode="LITE")
    assert minted.session_id is not None
    assert minted.session_token is not None
    await live.with_session_token(minted.session_token).start()
    return minted.session_id


async def test_the_cap_refuses_past_acquire_timeout_and_mints_nothing() -> None:
    async with live_client() as (emulator, live):
        manager = live.manager(max_sessions=1, acquire_timeout=0)
        async with manager.session(avatar_id=LITE_AVATAR_ID) as held:
            with pytest.raises(hg.SessionLimitError, match="1 sessions open"):
                async with manager.session(avatar_id=LITE_AVATAR_ID):
                    pytest.fail("the only slot is taken")
            assert len(live_requests(emulator, TOKEN)) == 1
            assert (manager.active, open_ids(emulator)) == (1, {held.id})
        async with manager.session(avatar_id=LITE_AVATAR_ID) as later:  # the slot is free again
            assert later.id != held.id
        assert open_ids(emulator) == set()


def queued(manager: hg.SessionManager, count: int) -> bool:
    return len(manager._slots._waiters) == count


async def test_slots_go_to_waiters_first_come_first_served() -> None:
    async with live_client() as (emulator, live):
        manager = live.manager(max_sessions=1, acquire_timeout=None)
        entered: list[int] = []

        async def wait_turn(n: int) -> None:
            async with manager.session(avatar_id=LITE_AVATAR_ID):
                entered.append(n)

        async with manager.session(avatar_id=LITE_AVATAR_ID):
            waiters = []
            for n in range(4):
                waiters.append(asyncio.create_task(wait_turn(n)))
                await wait_until(functools.partial(queued, manager, n + 1), what=f"waiter {n} in line")
        await asyncio.gather(*waiters)
        assert entered == [0, 1, 2, 3]
        assert manager.high_water == 1
        assert len(live_requests(emulator, TOKEN)) == 5
        assert open_ids(emulator) == set()


async def test_the_ledger_holds_open_sessions_only() -> None:
    async with live_client() as (emulator, live):
        manager = live.manager(max_sessions=2)
        async with manager.session(avatar_id=LITE_AVATAR_ID) as first, manager.session(sandbox=True) as second:
            assert set(manager.sessions) == {first.id, second.id} == open_ids(emulator)
        assert dict(manager.sessions) == {}
        assert (end_reason(emulator, first.id), end_reason(emulator, second.id)) == ("USER_CLOSED", "USER_CLOSED")


async def test_reap_orphans_stops_sessions_nobody_owns_and_keeps_its_own() -> None:
    """Two sessions left open (one by the client's plain calls, one by another program over raw HTTP) are stopped;
    the manager's own is kept and still speaks."""
    async with live_client() as (emulator, live), aiohttp.ClientSession() as http:
        raw = LiveCaller(emulator, http, api_key=emulator.liveavatar_key)
        orphans = {await orphan_of(live), (await raw.open())["session_id"]}
        manager = live.manager(max_sessions=1)
        async with manager.session(avatar_id=LITE_AVATAR_ID) as own:
            report = await manager.reap_orphans()
            assert (set(report.stopped), report.kept, dict(report.failed)) == (orphans, (own.id,), {})
            assert open_ids(emulator) == {own.id}
            assert {end_reason(emulator, orphan) for orphan in orphans} == {"USER_CLOSED"}
            assert isinstance(own, LiveAvatarSession)
            task = await own.speak_audio(pcm(2400))
            assert task.duration_ms == 100
        assert [entry["query"]["type"] for entry in live_requests(emulator, "GET /v1/sessions")] == ["active"]
        assert open_ids(emulator) == set()


async def test_reap_orphans_leaves_another_accounts_sessions_alone() -> None:
    async with live_client() as (emulator, live), aiohttp.ClientSession() as http:
        elsewhere = (await LiveCaller(emulator, http).open())["session_id"]  # another API key: another account
        report = await live.manager(max_sessions=1).reap_orphans()
        assert (report.stopped, report.kept) == ((), ())
        assert open_ids(emulator) == {elsewhere}


async def test_a_stop_that_fails_once_is_retried_by_the_client() -> None:
    async with live_client(retry=NO_WAIT_RETRY) as (emulator, live):
        manager = live.manager(max_sessions=1)
        emulator.inject("500", endpoint=STOP, times=2)
        async with manager.session(avatar_id=LITE_AVATAR_ID) as session:
            pass
        assert not needs_stop(session)
        assert [entry["status"] for entry in live_requests(emulator, STOP)] == [500, 500, 200]
        assert (open_ids(emulator), manager.active) == (set(), 0)


async def test_a_failed_stop_keeps_its_slot_is_marked_and_its_managers_reap_stops_it(restop_never: None) -> None:
    async with live_client(retry=ONE_TRY) as (emulator, live):
        manager = live.manager(max_sessions=1, acquire_timeout=0)
        emulator.inject("500", endpoint=STOP)
        with pytest.warns(RuntimeWarning, match="stop failed") as warned:
            async with manager.session(avatar_id=LITE_AVATAR_ID) as session:
                pass
        message = str(warned[0].message)  # LiveAvatar's call and LiveAvatar's bill, not HeyGen's streaming.stop
        assert message.startswith("POST /v1/sessions/stop failed for session")
        assert "billed at LiveAvatar" in message
        assert session.needs_stop
        assert isinstance(session.stop_error, hg.ServerError)
        assert open_ids(emulator) == {session.id}
        assert session.id is not None
        assert dict(manager.unstopped) == {session.id: session}
        with pytest.raises(hg.SessionLimitError, match="closed here but not stopped"):
            async with manager.session(avatar_id=LITE_AVATAR_ID):
                pytest.fail("the only slot belongs to a session still open at LiveAvatar")
        report = await manager.reap_orphans()
        assert (report.stopped, report.kept, dict(report.failed)) == ((session.id,), (), {})
        assert not needs_stop(session)
        assert (open_ids(emulator), manager.active, dict(manager.unstopped)) == (set(), 0, {})
        assert end_reason(emulator, session.id) == "USER_CLOSED"


async def test_the_manager_tries_a_failed_stop_again_in_the_background(restop_soon: None) -> None:
    async with live_client(retry=ONE_TRY) as (emulator, live):
        manager = live.manager(max_sessions=1)
        emulator.inject("500", endpoint=STOP, times=2)
        with pytest.warns(RuntimeWarning, match="stop failed"):
            async with manager.session(avatar_id=LITE_AVATAR_ID) as session:
                pass
        await wait_until(lambda: not manager.unstopped, what="the manager's retry to stop it")
        assert not needs_stop(session)
        assert [entry["status"] for entry in live_requests(emulator, STOP)] == [500, 500, 200]
        assert open_ids(emulator) == set()


async def test_the_clients_aclose_stops_every_open_liveavatar_session() -> None:
    """A plain session and a managed one, both left open (their blocks never exited): the client's ``aclose()``
    stops both, once each, and closes them."""
    async with live_client() as (emulator, live):
        plain = await live.session(avatar_id=LITE_AVATAR_ID).__aenter__()
        managed = await live.manager(max_sessions=1).session(avatar_id=LITE_AVATAR_ID).__aenter__()
        assert open_ids(emulator) == {plain.id, managed.id}
        await live.aclose()
        assert open_ids(emulator) == set()
        assert {end_reason(emulator, plain.id), end_reason(emulator, managed.id)} == {"USER_CLOSED"}
        assert len(live_requests(emulator, STOP)) == 2
        assert plain.state is managed.state is hg.SessionState.CLOSED
