"""LiveAvatar sessions in a shared state (a real redis-server): records are ``liveavatar:<key fingerprint>:<id>``; the
account-wide cap
is per API (LiveAvatar's full does not stop a HeyGen session, nor the other way round); a reaper of one API never
touches the other's records or sessions; a crashed LiveAvatar owner's session is stopped by another process once
its lease runs out, and one whose stop failed is stopped while its owner lives."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, Final

import pytest

import heygen_async as hg
from heygen_async._streaming import _manager as _streaming_manager
from heygen_async.emulator import Emulator, ManualClock
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID
from tests.support import (
    NO_WAIT_RETRY,
    ONE_TRY,
    SESSION_PARAMS,
    MakeState,
    crash_with_lease,
    eventually,
    live_ledger_prefix,
)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """One emulator serving both HeyGen (legacy streaming) and LiveAvatar; created_at is the wall clock."""
    async with Emulator(clock=ManualClock(start=time.time())) as emulator:
        yield emulator


def live_open(emulator: Emulator) -> set[str]:
    return {session.id for session in emulator.liveavatar.state.open_sessions()}


def heygen_open(emulator: Emulator) -> set[str]:
    return {session.id for session in emulator.account.open_sessions()}


async def records(state: hg.RedisState) -> list[tuple[str, str, bool]]:
    return sorted((record.id, record.owner, record.owner_alive) for record in await state.sessions())


async def test_a_liveavatar_session_is_recorded_under_its_prefix_while_open(
    emulator: Emulator, make_state: MakeState
) -> None:
    state = await make_state()
    async with emulator.liveavatar_client(state=state) as live:
        prefix = await live_ledger_prefix(live, state)
        async with live.session(avatar_id=LITE_AVATAR_ID) as session:

            async def listed() -> bool:
                return await records(state) == [(prefix + str(session.id), state.owner, True)]

            await eventually(listed, what="the ledger to list the session")
        await eventually(lambda: _empty(state), what="the ledger to forget the stopped session")
    assert live_open(emulator) == set()


async def _empty(state: hg.RedisState) -> bool:
    return await state.sessions() == []


async def test_the_shared_cap_is_account_wide_and_per_api(emulator: Emulator, make_state: MakeState) -> None:
    """Two LiveAvatar clients' managers (max_sessions=1) share one cap: while the first holds a session the second
    is refused, minting nothing. A HeyGen manager on the same account and cap size is not: its cap is its own."""
    first_state, second_state, heygen_state = await make_state(), await make_state(), await make_state()
    async with (
        emulator.liveavatar_client(state=first_state) as first,
        emulator.liveavatar_client(state=second_state) as second,
        emulator.client(retry=NO_WAIT_RETRY, state=heygen_state) as heygen,
    ):
        first_manager = first.manager(max_sessions=1, acquire_timeout=0.2)
        second_manager = second.manager(max_sessions=1, acquire_timeout=0.2)
        heygen_manager = heygen.streaming.manager(max_sessions=1, acquire_timeout=0.2)
        async with first_manager.session(avatar_id=LITE_AVATAR_ID) as held:
            with pytest.raises(hg.SessionLimitError, match="on the account"):
                async with second_manager.session(avatar_id=LITE_AVATAR_ID):
                    pytest.fail("the account's only LiveAvatar slot is taken")
            assert emulator.liveavatar.stats()["sessions_minted"] == 1
            async with heygen_manager.session(**SESSION_PARAMS) as legacy:
                assert heygen_open(emulator) == {legacy.id}
            assert live_open(emulator) == {held.id}
        async with second_manager.session(avatar_id=LITE_AVATAR_ID) as later:
            assert live_open(emulator) == {later.id}
        for manager in (first_manager, second_manager, heygen_manager):
            await manager.aclose()
    assert live_open(emulator) == heygen_open(emulator) == set()


async def test_a_reaper_of_one_api_never_touches_the_others_records_or_sessions(
    emulator: Emulator, make_state: MakeState
) -> None:
    """A crashed process left a LiveAvatar session and a HeyGen session open, both in the shared ledger, its lease
    run out. HeyGen's reaper stops only the HeyGen one and drops only its record (it never lists LiveAvatar's
    session, and must not take that record for one HeyGen no longer lists); LiveAvatar's reaper then stops the
    LiveAvatar one and clears its record."""
    dying, reaper_state = await make_state(lease_ttl=0.3), await make_state()
    async with (
        emulator.liveavatar_client(state=dying) as crashed_live,
        emulator.client(retry=NO_WAIT_RETRY, state=dying) as crashed_heygen,
        emulator.liveavatar_client(state=reaper_state) as live,
        emulator.client(retry=NO_WAIT_RETRY, state=reaper_state) as heygen,
    ):
        live_managed = crashed_live.manager(max_sessions=1).session(avatar_id=LITE_AVATAR_ID)
        heygen_managed = crashed_heygen.streaming.manager(max_sessions=1).session(**SESSION_PARAMS)
        live_orphan = (await live_managed.__aenter__()).id  # never left: the process dies inside the blocks
        heygen_orphan = (await heygen_managed.__aenter__()).id
        try:
            prefix = await live_ledger_prefix(live, reaper_state)  # the same key's: a restart finds its records
            both = sorted([(prefix + str(live_orphan), dying.owner, False), (str(heygen_orphan), dying.owner, False)])

            async def lease_out() -> bool:
                return await records(reaper_state) == both

            await crash_with_lease(dying)
            await eventually(lease_out, what="both records, their owner's lease run out")

            report = await heygen.streaming.manager(max_sessions=1).reap_orphans()
            assert (report.stopped, report.kept, dict(report.failed)) == ((heygen_orphan,), (), {})
            assert heygen_open(emulator) == set()
            assert live_open(emulator) == {live_orphan}
            assert await records(reaper_state) == [(prefix + str(live_orphan), dying.owner, False)]

            report = await live.manager(max_sessions=1).reap_orphans()
            assert (report.stopped, report.kept, dict(report.failed)) == ((live_orphan,), (), {})
            assert live_open(emulator) == set()
            assert emulator.liveavatar.sessions[str(live_orphan)].end_reason == "USER_CLOSED"
            assert await reaper_state.sessions() == []
        finally:
            await live_managed.__aexit__(None, None, None)
            await heygen_managed.__aexit__(None, None, None)


async def test_a_live_owners_liveavatar_session_is_kept_by_another_processs_reaper(
    emulator: Emulator, make_state: MakeState
) -> None:
    """Even with ``min_age=0``: the ledger says whose it is, and that owner is alive."""
    owner_state, reaper_state = await make_state(), await make_state()
    async with (
        emulator.liveavatar_client(state=owner_state) as owner,
        emulator.liveavatar_client(state=reaper_state) as reaper,
        owner.session(avatar_id=LITE_AVATAR_ID) as session,
    ):
        prefix = await live_ledger_prefix(reaper, reaper_state)

        async def listed() -> bool:
            return [r.id for r in await reaper_state.sessions()] == [prefix + str(session.id)]

        await eventually(listed, what="the ledger to list the session")
        report = await reaper.manager(max_sessions=1).reap_orphans(min_age=0)
        assert (report.stopped, report.kept) == ((), (session.id,))
        assert live_open(emulator) == {session.id}


async def test_a_liveavatar_session_whose_stop_failed_is_reaped_by_another_process(
    emulator: Emulator, make_state: MakeState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its record is marked as needing a stop, so another process's reaper stops it although its owner lives and
    it was created just now; the owner's manager then finds LiveAvatar no longer lists it and frees its slot."""
    monkeypatch.setattr(_streaming_manager, "RESTOP_FIRST", 3600.0)  # the owner does not try again meanwhile
    owner_state, reaper_state = await make_state(), await make_state()
    async with (
        emulator.liveavatar_client(retry=ONE_TRY, state=owner_state) as owner,
        emulator.liveavatar_client(state=reaper_state) as reaper,
    ):
        manager = owner.manager(max_sessions=1)
        prefix = await live_ledger_prefix(reaper, reaper_state)
        emulator.inject("500", endpoint="POST /v1/sessions/stop")
        with pytest.warns(RuntimeWarning, match="stop failed"):
            async with manager.session(avatar_id=LITE_AVATAR_ID) as session:
                pass
        assert live_open(emulator) == {session.id}

        async def marked() -> bool:
            return [(r.id, r.owner_alive, r.stop_failed) for r in await reaper_state.sessions()] == [
                (prefix + str(session.id), True, True)
            ]

        await eventually(marked, what="the ledger to mark the session as needing a stop")
        report = await reaper.manager(max_sessions=1).reap_orphans()
        assert (report.stopped, report.kept, dict(report.failed)) == ((session.id,), (), {})
        assert live_open(emulator) == set()
        assert await reaper_state.sessions() == []
        assert manager.active == 1
        report = await manager.reap_orphans()
        assert (report.stopped, dict(manager.unstopped), manager.active) == ((), {}, 0)
        await manager.aclose()


