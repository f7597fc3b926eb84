"""pytest fixtures for testing code that uses heygen_async, against the emulator.

Enable with ``pytest_plugins = ["heygen_async.emulator.pytest_plugin"]`` in a ``conftest.py``, then::

    async def test_render(heygen_emulator, heygen_client):
        job = await heygen_client.videos.generate([...])
        await heygen_emulator.advance(60)
        assert (await heygen_client.videos.status(job.video_id)).status == "completed"

Time is a :class:`ManualClock`: it moves only when the test calls ``advance()``. Needs pytest-asyncio (either
mode): the emulator, like aiohttp, runs on asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from heygen_async._client import HeyGenClient
from heygen_async._config import RetryPolicy

from ._server import Emulator
from ._timeline import ManualClock

__all__ = ["heygen_client", "heygen_emulator"]


@pytest_asyncio.fixture  # works in pytest-asyncio's strict mode as well as auto
async def heygen_emulator() -> AsyncIterator[Emulator]:
    """A fresh emulator on a free 127.0.0.1 port with a manual clock."""
    async with Emulator(clock=ManualClock()) as emulator:
        yield emulator


@pytest_asyncio.fixture  # works in pytest-asyncio's strict mode as well as auto
async def heygen_client(heygen_emulator: Emulator) -> AsyncIterator[HeyGenClient]:
    """A gateway client for ``heygen_emulator``, retrying instantly."""
    async with heygen_emulator.client(retry=RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0)) as client:
        yield client
