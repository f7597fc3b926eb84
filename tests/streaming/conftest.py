"""Fixtures for the streaming-session tests: gateway and direct clients of the manual-clock emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator

from ._support import NO_WAIT_RETRY, SLOW


@pytest.fixture
async def gateway(heygen_emulator: Emulator) -> AsyncIterator[hg.HeyGenClient]:
    """A gateway client (no keep-alive there) that retries at once."""
    async with heygen_emulator.client(retry=NO_WAIT_RETRY) as client:
        yield client


@pytest.fixture
async def direct(heygen_emulator: Emulator) -> AsyncIterator[hg.HeyGenClient]:
    """A direct-mode client (keep-alive available) that retries at once."""
    async with heygen_emulator.direct_client(retry=NO_WAIT_RETRY) as client:
        yield client


@pytest.fixture
def fixed_latency(heygen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> float:
    """An injected ``slow`` answer takes exactly ``SLOW`` real seconds."""
    monkeypatch.setattr(heygen_emulator.app.faults, "latency", lambda: SLOW)
    return SLOW
