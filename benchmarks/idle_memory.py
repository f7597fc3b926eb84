"""Resident memory of an idle client: a ``HeyGenClient`` after one ``videos.status`` call against a plain
``aiohttp.ClientSession`` after the same GET and ``json()``, each in a fresh interpreter.

The emulator runs in its own process; each round starts one probe process per approach, alternating, which
reads its own RSS before importing the HTTP stack, after importing it, and with the client or session still open
after its call (``gc.collect()`` first). Reported: min / median / max per approach, and the median of the
paired per-round differences. A second client (session) opened beside the first shows, in tracemalloc's count of
Python memory still held after its call, what one more costs once every module is loaded. Memory per tracked render
job is ``job_polling``'s measure.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ._server_process import server_process
from .per_call import TOKEN, completed_video, serve_emulator

__all__ = ["measure", "run"]

APPROACHES = {"raw": "raw aiohttp: ClientSession", "client": "heygen_async: HeyGenClient"}


def _probe(approach: str, base: str, video_id: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._idle_probe", approach, base, video_id, TOKEN],
        cwd=Path(__file__).resolve().parent.parent,  # where ``benchmarks`` is importable
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    outcome: dict[str, int] = json.loads(done.stdout)
    return outcome


def measure(rounds: int = 5) -> dict[str, list[dict[str, int]]]:
    """Per approach, one fresh process per round: RSS in KB (``start``, ``imported``, ``idle``) and the bytes
    tracemalloc counts for the second client or session (``second``)."""
    with server_process(serve_emulator) as (port, _):
        base = f"http://127.0.0.1:{port}/heygen"
        video_id = asyncio.run(completed_video(base))
        _probe("raw", base, video_id), _probe("client", base, video_id)  # warm the OS file cache
        samples: dict[str, list[dict[str, int]]] = {approach: [] for approach in APPROACHES}
        for index in range(rounds):
            for approach in list(APPROACHES)[:: 1 if index % 2 == 0 else -1]:
                samples[approach].append(_probe(approach, base, video_id))
    return samples


def _span(values: list[float], spec: str = ",.0f") -> str:
    return " / ".join(format(v, spec) for v in (min(values), statistics.median(values), max(values)))


def run(rounds: int = 5) -> str:
    """Run the scenario and return a Markdown report."""
    samples = measure(rounds)
    lines = [
        f"A fresh interpreter per approach and round, {rounds} round(s) alternating; KB of resident memory "
        "(min / median / max). Each probe process already holds `asyncio` and `json` before its import. The last "
        "column is a second session or client opened beside the first: the Python memory (tracemalloc) it still "
        "holds after its own call, once every module it needs is loaded.",
        "",
        "| process | RSS before the import | after `import` | idle after one call | growth from the import to "
        "idle | one more, after its call (tracemalloc KB) |",
        "|---|---|---|---|---|---|",
    ]
    for approach, name in APPROACHES.items():
        rows = samples[approach]
        lines.append(
            f"| {name} | {_span([r['start'] for r in rows])} | {_span([r['imported'] for r in rows])} | "
            f"{_span([r['idle'] for r in rows])} | {_span([r['idle'] - r['imported'] for r in rows])} | "
            f"{_span([r['second'] / 1024 for r in rows], '.1f')} |"
        )
    pairs = list(zip(samples["client"], samples["raw"], strict=True))

    def difference(measure: Callable[[dict[str, int]], int]) -> float:
        return statistics.median(measure(ours) - measure(raw) for ours, raw in pairs)

    lines += [
        "",
        f"Idle HeyGenClient minus raw ClientSession, median of the paired rounds: "
        f"**{difference(lambda r: r['idle']):+,.0f} KB**: importing heygen_async on top of aiohttp "
        f"{difference(lambda r: r['imported']):+,.0f} KB, then its first call "
        f"{difference(lambda r: r['idle'] - r['imported']):+,.0f} KB more than the session's (modules loaded on "
        f"first use included). One more client holds {difference(lambda r: r['second']) / 1024:+,.1f} KB more "
        "than one more session.",
        "",
        "Memory per tracked render job: the job polling table's \"peak RSS KB per job\" (issue 5's goal: at most "
        "2 KB).",
    ]
    return "\n".join(lines)
