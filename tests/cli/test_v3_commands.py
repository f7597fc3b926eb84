"""The command line in direct mode speaks HeyGen v3 (against the emulator's v3): avatars, voices, quota, me, video
create/status/download, translate and jobs watch call ``/v3/...``; a create's ``Idempotency-Key`` is printed and a
rerun with it gets the same video; through the gateway the same commands keep the legacy routes. Exit codes as
everywhere: 0 ok, 1 API error, 2 usage error (before anything is sent), 3 job failed, 4 timeout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from heygen_async._cli._main import main
from tests.support import AVATAR_ID, CLI_TOKEN, VOICE_ID, Background

DIRECT_KEY = "hk_cli-Direct-Secret-Key-7Qx"
FAST = ["--poll-every", "0.1"]


class Direct:
    """Runs a command with ``--direct`` against the emulator's HeyGen (v3); neither credential is ever shown."""

    def __init__(self, background: Background, capsys: pytest.CaptureFixture[str]) -> None:
        self.background = background
        self.capsys = capsys

    def __call__(self, *argv: str, direct: bool = True) -> tuple[int, str, str]:
        assert self.background.emulator is not None
        where = (
            ["--direct", "--base-url", self.background.emulator.url]
            if direct
            else ["--base-url", self.background.base_url]
        )
        code = main([*argv, *where])
        captured = self.capsys.readouterr()
        for secret in (DIRECT_KEY, CLI_TOKEN):
            assert secret not in captured.out + captured.err
        return code, captured.out, captured.err

    def json(self, *argv: str, direct: bool = True) -> Any:
        code, out, err = self(*argv, "--json", direct=direct)
        assert code == 0, err
        return json.loads(out)

    def routes(self, since: int) -> list[str]:
        """The routes requested since ``since`` (an index into the request log)."""
        return [str(entry["endpoint"]) for entry in self.background.request_log()[since:]]

    def mark(self) -> int:
        return len(self.background.request_log())

    def v3_renders(self) -> int:
        emulator = self.background.emulator
        assert emulator is not None

        async def read() -> int:
            return int(emulator.stats()["v3"]["videos_created"])

        return self.background.call(read)


