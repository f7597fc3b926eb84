"""Timeouts and cancellation of calls, against real servers on 127.0.0.1: per attempt, in total (also past a
slow retry hook), per call, never rounded up; a cancelled call closes its connection and leaves nothing behind."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from aiohttp import web

import heygen_async as hg
from tests.support import TOKEN, ServerFactory, SlowApp


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """Anything aiohttp reports to the running loop's exception handler (e.g. "Unclosed client session")."""
    errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    loop.set_exception_handler(previous)


async def test_loop_errors_fixture_sees_what_aiohttp_reports(loop_errors: list[dict[str, Any]]) -> None:
    asyncio.get_running_loop().call_exception_handler({"message": "Unclosed client session"})
    assert [e["message"] for e in loop_errors] == ["Unclosed client session"]


# -- timeouts -----------------------------------------------------------------------------------------


async def test_attempt_timeout_retries_a_read(serve: ServerFactory) -> None:
    slow = SlowApp(30, 0)
    base = await serve(slow.app())
    policy = hg.RetryPolicy(attempts=2, wait_initial=0, wait_jitter=0)
    async with hg.HeyGenClient(TOKEN, base_url=base, retry=policy, timeout=hg.Timeout(attempt=0.3, total=20)) as c:
        started = time.monotonic()
        assert await c.request("GET", "/v2/avatars") == {"ok": True}
    assert slow.received == 2
    assert time.monotonic() - started < 10  # far below the 30 s the first attempt would have hung


async def test_total_budget_bounds_the_whole_call(serve: ServerFactory) -> None:
    slow = SlowApp(30)
    base = await serve(slow.app())
    policy = hg.RetryPolicy(attempts=10, wait_initial=0, wait_jitter=0)
    async with hg.HeyGenClient(TOKEN, base_url=base, retry=policy, timeout=hg.Timeout(attempt=0.4, total=1.0)) as c:
        started = time.monotonic()
        with pytest.raises(hg.APITimeoutError) as caught:
            await c.request("GET", "/v2/avatars")
    assert time.monotonic() - started < 10
    assert 1 <= caught.value.attempts <= 4
    assert slow.received == caught.value.attempts


async def test_a_create_that_timed_out_waiting_for_its_answer_is_not_retried(serve: ServerFactory) -> None:
    slow = SlowApp(30, 0)
    base = await serve(slow.app())
    async with hg.HeyGenClient(TOKEN, base_url=base, timeout=hg.Timeout(attempt=0.3, total=20)) as c:
        with pytest.raises(hg.APITimeoutError) as caught:
            await c.request("POST", "/v2/video/generate", json={"video_inputs": []})
    assert caught.value.maybe_processed is True
    assert slow.received == 1


async def test_per_call_timeout_overrides_and_none_means_no_limit(serve: ServerFactory) -> None:
    slow = SlowApp(0.5)
    base = await serve(slow.app())
    async with hg.HeyGenClient(TOKEN, base_url=base, max_retries=0, timeout=0.1) as c:
        with pytest.raises(hg.APITimeoutError):
            await c.request("GET", "/v2/avatars")  # the client default (0.1 s) applies
        assert await c.request("GET", "/v2/avatars", timeout=None) == {"ok": True}
        assert await c.request("GET", "/v2/avatars", timeout=5) == {"ok": True}
        assert await c.request("GET", "/v2/avatars", timeout=hg.Timeout(total=5, attempt=5)) == {"ok": True}
        with pytest.raises(hg.APITimeoutError, match=r"within 0\.1 s"):
            await c.request("GET", "/v2/avatars", timeout=hg.USE_CLIENT_DEFAULT)


def test_timeout_coercion() -> None:
    assert hg.Timeout.coerce(None) == hg.Timeout(total=None, attempt=None, connect=None)
    assert hg.Timeout.coerce(3) == hg.Timeout(total=3.0, attempt=3.0, connect=3.0)
    assert hg.Timeout.coerce(30) == hg.Timeout(total=30.0, attempt=30.0, connect=10.0)
    with pytest.raises(TypeError):
        hg.Timeout.coerce("5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="attempt"):
        hg.Timeout(attempt=-1)
    with pytest.raises(hg.ConfigurationError):
        hg.HeyGenClient(TOKEN, timeout="fast")  # type: ignore[arg-type]


async def test_a_slow_async_retry_hook_cannot_carry_a_call_past_its_budget(serve: ServerFactory) -> None:
    async def flaky(request: web.Request) -> web.Response:
        return web.json_response({"code": 1, "message": "busy"}, status=503)

    async def stuck_hook(event: hg.RetryEvent) -> None:
        await asyncio.sleep(30)

    app = web.Application()
    app.router.add_get("/heygen/v2/avatars", flaky)
    base = await serve(app)
    policy = hg.RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0, on_retry=stuck_hook)
    async with hg.HeyGenClient(TOKEN, base_url=base, retry=policy, timeout=hg.Timeout(total=0.5)) as client:
        started = time.monotonic()
        with pytest.raises(hg.HeyGenError):
            await client.request("GET", "/v2/avatars")
    assert time.monotonic() - started < 10


def test_timeouts_are_not_rounded_up_to_whole_seconds() -> None:
    # aiohttp rounds timers above its ceil threshold up to the next second; a 5.5 s budget must stay 5.5 s.
    client = hg.HeyGenClient(TOKEN, timeout=5.5)
    timeout = client._transport._client_timeout
    assert timeout.total == 5.5
    assert timeout.ceil_threshold >= 1e6


# -- cancellation -------------------------------------------------------------------------------------


async def test_cancelling_an_in_flight_call_closes_its_connection(
    serve: ServerFactory, loop_errors: list[dict[str, Any]]
) -> None:
    slow = SlowApp(30, 0)
    base = await serve(slow.app())
    client = hg.HeyGenClient(TOKEN, base_url=base)
    task = asyncio.create_task(client.request("GET", "/v2/avatars"))
    await slow.wait_until(lambda: slow.received == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await slow.wait_until(lambda: slow.cancelled == 1)  # the server saw the connection close
    # The pool is still healthy after the cancellation.
    assert await client.request("GET", "/v2/avatars") == {"ok": True}
    await client.aclose()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [w for w in caught if "nclosed" in str(w.message)] == []
    assert loop_errors == []


async def test_cancel_scope_around_a_call(serve: ServerFactory) -> None:
    slow = SlowApp(30, 0)
    base = await serve(slow.app())
    async with hg.HeyGenClient(TOKEN, base_url=base) as client:
        with anyio.move_on_after(0.3) as scope:
            await client.request("POST", "/v2/video/generate", json={})
        assert scope.cancelled_caught
        assert await client.request("GET", "/v2/avatars") == {"ok": True}
    assert slow.received == 2


async def test_many_concurrent_cancellations_leave_nothing_behind(
    serve: ServerFactory, loop_errors: list[dict[str, Any]]
) -> None:
    slow = SlowApp(30)
    base = await serve(slow.app())
    async with hg.HeyGenClient(TOKEN, base_url=base) as client, anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(client.request, "GET", "/v2/avatars")
        await slow.wait_until(lambda: slow.received == 50)
        tg.cancel_scope.cancel()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [str(w.message) for w in caught] == []
    assert loop_errors == []
