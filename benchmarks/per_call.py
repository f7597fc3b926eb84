"""Per-call client cost against the emulator: heygen_async's typed methods (argument checks, URL build, envelope
unwrap, cattrs structuring) and its ``client.request`` escape hatch, against raw aiohttp making the same request
on the same emulator route and decoding it with ``response.json()``.

Reads: ``videos.status(video_id)`` (a completed video, created once before measuring) and ``avatars.list()``.
Creates: ``videos.generate(...)`` with three typed scenes (checked and unstructured by the client) against raw
aiohttp posting the same JSON body.

The emulator runs in its own process (faults off, real time), so the CPU time measured here
(``time.process_time`` of this process) is the client's alone. Each round runs every approach for one route and
concurrency back to back, in an order that rotates between rounds; ratios are paired within a round and
reported as min / median / max.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final

import aiohttp

import heygen_async as hg

from ._server_process import server_process

TOKEN: Final = "at_benchmark-token"
CONCURRENCIES: Final = (1, 10, 100)
RAW: Final = "raw aiohttp"
ESCAPE_HATCH: Final = "client.request()"
CPU_GOAL: Final = 1.15
"""Reads (issue 17; issue 9 had 1.2): client CPU per call at most this times raw aiohttp's."""
CREATE_CPU_GOAL: Final = 1.3
"""Creates (issue 17): ``videos.generate()`` checks and turns typed scenes into JSON, raw aiohttp posts a dict."""
THROUGHPUT_GOAL: Final = 85.0
GOAL_CONCURRENCY: Final = 100

AVATAR: Final = "Angela-inTshirt-20220820"
VOICE: Final = "1bd001e7e50f421d891986aad5158bc8"
LINES: Final = (
    "Welcome to the quarterly update.",
    "Revenue grew in every region this quarter.",
    "Thank you for watching, see you next time.",
)
SCENES: Final = [
    hg.VideoInput(
        character=hg.AvatarCharacter(avatar_id=AVATAR, avatar_style="normal"),
        voice=hg.TextVoice(input_text=line, voice_id=VOICE),
        background=hg.ColorBackground(value="#FAFAFA"),
    )
    for line in LINES
]
CREATE_BODY: Final = {
    "video_inputs": [
        {
            "character": {"type": "avatar", "avatar_id": AVATAR, "avatar_style": "normal"},
            "voice": {"type": "text", "input_text": line, "voice_id": VOICE},
            "background": {"type": "color", "value": "#FAFAFA"},
        }
        for line in LINES
    ],
    "dimension": {"width": 1280, "height": 720},
    "title": "Quarterly update",
}
"""What ``videos.generate(SCENES, dimension=Dimension(1280, 720), title="Quarterly update")`` sends."""

Call = Callable[[], Awaitable[Any]]
Opener = Callable[[], AbstractAsyncContextManager[Call]]
Sample = tuple[float, float]
"""(client CPU seconds, wall seconds) for one measured batch of calls."""


def serve_emulator(port: int, ready: Any) -> None:
    """The emulator these benchmarks and ``idle_memory`` call, on ``port`` until terminated."""
    from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

    # Renders finish within a second (the read benchmark's video must be a completed one); one at a time, so
    # thousands of creates only lengthen the queue and never make the emulator busy with renders. Unbounded
    # quota: every create is accepted.
    config = EmulatorConfig(concurrent_renders=1, pending_seconds=0.1, render_seconds=0.1, initial_quota=1e12)

    async def main() -> None:
        async with Emulator(config, clock=ScaledClock(1.0), port=port):
            ready.set()
            await asyncio.Event().wait()

    asyncio.run(main())


@asynccontextmanager
async def _raw(method: str, url: str, body: Any = None) -> AsyncIterator[Call]:
    async with aiohttp.ClientSession() as session:

        async def call() -> Any:
            async with session.request(method, url, json=body) as response:
                return await response.json()

        yield call


def _client(base: str, method: Callable[[hg.HeyGenClient], Awaitable[Any]]) -> Opener:
    @asynccontextmanager
    async def opener() -> AsyncIterator[Call]:
        async with hg.HeyGenClient(TOKEN, base_url=base) as client:

            async def call() -> Any:
                return await method(client)

            yield call

    return opener


async def _drive(call: Call, total: int, concurrency: int) -> Sample:
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


