"""Every everyday command against the emulator, in human and --json output, with the exit codes scripts test:
0 ok, 1 API error, 2 usage error, 3 job failed, 4 timeout."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._cli._main import main
from tests.support import AVATAR_ID, CLI_TOKEN, VOICE_ID, Background

FAST = ["--poll-every", "0.1"]


pytestmark = pytest.mark.usefixtures("cli_token")


class Run:
    def __init__(self, background: Background, capsys: pytest.CaptureFixture[str]) -> None:
        self.background = background
        self.capsys = capsys

    def __call__(self, *argv: str, connect: bool = True) -> tuple[int, str, str]:
        args = [*argv, "--base-url", self.background.base_url] if connect else list(argv)
        code = main(args)
        captured = self.capsys.readouterr()
        assert CLI_TOKEN not in captured.out + captured.err  # never, in any command or mode
        return code, captured.out, captured.err

    def json(self, *argv: str) -> Any:
        code, out, err = self(*argv, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(background: Background, capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(background, capsys)


def _render(cli: Run, text: str = "Hello from the command line") -> str:
    data = cli.json("video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", text)
    assert isinstance(data["video_id"], str)
    return str(data["video_id"])


def test_avatars_in_both_modes(cli: Run) -> None:
    code, out, _ = cli("avatars")
    assert code == 0
    assert out.splitlines()[0].split() == ["AVATAR_ID", "NAME", "GENDER", "DEFAULT_VOICE"]
    assert AVATAR_ID in out
    data = cli.json("avatars", "--limit", "2")
    assert len(data) == 2
    assert data[0]["avatar_id"] == AVATAR_ID


def test_voices_in_both_modes_with_a_language_filter(cli: Run) -> None:
    code, out, _ = cli("voices", "--language", "english")
    assert code == 0
    assert VOICE_ID in out
    data = cli.json("voices")
    assert {v["voice_id"] for v in data} >= {VOICE_ID}
    assert all(v["language"] == "English" for v in cli.json("voices", "--language", "English"))


def test_quota_in_both_modes(cli: Run) -> None:
    code, out, _ = cli("quota")
    assert code == 0
    assert "remaining" in out
    assert "credits" in out
    data = cli.json("quota")
    assert data["remaining_quota"] > 0
    assert data["credits"] == pytest.approx(data["remaining_quota"] / 60)


def test_video_create_wait_status_and_download(cli: Run, tmp_path: Path) -> None:
    code, out, err = cli("video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "Hi", "--wait", *FAST)
    assert code == 0, err
    assert "completed" in out
    assert "1/1 video finished: 1 done" in err  # the progress line
    video_id = next(line.split()[1] for line in out.splitlines() if line.startswith("video_id"))
    data = cli.json("video", "status", video_id)
    assert (data["id"], data["status"]) == (video_id, "completed")
    code, out, _ = cli("video", "status", video_id)
    assert code == 0
    assert "completed" in out
    target = tmp_path / "out.mp4"
    downloaded = cli.json("video", "download", video_id, str(target))
    assert downloaded["bytes"] == target.stat().st_size > 0
    code, out, err = cli("video", "download", video_id, str(tmp_path / "again.mp4"))
    assert code == 0
    assert f"bytes  {target.stat().st_size}" in out
    assert f"downloading {video_id}" in err  # the progress line
    assert "MB" in err


def test_video_create_from_a_json_file(cli: Run, tmp_path: Path) -> None:
    spec = tmp_path / "video.json"
    scene = {
        "character": {"type": "avatar", "avatar_id": AVATAR_ID},
        "voice": {"type": "text", "voice_id": VOICE_ID, "input_text": "From a file"},
    }
    spec.write_text(json.dumps({"video_inputs": [scene, scene], "title": "two scenes"}))
    data = cli.json("video", "create", "--file", str(spec), "--wait", *FAST)
    assert data["status"] == "completed"


def test_a_failed_render_exits_3_with_heygens_reason(cli: Run) -> None:
    code, out, err = cli(
        "video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "x #fail", "--wait", *FAST
    )
    assert code == 3
    assert out == ""
    (line,) = [line for line in err.splitlines() if line.startswith("heygen-async: error:")]
    assert "failed" in line
    assert "40119" in line
    assert "Traceback" not in err


def test_a_wait_past_its_timeout_exits_4_with_a_resume_command_that_works(cli: Run) -> None:
    code, _, err = cli(
        "video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "Slow", "--wait", "--timeout", "0.05"
    )
    assert code == 4
    assert "resume with: heygen-async jobs watch '" in err
    token = err.split("jobs watch '", 1)[1].split("'", 1)[0]
    assert json.loads(token)["kind"] == "video"
    data = cli.json("jobs", "watch", token, *FAST)
    assert data["status"] == "completed"


def test_jobs_watch_by_id_in_both_modes(cli: Run) -> None:
    video_id = _render(cli)
    code, out, err = cli("jobs", "watch", video_id, *FAST)
    assert code == 0, err
    assert "completed" in out
    assert "watching video" in err


def test_translate_with_wait_in_both_modes(cli: Run) -> None:
    code, out, err = cli("translate", "https://media.example/talk.mp4", "--language", "French", "--wait", *FAST)
    assert code == 0, err
    assert "success" in out
    data = cli.json("translate", "https://media.example/talk.mp4", "--language", "German")
    assert isinstance(data["video_translate_id"], str)
    data = cli.json("jobs", "watch", data["video_translate_id"], "--kind", "translation", *FAST)
    assert data["status"] == "success"


def test_sessions_list_and_reap(cli: Run, background: Background) -> None:
    async def orphan() -> str:
        async with background.emulator.client() as client:  # type: ignore[union-attr]
            info = await client.streaming.new(avatar_id="Wayne_20240711", quality="low")
            return info.session_id or ""

    session_id = background.call(orphan)
    code, out, _ = cli("sessions", "list")
    assert code == 0
    assert session_id in out
    assert session_id in [s["session_id"] for s in cli.json("sessions", "list")]
    dry = cli.json("sessions", "reap", "--dry-run")
    assert session_id in dry["would_stop"]
    code, _, err = cli("sessions", "reap")  # not a terminal, no --yes: refuses
    assert code == 2
    assert "--yes" in err
    code, out, _ = cli("sessions", "reap", "--dry-run")
    assert code == 0
    assert out.splitlines()[0].split() == ["SESSION_ID", "STATUS", "CREATED_AT", "OUTCOME"]
    assert any(line.startswith(session_id) and line.endswith("would stop") for line in out.splitlines())
    reaped = cli.json("sessions", "reap", "--yes")
    assert session_id in reaped["stopped"]
    assert session_id not in [s["session_id"] for s in cli.json("sessions", "list")]
    second = background.call(orphan)
    code, out, _ = cli("sessions", "reap", "--yes")
    assert code == 0
    assert any(line.startswith(second) and line.endswith("stopped") for line in out.splitlines())


def test_webhooks_add_list_verify_delete(
    cli: Run, hook_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = cli.json("webhooks", "add", hook_url, "--event", "avatar_video.success")
    secret = added["secret"]
    assert secret
    assert added["events"] == ["avatar_video.success"]
    code, out, _ = cli("webhooks", "list")
    assert code == 0
    assert added["endpoint_id"] in out
    assert secret not in out  # masked unless asked
    listed = cli.json("webhooks", "list", "--show-secrets")
    assert secret in [e["secret"] for e in listed]

    body = b'{"event_type":"avatar_video.success","event_data":{"video_id":"v1"}}'
    path = tmp_path / "delivery.json"
    path.write_bytes(body)
    good = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    monkeypatch.setenv("HEYGEN_WEBHOOK_SECRET", secret)
    code, out, _ = cli("webhooks", "verify", str(path), "--signature", good, connect=False)
    assert code == 0
    assert "avatar_video.success" in out
    code, out, _ = cli("webhooks", "verify", str(path), "--signature", good, "--json", connect=False)
    assert json.loads(out) == {"valid": True, "event_type": "avatar_video.success", "job_id": "v1"}
    code, out, err = cli("webhooks", "verify", str(path), "--signature", "0" * 64, connect=False)
    assert (code, out) == (1, "")
    assert "invalid signature" in err
    assert secret not in err

    code, out, _ = cli("webhooks", "delete", added["endpoint_id"])
    assert code == 0
    assert added["endpoint_id"] not in [e["endpoint_id"] for e in cli.json("webhooks", "list")]
    code, out, err = cli("webhooks", "add", hook_url)
    assert code == 0
    assert "secret" in out
    assert "keep the secret" in err
    assert cli.json("webhooks", "delete", hook_url) == {"deleted": 1}


def test_an_api_error_exits_1_as_one_line(cli: Run) -> None:
    code, out, err = cli("video", "status", "no-such-video")
    assert code == 1
    assert out == ""
    assert len([line for line in err.splitlines() if line]) == 1
    assert err.startswith("heygen-async: error:")
    code, _, err = cli("video", "status", "no-such-video", "--debug")
    assert code == 1
    assert "Traceback" in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["video", "create", "--avatar", AVATAR_ID], "missing --voice, --text"),
        (
            ["video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "x", "--dimension", "big"],
            "--dimension",
        ),
        (["video", "create", "--file", "/no/such/file.json"], "cannot read"),
        (["jobs", "watch", "../../v1/user/me", "--kind", "translation"], "video_translate_id"),
        (
            ["video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "x", "--dimension", "1281x720"],
            "dimension",
        ),
        (["jobs", "watch", '{"heygen_async_job": 99}'], "resume token"),
        (["webhooks", "add", "ftp://example.com/hook"], "http(s) URL"),
        (["webhooks", "add", "https://example.com/h", "--event", "avatar_video.sucess"], "unknown event"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_sent(
    cli: Run, background: Background, argv: list[str], words: str
) -> None:
    assert background.emulator is not None
    before = len(background.emulator.request_log)
    code, out, err = cli(*argv)
    assert code == 2, err
    assert out == ""
    assert words in err
    assert "Traceback" not in err
    assert len(background.emulator.request_log) == before


@pytest.mark.parametrize("argv", [["avatars", "--limit", "0"], ["video", "create", "--timeout", "-1"], ["nope"]])
def test_argument_errors_exit_2(cli: Run, argv: list[str]) -> None:
    code, _, err = cli(*argv, connect=False)
    assert code == 2
    assert "usage:" in err


def test_without_a_token_the_error_says_how_to_get_going(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN")
    code, _, err = cli("quota", connect=False)
    assert code == 2
    assert "LOWCODEAPI_API_TOKEN" in err
    assert "--emulator" in err


def test_the_emulator_option_needs_no_account(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN")
    code, out, _ = cli("avatars", "--emulator", connect=False)
    assert code == 0
    assert AVATAR_ID in out


def test_client_stats_count_requests_and_retries(background: Background) -> None:
    async def exercise() -> hg.ClientStats:
        emulator = background.emulator
        assert emulator is not None
        emulator.inject("503", endpoint="user.me")
        retry = hg.RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0)
        async with emulator.client(retry=retry) as client:
            await client.user.me()
            await client.avatars.list()
            return client.stats

    stats = background.call(exercise)
    assert (stats.requests, stats.retries) == (3, 1)


def test_a_failing_render_watched_without_a_timeout_exits_3(
    background: Background, capsys: pytest.CaptureFixture[str]
) -> None:
    create = ["video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "x #fail", "--json"]
    main([*create, "--base-url", background.base_url])
    video_id = json.loads(capsys.readouterr().out)["video_id"]
    assert main(["jobs", "watch", video_id, "--poll-every", "0.1", "--base-url", background.base_url]) == 3
