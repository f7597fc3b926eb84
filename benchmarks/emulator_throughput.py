"""How many cheap GETs the emulator serves per second (goal: at least 5,000, so it never limits the client
benchmarks).

The emulator runs in its own process (faults off); load comes from separate processes, each keeping many
requests in flight on keep-alive connections with raw aiohttp. Reported: the requests per second observed, and
the emulator process's own CPU per request (from /proc), which gives the rate one core could sustain
whatever the load generators cost. On a 2-core machine the load generators share the cores with the emulator,
so the observed rate is a floor.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import time
from typing import Any

import aiohttp

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
    async def main() -> int:
        done = 0
        deadline = time.perf_counter() + seconds
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker() -> None:
                nonlocal done
                while time.perf_counter() < deadline:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status == 200:
                            done += 1

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done

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


def run(seconds: float = 3.0, rounds: int = 3, loaders: int = 2, concurrency: int = 64) -> str:
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
                f"{concurrency} in flight; {rounds} rounds of {seconds:g} s.",
                "",
                "| measure | min / median / max |",
                "|---|---|",
                f"| requests/s observed (load generators on the same 2 cores) | {span(rates)} |",
                f"| emulator CPU per request, µs | {span(server_us, 1)} |",
                f"| requests/s one emulator core sustains (1e6 / CPU per request) | {span(one_core)} |",
            ]
        )
