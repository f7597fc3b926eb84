"""What the shared-state tests share: the ``make_state`` fixture's type, and a crash as SIGKILL leaves one."""

from __future__ import annotations

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
