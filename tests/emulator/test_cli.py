"""Starting the emulator from the command line: ``python -m heygen_async.emulator`` and ``heygen-async emulator``."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys

import aiohttp

import heygen_async as hg


async def test_python_dash_m_serves_on_loopback_until_interrupted() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "heygen_async.emulator",
        "--port",
        "0",
        "--time-scale",
        "60",
        "--faults",
        "rate=0,seed=1",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        match = re.search(r"on (http://127\.0\.0\.1:\d+) \(127\.0\.0\.1 only\)", first)
        assert match, first
        url = match.group(1)
        async with hg.HeyGenClient("at_cli-test", base_url=url + "/heygen") as client:
            assert len(await client.avatars.list()) >= 1
        async with aiohttp.ClientSession() as http, http.get(url + "/_emulator/stats") as response:
            assert (await response.json())["requests"] == 1
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0


def test_bad_options_are_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "heygen_async", "emulator", "--faults", "rate=2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "rate must be within 0..1" in result.stderr
    assert "Traceback" not in result.stderr
