"""What a LiveAvatar account holds before anyone touches it: public avatars (the sandbox one among them), public
voices, languages, and the few avatars and voices of its own each new account starts with.

Ids are fixed (uuid-shaped, as LiveAvatar's are) so tests and examples can name them; an account's own ones are
derived from the account, so two API keys never share one.
"""

from __future__ import annotations

import base64
import io
import uuid
import wave
from typing import Any, Final

from heygen_async._spec._liveavatar_table import SANDBOX_AVATAR_ID

__all__ = [
    "LANGUAGES",
    "LITE_AVATAR_ID",
    "PREVIEW_WAV_BASE64",
    "PUBLIC_AVATARS",
    "PUBLIC_VOICES",
    "SANDBOX_AVATAR_ID",
    "own_avatars",
    "own_voices",
]

LITE_AVATAR_ID: Final = "5c2d52a4-1c47-4b8e-9d5c-6f0e3f4d2a11"
"""A public video avatar a paid (non-sandbox) session of either mode may use."""
_CREATED: Final = "2026-01-15T09:30:00Z"


def _avatar(avatar_id: str, name: str, kind: str = "VIDEO") -> dict[str, Any]:
    return {
        "id": avatar_id,
        "space_id": None,
        "type": kind,
        "status": "ACTIVE",
        "name": name,
        "preview_url": f"https://files.liveavatar.invalid/previews/{avatar_id}.webp",
        "is_expired": False,
        "default_voice": {"id": PUBLIC_VOICES[0]["id"], "name": PUBLIC_VOICES[0]["name"]},
        "is_1080p": True,
        "error_message": None,
        "created_at": _CREATED,
        "updated_at": _CREATED,
    }


def _voice(voice_id: str, name: str, gender: str, language: str = "en") -> dict[str, Any]:
    return {
        "id": voice_id,
        "name": name,
        "description": f"{name}: a {gender} voice",
        "language": language,
        "gender": gender,
        "tags": ["conversational"],
        "created_at": _CREATED,
        "updated_at": _CREATED,
    }


PUBLIC_VOICES: Final = (
    _voice("b9b0a5e6-8f0c-4c8f-9a47-2d1f3c9e6a01", "Judy", "female"),
    _voice("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e02", "Marcus", "male"),
    _voice("d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f03", "Lucía", "female", "es"),
)
PUBLIC_AVATARS: Final = (
    _avatar(SANDBOX_AVATAR_ID, "Wayne"),
    _avatar(LITE_AVATAR_ID, "Katya"),
    _avatar("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "Shawn", "IMAGE"),
)
LANGUAGES: Final = (
    {"language": "English", "code": "en"},
    {"language": "Spanish", "code": "es"},
    {"language": "French", "code": "fr"},
    {"language": "German", "code": "de"},
    {"language": "Japanese", "code": "ja"},
)


def _own_id(owner: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"liveavatar:{owner}:{what}"))


def own_avatars(owner: str) -> list[dict[str, Any]]:
    """The two avatars a new account starts with (its own: it may rename and delete them)."""
    return [_avatar(_own_id(owner, f"avatar-{n}"), name) for n, name in enumerate(("My avatar", "My second avatar"))]


def own_voices(owner: str) -> list[dict[str, Any]]:
    """The one private voice a new account starts with."""
    return [_voice(_own_id(owner, "voice-0"), "My voice", "female")]


def _preview_wav() -> str:
    """A tenth of a second of 24 kHz mono silence, as a WAV file in base64 (a voice's preview)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(24_000)
        out.writeframes(b"\x00\x00" * 2_400)
    return base64.b64encode(buffer.getvalue()).decode()


PREVIEW_WAV_BASE64: Final = _preview_wav()
