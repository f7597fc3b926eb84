"""The StateBackend contract, held by both backends: MemoryState (one process) and RedisState (a real
redis-server on 127.0.0.1). "Sharers" are three clients of one account: the same MemoryState three times, or
three RedisStates, each with its own owner and lease. Redis only: leases and the heartbeat (a lapse, a release
that failed, aclose() while a Redis call swallows the cancellation), use outside ``async with``, the finished
jobs the ledger keeps, and the keys it writes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import pytest

import heygen_async as hg
from benchmarks._server_process import max_in_window
from heygen_async._state._protocol import JobUpdate
from heygen_async._streaming._ledger import SessionLedger
from heygen_async.emulator import Emulator
from tests.support import NO_WAIT_RETRY, MakeState, crash, scene


@pytest.fixture(params=["memory", "redis"])
async def sharers(request: pytest.FixtureRequest, account: str) -> AsyncIterator[list[hg.StateBackend]]:
    if request.param == "memory":
        memory = hg.MemoryState()
        yield [memory, memory, memory]
        return
    url: str = request.getfixturevalue("redis_url")
    states = [hg.RedisState(url, account=account) for _ in range(3)]
    for redis_state in states:
        await redis_state.__aenter__()
    yield list(states)
    for redis_state in states:
        await redis_state.aclose()


async def test_the_poll_budget_is_one_window_for_every_sharer(sharers: list[hg.StateBackend]) -> None:
    budget, window = 20, 0.5
    granted_at: list[float] = []

    async def ask(state: hg.StateBackend) -> None:
        end = time.monotonic() + 1.3
        while time.monotonic() < end:
            granted, wait = await state.take_polls(3, budget=budget, window=window)
            granted_at.extend([time.monotonic()] * granted)
            if granted < 3:
                assert wait > 0, "a refusal must say how long to wait"
                await asyncio.sleep(min(wait, 0.05))

    await asyncio.gather(*(ask(state) for state in sharers))
    # Grants are timed where they are made (Redis's clock for Redis); seen from here a little later, so the
    # check uses a window 0.1 s narrower than the budget's.
    assert max_in_window(granted_at, window - 0.1) <= budget
    assert len(granted_at) >= 2 * budget, "the budget must be usable, not only respected"
    # 1.3 s holds at most three windows' worth (t=0, 0.5, 1.0): a narrower window would give a fourth.
    assert len(granted_at) <= budget * 3, f"{len(granted_at)} grants in 1.3 s at {budget} per {window} s"


async def test_a_pause_stops_every_sharer(sharers: list[hg.StateBackend]) -> None:
    assert (await sharers[0].take_polls(1, budget=100, window=1.0))[0] == 1
    await sharers[1].pause_polls(0.3)
    granted, wait = await sharers[2].take_polls(5, budget=100, window=1.0)
    assert granted == 0
    assert 0.1 < wait <= 0.3
    await asyncio.sleep(0.35)
    assert (await sharers[2].take_polls(5, budget=100, window=1.0))[0] == 5


async def test_a_cap_counts_every_sharers_slots(sharers: list[hg.StateBackend]) -> None:
    a, b, c = sharers
    assert await a.acquire_slot("renders", limit=2, tag="one")
    assert await b.acquire_slot("renders", limit=2, tag="two")
    assert not await c.acquire_slot("renders", limit=2, tag="three")
    assert await a.acquire_slot("renders", limit=2, tag="one"), "a held slot is held, not taken twice"
    assert await c.acquire_slot("sessions", limit=1, tag="three"), "caps are independent"
    await b.release_slot("renders", tag="two")
    assert await c.acquire_slot("renders", limit=2, tag="three")
    with pytest.raises(hg.ValidationError, match="whole number"):
        await a.acquire_slot("renders", limit=0, tag="x")


async def test_the_job_ledger_keeps_what_pollers_saw(sharers: list[hg.StateBackend]) -> None:
    a, b, _ = sharers
    token = json.dumps({"heygen_async_job": 1, "kind": "video", "id": "v1"})
    await a.record_job(hg.JobRecord(kind="video", id="v1", resume_token=token, submitted_at=time.time()))
    await a.record_job(hg.JobRecord(kind="video", id="v2", resume_token=token, submitted_at=time.time()))
    await b.update_jobs(
        [
            JobUpdate(kind="video", id="v1", status="processing", done=False),
            JobUpdate(kind="video", id="v2", status="completed", done=True),
            JobUpdate(kind="video", id="unknown", status="completed", done=True),
        ]
    )
    records = {r.id: r for r in await b.jobs()}
    assert set(records) == {"v1", "v2"}, "a job nobody recorded is not added by a status update"
    assert records["v1"].status == "processing"
    assert not records["v1"].done
    assert records["v1"].owner == a.owner
    assert records["v1"].owner_alive
    assert records["v1"].resume_token == token
    assert records["v2"].done
    assert records["v2"].status == "completed"
    assert records["v2"].updated_by == b.owner
    assert [r.id for r in await a.jobs(open_only=True)] == ["v1"]
    # A late, stale update (a slower poller) never reopens a finished job.
    await a.update_jobs([JobUpdate(kind="video", id="v2", status="processing", done=False)])
    assert {r.id for r in await a.jobs(open_only=True)} == {"v1"}


async def test_a_status_update_only_reaches_a_record_of_its_own_credential(sharers: list[hg.StateBackend]) -> None:
    """An update carrying another credential (another tenant's poll: a 404, a status) leaves the record alone;
    one carrying the record's own credential is taken. Every sharer gets the same salt to fingerprint with."""
    a, b, c = sharers
    assert await a.credential_salt() == await b.credential_salt() == await c.credential_salt()
    await a.record_job(hg.JobRecord(kind="video", id="v1", resume_token="{}", credential="tenant-a"))
    await b.update_jobs([JobUpdate(kind="video", id="v1", status="not_found", done=True, credential="tenant-b")])
    await b.update_jobs([JobUpdate(kind="video", id="v1", status="processing", done=False)])
    (record,) = await c.jobs()
    assert (record.status, record.done, record.credential) == (None, False, "tenant-a")
    await b.update_jobs([JobUpdate(kind="video", id="v1", status="completed", done=True, credential="tenant-a")])
    (record,) = await c.jobs()
    assert (record.status, record.done) == ("completed", True)


async def test_the_session_ledger(sharers: list[hg.StateBackend]) -> None:
    a, b, _ = sharers
    await a.record_session(hg.SessionRecord(id="s1", owner="ignored", created_at=1.0))
    (record,) = await b.sessions()
    assert (record.id, record.owner, record.owner_alive) == ("s1", a.owner, True)
    assert await b.forget_session("s1"), "the first to take it off gets True ..."
    assert not await a.forget_session("s1"), "... any other False: two reapers never both stop it"
    assert await a.sessions() == []


async def test_a_session_marked_as_needing_a_stop_reads_back_so_from_every_sharer(
    sharers: list[hg.StateBackend],
) -> None:
    """A record written again with ``stop_failed`` replaces the first (same id, owner and creation time)."""
    a, b, _ = sharers
    await a.record_session(hg.SessionRecord(id="s1", owner="", created_at=1.0))
    await a.record_session(hg.SessionRecord(id="s1", owner="", created_at=1.0, stop_failed=True))
    (record,) = await b.sessions()
    assert (record.id, record.owner, record.created_at, record.owner_alive, record.stop_failed) == (
        "s1",
        a.owner,
        1.0,
        True,
        True,
    )


class _RefusesRecords(hg.MemoryState):
    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    async def record_session(self, record: hg.SessionRecord) -> None:
        self.attempts += 1
        raise hg.StateBackendError("Redis failed while recording a session: ConnectionError")


async def test_the_session_ledger_marks_a_failed_stop_and_tries_once_after_it_closed() -> None:
    """mark_unstopped() rewrites the session's record with ``stop_failed`` after its first write; once the
    ledger is closed, a mark (a stop failing after the client closed) is tried once, not for ever."""
    state = hg.MemoryState()
    ledger = SessionLedger(state)
    ledger.record("s1")
    ledger.mark_unstopped("s1")
    await ledger.aclose()
    (record,) = await state.sessions()
    assert (record.id, record.stop_failed) == ("s1", True)

    refusing = _RefusesRecords()
    ledger = SessionLedger(refusing)
    await ledger.aclose()
    ledger.mark_unstopped("s2")
    _, trying = await asyncio.wait(ledger._tasks, timeout=10)  # before the fix: tried again every 0.5-5 s
    assert not trying
    assert refusing.attempts == 1


async def test_a_session_is_claimed_for_stopping_by_one_sharer_at_a_time(sharers: list[hg.StateBackend]) -> None:
    a, b, c = sharers
    outcomes = await asyncio.gather(*(state.claim_session("s1", ttl=0.3) for state in (a, b, c)))
    assert sorted(outcomes) == [False, False, True]
    assert await a.claim_session("s2", ttl=0.3), "claims are per session"
    await asyncio.sleep(0.35)
    assert await b.claim_session("s1", ttl=0.3), "a claim runs out (its reaper may have died)"


async def test_memory_state_never_adopts_its_own_jobs() -> None:
    state = hg.MemoryState()
    await state.record_job(hg.JobRecord(kind="video", id="v1", resume_token="{}"))
    assert await state.adopt_jobs(limit=10) == []
    assert state.shared is False


# -- Redis only: leases --------------------------------------------------------------------------------------------


async def test_a_dead_owners_slots_jobs_and_sessions_are_released_when_its_lease_runs_out(
    make_state: MakeState,
) -> None:
    alive, dying = await make_state(lease_ttl=5.0), await make_state(lease_ttl=0.3)
    assert await dying.acquire_slot("sessions", limit=1, tag="mine")
    for n in range(6):
        await dying.record_job(hg.JobRecord(kind="video", id=f"v{n}", resume_token="{}"))
    await dying.record_session(hg.SessionRecord(id="s1", owner="", created_at=time.time()))
    await dying.update_jobs([JobUpdate(kind="video", id="v5", status="completed", done=True)])

    assert not await alive.acquire_slot("sessions", limit=1, tag="yours")
    assert await alive.adopt_jobs(limit=100) == [], "a live owner's jobs are not adoptable"
    crash(dying)
    await asyncio.sleep(0.45)

    assert await alive.acquire_slot("sessions", limit=1, tag="yours"), "the dead owner's slot was freed"
    (session,) = await alive.sessions()
    assert not session.owner_alive
    other = await make_state()
    first, second = await asyncio.gather(alive.adopt_jobs(limit=3), other.adopt_jobs(limit=3))
    third = await alive.adopt_jobs(limit=100)
    ids = [r.id for r in first + second + third]
    assert sorted(ids) == ["v0", "v1", "v2", "v3", "v4"], "every unfinished job adopted exactly once"
    assert {r.owner for r in first} == {alive.owner}
    assert {r.owner for r in second} == {other.owner}
    owners = {r.id: r.owner for r in await alive.jobs(open_only=True)}
    assert all(owners[i] in (alive.owner, other.owner) for i in ids)


async def test_an_adopter_takes_only_orphans_of_its_own_credential(make_state: MakeState) -> None:
    """A dead owner's jobs of two tenants: each adopter gets its own tenant's, never the other's, and a job
    recorded without a credential goes to nobody who names one."""
    alive, dying = await make_state(), await make_state(lease_ttl=0.3)
    for n, credential in enumerate(["tenant-a", "tenant-b", "tenant-a", None]):
        await dying.record_job(hg.JobRecord(kind="video", id=f"v{n}", resume_token="{}", credential=credential))
    crash(dying)
    await asyncio.sleep(0.45)
    assert await alive.adopt_jobs(limit=100, credential="tenant-c") == []
    mine = await alive.adopt_jobs(limit=100, credential="tenant-a")
    assert sorted((r.id, r.credential, r.owner) for r in mine) == [
        ("v0", "tenant-a", alive.owner),
        ("v2", "tenant-a", alive.owner),
    ]
    theirs = await alive.adopt_jobs(limit=100, credential="tenant-b")
    assert [(r.id, r.credential) for r in theirs] == [("v1", "tenant-b")]
    left = {r.id: r.owner for r in await alive.jobs(open_only=True)}
    assert left["v3"] == dying.owner, "a record without a credential stays with its dead owner"


async def test_the_heartbeat_keeps_the_lease_and_aclose_gives_it_up(make_state: MakeState) -> None:
    keeper, watcher = await make_state(lease_ttl=0.3), await make_state()
    await keeper.record_job(hg.JobRecord(kind="video", id="v1", resume_token="{}"))
    await asyncio.sleep(1.0)  # more than three leases' worth
    assert await watcher.adopt_jobs(limit=10) == []
    assert keeper.lapses == 0
    await keeper.aclose()
    (adopted,) = await watcher.adopt_jobs(limit=10)
    assert adopted.id == "v1", "a closed owner's jobs are adoptable at once"


async def test_after_a_lapse_the_owner_takes_its_slots_and_sessions_back(make_state: MakeState) -> None:
    stalled, other = await make_state(lease_ttl=0.3), await make_state()
    assert await stalled.acquire_slot("renders", limit=1, tag="mine")
    await stalled.record_session(hg.SessionRecord(id="s1", owner="", created_at=time.time()))
    beat = stalled._beat
    assert beat is not None
    beat.cancel()  # a stall: no heartbeat for longer than the lease ...
    await asyncio.sleep(0.45)
    assert await other.acquire_slot("renders", limit=1, tag="yours"), "the lapsed owner's slot was free"
    assert await other.forget_session("s1"), "... and its session claimable"
    stalled._beat = asyncio.get_running_loop().create_task(stalled._heartbeat())  # ... then it wakes up
    await asyncio.sleep(0.25)
    assert stalled.lapses == 1
    assert await other.held("renders") == 2, "both believe they hold it: the cap is over by one, and known"
    (session,) = await other.sessions()
    assert (session.id, session.owner, session.owner_alive) == ("s1", stalled.owner, True)


async def test_a_release_that_fails_is_retried_by_the_heartbeat(make_state: MakeState) -> None:
    state, other = await make_state(lease_ttl=0.3), await make_state()
    assert await state.acquire_slot("renders", limit=1, tag="mine")
    real = state._redis.hdel
    state._redis.hdel = _failing  # type: ignore[method-assign, assignment]
    await state.release_slot("renders", tag="mine")  # does not raise: kept for the heartbeat
    state._redis.hdel = real  # type: ignore[method-assign]
    assert not await other.acquire_slot("renders", limit=1, tag="yours")
    await asyncio.sleep(0.3)
    assert await other.acquire_slot("renders", limit=1, tag="yours"), "the heartbeat released it"


async def _failing(*args: object) -> int:
    import redis.exceptions

    raise redis.exceptions.ConnectionError("blip")


async def test_aclose_ends_a_heartbeat_whose_redis_call_swallowed_the_cancellation(make_state: MakeState) -> None:
    """redis-py may turn a cancellation that lands mid-command into a ConnectionError, which the heartbeat
    logs and survives: aclose() still ends it instead of waiting for it for ever (seen as a hung test run)."""
    import redis.exceptions

    state = await make_state(lease_ttl=0.03)
    inside = asyncio.Event()

    async def swallowing(**_: object) -> int:
        inside.set()
        try:
            await asyncio.sleep(0.5)
        except asyncio.CancelledError:
            raise redis.exceptions.ConnectionError("Connection closed by a cancellation") from None
        return 1

    real, state._scripts["renew"] = state._scripts["renew"], swallowing  # type: ignore[assignment]
    beat = state._beat
    assert beat is not None
    try:
        await asyncio.wait_for(inside.wait(), 5)
        await asyncio.wait_for(state.aclose(), 5)
        assert beat.done()
    finally:  # without the fix the heartbeat would still run: stop it here, or the test run would hang
        state._scripts["renew"] = real
        beat.cancel()
        await asyncio.wait({beat}, timeout=5)


async def test_aclose_ends_a_heartbeat_whose_redis_call_swallowed_the_cancel(make_state: MakeState) -> None:
    """aclose() cancels the heartbeat and waits for it. A cancel landing inside a redis-py call that swallows
    it (as redis-py's connection handling can) left the heartbeat beating for ever, and aclose() (the teardown
    of these tests, now and then) hung."""
    state = await make_state(lease_ttl=0.3)
    inside = asyncio.Event()

    async def renew_swallowing_the_cancel(*args: object, **kwargs: object) -> int:
        inside.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)
        return 1

    state._scripts["renew"] = renew_swallowing_the_cancel  # type: ignore[assignment]
    await inside.wait()
    closing = asyncio.create_task(state.aclose())
    done, _ = await asyncio.wait({closing}, timeout=10)  # a hang guard: it ends at once
    assert closing in done
    assert not state.ready


