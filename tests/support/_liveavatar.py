"""LiveAvatar through ``LiveAvatarClient`` in tests: an emulator on a manual clock with a client for it, and the
emulator's log of the LiveAvatar requests it got."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock

LIVE_NO_RETRY = hg.RetryPolicy(attempts=1)
"""One try per call: a test that wants to see an error sees the first one."""


@contextlib.asynccontextmanager
async def live_client(
    config: EmulatorConfig | None = None, **options: Any
) -> AsyncIterator[tuple[Emulator, hg.LiveAvatarClient]]:
    """An emulator on a manual clock (with ``config``) and a ``LiveAvatarClient`` for it (with ``options``)."""
    async with Emulator(config, clock=ManualClock()) as emulator, emulator.liveavatar_client(**options) as live:
        yield emulator, live


def live_requests(emulator: Emulator, route: str | None = None) -> list[dict[str, Any]]:
    """The emulator's log entries of LiveAvatar requests (of ``route``, e.g. ``"POST /v1/sessions/stop"``)."""
    return [
        entry
        for entry in emulator.request_log
        if entry.get("format") == "liveavatar" and (route is None or entry.get("route") == route)
    ]
