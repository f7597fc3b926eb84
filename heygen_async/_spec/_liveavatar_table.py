"""LiveAvatar's REST API (api.liveavatar.com): one :class:`Endpoint` row per operation, ``api="liveavatar"``.

The client's namespaces (``live.sessions``, ``live.avatars``, ...), the request validation and the emulator's
routes are all read from these rows. Sources: docs.liveavatar.com's API reference ("Live avatar API" 0.1.0) and
HeyGen's web SDK, as summarised with confidence tags in ``heygen-v3-liveavatar-notes.md`` section C.3. Where a
source is unsure (the success envelope's ``code``, the token body's newer ``voice_agent``), the client is
tolerant: unknown answer fields are kept in ``raw``, and ``extra_body`` sends fields this table does not know.
Not covered yet: memory, secrets, LLM configurations, third-party voices and embeddings.
"""

from __future__ import annotations

from typing import Any, Final

from ._types import Creates, Endpoint, Param, body, path, query

__all__ = [
    "END_REASONS",
    "LIVEAVATAR_ENDPOINTS",
    "LIVEAVATAR_ENDPOINTS_BY_NAME",
    "MODES",
    "SANDBOX_AVATAR_ID",
]

DOCS: Final = "https://docs.liveavatar.com/api-reference"
MODES: Final = ("FULL", "LITE")
QUALITIES: Final = ("very_high", "high", "medium", "low")
ENCODINGS: Final = ("H264", "VP8")
INTERACTIVITY: Final = ("CONVERSATIONAL", "PUSH_TO_TALK")
END_REASONS: Final = (
    "UNKNOWN",
    "USER_DISCONNECTED",
    "SERVER_ERROR",
    "IDLE_TIMEOUT",
    "NO_CREDITS",
    "USER_CLOSED",
    "AVATAR_DELETED",
    "MAX_DURATION_REACHED",
    "ZOMBIE_SESSION_REAP",
    "AGENT_HANG_UP",
)
"""``POST /v1/sessions/stop``'s ``reason`` values, and the ``end_reason`` a session's summary reports."""
SANDBOX_AVATAR_ID: Final = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"
"""The one avatar a sandbox session (``is_sandbox=True``: no credits, about a minute long) may use ("Wayne")."""

_OBJECT: Final[dict[str, Any]] = {"type": "object"}


def _schema(name: str, doc: str, schema: dict[str, Any]) -> Param:
    return Param(name=name, location="body", type="schema", doc=doc, schema=schema)