OTHER_KEY: Final = "liveavatar-key-of-tenant-b"
"""A second API key: on LiveAvatar (and its emulator) each key is an account of its own."""


@pytest.fixture(params=["memory", "redis"])
async def one_state(request: pytest.FixtureRequest, make_state: MakeState) -> hg.StateBackend:
    """One state two tenants share: a MemoryState, or a RedisState on a real redis-server."""
    return hg.MemoryState() if request.param == "memory" else await make_state()


def other_tenant(emulator: Emulator, **options: Any) -> hg.LiveAvatarClient:
    return hg.LiveAvatarClient(OTHER_KEY, base_url=emulator.liveavatar_url, **options)


async def test_each_liveavatar_key_sharing_a_state_has_its_own_session_cap(
    emulator: Emulator, one_state: hg.StateBackend
) -> None:
    """Two tenants (API keys) on one state, each manager with max_sessions=1: while A holds its one session, B
    still opens one (A's full cap is not B's), and A's next is refused with nothing minted."""
    async with (
        emulator.liveavatar_client(state=one_state) as tenant_a,
        other_tenant(emulator, state=one_state) as tenant_b,
    ):
        a_manager = tenant_a.manager(max_sessions=1, acquire_timeout=0)
        b_manager = tenant_b.manager(max_sessions=1, acquire_timeout=0)
        async with a_manager.session(avatar_id=LITE_AVATAR_ID) as held:
            async with b_manager.session(avatar_id=LITE_AVATAR_ID) as other:
                assert live_open(emulator) == {held.id, other.id}
                assert emulator.liveavatar.sessions[str(other.id)].account != (
                    emulator.liveavatar.sessions[str(held.id)].account
                )
            with pytest.raises(hg.SessionLimitError):
                async with a_manager.session(avatar_id=LITE_AVATAR_ID):
                    pytest.fail("tenant A's only slot is taken")
            assert emulator.liveavatar.stats()["sessions_minted"] == 2
        for manager in (a_manager, b_manager):
            await manager.aclose()
        prefixes = {await live_ledger_prefix(tenant, one_state) for tenant in (tenant_a, tenant_b)}
        assert len(prefixes) == 2, "each key's records and cap have a prefix of their own"
    assert live_open(emulator) == set()


