"""How many cheap GETs the emulator serves per second (goal: at least 5,000, so it never limits the client
benchmarks).

The emulator runs in its own process (faults off). Load comes from another process that keeps many keep-alive
connections busy with a minimal HTTP/1.1 client on asyncio streams, far cheaper per request than aiohttp's
client (as wrk would be; none is installed here), so the emulator is what gets measured. Reported: requests per
second observed, and the emulator process's own CPU per request (from /proc), i.e. the rate one core of it
sustains whatever the load generator costs.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import time
from typing import Any

import aiohttp
from yarl import URL

from ._server_process import server_process

TOKEN = "at_benchmark"


def _serve(port: int, ready: Any) -> None:
    from heygen_async.emulator import Emulator, ManualClock

    async def main() -> None:
        async with Emulator(clock=ManualClock(), port=port):
            ready.set()
            await asyncio.Event().wait()

    asyncio.run(main())


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(url: str, seconds: float, concurrency: int, results: Any) -> None:
    """Keep ``concurrency`` keep-alive connections busy with one GET each at a time, on raw asyncio streams:
    a client far cheaper than aiohttp's (as wrk would be), so the emulator is what is measured."""
    target = URL(url)
    request = (
        f"GET {target.raw_path_qs} HTTP/1.1\r\nHost: {target.host}:{target.port}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()

    async def connection(deadline: float) -> int:
        reader, writer = await asyncio.open_connection(target.host, target.port)
        done = 0
        try:
            while time.perf_counter() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
                await reader.readexactly(length)
                if head.startswith(b"HTTP/1.1 200"):
                    done += 1
        finally:
            writer.close()
        return done

    async def main() -> int:
        deadline = time.perf_counter() + seconds
        return sum(await asyncio.gather(*(connection(deadline) for _ in range(concurrency))))

    results.put(asyncio.run(main()))


def _create_video(base: str) -> str:
    async def main() -> str:
        body = {
            "video_inputs": [
                {
                    "character": {"type": "avatar", "avatar_id": "a"},
                    "voice": {"type": "text", "input_text": "hi", "voice_id": "v"},
                }
            ]
        }
        url = f"{base}/v2/video/generate?api_token={TOKEN}"
        async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
            video_id: str = (await response.json())["data"]["data"]["video_id"]
            return video_id

    return asyncio.run(main())


def run(seconds: float = 3.0, rounds: int = 3, loaders: int = 1, concurrency: int = 32) -> str:
    """Run the scenario and return a Markdown report."""
    ctx = multiprocessing.get_context("spawn")
    with server_process(_serve) as (port, server):
        base = f"http://127.0.0.1:{port}/heygen"
        url = f"{base}/v1/video_status.get?video_id={_create_video(base)}&api_token={TOKEN}"
        assert server.pid is not None
        rates: list[float] = []
        server_us: list[float] = []
        for _ in range(rounds):
            results = ctx.Queue()
            cpu_before, started = _cpu_seconds(server.pid), time.perf_counter()
            workers = [ctx.Process(target=_load, args=(url, seconds, concurrency, results)) for _ in range(loaders)]
            for worker in workers:
                worker.start()
            total = sum(results.get(timeout=seconds + 60) for _ in workers)
            for worker in workers:
                worker.join(30)
            elapsed = time.perf_counter() - started
            cpu = _cpu_seconds(server.pid) - cpu_before
            rates.append(total / elapsed)
            server_us.append(cpu / total * 1e6)

        def span(values: list[float], digits: int = 0) -> str:
            return " / ".join(f"{v:,.{digits}f}" for v in (min(values), statistics.median(values), max(values)))

        one_core = [1e6 / us for us in server_us]
        return "\n".join(
            [
                f"GET /heygen/v1/video_status.get (gateway, token check, envelope, JSON); {loaders} load processes x "
                f"{concurrency} keep-alive connections (raw asyncio HTTP/1.1); {rounds} rounds of {seconds:g} s.",
                "",
                "| measure | min / median / max |",
                "|---|---|",
                f"| requests/s observed (the load generator shares the 2 cores) | {span(rates)} |",
                f"| emulator CPU per request, µs | {span(server_us, 1)} |",
                f"| requests/s one emulator core sustains (1e6 / CPU per request) | {span(one_core)} |",
            ]
        )
