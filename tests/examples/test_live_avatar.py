"""examples/live_avatar.py runs against the embedded emulator, interrupts, and always stops its session: at the
end of its script, and when SIGTERM or SIGINT arrives mid-run."""

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
    env = {k: v for k, v in os.environ.items() if k not in ("LOWCODEAPI_API_TOKEN", "HEYGEN_API_KEY")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_scripted_run_interrupts_and_stops_the_session() -> None:
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
    assert out.count("new utterance while speaking: interrupting") == 2
    assert out.count("event: task interrupted:") == 2
    assert out.count("event: task finished:") == 2
    assert out.count("  speaking: '") == 4
    assert "queue ended after 4 utterance(s)" in out
    assert "event: state: new -> starting" in out
    assert "event: state: closing -> closed (exit)" in out
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("sig", "args", "after"),
    [
        # mid-speech: the first utterance has just been sent and the producer is still feeding the queue
        (signal.SIGTERM, [], "speaking: 'Hello!"),
        # idle between utterances: the script is done and the session waits for more
        (signal.SIGINT, ["--wait-for-signal"], "script done"),
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
