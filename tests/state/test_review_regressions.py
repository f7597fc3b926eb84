"""Regressions from the review of the shared state (issue 11): each was a real defect, shown failing first."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import types
from typing import Any, cast

import pytest

import heygen_async as hg
from heygen_async._config import PollPolicy
from heygen_async._jobs._kinds import KINDS
from heygen_async._jobs._scheduler import PollScheduler
from heygen_async._transport._call import Transport
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock
from tests.support import NO_WAIT_RETRY, MakeState, fast_client, scene

SESSION: dict[str, Any] = {"avatar_id": "Wayne_20240711", "quality": "low"}


class SlowSlotReply(hg.MemoryState):
    """The shared slot is taken at once; the answer takes a while (a Redis round trip in flight)."""

    async def acquire_slot(self, name: str, *, limit: int, tag: str) -> bool:
        taken = await super().acquire_slot(name, limit=limit, tag=tag)
        await asyncio.sleep(0.3)
        return taken


async def test_cancelled_while_the_shared_session_slot_is_answered_gives_it_back() -> None:
    state = SlowSlotReply()
    async with Emulator() as emulator, emulator.client(retry=NO_WAIT_RETRY, state=state) as client:
        manager = client.streaming.manager(max_sessions=1, acquire_timeout=0.5)

        async def use() -> None:
            async with manager.session(**SESSION):
                pass

        task = asyncio.create_task(use())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.4)
        assert manager.active == 0
        assert state.held("sessions") == 0, "the account-wide slot leaked"
        await manager.aclose()


class SlowRecord(hg.MemoryState):
    async def record_job(self, record: hg.JobRecord) -> None:
        await asyncio.sleep(0.3)  # a Redis round trip
        await super().record_job(record)


async def test_a_submission_is_recorded_even_if_the_caller_is_cancelled_meanwhile() -> None:
    state = SlowRecord()
    async with Emulator() as emulator, emulator.client(retry=NO_WAIT_RETRY, state=state) as client:
        task = asyncio.create_task(client.videos.generate([scene("x")]))
        for _ in range(400):
            if emulator.account.videos:
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)  # HeyGen answered; the ledger write is in flight
        task.cancel()  # a plain asyncio cancel, as asyncio.wait_for and TaskGroup do
        with pytest.raises(asyncio.CancelledError):
            await task
        (video_id,) = emulator.account.videos
        assert [record.id for record in await state.jobs()] == [video_id], "accepted by HeyGen, so in the ledger"


class FlakyCap(hg.MemoryState):
    """The second slot request meets a Redis blip."""

    calls = 0

    async def acquire_slot(self, name: str, *, limit: int, tag: str) -> bool:
        self.calls += 1
        if self.calls == 2:
            raise hg.StateBackendError("Redis failed while taking a renders slot: ConnectionError")
        return await super().acquire_slot(name, limit=limit, tag=tag)


async def test_a_state_error_while_waiting_for_a_slot_is_retried_and_nothing_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = FlakyCap()
    caplog.set_level(logging.WARNING, "heygen_async")
    async with (
        Emulator(EmulatorConfig(), clock=ManualClock()) as emulator,
        fast_client(emulator, state=state) as client,
    ):
        requests: list[dict[str, Any]] = [{"video_inputs": [scene(f"n{n}")]} for n in range(3)]

        async def tick() -> None:
            while True:
                await emulator.advance(5)
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        items = [item async for item in client.videos.generate_many(requests, concurrency=3, timeout=30)]
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
    assert sorted(item.index for item in items) == [0, 1, 2]
    assert all(item.ok for item in items), [item.error for item in items]
    assert len(emulator.account.videos) == 3
    assert any("renders slot" in r.getMessage() for r in caplog.records), "the blip is logged"
    assert state.held("renders") == 0


class FakeTransport:
    pool = types.SimpleNamespace(time_scale=1.0)  # polls through ``call``, real time
    identity = b"fake"  # one set of credentials

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    async def call(self, route: Any, *, query: Any = None, **_: Any) -> Any:
        job_id = dict(query)["video_id"]
        self.calls.append((job_id, time.monotonic()))
        return {"id": job_id, "status": "processing"}


async def test_a_stale_heap_entry_behind_the_head_never_polls_a_job_early() -> None:
    scheduler = PollScheduler(100)
    transport = FakeTransport()
    t = cast(Transport, transport)
    video = KINDS["video"]
    start = time.monotonic()
    a = scheduler.track(video, "A", t, PollPolicy(first_poll=0.2, backoff=20.0, max_interval=5.0, jitter=0.0))
    a.listen(lambda _: None, None)
    b = scheduler.track(video, "B", t, PollPolicy(first_poll=0.15, backoff=20.0, max_interval=5.0, jitter=0.0))
    b.listen(lambda _: None, None)
    await asyncio.sleep(0.05)
    assert scheduler.poll_soon("video", "A")  # a webhook: A is polled now; its 0.2 s entry is stale
    await asyncio.sleep(0.02)
    scheduler._paused_until = time.monotonic() + 0.3  # what a 429 does: the stale entry comes due meanwhile
    await asyncio.sleep(0.5)
    await scheduler.aclose()
    a_polls = [round(when - start, 3) for job, when in transport.calls if job == "A"]
    assert len(a_polls) == 1, f"A was polled again at {a_polls[1:]}, its next poll was due ~4 s later"
    assert [job for job, _ in transport.calls].count("B") == 1


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


async def _failing(*args: object) -> int:
    import redis.exceptions

    raise redis.exceptions.ConnectionError("blip")


async def test_the_redis_ledger_forgets_the_oldest_finished_jobs(make_state: MakeState) -> None:
    from heygen_async._state._protocol import JobUpdate

    state = await make_state(keep_finished=3)
    for n in range(5):
        await state.record_job(hg.JobRecord(kind="video", id=f"v{n}", resume_token="{}"))
        await state.update_jobs([JobUpdate(kind="video", id=f"v{n}", status="completed", done=True)])
    await state.record_job(hg.JobRecord(kind="video", id="open", resume_token="{}"))
    assert sorted(r.id for r in await state.jobs()) == ["open", "v2", "v3", "v4"]


async def test_a_state_not_entered_is_refused_before_a_job_is_sent(redis_url: str, account: str) -> None:
    state = hg.RedisState(redis_url, account=account)
    async with Emulator() as emulator, emulator.client(retry=NO_WAIT_RETRY, state=state) as client:
        with pytest.raises(hg.StateBackendError, match="async with"):
            await client.videos.generate([scene("x")])
        assert emulator.account.videos == {}, "nothing was sent"
    await state.aclose()


class FlakySessions(hg.MemoryState):
    """The first two session records meet a Redis blip."""

    failures = 0

    async def record_session(self, record: hg.SessionRecord) -> None:
        if self.failures < 2:
            self.failures += 1
            raise hg.StateBackendError("Redis failed while recording a session: ConnectionError")
        await super().record_session(record)


@pytest.mark.parametrize("how", ["manager", "plain"])
async def test_a_session_record_that_fails_is_written_again(how: str) -> None:
    state = FlakySessions()
    async with Emulator() as emulator, emulator.client(retry=NO_WAIT_RETRY, state=state) as client:
        opener = (
            client.streaming.manager(max_sessions=2).session(**SESSION)
            if how == "manager"
            else client.streaming.session(**SESSION)
        )
        async with opener as session:
            for _ in range(100):
                if await state.sessions():
                    break
                await asyncio.sleep(0.05)
            assert [record.id for record in await state.sessions()] == [session.id], "recorded after the blips"
            assert state.failures == 2
        for _ in range(100):
            if not await state.sessions():
                break
            await asyncio.sleep(0.05)
        assert await state.sessions() == [], "taken off the ledger once stopped"


async def test_min_age_stays_zero_for_a_state_nobody_else_shares() -> None:
    state = hg.MemoryState()
    async with Emulator() as emulator, emulator.client(retry=NO_WAIT_RETRY, state=state) as client:
        other = emulator.client(retry=NO_WAIT_RETRY)
        async with other:
            orphan = await other.streaming.new(**SESSION)
        report = await client.streaming.manager(max_sessions=2).reap_orphans()
        assert report.stopped == (orphan.session_id,), "a one-process state keeps reaping at once, as before"


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
