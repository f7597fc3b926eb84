"""A LITE session's control channel: the WebSocket LiveAvatar gives at ``ws_url`` once the session started.

LiveAvatar drops, silently, every command sent before it says ``session.state_updated: connected``, so every
command goes through an outbox that is only written while the server says connected: a command sent earlier
waits there (in order), never lost. When the socket drops while the session lives, the channel opens it again
(``reconnects`` tries, backing off) and what was not written yet goes out after the next ``connected``; when
that fails, ``on_lost`` closes the session (which stops it). Heartbeats are off (LiveAvatar stalls pongs under
load, and a missed pong would close a good socket); the session's keep-alives hold it open instead.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

import aiohttp
from yarl import URL

from heygen_async._exceptions import APIConnectionError, APIError, APITimeoutError
from heygen_async._redact import Redactor, Secret, url_credentials
from heygen_async._shield import first_of
from heygen_async._transport._pool import ConnectionPool

__all__ = ["ENDPOINT", "LiteChannel", "url_redactor"]

logger = logging.getLogger("heygen_async")
ENDPOINT: Final = "LiveAvatar WebSocket"
"""How errors name the channel (never by its URL: ``ws_url`` carries a credential)."""
SPEECH: Final = frozenset({"agent.speak", "agent.speak_end"})
MAX_MESSAGE: Final = 4 * 1024 * 1024
_MIN_SECRET: Final = 8
"""A query value this long or longer in ``ws_url`` is taken for a credential and scrubbed."""
RECONNECT_PAUSE: Final = 0.2
RECONNECT_PAUSE_MAX: Final = 2.0


_CLOSING: set[asyncio.Future[bool]] = set()
"""Closes of sockets opened for a caller that was cancelled meanwhile, kept until done."""


def _close_opened(opening: asyncio.Future[aiohttp.ClientWebSocketResponse[bool]]) -> None:
    """A handshake given up on by a cancelled caller: close the socket it opened anyway, if it did."""
    if opening.cancelled() or opening.exception() is not None:
        return
    closing = asyncio.ensure_future(opening.result().close())
    _CLOSING.add(closing)
    closing.add_done_callback(_CLOSING.discard)


def url_redactor(url: str, *more: str) -> Redactor:
    """A redactor for one session's WebSocket URL: the URL, its userinfo and each of its query values (the
    credential it carries), and ``more`` (the API key). Its own, per session: the client's redactor keeps a
    bounded number of learnt secrets, and a client runs hundreds of sessions."""
    try:
        values = [value for value in URL(url).query.values() if len(value) >= _MIN_SECRET]
    except ValueError:
        values = []
    return Redactor(url, *url_credentials(url), *values, *more)


class LiteChannel:
    """The WebSocket of one LITE session. ``on_message`` gets every server message (a JSON object with a
    ``type``); ``on_reconnected`` the attempt that reopened it and the utterances (``event_id``) whose audio had
    reached the socket that dropped (LiveAvatar drops the speech of a closed socket); ``on_lost`` why it is
    gone for good (not called once :meth:`close` began, nor after the server said the session is closing or
    closed)."""

    def __init__(
        self,
        pool: ConnectionPool,
        url: Secret,
        redactor: Redactor,
        *,
        on_message: Callable[[Mapping[str, Any]], None],
        on_lost: Callable[[str], None],
        on_reconnected: Callable[[int, frozenset[str]], None],
        connect_timeout: float,
        reconnects: int,
    ) -> None:
        self._pool = pool
        self._url = url
        self._redactor = redactor
        self._on_message = on_message
        self._on_lost = on_lost
        self._on_reconnected = on_reconnected
        self._connect_timeout = connect_timeout
        self._reconnects = reconnects
        self._outbox: collections.deque[tuple[str, str | None, str]] = collections.deque()  # (type, event_id, JSON)
        self._heard: set[str] = set()  # utterances with audio written on the socket open now
        self._ready = asyncio.Event()  # the server said connected (and has not said otherwise since)
        self._wake = asyncio.Event()
        self._ws: aiohttp.ClientWebSocketResponse[bool] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._ended = False  # the server said closing or closed: the session is over
        self._lost = False  # on_lost was called
        self._gone = asyncio.Event()  # closed, lost or ended: wait_ready() stops waiting
        self._watchdog: asyncio.TimerHandle | None = None
        self.sent = 0
        """Messages written to the socket."""
        self.reconnected = 0
        """Times the socket was opened again after a drop."""

    def __repr__(self) -> str:
        return f"<LiteChannel {'ready' if self.ready else 'waiting'} {len(self._outbox)} queued>"

    @property
    def ready(self) -> bool:
        """Whether the server said ``connected`` on the socket now open (commands go out at once)."""
        return self._ready.is_set()

    @property
    def queued(self) -> int:
        """Commands waiting for ``connected`` (or for the socket to reopen)."""
        return len(self._outbox)

    async def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until LiveAvatar says connected (True), or the channel is closed or lost, or ``timeout`` seconds
        pass (False)."""
        if self._ready.is_set():
            return True
        if self._closing or self._lost or self._ended:
            return False
        await first_of(
            asyncio.ensure_future(self._ready.wait()), asyncio.ensure_future(self._gone.wait()), timeout=timeout
        )
        return self._ready.is_set()

    async def open(self) -> None:
        """Open the socket (bounded by ``connect_timeout``); does not wait for ``connected``, but a socket on
        which LiveAvatar has not said it within ``connect_timeout`` is lost (``on_lost``). A channel closed while
        its socket was opening closes that socket and starts nothing."""
        ws = await self._connect()
        if self._closing:
            await self._shut(ws)
            return
        self._ws = ws
        self._watch(ws)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._read(), name="heygen-lite-read"),
            loop.create_task(self._write(), name="heygen-lite-write"),
        ]

    def send(self, message: Mapping[str, Any], *, first: bool = False) -> None:
        """Queue ``message`` (``first``: ahead of everything queued, as an interrupt must be)."""
        event_id = message.get("event_id")
        item = (
            str(message.get("type")),
            event_id if isinstance(event_id, str) else None,
            json.dumps(message, separators=(",", ":")),
        )
        if first:
            self._outbox.appendleft(item)
        else:
            self._outbox.append(item)
        self._wake.set()

    def drop_speech(self) -> int:
        """Drop the audio and utterance ends not written yet (an interrupt); returns how many."""
        kept = collections.deque(item for item in self._outbox if item[0] not in SPEECH)
        dropped = len(self._outbox) - len(kept)
        self._outbox = kept
        return dropped

    async def close(self, timeout: float = 1.0) -> None:
        """Stop reading and writing, and close the socket (bounded by ``timeout``); never raises."""
        self._closing = True
        self._gone.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        ws, self._ws = self._ws, None
        if ws is not None:
            await self._shut(ws, timeout)
        self._unwatch()

    @staticmethod
    async def _shut(ws: aiohttp.ClientWebSocketResponse[bool], timeout: float = 1.0) -> None:
        if ws.closed:
            return
        try:
            await asyncio.wait_for(ws.close(), timeout)
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError):
            logger.debug("the LITE WebSocket did not close cleanly within %.1f s", timeout)

    def _watch(self, ws: aiohttp.ClientWebSocketResponse[bool]) -> None:
        """LiveAvatar must say ``connected`` on ``ws`` within ``connect_timeout``: else the channel is lost (a
        session that cannot speak is closed and stopped, not kept alive and billed)."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = asyncio.get_running_loop().call_later(self._connect_timeout, self._never_connected, ws)

    def _unwatch(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _never_connected(self, ws: aiohttp.ClientWebSocketResponse[bool]) -> None:
        self._watchdog = None
        if ws is not self._ws or self._ready.is_set() or self._closing or self._ended or self._lost:
            return
        self._lost = True
        self._gone.set()
        self._on_lost(f"LiveAvatar did not say connected within {self._connect_timeout:g} s of the WebSocket opening")

    # -- the socket --------------------------------------------------------------------------------------------

    async def _connect(self) -> aiohttp.ClientWebSocketResponse[bool]:
        sockets = self._pool.websockets()

        async def handshake() -> aiohttp.ClientWebSocketResponse[bool]:
            return await sockets.ws_connect(self._url.reveal(), heartbeat=None, autoping=True, max_msg_size=MAX_MESSAGE)

        opening = asyncio.ensure_future(handshake())
        try:
            # Not asyncio.wait_for: on 3.10/3.11 a cancellation arriving as the handshake completes loses the
            # socket it opened. Here a socket opened by then is closed, and the cancellation goes on.
            done, _ = await asyncio.wait({opening}, timeout=self._connect_timeout)
        except asyncio.CancelledError:
            opening.cancel()
            opening.add_done_callback(_close_opened)
            raise
        # Nothing of a failed handshake outlives this frame: aiohttp's error (its request_info holds the URL and
        # its credential) is read for its kind and status only, and the error raised has no context or cause.
        if not done:
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)
            failure: APIConnectionError = APITimeoutError(
                f"the LITE WebSocket did not open within {self._connect_timeout:g} s",
                endpoint=ENDPOINT,
                maybe_processed=False,
            )
        else:
            error = opening.exception()
            if error is None:
                return opening.result()
            failure = self._failure(error)
            del error
        del opening, done
        raise failure

    def _failure(self, error: BaseException) -> APIConnectionError:
        """What a failed handshake's ``error`` says, scrubbed, as a new error with no link to it."""
        if isinstance(error, aiohttp.WSServerHandshakeError):
            text = f"LiveAvatar refused the LITE WebSocket (HTTP {error.status})"
        elif isinstance(error, (aiohttp.ClientError, OSError)):
            text = f"the LITE WebSocket could not be opened: {self._redactor.text(f'{type(error).__name__}: {error}')}"
        else:
            text = f"the LITE WebSocket could not be opened: {type(error).__name__}"
        return APIConnectionError(text, endpoint=ENDPOINT, maybe_processed=False)

    async def _read(self) -> None:
        while True:
            ws = self._ws
            assert ws is not None
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._receive(message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    break
            self._ready.clear()
            self._unwatch()  # that socket is gone: the reopened one gets a watchdog of its own
            if self._closing or self._ended:
                return
            if not await self._reopen():
                if not self._lost:
                    self._lost = True
                    self._gone.set()
                    self._on_lost(f"the LITE WebSocket closed (code {ws.close_code}) and could not be opened again")
                return

    def _receive(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            logger.warning("LiveAvatar sent a WebSocket message that is not JSON; ignored")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            logger.warning("LiveAvatar sent a WebSocket message without a type; ignored")
            return
        if message["type"] == "agent.speak_ended" and isinstance(message.get("event_id"), str):
            self._heard.discard(message["event_id"])
        if message["type"] == "session.state_updated":
            state = str(message.get("state", "")).lower()
            if state == "connected":
                self._ready.set()
                self._wake.set()
                self._unwatch()
            elif state in ("closing", "closed"):
                self._ended = True
                self._ready.clear()
                self._gone.set()
            else:  # connecting (again): LiveAvatar must say connected within connect_timeout, as after an open
                self._ready.clear()
                if self._ws is not None and self._watchdog is None:
                    self._watch(self._ws)
        self._on_message(message)

    async def _reopen(self) -> bool:
        pause = RECONNECT_PAUSE
        for attempt in range(1, self._reconnects + 1):
            await asyncio.sleep(pause)
            pause = min(RECONNECT_PAUSE_MAX, pause * 2)
            if self._closing:
                return False
            try:
                self._ws = await self._connect()
                self._watch(self._ws)
            except APIError as exc:
                logger.info("reopening the LITE WebSocket failed (attempt %d): %s", attempt, exc)
                continue
            self.reconnected += 1
            lost, self._heard = self._heard, set()
            self._on_reconnected(attempt, frozenset(lost))
            return True
        return False

    async def _write(self) -> None:
        while True:
            if not (self._outbox and self._ready.is_set()):
                self._wake.clear()
                await self._wake.wait()
                continue
            ws = self._ws
            item = self._outbox[0]
            try:
                assert ws is not None
                await ws.send_str(item[2])
            except (ConnectionError, aiohttp.ClientError, RuntimeError):
                # The socket is going: the reader opens it again; the message stays first in line.
                self._ready.clear()
                continue
            if self._outbox and self._outbox[0] is item:
                self._outbox.popleft()
            elif item in self._outbox:  # an interrupt went ahead of it meanwhile
                self._outbox.remove(item)
            self.sent += 1
            if item[0] in SPEECH and item[1] is not None:
                self._heard.add(item[1])
            elif item[0] == "agent.interrupt":
                self._heard.clear()  # LiveAvatar drops all speech: none of it is lost to a drop any more