PAGE: Final = query("page", "int", "The page, from 1.", minimum=1)
PAGE_SIZE: Final = query("page_size", "int", "Items per page (1-100; LiveAvatar's default 20).", minimum=1, maximum=100)
SESSION_ID: Final = path("session_id", "The session's id, from `sessions.token`.")
VIDEO_SETTINGS: Final = _schema(
    "video_settings",
    "The stream's `quality` (very_high 1080p, high 720p: the default, medium 480p, low 360p) and `encoding` "
    "(H264, the default, or VP8).",
    {
        "type": "object",
        "properties": {
            "quality": {"type": "string", "enum": list(QUALITIES)},
            "encoding": {"type": "string", "enum": list(ENCODINGS)},
        },
        "additionalProperties": False,
    },
)
AVATAR_PERSONA: Final = _schema(
    "avatar_persona",
    "FULL mode: `voice_id`, `context_id` (without one the avatar ignores speech), `language` (default en), "
    "`voice_settings`, `stt_config`.",
    {
        "type": "object",
        "properties": {
            "voice_id": {"type": "string"},
            "context_id": {"type": "string"},
            "language": {"type": "string"},
            "voice_settings": _OBJECT,
            "stt_config": _OBJECT,
        },
        "additionalProperties": False,  # a misspelt context_id would leave the avatar silent, and no error
    },
)
LINKS: Final = _schema(
    "links",
    "Links the avatar may use: a list of `{url, faq}`.",
    {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string"}, "faq": {}}}},
)
_ROW: Final[dict[str, Any]] = {"category": "LiveAvatar", "docs_url": DOCS, "api": "liveavatar"}

LIVEAVATAR_ENDPOINTS: Final[tuple[Endpoint, ...]] = (
    # -- sessions -------------------------------------------------------------------------------------------------
    Endpoint(
        namespace="sessions",
        method="token",
        seed_name="Create session token",
        http_method="POST",
        path="/v1/sessions/token",
        params=(
            body("mode", "str", "FULL (LiveAvatar runs speech) or LITE (you send the audio).", enum=MODES),
            body("avatar_id", "str", "The avatar.", required=True, max_length=64),
            body("is_sandbox", "bool", "A free sandbox session: the sandbox avatar only, about a minute long."),
            VIDEO_SETTINGS,
            body("max_session_duration", "int", "Seconds the session may last (at most your tier's).", minimum=1),
            AVATAR_PERSONA,
            body("voice_agent", "object", "FULL mode: a voice agent (`id`, `language`, ...), instead of a persona."),
            body("interactivity_type", "str", "FULL mode: CONVERSATIONAL or PUSH_TO_TALK.", enum=INTERACTIVITY),
            body("llm_configuration_id", "str", "FULL mode: your own LLM configuration."),
            body("dynamic_variables", "object", "FULL mode: values for the context's variables (50 at most)."),
            body("memory", "object", "FULL mode: `prev_session_id` or `session_memory_id`."),
            body("livekit_config", "object", "LITE mode: your own LiveKit room (`livekit_url`, `livekit_room`, ...)."),
            body("agora_config", "object", "LITE mode: an Agora channel instead of LiveKit."),
            body("elevenlabs_agent_config", "object", "LITE mode: an ElevenLabs agent drives the avatar."),
            body("openai_realtime_config", "object", "LITE mode: an OpenAI realtime model drives the avatar."),
            body("gemini_realtime_config", "object", "LITE mode: a Gemini realtime model drives the avatar."),
        ),
        idempotent=False,
        result="LiveSessionToken",
        creates=Creates(id="session_id"),
        summary="Mint a session: its id and the session token that starts it (a credential).",
        **_ROW,
    ),
    Endpoint(
        namespace="sessions",
        method="start",
        seed_name="Start session",
        http_method="POST",
        path="/v1/sessions/start",
        params=(),
        idempotent=False,
        result="LiveSessionStarted",
        summary="Start a minted session (with its session token): LiveKit room details, and a LITE session's ws_url.",
        **_ROW,
    ),
    Endpoint(
        namespace="sessions",
        method="stop",
        seed_name="Stop session",
        http_method="POST",
        path="/v1/sessions/stop",
        params=(
            body("session_id", "str", "The session to stop.", required=True, max_length=64),
            body("reason", "str", "Why it ends (default USER_CLOSED).", enum=END_REASONS),
        ),
        idempotent=True,
        result="LiveAck",
        summary="Stop a session: billing ends; stopping a stopped one is harmless.",
        **_ROW,
    ),
    Endpoint(
        namespace="sessions",
        method="keep_alive",
        seed_name="Keep session alive",
        http_method="POST",
        path="/v1/sessions/keep-alive",
        params=(body("session_id", "str", "The session.", required=True, max_length=64),),
        idempotent=True,
        result="LiveAck",
        summary="Reset the session's idle timer (LiveAvatar ends a session idle for 5 minutes).",
        **_ROW,
    ),
    Endpoint(
        namespace="sessions",
        method="list",
        seed_name="List sessions",
        http_method="GET",
        path="/v1/sessions",
        params=(
            query("type", "str", "active (open now) or historic.", required=True, enum=("active", "historic")),
            PAGE,
            PAGE_SIZE,
            query("avatar_id", "str", "Only this avatar's sessions."),
            query("embed_id", "str", "Only this embed's sessions."),
            query("context_id", "str", "Only this context's sessions."),
        ),
        idempotent=True,
        result="LiveSessionPage",
        pagination="page",
        summary="The account's sessions, a page at a time (iter_all walks every page).",
        **_ROW,
    ),
    Endpoint(
        namespace="sessions",
        method="get",
        seed_name="Get session",
        http_method="GET",
        path="/v1/sessions/{session_id}",
        params=(SESSION_ID,),
        idempotent=True,
        result="LiveSessionSummary",
        summary="One session: mode, sandbox, duration, credits consumed, end reason.",
        **_ROW,
    ),
    Endpoint(
        namespace="sessions",
        method="transcript",
        seed_name="Get session transcript",
        http_method="GET",
        path="/v1/sessions/{session_id}/transcript",
        params=(
            SESSION_ID,
            query("start_timestamp", "number", "From this time (seconds since the epoch)."),
            query("end_timestamp", "number", "Up to this time (seconds since the epoch)."),
        ),
        idempotent=True,
        result="LiveTranscript",
        summary="What the user and the avatar said, with timestamps; `next_timestamp` continues it.",
        **_ROW,
    ),
    # -- avatars --------------------------------------------------------------------------------------------------
    Endpoint(
        namespace="avatars",
        method="list",
        seed_name="List avatars",
        http_method="GET",
        path="/v1/avatars",
        params=(PAGE, PAGE_SIZE),
        idempotent=True,
        result="LiveAvatarPage",
        pagination="page",
        summary="Your avatars.",
        **_ROW,
    ),
    Endpoint(
        namespace="avatars",
        method="list_public",
        seed_name="List public avatars",
        http_method="GET",
        path="/v1/avatars/public",
        params=(PAGE, PAGE_SIZE),
        idempotent=True,
        result="LiveAvatarPage",
        pagination="page",
        summary="LiveAvatar's public avatars.",
        **_ROW,
    ),
    Endpoint(
        namespace="avatars",
        method="get",
        seed_name="Get avatar",
        http_method="GET",
        path="/v1/avatars/{avatar_id}",
        params=(path("avatar_id", "The avatar."),),
        idempotent=True,
        result="LiveAvatarDetails",
        summary="One avatar.",
        **_ROW,
    ),
    Endpoint(
        namespace="avatars",
        method="update",
        seed_name="Update avatar",
        http_method="PATCH",
        path="/v1/avatars/{avatar_id}",
        params=(
            path("avatar_id", "The avatar."),
            body("name", "str", "A new name.", max_length=255),
            body("default_voice_id", "str", "The voice it speaks with by default."),
        ),
        idempotent=True,
        result="LiveAvatarDetails",
        summary="Rename an avatar, or change its default voice.",
        **_ROW,
    ),
    Endpoint(
        namespace="avatars",
        method="delete",
        seed_name="Delete avatar",
        http_method="DELETE",
        path="/v1/avatars/{avatar_id}",
        params=(path("avatar_id", "The avatar."),),
        idempotent=True,
        result="LiveAck",
        summary="Delete an avatar (LiveAvatar keeps it, soft-deleted).",
        **_ROW,
    ),
    # -- voices ---------------------------------------------------------------------------------------------------
    Endpoint(
        namespace="voices",
        method="list",
        seed_name="List voices",
        http_method="GET",
        path="/v1/voices",
        params=(
            query("voice_type", "str", "public (the default) or private.", enum=("public", "private")),
            PAGE,
            PAGE_SIZE,
        ),
        idempotent=True,
        result="LiveVoicePage",
        pagination="page",
        summary="Voices a FULL session's persona can speak with.",
        **_ROW,
    ),
    Endpoint(
        namespace="voices",
        method="get",
        seed_name="Get voice",
        http_method="GET",
        path="/v1/voices/{voice_id}",
        params=(path("voice_id", "The voice."),),
        idempotent=True,
        result="LiveVoice",
        summary="One voice.",
        **_ROW,
    ),
    Endpoint(
        namespace="voices",
        method="update",
        seed_name="Update voice",
        http_method="PATCH",
        path="/v1/voices/{voice_id}",
        params=(path("voice_id", "The voice."), body("name", "str", "A new name (1-64).", max_length=64)),
        idempotent=True,
        result="LiveVoice",
        summary="Rename a voice.",
        **_ROW,
    ),
    Endpoint(
        namespace="voices",
        method="delete",
        seed_name="Delete voice",
        http_method="DELETE",
        path="/v1/voices/{voice_id}",
        params=(path("voice_id", "The voice."),),
        idempotent=True,
        result="LiveAck",
        summary="Delete a voice.",
        **_ROW,
    ),
    Endpoint(
        namespace="voices",
        method="preview",
        seed_name="Preview voice",
        http_method="GET",
        path="/v1/voices/{voice_id}/preview",
        params=(path("voice_id", "The voice."),),
        idempotent=True,
        result="LiveVoicePreview",
        summary="A sample of the voice (base64 audio).",
        **_ROW,
    ),
    # -- contexts -------------------------------------------------------------------------------------------------
    Endpoint(
        namespace="contexts",
        method="list",
        seed_name="List contexts",
        http_method="GET",
        path="/v1/contexts",
        params=(PAGE, PAGE_SIZE),
        idempotent=True,
        result="LiveContextPage",
        pagination="page",
        summary="Your contexts (what a FULL session's avatar knows and how it behaves).",
        **_ROW,
    ),
    Endpoint(
        namespace="contexts",
        method="create",
        seed_name="Create context",
        http_method="POST",
        path="/v1/contexts",
        params=(
            body("name", "str", "Its name.", required=True),
            body("prompt", "str", "The system prompt.", required=True),
            body("opening_text", "str", "What the avatar says first.", required=True),
            LINKS,
        ),
        idempotent=False,
        result="LiveContext",
        summary="Create a context.",
        **_ROW,
    ),
    Endpoint(
        namespace="contexts",
        method="get",
        seed_name="Get context",
        http_method="GET",
        path="/v1/contexts/{context_id}",
        params=(path("context_id", "The context."),),
        idempotent=True,
        result="LiveContext",
        summary="One context.",
        **_ROW,
    ),
    Endpoint(
        namespace="contexts",
        method="update",
        seed_name="Update context",
        http_method="PATCH",
        path="/v1/contexts/{context_id}",
        params=(
            path("context_id", "The context."),
            body("name", "str", "Its name."),
            body("prompt", "str", "The system prompt."),
            body("opening_text", "str", "What the avatar says first."),
            LINKS,
        ),
        idempotent=True,
        result="LiveContext",
        summary="Change a context.",
        **_ROW,
    ),
    Endpoint(
        namespace="contexts",
        method="delete",
        seed_name="Delete context",
        http_method="DELETE",
        path="/v1/contexts/{context_id}",
        params=(path("context_id", "The context."),),
        idempotent=True,
        result="LiveAck",
        summary="Delete a context.",
        **_ROW,
    ),
    # -- languages, credits ---------------------------------------------------------------------------------------
    Endpoint(
        namespace="languages",
        method="list",
        seed_name="List languages",
        http_method="GET",
        path="/v1/languages",
        params=(),
        idempotent=True,
        result="LiveLanguageList",
        summary="The languages a FULL session speaks.",
        **_ROW,
    ),
    Endpoint(
        namespace="users",
        method="credits",
        seed_name="Get credits",
        http_method="GET",
        path="/v1/users/credits",
        params=(),
        idempotent=True,
        result="LiveCredits",
        summary="Credits left on the account (LITE costs 1 a minute, FULL 2).",
        **_ROW,
    ),
)

LIVEAVATAR_ENDPOINTS_BY_NAME: Final = {f"{e.namespace}.{e.method}": e for e in LIVEAVATAR_ENDPOINTS}
