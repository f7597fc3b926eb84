"""Running the emulator: in-process on a free 127.0.0.1 port, as an async context manager.

``async with Emulator() as emulator:`` starts the server and its background work (the ticker that moves
jobs along on a :class:`ScaledClock`, and webhook deliveries); leaving the block stops them and the server.
The background work runs as plain asyncio tasks rather than an anyio task group because a test fixture may
start the emulator in one task and stop it in another, which a task group's cancel scope does not allow.

``emulator.base_url`` is the gateway URL for ``HeyGenClient(base_url=...)``; ``emulator.url`` is HeyGen itself
for ``HeyGenClient.direct(base_url=..., upload_url=...)``, legacy routes and v3 alike; ``emulator.liveavatar_url``
is LiveAvatar's API. Its clock runs
:data:`DEFAULT_TIME_SCALE` times faster than real time unless another is given (a 32 s render takes about a
second), and clients pace their polls to it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import anyio
from aiohttp import web

from heygen_async._client import HeyGenClient

from ._app import GATEWAY_PREFIX, EmulatorApp
from ._config import EmulatorConfig
from ._faults import Faults
from ._liveavatar_app import PREFIX as LIVEAVATAR_PREFIX
from ._timeline import Clock, ManualClock, ScaledClock, Timeline

if TYPE_CHECKING:
    from typing_extensions import Self

    from heygen_async._liveavatar._client import LiveAvatarClient

    from ._liveavatar_app import LiveAvatarService
    from ._state import Account
    from ._v3_state import V3Account
    from ._webhooks import Delivery

__all__ = ["DEFAULT_TIME_SCALE", "Emulator", "run_emulator"]

HOST = "127.0.0.1"
DEFAULT_TIME_SCALE: Final = 30.0
"""Emulated seconds per real second of the default clock (``ScaledClock(30)``)."""


class Emulator:
    """LowCodeAPI + HeyGen on 127.0.0.1, with state, time and faults under the caller's control.

    ``clock`` is a :class:`ManualClock` (time moves on ``advance()``) or a :class:`ScaledClock`; by default
    ``ScaledClock(DEFAULT_TIME_SCALE)``, 30x real time."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        faults: Faults | None = None,
        port: int = 0,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock: Clock = clock or ScaledClock(DEFAULT_TIME_SCALE)
        self.timeline = Timeline(self.clock)
        self.app = EmulatorApp(self.config, self.timeline, faults)
        self.port = port
        # Random, with no word in them: a client masks any 8 characters of its credentials in what it shows, so
        # a token holding "emulator" would mask that word in every message.
        self.token = "at_" + secrets.token_hex(12)
        self.api_key = "hk_" + secrets.token_hex(12)
        self.liveavatar_key = "la_" + secrets.token_hex(12)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self.timeline.on_schedule = self._wake.set

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        runner = web.AppRunner(self.app.build(), access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self.port, backlog=1024)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        self.app.account.public_url = self.url
        self._tasks.append(asyncio.create_task(self.app.webhooks.run(), name="emulator-webhooks"))
        if not isinstance(self.clock, ManualClock):
            self._tasks.append(asyncio.create_task(self._tick(), name="emulator-ticker"))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop deliveries, the ticker and the server; idempotent."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        with anyio.move_on_after(10, shield=True):
            await asyncio.gather(*tasks, return_exceptions=True)
            # The server first (it waits up to 2 s for requests in flight, which may still probe a webhook
            # URL), then the webhook client those requests used.
            runner, self._runner = self._runner, None
            if runner is not None:
                await runner.cleanup()
            await self.app.webhooks.aclose()

    async def _tick(self) -> None:
        """Run jobs' events when they fall due (a scaled clock moves on its own). Sleeps until the next event,
        and wakes early when a sooner one is scheduled."""
        while True:
            self._wake.clear()
            self.timeline.run_due()
            due = self.timeline.next_due()
            delay = 60.0 if due is None else max(0.0, self.clock.real_seconds(due - self.clock.now()))
            with anyio.move_on_after(delay):
                await self._wake.wait()

    # -- addresses and clients --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """HeyGen itself (direct mode, where v3 is too): ``HeyGenClient.direct(base_url=url, upload_url=url)``."""
        return f"http://{HOST}:{self.port}"

    @property
    def run_id(self) -> str:
        """A random name of this run (not a secret), also served at ``/_emulator/info``."""
        return self.app.run_id

    @property
    def base_url(self) -> str:
        """The gateway: ``HeyGenClient(base_url=base_url)``."""
        return self.url + GATEWAY_PREFIX

    @property
    def liveavatar_url(self) -> str:
        """LiveAvatar (api.liveavatar.com's stand-in): the base URL of a LiveAvatar client (paths ``/v1/...``)."""
        return self.url + LIVEAVATAR_PREFIX

    def client(self, **options: Any) -> HeyGenClient:
        """A gateway client for this emulator (close it, or use it with ``async with``)."""
        return HeyGenClient(self.token, base_url=self.base_url, **options)

    def direct_client(self, **options: Any) -> HeyGenClient:
        return HeyGenClient.direct(self.api_key, base_url=self.url, upload_url=self.url, **options)

    def liveavatar_client(self, **options: Any) -> LiveAvatarClient:
        """A LiveAvatar client for this emulator's LiveAvatar (its own key: ``liveavatar_key``)."""
        from heygen_async._liveavatar._client import LiveAvatarClient

        return LiveAvatarClient(self.liveavatar_key, base_url=self.liveavatar_url, **options)

    # -- control ------------------------------------------------------------------------------------------------

    @property
    def account(self) -> Account:
        """The emulated account's state (videos, sessions, endpoints, ...), for assertions."""
        return self.app.account

    @property
    def v3(self) -> V3Account:
        """HeyGen v3's accounts (one per API key): their jobs, endpoints and events, for assertions."""
        return self.app.v3.state

    @property
    def liveavatar(self) -> LiveAvatarService:
        """LiveAvatar's side: its sessions (``.sessions``), counters and WebSocket faults (``drop_websocket``,
        ``refuse_websocket``, ``delay_connected``, ``end_session``)."""
        return self.app.liveavatar

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery made or attempted, in order."""
        return self.app.webhooks.deliveries

    def stats(self) -> dict[str, Any]:
        """Counters: requests by route, statuses, faults, videos created, sessions open, ..."""
        self.timeline.run_due()
        return self.app.stats()

    @property
    def request_log(self) -> list[dict[str, Any]]:
        """Requests as the emulator saw them (route template, mode, path format, status; tokens redacted)."""
        return list(self.app.log)

    def reset(self) -> None:
        self.app.reset()

    def set_faults(self, faults: Faults) -> None:
        self.app.faults.set(faults)

    def inject(self, kind: str, *, endpoint: str | None = None, times: int = 1) -> None:
        """Make the next ``times`` requests (to ``endpoint``, e.g. ``"videos.generate"``) fail with ``kind``."""
        self.app.faults.inject(kind, endpoint=endpoint, times=times)

    async def advance(self, seconds: float) -> None:
        """Move a :class:`ManualClock` on, run what fell due, and wait for the webhooks that fired."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs an Emulator(clock=ManualClock())")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        self.clock.move_to(self.clock.now() + seconds)
        self.timeline.run_due()
        await self.app.webhooks.drain()

    async def drain_webhooks(self) -> None:
        await self.app.webhooks.drain()


@asynccontextmanager
async def run_emulator(
    config: EmulatorConfig | None = None,
    *,
    clock: Clock | None = None,
    faults: Faults | None = None,
    port: int = 0,
) -> AsyncIterator[Emulator]:
    """``async with run_emulator() as emulator:``: an emulator on a free 127.0.0.1 port for the block (see
    :class:`Emulator` for the arguments; the default clock runs 30x real time)."""
    async with Emulator(config, clock=clock, faults=faults, port=port) as emulator:
        yield emulator
