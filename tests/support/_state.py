"""What the shared-state tests share: the ``make_state`` fixture's type, a crash as SIGKILL leaves one, and waiting
for what another process writes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import heygen_async as hg

MakeState = Callable[..., Awaitable[hg.RedisState]]
"""The ``make_state`` fixture: ``await make_state(lease_ttl=...)`` is a RedisState on the test's account."""


def crash(state: hg.RedisState) -> None:
    """What SIGKILL does to a process's state: the heartbeat stops, the lease is not given up (it runs out)."""
    beat = state._beat
    assert beat is not None
    beat.cancel()
    state._beat = None
    state._entered = False


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 3.0, what: str) -> None:
    """Wait until ``await check()`` holds (the shared state is written in the background); fail after ``within``
    real seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def crash_with_lease(state: hg.RedisState) -> float:
    """SIGKILL just after a heartbeat: the lease is renewed one last time (so its end is known), then nothing
    renews it. Returns the earliest wall-clock time at which it can have run out."""
    crash(state)
    renewed = time.time()
    await state._redis.set(state._lease, "1", px=state._ttl_ms())  # as a heartbeat does, even after a lapse
    return renewed + state.lease_ttl
