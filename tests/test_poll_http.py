"""The status polls' own HTTP/1.1 GET path (heygen_async._poll_http), against real servers on 127.0.0.1 that
answer in every framing HTTP/1.1 allows, and in ways it does not."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from yarl import URL

import heygen_async as hg
from heygen_async._poll_http import PollConnectError, PollHTTP, PollProtocolError, PollTimeoutError, TooLarge
from heygen_async._spec._table import ENDPOINTS_BY_NAME
from heygen_async.emulator import Emulator, ManualClock

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b'{"code":100,"data":{"status":"processing"}}'


class Server:
    """A raw TCP server on 127.0.0.1 whose ``answer(request_number)`` says which bytes to send back."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.port = 0

    def url(self, path: str = "/v1/video_status.get?video_id=v") -> URL:
        return URL(f"http://127.0.0.1:{self.port}{path}", encoded=True)


@contextlib.asynccontextmanager
async def serve(answer: Callable[[int], list[bytes] | None], *, close_after: bool = False) -> AsyncIterator[Server]:
    """Serve: each request gets ``answer(n)``'s byte pieces (written one by one, so parsers see them split);
    None means say nothing. ``close_after`` closes the connection after each answer."""
    server = Server()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    return
                server.requests += 1
                pieces = answer(server.requests)
                if pieces is None:
                    await asyncio.sleep(30)
                    return
                for piece in pieces:
                    writer.write(piece)
                    await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()


def plain(body: bytes = OK, status: str = "200 OK", extra: bytes = b"") -> list[bytes]:
    return [b"HTTP/1.1 " + status.encode() + b"\r\nContent-Length: %d\r\n" % len(body) + extra + b"\r\n" + body]


def http(**options: float) -> PollHTTP:
    return PollHTTP(max_idle=4, keepalive_expiry=options.get("keepalive_expiry", 30.0), user_agent="test")


async def get(client: PollHTTP, server: Server, *, timeout: float = 2.0, limit: int | None = 1 << 20) -> bytes:
    status, _, body = await client.get(server.url(), {}, timeout=timeout, connect_timeout=1.0, limit=limit)
    assert status == 200
    return body


async def test_one_connection_serves_many_polls() -> None:
    async with serve(lambda n: plain()) as server:
        client = http()
        for _ in range(20):
            assert await get(client, server) == OK
        assert server.connections == 1
        assert client.connections_made == 1
        client.close()


async def test_answers_split_into_single_bytes_and_chunked_bodies_with_trailers() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Request-Id: r1\r\n\r\n"
        b"5;ext=1\r\n" + OK[:5] + b"\r\n" + b"%x\r\n" % (len(OK) - 5) + OK[5:] + b"\r\n0\r\nTrailer: x\r\n\r\n"
    )
    async with serve(lambda n: [bytes([b]) for b in chunked]) as server:
        client = http()
        status, headers, body = await client.get(server.url(), {}, timeout=2, connect_timeout=1, limit=None)
        assert (status, headers["x-request-id"], body) == (200, "r1", OK)
        assert await get(client, server) == OK, "the connection is reused after a chunked answer"
        assert server.connections == 1
        client.close()


@pytest.mark.parametrize(
    "answer",
    [
        [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(OK) + OK],
        [b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(OK) + OK],
        [b"HTTP/1.1 200 OK\r\n\r\n" + OK],  # no framing: the body runs until the server closes
    ],
    ids=["connection-close", "http-1.0", "until-close"],
)
async def test_an_answer_that_ends_the_connection_is_read_and_the_next_poll_reconnects(answer: list[bytes]) -> None:
    async with serve(lambda n: answer, close_after=True) as server:
        client = http()
        assert await get(client, server) == OK
        assert await get(client, server) == OK
        assert server.connections == 2
        client.close()


async def test_interim_answers_and_bodiless_statuses() -> None:
    answers = {
        1: [b"HTTP/1.1 100 Continue\r\n\r\n", *plain()],
        2: [b"HTTP/1.1 204 No Content\r\n\r\n"],
    }
    async with serve(lambda n: answers.get(n, plain())) as server:
        client = http()
        assert await get(client, server) == OK
        status, _, body = await client.get(server.url(), {}, timeout=2, connect_timeout=1, limit=None)
        assert (status, body) == (204, b"")
        assert await get(client, server) == OK
        assert server.connections == 1
        client.close()


