"""The shared state end to end: clients of one account, each with its own RedisState (as separate processes
would have), against the emulator. One poll budget for all of them, a job ledger every sharer reads, adoption of
a crashed client's renders, account-wide render and session caps, reaping a crashed owner's session, and the
configuration errors."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._streaming import _manager as _streaming_manager
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock
from tests.support import (
    FAST_POLL,
    LOOK_ID,
    NO_WAIT_RETRY,
    ONE_TRY,
    SARA,
    SESSION_PARAMS,
    MakeState,
    crash_with_lease,
    eventually,
    fast_client,
    scene,
    ticking,
    wait_until,
)

RUNNING = ("waiting", "pending", "processing")


# -- helpers -------------------------------------------------------------------------------------------------------


def _max_in(times: list[float], width: float) -> int:
    """The most of ``times`` in any window ``width`` seconds wide (both ends closed: the strict reading)."""
    times = sorted(times)
    best = left = 0
    for right, t in enumerate(times):
        while times[left] < t - width:
            left += 1
        best = max(best, right - left + 1)
    return best


def _arrivals(emulator: Emulator, endpoint: str) -> list[float]:
    """Wall-clock times at which the emulator received requests to ``endpoint``."""
    return [entry["time"] for entry in emulator.request_log if entry["endpoint"] == endpoint]


async def _leases_out(client: hg.HeyGenClient, count: int) -> bool:
    records = await client.jobs.recorded(open_only=True)
    return len(records) == count and not any(record.owner_alive for record in records)


async def _submit(client: hg.HeyGenClient, count: int, label: str) -> list[str]:
    ids = []
    for n in range(count):
        job = await client.videos.generate([scene(f"{label} {n}")])
        assert job.video_id
        ids.append(job.video_id)
    return ids


async def _stored_values(redis_url: str, account: str) -> list[str]:
    """Every key name and value Redis holds for ``account``."""
    import redis.asyncio as aioredis

    connection = aioredis.Redis.from_url(redis_url, decode_responses=True)
    found: list[Any] = []
    try:
        async for key in connection.scan_iter(match=f"heygen_async:{{{account}}}:*"):
            found.append(key)
            kind = await connection.type(key)
            if kind == "hash":
                for field, value in (await connection.hgetall(key)).items():
                    found += [field, value]
            elif kind == "set":
                found += await connection.smembers(key)
            elif kind == "zset":
                found += await connection.zrange(key, 0, -1)
            elif kind == "string":
                found.append(await connection.get(key))
    finally:
        await connection.aclose()
    return [str(value) for value in found]


# -- A: one poll budget ----------------------------------------------------------------------------------------------


async def test_two_clients_sharing_a_state_stay_within_one_poll_budget(make_state: MakeState) -> None:
    """Two clients (a RedisState each, one account, poll_budget=20) wait on 40 renders each at once: the
    emulator never sees more than 20 status calls in any 1.0 s window, the budget is used, and every render
    is seen completed."""
    budget, renders = 20, 40
    async with Emulator(EmulatorConfig(concurrent_renders=2 * renders), clock=ManualClock()) as emulator:
        states = [await make_state(), await make_state()]
        async with (
            fast_client(emulator, poll_budget=budget, state=states[0]) as first,
            fast_client(emulator, poll_budget=budget, state=states[1]) as second,
        ):
            first_ids = await _submit(first, renders, "first")
            second_ids = await _submit(second, renders, "second")
            waits = asyncio.gather(
                first.videos.wait_many(first_ids, timeout=30), second.videos.wait_many(second_ids, timeout=30)
            )
            async with ticking(emulator, step=8):
                first_videos, second_videos = await asyncio.wait_for(waits, 40)
            polls = first.jobs.scheduler.stats.polls, second.jobs.scheduler.stats.polls
        assert [v.id for v in first_videos] == first_ids
        assert [v.id for v in second_videos] == second_ids
        assert {v.status for v in [*first_videos, *second_videos]} == {hg.VideoStatus.COMPLETED}
        assert all(video.status == "completed" for video in emulator.account.videos.values())
        arrivals = _arrivals(emulator, "videos.status")
        assert min(polls) > 0, "both clients polled"
        assert sum(polls) == len(arrivals) >= 2 * renders
        peak = _max_in(arrivals, 1.0)
        assert peak <= budget, f"{peak} status calls in one second from two clients sharing a {budget}/s budget"
        assert peak >= budget // 2, f"the shared budget must be used, not only respected (peak {peak})"


async def test_without_a_shared_state_two_clients_each_spend_their_own_budget() -> None:
    """The same two clients without a shared state: each keeps its own 20/s, so together they exceed 20 in a
    second (what the shared state prevents)."""
    budget, renders = 20, 40
    async with (
        Emulator(EmulatorConfig(concurrent_renders=2 * renders), clock=ManualClock()) as emulator,
        fast_client(emulator, poll_budget=budget) as first,
        fast_client(emulator, poll_budget=budget) as second,
    ):
        first_ids = await _submit(first, renders, "first")
        second_ids = await _submit(second, renders, "second")
        outcomes = await asyncio.gather(
            first.videos.wait_many(first_ids, timeout=1.6),
            second.videos.wait_many(second_ids, timeout=1.6),
            return_exceptions=True,
        )  # the clock never moves: nothing finishes
        assert all(isinstance(outcome, hg.PollTimeout) for outcome in outcomes)
        peak = _max_in(_arrivals(emulator, "videos.status"), 1.0)
        assert peak > budget, f"only {peak} status calls in a second from two unshared {budget}/s budgets"


# -- B: the job ledger -----------------------------------------------------------------------------------------------


async def test_every_sharer_sees_the_job_ledger(
    heygen_emulator: Emulator, make_state: MakeState, redis_url: str, account: str
) -> None:
    """A client's submissions are in the ledger for another client (owner, resume tokens without the API
    token); once waited out they are done with the status seen: completed, or failed for a failing render."""
    submitter_state, watcher_state = await make_state(), await make_state()
    async with (
        fast_client(heygen_emulator, state=submitter_state) as submitter,
        fast_client(heygen_emulator, state=watcher_state) as watcher,
    ):
        fine = await _submit(submitter, 2, "fine")
        (failing,) = await _submit(submitter, 1, "broken #fail")
        translation = await submitter.translations.create("https://media.example/source.mp4", output_language="French")
        assert translation.video_translate_id
        kinds = {**dict.fromkeys([*fine, failing], "video"), translation.video_translate_id: "translation"}

        records = {record.id: record for record in await watcher.jobs.recorded()}
        assert {i: r.kind for i, r in records.items()} == kinds
        for record in records.values():
            assert record.owner == submitter_state.owner
            assert record.owner_alive
            assert (record.status, record.done, record.updated_by) == (None, False, None)
            assert heygen_emulator.token not in record.resume_token
            token = json.loads(record.resume_token)
            assert set(token) == {"heygen_async_job", "kind", "id", "submitted_at", "base_url"}
            resumed = watcher.jobs.resume(record.resume_token)
            assert (resumed.kind.name, resumed.id) == (record.kind, record.id)
        assert len(await watcher.jobs.recorded(open_only=True)) == len(kinds)

        handles = [submitter.jobs.job(kind, job_id) for job_id, kind in kinds.items()]
        async with ticking(heygen_emulator, step=8):
            outcomes = await asyncio.wait_for(submitter.jobs.wait_many(handles, timeout=10, return_exceptions=True), 15)
        assert isinstance(outcomes[2], hg.VideoFailed)
        assert [type(outcome) for outcome in outcomes] == [hg.Video, hg.Video, hg.VideoFailed, hg.Translation]

        async def settled() -> bool:
            return all(record.done for record in await watcher.jobs.recorded())

        await eventually(settled, what="the ledger to show every job done")
        final = {record.id: record for record in await watcher.jobs.recorded()}
        assert {i: r.status for i, r in final.items()} == {
            fine[0]: "completed",
            fine[1]: "completed",
            failing: "failed",
            translation.video_translate_id: "success",
        }
        for record in final.values():
            assert record.updated_by == submitter_state.owner
            assert record.owner is None, "a finished job belongs to nobody"
            assert record.updated_at is not None
        assert await watcher.jobs.recorded(open_only=True) == []
    stored = await _stored_values(redis_url, account)
    assert any(failing in value for value in stored), "the scan saw the ledger"
    assert not any(heygen_emulator.token in value for value in stored), "the API token is never stored"


# -- C: adoption -----------------------------------------------------------------------------------------------------


async def test_a_survivor_adopts_a_crashed_clients_renders(heygen_emulator: Emulator, make_state: MakeState) -> None:
    """A client submits 5 renders and crashes. Another gets nothing from adopt_orphans while the lease lives,
    all 5 once it has run out (and nobody gets them again), waits them out, and the ledger says it did."""
    dying, survivor_state, bystander_state = (
        await make_state(lease_ttl=0.3),
        await make_state(),
        await make_state(),
    )
    async with (
        fast_client(heygen_emulator, state=survivor_state) as survivor,
        fast_client(heygen_emulator, state=bystander_state) as bystander,
    ):
        async with fast_client(heygen_emulator, state=dying) as crashed:
            ids = await _submit(crashed, 5, "orphan")
            lease_ends = await crash_with_lease(dying)
            early = await survivor.jobs.adopt_orphans()
            assert time.time() < lease_ends, "the adoption above must have run while the lease lived"
        # The crashed client is closed without having waited for anything (its process is gone).
        assert early == []
        assert {r.owner for r in await survivor.jobs.recorded(open_only=True)} == {dying.owner}

        await eventually(lambda: _leases_out(survivor, 5), what="the crashed client's lease to run out")
        handles = await survivor.jobs.adopt_orphans()
        assert sorted(h.id for h in handles) == sorted(ids)
        assert await survivor.jobs.adopt_orphans() == []
        assert await bystander.jobs.adopt_orphans() == [], "each job goes to exactly one adopter"
        adopted = await survivor.jobs.recorded(open_only=True)
        assert {(r.owner, r.owner_alive) for r in adopted} == {(survivor_state.owner, True)}

        async with ticking(heygen_emulator, step=8):
            videos = await asyncio.wait_for(survivor.jobs.wait_many(handles, timeout=10), 15)
        assert [v.id for v in videos] == [h.id for h in handles]
        assert {v.status for v in videos} == {hg.VideoStatus.COMPLETED}

        async def settled() -> bool:
            return all(record.done for record in await bystander.jobs.recorded())

        await eventually(settled, what="the ledger to show the adopted jobs done")
        final = await bystander.jobs.recorded()
        assert sorted(r.id for r in final) == sorted(ids)
        assert {(r.status, r.done, r.updated_by) for r in final} == {("completed", True, survivor_state.owner)}


async def test_a_survivor_adopts_a_crashed_clients_v3_renders_and_sees_them_through(
    heygen_emulator: Emulator, make_state: MakeState
) -> None:
    """The ledger and adoption for v3 jobs too: a direct client records its v3 renders, crashes, and the survivor
    adopts them (as v3 jobs, polled through v3's routes) and waits them out."""
    dying, survivor_state = await make_state(lease_ttl=0.3), await make_state()
    direct = {"poll_policy": FAST_POLL, "poll_budget": 200, "retry": NO_WAIT_RETRY}
    async with heygen_emulator.direct_client(state=survivor_state, **direct) as survivor:
        async with heygen_emulator.direct_client(state=dying, **direct) as crashed:
            ids = [
                (
                    await crashed.v3.videos.create(type="avatar", avatar_id=LOOK_ID, voice_id=SARA, script=f"o{i}")
                ).video_id
                for i in range(3)
            ]
            await crash_with_lease(dying)
        await eventually(lambda: _leases_out(survivor, 3), what="the crashed client's lease to run out")
        handles = await survivor.jobs.adopt_orphans()
        assert sorted(h.id for h in handles) == sorted(str(i) for i in ids)
        assert {h.kind.name for h in handles} == {"v3_video"}
        async with ticking(heygen_emulator, step=8):
            videos = await asyncio.wait_for(survivor.jobs.wait_many(handles, timeout=10), 15)
        assert {v.raw["status"] for v in videos} == {"completed"}
        assert any(e.get("route") == "GET /v3/videos/statuses" for e in heygen_emulator.request_log)


# -- C2: tenants ------------------------------------------------------------------------------------------------------

REJECTED = "rejected-token"
"""Not an ``at_`` token: the emulator's gateway answers 401 to every call made with it."""


async def test_a_tenant_neither_lists_nor_adopts_another_tenants_jobs(
    heygen_emulator: Emulator, make_state: MakeState
) -> None:
    """A client submits 3 renders and crashes. In a surviving process, handles with other credentials (one the
    API rejects, one it accepts) list none of them and, once the lease ran out, adopt none; the handle with
    the submitter's credentials lists and adopts all three."""
    dying, survivor_state = await make_state(lease_ttl=0.3), await make_state()
    async with fast_client(heygen_emulator, state=survivor_state) as survivor:
        tenants = [survivor.with_options(api_token=REJECTED), survivor.with_options(api_token="at_another-tenant")]
        async with fast_client(heygen_emulator, state=dying) as crashed:
            ids = await _submit(crashed, 3, "orphan")
            await crash_with_lease(dying)
        assert sorted(record.id for record in await survivor.jobs.recorded()) == sorted(ids)
        for tenant in tenants:
            assert await tenant.jobs.recorded() == []
        await eventually(lambda: _leases_out(survivor, 3), what="the crashed client's lease to run out")
        for tenant in tenants:
            assert await tenant.jobs.adopt_orphans() == []
        handles = await survivor.jobs.adopt_orphans()
        assert sorted(handle.id for handle in handles) == sorted(ids)


async def test_another_tenants_polls_never_write_into_a_tenants_records(
    heygen_emulator: Emulator, make_state: MakeState
) -> None:
    """The owner's render is waited for by a tenant the API rejects (401) and by one it accepts (the emulator
    is one account, so it sees the render finish): neither writes into the owner's ledger record. The
    owner's own wait then closes it."""
    async with fast_client(heygen_emulator, state=await make_state()) as owner:
        (video_id,) = await _submit(owner, 1, "mine")
        await heygen_emulator.advance(60)
        with pytest.raises(hg.AuthenticationError):
            await owner.with_options(api_token=REJECTED).videos.wait(video_id, timeout=10)
        seen = await owner.with_options(api_token="at_another-tenant").videos.wait(video_id, timeout=10)
        assert seen.status is hg.VideoStatus.COMPLETED
        scheduler = owner.jobs.scheduler

        async def written() -> bool:
            return not scheduler._updates and (scheduler._flusher is None or scheduler._flusher.done())

        await eventually(written, what="the tenants' status updates to be sent")
        (record,) = await owner.jobs.recorded()
        assert (record.status, record.done, record.updated_by) == (None, False, None)
        await owner.videos.wait(video_id, timeout=10)

        async def closed() -> bool:
            return [(r.status, r.done) for r in await owner.jobs.recorded()] == [("completed", True)]

        await eventually(closed, what="the owner's poll to close its record")


# -- D: the account-wide render cap ----------------------------------------------------------------------------------


async def test_batches_of_two_clients_share_one_render_cap(
    heygen_emulator: Emulator, make_state: MakeState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clients run generate_many(4 requests, concurrency=2) at once on one account: at no moment (sampled
    at each submission, each tick and each yield) does the emulator hold more than 2 unfinished renders, and
    all 8 complete."""
    account = heygen_emulator.account
    samples: list[int] = []

    def unfinished() -> None:
        samples.append(sum(1 for video in account.videos.values() if video.status in RUNNING))

    submit_video = account.submit_video

    def counting(*args: Any, **kwargs: Any) -> Any:
        video = submit_video(*args, **kwargs)
        unfinished()
        return video

    monkeypatch.setattr(account, "submit_video", counting)
    states = [await make_state(), await make_state()]

    async def run(client: hg.HeyGenClient, label: str) -> list[hg.BatchItem[Mapping[str, Any]]]:
        requests = [{"video_inputs": [scene(f"{label} {n}")]} for n in range(4)]
        items = []
        async for item in client.videos.generate_many(requests, concurrency=2, timeout=20):
            unfinished()
            items.append(item)
        return items

    async with (
        fast_client(heygen_emulator, state=states[0]) as one,
        fast_client(heygen_emulator, state=states[1]) as two,
    ):
        batches = asyncio.gather(run(one, "one"), run(two, "two"))
        # The clock stands still: no render can finish, so only the cap's 2 may be submitted.
        await wait_until(lambda: len(account.videos) == 2, what="the first two submissions")
        await asyncio.sleep(0.3)
        assert len(account.videos) == 2, "the other client's batch must wait for the account's cap"
        async with ticking(heygen_emulator, step=4, on_tick=unfinished):
            first, second = await asyncio.wait_for(batches, 30)
    items = [*first, *second]
    assert len(items) == 8
    assert all(item.ok for item in items), [item.error for item in items if not item.ok]
    assert len(account.videos) == 8
    assert all(video.status == "completed" for video in account.videos.values())
    assert max(samples) == 2
    assert len(samples) > 20
    assert [await state.held("renders") for state in states] == [0, 0], "every slot given back"


async def test_without_a_shared_state_each_batch_counts_only_its_own(heygen_emulator: Emulator) -> None:
    """Without a shared state the same two batches submit 2 renders each: the cap above is the state's."""
    account = heygen_emulator.account
    async with fast_client(heygen_emulator) as one, fast_client(heygen_emulator) as two:

        async def run(client: hg.HeyGenClient) -> list[hg.BatchItem[Mapping[str, Any]]]:
            requests = [{"video_inputs": [scene(f"alone {n}")]} for n in range(2)]
            return [item async for item in client.videos.generate_many(requests, concurrency=2, timeout=10)]

        batches = asyncio.gather(run(one), run(two))
        await wait_until(lambda: len(account.videos) == 4, what="four submissions with the clock standing still")
        async with ticking(heygen_emulator, step=8):
            first, second = await asyncio.wait_for(batches, 15)
    assert all(item.ok for item in [*first, *second])


async def test_a_crashed_holders_render_slot_is_freed_when_its_lease_runs_out(
    heygen_emulator: Emulator, make_state: MakeState
) -> None:
    """A crashed process held the account's only render slot: a batch elsewhere submits nothing until that
    process's lease has run out, then goes through."""
    dying = await make_state(lease_ttl=0.3)
    assert await dying.acquire_slot("renders", limit=1, tag=f"{dying.owner}:batch")
    state = await make_state()
    async with fast_client(heygen_emulator, state=state) as client:
        lease_ends = await crash_with_lease(dying)
        requests = [{"video_inputs": [scene("after the crash")]}]
        async with ticking(heygen_emulator, step=8):
            items = [item async for item in client.videos.generate_many(requests, concurrency=1, timeout=10)]
    (item,) = items
    assert item.ok, item.error
    (submitted,) = _arrivals(heygen_emulator, "videos.generate")
    assert submitted >= lease_ends - 0.02, "submitted while the crashed holder's lease still held the slot"
    assert await state.held("renders") == 0


# -- E: the account-wide session cap ---------------------------------------------------------------------------------


async def test_the_session_cap_is_account_wide(heygen_emulator: Emulator, make_state: MakeState) -> None:
    """Two clients' managers with max_sessions=1: while the first holds a session, the second's times out
    with SessionLimitError and creates nothing (the emulator would allow 3); once it closes, the second opens."""
    account = heygen_emulator.account
    first_state, second_state = await make_state(), await make_state()
    async with (
        heygen_emulator.client(retry=NO_WAIT_RETRY, state=first_state) as first,
        heygen_emulator.client(retry=NO_WAIT_RETRY, state=second_state) as second,
    ):
        first_manager = first.streaming.manager(max_sessions=1, acquire_timeout=0.3)
        second_manager = second.streaming.manager(max_sessions=1, acquire_timeout=0.3)
        async with first_manager.session(**SESSION_PARAMS) as held:
            assert held.id is not None

            async def ledgered() -> bool:
                return [(r.id, r.owner) for r in await second_state.sessions()] == [(held.id, first_state.owner)]

            await eventually(ledgered, what="the session ledger to list the first client's session")
            started = time.monotonic()
            with pytest.raises(hg.SessionLimitError, match="on the account"):
                async with second_manager.session(**SESSION_PARAMS):
                    pytest.fail("the account's only session slot is taken")
            assert time.monotonic() - started >= 0.25, "it waited acquire_timeout for a slot"
            assert second_manager.active == 0
            assert [entry["endpoint"] for entry in heygen_emulator.request_log].count("streaming.new") == 1
            assert [s.id for s in account.open_sessions()] == [held.id]
        async with second_manager.session(**SESSION_PARAMS) as later:
            assert later.id is not None
            assert later.id != held.id
            assert [s.id for s in account.open_sessions()] == [later.id]
        await first_manager.aclose()
        await second_manager.aclose()
        assert await first_state.sessions() == []
    assert account.open_sessions() == []


# -- F: reaping a crashed owner's session ----------------------------------------------------------------------------


async def test_reap_orphans_stops_a_crashed_owners_session_once_its_lease_runs_out(
    heygen_emulator: Emulator, make_state: MakeState
) -> None:
    """A client's managed session outlives its crash. Another client's reap_orphans keeps it while the lease
    lives (even with min_age=0), and stops it once the lease has run out (whatever its age); the session
    ledger lets go of it."""
    account = heygen_emulator.account
    dying, reaper_state = await make_state(lease_ttl=0.3), await make_state()
    async with (
        heygen_emulator.client(retry=NO_WAIT_RETRY, state=dying) as crashed,
        heygen_emulator.client(retry=NO_WAIT_RETRY, state=reaper_state) as reaper,
    ):
        crashed_manager = crashed.streaming.manager(max_sessions=1)
        managed = crashed_manager.session(**SESSION_PARAMS)
        session = await managed.__aenter__()  # never left: the process dies inside the block
        try:
            orphan = session.id
            assert orphan is not None

            async def ledgered() -> bool:
                return [(r.id, r.owner) for r in await reaper_state.sessions()] == [(orphan, dying.owner)]

            await eventually(ledgered, what="the session ledger to list the session")
            lease_ends = await crash_with_lease(dying)
            manager = reaper.streaming.manager(max_sessions=1)
            report = await manager.reap_orphans(min_age=0)
            assert time.time() < lease_ends, "the reap above must have run while the lease lived"
            assert (report.stopped, report.kept, dict(report.failed)) == ((), (orphan,), {})
            assert account.sessions[orphan].status != "closed"

            async def lease_out() -> bool:
                return [r.owner_alive for r in await reaper_state.sessions()] == [False]

            await eventually(lease_out, what="the crashed client's lease to run out")
            report = await manager.reap_orphans()  # the default min_age (60 s) does not protect it
            assert (report.stopped, report.kept, dict(report.failed)) == ((orphan,), (), {})
            assert account.sessions[orphan].status == "closed"
            assert account.sessions[orphan].closed_reason == "stopped"
            assert account.open_sessions() == []
            assert await reaper_state.sessions() == []
        finally:
            # Only now does the dead client's side let go (its stop is harmless: the session is closed already).
            await managed.__aexit__(None, None, None)
            await crashed_manager.aclose()


@pytest.mark.parametrize("owned_by", ["manager", "plain"])
async def test_a_session_whose_stop_failed_is_reaped_by_another_process_while_its_owner_lives(
    owned_by: str, make_state: MakeState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session whose stop failed stays in the shared ledger, marked as needing a stop: another process's
    reap_orphans() stops it although its owner is alive and HeyGen says it was created just now (before, it
    left the ledger and looked like another process's young session, kept under the default min_age). The
    owner's manager then finds HeyGen no longer lists it: its slot comes free."""
    monkeypatch.setattr(_streaming_manager, "RESTOP_FIRST", 3600.0)  # the owner does not try again meanwhile
    owner_state, reaper_state = await make_state(), await make_state()
    async with (
        Emulator(clock=ManualClock(start=time.time())) as emulator,  # HeyGen's created_at: now
        emulator.client(retry=ONE_TRY, state=owner_state) as owner,
        emulator.client(retry=NO_WAIT_RETRY, state=reaper_state) as reaper,
    ):
        manager = owner.streaming.manager(max_sessions=1)
        emulator.inject("500", endpoint="streaming.stop")
        opened = (
            manager.session(**SESSION_PARAMS) if owned_by == "manager" else owner.streaming.session(**SESSION_PARAMS)
        )
        with pytest.warns(RuntimeWarning, match="streaming.stop failed"):
            async with opened as session:
                pass
        assert [s.id for s in emulator.account.open_sessions()] == [session.id]

        async def marked() -> bool:
            records = await reaper_state.sessions()
            return [(r.id, r.owner, r.owner_alive, r.stop_failed) for r in records] == [
                (session.id, owner_state.owner, True, True)
            ]

        await eventually(marked, what="the ledger to mark the session as needing a stop")
        report = await reaper.streaming.manager(max_sessions=1).reap_orphans()  # the default min_age: 60 s
        assert (report.stopped, report.kept, dict(report.failed)) == ((session.id,), (), {})
        assert emulator.account.open_sessions() == []
        assert await reaper_state.sessions() == []
        if owned_by == "manager":
            assert manager.active == 1
            report = await manager.reap_orphans()
            assert (report.stopped, dict(manager.unstopped), manager.active) == ((), {}, 0)
        await manager.aclose()
    assert not session.needs_stop  # the client's aclose() stopped it again, harmlessly, or the manager let go


# -- G: configuration errors -----------------------------------------------------------------------------------------


async def test_state_must_be_a_state_backend_and_the_ledger_needs_one(heygen_emulator: Emulator) -> None:
    with pytest.raises(hg.ConfigurationError, match="state must be a StateBackend"):
        hg.HeyGenClient("at_abc", state="x")  # type: ignore[arg-type]
    async with heygen_emulator.client() as client:
        with pytest.raises(hg.ConfigurationError, match="state="):
            await client.jobs.recorded()
        with pytest.raises(hg.ConfigurationError, match="state="):
            await client.jobs.adopt_orphans()
