"""A FastAPI app that starts renders on request and learns that they ended from HeyGen's webhook.

What it shows:

- one :class:`heygen_async.HeyGenClient` for the app's whole life, owned by its lifespan: opened at startup,
  closed at shutdown, handed to each request through a dependency (``Depends(heygen_client)``);
- ``POST /videos`` with ``{"script": "..."}`` (optionally ``avatar_id``, ``voice_id``) starts a render with
  ``client.videos.generate`` and answers 202 with its ``video_id``;
- a :class:`heygen_async.webhooks.WebhookReceiver` mounted as an ASGI app (``app.mount("/webhooks/heygen",
  receiver)``) verifies HeyGen's signed deliveries and records each render's end in a local store. A mount
  answers below its path, so the webhook URL is ``.../webhooks/heygen/`` (with the slash). Once the app is
  listening (HeyGen probes the URL before it registers it), :func:`register_webhook` registers the URL with
  ``client.webhooks.ensure(...)`` and hands the endpoint's secret to the receiver;
- ``GET /videos/{video_id}`` answers from that store (``"source": "webhook"``) and, for a render no webhook
  has reported yet, asks HeyGen with ``client.videos.status`` (``"source": "heygen"``).

By default it runs a demo against the embedded emulator, started in-process on 127.0.0.1 (no account, no
internet; renders run 60x faster than real time): it serves the app under uvicorn on a free 127.0.0.1 port,
starts one render through ``POST /videos``, follows it with ``GET /videos/{id}`` until the webhook has
reported its end, and prints the outcome. The exit code is 0 when the render's end arrived by webhook, 1
otherwise.

Run it with::

    python examples/fastapi_app.py                          # the demo
    python examples/fastapi_app.py --script "Hi #fail"      # the emulator fails scripts containing #fail
    python examples/fastapi_app.py --serve --port 8080      # keep serving (still on the emulator) until Ctrl-C

Against a real gateway (token from ``LOWCODEAPI_API_TOKEN``), HeyGen must reach the app: pass the public
https URL that leads to it (a reverse proxy or a tunnel)::

    python examples/fastapi_app.py --serve --base-url https://api.lowcodeapi.com/heygen \\
        --public-url https://renders.example.com
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Annotated, Any, Final, Literal

import aiohttp
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.emulator import Emulator, ScaledClock

log = logging.getLogger("fastapi_app")

WEBHOOK_PATH: Final = "/webhooks/heygen"
DEFAULT_AVATAR: Final = "Angela-inTshirt-20220820"
DEFAULT_VOICE: Final = "1bd001e7e50f421d891986aad5158bc8"
DEFAULT_SCRIPT: Final = "Hello from a FastAPI app! HeyGen tells the app by webhook when this video is ready."
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


class Services:
    """What the app's requests share: the HeyGen client (open while the lifespan runs), the webhook receiver,
    and the store the receiver fills."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._client: hg.HeyGenClient | None = None
        self.store = RenderStore()
        self.receiver = webhooks.WebhookReceiver()  # its secret comes with the registration, once serving
        self.receiver.on(webhooks.AvatarVideoSuccess, webhooks.AvatarVideoFail)(self.store.record)

    @property
    def client(self) -> hg.HeyGenClient:
        if self._client is None:
            raise RuntimeError("the app is not running: its lifespan opens the HeyGen client")
        return self._client

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        async with self._connect() as client:
            self._client = client
            try:
                yield
            finally:
                self._client = None


# -- the app ------------------------------------------------------------------------------------------------------


class RenderOrder(BaseModel):
    script: str = Field(min_length=1, description="what the avatar says")
    avatar_id: str = DEFAULT_AVATAR
    voice_id: str = DEFAULT_VOICE


class RenderStarted(BaseModel):
    video_id: str


class RenderState(BaseModel):
    video_id: str
    status: str | None
    video_url: str | None = None
    reason: str | None = None
    source: Literal["webhook", "heygen"]


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


def heygen_client(request: Request) -> hg.HeyGenClient:
    """The dependency that hands a request the app's one client."""
    return services_of(request.app).client


HeyGen = Annotated[hg.HeyGenClient, Depends(heygen_client)]
router = APIRouter()


def http_error(exc: hg.HeyGenError) -> HTTPException:
    """A HeyGen error as this app's answer: our caller's mistake (400, 404), or the upstream's (502)."""
    if isinstance(exc, (hg.ValidationError, hg.BadRequestError)):
        status = 400
    elif isinstance(exc, hg.NotFoundError):
        status = 404
    else:
        status = 502
    return HTTPException(status, f"{type(exc).__name__}: {exc}")


