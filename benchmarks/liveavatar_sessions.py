"""Many concurrent LiveAvatar LITE sessions, each speaking seconds of PCM: the session layer (``live.manager`` +
``LiveAvatarSession.speak_audio``) against a bare aiohttp loop sending the same audio.

Each session: mint and start it, open its WebSocket and wait for ``connected``, stream one utterance of PCM
s16le 24 kHz mono (frames of 0.6 s, then 1 s, one second ahead of real time), close it with
``agent.speak_end``, wait for ``agent.speak_ended``, stop; all of them concurrently. The bare loop does the same
REST calls and WebSocket commands with aiohttp alone: ``json.dumps`` + ``base64`` per frame, paced by one
``asyncio.sleep`` per frame to the same schedule, no session object, manager, ledger, outbox or keep-alive.

Sessions start all at once, or spread evenly over a few seconds (every session still overlaps every other).
The emulator runs in its own process on real time, so the client process's CPU (``time.process_time``) is the
client's alone; each case runs in a fresh client process, which first runs one short session to warm up, then
samples its idle RSS, then runs the measured sessions. Reported per case (medians of the rounds; counts: the
worst round):

- sessions completed, utterances the emulator played to their end, frames it received of those expected;
- client CPU per second of audio streamed (and its ratio to the bare loop's);
- pacing: how late frames went out against their schedule, as the client saw it (the session's
  ``pacing.stats()``; the bare loop measures its own sleeps the same way) and as the emulator saw it (each
  frame's arrival time against its utterance's schedule, anchored at its earliest-consistent start; in the
  whole run, and once every session had started, when the emulator's own loop is no longer busy opening);
- peak RSS of the client above its idle RSS, per session; the event loop's lag p99 (a 20 ms ticker); the CPU
  other processes used meanwhile, in cores (the machine is shared: pacing suffers when they take it);
- sessions (and WebSockets) the emulator still has open afterwards (goal: 0).
"""

from __future__ import annotations

import array
import asyncio
import base64
import functools
import gc
import json
import math
import multiprocessing
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import aiohttp

import heygen_async as hg

from ._server_process import (
    busy_cpu_seconds,
    client_outcome,
    emulator_json,
    emulator_post,
    process_cpu_seconds,
    rss_bytes,
    server_process,
)

KEY: Final = "la_benchmark"
AVATAR: Final = "5c2d52a4-1c47-4b8e-9d5c-6f0e3f4d2a11"
"""The emulator's public LITE avatar ("Katya")."""
RATE: Final = 24_000
BYTES_PER_SECOND: Final = RATE * 2
FIRST_FRAME: Final = 0.6
FRAME: Final = 1.0
LEAD: Final = 1.0
"""The session's defaults (frames of 0.6 s then 1 s, one second ahead), which the bare loop copies."""
WARM_UP_SECONDS: Final = 0.5
TICK: Final = 0.02
JITTER_GOAL: Final = 0.050
SPREADS: Final = (0.0, 2.0)
"""Seconds over which the sessions' starts are spread: all at once, and over two seconds (250 a second)."""
APPROACHES: Final = {
    "session": "session layer: live.manager(max_sessions=N) + speak_audio()",
    "raw": "bare aiohttp: REST + WebSocket, json + base64, one sleep a frame",
}


# -- the emulator's process -------------------------------------------------------------------------------------


def _serve(port: int, ready: Any, asks: Any, answers: Any, max_sessions: int) -> None:
    """The emulator on real time, raising LiveAvatar's concurrency cap and credits; it answers ``asks`` (a
    monotonic time) with every utterance whose first frame came after it: its frame arrival times and outcome."""
    from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

    config = EmulatorConfig(liveavatar_max_concurrent=max_sessions, liveavatar_credits=1e9)

    async def main() -> None:
        async with Emulator(config, clock=ScaledClock(1.0), port=port) as emulator:
            loop = asyncio.get_running_loop()

            async def utterances(since: float) -> str:
                found = [
                    {
                        "frames": u.frames,
                        "bytes": u.bytes,
                        "arrivals": u.frame_arrivals,
                        "played": u.ended_by_speak_end and not u.interrupted,
                    }
                    for session in emulator.liveavatar.sessions.values()
                    for u in session.utterances
                    if u.first_frame_at >= since
                ]
                return json.dumps(found)

            def listen() -> None:  # a thread: the queue blocks; the answer is computed on the emulator's loop
                while True:
                    since = asks.get()
                    answers.put(asyncio.run_coroutine_threadsafe(utterances(since), loop).result())

            threading.Thread(target=listen, daemon=True).start()
            ready.set()
            await asyncio.Event().wait()

    asyncio.run(main())


