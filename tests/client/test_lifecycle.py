"""The client's lifecycle, against real servers on 127.0.0.1: aclose() is idempotent and final (also during a
retry wait), an unclosed client warns, the pool is made lazily once, shared by handles that never close it and
kept alive by them, and bound to one event loop."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings

import pytest
from aiohttp import web

import heygen_async as hg
from tests.support import HEYGEN_OK, TOKEN, ServerFactory, SlowApp


async def test_aclose_is_idempotent_and_a_closed_client_refuses_calls(serve: ServerFactory) -> None:
    base = await serve(SlowApp(0).app())
    client = hg.HeyGenClient(TOKEN, base_url=base)
    assert await client.request("GET", "/v2/avatars") == {"ok": True}
    await client.aclose()
    await client.aclose()
    assert client.is_closed
    assert "closed" in repr(client)
    with pytest.raises(hg.ClientClosedError):
        await client.request("GET", "/v2/avatars")
    with pytest.raises(hg.ClientClosedError):
        async with client:
            pass


async def test_an_unclosed_client_warns_when_collected_without_doing_io(serve: ServerFactory) -> None:
    base = await serve(SlowApp(0).app())
    client = hg.HeyGenClient(TOKEN, base_url=base)
    await client.request("GET", "/v2/avatars")
    pool = client._transport.pool
    session = pool.session()  # keep the aiohttp session alive so only our warning is under test
    with pytest.warns(ResourceWarning, match="unclosed <HeyGenClient") as record:  # noqa: PT031
        del client
        gc.collect()
    assert all(TOKEN not in str(w.message) for w in record)
    await session.close()


def test_an_unused_client_needs_no_closing() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hg.HeyGenClient(TOKEN)
        gc.collect()
    assert caught == []


async def test_the_pool_is_created_lazily_once(serve: ServerFactory) -> None:
    base = await serve(SlowApp(0).app())
    async with hg.HeyGenClient(TOKEN, base_url=base) as client:
        pool = client._transport.pool
        assert not pool.is_open
        await asyncio.gather(*(client.request("GET", "/v2/avatars") for _ in range(20)))
        first = pool.session()
        await client.request("GET", "/v2/avatars")
        assert pool.session() is first
    assert not pool.is_open


async def test_handles_share_the_pool_and_never_close_it(serve: ServerFactory) -> None:
    tokens: list[str] = []

    async def record(request: web.Request) -> web.Response:
        tokens.append(request.query["api_token"])
        return web.json_response(HEYGEN_OK)

    app = web.Application()
    app.router.add_get("/heygen/v2/avatars", record)
    base = await serve(app)
    client = hg.HeyGenClient(TOKEN, base_url=base)
    tenant = client.with_options(api_token="at_tenant-two", max_retries=0, timeout=5)
    assert tenant._transport.pool is client._transport.pool
    assert tenant.path_style_memory is client.path_style_memory
    assert tenant.retry.attempts == 1
    assert client.retry.attempts == 3
    async with tenant:
        await tenant.request("GET", "/v2/avatars")
    # Leaving the handle's block did not close the shared pool.
    await client.request("GET", "/v2/avatars")
    assert tokens == ["at_tenant-two", TOKEN]
    with pytest.raises(hg.ClientClosedError):
        await tenant.request("GET", "/v2/avatars")
    other = client.with_options(api_token="at_three")
    await client.aclose()
    with pytest.raises(hg.ClientClosedError):
        await other.request("GET", "/v2/avatars")


def test_a_client_is_bound_to_one_event_loop() -> None:
    client = hg.HeyGenClient(TOKEN, base_url="http://127.0.0.1:9")

    async def use() -> None:
        client._transport.pool.session()

    async def use_then_close_session() -> None:
        await client._transport.pool.session().close()

    asyncio.run(use_then_close_session())
    errors: list[BaseException] = []

    def other_loop() -> None:
        try:
            asyncio.run(use())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=other_loop)
    thread.start()
    thread.join()
    assert len(errors) == 1
    assert isinstance(errors[0], hg.ConfigurationError)
    assert "another event loop" in str(errors[0])


async def test_closing_the_client_during_a_retry_wait_gives_client_closed_error(serve: ServerFactory) -> None:
    slow = SlowApp(0)

    async def busy(request: web.Request) -> web.Response:
        await slow.handle(request)
        return web.json_response({"code": 1, "message": "busy"}, status=503)

    app = web.Application()
    app.router.add_get("/heygen/v2/avatars", busy)
    base = await serve(app)
    client = hg.HeyGenClient(TOKEN, base_url=base, retry=hg.RetryPolicy(attempts=3, wait_initial=0.5, wait_jitter=0))
    task = asyncio.create_task(client.request("GET", "/v2/avatars"))
    await slow.wait_until(lambda: slow.received == 1)
    await asyncio.sleep(0.05)  # the first attempt's 503 is in; the call now waits to retry
    await client.aclose()
    with pytest.raises(hg.ClientClosedError):
        await task
    assert slow.received == 1


async def test_a_handle_keeps_its_pool_owner_alive_so_the_pool_is_never_orphaned(serve: ServerFactory) -> None:
    base = await serve(SlowApp(0).app())
    async with hg.HeyGenClient(TOKEN, base_url=base).with_options(api_token="at_tenant") as tenant:
        assert await tenant.request("GET", "/v2/avatars") == {"ok": True}
    pool = tenant._transport.pool
    session = pool.session()
    assert pool.is_open  # leaving the handle's block leaves the owner's pool open, and the owner is still alive
    with pytest.warns(ResourceWarning, match="unclosed <HeyGenClient"):  # noqa: PT031
        del tenant
        gc.collect()
    await session.close()
