"""Per-call client cost: ``client.videos.status()`` (validation, envelope unwrap and cattrs structuring
included) and the ``client.request`` escape hatch, against raw aiohttp doing the same GET and ``json()``.

The server runs in its own process, so the CPU time measured here (``time.process_time``) is the client's
alone. Each round runs raw aiohttp and heygen_async back to back on the same route and concurrency; ratios
are computed per round and reported as min / median / max.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

import heygen_async as hg

from ._server_process import server_process

TOKEN = "at_benchmark-token"
STATUS_BODY = {
    "message": "Request completed",
    "provider": "heygen",
    "result": {
        "code": 100,
        "data": {
            "id": "v-1",
            "status": "processing",
            "video_url": None,
            "thumbnail_url": None,
            "duration": None,
            "created_at": 1732550000,
            "error": None,
        },
        "message": "Success",
    },
    "response_headers": {},
}


def _serve(port: int, ready: Any) -> None:
    async def status(request: web.Request) -> web.Response:
        return web.json_response(STATUS_BODY)

    app = web.Application()
    app.router.add_get("/heygen/v1/video_status.get", status)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def _drive(call: Callable[[], Awaitable[Any]], total: int, concurrency: int) -> tuple[float, float]:
    """Run ``total`` calls with ``concurrency`` workers; return (client CPU seconds, wall seconds)."""
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - cpu, time.perf_counter() - wall


async def _round(base: str, total: int, concurrency: int) -> dict[str, tuple[float, float]]:
    url = f"{base}/v1/video_status.get?video_id=v-1&api_token={TOKEN}"
    connector = aiohttp.TCPConnector(limit=100)
    results: dict[str, tuple[float, float]] = {}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def raw() -> Any:
            async with session.get(url) as response:
                return await response.json()

        await _drive(raw, 50, concurrency)  # warm the pool
        results["raw aiohttp"] = await _drive(raw, total, concurrency)
    async with hg.HeyGenClient(TOKEN, base_url=base) as client:

        async def typed() -> Any:
            return await client.videos.status("v-1")

        async def escape_hatch() -> Any:
            return await client.request("GET", "/v1/video_status.get", params={"video_id": "v-1"})

        await _drive(typed, 50, concurrency)
        results["videos.status()"] = await _drive(typed, total, concurrency)
        results["client.request()"] = await _drive(escape_hatch, total, concurrency)
    return results


def _stats(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def run(total: int = 3000, rounds: int = 5, concurrencies: tuple[int, ...] = (1, 10, 100)) -> str:
    """Run the scenario and return a Markdown report."""
    with server_process(_serve) as (port, _):
        base = f"http://127.0.0.1:{port}/heygen"
        lines = [
            "| concurrency | client | CPU µs/call (min / median / max) | req/s (min / median / max) |",
            "|---|---|---|---|",
        ]
        ratios: list[str] = []
        for concurrency in concurrencies:
            per: dict[str, list[tuple[float, float]]] = {
                "raw aiohttp": [],
                "videos.status()": [],
                "client.request()": [],
            }
            for _ in range(rounds):
                for name, value in asyncio.run(_round(base, total, concurrency)).items():
                    per[name].append(value)
            for name, samples in per.items():
                cpu_us = [cpu / total * 1e6 for cpu, _ in samples]
                rps = [total / wall for _, wall in samples]
                lines.append(f"| {concurrency} | {name} | {_stats(cpu_us)} | {_stats(rps)} |")
            for name in ("videos.status()", "client.request()"):
                pairs = list(zip(per[name], per["raw aiohttp"], strict=True))
                cpu_ratio = [ours[0] / raw[0] for ours, raw in pairs]
                rps_percent = [raw[1] / ours[1] * 100 for ours, raw in pairs]
                ratios.append(f"| {concurrency} | {name} | {_stats(cpu_ratio)} | {_stats(rps_percent)} |")
        lines += [
            "",
            "Paired ratios against raw aiohttp in the same round (goal: CPU <= 1.2x, throughput >= 85% at 100):",
            "",
            "| concurrency | client | CPU per call ratio (min / med / max) | throughput % of raw (min / med / max) |",
            "|---|---|---|---|",
            *ratios,
        ]
        return "\n".join(lines)
