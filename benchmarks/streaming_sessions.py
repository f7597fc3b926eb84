"""Many concurrent live avatar sessions: the session layer (``SessionManager`` + ``StreamingSession``) against the
same calls made raw (``client.streaming.new/start/task/stop``, no session objects).

Each session: open (``streaming.new`` + ``streaming.start``), speak three times, stop; all of them at once. The
emulator runs in its own process on real time (``ScaledClock(1.0)``); each approach runs in a fresh client
process, which first runs one session to warm up, then samples its idle RSS, then runs the measured sessions.
Reported per approach (median of the rounds; completed and left open: the worst round):

- sessions completed, and sessions per second (wall time from the first open to the last stop);
- requests per session, from the emulator's request log (both approaches need 6: the ratio is the layer's
  overhead in requests);
- client CPU per session;
- peak RSS of the client above its idle RSS, per session;
- non-2xx responses, and sessions the emulator still has open afterwards (goal: 0).
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import statistics
import time
from typing import Any, Final

import aiohttp

import heygen_async as hg

from ._server_process import client_outcome, rss_bytes, server_process

TOKEN: Final = "at_benchmark"
AVATAR: Final = "Wayne_20240711"
TEXTS: Final = ("Hello there.", "Welcome to the benchmark.", "Goodbye.")
MANAGER_CAP: Final = 1_000
EMULATOR_MAX_SESSIONS: Final = 2_000
IDLE_TIMEOUT: Final = 120
"""Sent by both approaches (the session layer always sends one: HeyGen's default when not given)."""
APPROACHES: Final = {
    "session": f"session layer: SessionManager(max_sessions={MANAGER_CAP:,})",
    "raw": "raw calls: streaming.new/start/task/stop",
}


def _serve(port: int, ready: Any) -> None:
    from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

    config = EmulatorConfig(max_sessions=EMULATOR_MAX_SESSIONS, request_log_size=1_000_000)

    async def main() -> None:
        async with Emulator(config, clock=ScaledClock(1.0), port=port):
            ready.set()
            await asyncio.Event().wait()

    asyncio.run(main())


async def _with_sessions(manager: hg.SessionManager) -> None:
    async with manager.session(avatar_id=AVATAR, quality="low", activity_idle_timeout=IDLE_TIMEOUT) as session:
        for text in TEXTS:
            await session.speak(text)
    if session.stop_error is not None:
        raise session.stop_error


async def _raw(client: hg.HeyGenClient) -> None:
    info = await client.streaming.new(avatar_id=AVATAR, quality="low", activity_idle_timeout=IDLE_TIMEOUT)
    session_id = info.session_id
    if not session_id:
        raise RuntimeError("streaming.new answered without a session_id")
    try:
        await client.streaming.start(session_id)
        for text in TEXTS:
            await client.streaming.task(session_id, text, task_type="repeat", task_mode="sync")
    finally:
        await client.streaming.stop(session_id)


def _client(base: str, approach: str, sessions: int, results: Any) -> None:
    async def main() -> dict[str, Any]:
        async with hg.HeyGenClient(TOKEN, base_url=base) as client:
            manager = client.streaming.manager(max_sessions=MANAGER_CAP, acquire_timeout=None)

            async def one() -> None:
                if approach == "session":
                    await _with_sessions(manager)
                else:
                    await _raw(client)

            await one()  # warm-up: connections, lazy imports, caches exist before the idle sample
            gc.collect()
            peak = idle = rss_bytes()

            async def sample() -> None:
                nonlocal peak
                while True:
                    peak = max(peak, rss_bytes())
                    await asyncio.sleep(0.02)

            sampler = asyncio.create_task(sample())
            await asyncio.sleep(0)
            wall, cpu, started = time.time(), time.process_time(), time.perf_counter()
            outcomes = await asyncio.gather(*(one() for _ in range(sessions)), return_exceptions=True)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            peak = max(peak, rss_bytes())
            sampler.cancel()
            errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
            problems = list(errors)
            if manager.active or manager.sessions:  # every slot given back, the ledger empty
                problems.append(f"the manager still holds {manager.active} slot(s), {len(manager.sessions)} session(s)")
            return {
                "started": wall,
                "completed": sessions - len(errors),
                "first_error": problems[0] if problems else None,
                "elapsed": elapsed,
                "cpu": cpu,
                "rss_per_session": (peak - idle) / sessions,
            }

    try:
        outcome = asyncio.run(main())
    except BaseException as exc:  # reported to the parent rather than lost with the process
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
    results.put(json.dumps(outcome))


async def _emulator(root: str, method: str, path: str) -> Any:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.request(method, root + path) as response:
        response.raise_for_status()
        return await response.json()


def _measure(root: str, approach: str, sessions: int) -> dict[str, Any]:
    asyncio.run(_emulator(root, "POST", "/_emulator/reset"))
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    process = ctx.Process(target=_client, args=(root + "/heygen", approach, sessions, results), daemon=True)
    process.start()
    outcome = client_outcome(process, results, limit=600)
    if "error" in outcome:
        raise RuntimeError(f"the {approach} benchmark client failed: {outcome['error']}")
    log = asyncio.run(_emulator(root, "GET", "/_emulator/log?limit=10000000"))
    stats = asyncio.run(_emulator(root, "GET", "/_emulator/stats"))
    measured = [entry for entry in log if entry["time"] >= outcome["started"]]
    return {
        "completed": outcome["completed"],
        "first_error": outcome["first_error"],
        "sessions_per_s": sessions / outcome["elapsed"],
        "requests_per_session": len(measured) / sessions,
        "non_2xx": sum(1 for entry in measured if not 200 <= entry.get("status", 0) < 300),
        "cpu_ms_per_session": outcome["cpu"] / sessions * 1e3,
        "rss_kb_per_session": outcome["rss_per_session"] / 1024,
        "left_open": stats["sessions_open"],
    }


def _combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the measurements; the worst round for completion, errors and sessions left open."""
    row: dict[str, Any] = {
        key: statistics.median(r[key] for r in rounds)
        for key in ("sessions_per_s", "requests_per_session", "cpu_ms_per_session", "rss_kb_per_session")
    }
    row["completed"] = min(r["completed"] for r in rounds)
    row["non_2xx"] = max(r["non_2xx"] for r in rounds)
    row["left_open"] = max(r["left_open"] for r in rounds)
    row["first_error"] = next((r["first_error"] for r in rounds if r["first_error"]), None)
    return row


def run(sessions: int = 1_000, rounds: int = 3) -> str:
    """Run both approaches against one emulator, alternating, ``rounds`` times; return a Markdown report."""
    measured: dict[str, list[dict[str, Any]]] = {approach: [] for approach in APPROACHES}
    with server_process(_serve) as (port, _):
        root = f"http://127.0.0.1:{port}"
        for index in range(rounds):
            order = list(APPROACHES) if index % 2 == 0 else list(reversed(APPROACHES))
            for approach in order:
                measured[approach].append(_measure(root, approach, sessions))
    rows = {approach: _combine(results) for approach, results in measured.items()}

    def line(approach: str) -> str:
        row = rows[approach]
        return (
            f"| {APPROACHES[approach]} | {row['completed']:,} / {sessions:,} | {row['sessions_per_s']:,.0f} | "
            f"{row['requests_per_session']:.2f} | {row['cpu_ms_per_session']:.2f} | "
            f"{row['rss_kb_per_session']:.2f} | {row['non_2xx']:,} | {row['left_open']:,} |"
        )

    ours, raw = rows["session"], rows["raw"]
    errors = [
        f"First failure ({APPROACHES[approach]}): {row['first_error']}"
        for approach, row in rows.items()
        if row["first_error"]
    ]
    return "\n".join(
        [
            f"{sessions:,} concurrent sessions, each: open (streaming.new + start), speak x{len(TEXTS)}, stop. "
            f"Emulator in its own process on real time (max_sessions {EMULATOR_MAX_SESSIONS:,}); each approach in "
            f"a fresh client process with the default connection pool; median of {rounds} round(s), approaches "
            "alternating.",
            "",
            "| approach | sessions completed | sessions/s | requests per session | client CPU ms per session | "
            "peak RSS KB per session | non-2xx responses | sessions left open |",
            "|---|---|---|---|---|---|---|---|",
            line("session"),
            line("raw"),
            "",
            f"Ratios, session layer / raw calls: requests per session "
            f"{ours['requests_per_session'] / max(1e-9, raw['requests_per_session']):.2f}, sessions/s "
            f"{ours['sessions_per_s'] / max(1e-9, raw['sessions_per_s']):.2f}, client CPU per session "
            f"{ours['cpu_ms_per_session'] / max(1e-9, raw['cpu_ms_per_session']):.2f}.",
            *errors,
        ]
    )
