"""What the cancellation-storm and shutdown tests check afterwards: nothing left running, open or reported.

``Hygiene`` records the loop's exception handler calls ("Task was destroyed but it is pending!", aiohttp's
"Unclosed client session", exceptions nobody retrieved) and the tasks that existed before the scenario, and
:meth:`Hygiene.check` asserts that none of the scenario's tasks, connections, sessions or reports remain.
"""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from typing import Any

import aiohttp

import heygen_async as hg
from heygen_async.emulator import Emulator


def connector_of(client: hg.HeyGenClient) -> tuple[aiohttp.ClientSession, aiohttp.BaseConnector]:
    """The client's aiohttp session and connector (created on the first call)."""
    session = client._transport.pool._session
    assert session is not None, "the client has not made a call yet"
    connector = session.connector
    assert connector is not None
    return session, connector


class Hygiene:
    """Install on the running loop at the start of a scenario; call :meth:`check` at its end."""

    def __init__(self) -> None:
        # What earlier tests left for the garbage collector (a failed test's client, freed once pytest drops
        # its traceback) is collected now, before the scenario, so it is not blamed on this one.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        self.loop = asyncio.get_running_loop()
        self.reports: list[dict[str, Any]] = []
        self.before = set(asyncio.all_tasks())
        self._previous = self.loop.get_exception_handler()
        self.loop.set_exception_handler(lambda _loop, context: self.reports.append(context))

    def leftover_tasks(self) -> set[asyncio.Task[Any]]:
        return {task for task in asyncio.all_tasks() if task not in self.before and not task.done()}

    async def check(self, emulator: Emulator | None = None, *, within: float = 5.0) -> None:
        """No task of the scenario is pending, no session is open at the emulator, and neither the garbage
        collector nor the loop's exception handler has anything to say."""
        deadline = time.monotonic() + within
        while self.leftover_tasks() and time.monotonic() < deadline:  # noqa: ASYNC110 (polling many tasks)
            await asyncio.sleep(0.01)
        leftover = self.leftover_tasks()
        assert not leftover, f"{len(leftover)} task(s) still pending: {sorted(map(repr, leftover))[:5]}"
        if emulator is not None:
            assert emulator.account.open_sessions() == [], "sessions left open (and billed) at the emulator"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gc.collect()
            await asyncio.sleep(0)  # let anything gc.collect() scheduled on the loop run
            gc.collect()
        assert [str(w.message) for w in caught] == []
        assert self.reports == [], f"the loop's exception handler was called: {self.reports[:3]}"

    def restore(self) -> None:
        self.loop.set_exception_handler(self._previous)
