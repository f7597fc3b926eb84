"""Thousands of concurrent renders watched under one polls-per-second budget: the shared scheduler against the
naive way (one task per job, sleeping and polling behind a token-bucket limiter).

The emulator runs in its own process on real time; each approach runs in a fresh client process that submits
``jobs`` renders and then waits for all of them. Reported per approach, from one run:

- the most status polls the emulator received in any one-second window (goal: never above the budget);
- total polls against the minimum the cadence needs (each job polled on schedule until the first poll after it
  completed; goal: within 5%);
- peak RSS of the client above the idle client, per tracked job (goal: at most 2 KB);
- client CPU per poll (goal: at most half the naive poller's);
- time from a render's completion to its detection, p50 and p99.
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import random
import time
from typing import Any, Final

import aiohttp

import heygen_async as hg

from ._server_process import (
    client_outcome,
    emulator_json,
    emulator_post,
    max_in_window,
    rss_bytes,
    serve_emulator,
    server_process,
)

TOKEN = "at_benchmark"
SCENE = {
    "character": {"type": "avatar", "avatar_id": "Angela-inTshirt-20220820"},
    "voice": {"type": "text", "input_text": "Hello", "voice_id": "v"},
}


def _emulator_config(render_seconds: float) -> dict[str, Any]:
    return {
        "concurrent_renders": 1_000_000,
        "pending_seconds": 1.0,
        "render_seconds": render_seconds,
        "request_log_size": 2_000_000,
        "initial_quota": 1e12,
    }


class NaiveLimiter:
    """A token bucket of ``rate`` tokens per second, full at the start: how rate limiters are usually written."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.updated = time.monotonic()

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


async def _submit(client: hg.HeyGenClient, count: int) -> list[str]:
    ids: list[str] = []
    queue = iter(range(count))

    async def worker() -> None:
        for _ in queue:
            job = await client.videos.generate([SCENE])
            ids.append(job.video_id or "")

    await asyncio.gather(*(worker() for _ in range(64)))
    return ids


async def _bare_polls(base: str, ids: list[str], total: int, rate: float) -> tuple[int, int]:
    """``total`` GETs of the status route with bare aiohttp (a task each, ``session.get`` then ``read`` and
    ``json.loads``), started at ``rate`` per second in 10 ms ticks over ``ids`` in turn, at most 100 in flight
    (the scheduler's cap with this pool): the HTTP work a poll needs and nothing else. Returns (polls, max
    started in any one second)."""
    tick, started = 0.01, 0
    starts: list[float] = []
    in_flight = asyncio.Semaphore(100)
    tasks: set[asyncio.Task[None]] = set()
    urls = [f"{base}/v1/video_status.get?video_id={video_id}&api_token={TOKEN}" for video_id in ids]

    async def poll(url: str) -> None:
        async with in_flight, session.get(url) as response:
            json.loads(await response.read())

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:
        begin = time.monotonic()
        while started < total:
            due = min(total, int((time.monotonic() - begin) * rate) + 1)
            while started < due:
                starts.append(time.monotonic())
                task = asyncio.create_task(poll(urls[started % len(urls)]))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                started += 1
            await asyncio.sleep(tick)
        await asyncio.gather(*tasks)
    return started, max_in_window(starts)


