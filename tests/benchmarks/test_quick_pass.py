"""The benchmarks still run (tiny sizes); their numbers live in benchmarks/RESULTS.md, never in assertions."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support import ROOT


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
    span = r"[0-9.,]+ / [0-9.,]+ / [0-9.,]+"
    signed = r"-?[0-9,]+ / -?[0-9,]+ / -?[0-9,]+"
    per_call = re.findall(
        rf"^\| ((?:GET|POST) /\S+) \| (1|10|100) \| ([a-z_.]+\(\)|raw aiohttp) \| {span} \| {span} \|$",
        result.stdout,
        re.M,
    )
    routes = {
        "GET /v1/video_status.get": "videos.status()",
        "GET /v2/avatars": "avatars.list()",
        "POST /v2/video/generate": "videos.generate()",
    }
    absolute = [
        (route, concurrency, client)
        for route, method in routes.items()
        for concurrency in ("1", "10", "100")
        for client in ("raw aiohttp", method, "client.request()")
    ]
    paired = [row for row in absolute if row[2] != "raw aiohttp"]  # the ratio tables: each client against raw
    assert sorted(per_call) == sorted(absolute + paired)
    for method in ("videos.status()", "avatars.list()", "videos.generate()"):  # the goals, judged at concurrency 100
        assert re.search(
            rf"^- `{re.escape(method)}` at concurrency 100: [0-9.]+x raw aiohttp's CPU per call, [0-9]+% of its "
            r"throughput: \*\*(met|not met)\*\*\.$",
            result.stdout,
            re.M,
        )
    idle = re.findall(
        rf"^\| (raw aiohttp: ClientSession|heygen_async: HeyGenClient) \| {span} \| {span} \| {span} \| "
        rf"{signed} \| {span} \|$",
        result.stdout,
        re.M,
    )
    assert idle == ["raw aiohttp: ClientSession", "heygen_async: HeyGenClient"]
    assert re.search(r"^Idle HeyGenClient minus raw ClientSession, .*: \*\*[+-][0-9,]+ KB\*\*: ", result.stdout, re.M)
    imports = re.findall(
        r"^\| `import (aiohttp|heygen_async)` \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$", result.stdout, re.M
    )
    assert imports == ["aiohttp", "heygen_async"]
    assert re.search(r"^Ratio heygen_async / aiohttp, per round: min [0-9.]+, median [0-9.]+, ", result.stdout, re.M)
    steps = re.findall(
        r"^\| (videos\.status|avatars\.list|videos\.generate): [^|]+ \| [0-9.]+ \|$", result.stdout, re.M
    )
    assert len(steps) == 10
    assert re.search(
        r"^\| requests/s one emulator core sustains .* \| [0-9,]+ / [0-9,]+ / [0-9,]+ \|$", result.stdout, re.M
    )
    polling = re.findall(
        r"^\| (shared scheduler \(polls through aiohttp\)|naive: task per job \+ token bucket) \| 300 / 300 \| "
        r"[0-9,]+ / [0-9,]+ \| "
        r"[0-9,]+ / [0-9,]+ \([0-9.]+%\) \| -?[0-9.]+ \| [0-9]+ \| [0-9.]+ / [0-9.]+ \| [0-9.]+ \|$",
        result.stdout,
        re.M,
    )
    assert polling == ["shared scheduler (polls through aiohttp)", "naive: task per job + token bucket"]
    bare = re.findall(
        r"^\| bare aiohttp GETs: as many, at the scheduler's mean rate \| - \| [0-9,]+ / [0-9,]+ \| ([0-9,]+) / - \| "
        r"-?[0-9.]+ \| [0-9]+ \| - \| [0-9.]+ \|$",
        result.stdout,
        re.M,
    )
    assert len(bare) == 1
    assert int(bare[0].replace(",", "")) > 0  # as many polls as the scheduler made
    assert re.search(
        r"^Ratios: scheduler / bare aiohttp GET, CPU per poll [0-9.]+ \(goal: at most 1\.15\); scheduler / naive, "
        r"CPU per poll [0-9.]+, RSS per job [0-9.]+\.$",
        result.stdout,
        re.M,
    )
    count = r"([0-9,]+)"
    v3_rows = re.findall(
        rf"^\| (bulk status \(default\)|per-job \(bulk_status=False\)) \| {count} / {count} \| {count} / {count} \| "
        rf"[0-9.]+ \| [0-9.]+ \| -?[0-9.]+ / -?[0-9.]+ \| {count} / {count} \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$",
        result.stdout,
        re.M,
    )
    assert [row[0] for row in v3_rows] == ["bulk status (default)", "per-job (bulk_status=False)"]
    counts = {row[0]: [int(n.replace(",", "")) for n in row[1:]] for row in v3_rows}
    for detected, created, detail, _, client_max, server_max in counts.values():
        assert detected == created == 200  # every render seen to its end
        assert detail >= detected  # each finished job's result comes from its own poll
        assert client_max <= 500  # the quick pass's budget, in every one-second window: as the client counts ...
        assert server_max <= 500  # ... and as the emulator's request log does
    assert counts["bulk status (default)"][3] > 0, "bulk status sends bulk requests"
    assert counts["per-job (bulk_status=False)"][3] == 0, "bulk_status=False sends none"
    assert re.search(
        r"^Goal: bulk / per-job, status requests per completion [0-9.]+ \(1/[0-9.]+; goal at most 1/20\) at a "
        r"detection p99 of -?[0-9.]+ s against -?[0-9.]+ s \(goal: no worse\): \*\*(met|not met)\*\*\. Budget: no "
        r"one-second window over 500, either approach: \*\*met\*\*\.$",
        result.stdout,
        re.M,
    )
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
    live = re.findall(
        r"^\| (session layer: live\.manager\(max_sessions=N\) \+ speak_audio\(\)|bare aiohttp: [^|]+) \| all at once "
        r"\| 20 / 20 \| 20 \| 60 / 60 \| [0-9.]+ \| [0-9.]+ / [0-9.]+ \| [0-9.]+ / [0-9.]+ \| [0-9.]+ \| -?[0-9.]+ \| "
        r"[0-9.]+ \| -?[0-9.]+ \| 0 / 0 \|$",
        result.stdout,
        re.M,
    )  # every session spoke its 2 s (3 frames) to the end, and none is left open at the emulator
    assert [row.split(":")[0] for row in live] == ["session layer", "bare aiohttp"]
    assert re.search(
        r"^Session layer, sessions started all at once: client CPU per audio second [0-9.]+x the bare loop's .*; "
        r"sessions left open 0 \(goal 0: \*\*met\*\*\); pacing jitter p99 [0-9.]+ ms, [^(]+\(goal under 50 ms: "
        r"\*\*(met|not met)\*\*\)\.$",
        result.stdout,
        re.M,
    )
    assert "First failure" not in result.stdout  # every session ran, every manager slot came back
    workers = re.findall(r"^\| ([^|]+) \| [^|]+ \| [^|]+ \| (yes|\*\*no\*\*) \|$", result.stdout, re.M)
    assert len(workers) == 6, "the multi-worker table has its six rows"
    assert re.search(r"^Status polls at the emulator: [0-9,]+ \([0-9,]+ counted by the surviving", result.stdout, re.M)
