"""A state backend that is slow or fails for a moment loses nothing: a shared slot answered after the caller
was cancelled is given back, a submission HeyGen accepted is recorded although its caller was cancelled, and
a slot request or a session record that met a Redis blip is tried again."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock
from tests.support import NO_WAIT_RETRY, SESSION_PARAMS, fast_client, scene


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
            async with manager.session(**SESSION_PARAMS):
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
            client.streaming.manager(max_sessions=2).session(**SESSION_PARAMS)
            if how == "manager"
            else client.streaming.session(**SESSION_PARAMS)
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
