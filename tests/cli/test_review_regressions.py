"""Regressions from the command-line review: every failure is one line and an exit code, prompts go to stderr
and survive Ctrl-C and Ctrl-D, arguments are checked before a client exists, and the demo's --live path."""

from __future__ import annotations

import functools
import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._cli._main import main
from tests.support import CLI_TOKEN, Background

AVATAR = "Angela-inTshirt-20220820"
VOICE = "1bd001e7e50f421d891986aad5158bc8"
SCENE = {
    "character": {"type": "avatar", "avatar_id": AVATAR},
    "voice": {"type": "text", "voice_id": VOICE, "input_text": "hi"},
}


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", CLI_TOKEN)


class Terminal(io.StringIO):
    """stdin as a terminal that types ``text``."""

    def isatty(self) -> bool:
        return True


def _open_session(background: Background) -> str:
    async def open_one() -> str:
        assert background.emulator is not None
        async with background.emulator.client() as client:
            info = await client.streaming.new(avatar_id="Wayne_20240711", quality="low")
            return info.session_id or ""

    return background.call(open_one)


def test_an_unknown_key_in_a_video_file_is_a_usage_error_before_any_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN")  # no client could be made: the file is checked first
    spec = tmp_path / "v.json"
    spec.write_text(json.dumps({"video_inputs": [SCENE], "captions": True}))
    assert main(["video", "create", "--file", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "unknown videos.generate argument(s) ['captions']" in err
    assert "Traceback" not in err


def test_an_unexpected_exception_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import heygen_async._cli._commands as api

    async def boom(client: Any, out: Any, args: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(api, "_quota", boom)
    assert main(["quota", "--emulator"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "heygen-async: error: OSError: [Errno 28] No space left on device"
    assert "Traceback" not in err


def test_a_download_onto_a_directory_is_a_usage_error(
    background: Background, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--wait", "--poll-every", "0.1", "--json", "--base-url", background.base_url]
    assert main(["video", "create", "--avatar", AVATAR, "--voice", VOICE, "--text", "hi", *argv]) == 0
    video_id = json.loads(capsys.readouterr().out)["id"]
    (tmp_path / "out").mkdir()
    assert main(["video", "download", video_id, str(tmp_path / "out"), "--base-url", background.base_url]) == 2
    err = capsys.readouterr().err
    assert "it is a directory" in err
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failing_render_watched_without_a_timeout_exits_3(
    background: Background, capsys: pytest.CaptureFixture[str]
) -> None:
    create = ["video", "create", "--avatar", AVATAR, "--voice", VOICE, "--text", "x #fail", "--json"]
    main([*create, "--base-url", background.base_url])
    video_id = json.loads(capsys.readouterr().out)["video_id"]
    assert main(["jobs", "watch", video_id, "--poll-every", "0.1", "--base-url", background.base_url]) == 3


@pytest.mark.parametrize(("typed", "stopped"), [("n\n", False), ("", False), ("y\n", True)])
def test_the_reap_prompt_goes_to_stderr_and_stops_only_what_it_showed(
    background: Background,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    typed: str,
    stopped: bool,
) -> None:
    session_id = _open_session(background)
    monkeypatch.setattr(sys, "stdin", Terminal(typed))
    assert main(["sessions", "reap", "--json", "--base-url", background.base_url]) == 0
    captured = capsys.readouterr()
    documents = [json.loads(chunk) for chunk in captured.out.replace("}\n{", "}\n\x00{").split("\x00") if chunk]
    assert session_id in documents[0]["would_stop"]  # what was shown, as JSON
    assert "[y/N]" in captured.err  # the question, on stderr
    if stopped:
        assert session_id in documents[1]["stopped"]
    else:
        assert len(documents) == 1
        assert "nothing stopped" in captured.err
        assert main(["sessions", "reap", "--yes", "--json", "--base-url", background.base_url]) == 0
        assert session_id in json.loads(capsys.readouterr().out)["stopped"]


def test_reap_refuses_a_non_finite_or_negative_min_age(capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("nan", "inf", "-1"):
        assert main(["sessions", "reap", "--min-age", value, "--dry-run"]) == 2
        assert "--min-age" in capsys.readouterr().err


def test_ctrl_c_at_the_reap_prompt_exits_at_once(background: Background) -> None:
    _open_session(background)
    leader, follower = pty.openpty()
    env = {**os.environ, "LOWCODEAPI_API_TOKEN": CLI_TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "heygen_async", "sessions", "reap", "--base-url", background.base_url],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    try:
        seen, deadline = b"", time.monotonic() + 30
        while b"[y/N]" not in seen and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                seen += os.read(leader, 4096)
        assert b"[y/N]" in seen, seen
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)


def test_end_of_input_at_the_live_demo_prompt_spends_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_client(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a client was made without confirmation")

    monkeypatch.setattr(hg, "HeyGenClient", no_client)
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    assert main(["demo", "--live"]) == 2
    err = capsys.readouterr().err
    assert "Go ahead? [y/N]" in err
    assert "nothing was spent" in err


def test_the_demo_with_one_video_still_translates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--videos", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["translation"] == "success"
    assert (summary["jobs_submitted"], summary["jobs_succeeded"], summary["jobs_failed"]) == (3, 2, 1)


def test_the_live_demo_spends_only_what_it_announced(
    background: Background, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--live against a gateway (the emulator here): no render made to fail, a bad input refused locally."""
    fast = hg.PollPolicy(first_poll=0.1, max_interval=0.2)
    monkeypatch.setattr(
        hg, "HeyGenClient", functools.partial(hg.HeyGenClient, base_url=background.base_url, poll_policy=fast)
    )
    assert background.emulator is not None
    created = background.emulator.stats()["videos_created"]
    assert main(["demo", "--live", "--yes", "--videos", "2", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert "--live spends on your HeyGen account: 2 test renders" in captured.err
    assert background.emulator.stats()["videos_created"] - created == 2
    assert (summary["jobs_submitted"], summary["jobs_succeeded"], summary["jobs_failed"]) == (3, 3, 0)
    assert len(summary["failures_reported"]) == 1
    assert summary["failures_reported"][0].startswith("refused before sending")
    assert summary["sessions_left_open"] == 0
