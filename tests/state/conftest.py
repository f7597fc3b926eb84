"""Fixtures for the shared-state tests: a real redis-server on 127.0.0.1 (started once for the session,
stopped after), a fresh account namespace per test, and RedisStates entered and closed for you."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

import heygen_async as hg
from benchmarks._redis_server import RedisServerMissing, redis_server
from tests.support import MakeState


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    try:
        with redis_server() as url:
            yield url
    except RedisServerMissing as exc:
        if os.environ.get("HEYGEN_ASYNC_SKIP_REDIS") == "1":
            pytest.skip(str(exc))
        raise


@pytest.fixture
def account() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def make_state(redis_url: str, account: str) -> AsyncIterator[MakeState]:
    """``await make_state(lease_ttl=...)``: a RedisState on this test's account, entered (closed at the end)."""
    made: list[hg.RedisState] = []

    async def make(**options: object) -> hg.RedisState:
        state = hg.RedisState(redis_url, account=account, **options)  # type: ignore[arg-type]
        await state.__aenter__()
        made.append(state)
        return state

    yield make
    for state in made:
        await state.aclose()
