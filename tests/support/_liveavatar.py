"""LiveAvatar in tests: an emulator on a manual clock with a ``LiveAvatarClient`` for it, the emulator's log of the
LiveAvatar requests it got, and a session left open on an emulator as a crashed process would leave it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import heygen_async as hg
from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID

from ._background import Background

LIVE_NO_RETRY = hg.RetryPolicy(attempts=1)
"""One try per call: a test that wants to see an error sees the first one."""


@contextlib.asynccontextmanager
async def live_client(
    config: EmulatorConfig | None = None, **options: Any
) -> AsyncIterator[tuple[Emulator, hg.LiveAvatarClient]]:
    """An emulator on a manual clock (with ``config``) and a ``LiveAvatarClient`` for it (with ``options``)."""
    async with Emulator(config, clock=ManualClock()) as emulator, emulator.liveavatar_client(**options) as live:
        yield emulator, live


def live_requests(emulator: Emulator, route: str | None = None) -> list[dict[str, Any]]:
    """The emulator's log entries of LiveAvatar requests (of ``route``, e.g. ``"POST /v1/sessions/stop"``)."""
    return [
        entry
        for entry in emulator.request_log
        if entry.get("format") == "liveavatar" and (route is None or entry.get("route") == route)
    ]


def open_liveavatar_session(background: Background, api_key: str) -> str:
    """Mint and start a LITE session on ``background``'s LiveAvatar for the account of ``api_key``, and leave it
    open (billed, owned by nobody); its id."""

    async def open_one() -> str:
        assert background.emulator is not None
        async with LiveAvatarClient(api_key, base_url=background.emulator.liveavatar_url) as live:
            minted = await live.sessions.token(avatar_id=LITE_AVATAR_ID, mode="LITE")
            assert minted.session_id is not None
            assert minted.session_token is not None
            await live.with_session_token(minted.session_token).start()
            return minted.session_id

    return background.call(open_one)
