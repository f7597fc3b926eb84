"""A mint answer a LiveAvatar session cannot be started from (``POST /v1/sessions/token`` answered with success,
yet without the session token, or without the session's id), from a local server: entering fails with a clear
error, and a session it names is stopped (LiveAvatar bills it until then); one it does not name leaves a warning
pointing at ``reap_orphans()``. The session token is a credential: never in the error."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import attrs
import pytest
from aiohttp import web

import heygen_async as hg
from tests.support import LIVE_NO_RETRY, ServerFactory

KEY = "la-key-for-the-mint-tests"
SESSION_TOKEN = "session-token-that-must-stay-secret"


@attrs.define
class MintServer:
    """LiveAvatar's mint and stop on a local server: the mint answers ``minted`` (in LiveAvatar's envelope),
    the stop answers success; ``stops`` keeps each stop's body."""

    minted: Mapping[str, Any]
    stops: list[Any] = attrs.Factory(list)

    async def start(self, serve: ServerFactory) -> str:
        async def token(request: web.Request) -> web.Response:
            return web.json_response({"code": 1000, "data": dict(self.minted), "message": "success"})

        async def stop(request: web.Request) -> web.Response:
            self.stops.append(await request.json())
            return web.json_response({"code": 1000, "data": None, "message": "success"})

        app = web.Application()
        app.router.add_post("/heygen/v1/sessions/token", token)
        app.router.add_post("/heygen/v1/sessions/stop", stop)
        return await serve(app)


async def enter(base_url: str) -> None:
    async with (
        hg.LiveAvatarClient(KEY, base_url=base_url, retry=LIVE_NO_RETRY) as live,
        live.session(sandbox=True),
    ):
        raise AssertionError("a session without a session token cannot be started")


async def test_a_session_minted_without_a_session_token_is_stopped_and_entering_says_why(
    serve: ServerFactory,
) -> None:
    server = MintServer({"session_id": "sess-1"})
    base_url = await server.start(serve)
    with pytest.raises(hg.CreatedResponseError) as raised:
        await enter(base_url)
    error = raised.value
    assert "without a session_token" in str(error)
    assert error.created_id == "sess-1"
    assert [stop.get("session_id") for stop in server.stops] == ["sess-1"]


async def test_the_created_error_of_a_mint_carries_no_session_token(serve: ServerFactory) -> None:
    """A token present but empty is still no token to start with; whatever else is in the answer is scrubbed of
    credential fields in ``raw`` and ``body``."""
    server = MintServer({"session_id": "sess-2", "session_token": "", "access_token": SESSION_TOKEN})
    base_url = await server.start(serve)
    with pytest.raises(hg.CreatedResponseError) as raised:
        await enter(base_url)
    error = raised.value
    assert error.created_id == "sess-2"
    assert SESSION_TOKEN not in json.dumps(error.raw) + error.body + str(error) + repr(error)
    assert [stop.get("session_id") for stop in server.stops] == ["sess-2"]


async def test_a_mint_answer_without_a_session_id_is_a_clear_error_and_a_warning_points_at_reap_orphans(
    serve: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = MintServer({"session_token": SESSION_TOKEN, "other": "field"})
    base_url = await server.start(serve)
    with caplog.at_level(logging.WARNING, "heygen_async"), pytest.raises(hg.APIResponseError) as raised:
        await enter(base_url)
    error = raised.value
    assert not isinstance(error, hg.CreatedResponseError)
    assert "without a session_id" in str(error)
    assert error.endpoint == "POST /v1/sessions/token"
    assert SESSION_TOKEN not in error.body + str(error)
    assert server.stops == []  # nothing named to stop
    assert any("reap_orphans()" in record.getMessage() for record in caplog.records)
    assert all(SESSION_TOKEN not in record.getMessage() for record in caplog.records)