# -- audio and its schedule -------------------------------------------------------------------------------------


def tone(seconds: float) -> bytes:
    """``seconds`` of a 240 Hz tone, PCM s16le 24 kHz mono (a whole period is 100 samples)."""
    period = array.array("h", (round(8000 * math.sin(2 * math.pi * i / 100)) for i in range(100)))
    if sys.byteorder == "big":
        period.byteswap()
    samples = round(seconds * RATE)
    return (period.tobytes() * (samples // 100 + 1))[: samples * 2]


def frame_sizes(total: int) -> list[int]:
    """The byte sizes of the frames ``total`` bytes of PCM are cut into (as the session cuts them)."""
    sizes: list[int] = []
    first, step = round(FIRST_FRAME * RATE) * 2, round(FRAME * RATE) * 2
    left = total
    while left > 0:
        size = min(first if not sizes else step, left)
        sizes.append(size)
        left -= size
    return sizes


def schedule(sizes: Sequence[int]) -> list[float]:
    """Each frame's due time after the first's: once what went before it, less the lead, has played."""
    due, sent = [], 0.0
    for size in sizes:
        due.append(max(0.0, sent - LEAD))
        sent += size / BYTES_PER_SECOND
    return due


def arrival_lateness(arrivals: Sequence[float], due: Sequence[float]) -> list[float]:
    """How late each frame arrived against its schedule, anchored where the schedule fits the arrivals
    earliest (so the network's constant delay counts as none; a frame can only be late)."""
    offsets = [arrived - when for arrived, when in zip(arrivals, due, strict=True)]
    start = min(offsets)
    return [offset - start for offset in offsets]


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, math.ceil(share * len(ranked)) - 1)]


# -- the two approaches (in the client's process) ---------------------------------------------------------------


async def _first_finished(session: hg.StreamingSession) -> hg.TaskFinished | None:
    async for event in session.events():
        if isinstance(event, hg.TaskFinished):
            return event
    return None


async def _with_session(manager: hg.SessionManager, pcm: bytes) -> dict[str, Any]:
    async with manager.session(avatar_id=AVATAR, mode="LITE") as session:
        assert isinstance(session, hg.LiveAvatarSession)
        finished = asyncio.ensure_future(_first_finished(session))
        await asyncio.sleep(0)  # subscribed before anything is said
        channel = session.channel
        assert channel is not None
        await channel.wait_ready()  # pacing is measured from connected on (commands sent before it wait)
        await session.speak_audio(pcm)
        event = await finished
        pacer = session.pacing
        assert pacer is not None
        stats = pacer.stats()
    if session.stop_error is not None:
        raise session.stop_error
    return {
        "frames": stats.frames,
        "played": event is not None and not event.interrupted,
        "late_max": stats.late_max,
    }


async def _post(http: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str]) -> Any:
    async with http.post(url, json=body, headers=headers) as response:
        response.raise_for_status()
        return (await response.json())["data"]


async def _until(ws: aiohttp.ClientWebSocketResponse[bool], kind: str, **match: Any) -> dict[str, Any]:
    async for message in ws:
        if message.type is aiohttp.WSMsgType.TEXT:
            data: dict[str, Any] = json.loads(message.data)
            if data.get("type") == kind and all(data.get(k) == v for k, v in match.items()):
                return data
    raise RuntimeError(f"the WebSocket closed before {kind}")


