"""Fixtures for the streaming-session tests: gateway and direct clients of the manual-clock emulator, and how
soon a manager tries a failed stop again (``fixed_latency`` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import heygen_async as hg
from heygen_async._streaming import _manager as _streaming_manager
from heygen_async.emulator import Emulator
from tests.support import NO_WAIT_RETRY


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
def restop_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """A manager tries a failed stop again after 10 ms (not 1 s), backing off to 50 ms at most."""
    monkeypatch.setattr(_streaming_manager, "RESTOP_FIRST", 0.01)
    monkeypatch.setattr(_streaming_manager, "RESTOP_MAX", 0.05)


@pytest.fixture
def restop_never(monkeypatch: pytest.MonkeyPatch) -> None:
    """A manager's background retry of failed stops waits an hour: the test sees what else stops them."""
    monkeypatch.setattr(_streaming_manager, "RESTOP_FIRST", 3600.0)
