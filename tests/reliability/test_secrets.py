"""Credentials stay secret: with DEBUG logging and every fault kind striking, the token appears in no log
record, exception, result, resume token, emulator request log or CLI output; a hostile server that echoes the
token, the direct-mode key or a base URL's password in any encoding, whole or cut short, gets none of them
back into an error, a log line or the CLI's output; credentials in ``base_url`` are masked wherever the URL is
shown. "Appears" means any run of 8 characters of any encoding of the secret (percent-escapes in either
hex case)."""

from __future__ import annotations

import asyncio
import base64
import functools
import html
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Final, TypeVar
from urllib.parse import quote

import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async._cli._main import main
from heygen_async.emulator import Emulator, EmulatorConfig, Faults, ScaledClock
from heygen_async.emulator._faults import FAULT_KINDS
from tests.support import (
    TOKEN as OTHER_TOKEN,
    Background,
    ServerFactory,
    assert_clean,
    echo,
    error_text,
    library_locals,
    record_text,
)

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


# -- a hostile server echoing a credential in every encoding ----------------------------------------------------

ECHOED_TOKEN: Final = "at_Echo+Token/Sup3r=secret:%x-0123456789"
ECHOED_KEY: Final = "hg_Echo+Key/Direct=secret:%y-9876543210"
ECHOED_PASSWORD: Final = "pw+Echo/Password=secret:%z-5551234"
SECRET_KINDS: Final = ("token", "direct-key", "url-password")
STATUSES: Final = (401, 404, 429, 500, 200)
BODY_KINDS: Final = ("html", "text", "json", "json-misfit")


def hostile_answer(status: int, kind: str, said: str) -> web.Response:
    headers = {"X-Echo": said, "X-Request-Id": said[:60], "Retry-After": "0"}
    if kind == "html":
        page = f"<html><body><h1>Error {status}</h1><p>{html.escape(said)}</p><!-- {said} --></body></html>"
        return web.Response(status=status, text=page, content_type="text/html", headers=headers)
    if kind == "text":
        return web.Response(status=status, text=f"upstream said: {said}", headers=headers)
    if kind == "json" and status == 200:  # an error envelope inside a 2xx
        return web.json_response({"code": 40001, "message": said, "data": {said: said}}, headers=headers)
    if kind == "json":
        body = {
            "message": said,
            "provider": "heygen",
            "error": {"error": {"code": said[:30], "message": said, "detail": [said, {said: said}]}},
            "headers": {"x-request-id": said, "x-api-key": said},
        }
        return web.json_response(body, status=status, headers=headers)
    # A success that does not fit the model (a User whose fields are objects), or an error that is JSON.
    misfit = {"code": 100 if status == 200 else 1, "message": said, "data": {"username": {"said": said}}}
    return web.json_response(misfit, status=status, headers=headers)


async def echoing(serve: ServerFactory) -> str:
    """A server on 127.0.0.1 that answers ``/<status>/<kind>/...`` with that status and body kind, echoing the
    secret ``/<secret kind>/...`` names; its root URL (``http://127.0.0.1:<port>``)."""
    secrets = {"token": ECHOED_TOKEN, "direct-key": ECHOED_KEY, "url-password": ECHOED_PASSWORD}

    async def handler(request: web.Request) -> web.Response:
        secret, status, kind = request.match_info["secret"], request.match_info["status"], request.match_info["kind"]
        return hostile_answer(int(status), kind, echo(secrets[secret]))

    app = web.Application()
    app.router.add_route("*", "/{secret}/{status}/{kind}/{tail:.*}", handler)
    return (await serve(app)).removesuffix("/heygen")


def secret_and_client(root: str, secret_kind: str, status: int, body_kind: str) -> tuple[str, hg.HeyGenClient]:
    base = f"{root}/{secret_kind}/{status}/{body_kind}"
    if secret_kind == "direct-key":
        return ECHOED_KEY, hg.HeyGenClient.direct(heygen_api_key=ECHOED_KEY, base_url=base, max_retries=0)
    if secret_kind == "url-password":
        with_password = base.replace("http://", f"http://user:{quote(ECHOED_PASSWORD, safe='')}@")
        return ECHOED_PASSWORD, hg.HeyGenClient(OTHER_TOKEN, base_url=with_password, max_retries=0)
    return ECHOED_TOKEN, hg.HeyGenClient(ECHOED_TOKEN, base_url=base, max_retries=0)


