"""An aiohttp web app that starts renders on request and learns that they ended from HeyGen's webhook.

What it shows:

- one :class:`heygen_async.HeyGenClient` for the app's whole life, owned by a cleanup context
  (``app.cleanup_ctx``): opened at startup, closed at shutdown, shared by every request;
- ``POST /videos`` with ``{"script": "..."}`` (optionally ``avatar_id``, ``voice_id``) starts a render with
  ``client.videos.generate`` and answers 202 with its ``video_id``;
- a :class:`heygen_async.webhooks.WebhookReceiver` at ``/webhooks/heygen`` verifies HeyGen's signed deliveries
  and records each render's end in a local store. Once the app is listening (HeyGen probes the URL before it
  registers it), :func:`register_webhook` registers the URL with ``client.webhooks.ensure(...)`` and hands the
  endpoint's secret to the receiver;
- ``GET /videos/{video_id}`` answers from that store (``"source": "webhook"``) and, for a render no webhook
  has reported yet, asks HeyGen with ``client.videos.status`` (``"source": "heygen"``).

By default it runs a demo against the embedded emulator, started in-process on 127.0.0.1 (no account, no
internet; renders run 60x faster than real time): it serves the app on a free 127.0.0.1 port, starts one
render through ``POST /videos``, follows it with ``GET /videos/{id}`` until the webhook has reported its end,
and prints the outcome. The exit code is 0 when the render's end arrived by webhook, 1 otherwise.

Run it with::

    python examples/aiohttp_app.py                          # the demo
    python examples/aiohttp_app.py --script "Hi #fail"      # the emulator fails scripts containing #fail
    python examples/aiohttp_app.py --serve --port 8080      # keep serving (still on the emulator) until Ctrl-C

Against a real gateway (token from ``LOWCODEAPI_API_TOKEN``), HeyGen must reach the app: pass the public
https URL that leads to it (a reverse proxy or a tunnel)::

    python examples/aiohttp_app.py --serve --base-url https://api.lowcodeapi.com/heygen \\
        --public-url https://renders.example.com
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Final

import aiohttp
from aiohttp import web

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.emulator import Emulator, ScaledClock

log = logging.getLogger("aiohttp_app")

WEBHOOK_PATH: Final = "/webhooks/heygen"
DEFAULT_AVATAR: Final = "Angela-inTshirt-20220820"
DEFAULT_VOICE: Final = "1bd001e7e50f421d891986aad5158bc8"
DEFAULT_SCRIPT: Final = "Hello from an aiohttp app! HeyGen tells the app by webhook when this video is ready."
FINAL: Final = frozenset({"completed", "failed"})

Connect = Callable[[], hg.HeyGenClient]


# -- what the webhook tells the app ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Render:
    """How a render ended, as its webhook reported it."""

    video_id: str
    status: str
    video_url: str | None = None
    reason: str | None = None


class RenderStore:
    """The renders whose end a webhook has reported, in memory (a real app would use its database)."""

    def __init__(self) -> None:
        self._renders: dict[str, Render] = {}

    def get(self, video_id: str) -> Render | None:
        return self._renders.get(video_id)

    def record(self, event: webhooks.WebhookEvent) -> None:
        """The receiver's handler: keep a render's end (any other event is not this store's business)."""
        if not isinstance(event, webhooks.AvatarVideoEvent) or event.video_id is None:
            return
        status = "completed" if event.succeeded else "failed"
        self._renders[event.video_id] = Render(event.video_id, status, event.url, event.reason)
        log.info("webhook: video %s %s", event.video_id, status)


# -- the app ------------------------------------------------------------------------------------------------------

CLIENT: Final = web.AppKey("heygen_client", hg.HeyGenClient)
RECEIVER: Final = web.AppKey("heygen_webhooks", webhooks.WebhookReceiver)
STORE: Final = web.AppKey("renders", RenderStore)


def error_response(exc: hg.HeyGenError) -> web.Response:
    """A HeyGen error as this app's answer: our caller's mistake (400, 404), or the upstream's (502)."""
    if isinstance(exc, (hg.ValidationError, hg.BadRequestError)):
        status = 400
    elif isinstance(exc, hg.NotFoundError):
        status = 404
    else:
        status = 502
    return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=status)


