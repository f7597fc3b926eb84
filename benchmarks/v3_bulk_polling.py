"""Ten thousand HeyGen v3 renders tracked under one requests-per-second poll budget: bulk status (``GET
/v3/videos/statuses``, up to 100 ids a request, then one ``GET /v3/videos/{id}`` per job it shows finished)
beside polling each job on its own (``HeyGenClient.direct(bulk_status=False)``), with the same cadence.

The emulator runs in its own process on real time; each approach runs in a fresh client process that creates
``jobs`` renders with ``client.v3.videos.create`` (not measured) and then follows them all with
``client.v3.videos.as_completed(ids)``. Reported per approach, counted in the emulator's own request log:

- detected completions against the renders created;
- status requests (detail polls and bulk requests) per detected completion;
- time from a render's completion (the emulator's clock) to its detection in the client, p50 and p99;
- the most status requests the emulator received in any one-second window (goal: never above the budget);
- the client's CPU while tracking.

Goal (issue 18): bulk requests per completion at most 1/20 of per-job polling's, at a detection latency p99 no
worse than per-job polling's.
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import time
from typing import Any, Final

import heygen_async as hg

from ._server_process import client_outcome, emulator_json, emulator_post, max_in_window, serve_emulator, server_process

API_KEY = "benchmark-key"
VIDEO: Final[dict[str, Any]] = {
    "type": "avatar",
    "avatar_id": "Angela-inTshirt-20220820",
    "script": "Hello",
    "voice_id": "1bd001e7e50f421d891986aad5158bc8",
}
"""A render the emulator's v3 catalogue accepts (a public look and voice)."""
BULK_ROUTE: Final = "GET /v3/videos/statuses"
DETAIL_ROUTE: Final = "GET /v3/videos/{video_id}"
APPROACHES: Final = ("bulk", "per-job")
CADENCE: Final = hg.PollPolicy(first_poll=5.0, backoff=1.5, max_interval=6.0, jitter=0.1)
"""A job's first poll at once (``as_completed`` on ids does not know when they were submitted), the next 5 s
later, then every 6 s (+-10%). Polled one by one, 10,000 jobs then ask for about 1,670 requests/s, under the
2,000 budget (about 1,820/s once its 1.1 s window is counted), so the budget shapes only the first round
(every job due at once) and per-job polling runs at its cadence rather than throttled. A 180 s render then needs
about 31 polls per job, enough for bulk status (about 1 + 31/100 requests per job) to reach 1/20."""
QUICK_CADENCE: Final = hg.PollPolicy(first_poll=0.2, backoff=1.5, max_interval=0.25, jitter=0.1)
"""For ``--quick`` (200 renders of 2 s under 500 requests/s): per-job polling then asks for 800/s, so the budget
binds and the report's budget check means something; the numbers themselves mean little."""


def _emulator_config(pending_seconds: float, render_seconds: float) -> dict[str, Any]:
    return {
        "concurrent_jobs": 1_000_000,
        "pending_seconds": pending_seconds,
        "render_seconds": render_seconds,
        "request_log_size": 2_000_000,
        "wallet_balance": 1e12,
    }


async def _create(client: hg.HeyGenClient, count: int) -> list[str]:
    """``count`` renders through ``client.v3.videos.create``, 64 at a time; their ids in creation order."""
    ids: list[str] = []
    remaining = iter(range(count))

    async def worker() -> None:
        for _ in remaining:
            created = await client.v3.videos.create(**VIDEO)
            assert created.video_id, "the emulator answered a create without a video_id"
            ids.append(created.video_id)

    await asyncio.gather(*(worker() for _ in range(64)))
    return ids


