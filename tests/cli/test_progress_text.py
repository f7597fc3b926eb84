"""Progress lines say what is true: counts add up, a finished job is never shown unfinished, a timeout or an
interruption is reported as such (never as a failure), and no "None" stands in for a status not seen yet."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest

from heygen_async._cli._main import main
from heygen_async.emulator import EmulatorConfig
from tests.support import AVATAR_ID, CLI_TOKEN, VOICE_ID, Background, progress_lines

FAST = ["--poll-every", "0.1"]
CREATE = ["video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID]


pytestmark = pytest.mark.usefixtures("cli_token")


def _run(capsys: pytest.CaptureFixture[str], background: Background, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--base-url", background.base_url])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_finished_render_is_never_shown_unfinished(
    capsys: pytest.CaptureFixture[str], background: Background
) -> None:
    """Was: "0/1 video done, status completed" before "1/1 video done"."""
    code, _, err = _run(capsys, background, *CREATE, "--text", "Hi", "--wait", *FAST)
    assert code == 0, err
    lines = progress_lines(err)
    assert lines[-1].text.startswith("[########################] 1/1 video finished: 1 done, ")
    assert all(line.finished == 0 for line in lines[:-1])


def test_a_failed_render_is_counted_failed_once_it_fails(
    capsys: pytest.CaptureFixture[str], background: Background
) -> None:
    code, _, err = _run(capsys, background, *CREATE, "--text", "Hi #fail", "--wait", *FAST)
    assert code == 3
    lines = progress_lines(err)
    assert (lines[-1].finished, lines[-1].failed) == (1, 1)


def test_a_timed_out_wait_is_reported_as_a_timeout_not_a_failure(
    capsys: pytest.CaptureFixture[str], background: Background
) -> None:
    """Was: "1 failed" in the progress line and "(last status None)" in the error."""
    code, _, err = _run(capsys, background, *CREATE, "--text", "Slow", "--wait", "--timeout", "0.05")
    assert code == 4
    last = progress_lines(err)[-1]
    assert (last.timed_out, last.failed, last.finished) == (1, 0, 0)
    assert "failed" not in err
    assert "None" not in err
    (error,) = [line for line in err.splitlines() if line.startswith("heygen-async: error:")]
    assert "(no status seen yet)" in error or "(last status '" in error


def test_a_translation_wait_counts_add_up(capsys: pytest.CaptureFixture[str], background: Background) -> None:
    code, out, err = _run(
        capsys, background, "translate", "https://media.example/talk.mp4", "--language", "French", "--wait", *FAST
    )
    assert code == 0, err
    assert "success" in out
    assert progress_lines(err)[-1].text.startswith("[########################] 1/1 translation finished: 1 done, ")


def test_watching_a_finished_job_shows_it_done(capsys: pytest.CaptureFixture[str], background: Background) -> None:
    code, out, err = _run(capsys, background, *CREATE, "--text", "Hi", "--json", "--wait", *FAST)
    assert code == 0, err
    video_id = json.loads(out)["id"]
    code, out, err = _run(capsys, background, "jobs", "watch", video_id, *FAST)
    assert code == 0, err
    lines = progress_lines(err)
    assert lines[-1].done == 1
    assert all(line.running == 1 for line in lines[:-1])


def test_ctrl_c_during_a_wait_is_reported_as_an_interruption_with_a_resume_command() -> None:
    """Was: "1 failed" for a job still processing when the wait was interrupted."""
    with Background(EmulatorConfig(render_seconds=3600, pending_seconds=0), speed=1) as slow:
        env = {**os.environ, "LOWCODEAPI_API_TOKEN": CLI_TOKEN}
        process = subprocess.Popen(
            [sys.executable, "-m", "heygen_async", *CREATE, "--text", "Long", "--wait", *FAST],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**env, "HEYGEN_ASYNC_BASE_URL": slow.base_url},
            text=True,
        )
        assert process.stderr is not None
        try:
            seen, deadline = "", time.monotonic() + 60
            while "status processing" not in seen and time.monotonic() < deadline:  # a status came back
                if select.select([process.stderr], [], [], 0.5)[0]:
                    seen += process.stderr.readline()
            assert "status processing" in seen, seen
            process.send_signal(signal.SIGINT)
            _, rest = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    err = seen + rest
    assert process.returncode == 130
    last = progress_lines(err)[-1]
    assert (last.interrupted, last.running, last.failed, last.timed_out) == (True, 1, 0, 0)
    assert "still running when interrupted (status processing)" in last.text
    assert "failed" not in err
    assert "goes on at HeyGen; resume with: heygen-async jobs watch '" in err
    assert err.rstrip().endswith("heygen-async: interrupted")
