"""The connection pool: one aiohttp session per client, shared by its ``with_options`` handles.

The pool holds HTTP only: the aiohttp session and connector (created lazily on the running loop), the limits,
the request counters and what answers said about the server's clock. The services built on it (the poll
scheduler, the ledgers, the live sessions) belong to the client's :class:`~heygen_async._runtime.Runtime`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
from typing import Final

import aiohttp
import attrs
from yarl import URL

from heygen_async._config import Limits
from heygen_async._exceptions import ClientClosedError, ConfigurationError
from heygen_async._version import __version__

__all__ = ["MAX_TIME_SCALE", "TIME_SCALE_HEADER", "USER_AGENT", "ClientStats", "ConnectionPool", "is_loopback"]

USER_AGENT: Final = f"heygen-async/{__version__} aiohttp/{aiohttp.__version__}"
TIME_SCALE_HEADER: Final = "x-heygen-emulator-time-scale"
"""How many emulated seconds pass per real second at the emulator that answered (it sends this header on
every answer while its clock runs on its own). Honoured only from a loopback address, within 1..MAX_TIME_SCALE."""
MAX_TIME_SCALE: Final = 1000.0


@attrs.define
class ClientStats:
    """What one connection pool (a client and its ``with_options`` handles) has sent: HTTP requests (every
    attempt, status polls included) and retries. Plain counters, for summaries and metrics."""

    requests: int = 0
    retries: int = 0


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine by a loopback address or ``localhost``."""
    host = URL(url).host or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConnectionPool:
    """The "session pool": one aiohttp session and connector, created lazily on the running loop.

    Owned by the client that created it; handles from ``with_options`` share it and never close it.
    Cookies are never stored, so tenants sharing the pool cannot see each other's.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._session: aiohttp.ClientSession | None = None
        self._sockets: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.time_scale = 1.0
        """How many times faster than real time the server's clock runs: 1, except for an emulator on a
        loopback address that says otherwise (:data:`TIME_SCALE_HEADER`); poll cadences are divided by it."""
        self.closed = False
        self.stats = ClientStats()

    def saw_time_scale(self, value: str | None) -> None:
        """Note an emulator's :data:`TIME_SCALE_HEADER` (the caller checked the answer came from a loopback
        address); a value that is not a number is ignored, and speed-ups are kept within 1..MAX_TIME_SCALE."""
        if value is None:
            return
        try:
            scale = float(value)
        except ValueError:
            return
        if math.isfinite(scale):
            self.time_scale = min(MAX_TIME_SCALE, max(1.0, scale))

    @property
    def is_open(self) -> bool:
        """Whether an aiohttp session exists and still needs closing."""
        return self._session is not None and not self._session.closed

    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session (created on first use, on the running loop, which it then belongs to)."""
        if self.closed:
            raise ClientClosedError("the client is closed; create a new HeyGenClient")
        session = self._session
        loop = asyncio.get_running_loop()
        if session is None:
            connector = aiohttp.TCPConnector(
                limit=self.limits.max_connections,
                limit_per_host=self.limits.max_connections_per_host,
                keepalive_timeout=self.limits.keepalive_expiry,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
            # aiohttp resends a GET/PUT/DELETE once, unseen, when a kept-alive connection turns out closed.
            # One retry layer only: the call loop decides (max_retries, idempotent=False, on_retry, attempts).
            # There is no public switch; aiohttp's own test client clears this attribute too.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
            self._session = session
            self._loop = loop
        elif self._loop is not loop:
            raise ConfigurationError(
                "this client's connection pool belongs to another event loop; "
                "create the client inside the event loop that uses it"
            )
        return session

    def websockets(self) -> aiohttp.ClientSession:
        """The aiohttp session WebSockets open on (a LiveAvatar LITE session's control channel): its own
        connector, unbounded, since each socket holds its connection for a session's whole life and must not
        take the slots of the pool's requests (``Limits.max_connections``). Made on first use, on the loop the
        pool belongs to; closed with the pool."""
        requests = self.session()  # the closed and wrong-loop checks, and the loop it binds to
        sockets = self._sockets
        if sockets is None or sockets.closed:
            sockets = self._sockets = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                headers={"User-Agent": requests.headers.get("User-Agent", USER_AGENT)},
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return sockets

    async def aclose(self) -> None:
        """Close the pool; idempotent. Open connections are closed, not left for the garbage collector."""
        self.closed = True
        session, self._session = self._session, None
        sockets, self._sockets = self._sockets, None
        if sockets is not None and not sockets.closed:
            await sockets.close()
        if session is not None and not session.closed:
            await session.close()