async def _bare(http: aiohttp.ClientSession, sockets: aiohttp.ClientSession, base: str, pcm: bytes) -> dict[str, Any]:
    key = {"X-Api-Key": KEY}
    minted = await _post(http, base + "/v1/sessions/token", {"mode": "LITE", "avatar_id": AVATAR}, key)
    try:
        bearer = {"Authorization": f"Bearer {minted['session_token']}"}
        started = await _post(http, base + "/v1/sessions/start", {}, bearer)
        async with sockets.ws_connect(started["ws_url"], heartbeat=None, max_msg_size=4 * 1024 * 1024) as ws:
            await _until(ws, "session.state_updated", state="connected")
            event_id = uuid.uuid4().hex
            late: list[float] = []
            sizes = frame_sizes(len(pcm))
            begun, at = time.monotonic(), 0
            for size, due in zip(sizes, schedule(sizes), strict=True):
                wait = begun + due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                    late.append(max(0.0, time.monotonic() - begun - due))
                audio = base64.b64encode(pcm[at : at + size]).decode()
                await ws.send_str(json.dumps({"type": "agent.speak", "audio": audio, "event_id": event_id}))
                at += size
            await ws.send_str(json.dumps({"type": "agent.speak_end", "event_id": event_id}))
            ended = await _until(ws, "agent.speak_ended", event_id=event_id)
    finally:
        await _post(http, base + "/v1/sessions/stop", {"session_id": minted["session_id"]}, key)
    return {
        "frames": len(sizes),
        "played": not ended.get("interrupted"),
        "late_max": max(late, default=0.0),
    }


def _client(
    base: str, emulator: int, approach: str, sessions: int, seconds: float, spread: float, results: Any
) -> None:
    async def main() -> dict[str, Any]:
        pcm, warm = tone(seconds), tone(WARM_UP_SECONDS)
        async with (
            hg.LiveAvatarClient(KEY, base_url=base) as live,
            aiohttp.ClientSession() as http,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as sockets,
        ):
            manager = live.manager(max_sessions=sessions, acquire_timeout=None)
            one: Callable[[bytes], Awaitable[dict[str, Any]]]
            if approach == "session":
                one = functools.partial(_with_session, manager)
            else:
                one = functools.partial(_bare, http, sockets, base)

            await one(warm)  # connections, lazy imports, caches exist before the idle sample
            gc.collect()
            peak = idle = rss_bytes()
            lags: list[float] = []

            async def sample() -> None:
                nonlocal peak
                while True:
                    before = time.monotonic()
                    await asyncio.sleep(TICK)
                    lags.append(time.monotonic() - before - TICK)
                    peak = max(peak, rss_bytes())

            sampler = asyncio.create_task(sample())
            await asyncio.sleep(0)

            async def later(index: int) -> dict[str, Any]:
                await asyncio.sleep(index * spread / sessions)
                return await one(pcm)

            busy, served = busy_cpu_seconds(), process_cpu_seconds(emulator)
            since, cpu, started = time.monotonic(), time.process_time(), time.perf_counter()
            outcomes = await asyncio.gather(*(later(index) for index in range(sessions)), return_exceptions=True)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            served = process_cpu_seconds(emulator) - served
            others = busy_cpu_seconds() - busy - cpu - served
            peak = max(peak, rss_bytes())
            sampler.cancel()
            done = [o for o in outcomes if not isinstance(o, BaseException)]
            problems = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
            if manager.active or manager.sessions:  # every slot given back, the ledger empty
                problems.append(f"the manager still holds {manager.active} slot(s), {len(manager.sessions)} session(s)")
            return {
                "since": since,
                "completed": len(done),
                "played": sum(1 for o in done if o["played"]),
                "frames_sent": sum(o["frames"] for o in done),
                "first_error": problems[0] if problems else None,
                "elapsed": elapsed,
                "cpu": cpu,
                "others_cores": max(0.0, others) / elapsed,
                "rss_per_session": (peak - idle) / sessions,
                "late_max": [o["late_max"] for o in done],
                "lag_p99": percentile(lags, 0.99),
            }

    try:
        outcome = asyncio.run(main())
    except BaseException as exc:  # reported to the parent rather than lost with the process
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
    results.put(json.dumps(outcome))


# -- measuring --------------------------------------------------------------------------------------------------


