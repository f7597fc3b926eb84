"""Serving a WebhookReceiver on 127.0.0.1 the three ways an app would (aiohttp route, aiohttp sub-app, ASGI), and
deliveries signed as HeyGen signs them."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import uvicorn
from aiohttp import web
from aiohttp.test_utils import TestServer

from heygen_async import webhooks

Start = Callable[[webhooks.WebhookReceiver], Awaitable[str]]
WAYS = ["aiohttp-route", "aiohttp-subapp", "asgi"]
WEBHOOK_SECRET = "whsec_receiver-Secret-0123456789"


def body_of(event_type: str = "avatar_video.success", **data: Any) -> bytes:
    """A delivery's raw body: ``event_type`` with ``data`` (``video_id`` "v1" unless given), as HeyGen sends it."""
    data.setdefault("video_id", "v1")
    return json.dumps({"event_type": event_type, "event_data": data}, separators=(",", ":")).encode()


def signed_headers(body: bytes, secret: str = WEBHOOK_SECRET) -> list[tuple[bytes, bytes]]:
    """ASGI headers carrying ``body``'s signature with ``secret``."""
    return [(b"signature", hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode())]


async def post_delivery(http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """POST ``body`` to a receiver: its status and its JSON answer (None when empty)."""
    async with http.post(url, data=body, headers=headers) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


@contextlib.asynccontextmanager
async def serving(way: str) -> AsyncIterator[Start]:
    """A function that serves a receiver ``way`` and returns the webhook URL; everything stops on exit."""
    stops: list[Callable[[], Awaitable[None]]] = []

    async def start(receiver: webhooks.WebhookReceiver) -> str:
        if way == "asgi":
            url, stop = await serve_asgi(receiver)
            stops.append(stop)
            return url + "/webhooks/heygen"
        app = web.Application()
        if way == "aiohttp-route":
            app.router.add_route("*", "/webhooks/heygen", receiver.aiohttp_handler)
        else:
            app.add_subapp("/webhooks/heygen", receiver.aiohttp_app())
        server = TestServer(app, host="127.0.0.1")
        await server.start_server(access_log=None)
        stops.append(server.close)
        return str(server.make_url("/webhooks/heygen" if way == "aiohttp-route" else "/webhooks/heygen/"))

    try:
        yield start
    finally:
        for stop in reversed(stops):
            await stop()


async def serve_asgi(app: webhooks.WebhookReceiver) -> tuple[str, Callable[[], Awaitable[None]]]:
    """Run the ASGI app under uvicorn on a free 127.0.0.1 port: (base URL, stop)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]  # leave the test's signals be
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)

    async def stop() -> None:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()

    return f"http://127.0.0.1:{port}", stop
