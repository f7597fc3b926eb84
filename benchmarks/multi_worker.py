"""Several worker processes on one HeyGen account, sharing a RedisState: one poll budget, one job ledger, one
session ledger, and one worker killed with SIGKILL in the middle.

The emulator runs in its own process on real time, redis-server in another (a real one, started here and
stopped after); each worker is a fresh process that submits its share of the renders, opens one live session,
waits for its renders and, every ``adopt_every`` seconds, adopts the jobs of workers whose lease ran out and
reaps the sessions they left open. Once every worker has submitted and the renders are under way, one worker
is killed with SIGKILL. Measured, from the emulator's request log and the ledger:

- the most status polls the emulator received in any one-second window, all workers together (goal: never
  above the account budget);
- whether every job reached a terminal status in the ledger, and for the killed worker's jobs, that another
  worker saw it (goal: all of them);
- renders the emulator created against jobs in the ledger (goal: equal: nothing submitted went unrecorded);
- when the killed worker's live session was stopped, counted from the kill, against when its lease ran out
  (goal: after the lease ran out, by exactly one of the others).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Iterator
from typing import Any, Final

import anyio

import heygen_async as hg

from ._redis_server import redis_server
from ._server_process import emulator_json, emulator_post, max_in_window, serve_emulator, server_process

TOKEN: Final = "at_benchmark_multi_worker"
ACCOUNT: Final = "benchmark"
SCENE: Final = {
    "character": {"type": "avatar", "avatar_id": "Angela-inTshirt-20220820"},
    "voice": {"type": "text", "input_text": "Hello", "voice_id": "v"},
}
CADENCE: Final = hg.PollPolicy(first_poll=2.0, backoff=3.0, max_interval=6.0, jitter=0.1)
"""As in job_polling: first poll after 2 s, then every 6 s; 10,000 jobs want about 1,700 polls/s."""


def _worker(settings: dict[str, Any], events: Any, stop: Any) -> None:
    """One worker process: submit, open a session, wait, adopt, reap; report what it did on ``events``."""

    async def main() -> dict[str, Any]:
        base = settings["base"]
        async with (
            hg.RedisState(settings["redis"], account=ACCOUNT, lease_ttl=settings["lease_ttl"]) as state,
            hg.HeyGenClient(
                TOKEN,
                base_url=base,
                poll_budget=settings["budget"],
                poll_policy=CADENCE,
                limits=hg.Limits(max_connections=200),
                state=state,
            ) as client,
        ):
            events.put(json.dumps({"event": "started", "worker": settings["index"], "owner": state.owner}))
            ids: list[str] = []
            remaining = iter(range(settings["jobs"]))

            async def submit() -> None:
                for _ in remaining:
                    job = await client.videos.generate([SCENE])
                    ids.append(job.video_id or "")

            await asyncio.gather(*(submit() for _ in range(32)))
            manager = client.streaming.manager(max_sessions=settings["workers"] * 2, acquire_timeout=30)
            managed = manager.session(avatar_id="Angela-inTshirt-20220820", quality="low")
            session = await managed.__aenter__()
            events.put(
                json.dumps({"event": "submitted", "worker": settings["index"], "jobs": len(ids), "session": session.id})
            )
            finished = adopted = 0
            reaped: list[str] = []
            cpu = time.process_time()

            async def follow(handles: list[hg.Job[Any]]) -> None:
                nonlocal finished
                async for _ in client.jobs.as_completed(handles):
                    finished += 1

            async with anyio.create_task_group() as group:
                group.start_soon(follow, [client.videos.job(v) for v in ids])
                while not stop.is_set():
                    await asyncio.sleep(settings["adopt_every"])
                    orphans = await client.jobs.adopt_orphans(limit=100_000)
                    if orphans:
                        adopted += len(orphans)
                        group.start_soon(follow, orphans)
                    report = await manager.reap_orphans(min_age=3600)
                    for session_id in report.stopped:
                        reaped.append(session_id)
                        events.put(
                            json.dumps(
                                {
                                    "event": "reaped",
                                    "worker": settings["index"],
                                    "session": session_id,
                                    "at": time.time(),
                                }
                            )
                        )
                    if orphans:
                        events.put(
                            json.dumps(
                                {
                                    "event": "adopted",
                                    "worker": settings["index"],
                                    "jobs": len(orphans),
                                    "at": time.time(),
                                }
                            )
                        )
                group.cancel_scope.cancel()  # the followers: every job in the ledger has ended
            await managed.__aexit__(None, None, None)
            return {
                "event": "done",
                "worker": settings["index"],
                "finished": finished,
                "adopted": adopted,
                "reaped": reaped,
                "polls": client.jobs.scheduler.stats.polls,
                "cpu": time.process_time() - cpu,
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }

    events.put(json.dumps(asyncio.run(main())))


async def _ledger(redis_url: str) -> list[hg.JobRecord]:
    state = hg.RedisState(redis_url, account=ACCOUNT)  # read-only use: no lease needed
    try:
        return await state.jobs()
    finally:
        await state.aclose()


def _lease_left(redis_url: str, owner: str) -> float:
    """Seconds the killed worker's lease still had to run (its last heartbeat was up to a third of it ago)."""
    import redis

    connection = redis.Redis.from_url(redis_url)
    try:
        left = connection.pttl(f"heygen_async:{{{ACCOUNT}}}:lease:{owner}")
    finally:
        connection.close()
    return max(0, int(left)) / 1000