@router.post("/videos", status_code=202)
async def start_render(order: RenderOrder, client: HeyGen) -> RenderStarted:
    scene = hg.VideoInput(
        character=hg.AvatarCharacter(avatar_id=order.avatar_id),
        voice=hg.TextVoice(input_text=order.script, voice_id=order.voice_id),
    )
    try:
        job = await client.videos.generate([scene])
    except hg.HeyGenError as exc:
        raise http_error(exc) from None
    if not job.video_id:
        raise HTTPException(502, "HeyGen answered without a video_id")
    log.info("render %s started", job.video_id)
    return RenderStarted(video_id=job.video_id)


@router.get("/videos/{video_id}")
async def show_render(video_id: str, request: Request, client: HeyGen) -> RenderState:
    """What the webhook reported, else what HeyGen says now."""
    render = services_of(request.app).store.get(video_id)
    if render is not None:
        return RenderState(**dataclasses.asdict(render), source="webhook")
    try:
        video = await client.videos.status(video_id)
    except hg.HeyGenError as exc:
        raise http_error(exc) from None
    return RenderState(
        video_id=video_id,
        status=None if video.status is None else str(video.status),
        video_url=video.video_url,
        reason=video.error.message if video.error is not None else None,
        source="heygen",
    )


def create_app(connect: Connect) -> FastAPI:
    """The app; ``connect()`` makes the HeyGen client its lifespan opens at startup and closes at exit."""
    services = Services(connect)
    app = FastAPI(title="renders", lifespan=services.lifespan)
    app.state.services = services
    app.include_router(router)
    app.mount(WEBHOOK_PATH, services.receiver)
    return app


async def register_webhook(app: FastAPI, public_url: str) -> str:
    """Register the app's webhook URL with HeyGen (once; a later start finds it) and verify with its secret.

    Call it once the app is listening: HeyGen probes the URL with OPTIONS before it registers it."""
    services = services_of(app)
    url = public_url.rstrip("/") + WEBHOOK_PATH + "/"  # the mount answers below its path
    endpoint = await services.client.webhooks.ensure(url, [webhooks.AvatarVideoSuccess, webhooks.AvatarVideoFail])
    if not endpoint.secret:
        raise RuntimeError(f"HeyGen returned no secret for the webhook endpoint {url}")
    services.receiver.set_secret(endpoint.secret)
    return url


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: whoever runs it decides when it stops (``should_exit``)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(
    app: FastAPI, *, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None
) -> AsyncIterator[str]:
    """Serve ``app`` under uvicorn on ``host:port`` (0: a free port), register its webhook, yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    server = _Server(uvicorn.Config(app, lifespan="on", log_config=None, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # the lifespan (the client) first, then the socket listens
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started serving")
            await asyncio.sleep(0.01)
        webhook_url = await register_webhook(app, public_url or base_url)
        log.info("serving on %s; webhook endpoint %s registered", base_url, webhook_url)
        yield base_url
    finally:
        server.should_exit = True
        await task  # the lifespan closes the client
        sock.close()


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
    if args.base_url is not None:
        if args.public_url is None:
            parser.error("--base-url needs --public-url: HeyGen must be able to reach the webhook")
        if not os.environ.get("LOWCODEAPI_API_TOKEN"):  # checked here: uvicorn would exit on a failed lifespan
            parser.error("--base-url needs the gateway token in LOWCODEAPI_API_TOKEN")
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
        except hg.HeyGenError as exc:  # the webhook could not be registered
            print(f"fastapi_app: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
        print(f"app: {base_url} (webhook at {WEBHOOK_PATH}/)", flush=True)
        if args.serve:
            await until_signalled()
            return 0
        render = await drive_one_render(base_url, args.script, timeout=args.timeout)
        stats = services_of(app).receiver.stats
    print(f"webhook receiver: {stats.handled} handled, {stats.duplicates} duplicate(s), {stats.unauthorized} refused")
    reason = f": {render['reason']}" if render.get("reason") else ""
    print(f"outcome: video {render.get('video_id')} {render.get('status')} (source: {render.get('source')}){reason}")
    return 0 if render.get("source") == "webhook" and render.get("status") in FINAL else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)7.0f ms  %(message)s", stream=sys.stdout)
    sys.exit(asyncio.run(main()))
