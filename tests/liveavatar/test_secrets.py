"""LiveAvatar's credentials stay secret: the API key, a session token, a LITE session's ``ws_url`` and the LiveKit
tokens appear in no repr, log record (DEBUG) or error, in any encoding; a server that echoes the session token or
the key into a failing start, mint or stop (in its body and headers, whole and cut short) gets none of them back
into the error, a warning or a log line."""

from __future__ import annotations

import logging
import warnings
from typing import Final

import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID
from tests.support import ONE_TRY, ServerFactory, assert_clean, echo, error_text, live_client, pcm, record_text

API_KEY: Final = "la_SECRET-live-key-7f3a9c21"
SESSION_TOKEN: Final = "eyJhbGciOi.SECRET-session-token.4b8e9d5c6f0e"
SESSION_ID: Final = "5c2d52a4-0000-4b8e-9d5c-6f0e3f4d2a11"


async def test_no_credential_shows_in_reprs_or_debug_logs_of_a_lite_session(caplog: pytest.LogCaptureFixture) -> None:
    """A LITE session opened, spoken in and closed, and a FULL session's viewer: the client, the session, its
    info, viewer and channel reprs, the minted and started answers, and every DEBUG record hold none of the key,
    the session token, the WebSocket secret or the LiveKit tokens."""
    caplog.set_level(logging.DEBUG)
    async with live_client() as (emulator, live):
        minted = await live.sessions.token(avatar_id=LITE_AVATAR_ID, mode="LITE")
        assert minted.session_token is not None
        started = await live.with_session_token(minted.session_token).start()
        await live.sessions.stop(str(minted.session_id))
        async with live.session(avatar_id=LITE_AVATAR_ID) as session:
            await session.speak_audio(pcm(2400))
            shown = [repr(live), str(live), repr(session), repr(session.info), repr(session.viewer)]
            shown += [repr(session.channel), repr(minted), repr(started), repr(live.sessions)]
            assert session.id is not None
            emulated = emulator.liveavatar.sessions[session.id]
            info = session.info
            secrets = {
                "api key": emulator.liveavatar_key,
                "session token": emulated.token,
                "ws secret": emulated.ws_secret,  # the ws_url's credential (the rest is the session id)
                "client token": str(info.access_token),
                "agent token": str(info.livekit_agent_token),
                "minted token": minted.session_token,
                "started client token": str(started.livekit_client_token),
            }
        shown.append(emulator.request_log.__repr__())
    assert all(value and value != "None" for value in secrets.values()), secrets
    assert caplog.records
    for name, secret in secrets.items():
        for text in shown:
            assert_clean(f"a repr ({name})", text, secret)
        for record in caplog.records:
            assert_clean(f"log record {record.getMessage()!r} ({name})", record_text(record), secret)


def hostile_liveavatar(echo_at: str, secret: str) -> web.Application:
    """LiveAvatar whose ``echo_at`` route fails with 400, echoing ``secret`` in every encoding (body, message,
    headers); the others answer as LiveAvatar does."""
    said = echo(secret)

    def ok(data: object, status: int = 200) -> web.Response:
        return web.json_response({"code": 1000, "data": data, "message": "success"}, status=status)

    def refuse() -> web.Response:
        body = {"code": 400, "message": said, "data": [{"message": said}], "detail": said}
        return web.json_response(body, status=400, headers={"X-Echo": said[:4000], "X-Request-Id": said[:60]})

    async def token(request: web.Request) -> web.Response:
        return refuse() if echo_at == "token" else ok({"session_id": SESSION_ID, "session_token": SESSION_TOKEN})

    async def start(request: web.Request) -> web.Response:
        if echo_at == "start":
            return refuse()
        return ok({"session_id": SESSION_ID, "livekit_url": "wss://lk.invalid", "livekit_client_token": "c" * 20}, 201)

    async def stop(request: web.Request) -> web.Response:
        return refuse() if echo_at == "stop" else ok(None)

    app = web.Application()
    app.router.add_post("/heygen/v1/sessions/token", token)
    app.router.add_post("/heygen/v1/sessions/start", start)
    app.router.add_post("/heygen/v1/sessions/stop", stop)
    return app


@pytest.mark.parametrize(
    ("echo_at", "secret"),
    [("start", SESSION_TOKEN), ("start", API_KEY), ("token", API_KEY), ("stop", API_KEY)],
    ids=["start-echoes-the-session-token", "start-echoes-the-key", "mint-echoes-the-key", "stop-echoes-the-key"],
)
async def test_a_credential_echoed_by_a_failing_call_never_reaches_an_error_a_warning_or_a_log(
    serve: ServerFactory, caplog: pytest.LogCaptureFixture, echo_at: str, secret: str
) -> None:
    caplog.set_level(logging.DEBUG)
    base = await serve(hostile_liveavatar(echo_at, secret))
    errors: list[BaseException] = []
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        async with hg.LiveAvatarClient(API_KEY, base_url=base, retry=ONE_TRY) as live:
            try:
                async with live.session(avatar_id=LITE_AVATAR_ID, mode="FULL", avatar_persona={"voice_id": "v"}):
                    pass
            except hg.HeyGenError as exc:
                errors.append(exc)
            if echo_at == "stop":
                with pytest.raises(hg.BadRequestError) as direct:
                    await live.sessions.stop(SESSION_ID)
                errors.append(direct.value)
    if echo_at == "stop":
        assert warned, "the failed stop was reported"
        assert len(errors) == 1
    else:
        (error,) = errors
        assert isinstance(error, hg.BadRequestError)
    assert any("***" in str(error) + repr(getattr(error, "body", "")) for error in errors), "there to be scrubbed"
    for error in errors:
        assert_clean(f"{type(error).__name__} of {echo_at}", error_text(error), secret)
        assert_clean(f"{type(error).__name__}'s body", repr(getattr(error, "body", None)), secret)
        assert_clean(f"{type(error).__name__}'s headers", repr(getattr(error, "headers", None)), secret)
    for warning in warned:
        assert_clean(f"warning {warning.message}", str(warning.message), secret)
    assert caplog.records
    for record in caplog.records:
        assert_clean(f"log record {record.getMessage()!r}", record_text(record), secret)
