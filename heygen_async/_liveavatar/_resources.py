"""``LiveAvatarClient``'s namespaces: one coroutine per row of the LiveAvatar table.

Each method passes its arguments to :meth:`Resource._call` with its row, so validation, sending, retries,
errors and redaction are the same as every HeyGen call's; a test holds the methods and the rows equal
(names and parameters). Lists walk every page with ``iter_all``.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from heygen_async._config import OrDefault, RetryPolicy, Timeout
from heygen_async._resources._base import Resource
from heygen_async._spec._liveavatar_table import LIVEAVATAR_ENDPOINTS_BY_NAME as _ROWS
from heygen_async.liveavatar._models import (
    LiveAck,
    LiveAvatarDetails,
    LiveAvatarPage,
    LiveContext,
    LiveContextPage,
    LiveCredits,
    LiveLanguageList,
    LiveSessionPage,
    LiveSessionStarted,
    LiveSessionSummary,
    LiveSessionToken,
    LiveTranscript,
    LiveVoice,
    LiveVoicePage,
    LiveVoicePreview,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "AvatarsResource",
    "ContextsResource",
    "LanguagesResource",
    "SessionsResource",
    "UsersResource",
    "VoicesResource",
]

Mode = Literal["FULL", "LITE"]
Quality = Literal["very_high", "high", "medium", "low"]


class CallKwargs(TypedDict, total=False):
    """The per-call options every method takes (as every HeyGen call does)."""

    extra_query: Mapping[str, Any] | None
    extra_body: Mapping[str, Any] | None
    timeout: OrDefault[Timeout | float | None]
    max_retries: OrDefault[int]
    retry: OrDefault[RetryPolicy]


class ListKwargs(TypedDict, total=False):
    """What ``iter_all`` takes besides the list's own filters."""

    extra_query: Mapping[str, Any] | None
    timeout: OrDefault[Timeout | float | None]
    max_retries: OrDefault[int]


class SessionsResource(Resource):
    """``live.sessions``: mint, start, stop, keep alive, list and read sessions. Prefer ``live.session(...)``,
    which does token, start and stop for you and cannot leak a billed session."""

    __slots__ = ()

    async def token(
        self,
        *,
        avatar_id: str,
        mode: Mode | None = None,
        is_sandbox: bool | None = None,
        video_settings: Mapping[str, Any] | None = None,
        max_session_duration: int | None = None,
        avatar_persona: Mapping[str, Any] | None = None,
        voice_agent: Mapping[str, Any] | None = None,
        interactivity_type: Literal["CONVERSATIONAL", "PUSH_TO_TALK"] | None = None,
        llm_configuration_id: str | None = None,
        dynamic_variables: Mapping[str, Any] | None = None,
        memory: Mapping[str, Any] | None = None,
        livekit_config: Mapping[str, Any] | None = None,
        agora_config: Mapping[str, Any] | None = None,
        elevenlabs_agent_config: Mapping[str, Any] | None = None,
        openai_realtime_config: Mapping[str, Any] | None = None,
        gemini_realtime_config: Mapping[str, Any] | None = None,
        **options: Unpack[CallKwargs],
    ) -> LiveSessionToken:
        """``POST /v1/sessions/token``: a new session's id and its session token (a credential; it starts the
        session once). Nothing is billed until ``start``; ``stop`` a minted session you do not start."""
        arguments = {
            "avatar_id": avatar_id,
            "mode": mode,
            "is_sandbox": is_sandbox,
            "video_settings": video_settings,
            "max_session_duration": max_session_duration,
            "avatar_persona": avatar_persona,
            "voice_agent": voice_agent,
            "interactivity_type": interactivity_type,
            "llm_configuration_id": llm_configuration_id,
            "dynamic_variables": dynamic_variables,
            "memory": memory,
            "livekit_config": livekit_config,
            "agora_config": agora_config,
            "elevenlabs_agent_config": elevenlabs_agent_config,
            "openai_realtime_config": openai_realtime_config,
            "gemini_realtime_config": gemini_realtime_config,
        }
        return await self._call(_ROWS["sessions.token"], LiveSessionToken, arguments, **options)

    async def start(self, **options: Unpack[CallKwargs]) -> LiveSessionStarted:
        """``POST /v1/sessions/start``, sent with the session token of a handle made by
        ``live.with_session_token(token)``: the LiveKit room, and a LITE session's ``ws_url``. Billing starts."""
        return await self._call(_ROWS["sessions.start"], LiveSessionStarted, {}, **options)

    async def stop(self, session_id: str, *, reason: str | None = None, **options: Unpack[CallKwargs]) -> LiveAck:
        """``POST /v1/sessions/stop``: billing ends (``reason`` default USER_CLOSED); a stopped one is harmless."""
        arguments = {"session_id": session_id, "reason": reason}
        return await self._call(_ROWS["sessions.stop"], LiveAck, arguments, **options)

    async def keep_alive(self, session_id: str, **options: Unpack[CallKwargs]) -> LiveAck:
        """``POST /v1/sessions/keep-alive``: reset the 5-minute idle timer."""
        return await self._call(_ROWS["sessions.keep_alive"], LiveAck, {"session_id": session_id}, **options)

    async def list(
        self,
        *,
        type: Literal["active", "historic"],
        page: int | None = None,
        page_size: int | None = None,
        avatar_id: str | None = None,
        embed_id: str | None = None,
        context_id: str | None = None,
        **options: Unpack[CallKwargs],
    ) -> LiveSessionPage:
        """``GET /v1/sessions``: one page of the account's active (open now) or historic sessions."""
        arguments = {
            "type": type,
            "page": page,
            "page_size": page_size,
            "avatar_id": avatar_id,
            "embed_id": embed_id,
            "context_id": context_id,
        }
        return await self._call(_ROWS["sessions.list"], LiveSessionPage, arguments, **options)

    async def iter_all(
        self,
        *,
        type: Literal["active", "historic"],
        page_size: int | None = None,
        avatar_id: str | None = None,
        embed_id: str | None = None,
        context_id: str | None = None,
        **options: Unpack[ListKwargs],
    ) -> AsyncIterator[LiveSessionSummary]:
        """Every session of ``list()``, page after page."""
        arguments = {
            "type": type,
            "page_size": page_size,
            "avatar_id": avatar_id,
            "embed_id": embed_id,
            "context_id": context_id,
        }
        async for item in self._iterate(_ROWS["sessions.list"], LiveSessionPage, arguments, **options):
            yield item

    async def get(self, session_id: str, **options: Unpack[CallKwargs]) -> LiveSessionSummary:
        """``GET /v1/sessions/{session_id}``."""
        return await self._call(_ROWS["sessions.get"], LiveSessionSummary, {"session_id": session_id}, **options)

    async def transcript(
        self,
        session_id: str,
        *,
        start_timestamp: float | None = None,
        end_timestamp: float | None = None,
        **options: Unpack[CallKwargs],
    ) -> LiveTranscript:
        """``GET /v1/sessions/{session_id}/transcript``: from ``start_timestamp``; continue at ``next_timestamp``."""
        arguments = {"session_id": session_id, "start_timestamp": start_timestamp, "end_timestamp": end_timestamp}
        return await self._call(_ROWS["sessions.transcript"], LiveTranscript, arguments, **options)


