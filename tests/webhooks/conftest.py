"""Fixtures of the receiver tests: the receiver served each way an app would, and an HTTP client to post to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support import WAYS, Start, serving


@pytest.fixture(params=WAYS)
async def start(request: pytest.FixtureRequest) -> AsyncIterator[Start]:
    async with serving(request.param) as start:
        yield start


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
