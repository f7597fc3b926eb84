"""Fixtures for the streaming-session tests: gateway and direct clients of the manual-clock emulator (how soon a
manager tries a failed stop again, ``restop_soon`` and ``restop_never``, and ``fixed_latency`` are in
tests/conftest.py: LiveAvatar's tests use them too)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import heygen_async as hg
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