async def test_a_reaper_never_unlists_or_stops_another_keys_sessions(emulator: Emulator, make_state: MakeState) -> None:
    """Tenant B's process crashed with a session open (in the shared ledger, its lease run out). Tenant A's reaper,
    on the same state, neither stops it (LiveAvatar does not list it to A) nor drops its record (as one A's account
    no longer lists); B's restarted process (same key, a new state owner) finds the record and stops the orphan."""
    dying, shared = await make_state(lease_ttl=0.3), await make_state()
    async with (
        other_tenant(emulator, state=dying) as crashed_b,
        emulator.liveavatar_client(state=shared) as tenant_a,
        other_tenant(emulator, state=shared) as restarted_b,
    ):
        managed = crashed_b.manager(max_sessions=1).session(avatar_id=LITE_AVATAR_ID)
        orphan = (await managed.__aenter__()).id  # never left: the process dies inside the block
        try:
            lapsed = [(dying.owner, False)]

            async def lease_out() -> bool:
                return [(record.owner, record.owner_alive) for record in await shared.sessions()] == lapsed

            await crash_with_lease(dying)
            await eventually(lease_out, what="B's record, its owner's lease run out")

            report = await tenant_a.manager(max_sessions=1).reap_orphans()
            assert (report.stopped, report.kept, dict(report.failed)) == ((), (), {})
            assert live_open(emulator) == {orphan}
            assert await lease_out(), "A's reaper dropped B's record"
            b_prefix = await live_ledger_prefix(restarted_b, shared)  # B's key, whichever process
            assert await records(shared) == [(b_prefix + str(orphan), dying.owner, False)]

            report = await restarted_b.manager(max_sessions=1).reap_orphans()
            assert (report.stopped, report.kept, dict(report.failed)) == ((orphan,), (), {})
            assert live_open(emulator) == set()
            assert await shared.sessions() == []
        finally:
            await managed.__aexit__(None, None, None)


async def test_the_same_key_through_another_base_url_is_one_tenant_whose_reaper_keeps_the_owners_session(
    emulator: Emulator, one_state: hg.StateBackend
) -> None:
    """A tenant is its API key: the same key reaching LiveAvatar through another address (``localhost`` for
    ``127.0.0.1``, a proxy) finds the same records, so its reaper keeps the owner's open session instead of
    taking it for an orphan and stopping it."""
    other_address = emulator.liveavatar_url.replace("127.0.0.1", "localhost")
    async with (
        emulator.liveavatar_client(state=one_state) as owner,
        hg.LiveAvatarClient(emulator.liveavatar_key, base_url=other_address, state=one_state) as reaper,
    ):
        assert await live_ledger_prefix(owner, one_state) == await live_ledger_prefix(reaper, one_state)
        async with owner.manager(max_sessions=1).session(avatar_id=LITE_AVATAR_ID) as held:

            async def recorded() -> bool:
                return len(await one_state.sessions()) == 1

            await eventually(recorded, what="the ledger to list the owner's session")
            report = await reaper.manager(max_sessions=1).reap_orphans(min_age=0)
            assert report.stopped == ()
            assert held.id in report.kept
            assert live_open(emulator) == {held.id}
    assert live_open(emulator) == set()