async def _round(
    approaches: Mapping[str, Opener],
    total: int,
    concurrency: int,
    index: int,
    before: Callable[[], Awaitable[None]] | None,
) -> dict[str, Sample]:
    """Every approach once, in an order rotated by ``index``: warm (every connection opened), then measured."""
    if before is not None:
        await before()
    names = list(approaches)
    shift = index % len(names)
    samples: dict[str, Sample] = {}
    for name in names[shift:] + names[:shift]:
        async with approaches[name]() as call:
            await _drive(call, max(50, 2 * concurrency), concurrency)
            gc.collect()  # the previous approach's garbage is not this one's cost
            samples[name] = await _drive(call, total, concurrency)
    return samples


Measured = dict[tuple[str, int], dict[str, list[Sample]]]
"""Samples by (route, concurrency), then by approach, one per round."""


def _measure(
    routes: Mapping[str, Mapping[str, Opener]],
    total: int,
    rounds: int,
    concurrencies: tuple[int, ...],
    before_round: Callable[[], Awaitable[None]] | None = None,
) -> Measured:
    measured: Measured = {  # in the tables' row order
        (route, concurrency): {name: [] for name in approaches}
        for route, approaches in routes.items()
        for concurrency in concurrencies
    }
    for index in range(rounds):
        for concurrency in concurrencies:
            for route, approaches in routes.items():
                samples = asyncio.run(_round(approaches, total, concurrency, index, before_round))
                for name, sample in samples.items():
                    measured[route, concurrency][name].append(sample)
    return measured


def _span(values: list[float], spec: str) -> str:
    return " / ".join(format(v, spec) for v in (min(values), statistics.median(values), max(values)))


def _ratios(ours: list[Sample], raw: list[Sample]) -> tuple[list[float], list[float]]:
    """Paired per round: CPU per call, ours / raw; throughput, ours as a percentage of raw (same call count)."""
    pairs = list(zip(ours, raw, strict=True))
    return [o[0] / r[0] for o, r in pairs], [r[1] / o[1] * 100 for o, r in pairs]


def _tables(measured: Measured, total: int) -> list[str]:
    lines = [
        "| route | concurrency | client | CPU µs/call (min / median / max) | req/s (min / median / max) |",
        "|---|---|---|---|---|",
    ]
    ratios = [
        "| route | concurrency | client | CPU per call ratio (min / median / max) | "
        "throughput % of raw (min / median / max) |",
        "|---|---|---|---|---|",
    ]
    for (route, concurrency), per in measured.items():
        for name, samples in per.items():
            cpu_us = [cpu / total * 1e6 for cpu, _ in samples]
            rps = [total / wall for _, wall in samples]
            lines.append(f"| {route} | {concurrency} | {name} | {_span(cpu_us, '.1f')} | {_span(rps, ',.0f')} |")
            if name != RAW:
                cpu_ratio, percent = _ratios(samples, per[RAW])
                ratios.append(
                    f"| {route} | {concurrency} | {name} | {_span(cpu_ratio, '.2f')} | {_span(percent, '.0f')} |"
                )
    return [*lines, "", "Paired with raw aiohttp in the same round:", "", *ratios]


def _verdicts(measured: Measured, cpu_goal: float) -> list[str]:
    """The goal judged on the paired medians at :data:`GOAL_CONCURRENCY`, per typed method."""
    lines = []
    for (_, concurrency), per in measured.items():
        if concurrency != GOAL_CONCURRENCY:
            continue
        for name, samples in per.items():
            if name in (RAW, ESCAPE_HATCH):
                continue
            cpu_ratio, percent = (statistics.median(values) for values in _ratios(samples, per[RAW]))
            met = cpu_ratio <= cpu_goal and percent >= THROUGHPUT_GOAL
            lines.append(
                f"- `{name}` at concurrency {concurrency}: {cpu_ratio:.2f}x raw aiohttp's CPU per call, "
                f"{percent:.0f}% of its throughput: **{'met' if met else 'not met'}**."
            )
    return lines


async def _json(method: str, url: str, body: Any = None) -> Any:
    async with aiohttp.ClientSession() as session, session.request(method, url, json=body) as response:
        response.raise_for_status()
        return await response.json()