async def _open_sessions(root: str) -> set[str]:
    async with hg.HeyGenClient(TOKEN, base_url=root + "/heygen") as client:
        return {s.session_id for s in await client.streaming.list_sessions() if s.session_id}


def measure(
    *,
    jobs: int = 10_000,
    workers: int = 4,
    budget: float = 2000.0,
    render_seconds: float = 20.0,
    lease_ttl: float = 5.0,
    adopt_every: float = 1.0,
    kill_after: float = 3.0,
    limit: float = 900.0,
) -> dict[str, Any]:
    """Run the scenario once and return its numbers (see the module docstring)."""
    ctx = multiprocessing.get_context("spawn")
    with redis_server() as redis_url, _emulator(render_seconds) as root:
        asyncio.run(emulator_post(root, "/_emulator/reset"))
        events = ctx.Queue()
        stop = ctx.Event()
        shares = [jobs // workers + (1 if i < jobs % workers else 0) for i in range(workers)]
        processes = []
        for index, share in enumerate(shares):
            settings = {
                "index": index,
                "base": root + "/heygen",
                "redis": redis_url,
                "budget": budget,
                "jobs": share,
                "workers": workers,
                "lease_ttl": lease_ttl,
                "adopt_every": adopt_every,
            }
            process = ctx.Process(target=_worker, args=(settings, events, stop), daemon=True)
            process.start()
            processes.append(process)
        owners: dict[int, str] = {}
        sessions: dict[int, str] = {}
        log: list[dict[str, Any]] = []
        deadline = time.monotonic() + limit

        def take(seconds: float) -> None:
            try:
                item = json.loads(events.get(timeout=seconds))
            except Exception:
                return
            log.append(item)
            if item["event"] == "started":
                owners[item["worker"]] = item["owner"]
            elif item["event"] == "submitted":
                sessions[item["worker"]] = item["session"]

        try:
            while len(sessions) < workers:
                if time.monotonic() > deadline or any(p.exitcode not in (None, 0) for p in processes):
                    raise RuntimeError(f"workers did not all submit: {log[-5:]}")
                take(1.0)
            submitted_at = time.time()
            time.sleep(kill_after)
            victim = workers - 1
            os.kill(processes[victim].pid or 0, signal.SIGKILL)
            killed_at = time.time()
            lease_left = _lease_left(redis_url, owners[victim])
            ledger_at_kill = asyncio.run(_ledger(redis_url))
            victim_open = {r.key for r in ledger_at_kill if r.owner == owners[victim] and not r.done}
            # Wait until the ledger says every job ended and the victim's session is gone from the emulator.
            while True:
                if time.monotonic() > deadline:
                    raise RuntimeError("the run did not finish in time")
                take(0.5)
                ledger = asyncio.run(_ledger(redis_url))
                open_sessions = asyncio.run(_open_sessions(root))
                if len(ledger) >= jobs and all(r.done for r in ledger) and sessions[victim] not in open_sessions:
                    break
            ended_at = time.time()
            stop.set()
            reports: list[dict[str, Any]] = []
            while len(reports) < workers - 1 and time.monotonic() < deadline:
                take(1.0)
                reports = [item for item in log if item["event"] == "done"]
        finally:
            stop.set()
            for process in processes:
                process.join(30)
                if process.is_alive():
                    process.kill()
        requests = asyncio.run(emulator_json(root, "/_emulator/log?limit=5000000"))
        videos = asyncio.run(emulator_json(root, "/_emulator/videos"))
    polls = [entry["time"] for entry in requests if entry.get("endpoint") == "videos.status"]
    after_kill = [t for t in polls if t >= killed_at]
    by_key = {r.key: r for r in ledger}
    victim_records = [by_key[key] for key in victim_open if key in by_key]
    reaped = [item for item in log if item["event"] == "reaped" and item["session"] == sessions[victim]]
    adopted = [item for item in log if item["event"] == "adopted"]
    return {
        "jobs": jobs,
        "workers": workers,
        "budget": budget,
        "lease_ttl": lease_ttl,
        "render_seconds": render_seconds,
        "server_max_window": max_in_window(polls),
        "server_max_window_after_kill": max_in_window(after_kill),
        "polls": len(polls),
        "ledger_jobs": len(ledger),
        "ledger_done": sum(1 for r in ledger if r.done),
        "emulator_videos": len(videos),
        "emulator_finished": sum(1 for v in videos if v["status"] in ("completed", "failed")),
        "victim_open_at_kill": len(victim_open),
        "victim_done_by_others": sum(1 for r in victim_records if r.done and r.updated_by != owners[victim]),
        "victim_done": sum(1 for r in victim_records if r.done),
        "adopted": sum(item["jobs"] for item in adopted),
        "first_adoption_after_kill": min((item["at"] for item in adopted), default=float("nan")) - killed_at,
        "lease_ran_out_after_kill": lease_left,
        "session_reaped_after_kill": (reaped[0]["at"] - killed_at) if reaped else float("nan"),
        "session_reapers": len({item["worker"] for item in reaped}),
        "victim_session_reaped": bool(reaped),
        "run_seconds": ended_at - submitted_at,
        "reports": reports,
    }


@contextlib.contextmanager
def _emulator(render_seconds: float) -> Iterator[str]:
    """The emulator in its own process; yields its root URL (``http://127.0.0.1:port``)."""
    with server_process(
        functools.partial(
            serve_emulator,
            concurrent_renders=1_000_000,
            pending_seconds=1.0,
            render_seconds=render_seconds,
            request_log_size=2_000_000,
            initial_quota=1e12,
            max_sessions=100,
            idle_timeout=3600.0,
            session_duration_limit=3600.0,
        )
    ) as (port, _):
        yield f"http://127.0.0.1:{port}"


def run(**options: Any) -> str:
    """Run the scenario and return a Markdown report."""
    r = measure(**options)
    cpu = sum(report["cpu"] for report in r["reports"])
    worker_polls = sum(report["polls"] for report in r["reports"])
    rows = [
        (
            "busiest one-second window at the emulator, all workers",
            f"{r['server_max_window']:,} polls",
            f"<= {r['budget']:,.0f}",
            r["server_max_window"] <= r["budget"],
        ),
        (
            "... after the kill (three workers)",
            f"{r['server_max_window_after_kill']:,} polls",
            f"<= {r['budget']:,.0f}",
            r["server_max_window_after_kill"] <= r["budget"],
        ),
        (
            "jobs in the ledger / renders the emulator created",
            f"{r['ledger_jobs']:,} / {r['emulator_videos']:,}",
            "equal",
            r["ledger_jobs"] == r["emulator_videos"],
        ),
        (
            "jobs ending in a terminal status in the ledger",
            f"{r['ledger_done']:,} of {r['ledger_jobs']:,}",
            "all",
            r["ledger_done"] == r["ledger_jobs"] == r["jobs"],
        ),
        (
            "killed worker's unfinished jobs seen to the end by the others",
            f"{r['victim_done_by_others']:,} of {r['victim_open_at_kill']:,}",
            "all",
            r["victim_done_by_others"] == r["victim_open_at_kill"] > 0,
        ),
        (
            "killed worker's live session stopped: s after the kill (its lease ran out at), by how many",
            f"{r['session_reaped_after_kill']:.2f} s ({r['lease_ran_out_after_kill']:.2f} s), "
            f"{r['session_reapers']} worker",
            "after the lease ran out, once",
            r["victim_session_reaped"]
            and r["session_reaped_after_kill"] >= r["lease_ran_out_after_kill"]
            and r["session_reapers"] == 1,
        ),
    ]
    lines = [
        f"{r['workers']} worker processes on one account (RedisState on a real redis-server), {r['jobs']:,} "
        f"renders (about {r['render_seconds'] + 1:.0f} s each), account budget {r['budget']:,.0f} polls/s, lease "
        f"{r['lease_ttl']:g} s; one worker killed with SIGKILL a few seconds after every worker had submitted.",
        "",
        "| measure | result | goal | met |",
        "|---|---|---|---|",
        *(f"| {name} | {value} | {goal} | {'yes' if ok else '**no**'} |" for name, value, goal, ok in rows),
        "",
        f"Status polls at the emulator: {r['polls']:,} ({worker_polls:,} counted by the surviving workers' "
        f"schedulers); jobs adopted: {r['adopted']:,}, the first {r['first_adoption_after_kill']:.1f} s after the "
        f"kill; survivors' CPU while waiting: {cpu:.1f} s; from the last submission to every job ended and the "
        f"session reaped: {r['run_seconds']:.1f} s.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
