"""Calls against aioresponses or a real aiohttp app on 127.0.0.1: a token that must never leak, the gateway's
base URL, a retry policy that never waits, success answers, a refused connection, a server that answers
slowly, and readers of what was sent."""

from __future__ import annotations

import asyncio
import json
import types
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import anyio
from aiohttp import payload, web
from aioresponses import aioresponses
from yarl import URL

import heygen_async as hg

TOKEN = "at_test-Sup3rSecret-token-0123456789"
BASE = "http://gateway.test/heygen"
FAST = hg.RetryPolicy(attempts=3, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)

GATEWAY_OK: dict[str, Any] = {"data": {"error": None, "data": {"ok": True}}}
"""A success as the gateway wraps it: the call returns ``{"ok": True}``."""
HEYGEN_OK: dict[str, Any] = {"error": None, "data": {"ok": True}}
"""A success as HeyGen itself answers (and the local test servers do): the call returns ``{"ok": True}``."""

ServerFactory = Callable[[web.Application], Awaitable[str]]
"""The ``serve`` fixture: start an app on 127.0.0.1 and get its base URL (with ``/heygen``)."""


def sent(m: aioresponses) -> list[tuple[str, URL, dict[str, Any]]]:
    """Every request aioresponses saw, in order: (method, URL, kwargs)."""
    calls = [
        (key[0], key[1], call.kwargs, index) for key, calls in m.requests.items() for index, call in enumerate(calls)
    ]
    return [(method, url, kwargs) for method, url, kwargs, _ in calls]


def sent_json(kwargs: dict[str, Any]) -> Any:
    """The JSON body a mocked request was sent with (a JSON body goes to aiohttp as a payload with its type)."""
    data = kwargs.get("data")
    if isinstance(data, payload.Payload):
        data = data.decode()
    return None if data is None else json.loads(data)


def sent_content_type(kwargs: dict[str, Any]) -> str | None:
    """The Content-Type a mocked request was sent with: its body's own, or its headers'."""
    data = kwargs.get("data")
    if isinstance(data, payload.Payload):
        return data.content_type
    headers: dict[str, str] = kwargs.get("headers") or {}
    return headers.get("Content-Type")


def refused(message: str = "Connection refused") -> aiohttp.ClientConnectorError:
    """The error aiohttp raises when the gateway refuses the connection (the request surely did not arrive)."""
    key = types.SimpleNamespace(host="gateway.test", port=80, ssl=False)
    return aiohttp.ClientConnectorError(key, OSError(111, message))  # type: ignore[arg-type]


class SlowApp:
    """A server whose handler sleeps ``delays[i]`` seconds on its i-th request (the last delay repeats)."""

    def __init__(self, *delays: float) -> None:
        self.delays = list(delays)
        self.received = 0
        self.cancelled = 0
        self._changed = asyncio.Condition()

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        with anyio.fail_after(10):
            async with self._changed:
                await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def handle(self, request: web.Request) -> web.Response:
        index = self.received
        self.received += 1
        await self._notify()
        try:
            await asyncio.sleep(self.delays[min(index, len(self.delays) - 1)])
        except asyncio.CancelledError:
            self.cancelled += 1  # the client closed the connection
            await asyncio.shield(self._notify())
            raise
        return web.json_response(HEYGEN_OK)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/heygen/{tail:.*}", self.handle)
        return app
