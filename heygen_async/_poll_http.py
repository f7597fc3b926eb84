"""The poll scheduler's own HTTP/1.1 GET path: keep-alive connections on asyncio protocols.

Status polls are the one call a client makes thousands of times a minute, always a bodiless GET of a small
JSON answer. aiohttp's general request path (sessions, tracing, cookies, redirects, compression, streaming)
costs most of a poll's client CPU; this path does only what a poll needs: write one request, parse the
status line, headers and a ``Content-Length``, chunked or read-until-close body, and keep the connection for
the next poll. Everything after the bytes (the envelope, errors, ``Retry-After``, redaction) is the same code
as every other call. Nothing is retried here: the scheduler's cadence is the retry.

Connections are per (scheme, host, port), at most ``max_idle`` kept idle, each for ``keepalive_expiry``
seconds; a connection is reused only after its answer was read whole and the server did not ask to close.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import ssl
from collections.abc import Callable, Mapping
from typing import Final

from yarl import URL

__all__ = ["PollConnectError", "PollHTTP", "PollProtocolError", "PollTimeoutError", "TooLarge"]

logger = logging.getLogger("heygen_async")

_DIGITS: Final = re.compile(r"[0-9]{1,18}")
_HEX: Final = re.compile(rb"[0-9A-Fa-f]{1,16}")
MAX_HEAD: Final = 64 * 1024
"""The most bytes a status line and headers may take."""
SWEEP: Final = 0.1
"""How often answers past their deadline are looked for (a poll's timeout is late by at most this)."""


class PollConnectError(OSError):
    """No connection could be made: nothing was sent."""


class PollTimeoutError(asyncio.TimeoutError):
    """The connection (``connecting``) or the answer did not come in time."""

    def __init__(self, message: str, *, connecting: bool) -> None:
        super().__init__(message)
        self.connecting = connecting


class PollProtocolError(Exception):
    """The connection broke, or the answer was not HTTP/1.x as expected (the request may have been served)."""


class TooLarge(PollProtocolError):
    """The body passed the size limit (declared, or while being read)."""

    def __init__(self, status: int, what: str) -> None:
        super().__init__(what)
        self.status = status
        self.what = what


Answered = Callable[[int, dict[str, str], bytes], None]
Failed = Callable[[BaseException], None]


class _Connection(asyncio.Protocol):
    """One keep-alive connection; answers one request at a time, through callbacks (no task, no future)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._on_answer: Answered | None = None
        self._on_error: Failed | None = None
        self._limit: int | None = None
        # The answer being parsed: head parsed yet, status, headers, body framing.
        self._status = 0
        self._headers: dict[str, str] | None = None
        self._length: int | None = None
        self._chunked = False
        self._chunk_left = -1  # bytes left in the chunk being read; -1 at a size line, -2 in the trailers
        self._until_close = False
        self._body = bytearray()
        self.reusable = False

    # -- asyncio.Protocol -------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self._on_answer is None:
            self.fail(PollProtocolError("the server sent bytes nobody asked for"))
            return
        self._buffer += data
        try:
            self._parse()
        except PollProtocolError as exc:
            self.fail(exc)
        except Exception as exc:  # a parser bug must end this exchange, not escape into the event loop
            self.fail(PollProtocolError(f"the answer could not be read ({type(exc).__name__})"))

    def eof_received(self) -> bool | None:
        if self._on_answer is not None and self._until_close and self._headers is not None:
            self._done(bytes(self._body))
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        if self._on_answer is not None:
            if self._until_close and self._headers is not None and exc is None:
                self._done(bytes(self._body))
            else:
                self.fail(PollProtocolError(f"the connection closed before the answer was whole ({exc})"))

    # -- one exchange -------------------------------------------------------------------------------------------

    def send(self, request: bytes, limit: int | None, on_answer: Answered, on_error: Failed) -> None:
        assert self.transport is not None
        self._on_answer, self._on_error = on_answer, on_error
        self._limit = limit
        self._status = 0
        self._headers = None
        self._length = None
        self._chunked = self._until_close = False
        self._body = bytearray()
        self.reusable = False
        self.transport.write(request)
    def _parse(self) -> None:
        buffer = self._buffer
        while self._headers is None:  # 1xx answers come first, as many as the server likes
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD:
                    raise PollProtocolError("the answer's headers are too long")
                return
            self._head(bytes(buffer[:end]))
            del buffer[: end + 4]
        if self._length is not None:
            if len(buffer) < self._length:
                return
            body = bytes(buffer[: self._length])
            del buffer[: self._length]
            self._done(body)
        elif self._chunked:
            self._parse_chunks()
        elif self._until_close:
            self._body += buffer
            buffer.clear()
            self._check_size(len(self._body))

    def _head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not _DIGITS.fullmatch(parts[1]):
            raise PollProtocolError("the answer is not HTTP/1.x")
        status = int(parts[1])
        if 100 <= status < 200:
            return  # 100 Continue and friends: skipped
        headers: dict[str, str] = {}  # names in lower case (a repeated header keeps its last value)
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise PollProtocolError("a header of the answer is malformed")
            headers[name.lower()] = value.strip()
        self._status = status
        self._headers = headers
        connection = headers.get("connection", "").lower()
        keep = "close" not in connection and (parts[0] != "HTTP/1.0" or "keep-alive" in connection)
        if status in (204, 304):
            self._length = 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._chunked = True
            self._chunk_left = -1
        elif "content-length" in headers:
            length = headers["content-length"]
            if not _DIGITS.fullmatch(length):
                raise PollProtocolError("the answer's Content-Length is not a number")
            self._length = int(length)
            self._check_size(self._length, declared=True)
        else:
            self._until_close = True
            keep = False
        self.reusable = keep

    def _parse_chunks(self) -> None:
        buffer = self._buffer
        while True:
            if self._chunk_left == -1:  # at a chunk-size line
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > 1024:
                        raise PollProtocolError("a chunk size line is too long")
                    return
                size = bytes(buffer[:end]).split(b";", 1)[0].strip()
                if not _HEX.fullmatch(size):
                    raise PollProtocolError("a chunk size is not hexadecimal")
                self._chunk_left = int(size, 16)
                del buffer[: end + 2]
                if self._chunk_left == 0:
                    self._chunk_left = -2  # trailers until an empty line
            if self._chunk_left == -2:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise PollProtocolError("the answer's trailers are too long")
                    return
                line = bytes(buffer[:end])
                del buffer[: end + 2]
                if line == b"":
                    self._done(bytes(self._body))
                    return
                continue
            if len(buffer) < self._chunk_left + 2:
                return
            self._body += buffer[: self._chunk_left]
            if buffer[self._chunk_left : self._chunk_left + 2] != b"\r\n":
                raise PollProtocolError("a chunk does not end where its size says")
            del buffer[: self._chunk_left + 2]
            self._chunk_left = -1
            self._check_size(len(self._body))

    def _check_size(self, size: int, *, declared: bool = False) -> None:
        if self._limit is not None and size > self._limit:
            self.reusable = False
            raise TooLarge(self._status, f"declared {size} bytes" if declared else "passed it while being read")

    def _done(self, body: bytes) -> None:
        on_answer, headers = self._on_answer, self._headers
        assert on_answer is not None
        assert headers is not None
        self._on_answer = self._on_error = None
        if self._buffer:
            self.reusable = False  # bytes beyond the answer: the connection cannot be trusted any more
        try:
            on_answer(self._status, headers, body)
        except Exception:  # the caller's bug must not break this connection or escape into the event loop
            logger.exception("a status poll's answer could not be handled")

    def fail(self, error: BaseException) -> None:
        """End the exchange in flight with ``error`` (if one is) and drop the connection."""
        self.reusable = False
        on_error = self._on_error
        self._on_answer = self._on_error = None
        if self.transport is not None:
            self.transport.abort()
        if on_error is not None:
            try:
                on_error(error)
            except Exception:
                logger.exception("a status poll's failure could not be handled")

    def abort(self) -> None:
        self.reusable = False
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class PollHTTP:
    """Keep-alive GETs for status polls (see the module docstring). Belongs to one connection pool and loop."""

    def __init__(self, *, max_idle: int, keepalive_expiry: float, user_agent: str) -> None:
        self.max_idle = max_idle
        self.keepalive_expiry = keepalive_expiry
        self._user_agent = user_agent
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._busy: dict[_Connection, float] = {}  # answering, with its deadline (loop time)
        self._sweeper: asyncio.TimerHandle | None = None
        self._origins: dict[str, tuple[tuple[str, str, int], str]] = {}
        # Header blocks by (authority, the headers mapping's identity): a client's auth headers never change.
        self._fixed: dict[tuple[str, int], tuple[Mapping[str, str], bytes]] = {}
        self._connecting: set[asyncio.Task[None]] = set()
        self._ssl: ssl.SSLContext | None = None
        self._closed = False
        self.connections_made = 0

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def request(
        self,
        url: URL | str,
        headers: Mapping[str, str],
        *,
        timeout: float | None,
        connect_timeout: float | None,
        limit: int | None,
        on_answer: Answered,
        on_error: Failed,
    ) -> None:
        """Start one GET; exactly one of ``on_answer(status, headers, body)`` or ``on_error(error)`` is called
        later (never from within this call). Errors: :class:`PollConnectError` (nothing sent),
        :class:`PollTimeoutError`, :class:`PollProtocolError`/:class:`TooLarge`."""
        key, authority, target = self._split(url)
        loop = asyncio.get_running_loop()
        fixed = self._fixed.get((authority, id(headers)))
        if fixed is None or fixed[0] is not headers:  # the header block after the request line, built once
            lines = [
                f"Host: {authority}",
                f"User-Agent: {self._user_agent}",
                "Accept: application/json",
                "Accept-Encoding: identity",
                *(f"{field}: {value}" for field, value in headers.items()),
            ]
            fixed = (headers, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            if len(self._fixed) < 64:
                self._fixed[(authority, id(headers))] = fixed
        request = b"GET " + target.encode("latin-1") + b" HTTP/1.1\r\n" + fixed[1]
        connection = None if self._closed else self._take(key, loop.time())
        if connection is not None:  # sent now: its answer (or error) can only come from a later callback
            self._exchange(key, connection, request, limit, timeout, on_answer, on_error)
            return
        settled = False

        def answered(status: int, headers: dict[str, str], body: bytes) -> None:
            nonlocal settled
            if not settled:
                settled = True
                on_answer(status, headers, body)

        def failed(error: BaseException) -> None:
            nonlocal settled
            if not settled:
                settled = True
                on_error(error)

        def connect_ended(task: asyncio.Task[None]) -> None:
            self._connecting.discard(task)
            if task.cancelled() or task.exception() is not None:  # cancelled before it began, or a bug
                failed(PollProtocolError("the poll path was closed while connecting"))

        connecting = self._connect_then_send(key, request, limit, timeout, connect_timeout, answered, failed)
        task = loop.create_task(connecting)
        self._connecting.add(task)
        task.add_done_callback(connect_ended)

    def _split(self, url: URL | str) -> tuple[tuple[str, str, int], str, str]:
        """``((scheme, host, port), Host header, request target)``; the origin of a text URL is parsed once."""
        if isinstance(url, URL):
            return (*self._origin(url), url.raw_path_qs)
        end = url.find("/", url.find("://") + 3)
        origin, target = (url, "/") if end < 0 else (url[:end], url[end:])
        known = self._origins.get(origin)
        if known is None:
            known = self._origins[origin] = self._origin(URL(origin, encoded=True))
        return (*known, target)

    @staticmethod
    def _origin(url: URL) -> tuple[tuple[str, str, int], str]:
        scheme, host, port = url.scheme, url.raw_host or "", url.explicit_port or url.port or 0
        name = f"[{host}]" if ":" in host else host  # an IPv6 literal
        authority = name if port == (443 if scheme == "https" else 80) else f"{name}:{port}"
        return (scheme, host, port), authority

    def _exchange(
        self,
        key: tuple[str, str, int],
        connection: _Connection,
        request: bytes,
        limit: int | None,
        timeout: float | None,
        on_answer: Answered,
        on_error: Failed,
    ) -> None:
        if self._closed or connection.closed:
            on_error(PollProtocolError("the connection closed before the request was sent"))
            return
        loop = asyncio.get_running_loop()
        busy = self._busy

        def answered(status: int, headers: dict[str, str], body: bytes) -> None:
            busy.pop(connection, None)
            self._give_back(key, connection, loop.time())
            on_answer(status, headers, body)

        def failed(error: BaseException) -> None:
            busy.pop(connection, None)
            connection.abort()
            on_error(error)

        # No timer per exchange: one sweep every SWEEP seconds fails those past their deadline.
        busy[connection] = math.inf if timeout is None else loop.time() + timeout
        if self._sweeper is None:
            self._sweeper = loop.call_later(SWEEP, self._sweep)
        connection.send(request, limit, answered, failed)

    def _sweep(self) -> None:
        self._sweeper = None
        now = asyncio.get_running_loop().time()
        for connection, deadline in list(self._busy.items()):
            if deadline <= now:
                connection.fail(PollTimeoutError("no complete answer in time", connecting=False))
        if self._busy and not self._closed:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP, self._sweep)

    async def _connect_then_send(
        self,
        key: tuple[str, str, int],
        request: bytes,
        limit: int | None,
        timeout: float | None,
        connect_timeout: float | None,
        on_answer: Answered,
        on_error: Failed,
    ) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            connection = await self._connect(key, connect_timeout if connect_timeout is not None else timeout)
        except (PollConnectError, PollTimeoutError) as exc:
            on_error(exc)
            return
        except asyncio.CancelledError:
            on_error(PollProtocolError("the poll path was closed while connecting"))
            raise
        except Exception as exc:  # a host name the resolver refuses, say
            on_error(PollConnectError(f"{type(exc).__name__}: {exc}"))
            return
        if self._closed:
            connection.abort()
            on_error(PollProtocolError("the poll path was closed while connecting"))
            return
        remaining = None if timeout is None else max(0.001, timeout - (loop.time() - started))
        self._exchange(key, connection, request, limit, remaining, on_answer, on_error)

    async def get(
        self,
        url: URL,
        headers: Mapping[str, str],
        *,
        timeout: float | None,
        connect_timeout: float | None,
        limit: int | None,
    ) -> tuple[int, dict[str, str], bytes]:
        """:meth:`request`, awaited: ``(status, headers, body)`` or its error raised."""
        answer: asyncio.Future[tuple[int, dict[str, str], bytes]] = asyncio.get_running_loop().create_future()

        def answered(status: int, answer_headers: dict[str, str], body: bytes) -> None:
            if not answer.done():
                answer.set_result((status, answer_headers, body))

        def failed(error: BaseException) -> None:
            if not answer.done():
                answer.set_exception(error)

        self.request(
            url,
            headers,
            timeout=timeout,
            connect_timeout=connect_timeout,
            limit=limit,
            on_answer=answered,
            on_error=failed,
        )
        return await answer

    def _take(self, key: tuple[str, str, int], now: float) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            transport = connection.transport
            if (
                connection.closed
                or transport is None
                or transport.is_closing()
                or now - connection.idle_since > self.keepalive_expiry
            ):
                connection.abort()
                continue
            return connection
        return None

    async def _connect(self, key: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = key
        if scheme not in ("http", "https"):
            raise PollConnectError(f"cannot poll over {scheme!r}")
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    _Connection,
                    host,
                    port,
                    ssl=self.ssl_context() if scheme == "https" else None,
                    server_hostname=host if scheme == "https" else None,
                ),
                timeout,
            )
        except asyncio.TimeoutError:
            raise PollTimeoutError("no connection in time", connecting=True) from None
        except (OSError, ssl.SSLError) as exc:
            raise PollConnectError(f"{type(exc).__name__}: {exc.strerror or exc}") from None
        self.connections_made += 1
        return connection

    def _give_back(self, key: tuple[str, str, int], connection: _Connection, now: float) -> None:
        idle = self._idle.setdefault(key, [])
        if not connection.reusable or connection.closed or len(idle) >= self.max_idle:
            connection.abort()
            return
        connection.idle_since = now
        idle.append(connection)

    def close(self) -> None:
        """Close every connection (idle or answering); exchanges in flight end with an error."""
        self._closed = True
        for task in list(self._connecting):
            task.cancel()
        for idle in self._idle.values():
            for connection in idle:
                connection.abort()
        self._idle.clear()
        for connection in list(self._busy):
            connection.fail(PollProtocolError("the client was closed while the poll was in flight"))
        self._busy.clear()
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
