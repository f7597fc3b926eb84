"""README.md as a new user reads it: the Quick start runs as printed against the emulator, and what the README
says about the emulator (run_emulator's arguments, EmulatorConfig's defaults, emulator.stats()'s keys) is what
the code does."""

from __future__ import annotations

import ast
import functools
import io
import re
import subprocess
import sys
from contextlib import redirect_stdout
from typing import Any

import attrs
import pytest

import heygen_async as hg
from heygen_async.emulator import OLD_FORMAT_ONLY, EmulatorConfig, ManualClock, ScaledClock, run_emulator
from tests.support import code_blocks, section

QUICK_START = code_blocks(section("Quick start"), "python")


def test_the_quick_start_has_a_snippet_for_an_account_and_one_for_the_emulator() -> None:
    assert len(QUICK_START) == 2
    assert "hg.HeyGenClient()" in QUICK_START[0]
    assert "run_emulator(" in QUICK_START[1]


async def test_the_quick_start_runs_as_printed_with_only_the_gateway_address_pointing_at_the_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first snippet (top-level await, as in ``python -m asyncio``), its text untouched: the token comes
    from LOWCODEAPI_API_TOKEN as it says; only the gateway's address is the emulator's."""
    async with run_emulator(clock=ManualClock()) as emulator:
        monkeypatch.setenv("LOWCODEAPI_API_TOKEN", "at_readme-reader")
        monkeypatch.setattr(hg, "HeyGenClient", functools.partial(hg.HeyGenClient, base_url=emulator.base_url))
        code = compile(QUICK_START[0], "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        namespace: dict[str, Any] = {}
        printed = io.StringIO()
        with redirect_stdout(printed):
            outcome = eval(code, namespace)  # a coroutine, because the snippet awaits at top level
            if outcome is not None:
                await outcome
    assert namespace["quota"].credits == 600.0
    assert "Angela-inTshirt-20220820" in printed.getvalue()
    video = namespace["video"]
    assert video.id == namespace["job"].video_id
    assert video.status in (hg.VideoStatus.WAITING, hg.VideoStatus.PENDING, hg.VideoStatus.PROCESSING)


def test_the_emulator_quick_start_runs_as_printed_in_a_fresh_python() -> None:
    done = subprocess.run(
        [sys.executable, "-c", QUICK_START[1]], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    credits, rendered = done.stdout.splitlines()
    assert credits == "600 credits"
    status, url = rendered.split()
    assert status == "completed"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/media/video/[0-9a-f]+\.mp4\?.*", url), url


def _emulator_text() -> str:
    return " ".join(section("The emulator").split())


async def test_the_documented_stats_keys_are_exactly_what_stats_returns() -> None:
    documented = re.search(r"`emulator\.stats\(\)` returns a dict: (.*?)\. Also", _emulator_text())
    assert documented is not None
    keys = re.findall(r"`([a-z0-9_]+)`", re.sub(r"\([^)]*\)", "", documented[1]))
    async with run_emulator(clock=ManualClock()) as emulator:
        assert sorted(keys) == sorted(emulator.stats())


def test_run_emulators_documented_arguments_are_its_arguments() -> None:
    import inspect

    documented = re.search(r"`async with run_emulator\((.*?)\) as emulator:`", _emulator_text())
    assert documented is not None
    signature = inspect.signature(run_emulator)
    expected: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.KEYWORD_ONLY and "*" not in expected:
            expected.append("*")
        expected.append(f"{parameter.name}={parameter.default!r}")
    assert documented[1] == ", ".join(expected)
    for name in signature.parameters:
        assert f"`{name}` " in _emulator_text(), f"run_emulator's {name} is not described"


def test_emulator_configs_documented_defaults_are_its_defaults() -> None:
    documented = re.search(
        r"`EmulatorConfig` \(keyword-only, durations in emulated seconds\): (.*?)\. From", _emulator_text()
    )
    assert documented is not None
    pairs = dict(re.findall(r"`([a-z_]+)=([^`]+)`", documented[1]))
    pairs.update(re.findall(r"`(api_keys)=(None)`", documented[1]))
    defaults = {field.name: field.default for field in attrs.fields(EmulatorConfig)}
    assert sorted(pairs) == sorted(defaults)
    for name, text in pairs.items():
        value = OLD_FORMAT_ONLY if text == "OLD_FORMAT_ONLY" else ast.literal_eval(text)
        assert value == defaults[name], name


def test_the_environment_table_lists_every_variable_the_command_line_reads() -> None:
    from heygen_async._cli._common import BASE_URL_ENV, DIRECT_BASE_URL_ENV
    from heygen_async.emulator._discovery import RUNTIME_DIR_ENV

    table = section("Environment")
    for name in (BASE_URL_ENV, DIRECT_BASE_URL_ENV, RUNTIME_DIR_ENV):
        assert f"| `{name}` |" in table


async def test_the_v3_snippet_runs_as_printed_with_only_the_address_pointing_at_the_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The "HeyGen v3" snippet, its text untouched: the key comes from HEYGEN_API_KEY as it says; only HeyGen's
    address is the emulator's, whose clock runs 1000 times faster."""
    (snippet,) = code_blocks(section("HeyGen v3"), "python")
    async with run_emulator(clock=ScaledClock(1000.0)) as emulator:
        monkeypatch.setenv("HEYGEN_API_KEY", emulator.api_key)
        direct = functools.partial(hg.HeyGenClient.direct, base_url=emulator.url, upload_url=emulator.url)
        monkeypatch.setattr(hg.HeyGenClient, "direct", direct)
        code = compile(snippet, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        namespace: dict[str, Any] = {}
        printed = io.StringIO()
        with redirect_stdout(printed):
            outcome = eval(code, namespace)
            if outcome is not None:
                await outcome
        made = emulator.stats()["v3"]["videos_created"]
    status, url = printed.getvalue().split()
    assert status == "completed"
    assert url.startswith(emulator.url)
    assert namespace["job"].idempotency_key == "welcome-video-1"
    assert made == 1


def _surface_rows() -> list[list[str]]:
    lines = section("Which surface?").splitlines()
    rows = [[cell.strip() for cell in line.strip().strip("|").split(" | ")] for line in lines if line.startswith("| `")]
    assert all(len(row) == 3 for row in rows)
    return rows


def test_which_surface_lists_every_legacy_route_once_with_its_method_and_a_replacement() -> None:
    """The table a gateway user plans the move with: each of the 48 legacy routes once, named as the client
    names it, each with a v3 or LiveAvatar route or "none"."""
    from heygen_async._spec._table import ENDPOINTS

    rows = _surface_rows()
    listed = [(route.strip("`"), method.strip("`")) for route, method, _ in rows]
    hosts = {"api": "", "upload": "upload.heygen.com"}
    expected = [(f"{e.http_method} {hosts[e.host]}{e.path}", e.qualname) for e in ENDPOINTS]
    assert sorted(listed) == sorted(expected)
    for route, _, replacement in rows:
        assert replacement.startswith(
            ("`GET /v3/", "`POST /v3/", "`PATCH /v3/", "`DELETE /v3/", "LiveAvatar: ", "none")
        ), route


async def test_the_which_surface_snippet_runs_as_printed_against_the_emulators_heygen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The v3 snippet, its text untouched (top-level await): the key comes from HEYGEN_API_KEY as it says; only
    HeyGen's address (and a quick poll cadence) are the emulator's."""
    (snippet,) = code_blocks(section("Which surface?"), "python")
    config = EmulatorConfig(render_seconds=2, pending_seconds=0.5)
    async with run_emulator(config) as emulator:
        direct = hg.HeyGenClient.direct
        polls = hg.PollPolicy(first_poll=0.1, max_interval=0.3)

        class Pointed(hg.HeyGenClient):
            @classmethod
            def direct(cls, *args: Any, **options: Any) -> hg.HeyGenClient:
                return direct(*args, base_url=emulator.url, upload_url=emulator.url, poll_policy=polls, **options)

        monkeypatch.setenv("HEYGEN_API_KEY", "hk_readme-reader")
        monkeypatch.setattr(hg, "HeyGenClient", Pointed)
        code = compile(snippet, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        namespace: dict[str, Any] = {"hg": hg}
        outcome = eval(code, namespace)
        if outcome is not None:
            await outcome
    video = namespace["video"]
    assert video.id == namespace["job"].video_id
    assert video.status.value == "completed"


async def test_the_liveavatar_snippet_runs_as_printed_against_the_emulators_liveavatar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The "LiveAvatar" snippet, its text untouched (top-level await): the key comes from LIVEAVATAR_API_KEY as
    it says; only LiveAvatar's address is the emulator's. It streams its audio, and stops its session."""
    snippet = code_blocks(section("LiveAvatar"), "python")[0]  # the section's first: its audio subsection follows
    async with run_emulator(clock=ManualClock()) as emulator:
        monkeypatch.setenv("LIVEAVATAR_API_KEY", emulator.liveavatar_key)
        monkeypatch.setattr(
            hg, "LiveAvatarClient", functools.partial(hg.LiveAvatarClient, base_url=emulator.liveavatar_url)
        )
        code = compile(snippet, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        namespace: dict[str, Any] = {}
        outcome = eval(code, namespace)
        if outcome is not None:
            await outcome
        stats = emulator.liveavatar.stats()
    assert namespace["report"].stopped == ()
    assert namespace["task"].duration_ms == 500
    assert namespace["session"].state is hg.SessionState.CLOSED
    assert (stats["sessions_started"], stats["sessions_open"], stats["stops"]) == (1, 0, 1)
    assert stats["speak_bytes"] == 24000