@pytest.mark.parametrize("body_kind", BODY_KINDS)
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("secret_kind", SECRET_KINDS)
async def test_a_secret_echoed_in_any_encoding_never_reaches_an_error_or_a_log(
    serve: ServerFactory, caplog: pytest.LogCaptureFixture, secret_kind: str, status: int, body_kind: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    root = await echoing(serve)
    secret, client = secret_and_client(root, secret_kind, status, body_kind)
    async with client:
        with pytest.raises(hg.APIError) as caught:
            await client.user.me()
        seen = [repr(client), client.base_url, repr(client._transport)]
    error = caught.value
    assert isinstance(error, hg.APIStatusError if status != 200 or body_kind == "json" else hg.APIResponseError)
    assert "***" in str(error) + repr(getattr(error, "body", "")), "the echo was there to be scrubbed"
    seen += [str(error), repr(error), repr(getattr(error, "body", None)), repr(getattr(error, "headers", None))]
    seen.append(error_text(error))
    for text in seen:
        assert_clean(f"{type(error).__name__} for {status} {body_kind}", text, secret)
    assert caplog.records
    for record in caplog.records:
        assert_clean(f"log record {record.getMessage()!r}", record_text(record), secret)


@pytest.mark.parametrize("status", [401, 429, 500, 200])
@pytest.mark.parametrize("secret_kind", SECRET_KINDS)
async def test_the_clis_error_line_never_shows_an_echoed_secret(
    serve: ServerFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    secret_kind: str,
    status: int,
) -> None:
    root = await echoing(serve)
    secret, client = secret_and_client(root, secret_kind, status, "html")
    base = client._transport.options.base_url
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", ECHOED_TOKEN if secret_kind == "token" else OTHER_TOKEN)
    monkeypatch.setenv("HEYGEN_API_KEY", ECHOED_KEY)
    direct = ["--direct"] if secret_kind == "direct-key" else []
    for debug in ([], ["--debug"]):
        # The command runs its own event loop: in a thread, while this loop serves its answers.
        code = await asyncio.to_thread(main, ["quota", "--base-url", base, *direct, *debug])
        assert code == 1
        captured = capsys.readouterr()
        assert "heygen-async: error:" in captured.err
        assert_clean("CLI output", captured.out + captured.err, secret)


@pytest.mark.parametrize(
    "base_url",
    [
        f"ftp://gateway.test/heygen/{ECHOED_TOKEN}",
        f"https://gateway.test/heygen/{quote(ECHOED_TOKEN, safe='')} x",
        f"https://gateway.test/heygen/{quote(quote(ECHOED_TOKEN, safe=''), safe='')}#{ECHOED_TOKEN}",
        f"gateway.test/heygen/api_token%3D{quote(ECHOED_TOKEN, safe='')}",
        f"https://user:{quote(ECHOED_PASSWORD, safe='')}@gateway.test/heygen x",
        f"ftp://{base64.b64encode(ECHOED_TOKEN.encode()).decode()}@gateway.test/heygen",
        f"https://user:{quote(ECHOED_PASSWORD, safe='')}@gateway.test:99999/heygen",
        f"https://user:{quote(ECHOED_PASSWORD, safe='')}@gateway.test:port/heygen",
        f"https://user:{quote(ECHOED_PASSWORD, safe='')}@[::1/heygen",
        f"https://user:{quote(ECHOED_PASSWORD, safe='')}@/heygen",
    ],
    ids=[
        "plain",
        "percent",
        "percent-twice",
        "api-token-encoded",
        "url-password",
        "base64-user",
        "port-out-of-range",
        "port-not-a-number",
        "broken-ipv6",
        "no-host",
    ],
)
def test_a_configuration_error_never_echoes_a_secret_in_base_url(base_url: str) -> None:
    with pytest.raises(hg.ConfigurationError) as caught:
        hg.HeyGenClient(ECHOED_TOKEN, base_url=base_url)
    assert "base_url" in str(caught.value)
    for secret in (ECHOED_TOKEN, ECHOED_PASSWORD):
        assert_clean("ConfigurationError", error_text(caught.value), secret)
    with pytest.raises(hg.ConfigurationError) as caught:
        hg.HeyGenClient.direct(heygen_api_key=ECHOED_KEY, base_url=base_url.replace(ECHOED_TOKEN, ECHOED_KEY))
    assert_clean("ConfigurationError (direct)", error_text(caught.value), ECHOED_KEY)


# -- credentials in base_url --------------------------------------------------------------------------------

URL_PASSWORD: Final = "pw+Gateway/Secret=42"


def with_credentials(base_url: str, password: str = URL_PASSWORD) -> str:
    return base_url.replace("http://", f"http://gw-user:{quote(password, safe='')}@", 1)


def test_credentials_in_base_url_are_masked_in_reprs() -> None:
    client = hg.HeyGenClient(TOKEN, base_url=with_credentials("http://gateway.test/heygen"))
    handle = client.with_options(api_token="at_another-tenant-token")
    shown = "http://gw-user:***@gateway.test/heygen"
    assert client.base_url == handle.base_url == shown
    assert f"base_url={shown!r}" in repr(client)
    for text in (repr(client), str(client), repr(handle), repr(client._transport), repr(vars(client))):
        assert_clean("a repr", text, URL_PASSWORD)
    lone = hg.HeyGenClient(TOKEN, base_url=f"http://{quote(URL_PASSWORD, safe='')}@gateway.test/heygen")
    assert lone.base_url == "http://***@gateway.test/heygen"  # a user name alone is the credential


def test_a_refused_setting_holds_no_base_url_password_in_its_traceback_locals() -> None:
    """The settings a handle is made from (``CallOptions``) are a local of the frames that check new ones: their
    repr, as an error tracker capturing locals records it, masks the password as the client's repr does."""
    client = hg.HeyGenClient(TOKEN, base_url=with_credentials("http://gateway.test/heygen"))
    for bad in ({"timeout": "soon"}, {"max_retries": -1}, {"path_style": "sideways"}):
        with pytest.raises(hg.ConfigurationError) as caught:
            client.with_options(**bad)
        assert library_locals(caught.value), "the frames that hold the settings are there to search"
        assert_clean(f"with_options({bad})", error_text(caught.value), URL_PASSWORD)
        assert_clean(f"with_options({bad})", error_text(caught.value), TOKEN)
    assert_clean("the settings' repr", repr(client._transport.options), URL_PASSWORD)


async def test_resume_tokens_hold_the_masked_base_url_and_resume_on_the_same_url(
    heygen_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    base = with_credentials(heygen_emulator.base_url)
    shown = base.replace(quote(URL_PASSWORD, safe=""), "***")
    async with (
        hg.HeyGenClient(heygen_emulator.token, base_url=base, poll_policy=POLL) as client,
        hg.HeyGenClient(heygen_emulator.token, base_url=base, poll_policy=POLL) as other,
        hg.HeyGenClient(heygen_emulator.token, base_url=heygen_emulator.base_url) as without,
    ):
        job = await client.videos.generate([scene("credentials")])
        assert job.video_id is not None
        handle = client.videos.job(job.video_id)
        with pytest.raises(hg.PollTimeout) as timed_out:
            await client.videos.wait(job.video_id, timeout=0.05)
        tokens = [handle.resume_token, timed_out.value.resume_token]
        for token in tokens:
            assert json.loads(token)["base_url"] == shown
            assert_clean("a resume token", token, URL_PASSWORD)
        assert_clean("a PollTimeout", error_text(timed_out.value), URL_PASSWORD)
        # Masked compared with masked: another client on the same URL resumes it, and so do tokens made
        # before the base URL was masked in them (which hold it as given).
        legacy = json.dumps({**json.loads(tokens[0]), "base_url": base})
        for token in (*tokens, legacy):
            assert other.jobs.resume(token).id == job.video_id
            assert hg.Job.resume(client, token).id == job.video_id
        with pytest.raises(hg.ValidationError) as refused:
            without.jobs.resume(legacy)  # another base URL (no credentials) is still refused
        assert shown in str(refused.value)
        # (Not its traceback's locals: they hold the caller's own legacy token, which does hold the password.)
        assert_clean("a refused resume token", f"{refused.value} {refused.value!r}", URL_PASSWORD)
        await heygen_emulator.advance(60)
        video = await other.jobs.resume(tokens[1])
    assert video.status == hg.VideoStatus.COMPLETED
    for record in caplog.records:
        assert_clean(f"log record {record.getMessage()!r}", record_text(record), URL_PASSWORD)


@pytest.fixture
def calm() -> Iterator[Background]:
    with Background(CONFIG, speed=20) as background:
        yield background


def test_the_clis_resume_hint_masks_base_url_credentials_and_works(
    calm: Background, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    assert calm.emulator is not None
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", calm.emulator.token)
    base = with_credentials(calm.base_url)
    create = ["video", "create", "--avatar", AVATAR["avatar_id"], "--voice", VOICE_ID, "--text", "Hi"]
    assert main([*create, "--wait", "--timeout", "0.01", "--base-url", base]) == 4
    printed = capsys.readouterr()
    assert_clean("the CLI's output", printed.out + printed.err, URL_PASSWORD)
    token = printed.err.split("jobs watch '", 1)[1].split("'", 1)[0]
    assert "gw-user:***@" in json.loads(token)["base_url"]
    assert main(["jobs", "watch", token, "--poll-every", "0.05", "--base-url", base]) == 0
    printed = capsys.readouterr()
    assert_clean("the CLI's output", printed.out + printed.err, URL_PASSWORD)


async def echoing_v3(serve: ServerFactory) -> str:
    """A HeyGen v3 on 127.0.0.1 that echoes :data:`ECHOED_KEY` everywhere a v3 job's answers carry text: each
    bulk status entry's ``error``, a failed render's ``failure_code`` and ``failure_message`` (renders
    ``fails-*``), the status itself, in bulk and on its own (renders ``running-*``, which never end), and a
    400's ``message``, ``param``, ``doc_url`` and ``X-Request-Id`` (render ``refused``); its base URL."""
    said = echo(ECHOED_KEY)

    def status_of(video_id: str) -> str:
        return said[:400] if video_id.startswith("running") else "failed"

    async def statuses(request: web.Request) -> web.Response:
        ids = request.query["video_ids"].split(",")
        entries = [{"video_id": video_id, "status": status_of(video_id), "error": said} for video_id in ids]
        return web.json_response({"data": entries, "has_more": False, "next_token": None})

    async def detail(request: web.Request) -> web.Response:
        video_id = request.match_info["video_id"]
        if video_id.startswith("running"):
            return web.json_response({"data": {"id": video_id, "status": status_of(video_id)}})
        if video_id == "refused":
            error = {"code": "invalid_parameter", "message": said, "param": said, "doc_url": f"https://d/{said}"}
            return web.json_response({"error": error}, status=400, headers={"X-Request-Id": said[:200]})
        failed = {"id": video_id, "status": "failed", "failure_code": said[:300], "failure_message": said}
        return web.json_response({"data": failed})

    app = web.Application()
    app.router.add_get("/v3/videos/statuses", statuses)
    app.router.add_get("/v3/videos/{video_id}", detail)
    return (await serve(app)).removesuffix("/heygen")


async def test_a_key_echoed_into_a_v3_jobs_answers_never_reaches_its_error_or_a_log(
    serve: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Two renders polled in bulk (each entry's ``error`` echoing the key) that failed with the key echoed into
    ``failure_message``, and one whose detail poll is refused with the key echoed into the v3 error: neither
    error (its text, attributes such as ``result`` and ``reason``, resume token, traceback locals) nor any log
    record shows the key in any encoding; HeyGen's reason is still there, masked."""
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    base = await echoing_v3(serve)
    poll = hg.PollPolicy(first_poll=0.01, max_interval=0.05, jitter=0.0)
    async with hg.HeyGenClient.direct(ECHOED_KEY, base_url=base, max_retries=0, poll_policy=poll) as client:
        outcomes = await client.v3.videos.wait_many(["fails-1", "fails-2", "refused"], return_exceptions=True)
    failed, _, refused = outcomes
    assert isinstance(failed, hg.VideoFailed), failed
    assert isinstance(refused, hg.BadRequestError), refused
    assert failed.reason is not None
    assert "***" in failed.reason, "the echo was there to be scrubbed"
    assert "***" in repr(failed.result)
    for error in (failed, refused):
        texts = [error_text(error), repr(getattr(error, "result", None)), getattr(error, "resume_token", "") or ""]
        for text in texts:
            assert_clean(f"{type(error).__name__} of a v3 render", text, ECHOED_KEY)
    assert caplog.records
    for record in caplog.records:
        assert_clean(f"log record {record.getMessage()!r}", record_text(record), ECHOED_KEY)


async def test_a_key_echoed_into_a_v3_jobs_status_never_reaches_a_timeout_or_a_log(
    serve: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Renders whose status, in bulk and on their own, is an undocumented value echoing the key: they count as
    running (and are logged once as undocumented), and neither that warning nor the waits' PollTimeout (its
    text, ``last_status``, ``last_result``) nor as_completed's progress shows the key in any encoding."""
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    base = await echoing_v3(serve)
    poll = hg.PollPolicy(first_poll=0.01, max_interval=0.02, jitter=0.0)
    progress: list[hg.JobProgress] = []
    async with hg.HeyGenClient.direct(ECHOED_KEY, base_url=base, max_retries=0, poll_policy=poll) as client:
        with pytest.raises(hg.PollTimeout) as alone:
            await client.v3.videos.wait("running-alone", timeout=0.3)
        handles = [
            handle
            async for handle in client.v3.videos.as_completed(
                ["running-1", "running-2"], timeout=0.3, on_progress=progress.append
            )
        ]
    timeouts = [alone.value]
    for handle in handles:
        with pytest.raises(hg.PollTimeout) as caught:
            handle.result()
        timeouts.append(caught.value)
    assert all(timeout.last_status for timeout in timeouts), "the undocumented status was seen"
    for timeout in timeouts:
        assert_clean("a PollTimeout of a v3 render", error_text(timeout), ECHOED_KEY)
    assert_clean("as_completed's progress", repr(progress), ECHOED_KEY)
    assert any("not one HeyGen documents" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        assert_clean(f"log record {record.getMessage()!r}", record_text(record), ECHOED_KEY)
