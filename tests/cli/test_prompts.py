"""Prompts ask on stderr, stop only what they showed, and survive Ctrl-C and Ctrl-D: `sessions reap`'s, and the
confirmation `demo --live` asks for before it spends anything."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._cli._main import main
from tests.support import CLI_TOKEN, Background, open_streaming_session

pytestmark = pytest.mark.usefixtures("cli_token")


class Terminal(io.StringIO):
    """stdin as a terminal that types ``text``."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("typed", "stopped"), [("n\n", False), ("", False), ("y\n", True)])
def test_the_reap_prompt_goes_to_stderr_and_stops_only_what_it_showed(
    background: Background,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    typed: str,
    stopped: bool,
) -> None:
    session_id = open_streaming_session(background)
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


def test_ctrl_c_at_the_reap_prompt_exits_at_once(background: Background) -> None:
    open_streaming_session(background)
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
