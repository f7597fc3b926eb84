"""The token stays secret under chaos: with DEBUG logging and every fault kind striking, it appears in no log
record, exception, result, resume token, emulator request log or CLI output, plain or URL-encoded."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Final, TypeVar
from urllib.parse import quote, quote_plus

import pytest

import heygen_async as hg
from heygen_async._cli import main
from heygen_async.emulator import Emulator, EmulatorConfig, Faults, ScaledClock
from heygen_async.emulator._faults import FAULT_KINDS
from tests._background import Background

T = TypeVar("T")

TOKEN: Final = "at_SECRET-chaos-token-123456"
RESERVED_TOKEN: Final = "at_SECRET+chaos/token=123456:%x"
"""A token whose URL-encoded form differs from the plain one, so the encoded check is not the same check."""
CHAOS: Final = Faults(rate=0.3, retry_after=0.0, max_latency=0.05, seed=3)
RETRY: Final = hg.RetryPolicy(attempts=3, wait_initial=0.001, wait_max=0.005, wait_jitter=0.0)
POLL: Final = hg.PollPolicy(first_poll=0.01, max_interval=0.03, jitter=0.1, retry_after_floor=0.0)
CONFIG: Final = EmulatorConfig(pending_seconds=0.5, render_seconds=2.0, translation_seconds=2.0)
AVATAR: Final[dict[str, Any]] = {"type": "avatar", "avatar_id": "Angela-inTshirt-20220820"}
VOICE_ID: Final = "1bd001e7e50f421d891986aad5158bc8"


def needles(token: str) -> list[str]:
    """Every form the token could leak in: plain, percent-encoded, form-encoded, and its distinctive middle."""
    return sorted({token, quote(token, safe=""), quote_plus(token), quote(token), "SECRET-chaos", "SECRET+chaos"})


def assert_clean(what: str, text: str, token: str) -> None:
    for needle in needles(token):
        assert needle not in text, f"the token ({needle!r}) leaked into {what}"


def library_locals(error: BaseException | None) -> list[str]:
    """The reprs of the local variables of heygen_async's frames in the error's traceback (and chain), as an
    error tracker capturing locals would record them."""
    found: list[str] = []
    while error is not None:
        tb = error.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if "heygen_async" in frame.f_code.co_filename and "emulator" not in frame.f_code.co_filename:
                found += [f"{name}={value!r}" for name, value in frame.f_locals.items()]
            tb = tb.tb_next
        error = error.__cause__ or error.__context__
    return found


def error_text(error: BaseException) -> str:
    """All the text a user, a log or an error tracker could get from an error (and its chain)."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error)), *library_locals(error)]
    parts += [f"{name}={value!r}" for name, value in vars(error).items()]
    return "\n".join(parts)


def record_text(record: logging.LogRecord) -> str:
    """A record as any handler could render it: the formatted message, the raw msg and args, the traceback."""
    parts = [logging.Formatter("%(name)s %(levelname)s %(message)s").format(record), str(record.msg)]
    parts.append(repr(record.args))
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(error_text(record.exc_info[1]))
    parts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in ("msg", "args", "exc_info")]
    return "\n".join(parts)


def scene(text: str) -> dict[str, Any]:
    return {"character": AVATAR, "voice": {"type": "text", "voice_id": VOICE_ID, "input_text": text}}


class Seen:
    """Everything the calls produced: results, errors and resume tokens, as text to search."""

    def __init__(self) -> None:
        self.results: list[str] = []
        self.errors: list[BaseException] = []
        self.tokens: list[str] = []

    async def call(self, factory: Callable[[], Awaitable[T]]) -> T | None:
        try:
            result = await factory()
        except hg.HeyGenError as exc:
            self.errors.append(exc)
            if isinstance(exc, hg.JobError) and exc.resume_token:
                self.tokens.append(exc.resume_token)
            return None
        self.results.append(repr(result))
        return result