def _measure(
    root: str, emulator: int, asks: Any, answers: Any, approach: str, sessions: int, seconds: float, spread: float
) -> dict[str, Any]:
    asyncio.run(emulator_post(root, "/_emulator/reset"))
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    process = ctx.Process(
        target=_client, args=(root + "/liveavatar", emulator, approach, sessions, seconds, spread, results), daemon=True
    )
    process.start()
    outcome = client_outcome(process, results, limit=600)
    if "error" in outcome:
        raise RuntimeError(f"the {approach} benchmark client failed: {outcome['error']}")
    stats = asyncio.run(emulator_json(root, "/_emulator/stats"))["liveavatar"]
    asks.put(outcome["since"])
    utterances = json.loads(answers.get(timeout=60))
    sizes = frame_sizes(len(tone(seconds)))
    due = schedule(sizes)
    whole = [u["arrivals"] for u in utterances if u["frames"] == len(sizes) and len(u["arrivals"]) == len(sizes)]
    all_started = max((arrivals[0] for arrivals in whole), default=0.0)
    timed = [pair for arrivals in whole for pair in zip(arrivals, arrival_lateness(arrivals, due), strict=True)]
    arrived = [late for _, late in timed]
    steady = [late for when, late in timed if when > all_started]
    late_max = outcome["late_max"]
    audio = sessions * seconds
    return {
        "completed": outcome["completed"],
        "played": sum(1 for u in utterances if u["played"] and u["bytes"] == sum(sizes)),
        "frames_received": sum(u["frames"] for u in utterances),
        "frames_expected": sessions * len(sizes),
        "frames_sent": outcome["frames_sent"],
        "first_error": outcome["first_error"],
        "cpu_ms_per_audio_s": outcome["cpu"] / audio * 1e3,
        "cpu_s": outcome["cpu"],
        "others_cores": outcome["others_cores"],
        "elapsed": outcome["elapsed"],
        "client_p99": percentile(late_max, 0.99),
        "client_max": max(late_max, default=0.0),
        "arrival_p99": percentile(arrived, 0.99),
        "arrival_max": max(arrived, default=0.0),
        "steady_p99": percentile(steady, 0.99),
        "lag_p99": outcome["lag_p99"],
        "rss_kb_per_session": outcome["rss_per_session"] / 1024,
        "left_open": stats["sessions_open"],
        "ws_open": stats["ws_open"],
    }


_MEDIANS: Final = (
    "cpu_ms_per_audio_s",
    "cpu_s",
    "others_cores",
    "elapsed",
    "client_p99",
    "client_max",
    "arrival_p99",
    "arrival_max",
    "steady_p99",
    "lag_p99",
    "rss_kb_per_session",
)