def _client(
    base: str, approach: str, jobs: int, budget: float, policy: hg.PollPolicy, results: Any, bare: tuple[int, float]
) -> None:
    async def main() -> dict[str, Any]:
        limits = hg.Limits(max_connections=200)
        # Polls go through aiohttp (the default): the same transport as every call.
        async with hg.HeyGenClient(
            TOKEN, base_url=base, poll_budget=budget, poll_policy=policy, limits=limits
        ) as client:
            ids = await _submit(client, jobs)
            # Everything the benchmark itself keeps per job exists before the idle sample.
            position = {video_id: index for index, video_id in enumerate(ids)}
            detected: list[float] = [0.0] * jobs
            starts: list[float] = []
            starts.extend(0.0 for _ in range(8 * jobs))
            starts.clear()  # capacity kept: recording a start allocates nothing new
            peak = idle = rss_bytes()
            polls = 0

            async def sample() -> None:
                nonlocal peak
                while True:
                    peak = max(peak, rss_bytes())
                    await asyncio.sleep(0.05)

            sampler = asyncio.create_task(sample())
            cpu, started, wall = time.process_time(), time.perf_counter(), time.time()
            if approach == "scheduler":
                async for job in client.videos.as_completed(ids, timeout=600):
                    detected[position[job.id]] = time.time()
                polls = client.jobs.scheduler.stats.polls
                client_max = client.jobs.scheduler.stats.max_per_second
            elif approach == "bare":
                polls, client_max = await _bare_polls(base, ids, *bare)
            else:
                limiter = NaiveLimiter(budget)
                rng = random.Random(7)

                async def watch(video_id: str) -> None:
                    nonlocal polls
                    interval: float | None = None
                    while True:
                        interval = policy.interval(interval, rng)
                        await asyncio.sleep(interval)
                        await limiter.acquire()
                        starts.append(time.monotonic())
                        polls += 1
                        video = await client.videos.status(video_id)
                        if video.status in (hg.VideoStatus.COMPLETED, hg.VideoStatus.FAILED):
                            detected[position[video_id]] = time.time()
                            return

                await asyncio.gather(*(watch(v) for v in ids))
                client_max = max_in_window(starts)
            cpu = time.process_time() - cpu
            elapsed = time.perf_counter() - started
            sampler.cancel()
            return {
                "ids": ids,
                "detected": detected,
                "polls": polls,
                "client_max_window": client_max,
                "cpu": cpu,
                "elapsed": elapsed,
                "rss_per_job": (peak - idle) / jobs,
                "tracking_started": wall,
            }

    results.put(json.dumps(asyncio.run(main())))


def _minimum_polls(policy: hg.PollPolicy, first_poll: float, finished: float) -> int:
    """Polls the cadence (without jitter) needs from a job's first poll until the first one at or after
    ``finished``: the first poll's time is the budget's to decide, every later one the cadence's."""
    exact = hg.PollPolicy(
        first_poll=policy.first_poll, backoff=policy.backoff, max_interval=policy.max_interval, jitter=0.0
    )
    rng = random.Random(0)
    interval = exact.interval(None, rng)
    t, polls = first_poll, 1
    while t < finished:
        interval = exact.interval(interval, rng)
        t += interval
        polls += 1
    return polls


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


CADENCE: Final = hg.PollPolicy(first_poll=2.0, backoff=3.0, max_interval=6.0, jitter=0.1)
"""First poll after 2 s, then every 6 s: 10,000 jobs need about 1,700 polls/s once their phases are spread, under
the 2,000 budget, so the budget shapes only the first round and "polls against the cadence's minimum" measures
waste rather than throttling."""


def _measure(
    root: str, approach: str, jobs: int, budget: float, policy: hg.PollPolicy, bare: tuple[int, float] = (0, 0.0)
) -> dict[str, float]:
    asyncio.run(emulator_post(root, "/_emulator/reset"))
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    process = ctx.Process(target=_client, args=(root + "/heygen", approach, jobs, budget, policy, results, bare))
    process.start()
    outcome = client_outcome(process, results, limit=1800)
    log = asyncio.run(emulator_json(root, "/_emulator/log?limit=5000000"))
    finished = {v["id"]: v["finished_at"] for v in asyncio.run(emulator_json(root, "/_emulator/videos"))}
    polls_of: dict[str, list[float]] = {}
    for entry in log:
        if entry.get("endpoint") == "videos.status":
            polls_of.setdefault(entry["query"].get("video_id"), []).append(entry["time"])
    server_times = [t for times in polls_of.values() for t in times]
    minimum = sum(
        _minimum_polls(policy, min(polls_of[v]), finished[v])
        for v in outcome["ids"]
        if finished.get(v) and polls_of.get(v)
    )
    delays = [
        at - finished[v] for v, at in zip(outcome["ids"], outcome["detected"], strict=True) if at and finished.get(v)
    ]
    return {
        "detected": sum(1 for at in outcome["detected"] if at),
        "client_max_window": outcome["client_max_window"],
        "server_max_window": max_in_window(server_times),
        "polls": len(server_times),
        "minimum": minimum,
        "rss_per_job": outcome["rss_per_job"],
        "cpu_per_poll_us": outcome["cpu"] / max(1, outcome["polls"]) * 1e6,
        "p50": _percentile(delays, 0.50),
        "p99": _percentile(delays, 0.99),
        "elapsed": outcome["elapsed"],
    }


