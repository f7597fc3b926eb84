"""Calls against aioresponses or a real aiohttp app on 127.0.0.1: a token that must never leak, the gateway's
base URL, a retry policy that never waits, and readers of what was sent."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aioresponses import aioresponses
from yarl import URL

import heygen_async as hg

TOKEN = "at_test-Sup3rSecret-token-0123456789"
BASE = "http://gateway.test/heygen"
FAST = hg.RetryPolicy(attempts=3, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)

ServerFactory = Callable[[web.Application], Awaitable[str]]
"""The ``serve`` fixture: start an app on 127.0.0.1 and get its base URL (with ``/heygen``)."""


def sent(m: aioresponses) -> list[tuple[str, URL, dict[str, Any]]]:
    """Every request aioresponses saw, in order: (method, URL, kwargs)."""
    calls = [
        (key[0], key[1], call.kwargs, index) for key, calls in m.requests.items() for index, call in enumerate(calls)
    ]
    return [(method, url, kwargs) for method, url, kwargs, _ in calls]


def sent_json(kwargs: dict[str, Any]) -> Any:
    data = kwargs.get("data")
    return None if data is None else json.loads(data)