async def test_redis_state_refuses_bad_settings_and_use_outside_async_with(redis_url: str) -> None:
    for account in ("", "has space", "x" * 101, "slash/ed", "at_secret:token"):
        with pytest.raises(hg.ValidationError, match="account"):
            hg.RedisState(redis_url, account=account)
    with pytest.raises(hg.ValidationError, match="lease_ttl"):
        hg.RedisState(redis_url, account="a", lease_ttl=0)
    with pytest.raises(hg.ValidationError, match="redis"):
        hg.RedisState(42, account="a")  # type: ignore[arg-type]
    state = hg.RedisState(redis_url, account="a")
    with pytest.raises(hg.StateBackendError, match="async with"):
        await state.record_job(hg.JobRecord(kind="video", id="v", resume_token="{}"))
    await state.aclose()


async def test_a_state_not_entered_is_refused_before_a_job_is_sent(redis_url: str, account: str) -> None:
    state = hg.RedisState(redis_url, account=account)
    async with Emulator() as emulator, emulator.client(retry=NO_WAIT_RETRY, state=state) as client:
        with pytest.raises(hg.StateBackendError, match="async with"):
            await client.videos.generate([scene("x")])
        assert emulator.account.videos == {}, "nothing was sent"
    await state.aclose()


async def test_an_unreachable_redis_is_a_typed_error(unused_tcp_port: int) -> None:
    state = hg.RedisState(f"redis://127.0.0.1:{unused_tcp_port}/0", account="a")
    with pytest.raises(hg.StateBackendError, match="Redis failed while taking the lease: ConnectionError"):
        await state.__aenter__()
    await state.aclose()


