"""`--emulator` across separate commands: the README's create -> status -> download -> watch sequence, as
printed, against an emulator started with `heygen-async emulator --background` and found through its state file
(in the test's own directory: $HEYGEN_ASYNC_RUNTIME_DIR), plus what happens when none is running."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from heygen_async._cli._emulator import _record
from heygen_async._cli._main import main
from heygen_async.emulator import Emulator, ManualClock, _discovery as discovery
from tests.support import AVATAR_ID, VOICE_ID, Background, ServerFactory, code_blocks, section

SCRIPT = Path(sys.executable).parent / "heygen-async"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "heygen_async"]


def _readme_sequence() -> list[list[str]]:
    """The README's commands on the emulator, one argv per command (``a ; b`` is two)."""
    (block,) = [b for b in code_blocks(section("Command line"), "sh") if b.startswith("heygen-async emulator --back")]
    commands: list[list[str]] = []
    for line in block.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for token in lexer:
            if token == ";":
                commands.append(current)
                current = []
            else:
                current.append(token)
        if current:
            commands.append(current)
    return commands


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """One command in a process of its own, with no account configured: only the state file connects them."""
    assert argv[0] == "heygen-async"
    env = {k: v for k, v in os.environ.items() if k not in ("LOWCODEAPI_API_TOKEN", "HEYGEN_API_KEY")}
    return subprocess.run(
        [*COMMAND, *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def stop_emulator() -> Iterator[None]:
    """Whatever a test starts in the background is stopped after it, even when the test fails."""
    yield
    found = discovery.read()
    if found is not None:
        main(["emulator", "--stop"])


def test_the_readme_sequence_runs_as_printed_across_separate_processes(
    tmp_path: Path, private_runtime: Path, stop_emulator: None
) -> None:
    commands = _readme_sequence()
    assert [c[:3] for c in commands] == [
        ["heygen-async", "emulator", "--background"],
        ["heygen-async", "video", "create"],
        ["heygen-async", "video", "status"],
        ["heygen-async", "video", "download"],
        ["heygen-async", "jobs", "watch"],
        ["heygen-async", "emulator", "--stop"],
    ]
    start, create, status, download, watch, stop = commands

    started = _run(start, tmp_path)
    assert started.returncode == 0, started.stderr
    recorded = discovery.read()
    assert recorded is not None
    assert (
        f"HeyGen emulator on {recorded.url} (127.0.0.1 only), in the background (pid {recorded.pid}" in started.stdout
    )
    assert f"export HEYGEN_ASYNC_BASE_URL={recorded.base_url} " in started.stdout
    assert "heygen-async emulator --stop" in started.stdout
    assert (private_runtime / "emulator.json").stat().st_mode & 0o777 == 0o600

    created = _run(create, tmp_path)
    assert created.returncode == 0, created.stderr
    assert f"using the emulator at {recorded.url}" in created.stderr
    video_id = next(line.split()[1] for line in created.stdout.splitlines() if line.startswith("video_id"))

    def with_id(argv: list[str]) -> list[str]:
        assert "VIDEO_ID" in argv
        return [video_id if arg == "VIDEO_ID" else arg for arg in argv]

    shown = _run(with_id(status), tmp_path)
    assert shown.returncode == 0, shown.stderr  # was: a 404 from a new emulator that never saw the video
    assert video_id in shown.stdout
    assert "completed" in shown.stdout
    fetched = _run(with_id(download), tmp_path)
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "out.mp4").stat().st_size > 0
    watched = _run(with_id(watch), tmp_path)
    assert watched.returncode == 0, watched.stderr
    assert "completed" in watched.stdout

    stopped = _run(stop, tmp_path)
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped the emulator at {recorded.url}" in stopped.stdout
    assert not (private_runtime / "emulator.json").exists()
    gone = _run(["heygen-async", "emulator", "--status"], tmp_path)
    assert gone.returncode == 1
    assert "no emulator is running" in gone.stdout


def test_a_timed_out_waits_resume_command_works_as_printed_on_a_running_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stop_emulator: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN", raising=False)
    assert main(["emulator", "--background", "--time-scale", "30"]) == 0
    capsys.readouterr()
    argv = [
        "video",
        "create",
        "--avatar",
        AVATAR_ID,
        "--voice",
        VOICE_ID,
        "--text",
        "Hi",
        "--wait",
        "--timeout",
        "0.01",
    ]
    assert main([*argv, "--emulator"]) == 4
    err = capsys.readouterr().err
    printed = err.split("resume with: ", 1)[1].strip()
    assert printed.endswith(" --emulator")  # the hint reaches the same emulator
    resume = shlex.split(printed)
    assert resume[0] == "heygen-async"
    assert main([*resume[1:], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "completed"


def test_a_second_background_emulator_is_refused_while_one_runs(
    capsys: pytest.CaptureFixture[str], stop_emulator: None
) -> None:
    assert main(["emulator", "--background"]) == 0
    first = discovery.read()
    assert first is not None
    capsys.readouterr()
    assert main(["emulator", "--background"]) == 2
    assert f"an emulator is already running at {first.url} (pid {first.pid})" in capsys.readouterr().err
    assert discovery.read() == first


def test_a_background_start_that_loses_the_race_to_another_says_which_runs_and_leaves_nothing_behind(
    background: Background,
    capsys: pytest.CaptureFixture[str],
    private_runtime: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another emulator records itself just after this start looked for one (two starts at once): the emulator
    started here sees it, says so and ends, and the command says which one runs. Before, it served on,
    recorded nowhere, so no --stop could reach it, and the command gave up after 60 s saying it did not start."""
    assert background.emulator is not None
    other = discovery.Registration(url=background.emulator.url, pid=os.getpid(), run_id=background.emulator.run_id)
    looked = discovery.find

    async def the_other_records_itself_meanwhile(**options: Any) -> discovery.Registration | None:
        if discovery.read() is None:  # this start's own look, just before the other emulator records itself
            discovery.record(other)
            return None
        return await looked(**options)

    monkeypatch.setattr(discovery, "find", the_other_records_itself_meanwhile)
    try:
        assert main(["emulator", "--background"]) == 2
        assert discovery.read() == other
    finally:
        discovery.clear(other.run_id)  # never `emulator --stop`: that pid is this test's own process
    said = f"an emulator is already running at {other.url} (pid {other.pid})"
    assert said in capsys.readouterr().err
    log = (private_runtime / discovery.LOG_NAME).read_text()
    assert f"heygen-async: error: {said}" in log  # the emulator started here said so, and ended


async def test_two_emulators_recording_themselves_at_once_over_a_stale_record_leave_exactly_one_recorded(
    serve: ServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two emulators start while the state file names one that is gone (another server answers on its port):
    both find it stale at once, and exactly one is recorded; the other says which one --emulator finds. Before,
    both recorded themselves, the second over the first, and each believed it was the one."""
    arrived: list[web.Request] = []
    together = asyncio.Event()

    async def info(request: web.Request) -> web.Response:
        arrived.append(request)
        if len(arrived) == 2:
            together.set()
        await together.wait()  # both emulators are looking at the stale record at the same time
        return web.json_response({"emulator": "heygen_async", "run_id": "cd" * 8, "pid": os.getpid()})

    app = web.Application()
    app.router.add_get(discovery.INFO_PATH, info)
    stale_url = (await serve(app)).removesuffix("/heygen")
    discovery.record(discovery.Registration(url=stale_url, pid=os.getpid(), run_id="ab" * 8))
    async with Emulator(clock=ManualClock()) as first, Emulator(clock=ManualClock()) as second:
        paths = await asyncio.wait_for(
            asyncio.gather(_record(first.url, first.run_id), _record(second.url, second.run_id)), 30
        )
        recorded = [emulator for emulator, path in zip((first, second), paths, strict=True) if path is not None]
        assert len(recorded) == 1, paths
        (winner,) = recorded
        assert discovery.read() == discovery.Registration(url=winner.url, pid=os.getpid(), run_id=winner.run_id)
        assert f"note: {winner.url} (pid {os.getpid()}) is the emulator --emulator finds" in capsys.readouterr().out


def test_without_a_running_emulator_the_command_says_what_it_creates_will_not_last(
    capsys: pytest.CaptureFixture[str], private_runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN", raising=False)
    argv = ["video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "Hi", "--emulator"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "no running emulator found" in err
    assert "ids and resume tokens it prints do not work in later commands" in err
    assert main([*argv, "--wait", "--timeout", "0.01"]) == 4
    err = capsys.readouterr().err
    assert "resume with" not in err  # a hint that cannot work is not given
    assert "the emulator it ran on ended with this command, so there is nothing to resume" in err


def test_a_stale_state_file_is_ignored_and_removed(
    capsys: pytest.CaptureFixture[str], private_runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN", raising=False)
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    discovery.record(discovery.Registration(url="http://127.0.0.1:9", pid=int(done.stdout), run_id="ab" * 8))
    assert main(["quota", "--emulator"]) == 0
    assert "no running emulator found" in capsys.readouterr().err
    assert not (private_runtime / "emulator.json").exists()


def test_the_base_url_variable_points_commands_at_a_gateway(
    background: Background, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert background.emulator is not None
    before = len(background.emulator.request_log)
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", "at_cli-env-test")
    monkeypatch.setenv("HEYGEN_ASYNC_BASE_URL", background.base_url)
    assert main(["avatars", "--json"]) == 0
    assert AVATAR_ID in [a["avatar_id"] for a in json.loads(capsys.readouterr().out)]
    assert [entry["endpoint"] for entry in background.emulator.request_log[before:]] == ["avatars.list"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["quota", "--emulator", "--base-url", "http://127.0.0.1:1/heygen"], "--emulator or --base-url, not both"),
        (["spec", "diff", "definition.json", "--emulator"], "spec diff reads a file and calls no API"),
        (["webhooks", "verify", "body.json", "--signature", "00", "--emulator"], "calls no API"),
        (["emulator", "--emulator"], "the other commands take --emulator"),
        (["emulator", "--stop", "--port", "9000"], "--stop takes no serving options, got --port 9000"),
    ],
)
def test_emulator_where_it_does_not_apply_is_refused_saying_why(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_help_says_which_commands_take_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "The API commands (avatars, voices, quota, video, translate, jobs, sessions, webhooks" in text
    assert "emulator, spec diff and webhooks verify call no API" in text
