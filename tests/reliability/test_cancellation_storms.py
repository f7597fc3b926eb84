"""Issue 10, part 2: cancellation storms. Hundreds of tasks opening, speaking in and closing live sessions
(through a capped SessionManager and as plain sessions) and waiting for renders (``videos.wait`` and
``as_completed``) are cancelled at seeded random moments: while waiting for a slot, during ``streaming.new``
or ``start``, mid-speech, mid-wait. Afterwards no session is open at the emulator, no task is pending, no
connection is checked out, the client's pool closes cleanly, and nothing was reported to the loop's
exception handler or the garbage collector ('Task was destroyed but it is pending', 'Unclosed client session').
"""

from __future__ import annotations

import asyncio
import collections
import random
from typing import Any

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, Faults, ManualClock
from tests.jobs._support import FAST_POLL, NO_WAIT_RETRY, scene, ticking
from tests.streaming._support import AVATAR, wait_until

from ._leaks import Hygiene, connector_of

SESSION_TASKS = 300
JOB_TASKS = 200
SEED = 20240711
CAP = 16
"""The manager's cap (the emulator allows more, so plain sessions beside it are never refused)."""
SLOW = Faults(rate=0.3, kinds={"slow": 1.0}, max_latency=0.03, seed=SEED)
"""A third of the answers take up to 30 ms, so cancellations land inside requests, not only between them."""


def phase_of(session: hg.StreamingSession | None) -> str:
    if session is None:
        return "waiting for a slot"
    return {
        hg.SessionState.NEW: "before new (waiting for a manager slot)",
        hg.SessionState.STARTING: "during new/start",
        hg.SessionState.CONNECTED: "connected (mid-speech)",
        hg.SessionState.CLOSING: "closing",
        hg.SessionState.CLOSED: "closed",
    }[session.state]


async def _close_and_check(client: hg.HeyGenClient, emulator: Emulator, hygiene: Hygiene) -> None:
    """Every connection given back, the client closes within 5 s, and nothing leaked or was reported."""
    session, connector = connector_of(client)
    await wait_until(lambda: not connector._acquired, what="every connection given back")
    await asyncio.wait_for(client.aclose(), 5)
    assert session.closed
    assert connector.closed
    await hygiene.check(emulator)


async def test_a_storm_of_cancelled_sessions_leaves_nothing_open() -> None:
    rng = random.Random(SEED)
    config = EmulatorConfig(max_sessions=SESSION_TASKS + 10)
    async with Emulator(config=config, clock=ManualClock(), faults=SLOW) as emulator:
        hygiene = Hygiene()
        try:
            client = emulator.client(retry=NO_WAIT_RETRY)
            manager = client.streaming.manager(max_sessions=CAP, acquire_timeout=None)
            holders: list[Any] = []
            phases: collections.Counter[str] = collections.Counter()

            async def one(index: int, managed: bool, speeches: int) -> None:
                cm: Any = manager.session(avatar_id=AVATAR) if managed else client.streaming.session(avatar_id=AVATAR)
                holders[index] = cm
                async with cm as session:
                    for n in range(speeches):
                        await session.speak(f"line {n} of task {index}")
                        await asyncio.sleep(rng.uniform(0, 0.01))

            tasks: list[asyncio.Task[None]] = []
            for index in range(SESSION_TASKS):
                holders.append(None)
                tasks.append(asyncio.create_task(one(index, managed=index % 3 != 0, speeches=rng.randint(0, 4))))

            async def cancel_later(index: int, delay: float) -> None:
                await asyncio.sleep(delay)
                if not tasks[index].done():
                    cm = holders[index]
                    session = getattr(cm, "session", cm)  # a _ManagedSession holds its session
                    phases[phase_of(session) if cm is not None else "not started"] += 1
                    tasks[index].cancel()

            # Four in five are cancelled, at a random moment within the first 0.6 s.
            cancellers = [
                asyncio.create_task(cancel_later(i, rng.uniform(0, 0.6)))
                for i in range(SESSION_TASKS)
                if rng.random() < 0.8
            ]
            outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
            await asyncio.gather(*cancellers)
            kinds = collections.Counter(type(o).__name__ if o is not None else "completed" for o in outcomes)
            assert set(kinds) <= {"completed", "CancelledError"}, kinds
            assert kinds["CancelledError"] >= SESSION_TASKS // 2, kinds
            # The storm hit every phase: waiting for a slot, creating/starting, speaking.
            assert phases["during new/start"] > 0, phases
            assert phases["connected (mid-speech)"] > 0, phases
            assert phases["before new (waiting for a manager slot)"] > 0, phases
            print(f"\nsession storm: {SESSION_TASKS} tasks, outcomes {dict(kinds)}, cancelled while {dict(phases)}")

            assert emulator.account.open_sessions() == []
            assert manager.active == 0
            assert dict(manager.sessions) == {}
            assert manager.high_water <= CAP
            await _close_and_check(client, emulator, hygiene)
        finally:
            hygiene.restore()


async def test_a_storm_of_cancelled_job_waits_leaves_nothing_polling() -> None:
    rng = random.Random(SEED + 1)
    async with Emulator(clock=ManualClock(), faults=SLOW) as emulator:
        hygiene = Hygiene()
        try:
            client = emulator.client(poll_policy=FAST_POLL, poll_budget=500, retry=NO_WAIT_RETRY)
            renders = list(
                await asyncio.gather(*(client.videos.generate([scene(f"render {i}")]) for i in range(JOB_TASKS)))
            )
            ids = [job.video_id for job in renders]
            assert all(ids)

            async def first_done(group: list[str]) -> Any:
                async for handle in client.videos.as_completed(group, timeout=None):
                    return handle.result()
                return None

            tasks: list[asyncio.Task[Any]] = []
            for index in range(0, JOB_TASKS, 10):
                tasks.append(asyncio.create_task(first_done([i for i in ids[index : index + 10] if i])))
            tasks += [asyncio.create_task(client.videos.wait(i, timeout=None)) for i in ids if i]  # two waiters on some
            tasks += [asyncio.create_task(client.videos.wait(i, timeout=None)) for i in rng.sample(ids, 50) if i]

            def cancel_some() -> None:
                for task in tasks:
                    if not task.done() and rng.random() < 0.03:
                        task.cancel()

            # Renders finish 3 at a time (32 emulated s each); the clock moves 4 s every 10 ms, so a few
            # finish while the waiters of others are cancelled around them.
            async with ticking(emulator, step=4.0, every=0.01, on_tick=cancel_some):
                await asyncio.sleep(1.5)
            for task in tasks:
                task.cancel()
            outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
            kinds = collections.Counter(
                type(o).__name__ if isinstance(o, BaseException) else "completed" for o in outcomes
            )
            assert set(kinds) <= {"completed", "CancelledError"}, kinds
            assert kinds["completed"] > 0, kinds
            assert kinds["CancelledError"] > len(tasks) // 2, kinds
            print(f"\njob storm: {len(tasks)} waiters on {JOB_TASKS} renders, outcomes {dict(kinds)}")

            scheduler = client.jobs.scheduler
            await wait_until(lambda: scheduler.tracked() == 0 and not scheduler._polls, what="polling stopped")
            await _close_and_check(client, emulator, hygiene)
        finally:
            hygiene.restore()
