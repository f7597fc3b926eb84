"""Fixtures for the LiveAvatar session tests: a client of the manual-clock emulator's LiveAvatar that retries at
once (``fixed_latency`` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async.emulator import Emulator
from tests.support import NO_WAIT_RETRY


@pytest.fixture
async def live(heygen_emulator: Emulator) -> AsyncIterator[LiveAvatarClient]:
    """A LiveAvatar client of ``heygen_emulator`` (a manual clock: sessions end only when a test says so)."""
    async with heygen_emulator.liveavatar_client(retry=NO_WAIT_RETRY) as client:
        yield client
