"""The benchmarks still run (tiny sizes); their numbers live in benchmarks/RESULTS.md, never in assertions."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_quick_pass_produces_every_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    clients = r"(raw aiohttp|videos\.status\(\)|client\.request\(\))"
    rows = re.findall(rf"^\| (1|10|100) \| {clients} \| [0-9.]+ / ", result.stdout, re.M)
    assert len(rows) == 9 + 6  # three clients' absolute numbers and two paired ratios, at three concurrencies
    assert re.search(
        r"^\| requests/s one emulator core sustains .* \| [0-9,]+ / [0-9,]+ / [0-9,]+ \|$", result.stdout, re.M
    )
    polling = re.findall(
        r"^\| (shared scheduler|naive: task per job \+ token bucket) \| 300 / 300 \| [0-9,]+ / [0-9,]+ \| "
        r"[0-9,]+ / [0-9,]+ \([0-9.]+%\) \| -?[0-9.]+ \| [0-9]+ \| [0-9.]+ / [0-9.]+ \| [0-9.]+ \|$",
        result.stdout,
        re.M,
    )
    assert polling == ["shared scheduler", "naive: task per job + token bucket"]
    assert re.search(r"^Ratios, scheduler / naive: CPU per poll [0-9.]+ ", result.stdout, re.M)
    streaming = re.findall(
        r"^\| (session layer: SessionManager\(max_sessions=1,000\)|raw calls: streaming\.new/start/task/stop) \| "
        r"50 / 50 \| [0-9,]+ \| 6\.00 \| [0-9.]+ \| -?[0-9.]+ \| 0 \| 0 \|$",
        result.stdout,
        re.M,
    )
    assert streaming == [
        "session layer: SessionManager(max_sessions=1,000)",
        "raw calls: streaming.new/start/task/stop",
    ]
    assert re.search(
        r"^Ratios, session layer / raw calls: requests per session 1\.00, sessions/s [0-9.]+, ", result.stdout, re.M
    )
    assert "First failure" not in result.stdout  # every session ran, every manager slot came back
