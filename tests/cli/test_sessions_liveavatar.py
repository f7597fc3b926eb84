"""``heygen-async sessions list|reap`` on LiveAvatar (``--liveavatar`` / ``--backend liveavatar``) against the
emulator: the same output and exit codes as on HeyGen's legacy API, each backend reaping only its own sessions,
the LiveAvatar key (from ``$LIVEAVATAR_API_KEY`` or ``--liveavatar-key``) never in the output in any encoding,
and usage errors before anything is sent."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final

import pytest
from aiohttp import web

from heygen_async._cli._main import main
from tests.support import (
    Background,
    ServerFactory,
    assert_clean,
    echo,
    open_liveavatar_session,
    open_streaming_session,
)

KEY: Final = "la_Cli+Live/Key=secret:%k-0123456789"
"""A LiveAvatar key whose encodings differ from it (each key is an account of its own on the emulator)."""

pytestmark = pytest.mark.usefixtures("cli_token")


class LiveRun:
    """Runs a ``sessions`` command on the background emulator's LiveAvatar; its output never shows the key."""

    def __init__(self, background: Background, capsys: pytest.CaptureFixture[str]) -> None:
        self.background = background
        self.capsys = capsys
        assert background.emulator is not None
        self.base_url = background.emulator.liveavatar_url

    def __call__(
        self, *argv: str, backend: tuple[str, ...] = ("--liveavatar",), base_url: str | None = None
    ) -> tuple[int, str, str]:
        code = main([*argv, *backend, "--base-url", base_url or self.base_url])
        captured = self.capsys.readouterr()
        assert_clean("the command's output", captured.out + captured.err, KEY)
        return code, captured.out, captured.err

    def json(self, *argv: str, backend: tuple[str, ...] = ("--liveavatar",), base_url: str | None = None) -> Any:
        code, out, err = self(*argv, "--json", backend=backend, base_url=base_url)
        assert code == 0, err
        return json.loads(out)

    def session(self, session_id: str) -> Any:
        """The emulator's record of a LiveAvatar session."""
        emulator = self.background.emulator
        assert emulator is not None

        async def read() -> Any:
            return emulator.liveavatar.sessions[session_id]

        return self.background.call(read)

    def requests(self) -> int:
        """LiveAvatar requests the emulator has had."""
        emulator = self.background.emulator
        assert emulator is not None

        async def read() -> int:
            return sum(emulator.liveavatar.requests.values())

        return self.background.call(read)