async def start_render(request: web.Request) -> web.Response:
    """``POST /videos`` ``{"script": ..., "avatar_id"?: ..., "voice_id"?: ...}`` -> 202 ``{"video_id": ...}``."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    script = body.get("script") if isinstance(body, dict) else None
    if not isinstance(script, str) or not script.strip():
        return web.json_response({"error": 'expected a JSON object with a non-empty "script"'}, status=400)
    scene = hg.VideoInput(
        character=hg.AvatarCharacter(avatar_id=str(body.get("avatar_id") or DEFAULT_AVATAR)),
        voice=hg.TextVoice(input_text=script, voice_id=str(body.get("voice_id") or DEFAULT_VOICE)),
    )
    try:
        job = await request.app[CLIENT].videos.generate([scene])
    except hg.HeyGenError as exc:
        return error_response(exc)
    log.info("render %s started", job.video_id)
    return web.json_response({"video_id": job.video_id}, status=202)


async def show_render(request: web.Request) -> web.Response:
    """``GET /videos/{video_id}``: what the webhook reported, else what HeyGen says now."""
    video_id = request.match_info["video_id"]
    render = request.app[STORE].get(video_id)
    if render is not None:
        return web.json_response({**dataclasses.asdict(render), "source": "webhook"})
    try:
        video = await request.app[CLIENT].videos.status(video_id)
    except hg.HeyGenError as exc:
        return error_response(exc)
    reason = video.error.message if video.error is not None else None
    status = None if video.status is None else str(video.status)
    return web.json_response(
        {"video_id": video_id, "status": status, "video_url": video.video_url, "reason": reason, "source": "heygen"}
    )


def create_app(connect: Connect) -> web.Application:
    """The app; ``connect()`` makes the HeyGen client its cleanup context opens at startup and closes at exit."""
    app = web.Application()
    store = RenderStore()
    receiver = webhooks.WebhookReceiver()  # its secret comes with the registration, once the app is serving
    receiver.on(webhooks.AvatarVideoSuccess, webhooks.AvatarVideoFail)(store.record)
    app[STORE] = store
    app[RECEIVER] = receiver

    async def heygen_client(app: web.Application) -> AsyncIterator[None]:
        async with connect() as client:
            app[CLIENT] = client
            yield

    app.cleanup_ctx.append(heygen_client)
    app.router.add_post("/videos", start_render)
    app.router.add_get("/videos/{video_id}", show_render)
    app.router.add_route("*", WEBHOOK_PATH, receiver.aiohttp_handler)
    return app


async def register_webhook(app: web.Application, public_url: str) -> str:
    """Register the app's webhook URL with HeyGen (once; a later start finds it) and verify with its secret.

    Call it once the app is listening: HeyGen probes the URL with OPTIONS before it registers it."""
    url = public_url.rstrip("/") + WEBHOOK_PATH
    endpoint = await app[CLIENT].webhooks.ensure(url, [webhooks.AvatarVideoSuccess, webhooks.AvatarVideoFail])
    if not endpoint.secret:
        raise RuntimeError(f"HeyGen returned no secret for the webhook endpoint {url}")
    app[RECEIVER].set_secret(endpoint.secret)
    return url


@contextlib.asynccontextmanager
async def serving(
    app: web.Application, *, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None
) -> AsyncIterator[str]:
    """Serve ``app`` on ``host:port`` (0: a free port), register its webhook, and yield its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()  # runs the cleanup context: the client is open from here
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        base_url = f"http://{host}:{runner.addresses[0][1]}"
        webhook_url = await register_webhook(app, public_url or base_url)
        log.info("serving on %s; webhook endpoint %s registered", base_url, webhook_url)
        yield base_url
    finally:
        await runner.cleanup()  # the cleanup context closes the client