class AvatarsResource(Resource):
    """``live.avatars``: your avatars and LiveAvatar's public ones."""

    __slots__ = ()

    async def list(
        self, *, page: int | None = None, page_size: int | None = None, **options: Unpack[CallKwargs]
    ) -> LiveAvatarPage:
        """``GET /v1/avatars``: one page of your avatars."""
        arguments = {"page": page, "page_size": page_size}
        return await self._call(_ROWS["avatars.list"], LiveAvatarPage, arguments, **options)

    async def iter_all(
        self, *, page_size: int | None = None, **options: Unpack[ListKwargs]
    ) -> AsyncIterator[LiveAvatarDetails]:
        """Every avatar of ``list()``, page after page."""
        async for item in self._iterate(_ROWS["avatars.list"], LiveAvatarPage, {"page_size": page_size}, **options):
            yield item

    async def list_public(
        self, *, page: int | None = None, page_size: int | None = None, **options: Unpack[CallKwargs]
    ) -> LiveAvatarPage:
        """``GET /v1/avatars/public``: one page of LiveAvatar's public avatars."""
        arguments = {"page": page, "page_size": page_size}
        return await self._call(_ROWS["avatars.list_public"], LiveAvatarPage, arguments, **options)

    async def iter_public(
        self, *, page_size: int | None = None, **options: Unpack[ListKwargs]
    ) -> AsyncIterator[LiveAvatarDetails]:
        """Every avatar of ``list_public()``, page after page."""
        row = _ROWS["avatars.list_public"]
        async for item in self._iterate(row, LiveAvatarPage, {"page_size": page_size}, **options):
            yield item

    async def get(self, avatar_id: str, **options: Unpack[CallKwargs]) -> LiveAvatarDetails:
        """``GET /v1/avatars/{avatar_id}``."""
        return await self._call(_ROWS["avatars.get"], LiveAvatarDetails, {"avatar_id": avatar_id}, **options)

    async def update(
        self,
        avatar_id: str,
        *,
        name: str | None = None,
        default_voice_id: str | None = None,
        **options: Unpack[CallKwargs],
    ) -> LiveAvatarDetails:
        """``PATCH /v1/avatars/{avatar_id}``: its name or default voice."""
        arguments = {"avatar_id": avatar_id, "name": name, "default_voice_id": default_voice_id}
        return await self._call(_ROWS["avatars.update"], LiveAvatarDetails, arguments, **options)

    async def delete(self, avatar_id: str, **options: Unpack[CallKwargs]) -> LiveAck:
        """``DELETE /v1/avatars/{avatar_id}`` (LiveAvatar keeps it, soft-deleted)."""
        return await self._call(_ROWS["avatars.delete"], LiveAck, {"avatar_id": avatar_id}, **options)


