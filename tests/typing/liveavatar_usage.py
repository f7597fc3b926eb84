"""Type-checked only (``mypy --strict``): ``LiveAvatarClient``'s REST namespaces, its sessions (LITE and FULL), a
manager and a custom FULL channel, used correctly."""

from __future__ import annotations

import decimal
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import heygen_async as hg
from heygen_async import liveavatar


class LoggingChannel:
    """A FULL channel of one's own (what ``full_channel=`` takes a factory of)."""

    async def connect(self, url: str, token: str, on_event: Callable[[Mapping[str, Any]], None]) -> None:
        del url, token, on_event

    async def publish(self, payload: Mapping[str, Any]) -> None:
        del payload

    async def close(self) -> None:
        return None


async def speech(text: str) -> AsyncIterator[bytes]:
    yield text.encode()


async def tour() -> None:
    async with hg.LiveAvatarClient("la_key", base_url="http://127.0.0.1:8000/liveavatar", max_retries=2) as live:
        minted: liveavatar.LiveSessionToken = await live.sessions.token(
            avatar_id="a", mode="LITE", is_sandbox=True, video_settings={"quality": "low"}, max_session_duration=60
        )
        started: liveavatar.LiveSessionStarted = await live.with_session_token(minted.session_token or "").start()
        ws_url: str | None = started.ws_url
        await live.sessions.keep_alive(minted.session_id or "", timeout=5.0)
        ack: liveavatar.LiveAck = await live.sessions.stop(minted.session_id or "", reason="USER_CLOSED")
        page: liveavatar.LiveSessionPage = await live.sessions.list(type="active", page=1, page_size=50)
        async for summary in live.sessions.iter_all(type="historic"):
            mode: liveavatar.LiveMode | None = summary.mode
            created: float | None = summary.created
            del mode, created
        transcript: liveavatar.LiveTranscript = await live.sessions.transcript("s", start_timestamp=0.0)
        avatar: liveavatar.LiveAvatarDetails = await live.avatars.get("a")
        async for public in live.avatars.iter_public(page_size=100):
            del public
        voice: liveavatar.LiveVoice = await live.voices.update("v", name="Mine")
        context: liveavatar.LiveContext = await live.contexts.create(
            name="Shop", prompt="You sell shoes.", opening_text="Hi!", links=[{"url": "https://example.com"}]
        )
        languages: liveavatar.LiveLanguageList = await live.languages.list()
        credits: decimal.Decimal | None = (await live.users.credits()).credits
        del ws_url, ack, page, transcript, avatar, voice, context, languages, credits

        async with live.session(sandbox=True, keep_alive_interval=60.0, lead=0.5) as session:
            task: hg.StreamingTask = await session.speak_audio(speech("hi"), sample_rate=16000)
            event_id: str | None = task.task_id
            await session.interrupt()
            info: liveavatar.LiveSessionInfo = session.info
            del event_id, info
        full = live.session(avatar_id="a", mode="FULL", avatar_persona={"voice_id": "v"}, full_channel=LoggingChannel)
        async with full as s:
            viewer: hg.Viewer = s.viewer
            url: str | None = viewer.url
            await s.chat("What is on sale?")
            del url
        manager: hg.SessionManager = live.manager(max_sessions=5, acquire_timeout=None)
        report: hg.ReapReport = await manager.reap_orphans(min_age=0)
        del report
