"""Fixtures for the job-waiter tests: a fast-polling client on the manual-clock emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator
from tests.support import fast_client


@pytest.fixture
async def fast(heygen_emulator: Emulator) -> AsyncIterator[hg.HeyGenClient]:
    """A client that polls every few milliseconds, with a 200 polls/s budget."""
    async with fast_client(heygen_emulator) as client:
        yield client
