"""examples/live_avatar.py runs a LiveAvatar LITE sandbox session on the embedded emulator: it reaps the orphan
a crashed run left, streams a tone, cuts it short with an interrupt, plays a second one to its end, and always
stops its session: at the end of its script, and when SIGTERM or SIGINT arrives mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from tests.support import EXAMPLES, ROOT

EXAMPLE = EXAMPLES / "live_avatar.py"
LIMIT = 60.0


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LIVEAVATAR_API_KEY", "HEYGEN_API_KEY")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_scripted_run_reaps_the_orphan_interrupts_and_stops_the_session() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.splitlines()[-1] == "sessions left open: 0"
    orphan = out.split("a crashed run left session ", 1)[1].split()[0]
    assert f"reaped 1 orphan(s): {orphan}" in out
    assert "connected (LITE, sandbox)" in out
    assert out.count("event: speech sent:") == 2
    assert out.count("event: speech interrupted:") == 1
    assert "the first utterance was cut short" in out
    assert out.count("event: speech finished:") == 1
    assert "event: LiveAvatar says: session.state_updated (connected)" in out
    assert out.count("event: LiveAvatar says: agent.speak_ended") == 2
    assert "event: state: new -> starting" in out
    assert "event: state: closing -> closed (exit)" in out
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("sig", "args", "after"),
    [
        # mid-speech: the first utterance is streaming
        (signal.SIGTERM, [], "event: speech sent:"),
        # idle after the script: the session waits for a signal
        (signal.SIGINT, ["--wait-for-signal"], "stays open until SIGINT or SIGTERM"),
    ],
    ids=["sigterm-mid-speech", "sigint-while-waiting"],
)
def test_signal_stops_the_session_and_exits_cleanly(sig: signal.Signals, args: list[str], after: str) -> None:
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE), *args],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(LIMIT, process.kill)  # a hang fails the test instead of blocking the suite
    watchdog.start()
    try:
        assert process.stdout is not None
        seen: list[str] = []
        for line in process.stdout:
            seen.append(line)
            if after in line:
                process.send_signal(sig)
                break
        else:
            pytest.fail(f"never saw {after!r}; output:\n{''.join(seen)}")
        rest, stderr = process.communicate(timeout=LIMIT)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    out = "".join(seen) + rest
    assert process.returncode == 0, out + stderr
    assert f"received {sig.name}: stopping" in out
    assert f"stopped after {sig.name}" in out
    assert "event: state: connected -> closing (error: CancelledError)" in out
    assert "event: state: closing -> closed (error: CancelledError)" in out
    assert out.splitlines()[-1] == "sessions left open: 0"
    assert "Traceback" not in stderr
