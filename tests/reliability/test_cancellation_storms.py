"""Issue 10, part 2: cancellation storms. Hundreds of tasks opening, speaking in and closing live sessions
(through a capped SessionManager and as plain sessions) and waiting for renders (``videos.wait`` and
``as_completed``) are cancelled: each session task at a moment its own session reaches (while waiting for a
slot, as ``streaming.new`` goes out, after a line, while holding the session), the waits at seeded random
moments. Afterwards no session is open at the emulator, no task is pending, no
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
from tests.support import FAST_POLL, NO_WAIT_RETRY, STREAMING_AVATAR, Hygiene, connector_of, scene, ticking, wait_until

SESSION_TASKS = 300
JOB_TASKS = 200
SEED = 20240711
CAP = 16
"""The manager's cap (the emulator allows more, so plain sessions beside it are never refused)."""
SLOW = Faults(rate=0.3, kinds={"slow": 1.0}, max_latency=0.03, seed=SEED)
"""A third of the answers take up to 30 ms, so cancellations land inside requests, not only between them."""


WAITING = "before new (waiting for a manager slot)"
CREATING = "during new/start"
CONNECTED = "connected (speaking or holding)"


def phase_of(session: hg.StreamingSession) -> str:
    return {
        hg.SessionState.NEW: WAITING,
        hg.SessionState.STARTING: CREATING,
        hg.SessionState.CONNECTED: CONNECTED,
        hg.SessionState.CLOSING: "closing",
        hg.SessionState.CLOSED: "closed",
    }[session.state]


def _reached(event: hg.SessionEvent, trigger: str) -> bool:
    """Whether ``event`` is the moment to cancel: streaming.new just went out, or a line was just spoken."""
    if trigger == "creating":
        return isinstance(event, hg.StateChanged) and event.new is hg.SessionState.STARTING
    return isinstance(event, hg.TaskSent)


async def _close_and_check(client: hg.HeyGenClient, emulator: Emulator, hygiene: Hygiene) -> None:
    """Every connection given back, the client closes within 5 s, and nothing leaked or was reported."""
    session, connector = connector_of(client)
    await wait_until(lambda: not connector._acquired, what="every connection given back")
    await asyncio.wait_for(client.aclose(), 5)
    assert session.closed
    assert connector.closed
    await hygiene.check(emulator)


async def test_a_storm_of_cancelled_sessions_leaves_nothing_open() -> None:
    """300 tasks open sessions (two in three through a manager capped at 16), speak 0-4 lines and then either
    leave (one in five) or hold the session until they are cancelled. Each of the others is cancelled at a
    moment its own session reaches, not at a time it may race: while it waits for a manager slot, as soon as
    its streaming.new is out, once a line was spoken, or while it holds the session. So the outcomes are known
    exactly, whatever the machine's speed, and the storm hits every phase."""
    rng = random.Random(SEED)
    config = EmulatorConfig(max_sessions=SESSION_TASKS + 10)
    async with Emulator(config=config, clock=ManualClock(), faults=SLOW) as emulator:
        hygiene = Hygiene()
        try:
            client = emulator.client(retry=NO_WAIT_RETRY)
            manager = client.streaming.manager(max_sessions=CAP, acquire_timeout=None)
            tasks: list[asyncio.Task[None]] = []
            phases: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

            async def one(cm: Any, speeches: int, started: asyncio.Event, holding: asyncio.Event | None) -> None:
                started.set()
                async with cm as session:
                    for n in range(speeches):
                        await session.speak(f"line {n}")
                        await asyncio.sleep(0)
                    if holding is not None:
                        holding.set()
                        await asyncio.Event().wait()  # held until cancelled

            async def cancel_when(
                index: int, session: hg.StreamingSession, trigger: str, started: asyncio.Event, holding: asyncio.Event
            ) -> None:
                events = session.events()
                if trigger in ("creating", "speaking"):
                    async for event in events:  # subscribed before the task starts (see below)
                        if _reached(event, trigger):
                            break
                elif trigger == "waiting":
                    await started.wait()
                    await asyncio.sleep(0)  # in the slot queue now (or, with a slot, in streaming.new)
                else:
                    await holding.wait()
                await events.aclose()
                phases[trigger][phase_of(session)] += 1
                tasks[index].cancel()

            cancellers: list[asyncio.Task[None]] = []
            starts: list[tuple[Any, int, asyncio.Event, asyncio.Event | None]] = []
            expected: collections.Counter[str] = collections.Counter()
            for index in range(SESSION_TASKS):
                managed = index % 3 != 0
                cm: Any = (
                    manager.session(avatar_id=STREAMING_AVATAR)
                    if managed
                    else client.streaming.session(avatar_id=STREAMING_AVATAR)
                )
                session = cm.session if managed else cm
                speeches = rng.randint(0, 4)
                started, holding = asyncio.Event(), asyncio.Event()
                if rng.random() < 0.2:
                    expected["completed"] += 1
                    starts.append((cm, speeches, started, None))
                    continue
                expected["CancelledError"] += 1
                trigger = rng.choice(
                    ["waiting", "creating", "speaking", "holding"] if managed else ["creating", "speaking", "holding"]
                )
                speeches = max(speeches, 1) if trigger == "speaking" else speeches
                starts.append((cm, speeches, started, holding))
                cancellers.append(asyncio.create_task(cancel_when(index, session, trigger, started, holding)))
            await asyncio.sleep(0)  # every canceller has subscribed to its session's events
            tasks += [asyncio.create_task(one(*arguments)) for arguments in starts]

            outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
            await asyncio.wait_for(asyncio.gather(*cancellers), 5)
            kinds = collections.Counter(type(o).__name__ if o is not None else "completed" for o in outcomes)
            assert kinds == expected, (kinds, expected)
            # Each was cancelled in the phase its trigger names; those cancelled while waiting for a slot were
            # still waiting (but the first few, which had a slot at once and were already creating).
            assert set(phases["creating"]) == {CREATING}, phases
            assert set(phases["speaking"]) == set(phases["holding"]) == {CONNECTED}, phases
            assert set(phases["waiting"]) <= {WAITING, CREATING}, phases
            assert phases["waiting"][WAITING] > 0, phases
            print(f"\nsession storm: {SESSION_TASKS} tasks, outcomes {dict(kinds)}, cancelled {dict(phases)}")

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
