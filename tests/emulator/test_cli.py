"""Starting the emulator from the command line: ``python -m heygen_async.emulator`` and ``heygen-async emulator``."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

import heygen_async as hg
from heygen_async._cli._common import EMULATOR_TOKEN


async def test_python_dash_m_serves_on_loopback_until_interrupted(private_runtime: Path) -> None:
    """It also records itself for the other commands' --emulator while it serves, and clears that on Ctrl-C."""
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
        announced = [(await asyncio.wait_for(process.stdout.readline(), 60)).decode() for _ in range(5)]
        assert f"recorded in {private_runtime / 'emulator.json'}" in announced[0]
        assert announced[1].split() == [
            "or:",
            "export",
            f"HEYGEN_ASYNC_BASE_URL={url}/heygen",
            f"LOWCODEAPI_API_TOKEN={EMULATOR_TOKEN}",
        ]
        assert json.loads((private_runtime / "emulator.json").read_text())["url"] == url
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert not (private_runtime / "emulator.json").exists()


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


def test_the_pytest_plugin_works_in_strict_asyncio_mode(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        "import pytest\n"
        "pytest_plugins = ['heygen_async.emulator.pytest_plugin']\n\n"
        "@pytest.mark.asyncio\n"
        "async def test_render(heygen_emulator, heygen_client):\n"
        "    quota = await heygen_client.user.remaining_quota()\n"
        "    assert quota.credits == 600\n"
        "    await heygen_emulator.advance(1)\n"
    )
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_the_command_serves_at_the_libraries_default_pace() -> None:
    from heygen_async._cli._emulator import _SERVE_DEFAULTS
    from heygen_async.emulator import DEFAULT_TIME_SCALE

    assert _SERVE_DEFAULTS["time_scale"] == DEFAULT_TIME_SCALE
