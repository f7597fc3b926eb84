"""What LiveAvatar's REST API answers, as attrs models structured by the one cattrs converter.

Field names are LiveAvatar's (docs.liveavatar.com API reference, notes section C.3). Lists come a page at a
time (``count``, ``next``, ``previous``, ``results``). Credentials an answer carries (the session token, the
LiveKit tokens, a LITE session's ``ws_url``) are ``repr=False`` and never logged.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any, ClassVar

import attrs

from heygen_async._models import ListModel, Model, StreamingSessionInfo, TolerantEnum

__all__ = [
    "LiveAck",
    "LiveAvatarDetails",
    "LiveAvatarPage",
    "LiveContext",
    "LiveContextPage",
    "LiveCredits",
    "LiveLanguage",
    "LiveLanguageList",
    "LiveMode",
    "LiveSessionInfo",
    "LiveSessionPage",
    "LiveSessionStarted",
    "LiveSessionSummary",
    "LiveSessionToken",
    "LiveTranscript",
    "LiveTranscriptEntry",
    "LiveVoice",
    "LiveVoicePage",
    "LiveVoicePreview",
]


class LiveMode(TolerantEnum):
    """Who runs speech: LiveAvatar (FULL, 2 credits a minute) or you, sending audio (LITE, 1 credit)."""

    FULL = "FULL"
    LITE = "LITE"


def epoch_seconds(value: object) -> float | None:
    """A LiveAvatar time (ISO 8601 text, or seconds) as seconds since the epoch; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return parsed.timestamp()
    return None


@attrs.frozen(kw_only=True)
class LiveAck(Model):
    """An answer with nothing to say (stop, keep-alive, a delete)."""


@attrs.frozen(kw_only=True)
class LiveSessionToken(Model):
    """``sessions.token``: the new session's id and the session token that starts it (a credential)."""

    session_id: str | None = None
    session_token: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class LiveSessionStarted(Model):
    """``sessions.start``: the LiveKit room (its URL and the viewer's and agent's tokens), the session's
    effective ``max_session_duration`` (seconds) and, for a LITE session, the control WebSocket's ``ws_url``."""

    session_id: str | None = None
    livekit_url: str | None = None
    livekit_client_token: str | None = attrs.field(default=None, repr=False)
    livekit_agent_token: str | None = attrs.field(default=None, repr=False)
    max_session_duration: float | None = None
    ws_url: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class LiveSessionInfo(StreamingSessionInfo):
    """A LiveAvatar session's ``info``, in the legacy session's shape: ``url`` and ``access_token`` are the
    LiveKit room's URL and viewer token (hand them to your front end), ``session_duration_limit`` is
    ``max_session_duration``. Before ``start`` answers, only ``session_id``, ``mode`` and ``is_sandbox``."""

    mode: LiveMode | None = None
    is_sandbox: bool | None = None
    livekit_agent_token: str | None = attrs.field(default=None, repr=False)
    ws_url: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def started(cls, started: LiveSessionStarted, *, mode: LiveMode, is_sandbox: bool) -> LiveSessionInfo:
        return cls(
            session_id=started.session_id,
            url=started.livekit_url,
            access_token=started.livekit_client_token,
            session_duration_limit=started.max_session_duration,
            mode=mode,
            is_sandbox=is_sandbox,
            livekit_agent_token=started.livekit_agent_token,
            ws_url=started.ws_url,
            raw=started.raw,
        )


@attrs.frozen(kw_only=True)
class LiveSessionSummary(Model):
    """A session as ``sessions.list`` and ``sessions.get`` report it."""

    id: str | None = None
    created_at: Any = None
    updated_at: Any = None
    duration: float | None = None
    source: str | None = None
    mode: LiveMode | None = None
    is_sandbox: bool | None = None
    credits_consumed: Any = None
    end_at: Any = None
    end_reason: str | None = None

    @property
    def created(self) -> float | None:
        """``created_at`` as seconds since the epoch (None if LiveAvatar did not say)."""
        return epoch_seconds(self.created_at)


@attrs.frozen(kw_only=True)
class _Page(Model):
    count: int | None = None
    next: str | None = None
    previous: str | None = None


@attrs.frozen(kw_only=True)
class LiveSessionPage(_Page, ListModel[LiveSessionSummary]):
    _items: ClassVar[str] = "results"
    results: list[LiveSessionSummary] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class LiveTranscriptEntry(Model):
    role: str | None = None
    transcript: str | None = None
    absolute_timestamp: float | None = None
    relative_timestamp: float | None = None


@attrs.frozen(kw_only=True)
class LiveTranscript(Model):
    """What was said in a session; ask again from ``next_timestamp`` for more while ``session_active``."""

    session_active: bool | None = None
    next_timestamp: float | None = None
    transcript_data: list[LiveTranscriptEntry] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class LiveVoiceRef(Model):
    id: str | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class LiveAvatarDetails(Model):
    """One avatar (``type`` IMAGE or VIDEO; ``status`` ACTIVE, INIT, DEPLOYING or FAILED)."""

    id: str | None = None
    space_id: str | None = None
    type: str | None = None
    status: str | None = None
    name: str | None = None
    preview_url: str | None = None
    is_expired: bool | None = None
    default_voice: LiveVoiceRef | None = None
    is_1080p: bool | None = None
    error_message: str | None = None
    created_at: Any = None
    updated_at: Any = None


@attrs.frozen(kw_only=True)
class LiveAvatarPage(_Page, ListModel[LiveAvatarDetails]):
    _items: ClassVar[str] = "results"
    results: list[LiveAvatarDetails] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class LiveVoice(Model):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    language: str | None = None
    gender: str | None = None
    tags: list[str] | None = None
    created_at: Any = None
    updated_at: Any = None


@attrs.frozen(kw_only=True)
class LiveVoicePage(_Page, ListModel[LiveVoice]):
    _items: ClassVar[str] = "results"
    results: list[LiveVoice] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class LiveVoicePreview(Model):
    """A sample of a voice: ``audio_base64``."""

    audio_base64: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class LiveContext(Model):
    """A context: what a FULL session's avatar knows (``prompt``) and says first (``opening_text``)."""

    id: str | None = None
    name: str | None = None
    prompt: str | None = None
    opening_text: str | None = None
    links: list[dict[str, Any]] | None = None
    required_dynamic_variables: list[str] | None = None
    created_at: Any = None
    updated_at: Any = None


@attrs.frozen(kw_only=True)
class LiveContextPage(_Page, ListModel[LiveContext]):
    _items: ClassVar[str] = "results"
    results: list[LiveContext] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class LiveLanguage(Model):
    language: str | None = None
    code: str | None = None


@attrs.frozen(kw_only=True)
class LiveLanguageList(ListModel[LiveLanguage]):
    _items: ClassVar[str] = "languages"
    _item_keys: ClassVar[tuple[str, ...]] = ("results",)
    languages: list[LiveLanguage] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class LiveCredits(Model):
    """Credits left, as LiveAvatar's decimal text (``credits_left``) and as a :class:`~decimal.Decimal`."""

    credits_left: str | None = None

    @property
    def credits(self) -> decimal.Decimal | None:
        try:
            return None if self.credits_left is None else decimal.Decimal(str(self.credits_left))
        except decimal.InvalidOperation:
            return None
