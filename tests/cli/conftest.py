"""An emulator serving in a background thread (the commands run their own event loops) and a probe target."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

T = TypeVar("T")
TOKEN = "at_cli-test-Sup3rSecret-token"


class Background:
    """An emulator on its own loop in a thread; ``call`` runs a coroutine there."""

    def __init__(self) -> None:
        self.emulator: Emulator | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        config = EmulatorConfig(render_seconds=4, pending_seconds=0.5, translation_seconds=4)
        async with Emulator(config, clock=ScaledClock(10)) as emulator:
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

    def call(self, factory: Callable[[], Awaitable[T]]) -> T:
        assert self.loop is not None

        async def run() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(30)

    @property
    def base_url(self) -> str:
        assert self.emulator is not None
        return self.emulator.base_url


@pytest.fixture(scope="module")
def background() -> Iterator[Background]:
    server = Background()
    server.start()
    yield server
    server.stop()


class _Probe(http.server.BaseHTTPRequestHandler):
    def do_OPTIONS(self) -> None:
        self.send_response(200)
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@pytest.fixture(scope="module")
def hook_url() -> Iterator[str]:
    """An http URL on 127.0.0.1 that answers HeyGen's OPTIONS probe (and takes deliveries)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()
    thread.join(5)