# -- the demo -------------------------------------------------------------------------------------------------------


async def drive_one_render(base_url: str, script: str, *, timeout: float) -> dict[str, Any]:
    """Start a render through the app and follow it until the webhook has reported its end (or ``timeout``);
    returns the app's last answer for it."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}/videos", json={"script": script}) as response:
            started = await response.json()
            print(f"POST /videos -> {response.status} {started}", flush=True)
            if response.status != 202:
                raise RuntimeError(f"the app refused the render: {started}")
        video_id = started["video_id"]
        deadline = time.monotonic() + timeout
        seen: tuple[Any, Any] | None = None
        while True:
            async with http.get(f"{base_url}/videos/{video_id}") as response:
                render: dict[str, Any] = await response.json()
            if (render.get("status"), render.get("source")) != seen:
                seen = (render.get("status"), render.get("source"))
                print(f"GET /videos/{video_id} -> {render.get('status')} (source: {render.get('source')})", flush=True)
            if render.get("source") == "webhook" or time.monotonic() > deadline:
                return render
            await asyncio.sleep(0.1)


async def until_signalled() -> None:
    """Wait for SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--demo", action="store_true", help="drive one render through the app, then exit (default)")
    mode.add_argument("--serve", action="store_true", help="keep serving until SIGINT or SIGTERM")
    parser.add_argument("--script", default=DEFAULT_SCRIPT, help="the demo render's script")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds the demo waits for the webhook")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="the port (default: free for the demo, 8080 to serve)")
    parser.add_argument("--time-scale", type=_speed, default=60.0, help="the emulator's speed-up (default 60)")
    target = parser.add_argument_group("a real gateway (default: the embedded emulator)")
    target.add_argument("--base-url", help="the gateway URL; the token comes from LOWCODEAPI_API_TOKEN")
    target.add_argument("--public-url", help="the https URL at which HeyGen reaches this app")
    args = parser.parse_args(argv)
    if args.base_url is not None and args.public_url is None:
        parser.error("--base-url needs --public-url: HeyGen must be able to reach the webhook")
    return args


def _speed(text: str) -> float:
    """A positive, finite speed-up for the emulator's clock (argparse reports anything else as a usage error)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a speed-up > 0, got {text!r}")
    return value


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    port = args.port if args.port is not None else (8080 if args.serve else 0)
    async with contextlib.AsyncExitStack() as stack:
        if args.base_url is None:
            emulator = await stack.enter_async_context(Emulator(clock=ScaledClock(args.time_scale)))
            connect: Connect = emulator.client
            print(f"emulator: {emulator.base_url} (time runs {args.time_scale:g}x)", flush=True)
        else:
            connect = functools.partial(hg.HeyGenClient, base_url=args.base_url)
        app = create_app(connect)
        try:
            base_url = await stack.enter_async_context(
                serving(app, host=args.host, port=port, public_url=args.public_url)
            )
        except hg.HeyGenError as exc:  # no token, or the webhook could not be registered
            print(f"aiohttp_app: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
        print(f"app: {base_url} (webhook at {WEBHOOK_PATH})", flush=True)
        if args.serve:
            await until_signalled()
            return 0
        render = await drive_one_render(base_url, args.script, timeout=args.timeout)
        stats = app[RECEIVER].stats
    print(f"webhook receiver: {stats.handled} handled, {stats.duplicates} duplicate(s), {stats.unauthorized} refused")
    reason = f": {render['reason']}" if render.get("reason") else ""
    print(f"outcome: video {render.get('video_id')} {render.get('status')} (source: {render.get('source')}){reason}")
    return 0 if render.get("source") == "webhook" and render.get("status") in FINAL else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)7.0f ms  %(message)s", stream=sys.stdout)
    sys.exit(asyncio.run(main()))