@pytest.fixture
def cli(background: Background, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Direct:
    monkeypatch.setenv("HEYGEN_API_KEY", DIRECT_KEY)
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", CLI_TOKEN)
    monkeypatch.delenv("HEYGEN_WEBHOOK_SECRET", raising=False)
    return Direct(background, capsys)


CREATE = ["video", "create", "--avatar-id", AVATAR_ID, "--voice-id", VOICE_ID]


def test_video_create_direct_calls_v3_and_prints_the_idempotency_key_it_sent(cli: Direct) -> None:
    before = cli.mark()
    data = cli.json(*CREATE, "--script", "Hello from v3")
    assert set(data) == {"video_id", "idempotency_key"}
    assert data["video_id"]
    assert len(data["idempotency_key"]) == 32  # a new one each time, chosen by the command
    assert cli.routes(before) == ["POST /v3/videos"]
    code, out, _ = cli(*CREATE, "--script", "Hello again")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["video_id", "idempotency_key"]


def test_a_rerun_with_the_same_idempotency_key_gets_the_same_video_and_renders_once(cli: Direct) -> None:
    renders = cli.v3_renders()
    first = cli.json(*CREATE, "--script", "Only once", "--idempotency-key", "cli-rerun-1")
    again = cli.json(*CREATE, "--script", "Only once", "--idempotency-key", "cli-rerun-1")
    assert first == again == {"video_id": first["video_id"], "idempotency_key": "cli-rerun-1"}
    assert cli.v3_renders() - renders == 1


def test_video_create_wait_status_and_download_direct(cli: Direct, tmp_path: Path) -> None:
    code, out, err = cli(*CREATE, "--script", "Hi", "--resolution", "720p", "--wait", *FAST)
    assert code == 0, err
    assert "1/1 video finished: 1 done" in err
    assert "idempotency_key" in err  # the note saying what was submitted
    fields = dict(line.split(None, 1) for line in out.splitlines())
    assert fields["status"] == "completed"
    video_id = fields["video_id"]
    before = cli.mark()
    status = cli.json("video", "status", video_id)
    assert (status["id"], status["status"]) == (video_id, "completed")
    assert status["video_url"]
    assert cli.routes(before) == ["GET /v3/videos/{video_id}"]
    target = tmp_path / "v3.mp4"
    downloaded = cli.json("video", "download", video_id, str(target))
    assert downloaded["bytes"] == target.stat().st_size > 0


def test_a_failed_v3_render_exits_3_with_heygens_reason(cli: Direct) -> None:
    code, out, err = cli(*CREATE, "--script", "x #fail", "--wait", *FAST)
    assert code == 3
    assert out == ""
    (line,) = [line for line in err.splitlines() if line.startswith("heygen-async: error:")]
    assert "failed" in line
    assert "Traceback" not in err


def test_a_v3_wait_past_its_timeout_resumes_with_jobs_watch_direct(cli: Direct) -> None:
    code, _, err = cli(*CREATE, "--script", "Slow", "--wait", "--timeout", "0.05")
    assert code == 4
    assert "resume with: heygen-async jobs watch '" in err
    assert err.split("jobs watch '", 1)[1].split("\n", 1)[0].endswith("--direct with the same --base-url")
    token = err.split("jobs watch '", 1)[1].split("'", 1)[0]
    key = err.split("idempotency_key ", 1)[1].split(";", 1)[0]
    assert json.loads(token)["kind"] == "v3_video"
    assert key in token  # a worker resuming from the token can send the create again and get the same render
    assert cli.json("jobs", "watch", token, *FAST)["status"] == "completed"


def test_jobs_watch_by_id_direct_watches_a_v3_video(cli: Direct) -> None:
    video_id = cli.json(*CREATE, "--script", "Watched")["video_id"]
    before = cli.mark()
    code, out, err = cli("jobs", "watch", video_id, *FAST)
    assert code == 0, err
    assert "completed" in out
    assert all("/v3/videos" in route for route in cli.routes(before))


def test_quota_and_me_direct_read_v3_users_me(cli: Direct) -> None:
    before = cli.mark()
    quota = cli.json("quota")
    assert set(quota) == {"billing_type", "wallet", "subscription", "usage_based"}
    assert quota["billing_type"]
    code, out, _ = cli("quota")
    assert code == 0
    assert out.splitlines()[0].split()[0] == "billing"
    me = cli.json("me")
    assert "email" in me
    assert me["billing_type"] == quota["billing_type"]
    assert set(cli.routes(before)) == {"GET /v3/users/me"}


def test_me_through_the_gateway_reads_the_legacy_user(cli: Direct) -> None:
    before = cli.mark()
    me = cli.json("me", direct=False)
    assert "email" in me
    assert "billing_type" not in me
    assert cli.routes(before) == ["user.me"]


def test_avatars_and_voices_direct_list_v3_looks_and_voices(cli: Direct) -> None:
    before = cli.mark()
    looks = cli.json("avatars", "--limit", "1")
    assert [look["id"] for look in looks] == [AVATAR_ID]  # a look's id is the avatar_id of a v3 video
    code, out, _ = cli("avatars")
    assert code == 0
    assert out.splitlines()[0].split() == ["AVATAR_ID", "NAME", "GENDER", "DEFAULT_VOICE"]
    voices = cli.json("voices", "--limit", "2")
    assert 1 <= len(voices) <= 2
    assert all(v["voice_id"] for v in voices)
    assert set(cli.routes(before)) == {"GET /v3/avatars/looks", "GET /v3/voices"}


def test_translate_direct_creates_a_v3_translation_and_waits_for_it(cli: Direct) -> None:
    before = cli.mark()
    data = cli.json("translate", "https://media.example/talk.mp4", "--language", "French", "--wait", *FAST)
    assert data["status"] == "completed"
    assert data["output_language"] == "French"
    assert cli.routes(before)[0] == "POST /v3/video-translations"


def test_through_the_gateway_the_video_commands_keep_the_legacy_routes(cli: Direct) -> None:
    before = cli.mark()
    data = cli.json("video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "Legacy", direct=False)
    assert set(data) == {"video_id"}
    cli.json("video", "status", data["video_id"], direct=False)
    assert cli.routes(before) == ["videos.generate", "videos.status"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([*CREATE, "--script", "x", "--dimension", "1280x720", "--direct"], "--dimension is the gateway's"),
        ([*CREATE, "--script", "x", "--test", "--direct"], "HeyGen v3 has no test renders"),
        ([*CREATE, "--script", "x", "--resolution", "1080p"], "--resolution is HeyGen v3's (--direct)"),
        ([*CREATE, "--script", "x", "--idempotency-key", "k1"], "--idempotency-key is HeyGen v3's (--direct)"),
        ([*CREATE, "--script", "x", "--idempotency-key", "not a key!", "--direct"], "idempotency_key must be"),
        ([*CREATE, "--direct"], "missing --text"),
        ([*CREATE, "--script", "x", "--resolution", "8k", "--direct"], "resolution"),
    ],
)
def test_v3_usage_errors_exit_2_before_anything_is_sent(
    cli: Direct, monkeypatch: pytest.MonkeyPatch, argv: list[str], words: str
) -> None:
    """Refused before any client exists (so a gateway command does not need a key, nor a direct one a token),
    or by the client before sending."""
    before = cli.mark()
    assert cli.background.emulator is not None
    where = ["--base-url", cli.background.emulator.url if "--direct" in argv else cli.background.base_url]
    code = main([*argv, *where])
    out, err = cli.capsys.readouterr()
    assert code == 2, err
    assert out == ""
    assert words in err
    assert "Traceback" not in err
    assert cli.routes(before) == []


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"type": "avatar", "avatar_id": AVATAR_ID, "colour": "red"}, "unknown videos.create argument(s) ['colour']"),
        ({"avatar_id": AVATAR_ID, "script": "x", "voice_id": VOICE_ID}, "the arguments need type"),
        (["not", "an", "object"], "must hold a JSON object of videos.create's arguments"),
    ],
)
def test_a_v3_video_file_is_checked_before_anything_is_sent(
    cli: Direct, tmp_path: Path, content: Any, words: str
) -> None:
    spec = tmp_path / "video.json"
    spec.write_text(json.dumps(content))
    before = cli.mark()
    code, out, err = cli("video", "create", "--file", str(spec))
    assert code == 2, err
    assert out == ""
    assert words in err
    assert cli.routes(before) == []


def test_a_v3_video_from_a_json_file_with_its_own_key(cli: Direct, tmp_path: Path) -> None:
    spec = tmp_path / "video.json"
    request = {"type": "avatar", "avatar_id": AVATAR_ID, "script": "From a file", "voice_id": VOICE_ID}
    spec.write_text(json.dumps({**request, "idempotency_key": "from-the-file-1"}))
    data = cli.json("video", "create", "--file", str(spec), "--wait", *FAST)
    assert data["status"] == "completed"
    code, _, err = cli("video", "create", "--file", str(spec), "--idempotency-key", "k2")
    assert code == 2
    assert "not both" in err