def run(jobs: int = 10_000, budget: float = 2000.0, render_seconds: float = 20.0) -> str:
    """Run the three approaches against one emulator, one after the other, and return a Markdown report."""
    policy = CADENCE
    with server_process(functools.partial(serve_emulator, **_emulator_config(render_seconds))) as (port, _):
        root = f"http://127.0.0.1:{port}"
        ours = _measure(root, "scheduler", jobs, budget, policy)
        # The same number of polls at the scheduler's average rate, as bare aiohttp GETs: what the HTTP costs.
        bare = _measure(root, "bare", jobs, budget, policy, (int(ours["polls"]), ours["polls"] / ours["elapsed"]))
        naive = _measure(root, "naive", jobs, budget, policy)

    def line(name: str, row: dict[str, float]) -> str:
        if name.startswith("bare"):
            return (
                f"| {name} | - | {row['client_max_window']:,.0f} / {row['server_max_window']:,.0f} | "
                f"{row['polls']:,.0f} / - | {row['rss_per_job'] / 1024:.2f} | {row['cpu_per_poll_us']:.0f} | - | "
                f"{row['elapsed']:.1f} |"
            )
        return (
            f"| {name} | {row['detected']:,.0f} / {jobs:,} | {row['client_max_window']:,.0f} / "
            f"{row['server_max_window']:,.0f} | {row['polls']:,.0f} / {row['minimum']:,.0f} "
            f"({row['polls'] / max(1, row['minimum']) * 100:.1f}%) | {row['rss_per_job'] / 1024:.2f} | "
            f"{row['cpu_per_poll_us']:.0f} | {row['p50']:.2f} / {row['p99']:.2f} | {row['elapsed']:.1f} |"
        )

    return "\n".join(
        [
            f"{jobs:,} concurrent renders (about {render_seconds + 1:.0f} s each, all submitted first), budget "
            f"{budget:,.0f} polls/s, cadence: first poll {policy.first_poll:g} s, then x{policy.backoff:g} up to "
            f"{policy.max_interval:g} s, jitter {policy.jitter:.0%}.",
            "",
            "| approach | detected | max polls in any 1 s (client starts / server log) | polls / cadence minimum | "
            "peak RSS KB per job | client CPU µs per poll | completion -> detection s (p50 / p99) | wall s |",
            "|---|---|---|---|---|---|---|---|",
            line("shared scheduler (polls through aiohttp)", ours),
            line("bare aiohttp GETs: as many, at the scheduler's mean rate", bare),
            line("naive: task per job + token bucket", naive),
            "",
            "Ratios: scheduler / bare aiohttp GET, CPU per poll "
            f"{ours['cpu_per_poll_us'] / bare['cpu_per_poll_us']:.2f} (goal: at most 1.15); "
            "scheduler / naive, CPU per poll "
            f"{ours['cpu_per_poll_us'] / naive['cpu_per_poll_us']:.2f}, RSS per job "
            f"{ours['rss_per_job'] / max(1.0, naive['rss_per_job']):.2f}.",
        ]
    )
