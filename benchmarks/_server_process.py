"""Processes for benchmarks: a server in its own process (so its CPU never counts as the client's), a
measured client's report read without hanging if it dies, and the process's resident memory."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from typing import Any

import aiohttp

ServeFunction = Callable[[int, Any], None]
"""``serve(port, ready)``: bind 127.0.0.1:port, call ``ready.set()``, then serve until terminated."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(serve: ServeFunction) -> Iterator[tuple[int, BaseProcess]]:
    """Start ``serve`` in a spawned process on a free port; yield ``(port, process)``; stop it afterwards."""
    ctx = multiprocessing.get_context("spawn")
    port = free_port()
    ready = ctx.Event()
    process = ctx.Process(target=serve, args=(port, ready), daemon=True)
    process.start()
    try:
        if not ready.wait(30):
            raise RuntimeError(f"benchmark server {getattr(serve, '__name__', serve)!r} did not start")
        yield port, process
    finally:
        process.terminate()
        process.join(10)


def serve_emulator(port: int, ready: Any, **config: Any) -> None:
    """``serve`` for :func:`server_process`: the emulator on real time, ``config`` over EmulatorConfig's
    defaults (bind with ``functools.partial(serve_emulator, **config)``)."""
    import asyncio

    from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

    async def main() -> None:
        async with Emulator(EmulatorConfig(**config), clock=ScaledClock(1.0), port=port):
            ready.set()
            await asyncio.Event().wait()

    asyncio.run(main())


async def emulator_json(base: str, path: str) -> Any:
    """GET one of the emulator's control URLs (``/_emulator/...``) and return its JSON."""
    async with aiohttp.ClientSession() as session, session.get(base + path) as response:
        return await response.json()


async def emulator_post(base: str, path: str) -> None:
    """POST to one of the emulator's control URLs (``/_emulator/reset``, ...)."""
    async with aiohttp.ClientSession() as session, session.post(base + path) as response:
        await response.read()


def max_in_window(times: list[float], width: float = 1.0) -> int:
    """The most of ``times`` (seconds) inside any window of ``width`` seconds."""
    times = sorted(times)
    best = left = 0
    for right, t in enumerate(times):
        while times[left] <= t - width:
            left += 1
        best = max(best, right - left + 1)
    return best


def rss_bytes() -> int:
    """This process's resident memory (Linux ``/proc``), in bytes; 0 where unknown."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def busy_cpu_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (Linux ``/proc/stat``); 0.0 where unknown."""
    try:
        with open("/proc/stat") as handle:
            fields = handle.readline().split()
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` has used (Linux ``/proc``); 0.0 where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_outcome(process: BaseProcess, results: Any, limit: float) -> dict[str, Any]:
    """The JSON report a measured client process puts on ``results``; a client that dies or hangs is an
    error, not a benchmark that never ends."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            outcome: dict[str, Any] = json.loads(results.get(timeout=1.0))
        except queue.Empty:
            if not process.is_alive():
                raise RuntimeError(f"the benchmark client died (exit code {process.exitcode})") from None
            continue
        process.join(60)
        return outcome
    process.kill()
    raise RuntimeError(f"the benchmark client did not finish within {limit:.0f} s")