@pytest.fixture
def live(background: Background, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> LiveRun:
    monkeypatch.setenv("LIVEAVATAR_API_KEY", KEY)
    return LiveRun(background, capsys)


def test_sessions_list_and_reap_on_liveavatar_stop_the_session_nobody_owns(live: LiveRun) -> None:
    session_id = open_liveavatar_session(live.background, KEY)
    code, out, _ = live("sessions", "list")
    assert code == 0
    assert out.splitlines()[0].split() == ["SESSION_ID", "STATUS", "CREATED_AT"]
    assert any(line.startswith(session_id) for line in out.splitlines())
    assert session_id in [s["session_id"] for s in live.json("sessions", "list")]

    dry = live.json("sessions", "reap", "--dry-run")
    assert (dry["dry_run"], session_id in dry["would_stop"], dry["stopped"]) == (True, True, [])
    assert live.session(session_id).open  # a dry run stops nothing
    code, _, err = live("sessions", "reap")  # not a terminal, no --yes: refuses
    assert code == 2
    assert "--yes" in err

    reaped = live.json("sessions", "reap", "--yes")
    assert session_id in reaped["stopped"]
    assert reaped["failed"] == {}
    record = live.session(session_id)
    assert (record.open, record.end_reason) == (False, "USER_CLOSED")
    assert session_id not in [s["session_id"] for s in live.json("sessions", "list")]

    second = open_liveavatar_session(live.background, KEY)
    code, out, _ = live("sessions", "reap", "--yes")
    assert code == 0
    assert any(line.startswith(second) and line.endswith("stopped") for line in out.splitlines())
    assert not live.session(second).open


def test_each_backend_lists_and_reaps_only_its_own_sessions(live: LiveRun) -> None:
    legacy = open_streaming_session(live.background)
    liveavatar = open_liveavatar_session(live.background, KEY)

    def on_heygen(*argv: str) -> Any:
        return live.json(*argv, backend=("--backend", "heygen"), base_url=live.background.base_url)

    listed = [s["session_id"] for s in on_heygen("sessions", "list")]
    assert legacy in listed
    assert liveavatar not in listed
    reaped = on_heygen("sessions", "reap", "--yes")
    assert legacy in reaped["stopped"]
    assert liveavatar not in reaped["stopped"] + reaped["kept"]
    assert live.session(liveavatar).open  # HeyGen's reaper never touches LiveAvatar's sessions

    listed = [s["session_id"] for s in live.json("sessions", "list", backend=("--backend", "liveavatar"))]
    assert listed == [liveavatar]
    assert live.json("sessions", "reap", "--yes", backend=("--backend", "liveavatar"))["stopped"] == [liveavatar]
    assert not live.session(liveavatar).open


def test_the_key_can_come_from_the_command_line(live: LiveRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEAVATAR_API_KEY")
    session_id = open_liveavatar_session(live.background, KEY)
    listed = live.json("sessions", "list", backend=("--liveavatar", "--liveavatar-key", KEY))
    assert session_id in [s["session_id"] for s in listed]  # the same account: the key was sent
    stopped = live.json("sessions", "reap", "--yes", backend=("--liveavatar", "--liveavatar-key", KEY))["stopped"]
    assert session_id in stopped


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--liveavatar", "--direct"], "--direct does not apply to LiveAvatar"),
        (["--liveavatar-key", KEY], "--liveavatar-key is for LiveAvatar: add --liveavatar"),
        (["--liveavatar", "--liveavatar-key", " padded "], "--liveavatar-key must be a non-empty key"),
        (["--liveavatar", "--emulator"], "give --emulator or --base-url, not both"),
    ],
    ids=["direct", "key-without-liveavatar", "padded-key", "emulator-and-base-url"],
)
def test_options_that_do_not_fit_are_usage_errors_before_anything_is_sent(
    live: LiveRun, argv: list[str], says: str
) -> None:
    before = live.requests()
    for command in (["sessions", "list"], ["sessions", "reap", "--yes"]):
        code, out, err = live(*command, *argv, backend=())
        assert code == 2
        assert out == ""
        assert says in err
    assert live.requests() == before


def test_without_a_key_the_error_names_where_to_put_one(live: LiveRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEAVATAR_API_KEY")
    before = live.requests()
    code, out, err = live("sessions", "list")
    assert code == 2
    assert out == ""
    assert "no LiveAvatar key: set $LIVEAVATAR_API_KEY or pass --liveavatar-key" in err
    assert live.requests() == before


def test_on_an_emulator_of_its_own(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``--emulator`` with none running: LiveAvatar on an emulator started for the command (no key needed)."""
    monkeypatch.delenv("LIVEAVATAR_API_KEY", raising=False)
    assert main(["sessions", "list", "--liveavatar", "--emulator", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert "no running emulator found, so this command uses one of its own" in captured.err
    assert main(["sessions", "reap", "--liveavatar", "--emulator", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["would_stop"] == []


async def echoing_liveavatar(serve: ServerFactory) -> str:
    """A LiveAvatar stand-in on 127.0.0.1 that answers every request 401, echoing the key it was sent in every
    encoding, whole and cut short; its base URL."""

    async def handler(request: web.Request) -> web.Response:
        said = echo(request.headers.get("X-API-KEY", ""))
        return web.json_response({"code": 401, "message": said, "detail": [said]}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return (await serve(app)).removesuffix("/heygen")


@pytest.mark.parametrize("where", ["environment", "command-line"])
async def test_a_key_echoed_by_liveavatar_never_reaches_the_clis_output(
    serve: ServerFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    base_url = await echoing_liveavatar(serve)
    if where == "environment":
        monkeypatch.setenv("LIVEAVATAR_API_KEY", KEY)
        given: list[str] = []
    else:
        monkeypatch.delenv("LIVEAVATAR_API_KEY", raising=False)
        given = ["--liveavatar-key", KEY]
    for command in (["sessions", "list"], ["sessions", "reap", "--yes"]):
        for debug in ([], ["--debug"]):
            argv = [*command, "--liveavatar", *given, "--base-url", base_url, *debug]
            # The command runs its own event loop: in a thread, while this loop serves its answers.
            code = await asyncio.to_thread(main, argv)
            assert code == 1
            captured = capsys.readouterr()
            assert "heygen-async: error:" in captured.err
            assert "***" in captured.err  # the echo was there to be scrubbed
            assert_clean("the command's output", captured.out + captured.err, KEY)
