"""`heygen-async demo` end to end on the embedded emulator: the tour completes and its summary adds up."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import heygen_async as hg
from heygen_async._cli._main import main
from tests.support import ROOT, Background, progress_lines

TOKEN = "at_demo-Sup3rSecret-token"


def _rows(out: str) -> dict[str, str]:
    rows = {}
    for line in out.splitlines():
        name, _, value = line.partition("  ")
        rows[name.strip()] = value.strip()
    return rows


def test_the_demo_tours_the_library_on_the_emulator(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN", raising=False)
    assert main(["demo"]) == 0
    captured = capsys.readouterr()
    err, rows = captured.err, _rows(captured.out)
    assert "no token is configured; running on the embedded emulator at http://127.0.0.1:" in err
    for step in ("== Account", "== Avatars and voices", "== Webhooks", "== Rendering 4 videos at once"):
        assert step in err
    assert "== Translating a video" in err
    assert "== A live streaming session" in err
    renders = [line for line in progress_lines(err) if "renders" in line.text]
    assert renders[-1].text.startswith("[########################] 4/4 renders finished: 3 done, 1 failed, ")
    assert all(line.running > 0 for line in renders[:-1])  # never "4/4 done" while some still render
    assert "handled: video" in err
    assert "40119 Emulated failure" in err  # the emulator's failure, reported in HeyGen's shape
    assert "interrupted: a newer message wins" in err
    assert rows["backend"] == "embedded emulator"
    assert rows["jobs"] == "5 submitted, 4 succeeded, 1 failed"
    assert rows["failures reported"] == "1"
    assert rows["translation"] == "success"
    assert rows["live session"] == "spoke 2x, interrupted: yes"
    assert rows["sessions left open"] == "0"
    assert "== LiveAvatar: a LITE session in sandbox mode" in err
    assert "connected (LITE, sandbox): its WebSocket is open" in err
    assert "  streamed 1.0 s of PCM audio in " in err
    assert "LiveAvatar played it to its end (agent.speak_ended); closing" in err
    assert "LiveAvatar sessions left open: 0" in err
    assert rows["LiveAvatar session"] == "LITE sandbox, 1.0 s of audio, 0 left open"
    assert "== HeyGen v3 in direct mode: 4 renders with Idempotency-Keys (the last is made to fail)" in err
    assert "one create sent twice with Idempotency-Key " in err
    assert "4 renders made for 4 video ids returned: none twice, none ambiguous" in err
    assert "1 lost answer recovered: HeyGen answered its create again from its key" in err
    assert rows["v3 renders"] == "4 submitted, 3 succeeded, 1 failed"
    assert rows["v3 idempotency"] == "1 lost answer recovered, 4 made, 0 ambiguous"
    assert int(rows["webhooks handled"]) >= 5
    assert int(rows["requests made"]) > 10
    assert int(rows["retries"]) >= 1  # the emulator's one flaky 503


def test_the_demo_summary_as_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", TOKEN)  # configured, but only --live would spend it
    assert main(["demo", "--json", "--videos", "2", "--emulator"]) == 0  # --emulator: the default, said
    captured = capsys.readouterr()
    assert "a token is configured, but only --live spends it" in captured.err
    assert TOKEN not in captured.out + captured.err
    summary = json.loads(captured.out)
    assert summary["backend"] == "embedded emulator"
    # two renders, one made to fail, and the translation
    assert (summary["jobs_submitted"], summary["jobs_succeeded"], summary["jobs_failed"]) == (4, 3, 1)
    assert summary["sessions_left_open"] == 0
    assert summary["liveavatar_sessions_left_open"] == 0
    assert summary["liveavatar_audio_seconds"] == 1.0
    assert summary["liveavatar_session_id"]
    assert summary["session_interrupted"] is True
    assert summary["requests"] > 0
    assert len(summary["failures_reported"]) == 1
    # HeyGen v3 in direct mode: two renders and one made to fail, the first answer lost and recovered
    v3 = {key: value for key, value in summary.items() if key.startswith("v3_")}
    assert v3 == {
        "v3_submitted": 3,
        "v3_succeeded": 2,
        "v3_failed": 1,
        "v3_ambiguous": 0,
        "v3_renders_made": 3,
        "v3_answers_recovered": 1,
        "v3_replayed": True,
    }


@pytest.mark.parametrize(
    ("argv", "token", "words"),
    [
        (["demo", "--live"], None, "LOWCODEAPI_API_TOKEN"),
        (["demo", "--live"], TOKEN, "pass --yes"),
        (["demo", "--videos", "0"], None, "--videos"),
    ],
)
def test_demo_usage_errors_exit_2_and_spend_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], token: str | None, words: str
) -> None:
    if token is None:
        monkeypatch.delenv("LOWCODEAPI_API_TOKEN", raising=False)
    else:
        monkeypatch.setenv("LOWCODEAPI_API_TOKEN", token)
    with open(os.devnull) as not_a_terminal:  # no prompt: confirmation must come from --yes
        monkeypatch.setattr(sys, "stdin", not_a_terminal)
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err
    assert TOKEN not in err


@pytest.mark.usefixtures("cli_token")
def test_the_demo_with_one_video_still_translates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--videos", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["translation"] == "success"
    assert (summary["jobs_submitted"], summary["jobs_succeeded"], summary["jobs_failed"]) == (3, 2, 1)


@pytest.mark.usefixtures("cli_token")
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
    assert (summary["v3_submitted"], summary["v3_renders_made"]) == (0, None)  # a gateway token reaches no v3
    assert "== HeyGen v3 in direct mode\nskipped: --live tours the LowCodeAPI gateway" in captured.err
    assert summary["liveavatar_sessions_left_open"] is None  # nor LiveAvatar, an API with a key of its own
    assert "== LiveAvatar: a LITE session in sandbox mode\nskipped: --live tours the LowCodeAPI gateway" in captured.err


def test_the_console_script_runs_the_demo() -> None:
    """What the README's first command runs: the installed ``heygen-async demo``."""
    script = Path(sys.executable).parent / "heygen-async"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "heygen_async"]
    env = {key: value for key, value in os.environ.items() if key != "LOWCODEAPI_API_TOKEN"}
    done = subprocess.run(
        [*command, "demo", "--videos", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "sessions left open  0" in done.stdout
    assert "4 submitted, 3 succeeded, 1 failed" in done.stdout  # 2 renders, one made to fail, the translation
