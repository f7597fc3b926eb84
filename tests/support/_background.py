"""An emulator serving on its own event loop in a thread, for code that runs its own loop (the CLI)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from heygen_async.emulator import Emulator, EmulatorConfig, Faults, ScaledClock

from ._emulated import STREAMING_AVATAR

T = TypeVar("T")


class Background:
    """``with Background(config, clock, faults) as server``: ``server.base_url`` for clients elsewhere, and
    ``server.call(factory)`` to run a coroutine on the emulator's loop."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, speed: float = 10.0, faults: Faults | None = None
    ) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self.speed = speed
        self.faults = faults
        self.emulator: Emulator | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        async with Emulator(self.config, clock=ScaledClock(self.speed), faults=self.faults) as emulator:
            self.emulator, self.loop, self._stop = emulator, asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            await self._stop.wait()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(15), "the emulator did not start"

    def stop(self) -> None:
        assert self.loop is not None
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)

    def __enter__(self) -> Background:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, factory: Callable[[], Awaitable[T]]) -> T:
        """Run ``factory()`` on the emulator's loop and return its result."""
        assert self.loop is not None

        async def run() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(30)

    def request_log(self) -> list[dict[str, Any]]:
        emulator = self.emulator
        assert emulator is not None

        async def read() -> list[dict[str, Any]]:
            return list(emulator.request_log)

        return self.call(read)

    @property
    def base_url(self) -> str:
        assert self.emulator is not None
        return self.emulator.base_url


def open_streaming_session(background: Background) -> str:
    """Open a live session on ``background``'s emulator (as another process would) and return its id."""

    async def open_one() -> str:
        assert background.emulator is not None
        async with background.emulator.client() as client:
            info = await client.streaming.new(avatar_id=STREAMING_AVATAR, quality="low")
            return info.session_id or ""

    return background.call(open_one)