async def completed_video(base: str) -> str:
    """Create one video and wait for it to complete: the video every status call reads."""
    answer = await _json("POST", f"{base}/v2/video/generate?api_token={TOKEN}", CREATE_BODY)
    video_id: str = answer["data"]["data"]["video_id"]
    for _ in range(100):
        status = await _json("GET", f"{base}/v1/video_status.get?video_id={video_id}&api_token={TOKEN}")
        if status["data"]["data"]["status"] == "completed":
            return video_id
        await asyncio.sleep(0.1)
    raise RuntimeError("the emulator did not complete the benchmark's video within 10 s")


def run_reads(total: int = 3000, rounds: int = 5, concurrencies: tuple[int, ...] = CONCURRENCIES) -> str:
    """Reads: ``videos.status`` and ``avatars.list``; return a Markdown report."""
    with server_process(serve_emulator) as (port, _):
        base = f"http://127.0.0.1:{port}/heygen"
        video_id = asyncio.run(completed_video(base))
        status_url = f"{base}/v1/video_status.get?video_id={video_id}&api_token={TOKEN}"
        status_params = {"video_id": video_id}
        routes: dict[str, dict[str, Opener]] = {
            "GET /v1/video_status.get": {
                RAW: lambda: _raw("GET", status_url),
                "videos.status()": _client(base, lambda client: client.videos.status(video_id)),
                ESCAPE_HATCH: _client(
                    base, lambda client: client.request("GET", "/v1/video_status.get", params=status_params)
                ),
            },
            "GET /v2/avatars": {
                RAW: lambda: _raw("GET", f"{base}/v2/avatars?api_token={TOKEN}"),
                "avatars.list()": _client(base, lambda client: client.avatars.list()),
                ESCAPE_HATCH: _client(base, lambda client: client.request("GET", "/v2/avatars")),
            },
        }
        measured = _measure(routes, total, rounds, concurrencies)
    return "\n".join(
        [
            f"{total:,} calls per approach per round, {rounds} round(s), approaches in rotating order; the emulator "
            "in its own process (faults off, real time), the clients in this one. `videos.status()` reads a "
            "completed video (three signed media URLs); `avatars.list()` three avatars and a talking photo.",
            "",
            *_tables(measured, total),
            "",
            f"Goal (issues 9 and 17): at most {CPU_GOAL}x raw aiohttp's client CPU per call and at least "
            f"{THROUGHPUT_GOAL:.0f}% of its throughput at concurrency {GOAL_CONCURRENCY} (paired medians):",
            "",
            *_verdicts(measured, CPU_GOAL),
        ]
    )


def run_creates(total: int = 3000, rounds: int = 5, concurrencies: tuple[int, ...] = CONCURRENCIES) -> str:
    """Creates: ``videos.generate`` with three scenes; return a Markdown report."""
    with server_process(serve_emulator) as (port, _):
        root = f"http://127.0.0.1:{port}"
        base = f"{root}/heygen"
        dimension = hg.Dimension(1280, 720)
        routes: dict[str, dict[str, Opener]] = {
            "POST /v2/video/generate": {
                RAW: lambda: _raw("POST", f"{base}/v2/video/generate?api_token={TOKEN}", CREATE_BODY),
                "videos.generate()": _client(
                    base,
                    lambda client: client.videos.generate(SCENES, dimension=dimension, title="Quarterly update"),
                ),
                ESCAPE_HATCH: _client(
                    base, lambda client: client.request("POST", "/v2/video/generate", json=CREATE_BODY)
                ),
            }
        }

        async def reset() -> None:  # each round starts from an empty account and render queue
            await _json("POST", f"{root}/_emulator/reset")

        measured = _measure(routes, total, rounds, concurrencies, before_round=reset)
    return "\n".join(
        [
            f"{total:,} creates per approach per round, {rounds} round(s), approaches in rotating order; three "
            "scenes (avatar, text voice, colour background) and a dimension. `videos.generate()` gets typed "
            "inputs (checked and unstructured on every call); raw aiohttp and `client.request()` post the same "
            "JSON as a dict. The emulator accepts every create (unbounded quota; renders queue one at a time).",
            "",
            *_tables(measured, total),
            "",
            f"Goal (issue 17): at most {CREATE_CPU_GOAL}x raw aiohttp's client CPU per call and at least "
            f"{THROUGHPUT_GOAL:.0f}% of its throughput at concurrency {GOAL_CONCURRENCY} (paired medians):",
            "",
            *_verdicts(measured, CREATE_CPU_GOAL),
        ]
    )
