"""What a new user reads when something is off: the command's own usage line, one JSON shape for `sessions
reap`, hints that name the command-line flag, a delete of nothing that does not claim success, arguments
checked before a client exists, and every failure one line and an exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from heygen_async._cli._main import main
from tests.support import AVATAR_ID, VOICE_ID, Background, open_streaming_session, scene

REAP_KEYS = {"dry_run", "would_stop", "stopped", "kept", "failed"}


pytestmark = pytest.mark.usefixtures("cli_token")


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["avatars", "--bogus"], "usage: heygen-async avatars "),
        (["video", "create", "--avatar", "a", "--colour", "red"], "usage: heygen-async video create "),
        (["video", "--verbose", "status", "v1"], "usage: heygen-async video "),
        (["demo", "--base-url", "http://127.0.0.1:1/heygen"], "usage: heygen-async demo "),
    ],
)
def test_an_unknown_argument_shows_the_commands_own_usage(
    capsys: pytest.CaptureFixture[str], argv: list[str], usage: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert "error: unrecognized arguments:" in err
    assert "usage: heygen-async [-h] [--version]" not in err  # not the top-level usage


def _reap(capsys: pytest.CaptureFixture[str], background: Background, *flags: str) -> dict[str, Any]:
    assert main(["sessions", "reap", *flags, "--json", "--base-url", background.base_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    assert set(data) == REAP_KEYS
    return data


def test_sessions_reap_prints_one_json_shape_for_a_dry_run_a_real_run_and_nothing_to_do(
    capsys: pytest.CaptureFixture[str], background: Background
) -> None:
    """Was: {"would_stop"} for a dry run (and for nothing to stop), {"stopped", "kept", "failed"} otherwise."""
    session = open_streaming_session(background)
    dry = _reap(capsys, background, "--dry-run")
    assert dry["dry_run"] is True
    assert session in dry["would_stop"]
    assert (dry["stopped"], dry["failed"]) == ([], {})
    real = _reap(capsys, background, "--yes")
    assert real["dry_run"] is False
    assert session in real["stopped"]
    assert (real["would_stop"], real["failed"]) == ([], {})
    again = _reap(capsys, background, "--yes")  # nothing left to stop: the same shape, empty
    assert session not in again["stopped"] + again["would_stop"] + again["kept"]


def test_the_unknown_event_hint_names_the_command_line_flag(
    capsys: pytest.CaptureFixture[str], background: Background, hook_url: str
) -> None:
    assert background.emulator is not None
    before = len(background.emulator.request_log)
    argv = ["webhooks", "add", hook_url, "--event", "avatar_video.created", "--base-url", background.base_url]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown event 'avatar_video.created'" in err
    assert "--allow-unknown-events" in err
    assert "allow_unknown_events=True" not in err
    assert len(background.emulator.request_log) == before  # refused before anything was sent
    main([*argv, "--allow-unknown-events"])  # sent: the API decides (the emulator, like HeyGen, refuses it)
    capsys.readouterr()
    assert [entry["endpoint"] for entry in background.emulator.request_log[before:]] == ["webhooks.add_endpoint"]


def test_deleting_a_webhook_url_that_is_not_registered_fails_saying_so(
    capsys: pytest.CaptureFixture[str], background: Background
) -> None:
    """Was: exit 0 and "deleted 0"."""
    url = "https://example.com/never-registered"
    assert main(["webhooks", "delete", url, "--base-url", background.base_url]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"heygen-async: error: no webhook endpoint is registered for {url}; nothing deleted" in captured.err


@pytest.mark.parametrize(
    ("argv", "env", "said"),
    [
        (["quota", "--base-url", "ftp://gateway.example/heygen"], {}, "got 'ftp://gateway.example/heygen'"),
        (["quota"], {"HEYGEN_ASYNC_BASE_URL": "ftp://gateway.example/heygen"}, "got 'ftp://gateway.example/heygen'"),
        (
            ["quota"],
            {"LOWCODEAPI_API_TOKEN": ""},
            "no API token: give the api_token argument or set LOWCODEAPI_API_TOKEN",
        ),
    ],
)
def test_a_configuration_error_is_shown_whole_with_nothing_masked_that_is_not_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], said: str
) -> None:
    """A missing token or a base URL that is not one: the line names where the token goes and hides nothing,
    for nothing in it is secret. (It read "pass api_token=*** or set ..." and "pass the token as
    api_token=*** got ...": the command's scrubbing took what followed "api_token=" for a token.)"""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("heygen-async: error: ")
    assert said in line
    assert "***" not in line


def test_an_unknown_key_in_a_video_file_is_a_usage_error_before_any_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOWCODEAPI_API_TOKEN")  # no client could be made: the file is checked first
    spec = tmp_path / "v.json"
    spec.write_text(json.dumps({"video_inputs": [scene("hi")], "captions": True}))
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
    assert main(["video", "create", "--avatar", AVATAR_ID, "--voice", VOICE_ID, "--text", "hi", *argv]) == 0
    video_id = json.loads(capsys.readouterr().out)["id"]
    (tmp_path / "out").mkdir()
    assert main(["video", "download", video_id, str(tmp_path / "out"), "--base-url", background.base_url]) == 2
    err = capsys.readouterr().err
    assert "it is a directory" in err
    assert list((tmp_path / "out").iterdir()) == []


def test_reap_refuses_a_non_finite_or_negative_min_age(capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("nan", "inf", "-1"):
        assert main(["sessions", "reap", "--min-age", value, "--dry-run"]) == 2
        assert "--min-age" in capsys.readouterr().err