async def test_bodies_over_the_limit_are_refused_declared_or_while_read() -> None:
    big = b"x" * 5000
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(big) + big + b"\r\n0\r\n\r\n"
    async with serve(lambda n: plain(big) if n == 1 else [chunked]) as server:
        client = http()
        with pytest.raises(TooLarge, match="declared 5000 bytes"):
            await get(client, server, limit=1000)
        with pytest.raises(TooLarge, match="while being read"):
            await get(client, server, limit=1000)
        client.close()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([b"SMTP ready\r\n\r\n"], "not HTTP/1.x"),
        ([b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"], "malformed"),
        ([b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n"], "Content-Length"),
        ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"], "hexadecimal"),
        ([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + OK], "closed before the answer was whole"),
        ([b"HTTP/1.1 200 OK\r\nX: " + b"y" * 70_000], "too long"),
        ([b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\n"], "Content-Length"),  # a digit to isdigit()
        ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n"], "hexadecimal"),
        ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x10\r\n"], "hexadecimal"),
        ([b"HTTP/1.1 100 Continue\r\n\r\n" * 3000 + b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"], "Length"),
    ],
    ids=[
        "not-http",
        "bad-header",
        "bad-length",
        "bad-chunk",
        "cut-short",
        "huge-head",
        "unicode-digit",
        "negative-chunk",
        "prefixed-chunk",
        "many-interim",
    ],
)
async def test_broken_answers_are_protocol_errors(answer: list[bytes], message: str) -> None:
    async with serve(lambda n: answer, close_after=True) as server:
        client = http()
        with pytest.raises(PollProtocolError, match=message):
            await get(client, server)
        client.close()


async def test_closing_while_connecting_fails_the_poll_exactly_once() -> None:
    async with serve(lambda n: plain()) as server:
        client = http()
        outcomes: list[object] = []
        client.request(
            server.url(),
            {},
            timeout=2,
            connect_timeout=1,
            limit=None,
            on_answer=lambda *answer: outcomes.append(answer),
            on_error=outcomes.append,
        )
        client.close()  # before the connecting task has even started
        await asyncio.sleep(0.1)
        assert len(outcomes) == 1
        assert isinstance(outcomes[0], PollProtocolError)


async def test_silence_times_out_and_a_closed_port_refuses() -> None:
    async with serve(lambda n: None) as server:
        client = http()
        with pytest.raises(PollTimeoutError) as caught:
            await get(client, server, timeout=0.2)
        assert not caught.value.connecting
        client.close()
    client = http()
    with pytest.raises(PollConnectError):
        await get(client, server)  # the server is gone: connection refused, nothing sent


async def test_stale_idle_connections_are_not_reused() -> None:
    async with serve(lambda n: plain()) as server:
        client = http(keepalive_expiry=0.05)
        await get(client, server)
        await asyncio.sleep(0.1)
        await get(client, server)
        assert server.connections == 2, "an idle connection past keepalive_expiry is dropped"
    async with serve(lambda n: plain(), close_after=True) as server:
        client = http()
        await get(client, server)  # kept-alive header, but the server closes right after
        await asyncio.sleep(0.05)
        await get(client, server)
        assert server.connections == 2, "a connection the server closed is not reused"
        client.close()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (openssl), and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(plain()[0])
                await writer.drain()
        writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context)
    port = listener.sockets[0].getsockname()[1]
    client = http()
    client._ssl = ssl.create_default_context(cafile=str(cert))
    url = URL(f"https://localhost:{port}/v1/video_status.get?video_id=v", encoded=True)
    for _ in range(3):
        status, _, body = await client.get(url, {}, timeout=5, connect_timeout=5, limit=None)
        assert (status, body) == (200, OK)
    assert client.connections_made == 1
    untrusting = http()  # the default context does not trust a self-signed certificate
    with pytest.raises(PollConnectError, match="SSL"):
        await untrusting.get(url, {}, timeout=5, connect_timeout=5, limit=None)
    client.close()
    listener.close()
    await listener.wait_closed()


# -- through the client ----------------------------------------------------------------------------------------


async def test_job_waits_poll_over_the_lean_path_and_lean_polls_false_uses_aiohttp() -> None:
    async with Emulator(clock=ManualClock()) as emulator:
        for lean in (True, False):
            async with emulator.client(lean_polls=lean, poll_policy=hg.PollPolicy(first_poll=0.01)) as client:
                job = await client.videos.generate(
                    [{"character": {"type": "avatar", "avatar_id": "a"}, "voice": {"type": "silence", "duration": 1}}]
                )
                assert job.video_id
                waiting = asyncio.ensure_future(client.videos.wait(job.video_id, timeout=30))
                while not waiting.done():
                    await emulator.advance(10)
                    await asyncio.sleep(0.01)
                assert (await waiting).status == hg.VideoStatus.COMPLETED
                pool = client._transport.pool
                assert (pool._poll_http is not None) is lean
                if lean:
                    assert pool._poll_http is not None
                    assert pool._poll_http.connections_made == 1


async def test_poll_errors_name_the_route_never_the_token(caplog: pytest.LogCaptureFixture) -> None:
    token = "at_s3cret-token-never-shown"
    async with (
        serve(lambda n: [b"garbage\r\n\r\n"], close_after=True) as server,
        hg.HeyGenClient(token, base_url=f"http://127.0.0.1:{server.port}/heygen") as client,
    ):
        route = ENDPOINTS_BY_NAME["videos.status"].route
        outcome: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        client._transport.start_poll(route, {}, [("video_id", "v")], lambda data, error: outcome.set_result(error))
        error = await outcome
    assert isinstance(error, hg.APIConnectionError)
    assert "video_status" in str(error)
    assert error.maybe_processed
    assert token not in str(error)
    assert token not in caplog.text


async def test_lean_polls_must_be_a_bool() -> None:
    with pytest.raises(hg.ConfigurationError, match="lean_polls"):
        hg.HeyGenClient("at_x", lean_polls="yes")  # type: ignore[arg-type]