def _client(base: str, approach: str, jobs: int, budget: float, policy: hg.PollPolicy, results: Any) -> None:
    async def main() -> dict[str, Any]:
        async with hg.HeyGenClient.direct(
            API_KEY,
            base_url=base,
            upload_url=base,
            poll_budget=budget,
            poll_policy=policy,
            limits=hg.Limits(max_connections=200),
            bulk_status=approach == "bulk",
        ) as client:
            begin = time.perf_counter()
            ids = await _create(client, jobs)
            created = time.perf_counter() - begin
            position = {video_id: index for index, video_id in enumerate(ids)}
            detected: list[float] = [0.0] * jobs
            failed = 0
            cpu, started = time.process_time(), time.perf_counter()
            async for job in client.v3.videos.as_completed(ids, timeout=3600):
                try:
                    completed = job.result().status == "completed"
                except hg.HeyGenError:
                    completed = False
                if completed:
                    detected[position[job.id]] = time.time()
                else:
                    failed += 1
            cpu = time.process_time() - cpu
            elapsed = time.perf_counter() - started
            stats = client.jobs.scheduler.stats
            return {
                "ids": ids,
                "detected": detected,
                "failed": failed,
                "created_seconds": created,
                "cpu": cpu,
                "elapsed": elapsed,
                "client_max_window": stats.max_per_second,
                "client_polls": stats.polls,
                "bulk_polls": stats.bulk_polls,
                "jobs_in_bulk": stats.jobs_in_bulk,
            }

    results.put(json.dumps(asyncio.run(main())))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def _measure(root: str, approach: str, jobs: int, budget: float, policy: hg.PollPolicy) -> dict[str, Any]:
    asyncio.run(emulator_post(root, "/_emulator/reset"))
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    process = ctx.Process(target=_client, args=(root, approach, jobs, budget, policy, results))
    process.start()
    outcome = client_outcome(process, results, limit=3600)
    log = asyncio.run(emulator_json(root, "/_emulator/log?limit=5000000"))
    finished = {v["id"]: v["finished_at"] for v in asyncio.run(emulator_json(root, "/_emulator/v3/videos"))}
    detail = [entry["time"] for entry in log if entry.get("route") == DETAIL_ROUTE]
    bulk = [entry["time"] for entry in log if entry.get("route") == BULK_ROUTE]
    delays = [
        at - finished[v] for v, at in zip(outcome["ids"], outcome["detected"], strict=True) if at and finished.get(v)
    ]
    detected = sum(1 for at in outcome["detected"] if at)
    return {
        "created": len(finished),
        "created_seconds": outcome["created_seconds"],
        "detected": detected,
        "failed": outcome["failed"],
        "detail": len(detail),
        "bulk": len(bulk),
        "per_completion": (len(detail) + len(bulk)) / max(1, detected),
        "ids_per_bulk": outcome["jobs_in_bulk"] / max(1, outcome["bulk_polls"]),
        "client_max_window": outcome["client_max_window"],
        "server_max_window": max_in_window(detail + bulk),
        "p50": _percentile(delays, 0.50),
        "p99": _percentile(delays, 0.99),
        "cpu": outcome["cpu"],
        "elapsed": outcome["elapsed"],
    }


def measure(
    jobs: int = 10_000,
    budget: float = 2000.0,
    pending_seconds: float = 5.0,
    render_seconds: float = 175.0,
    policy: hg.PollPolicy = CADENCE,
) -> dict[str, dict[str, Any]]:
    """Both approaches against one emulator, one after the other (bulk first); the numbers of each."""
    serve = functools.partial(serve_emulator, **_emulator_config(pending_seconds, render_seconds))
    with server_process(serve) as (port, _):
        root = f"http://127.0.0.1:{port}"
        return {approach: _measure(root, approach, jobs, budget, policy) for approach in APPROACHES}


def run(
    jobs: int = 10_000,
    budget: float = 2000.0,
    pending_seconds: float = 5.0,
    render_seconds: float = 175.0,
    policy: hg.PollPolicy = CADENCE,
) -> str:
    """Run both approaches and return a Markdown report."""
    rows = measure(jobs, budget, pending_seconds, render_seconds, policy)
    bulk, single = rows["bulk"], rows["per-job"]

    def line(name: str, row: dict[str, Any]) -> str:
        return (
            f"| {name} | {row['detected']:,} / {row['created']:,} | {row['detail']:,} / {row['bulk']:,} | "
            f"{row['per_completion']:.3f} | {row['ids_per_bulk']:.1f} | {row['p50']:.2f} / {row['p99']:.2f} | "
            f"{row['client_max_window']:,} / {row['server_max_window']:,} | {row['cpu']:.1f} | "
            f"{row['cpu'] / max(1, row['detected']) * 1e3:.2f} | {row['elapsed']:.1f} |"
        )

    ratio = bulk["per_completion"] / single["per_completion"]
    latency_met = bulk["p99"] <= single["p99"]
    within = all(row["server_max_window"] <= budget and row["client_max_window"] <= budget for row in rows.values())
    creates = ", ".join(
        f"{name} {row['created_seconds']:.1f} s ({row['created'] / row['created_seconds']:,.0f}/s)"
        for name, row in rows.items()
    )
    return "\n".join(
        [
            f"{jobs:,} v3 renders (about {pending_seconds + render_seconds:g} s each, all created first with "
            f"`client.v3.videos.create`), followed with `client.v3.videos.as_completed(ids)`; budget "
            f"{budget:,.0f} requests/s; cadence for both: first poll at once, then {policy.first_poll:g} s, then "
            f"x{policy.backoff:g} up to {policy.max_interval:g} s, jitter {policy.jitter:.0%}. Creating: {creates}.",
            "",
            "| approach | detected / created | detail polls / bulk requests (emulator log) | status requests per "
            "completion | ids per bulk request | completion -> detection s (p50 / p99) | max status requests in "
            "any 1 s (client starts / emulator log) | client CPU s while tracking | client CPU ms per completion "
            "| tracking wall s |",
            "|---|---|---|---|---|---|---|---|---|---|",
            line("bulk status (default)", bulk),
            line("per-job (bulk_status=False)", single),
            "",
            f"Goal: bulk / per-job, status requests per completion {ratio:.3f} (1/{1 / max(ratio, 1e-9):.1f}; goal at "
            f"most 1/20) at a detection p99 of {bulk['p99']:.2f} s against {single['p99']:.2f} s (goal: no worse): "
            f"**{'met' if ratio <= 1 / 20 and latency_met else 'not met'}**. Budget: no one-second window over "
            f"{budget:,.0f}, either approach: **{'met' if within else 'not met'}**.",
        ]
    )