async def test_values_are_versioned_json_under_the_account(make_state: MakeState, account: str) -> None:
    import redis.asyncio as aioredis

    state = await make_state()
    await state.record_job(hg.JobRecord(kind="video", id="v1", resume_token="{}", submitted_at=1.0))
    await state.update_jobs([JobUpdate(kind="video", id="v1", status="processing", done=False)])
    await state.record_session(hg.SessionRecord(id="s1", owner="", created_at=1.0))
    connection = aioredis.Redis.from_url(_url(state))
    try:
        keys = [k.decode() async for k in connection.scan_iter(match="*")]
        mine = [k for k in keys if k.startswith(f"heygen_async:{{{account}}}:")]
        assert {k.rsplit(":", 1)[-1] for k in mine} >= {"jobs", "status", "sessions"}
        for key in (f"heygen_async:{{{account}}}:jobs", f"heygen_async:{{{account}}}:jobs:status"):
            for value in (await connection.hgetall(key)).values():
                assert json.loads(value)["v"] == 1
    finally:
        await connection.aclose()


async def test_the_redis_ledger_forgets_the_oldest_finished_jobs(make_state: MakeState) -> None:
    from heygen_async._state._protocol import JobUpdate

    state = await make_state(keep_finished=3)
    for n in range(5):
        await state.record_job(hg.JobRecord(kind="video", id=f"v{n}", resume_token="{}"))
        await state.update_jobs([JobUpdate(kind="video", id=f"v{n}", status="completed", done=True)])
    await state.record_job(hg.JobRecord(kind="video", id="open", resume_token="{}"))
    assert sorted(r.id for r in await state.jobs()) == ["open", "v2", "v3", "v4"]


def _url(state: hg.RedisState) -> str:
    kwargs = state._redis.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"


async def test_clear_deletes_this_accounts_keys_only(redis_url: str, account: str) -> None:
    mine, theirs = hg.RedisState(redis_url, account=account), hg.RedisState(redis_url, account=account + "-other")
    for state in (mine, theirs):
        await state.__aenter__()
        await state.record_job(hg.JobRecord(kind="video", id="v1", resume_token="{}"))
    try:
        await mine.clear()
        assert await mine.jobs() == []
        assert [r.id for r in await theirs.jobs()] == ["v1"], "another account's keys are untouched"
        await mine.record_job(hg.JobRecord(kind="video", id="v2", resume_token="{}"))  # still in use afterwards
        assert [r.owner_alive for r in await mine.jobs()] == [True], "the lease was taken again"
    finally:
        await mine.aclose()
        await theirs.aclose()
