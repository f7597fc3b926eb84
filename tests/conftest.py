"""Shared fixtures: a private runtime directory, instant retry waits, clients, aioresponses, real local servers,
and emulator answers of a fixed latency (the constants and helpers they use are in tests/support)."""

from __future__ import annotations

import inspect
import types
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aioresponses.core as aioresponses_core
import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses
from yarl import URL

import heygen_async as hg
from heygen_async._streaming import _manager as _streaming_manager
from heygen_async._transport import _call as _http
from heygen_async.emulator import Emulator
from tests.support import BASE, FAST, SLOW_ANSWER, TOKEN, ServerFactory


def _teach_aioresponses_aiohttp_314() -> None:
    """aioresponses 0.7.9 builds ClientResponse without the ``stream_writer`` aiohttp 3.14 requires
    (pnuckowski/aioresponses#289, open). aiohttp 3.14 is a security release, so rather than pin aiohttp
    below it, hand aioresponses a response class that supplies a no-op writer."""
    if "stream_writer" not in inspect.signature(ClientResponse.__init__).parameters:
        return

    class _MockedResponse(ClientResponse):
        def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", types.SimpleNamespace(output_size=0))
            super().__init__(method, url, **kwargs)

    aioresponses_core.ClientResponse = _MockedResponse  # type: ignore[attr-defined]


_teach_aioresponses_aiohttp_314()

pytest_plugins = ["heygen_async.emulator.pytest_plugin"]  # heygen_emulator, heygen_client


@pytest.fixture(autouse=True)
def private_runtime(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and the commands it starts) records and finds emulators in a directory of its own, never in
    the user's, and no base URL comes from the developer's environment."""
    directory = tmp_path_factory.mktemp("runtime")
    directory.chmod(0o700)
    monkeypatch.setenv("HEYGEN_ASYNC_RUNTIME_DIR", str(directory))
    for name in ("HEYGEN_ASYNC_BASE_URL", "HEYGEN_ASYNC_DIRECT_BASE_URL", "HEYGEN_ASYNC_LIVEAVATAR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return directory


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make retry waits instant, recording how long each would have been."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_http, "_sleep", fake_sleep)
    return recorded


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client(sleeps: list[float]) -> AsyncIterator[hg.HeyGenClient]:
    async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=FAST) as c:
        yield c


@pytest.fixture
async def serve() -> AsyncIterator[ServerFactory]:
    """Start an aiohttp app on 127.0.0.1 (access log off) and return its base URL with ``/heygen``."""
    servers: list[TestServer] = []

    async def start(app: web.Application) -> str:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server(access_log=None)
        servers.append(server)
        return str(server.make_url("/heygen"))

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
def restop_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """A manager tries a failed stop again after 10 ms (not 1 s), backing off to 50 ms at most."""
    monkeypatch.setattr(_streaming_manager, "RESTOP_FIRST", 0.01)
    monkeypatch.setattr(_streaming_manager, "RESTOP_MAX", 0.05)


@pytest.fixture
def restop_never(monkeypatch: pytest.MonkeyPatch) -> None:
    """A manager's background retry of failed stops waits an hour: the test sees what else stops them."""
    monkeypatch.setattr(_streaming_manager, "RESTOP_FIRST", 3600.0)


@pytest.fixture
def fixed_latency(heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> float:
    """An injected ``slow`` answer takes exactly ``SLOW_ANSWER`` real seconds."""
    monkeypatch.setattr(heygen_emulator.app.faults, "latency", lambda: SLOW_ANSWER)
    return SLOW_ANSWER