def _combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the measurements; the worst round for the counts."""
    row: dict[str, Any] = {key: statistics.median(r[key] for r in rounds) for key in _MEDIANS}
    for key in ("completed", "played", "frames_received", "frames_sent"):
        row[key] = min(r[key] for r in rounds)
    row["frames_expected"] = rounds[0]["frames_expected"]
    for key in ("left_open", "ws_open"):
        row[key] = max(r[key] for r in rounds)
    row["first_error"] = next((r["first_error"] for r in rounds if r["first_error"]), None)
    return row


def measure(
    sessions: int = 500, seconds: float = 10.0, rounds: int = 1, spreads: Sequence[float] = SPREADS
) -> dict[tuple[str, float], dict[str, Any]]:
    """Both approaches against one emulator process, for each of ``spreads`` (seconds over which the sessions'
    starts are spread; 0: all at once), alternating, ``rounds`` times; each (approach, spread)'s row
    (:func:`_combine`), with ``cpu_ratios``: session layer / bare loop, per round, client CPU per audio second."""
    cases = [(approach, spread) for spread in spreads for approach in APPROACHES]
    measured: dict[tuple[str, float], list[dict[str, Any]]] = {case: [] for case in cases}
    ctx = multiprocessing.get_context("spawn")
    asks, answers = ctx.Queue(), ctx.Queue()
    serve = functools.partial(_serve, asks=asks, answers=answers, max_sessions=max(20, 2 * sessions))
    with server_process(serve) as (port, process):
        assert process.pid is not None
        root = f"http://127.0.0.1:{port}"
        for index in range(rounds):
            for case in cases if index % 2 == 0 else list(reversed(cases)):
                measured[case].append(_measure(root, process.pid, asks, answers, case[0], sessions, seconds, case[1]))
    rows = {case: _combine(results) for case, results in measured.items()}
    for spread in spreads:
        ours, bare = measured["session", spread], measured["raw", spread]
        rows["session", spread]["cpu_ratios"] = [
            a["cpu_ms_per_audio_s"] / max(1e-9, b["cpu_ms_per_audio_s"]) for a, b in zip(ours, bare, strict=True)
        ]
    return rows


def run(sessions: int = 500, seconds: float = 10.0, rounds: int = 1, spreads: Sequence[float] = SPREADS) -> str:
    """:func:`measure`, as a Markdown report."""
    rows = measure(sessions, seconds, rounds, spreads)

    def opening(spread: float) -> str:
        return "all at once" if spread == 0 else f"over {spread:g} s"

    def line(approach: str, spread: float) -> str:
        row = rows[approach, spread]
        return (
            f"| {APPROACHES[approach]} | {opening(spread)} | {row['completed']:,} / {sessions:,} | {row['played']:,} | "
            f"{row['frames_received']:,} / {row['frames_expected']:,} | {row['cpu_ms_per_audio_s']:.3f} | "
            f"{row['client_p99'] * 1e3:.1f} / {row['client_max'] * 1e3:.1f} | "
            f"{row['arrival_p99'] * 1e3:.1f} / {row['arrival_max'] * 1e3:.1f} | {row['steady_p99'] * 1e3:.1f} | "
            f"{row['lag_p99'] * 1e3:.1f} | {row['others_cores']:.2f} | {row['rss_kb_per_session']:.1f} | "
            f"{row['left_open']:,} / {row['ws_open']:,} |"
        )

    def verdict(spread: float) -> str:
        ours = rows["session", spread]
        ratios = ours["cpu_ratios"]
        # The client's own lateness, and the arrivals' once the emulator is not busy opening sessions: while it is,
        # its event loop delays every arrival it records, the bare loop's as much (see RESULTS.md).
        jitter = max(ours["client_p99"], ours["steady_p99"])
        closed = ours["left_open"] == 0 and ours["ws_open"] == 0
        return (
            f"Session layer, sessions started {opening(spread)}: client CPU per audio second "
            f"{statistics.median(ratios):.2f}x the bare loop's (per round: {', '.join(f'{r:.2f}' for r in ratios)}); "
            f"sessions left open {ours['left_open']:,} (goal 0: **{'met' if closed else 'not met'}**); pacing "
            f"jitter p99 {jitter * 1e3:.1f} ms, the client's or the arrivals' once all started, whichever is more "
            f"(goal under {JITTER_GOAL * 1e3:.0f} ms: "
            f"**{'met' if jitter < JITTER_GOAL else 'not met'}**)."
        )

    errors = [
        f"First failure ({APPROACHES[approach]}, {opening(spread)}): {row['first_error']}"
        for (approach, spread), row in rows.items()
        if row["first_error"]
    ]
    return "\n".join(
        [
            f"{sessions:,} concurrent LITE sessions, each: mint + start, WebSocket to `connected`, "
            f"{seconds:g} s of PCM s16le 24 kHz mono in frames of {FIRST_FRAME:g} s then {FRAME:g} s, "
            f"{LEAD:g} s ahead of real time, `agent.speak_end`, wait for `agent.speak_ended`, stop. Emulator in its "
            f"own process on real time; each approach in a fresh client process; median of {rounds} round(s), "
            "cases alternating. Pacing: ms late against the schedule, p99 / max. Client: over sessions, each "
            "one's latest frame (the pacer's `late_max`; a bound on the frames' p99). Emulator: every frame's "
            "arrival (the emulator's own event loop lag included), and the p99 of frames that arrived once every "
            "session had started.",
            "",
            "| approach | sessions started | sessions completed | utterances played to the end | "
            "frames received / expected | client CPU ms per audio s | client pacing ms p99 / max | "
            "arrival at the emulator ms p99 / max | arrival p99 once all started, ms | event loop lag ms p99 | "
            "other processes' CPU, cores | "
            "peak RSS KB per session | sessions / WebSockets left open |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *(line(approach, spread) for spread in spreads for approach in APPROACHES),
            "",
            *(verdict(spread) for spread in spreads),
            *errors,
        ]
    )