@pytest.mark.parametrize("token", [TOKEN, RESERVED_TOKEN], ids=["plain", "reserved-chars"])
async def test_the_token_never_leaks_with_debug_logs_and_every_fault(
    caplog: pytest.LogCaptureFixture, token: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    seen = Seen()
    async with Emulator(CONFIG, clock=ScaledClock(20), faults=CHAOS) as emulator:
        client = hg.HeyGenClient(
            token, base_url=emulator.base_url, retry=RETRY, timeout=hg.Timeout(total=2, attempt=1), poll_policy=POLL
        )
        async with client:
            seen.results.append(repr(client))
            # Each fault kind at least once, on a read and on a create, before the random 30 %.
            for kind in sorted(FAULT_KINDS):
                emulator.inject(kind, endpoint="user.me")
                emulator.inject(kind, endpoint="videos.generate")
                await seen.call(client.user.me)
                await seen.call(functools.partial(client.videos.generate, [scene("fault")], title=f"fault {kind}"))
            reads: list[Callable[[], Awaitable[object]]] = [
                client.avatars.list,
                client.voices.list,
                client.user.remaining_quota,
                client.videos.list,
                lambda: client.videos.status("no-such-video"),  # a 404
            ]
            await asyncio.gather(*(seen.call(read) for read in reads * 4))

            def submit(text: str) -> Callable[[], Awaitable[hg.VideoJob]]:
                return lambda: client.videos.generate([scene(text)])

            jobs = await asyncio.gather(*(seen.call(submit(t)) for t in ["hi", "x #fail"] * 4))
            for job in jobs:
                if job is None or job.video_id is None:
                    continue
                handle = client.videos.job(job.video_id)
                seen.tokens.append(handle.resume_token)
                seen.results.append(repr(handle))
                await seen.call(functools.partial(client.videos.wait, handle.id, timeout=0.001))  # PollTimeout
                await seen.call(functools.partial(client.videos.wait, handle.id, timeout=10))  # Video or VideoFailed
                resumed = client.jobs.resume(handle.resume_token)
                seen.results.append(repr(resumed))
            requests = [{"video_inputs": [scene(t)]} for t in ["batch", "batch #fail", "batch"]]
            async for item in client.videos.generate_many(requests, concurrency=3, timeout=10):
                seen.results.append(repr(item))
                if item.error is not None:
                    seen.errors.append(item.error)
            seen.results.append(repr(client.stats))
        request_log = json.dumps(emulator.request_log, default=str)
        stats = json.dumps(emulator.stats(), default=str)

    assert emulator.stats()["faults"].keys() >= FAULT_KINDS  # every kind really struck
    kinds = {type(e).__name__ for e in seen.errors}
    assert {"PollTimeout", "VideoFailed", "NotFoundError", "ServerError", "APIConnectionError"} <= kinds, kinds
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # the DEBUG lines were there to search
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert "***" in request_log  # the emulator logged the token's place, redacted

    for record in caplog.records:
        assert_clean(f"log record {record.getMessage()!r}", record_text(record), token)
    assert_clean("caplog.text", caplog.text, token)
    for error in seen.errors:
        assert_clean(f"error {type(error).__name__}", error_text(error), token)
    for text in seen.results:
        assert_clean("a result's repr", text, token)
    assert seen.tokens
    for resume_token in seen.tokens:
        assert_clean("a resume token", resume_token, token)
    assert_clean("the emulator's request log", request_log, token)
    assert_clean("the emulator's stats", stats, token)


@pytest.fixture
def chaotic() -> Iterator[Background]:
    with Background(CONFIG, speed=20, faults=CHAOS) as background:
        yield background


def test_cli_output_never_shows_the_token(
    chaotic: Background,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> None:
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", TOKEN)
    monkeypatch.delenv("HEYGEN_WEBHOOK_SECRET", raising=False)
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    fast = ["--poll-every", "0.05"]
    create = ["video", "create", "--avatar", AVATAR["avatar_id"], "--voice", VOICE_ID]
    outputs: list[str] = []
    codes: list[int] = []

    def run(*argv: str) -> str:
        codes.append(main([*argv, "--base-url", chaotic.base_url]))
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
        return captured.out + captured.err

    for debug in ([], ["--debug"]):
        for style in ([], ["--json"]):
            flags = [*debug, *style]
            run("quota", *flags)
            run("avatars", *flags)
            run("video", "status", "no-such-video", *flags)
            run(*create, "--text", "Hi", "--wait", *fast, *flags)
            run(*create, "--text", "x #fail", "--wait", *fast, *flags)
            text = run(*create, "--text", "Slow", "--wait", "--timeout", "0.01", *flags)
            if "jobs watch '" in text:  # the wait ran out: a resume command, which must work and stay clean
                resume = text.split("jobs watch '", 1)[1].split("'", 1)[0]
                assert_clean("a CLI resume token", resume, TOKEN)
                run("jobs", "watch", resume, *fast, *flags)
            run("sessions", "list", *flags)
            run("webhooks", "list", *flags)

    assert set(codes) <= {0, 1, 3, 4}, codes  # ok, API error, job failed, timeout: never a crash
    assert {0, 1, 3} <= set(codes)
    assert any("jobs watch '" in text for text in outputs)
    for text in outputs:
        assert_clean("CLI output", text, TOKEN)
    for record in caplog.records:
        assert_clean(f"log record {record.getMessage()!r}", record_text(record), TOKEN)
    log = chaotic.request_log()
    assert any(entry.get("fault") for entry in log)
    assert_clean("the emulator's request log", json.dumps(log, default=str), TOKEN)
