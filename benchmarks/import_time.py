"""Import time: ``import heygen_async`` against ``import aiohttp`` alone, each in fresh processes.

Each round starts one interpreter per module, alternating, and times the import statement inside it
(``time.perf_counter`` around ``import``), so interpreter start-up is not counted. heygen_async imports aiohttp
itself, so the ratio is (aiohttp + heygen_async's own modules) / aiohttp. Reported: min / median / max per
module and the median of the paired per-round ratios (issue 9's goal: at most 1.3x).
"""

from __future__ import annotations

import statistics
import subprocess
import sys

__all__ = ["measure", "run"]

_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _once(module: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)], capture_output=True, text=True, check=True, timeout=60
    )
    return float(done.stdout.strip())


def measure(rounds: int = 15) -> dict[str, list[float]]:
    """Seconds per import, per module, over ``rounds`` alternating fresh processes (plus one warm-up each)."""
    _once("aiohttp"), _once("heygen_async")  # warm the OS file cache: the first start is not representative
    times: dict[str, list[float]] = {"aiohttp": [], "heygen_async": []}
    for index in range(rounds):
        order = ("aiohttp", "heygen_async") if index % 2 == 0 else ("heygen_async", "aiohttp")
        for module in order:
            times[module].append(_once(module))
    return times


def run(rounds: int = 15) -> str:
    times = measure(rounds)
    ratios = [ours / base for ours, base in zip(times["heygen_async"], times["aiohttp"], strict=True)]
    lines = [
        f"Fresh interpreter per import, {rounds} rounds alternating; milliseconds for the import statement alone.",
        "",
        "| module | min ms | median ms | max ms |",
        "|---|---|---|---|",
    ]
    for module, values in times.items():
        ms = [value * 1000 for value in values]
        lines.append(f"| `import {module}` | {min(ms):.1f} | {statistics.median(ms):.1f} | {max(ms):.1f} |")
    lines += [
        "",
        f"Ratio heygen_async / aiohttp, per round: min {min(ratios):.2f}, median {statistics.median(ratios):.2f}, "
        f"max {max(ratios):.2f} (goal: at most 1.3); "
        f"ratio of medians {statistics.median(times['heygen_async']) / statistics.median(times['aiohttp']):.2f}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