class VoicesResource(Resource):
    """``live.voices``: the voices a FULL session's persona speaks with."""

    __slots__ = ()

    async def list(
        self,
        *,
        voice_type: Literal["public", "private"] | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **options: Unpack[CallKwargs],
    ) -> LiveVoicePage:
        """``GET /v1/voices``: one page of public (the default) or private voices."""
        arguments = {"voice_type": voice_type, "page": page, "page_size": page_size}
        return await self._call(_ROWS["voices.list"], LiveVoicePage, arguments, **options)

    async def iter_all(
        self,
        *,
        voice_type: Literal["public", "private"] | None = None,
        page_size: int | None = None,
        **options: Unpack[ListKwargs],
    ) -> AsyncIterator[LiveVoice]:
        """Every voice of ``list()``, page after page."""
        arguments = {"voice_type": voice_type, "page_size": page_size}
        async for item in self._iterate(_ROWS["voices.list"], LiveVoicePage, arguments, **options):
            yield item

    async def get(self, voice_id: str, **options: Unpack[CallKwargs]) -> LiveVoice:
        """``GET /v1/voices/{voice_id}``."""
        return await self._call(_ROWS["voices.get"], LiveVoice, {"voice_id": voice_id}, **options)

    async def update(self, voice_id: str, *, name: str | None = None, **options: Unpack[CallKwargs]) -> LiveVoice:
        """``PATCH /v1/voices/{voice_id}``: rename it."""
        return await self._call(_ROWS["voices.update"], LiveVoice, {"voice_id": voice_id, "name": name}, **options)

    async def delete(self, voice_id: str, **options: Unpack[CallKwargs]) -> LiveAck:
        """``DELETE /v1/voices/{voice_id}``."""
        return await self._call(_ROWS["voices.delete"], LiveAck, {"voice_id": voice_id}, **options)

    async def preview(self, voice_id: str, **options: Unpack[CallKwargs]) -> LiveVoicePreview:
        """``GET /v1/voices/{voice_id}/preview``: a sample, base64 audio."""
        return await self._call(_ROWS["voices.preview"], LiveVoicePreview, {"voice_id": voice_id}, **options)


class ContextsResource(Resource):
    """``live.contexts``: what a FULL session's avatar knows and says first."""

    __slots__ = ()

    async def list(
        self, *, page: int | None = None, page_size: int | None = None, **options: Unpack[CallKwargs]
    ) -> LiveContextPage:
        """``GET /v1/contexts``: one page of your contexts."""
        arguments = {"page": page, "page_size": page_size}
        return await self._call(_ROWS["contexts.list"], LiveContextPage, arguments, **options)

    async def iter_all(
        self, *, page_size: int | None = None, **options: Unpack[ListKwargs]
    ) -> AsyncIterator[LiveContext]:
        """Every context of ``list()``, page after page."""
        async for item in self._iterate(_ROWS["contexts.list"], LiveContextPage, {"page_size": page_size}, **options):
            yield item

    async def create(
        self,
        *,
        name: str,
        prompt: str,
        opening_text: str,
        links: builtins.list[Mapping[str, Any]] | None = None,
        **options: Unpack[CallKwargs],
    ) -> LiveContext:
        """``POST /v1/contexts``."""
        arguments = {"name": name, "prompt": prompt, "opening_text": opening_text, "links": links}
        return await self._call(_ROWS["contexts.create"], LiveContext, arguments, **options)

    async def get(self, context_id: str, **options: Unpack[CallKwargs]) -> LiveContext:
        """``GET /v1/contexts/{context_id}``."""
        return await self._call(_ROWS["contexts.get"], LiveContext, {"context_id": context_id}, **options)

    async def update(
        self,
        context_id: str,
        *,
        name: str | None = None,
        prompt: str | None = None,
        opening_text: str | None = None,
        links: builtins.list[Mapping[str, Any]] | None = None,
        **options: Unpack[CallKwargs],
    ) -> LiveContext:
        """``PATCH /v1/contexts/{context_id}``: the fields given."""
        arguments = {
            "context_id": context_id,
            "name": name,
            "prompt": prompt,
            "opening_text": opening_text,
            "links": links,
        }
        return await self._call(_ROWS["contexts.update"], LiveContext, arguments, **options)

    async def delete(self, context_id: str, **options: Unpack[CallKwargs]) -> LiveAck:
        """``DELETE /v1/contexts/{context_id}``."""
        return await self._call(_ROWS["contexts.delete"], LiveAck, {"context_id": context_id}, **options)


class LanguagesResource(Resource):
    """``live.languages``."""

    __slots__ = ()

    async def list(self, **options: Unpack[CallKwargs]) -> LiveLanguageList:
        """``GET /v1/languages``: the languages a FULL session speaks."""
        return await self._call(_ROWS["languages.list"], LiveLanguageList, {}, **options)


class UsersResource(Resource):
    """``live.users``."""

    __slots__ = ()

    async def credits(self, **options: Unpack[CallKwargs]) -> LiveCredits:
        """``GET /v1/users/credits``: credits left (LITE costs 1 a minute, FULL 2)."""
        return await self._call(_ROWS["users.credits"], LiveCredits, {}, **options)
