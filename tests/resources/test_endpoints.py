"""Every one of the 48 endpoints on the wire (issue 3): method, path in both path formats, query, body, and the
parsed result, against answers shaped like HeyGen's documented examples.

``CASES`` holds one record per endpoint. Each runs through the gateway in the new and the old path format, the
answer wrapped in the seed's ``{"data": ...}`` or the open-source gateway's ``{"provider", "result", ...}``
wrapper (alternating, so every endpoint meets both), and a few run in direct mode against HeyGen itself.

``parsed`` checks the result: a dotted path (attribute names, dict keys, list indexes, ``len``) and the value
it must hold, of exactly that type (so ``1717000000.0`` proves an int became a float). Paths through ``raw``
name fields the model does not know, to prove they are kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs
import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async import _models
from heygen_async._inputs import (
    AvatarCharacter,
    ColorBackground,
    Dimension,
    Offset,
    Sdp,
    StreamingVoice,
    TextVariable,
    TextVoice,
    VideoInput,
)
from heygen_async._models import (
    GenerationStatus,
    PhotoAvatarStatus,
    SessionStatus,
    StreamingAvatarStatus,
    TrainingStatus,
    TranslationStatus,
    UpscaleAvailability,
    VideoError,
    VideoStatus,
)
from heygen_async._spec._table import ENDPOINTS, ENDPOINTS_BY_NAME
from tests.support import BASE, FAST, TOKEN, sent, sent_content_type, sent_json

Style = Literal["new", "old"]
DIRECT_KEY: Final = "hg-direct-key"
DIRECT_API: Final = "https://api.heygen.com"
DIRECT_UPLOAD: Final = "https://upload.heygen.com"

# -- ids in the shape of HeyGen's docs ---------------------------------------------------------------------
ANGELA: Final = "Angela-inTshirt-20220820"
VOICE: Final = "1bd001e7e50f421d891986aad5158bc8"
VIDEO: Final = "b8a8e5d7a2b54e4c9f1f3a2d6c7e8f90"
GROUP: Final = "0b1b8dabd16f40a2b2ae6599790bba05"
LOOK: Final = "7f3c2a9e1d4b4c8a9e6f5d3b2a1c0e9f"
MOTION: Final = "c4d5e6f7a8b94c0d9e1f2a3b4c5d6e7f"
GENERATION: Final = "def2a7c0b5f64d2f8d4e6a1b3c5e7f90"
IMAGE_KEY: Final = "image/47b2367366d94ee79894ed1f692b33ae/original"
IMAGE_KEY_2: Final = "image/9a8b7c6d5e4f40312a1b2c3d4e5f6a7b/original"
SESSION: Final = "a3f1c9e2-6f23-11ef-9e8b-0242ac110002"
TEMPLATE: Final = "e4a2c7f1b9d04f6e8a3b5c2d1f0e9a87"
TRANSLATION: Final = "5d8f0a4c6b2e4e1fa7c39d0b8e6f2a41"
ENDPOINT_ID: Final = "4a0b1c2d3e4f4a5b8c9d0e1f2a3b4c5d"
FOLDER: Final = "8e1d2c3b4a5f46e7a8b9c0d1e2f3a4b5"
PARENT: Final = "1f2e3d4c5b6a47989a0b1c2d3e4f5a6b"
ASSET: Final = "f1e2d3c4b5a6478899aabbccddeeff00"
PAGE_TOKEN: Final = "eyJwYWdlIjogMn0="
NEXT_TOKEN: Final = "eyJwYWdlIjogM30="
FILES: Final = "https://files2.heygen.ai"
PNG: Final = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def v1(data: Any, **extra: Any) -> dict[str, Any]:
    """HeyGen's v1 envelope."""
    return {"code": 100, "data": data, "message": "Success", **extra}


def v2(data: Any) -> dict[str, Any]:
    """HeyGen's v2 envelope."""
    return {"error": None, "data": data}


def look(look_id: str, status: str, **more: Any) -> dict[str, Any]:
    """A photo avatar (look) as HeyGen's photo avatar endpoints describe it."""
    return {
        "id": look_id,
        "image_url": f"{FILES}/image/{look_id}/original?Expires=1738267155&Signature=eD-97Qbr8s",
        "created_at": 1737662355.643309,
        "name": "Sylvia",
        "status": status,
        "group_id": GROUP,
        "is_motion": False,
        "motion_preview_url": None,
        "business_type": "user_upload",
        "upscale_availability": {"available": True, "reason": None},
        "upscaled": False,
        "background_sound_effect": None,
        **more,
    }


def webhook(endpoint_id: str, events: list[str] | None) -> dict[str, Any]:
    return {
        "endpoint_id": endpoint_id,
        "url": "https://hooks.example.com/heygen",
        "events": events,
        "secret": "whsec_b4c0ffee0ddba11c0de",
        "status": "enabled",
        "username": "b5e3a1d09c7f4e2a",
        "created_at": "2024-06-01T12:00:00",
        "entity_id": None,
        "last_delivery_at": None,
    }


def folder(name: str, *, is_trash: bool = False) -> dict[str, Any]:
    return {
        "id": FOLDER,
        "name": name,
        "parent_id": PARENT,
        "project_type": "video",
        "created_ts": 1717000000,
        "updated_ts": 1717086400.5,
        "is_trash": is_trash,
        "owner_id": "b5e3a1d09c7f4e2a",
    }


UPLOAD: Final = "<the file: multipart through the gateway, raw bytes directly>"
"""``Case.body`` of ``assets.upload``, whose body is the file rather than JSON."""


@attrs.frozen(kw_only=True)
class Case:
    """One endpoint: how to call it, what must go on the wire, what HeyGen answers and what it parses to."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    response: dict[str, Any]
    method: str
    path: str
    old_path: str | None = None  # None: the route has no placeholder, so both formats are the same
    query: Mapping[str, str] = attrs.field(factory=dict)
    old_query: Mapping[str, str] | None = None  # None: same as ``query``
    body: Any = None  # the decoded JSON body; None when no body is sent
    parsed: Mapping[str, object]

    def wire(self, style: Style) -> tuple[str, Mapping[str, str]]:
        """The expected path and query (without api_token) in one path format."""
        if style == "old" and self.old_path is not None:
            return self.old_path, self.query if self.old_query is None else self.old_query
        return self.path, self.query


CASES: Final[tuple[Case, ...]] = (
    # -- avatars and voices ---------------------------------------------------------------------------------
    Case(
        name="avatars.list",
        response=v2(
            {
                "avatars": [
                    {
                        "avatar_id": ANGELA,
                        "avatar_name": "Angela in T-shirt",
                        "gender": "female",
                        "preview_image_url": f"{FILES}/avatar/v3/{VIDEO}/full/2.2/preview_target.webp",
                        "preview_video_url": f"{FILES}/avatar/v3/{VIDEO}/full/2.2/preview_video_target.mp4",
                        "premium": False,
                        "type": None,
                        "tags": None,
                        "default_voice_id": VOICE,
                    },
                    {
                        "avatar_id": "Tyler-incasualsuit-20220721",
                        "avatar_name": "Tyler in Casual Suit",
                        "gender": "male",
                        "preview_image_url": f"{FILES}/avatar/v3/tyler/preview_target.webp",
                        "preview_video_url": f"{FILES}/avatar/v3/tyler/preview_video_target.mp4",
                        "premium": True,
                        "type": "studio",
                        "tags": ["NEW"],
                        "default_voice_id": None,
                    },
                ],
                "talking_photos": [
                    {
                        "talking_photo_id": LOOK,
                        "talking_photo_name": "Sylvia",
                        "preview_image_url": f"{FILES}/talking_photo/{LOOK}/preview.webp",
                    }
                ],
            }
        ),
        method="GET",
        path="/v2/avatars",
        parsed={
            "len": 2,
            "0.avatar_id": ANGELA,
            "0.premium": False,
            "0.tags": None,
            "1.tags": ["NEW"],
            "1.default_voice_id": None,
            "talking_photos.len": 1,
            "talking_photos.0.talking_photo_id": LOOK,
            "1.raw.type": "studio",
        },
    ),
    Case(
        name="voices.list",
        response=v2(
            {
                "voices": [
                    {
                        "voice_id": VOICE,
                        "language": "English",
                        "gender": "female",
                        "name": "Sara - Cheerful",
                        "preview_audio": "https://static.heygen.ai/voice_preview/sara.wav",
                        "support_pause": True,
                        "emotion_support": True,
                        "support_interactive_avatar": True,
                        "support_locale": False,
                        "accent": "American",
                    },
                    {
                        "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54",
                        "language": "Spanish",
                        "gender": "male",
                        "name": "Pablo - Calm",
                        "preview_audio": "https://static.heygen.ai/voice_preview/pablo.wav",
                        "support_pause": False,
                        "emotion_support": False,
                    },
                ]
            }
        ),
        method="GET",
        path="/v2/voices",
        parsed={
            "len": 2,
            "0.voice_id": VOICE,
            "0.support_pause": True,
            "0.support_locale": False,
            "1.language": "Spanish",
            "1.support_interactive_avatar": None,
            "0.raw.accent": "American",
        },
    ),
    Case(
        name="avatar_groups.list",
        kwargs={"include_public": True},
        response=v2(
            {
                "total_count": 2,
                "avatar_group_list": [
                    {
                        "id": GROUP,
                        "name": "Sylvia",
                        "created_at": 1737662355.643309,
                        "num_looks": 4,
                        "preview_image": f"{FILES}/image/{GROUP}/preview.webp",
                        "group_type": "PHOTO",
                        "train_status": "ready",
                        "default_voice_id": None,
                        "looks_limit": 20,
                    },
                    {
                        "id": "9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a5f",
                        "name": "Public Avatars",
                        "created_at": 1730000000,
                        "num_looks": 12,
                        "preview_image": f"{FILES}/image/public/preview.webp",
                        "group_type": "PUBLIC_PHOTO",
                        "train_status": "empty",
                        "default_voice_id": VOICE,
                    },
                ],
            }
        ),
        method="GET",
        path="/v2/avatar_group.list",
        query={"include_public": "true"},
        parsed={
            "total_count": 2,
            "len": 2,
            "0.id": GROUP,
            "0.created_at": 1737662355.643309,
            "1.created_at": 1730000000.0,
            "0.num_looks": 4,
            "0.default_voice_id": None,
            "1.group_type": "PUBLIC_PHOTO",
            "0.raw.looks_limit": 20,
        },
    ),
    Case(
        name="avatar_groups.list_avatars",
        args=(GROUP,),
        response=v2(
            {
                "avatar_list": [
                    look(LOOK, "completed", default_voice_id=VOICE, orientation="vertical"),
                    look(MOTION, "pending", is_motion=True),
                ]
            }
        ),
        method="GET",
        path=f"/v2/avatar_group/{GROUP}/avatars",
        old_path="/v2/avatar_group/group_id/avatars",
        old_query={"group_id": GROUP},
        parsed={
            "len": 2,
            "0.id": LOOK,
            "0.status": PhotoAvatarStatus.COMPLETED,
            "1.status": PhotoAvatarStatus.PENDING,
            "0.created_at": 1737662355.643309,
            "0.upscale_availability": UpscaleAvailability(available=True),
            "1.is_motion": True,
            "0.default_voice_id": VOICE,
            "0.raw.orientation": "vertical",
        },
    ),
    # -- photo avatars --------------------------------------------------------------------------------------
    Case(
        name="photo_avatars.get",
        args=(MOTION,),
        response=v2(
            look(
                MOTION,
                "completed",
                is_motion=True,
                motion_preview_url=f"{FILES}/motion/{MOTION}/preview.mp4",
                business_type="generated",
                upscale_availability={"available": False, "reason": "Avatar is already upscaled"},
                upscaled=True,
                background_sound_effect={"type": "ambient", "url": f"{FILES}/sfx/{MOTION}.mp3"},
                motion_engine="avatar_iv",
            )
        ),
        method="GET",
        path=f"/v2/photo_avatar/{MOTION}",
        old_path="/v2/photo_avatar/id",
        old_query={"id": MOTION},
        parsed={
            "id": MOTION,
            "status": PhotoAvatarStatus.COMPLETED,
            "is_motion": True,
            "upscaled": True,
            "business_type": "generated",
            "upscale_availability.available": False,
            "upscale_availability.reason": "Avatar is already upscaled",
            "background_sound_effect": {"type": "ambient", "url": f"{FILES}/sfx/{MOTION}.mp3"},
            "raw.motion_engine": "avatar_iv",
        },
    ),
    Case(
        name="photo_avatars.generation_status",
        args=(GENERATION,),
        response=v2(
            {
                "id": GENERATION,
                "status": "success",
                "msg": None,
                "image_url_list": [f"{FILES}/gen/{GENERATION}/0.jpg", f"{FILES}/gen/{GENERATION}/1.jpg"],
                "image_key_list": [IMAGE_KEY, IMAGE_KEY_2],
                "created_at": 1737662000,
            }
        ),
        method="GET",
        path=f"/v2/photo_avatar/generation/{GENERATION}",
        old_path="/v2/photo_avatar/generation/generation_id",
        old_query={"generation_id": GENERATION},
        parsed={
            "id": GENERATION,
            "status": GenerationStatus.SUCCESS,
            "msg": None,
            "image_key_list": [IMAGE_KEY, IMAGE_KEY_2],
            "image_url_list.len": 2,
            "raw.created_at": 1737662000,
        },
    ),
    Case(
        name="photo_avatars.training_status",
        args=(GROUP,),
        response=v2(
            {"status": "ready", "error_msg": None, "created_at": 1737662400, "updated_at": 1737663000.5, "progress": 1}
        ),
        method="GET",
        path=f"/v2/photo_avatar/train/status/{GROUP}",
        old_path="/v2/photo_avatar/train/status/group_id",
        old_query={"group_id": GROUP},
        parsed={
            "status": TrainingStatus.READY,
            "error_msg": None,
            "created_at": 1737662400.0,
            "updated_at": 1737663000.5,
            "raw.progress": 1,
        },
    ),
    Case(
        name="photo_avatars.generate_photos",
        kwargs={
            "name": "Lina",
            "age": "Young Adult",
            "gender": "Woman",
            "ethnicity": "South East Asian",
            "orientation": "vertical",
            "pose": "half_body",
            "style": "Realistic",
            "appearance": "A smiling woman with shoulder-length black hair in a navy blazer, soft studio light",
        },
        response=v2({"generation_id": GENERATION, "estimated_seconds": 45}),
        method="POST",
        path="/v2/photo_avatar/photo/generate",
        body={
            "name": "Lina",
            "age": "Young Adult",
            "gender": "Woman",
            "ethnicity": "South East Asian",
            "orientation": "vertical",
            "pose": "half_body",
            "style": "Realistic",
            "appearance": "A smiling woman with shoulder-length black hair in a navy blazer, soft studio light",
        },
        parsed={"generation_id": GENERATION, "raw.estimated_seconds": 45},
    ),
    Case(
        name="photo_avatars.create_group",
        args=("Sylvia", IMAGE_KEY),
        response=v2(look(GROUP, "pending", image_key=IMAGE_KEY)),
        method="POST",
        path="/v2/photo_avatar/avatar_group/create",
        body={"name": "Sylvia", "image_key": IMAGE_KEY},
        parsed={
            "id": GROUP,
            "group_id": GROUP,
            "status": PhotoAvatarStatus.PENDING,
            "created_at": 1737662355.643309,
            "is_motion": False,
            "motion_preview_url": None,
            "business_type": "user_upload",
            "raw.image_key": IMAGE_KEY,
        },
    ),
    Case(
        name="photo_avatars.add_looks",
        args=(GROUP, [IMAGE_KEY, IMAGE_KEY_2]),
        kwargs={"name": "Sylvia at the office"},
        response=v2({"photo_avatar_list": [look(LOOK, "pending"), look(MOTION, "pending")]}),
        method="POST",
        path="/v2/photo_avatar/avatar_group/add",
        body={"group_id": GROUP, "image_keys": [IMAGE_KEY, IMAGE_KEY_2], "name": "Sylvia at the office"},
        parsed={
            "len": 2,
            "0.id": LOOK,
            "1.id": MOTION,
            "0.status": PhotoAvatarStatus.PENDING,
            "0.group_id": GROUP,
            "raw.photo_avatar_list.len": 2,
        },
    ),
    Case(
        name="photo_avatars.train",
        kwargs={"group_id": GROUP},
        response=v2({"flow_id": "3e7c1b2a9d8f4e6c"}),
        method="POST",
        path="/v2/photo_avatar/train",
        body={"group_id": GROUP},
        parsed={"raw.flow_id": "3e7c1b2a9d8f4e6c"},
    ),
    Case(
        name="photo_avatars.generate_looks",
        args=(GROUP, "Sylvia in a red evening dress on a rooftop at sunset"),
        kwargs={"orientation": "square", "pose": "close_up", "style": "Cinematic"},
        response=v2({"generation_id": GENERATION, "queue_position": 3}),
        method="POST",
        path="/v2/photo_avatar/look/generate",
        body={
            "group_id": GROUP,
            "prompt": "Sylvia in a red evening dress on a rooftop at sunset",
            "orientation": "square",
            "pose": "close_up",
            "style": "Cinematic",
        },
        parsed={"generation_id": GENERATION, "raw.queue_position": 3},
    ),
    Case(
        name="photo_avatars.add_motion",
        args=(LOOK,),
        response=v2({"id": MOTION, "status": "pending"}),
        method="POST",
        path="/v2/photo_avatar/add_motion",
        body={"id": LOOK},
        parsed={"id": MOTION, "raw.status": "pending"},
    ),
    Case(
        name="photo_avatars.add_sound_effect",
        kwargs={"id": MOTION},
        response=v2({"id": MOTION, "sound_effect_id": "sfx_2b9c4d1e"}),
        method="POST",
        path="/v2/photo_avatar/add_sound_effect",
        body={"id": MOTION},
        parsed={"id": MOTION, "raw.sound_effect_id": "sfx_2b9c4d1e"},
    ),
    Case(
        name="photo_avatars.upscale",
        args=(MOTION,),
        response=v2({"id": "d6e7f8a9b0c14d2e8f3a4b5c6d7e8f90", "upscale_factor": 2}),
        method="POST",
        path="/v2/photo_avatar/upscale",
        body={"id": MOTION},
        parsed={"id": "d6e7f8a9b0c14d2e8f3a4b5c6d7e8f90", "raw.upscale_factor": 2},
    ),
    # -- streaming ------------------------------------------------------------------------------------------
    Case(
        name="streaming.list_sessions",
        response=v1(
            {
                "sessions": [
                    {"session_id": SESSION, "status": "connected", "created_at": 1717000000, "api_key_type": "api"},
                    {"session_id": "b7e2d0f3-6f23-11ef-9e8b-0242ac110002", "status": "new", "created_at": 1717000060.5},
                ]
            }
        ),
        method="GET",
        path="/v1/streaming.list",
        parsed={
            "len": 2,
            "0.session_id": SESSION,
            "0.status": SessionStatus.CONNECTED,
            "1.status": SessionStatus.NEW,
            "0.created_at": 1717000000.0,
            "0.raw.api_key_type": "api",
        },
    ),
    Case(
        name="streaming.create_token",
        response=v2({"token": "eyJ0b2tlbiI6ICJzZXNzaW9uLXRva2VuIn0=", "expires_in": 3600}),
        method="POST",
        path="/v1/streaming.create_token",
        body={},
        parsed={"token": "eyJ0b2tlbiI6ICJzZXNzaW9uLXRva2VuIn0=", "raw.expires_in": 3600},
    ),
    Case(
        name="streaming.list_avatars",
        response=v1(
            [
                {
                    "avatar_id": "Wayne_20240711",
                    "created_at": 1720656000,
                    "default_voice": VOICE,
                    "is_public": True,
                    "normal_preview": f"{FILES}/avatar/Wayne_20240711/normal.webp",
                    "pose_name": "Wayne",
                    "status": "ACTIVE",
                    "interactive": True,
                },
                {
                    "avatar_id": "c9d8e7f6a5b44c3d",
                    "created_at": 1720000000,
                    "default_voice": None,
                    "is_public": False,
                    "normal_preview": f"{FILES}/avatar/c9d8e7f6a5b44c3d/normal.webp",
                    "pose_name": "My custom avatar",
                    "status": "INACTIVE",
                },
            ]
        ),
        method="GET",
        path="/v1/streaming/avatar.list",
        parsed={
            "len": 2,
            "0.avatar_id": "Wayne_20240711",
            "0.status": StreamingAvatarStatus.ACTIVE,
            "1.status": StreamingAvatarStatus.INACTIVE,
            "0.is_public": True,
            "1.default_voice": None,
            "0.created_at": 1720656000.0,
            "0.raw.interactive": True,
        },
    ),
    Case(
        name="streaming.new",
        kwargs={
            "quality": "medium",
            "avatar_id": "Wayne_20240711",
            "voice": StreamingVoice(voice_id=VOICE, rate=1.1, emotion="Friendly"),
            "knowledge_base": "You are a friendly product guide for the Acme X1 camera.",
            "video_encoding": "H264",
            "version": "v2",
            "language": "en",
            "stt_settings": {"provider": "deepgram", "confidence": 0.55},
            "activity_idle_timeout": 300,
        },
        response=v1(
            {
                "session_id": SESSION,
                "url": "wss://heygen-feapbkvq.livekit.cloud",
                "access_token": "eyJhbGciOiJIUzI1NiJ9.livekit.jwt",
                "session_duration_limit": 600,
                "is_paid": True,
                "realtime_endpoint": f"wss://webrtc-signaling.heygen.io/v2-alpha/interactive-avatar/session/{SESSION}",
                "sdp": None,
                "ice_servers": None,
                "ice_servers2": None,
                "livekit_room": f"room-{SESSION}",
            }
        ),
        method="POST",
        path="/v1/streaming.new",
        body={
            "quality": "medium",
            "avatar_id": "Wayne_20240711",
            "voice": {"voice_id": VOICE, "rate": 1.1, "emotion": "Friendly"},
            "knowledge_base": "You are a friendly product guide for the Acme X1 camera.",
            "video_encoding": "H264",
            "version": "v2",
            "language": "en",
            "stt_settings": {"provider": "deepgram", "confidence": 0.55},
            "activity_idle_timeout": 300,
        },
        parsed={
            "session_id": SESSION,
            "url": "wss://heygen-feapbkvq.livekit.cloud",
            "access_token": "eyJhbGciOiJIUzI1NiJ9.livekit.jwt",
            "session_duration_limit": 600.0,
            "is_paid": True,
            "sdp": None,
            "raw.livekit_room": f"room-{SESSION}",
        },
    ),
    Case(
        name="streaming.start",
        args=(SESSION,),
        kwargs={"sdp": {"type": "answer", "sdp": "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"}},
        response=v1({"status": "success"}),
        method="POST",
        path="/v1/streaming.start",
        body={
            "session_id": SESSION,
            "sdp": {"type": "answer", "sdp": "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"},
        },
        parsed={"raw.status": "success"},
    ),
    Case(
        name="streaming.task",
        args=(SESSION, "Hello, welcome to HeyGen!"),
        kwargs={"task_type": "repeat", "task_mode": "sync"},
        response=v1({"task_id": "t-9f8e7d6c5b4a", "duration_ms": 2350, "words": 4}),
        method="POST",
        path="/v1/streaming.task",
        body={"session_id": SESSION, "text": "Hello, welcome to HeyGen!", "task_type": "repeat", "task_mode": "sync"},
        parsed={"task_id": "t-9f8e7d6c5b4a", "duration_ms": 2350.0, "duration": 2.35, "raw.words": 4},
    ),
    Case(
        name="streaming.stop",
        args=(SESSION,),
        response=v1({"status": "closed"}),
        method="POST",
        path="/v1/streaming.stop",
        body={"session_id": SESSION},
        parsed={"raw.status": "closed"},
    ),
    Case(
        name="streaming.interrupt",
        kwargs={"session_id": SESSION},
        response=v1({"interrupted": True}),
        method="POST",
        path="/v1/streaming.interrupt",
        body={"session_id": SESSION},
        parsed={"raw.interrupted": True},
    ),
    # -- brand, templates, user -----------------------------------------------------------------------------
    Case(
        name="brand_voices.list",
        kwargs={"limit": 20, "token": PAGE_TOKEN, "name_only": False},
        response=v1(
            {
                "list": [
                    {"id": "bv_3f2e1d0c", "name": "Acme brand", "created_at": 1716000000, "updated_at": 1716500000.5},
                    {"id": "bv_9a8b7c6d", "name": "Acme support", "created_at": 1716100000, "tones": ["warm"]},
                ],
                "token": NEXT_TOKEN,
                "total": 5,
            }
        ),
        method="GET",
        path="/v1/brand_voice/list",
        query={"limit": "20", "token": PAGE_TOKEN, "name_only": "false"},
        parsed={
            "len": 2,
            "token": NEXT_TOKEN,
            "0.id": "bv_3f2e1d0c",
            "0.created_at": 1716000000.0,
            "0.updated_at": 1716500000.5,
            "1.updated_at": None,
            "raw.total": 5,
        },
    ),
    Case(
        name="templates.list",
        response=v2(
            {
                "templates": [
                    {
                        "template_id": TEMPLATE,
                        "name": "Product launch",
                        "thumbnail_image_url": f"{FILES}/template/{TEMPLATE}/thumbnail.jpg",
                        "aspect_ratio": "landscape",
                        "folder_id": FOLDER,
                    },
                    {
                        "template_id": "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d",
                        "name": "Weekly update (portrait)",
                        "thumbnail_image_url": f"{FILES}/template/a1b2/thumbnail.jpg",
                        "aspect_ratio": "portrait",
                    },
                ]
            }
        ),
        method="GET",
        path="/v2/templates",
        parsed={
            "len": 2,
            "0.template_id": TEMPLATE,
            "0.aspect_ratio": "landscape",
            "1.aspect_ratio": "portrait",
            "0.raw.folder_id": FOLDER,
        },
    ),
    Case(
        name="templates.get",
        args=(TEMPLATE,),
        response=v2(
            {
                "variables": {
                    "headline": {"name": "headline", "type": "text", "properties": {"content": "Your headline"}},
                    "presenter": {
                        "name": "presenter",
                        "type": "character",
                        "properties": {"character_id": ANGELA, "type": "avatar"},
                    },
                },
                "scenes": [{"id": "scene-1", "script": "Hello {{headline}}", "variables": ["headline", "presenter"]}],
                "version": "3",
            }
        ),
        method="GET",
        path=f"/v2/template/{TEMPLATE}",
        old_path="/v2/template/template_id",
        old_query={"template_id": TEMPLATE},
        parsed={
            "variables.len": 2,
            "variables.headline.type": "text",
            "variables.headline.properties": {"content": "Your headline"},
            "variables.presenter.properties": {"character_id": ANGELA, "type": "avatar"},
            "scenes.len": 1,
            "raw.version": "3",
        },
    ),
    Case(
        name="templates.generate",
        args=(TEMPLATE,),
        kwargs={
            "variables": {
                "headline": TextVariable(name="headline", content="Spring sale: 30% off"),
                "presenter": {
                    "name": "presenter",
                    "type": "character",
                    "properties": {"character_id": ANGELA, "type": "avatar"},
                },
            },
            "title": "Spring sale",
            "caption": False,
            "dimension": Dimension(1280, 720),
            "test": True,
            "callback_id": "campaign-42",
            "include_gif": True,
            "enable_sharing": False,
        },
        response=v2({"video_id": VIDEO, "template_version": "3"}),
        method="POST",
        path=f"/v2/template/{TEMPLATE}/generate",
        old_path="/v2/template/template_id/generate",
        old_query={"template_id": TEMPLATE},
        body={
            "variables": {
                "headline": {"name": "headline", "type": "text", "properties": {"content": "Spring sale: 30% off"}},
                "presenter": {
                    "name": "presenter",
                    "type": "character",
                    "properties": {"character_id": ANGELA, "type": "avatar"},
                },
            },
            "title": "Spring sale",
            "caption": False,
            "dimension": {"width": 1280, "height": 720},
            "test": True,
            "callback_id": "campaign-42",
            "include_gif": True,
            "enable_sharing": False,
        },
        parsed={"video_id": VIDEO, "raw.template_version": "3"},
    ),
    Case(
        name="user.remaining_quota",
        response=v2({"remaining_quota": 3600, "details": {"api": 3600, "plan_credit": 0}, "unit": "seconds"}),
        method="GET",
        path="/v2/user/remaining_quota",
        parsed={
            "remaining_quota": 3600.0,
            "credits": 60.0,
            "details": {"api": 3600, "plan_credit": 0},
            "raw.unit": "seconds",
        },
    ),
    Case(
        name="user.me",
        response=v1(
            {
                "username": "b5e3a1d09c7f4e2a",
                "email": "jane.doe@example.com",
                "first_name": "Jane",
                "last_name": "Doe",
                "avatar_url": None,
            },
            msg=None,
            message=None,
        ),
        method="GET",
        path="/v1/user/me",
        parsed={
            "username": "b5e3a1d09c7f4e2a",
            "email": "jane.doe@example.com",
            "first_name": "Jane",
            "last_name": "Doe",
            "raw.avatar_url": None,
        },
    ),
    # -- videos ---------------------------------------------------------------------------------------------
    Case(
        name="videos.status",
        args=(VIDEO,),
        response=v1(
            {
                "id": VIDEO,
                "status": "failed",
                "video_url": None,
                "thumbnail_url": None,
                "gif_url": None,
                "caption_url": None,
                "video_url_caption": None,
                "duration": None,
                "created_at": 1717171717,
                "callback_id": "campaign-42",
                "error": {
                    "code": 40119,
                    "message": "Video is too long",
                    "detail": "Video is too long (> 3600.0s). Please upgrade your plan to generate longer videos",
                },
                "share_page_url": None,
            }
        ),
        method="GET",
        path="/v1/video_status.get",
        query={"video_id": VIDEO},
        parsed={
            "id": VIDEO,
            "video_id": VIDEO,
            "status": VideoStatus.FAILED,
            "video_url": None,
            "duration": None,
            "created_at": 1717171717.0,
            "callback_id": "campaign-42",
            "error": VideoError(
                code=40119,
                message="Video is too long",
                detail="Video is too long (> 3600.0s). Please upgrade your plan to generate longer videos",
            ),
            "error.code": 40119,
            "raw.share_page_url": None,
        },
    ),
    Case(
        name="videos.delete",
        args=(VIDEO,),
        response=v1({"video_id": VIDEO}),
        method="DELETE",
        path="/v1/video.delete",
        query={"video_id": VIDEO},
        parsed={"raw.video_id": VIDEO},
    ),
    Case(
        name="videos.list",
        kwargs={"limit": 2, "token": PAGE_TOKEN, "folder_id": FOLDER},
        response=v1(
            {
                "videos": [
                    {
                        "video_id": VIDEO,
                        "video_title": "Spring sale",
                        "status": "completed",
                        "created_at": 1717171717,
                        "type": "GENERATED",
                        "thumbnail_url": f"{FILES}/video/{VIDEO}/thumbnail.jpg",
                    },
                    {
                        "video_id": "0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c",
                        "video_title": "Spring sale (Spanish)",
                        "status": "draft",
                        "created_at": 1717180000.25,
                        "type": "TRANSLATED",
                    },
                ],
                "token": NEXT_TOKEN,
            }
        ),
        method="GET",
        path="/v1/video.list",
        query={"limit": "2", "token": PAGE_TOKEN, "folder_id": FOLDER},
        parsed={
            "len": 2,
            "token": NEXT_TOKEN,
            "0.video_id": VIDEO,
            "0.status": VideoStatus.COMPLETED,
            "1.status": VideoStatus.DRAFT,
            "0.created_at": 1717171717.0,
            "1.created_at": 1717180000.25,
            "1.type": "TRANSLATED",
            "0.raw.thumbnail_url": f"{FILES}/video/{VIDEO}/thumbnail.jpg",
        },
    ),
    Case(
        name="videos.generate",
        args=(
            [
                VideoInput(
                    character=AvatarCharacter(
                        avatar_id=ANGELA, avatar_style="normal", scale=1.0, offset=Offset(0.0, -0.1)
                    ),
                    voice=TextVoice(input_text="Welcome to the new HeyGen API.", voice_id=VOICE, speed=1.1),
                    background=ColorBackground("#008000"),
                ),
                {
                    "character": {"type": "talking_photo", "talking_photo_id": LOOK},
                    "voice": {"type": "audio", "audio_asset_id": ASSET},
                    "background": {"type": "image", "url": "https://example.com/office.jpg"},
                },
            ],
        ),
        kwargs={
            "dimension": Dimension(1280, 720),
            "title": "Welcome",
            "caption": False,
            "test": True,
            "callback_id": "onboarding-7",
            "folder_id": FOLDER,
        },
        response=v2({"video_id": VIDEO, "estimated_duration": 9.5}),
        method="POST",
        path="/v2/video/generate",
        body={
            "video_inputs": [
                {
                    "character": {
                        "type": "avatar",
                        "avatar_id": ANGELA,
                        "avatar_style": "normal",
                        "scale": 1.0,
                        "offset": {"x": 0.0, "y": -0.1},
                    },
                    "voice": {
                        "type": "text",
                        "input_text": "Welcome to the new HeyGen API.",
                        "voice_id": VOICE,
                        "speed": 1.1,
                    },
                    "background": {"type": "color", "value": "#008000"},
                },
                {
                    "character": {"type": "talking_photo", "talking_photo_id": LOOK},
                    "voice": {"type": "audio", "audio_asset_id": ASSET},
                    "background": {"type": "image", "url": "https://example.com/office.jpg"},
                },
            ],
            "dimension": {"width": 1280, "height": 720},
            "title": "Welcome",
            "caption": False,
            "test": True,
            "callback_id": "onboarding-7",
            "folder_id": FOLDER,
        },
        parsed={"video_id": VIDEO, "raw.estimated_duration": 9.5},
    ),
    Case(
        name="videos.generate_webm",
        args=("Vanessa-invest-20220722",),
        kwargs={
            "avatar_style": "normal",
            "input_text": "Transparent backgrounds are great for overlays.",
            "voice_id": VOICE,
            "dimension": {"width": 1280, "height": 720},
        },
        response=v1({"video_id": VIDEO, "format": "webm"}),
        method="POST",
        path="/v1/video.webm",
        body={
            "avatar_pose_id": "Vanessa-invest-20220722",
            "avatar_style": "normal",
            "input_text": "Transparent backgrounds are great for overlays.",
            "voice_id": VOICE,
            "dimension": {"width": 1280, "height": 720},
        },
        parsed={"video_id": VIDEO, "raw.format": "webm"},
    ),
    # -- translations ---------------------------------------------------------------------------------------
    Case(
        name="translations.target_languages",
        response=v2({"languages": ["English", "English - Your Accent", "Spanish", "Japanese"], "total": 4}),
        method="GET",
        path="/v2/video_translate/target_languages",
        parsed={"len": 4, "0": "English", "1": "English - Your Accent", "raw.total": 4},
    ),
    Case(
        name="translations.create",
        args=("https://drive.google.com/file/d/1a2b3c4d5e6f/view",),
        kwargs={
            "output_language": "Spanish",
            "title": "Spring sale (Spanish)",
            "translate_audio_only": False,
            "speaker_num": 1,
            "mode": "quality",
            "callback_id": "translate-42",
            "enable_dynamic_duration": True,
        },
        response=v2({"video_translate_id": TRANSLATION, "credits_charged": 2}),
        method="POST",
        path="/v2/video_translate",
        body={
            "video_url": "https://drive.google.com/file/d/1a2b3c4d5e6f/view",
            "output_language": "Spanish",
            "title": "Spring sale (Spanish)",
            "translate_audio_only": False,
            "speaker_num": 1,
            "mode": "quality",
            "callback_id": "translate-42",
            "enable_dynamic_duration": True,
        },
        parsed={"video_translate_id": TRANSLATION, "video_translate_ids": None, "raw.credits_charged": 2},
    ),
    Case(
        name="translations.status",
        args=(TRANSLATION,),
        response=v2(
            {
                "video_translate_id": TRANSLATION,
                "title": "Spring sale (Spanish)",
                "output_language": "Spanish",
                "status": "success",
                "url": f"{FILES}/translate/{TRANSLATION}/video.mp4?Expires=1718000000",
                "message": None,
                "callback_id": "translate-42",
                "caption_url": f"{FILES}/translate/{TRANSLATION}/caption.srt",
            }
        ),
        method="GET",
        path=f"/v2/video_translate/{TRANSLATION}",
        old_path="/v2/video_translate/video_translate_id",
        old_query={"video_translate_id": TRANSLATION},
        parsed={
            "video_translate_id": TRANSLATION,
            "status": TranslationStatus.SUCCESS,
            "output_language": "Spanish",
            "url": f"{FILES}/translate/{TRANSLATION}/video.mp4?Expires=1718000000",
            "message": None,
            "raw.caption_url": f"{FILES}/translate/{TRANSLATION}/caption.srt",
        },
    ),
    # -- webhooks -------------------------------------------------------------------------------------------
    Case(
        name="webhooks.list_events",
        response=v1(
            [
                "avatar_video.success",
                "avatar_video.fail",
                "avatar_video_gif.success",
                "avatar_video_gif.fail",
                "video_translate.success",
                "video_translate.fail",
                "personalized_video",
                "photo_avatar_train.success",
            ],
            msg=None,
            message=None,
        ),
        method="GET",
        path="/v1/webhook/webhook.list",
        parsed={
            "len": 8,
            "0": "avatar_video.success",
            "6": "personalized_video",
            "raw.7": "photo_avatar_train.success",
        },
    ),
    Case(
        name="webhooks.list_endpoints",
        response=v1(
            [webhook(ENDPOINT_ID, None), webhook("9f8e7d6c5b4a4f3e", ["avatar_video.success"])],
            msg=None,
        ),
        method="GET",
        path="/v1/webhook/endpoint.list",
        parsed={
            "len": 2,
            "0.endpoint_id": ENDPOINT_ID,
            "0.events": None,
            "1.events": ["avatar_video.success"],
            "0.secret": "whsec_b4c0ffee0ddba11c0de",
            "0.status": "enabled",
            "0.created_at": "2024-06-01T12:00:00",
            "0.raw.last_delivery_at": None,
        },
    ),
    Case(
        name="webhooks.add_endpoint",
        args=("https://hooks.example.com/heygen",),
        kwargs={"events": ["avatar_video.success", "avatar_video.fail"]},
        response=v1(webhook(ENDPOINT_ID, ["avatar_video.success", "avatar_video.fail"])),
        method="POST",
        path="/v1/webhook/endpoint.add",
        body={"url": "https://hooks.example.com/heygen", "events": ["avatar_video.success", "avatar_video.fail"]},
        parsed={
            "endpoint_id": ENDPOINT_ID,
            "url": "https://hooks.example.com/heygen",
            "events": ["avatar_video.success", "avatar_video.fail"],
            "secret": "whsec_b4c0ffee0ddba11c0de",
            "entity_id": None,
            "raw.last_delivery_at": None,
        },
    ),
    Case(
        name="webhooks.update_endpoint",
        args=(ENDPOINT_ID,),
        kwargs={"url": "https://hooks.example.com/heygen/v2", "events": ["video_translate.success"]},
        response=v1(
            {**webhook(ENDPOINT_ID, ["video_translate.success"]), "url": "https://hooks.example.com/heygen/v2"}
        ),
        method="PATCH",
        path="/v1/webhook/endpoint.update",
        body={
            "endpoint_id": ENDPOINT_ID,
            "url": "https://hooks.example.com/heygen/v2",
            "events": ["video_translate.success"],
        },
        parsed={
            "endpoint_id": ENDPOINT_ID,
            "url": "https://hooks.example.com/heygen/v2",
            "events": ["video_translate.success"],
            "username": "b5e3a1d09c7f4e2a",
            "raw.last_delivery_at": None,
        },
    ),
    Case(
        name="webhooks.delete_endpoint",
        args=(ENDPOINT_ID,),
        response=v1({"endpoint_id": ENDPOINT_ID, "deleted": True}, msg=None),
        method="DELETE",
        path="/v1/webhook/endpoint.delete",
        query={"endpoint_id": ENDPOINT_ID},
        body={"endpoint_id": ENDPOINT_ID},
        parsed={"raw.deleted": True},
    ),
    # -- assets, folders ------------------------------------------------------------------------------------
    Case(
        name="assets.upload",
        args=(PNG,),
        response=v1(
            {
                "id": ASSET,
                "name": "upload",
                "file_type": "image",
                "folder_id": FOLDER,
                "meta": None,
                "created_ts": 1717000000,
                "url": f"https://resource2.heygen.ai/image/{ASSET}/original.png",
                "image_key": f"image/{ASSET}/original",
                "width": 1,
            },
            msg=None,
        ),
        method="POST",
        path="/v1/asset",
        body=UPLOAD,
        parsed={
            "id": ASSET,
            "file_type": "image",
            "folder_id": FOLDER,
            "meta": None,
            "created_ts": 1717000000.0,
            "image_key": f"image/{ASSET}/original",
            "raw.width": 1,
        },
    ),
    Case(
        name="folders.list",
        kwargs={"limit": 10, "token": PAGE_TOKEN, "parent_id": PARENT, "name_filter": "Q3 launch", "is_trash": False},
        response=v1({"folders": [folder("Q3 launch"), folder("Q3 launch - drafts")], "token": None, "total": 2}),
        method="GET",
        path="/v1/folders",
        query={
            "limit": "10",
            "token": PAGE_TOKEN,
            "parent_id": PARENT,
            "name_filter": "Q3 launch",
            "is_trash": "false",
        },
        parsed={
            "len": 2,
            "token": None,
            "0.name": "Q3 launch",
            "0.created_ts": 1717000000.0,
            "0.updated_ts": 1717086400.5,
            "0.is_trash": False,
            "raw.total": 2,
        },
    ),
    Case(
        name="folders.create",
        args=("Q3 launch",),
        kwargs={"project_type": "video", "parent_id": PARENT},
        response=v1(folder("Q3 launch")),
        method="POST",
        path="/v1/folders/create",
        body={"name": "Q3 launch", "project_type": "video", "parent_id": PARENT},
        parsed={
            "id": FOLDER,
            "name": "Q3 launch",
            "parent_id": PARENT,
            "project_type": "video",
            "raw.owner_id": "b5e3a1d09c7f4e2a",
        },
    ),
    Case(
        name="folders.rename",
        args=(FOLDER, "Q3 launch (final)"),
        response=v1(folder("Q3 launch (final)")),
        method="POST",
        path=f"/v1/folders/{FOLDER}",
        old_path="/v1/folders/folder_id",
        old_query={"folder_id": FOLDER},
        body={"name": "Q3 launch (final)"},
        parsed={
            "id": FOLDER,
            "name": "Q3 launch (final)",
            "updated_ts": 1717086400.5,
            "raw.owner_id": "b5e3a1d09c7f4e2a",
        },
    ),
    Case(
        name="folders.trash",
        args=(FOLDER,),
        response=v1(folder("Q3 launch", is_trash=True)),
        method="POST",
        path=f"/v1/folders/{FOLDER}/trash",
        old_path="/v1/folders/folder_id/trash",
        old_query={"folder_id": FOLDER},
        body={},
        parsed={"id": FOLDER, "is_trash": True, "raw.owner_id": "b5e3a1d09c7f4e2a"},
    ),
    Case(
        name="folders.restore",
        args=(FOLDER,),
        response=v2(folder("Q3 launch")),
        method="POST",
        path=f"/v1/folders/{FOLDER}/restore",
        old_path="/v1/folders/folder_id/restore",
        old_query={"folder_id": FOLDER},
        body={},
        parsed={"id": FOLDER, "is_trash": False, "created_ts": 1717000000.0, "raw.owner_id": "b5e3a1d09c7f4e2a"},
    ),
)

CASES_BY_NAME: Final = {case.name: case for case in CASES}


# -- helpers -----------------------------------------------------------------------------------------------


def seed_wrapper(body: dict[str, Any]) -> dict[str, Any]:
    return {"data": body}


def gateway_wrapper(body: dict[str, Any]) -> dict[str, Any]:
    return {"message": "Request completed", "provider": "heygen", "result": body, "response_headers": {}}


def lookup(value: object, path: str) -> object:
    """Follow a dotted path: attributes, dict keys, list indexes (also into list results), and ``len``."""
    for step in path.split("."):
        if step == "len":
            value = len(value)  # type: ignore[arg-type]
        elif step.isdigit() and not isinstance(value, Mapping):
            value = value[int(step)]  # type: ignore[index]
        elif isinstance(value, Mapping):
            value = value[step]
        else:
            value = getattr(value, step)
    return value


def check_parsed(case: Case, result: object) -> None:
    endpoint = ENDPOINTS_BY_NAME[case.name]
    assert type(result) is getattr(_models, endpoint.result)
    assert isinstance(result, _models.Model)
    assert result.raw == case.response["data"]  # the JSON as received, unknown fields and all
    if isinstance(result, _models.ListModel):
        assert list(result) == result.items
        assert len(result) == len(result.items)
    for path, expected in case.parsed.items():
        actual = lookup(result, path)
        assert actual == expected, path
        assert type(actual) is type(expected), f"{path}: {type(actual).__name__} is not {type(expected).__name__}"
        owner, dot_raw, unknown = path.rpartition("raw.")
        if dot_raw and not unknown.split(".")[0].isdigit():
            # a field the model does not know, kept in raw only
            assert not hasattr(lookup(result, owner[:-1]) if owner else result, unknown.split(".")[0]), path


def respond(mocked: aioresponses, method: str, url: str, payload: dict[str, Any]) -> None:
    mocked.add(re.compile("^" + re.escape(url) + r"(\?.*)?$"), method=method, payload=payload)


async def call(client: hg.HeyGenClient, case: Case) -> object:
    endpoint = ENDPOINTS_BY_NAME[case.name]
    method = getattr(getattr(client, endpoint.namespace), endpoint.method)
    return await method(*case.args, **case.kwargs)


def check_body(case: Case, kwargs: dict[str, Any], *, gateway: bool) -> None:
    headers = kwargs["headers"]
    if case.body is UPLOAD:
        data = kwargs["data"]
        if gateway:
            assert headers["Content-Type"].startswith("multipart/form-data; boundary=")
            boundary = headers["Content-Type"].split("boundary=", 1)[1]
            assert data.startswith(f"--{boundary}\r\n".encode())
            assert data.endswith(f"\r\n--{boundary}--\r\n".encode())
            assert b'Content-Disposition: form-data; name="file"' in data
            assert b"Content-Type: image/png\r\n\r\n" + PNG in data
        else:
            assert headers["Content-Type"] == "image/png"
            assert data == PNG
    elif case.body is None:
        assert kwargs.get("data") is None
    else:
        assert sent_content_type(kwargs) == "application/json"
        assert sent_json(kwargs) == case.body


def wrapper_for(case: Case, style: Style) -> str:
    """Alternate the wrappers so that each endpoint meets both across its two path formats."""
    return ("seed", "gateway")[(CASES.index(case) + (style == "old")) % 2]


# -- tests -------------------------------------------------------------------------------------------------


def test_one_case_per_endpoint() -> None:
    assert len(CASES) == len(ENDPOINTS) == 48
    assert {case.name for case in CASES} == {endpoint.qualname for endpoint in ENDPOINTS}


def test_cases_agree_with_the_endpoint_table() -> None:
    """The expectations are written out by hand; this keeps them honest against the table's own routes."""
    for case in CASES:
        endpoint = ENDPOINTS_BY_NAME[case.name]
        assert case.method == endpoint.http_method, case.name
        assert (case.old_path is not None) == bool(endpoint.route.path_params), case.name
        if case.old_path is not None:
            assert case.old_path == endpoint.route.old_path, case.name
            assert case.old_query is not None
            assert set(case.old_query) == set(case.query) | set(endpoint.route.path_params), case.name
        assert any("raw" in path for path in case.parsed), f"{case.name} proves no unknown field is kept"
    assert sum(case.old_path is not None for case in CASES) == 10  # HeyGen paths with a {placeholder}


@pytest.mark.parametrize("style", ["new", "old"])
@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
async def test_endpoint_through_the_gateway(mocked: aioresponses, case: Case, style: Style) -> None:
    path, query = case.wire(style)
    wrap = seed_wrapper if wrapper_for(case, style) == "seed" else gateway_wrapper
    respond(mocked, case.method, BASE + path, wrap(case.response))
    async with hg.HeyGenClient(TOKEN, base_url=BASE, path_style=style, retry=FAST) as client:
        result = await call(client, case)

    ((method, url, kwargs),) = sent(mocked)
    assert method == case.method
    assert url.path == "/heygen" + path
    assert url.query["api_token"] == TOKEN
    assert {key: value for key, value in url.query.items() if key != "api_token"} == query
    assert "X-Api-Key" not in kwargs["headers"]
    check_body(case, kwargs, gateway=True)
    check_parsed(case, result)


DIRECT_CASES: Final = (
    "videos.status",
    "photo_avatars.get",
    "templates.generate",
    "streaming.create_token",
    "webhooks.delete_endpoint",
    "webhooks.list_endpoints",
    "assets.upload",
)


class TestDirectMode:
    """Straight to HeyGen: ``X-Api-Key``, no api_token, no gateway wrapper, new-format paths only."""

    @pytest.mark.parametrize("name", DIRECT_CASES)
    async def test_endpoint_directly(self, mocked: aioresponses, name: str) -> None:
        case = CASES_BY_NAME[name]
        host = DIRECT_UPLOAD if ENDPOINTS_BY_NAME[name].host == "upload" else DIRECT_API
        respond(mocked, case.method, host + case.path, case.response)
        async with hg.HeyGenClient.direct(heygen_api_key=DIRECT_KEY, retry=FAST) as client:
            result = await call(client, case)

        ((method, url, kwargs),) = sent(mocked)
        assert method == case.method
        assert str(url.origin()) == host
        assert url.path == case.path
        assert dict(url.query) == case.query
        assert kwargs["headers"]["X-Api-Key"] == DIRECT_KEY
        check_body(case, kwargs, gateway=False)
        check_parsed(case, result)


async def test_sdp_input_sends_its_default_type(mocked: aioresponses) -> None:
    respond(mocked, "POST", BASE + "/v1/streaming.start", seed_wrapper(v1({"status": "success"})))
    async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=FAST) as client:
        await client.streaming.start(SESSION, sdp=Sdp(sdp="v=0\r\n"))
    ((_, _, kwargs),) = sent(mocked)
    assert sent_json(kwargs) == {"session_id": SESSION, "sdp": {"sdp": "v=0\r\n", "type": "answer"}}


# Calls that create something (and cost credits or start a billed session) must never be repeated once they may
# have reached HeyGen; calls that are harmless to repeat must be, so a stop or an interrupt survives a 502.
NEVER_RETRIED_AFTER_A_5XX: Final = frozenset(
    {
        "videos.generate",
        "videos.generate_webm",
        "templates.generate",
        "translations.create",
        "streaming.create_token",
        "streaming.new",
        "streaming.start",
        "streaming.task",
        "photo_avatars.generate_photos",
        "photo_avatars.create_group",
        "photo_avatars.add_looks",
        "photo_avatars.train",
        "photo_avatars.generate_looks",
        "photo_avatars.add_motion",
        "photo_avatars.add_sound_effect",
        "photo_avatars.upscale",
        "webhooks.add_endpoint",
        "folders.create",
        "assets.upload",
    }
)
RETRIED_EVEN_THOUGH_POST: Final = frozenset(
    {"streaming.stop", "streaming.interrupt", "folders.rename", "folders.trash", "folders.restore"}
)


def test_the_idempotency_flags_are_the_pinned_ones() -> None:
    not_idempotent = {e.qualname for e in ENDPOINTS if not e.idempotent}
    assert not_idempotent == NEVER_RETRIED_AFTER_A_5XX
    posts_retried = {e.qualname for e in ENDPOINTS if e.idempotent and e.http_method == "POST"}
    assert posts_retried == RETRIED_EVEN_THOUGH_POST


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
async def test_a_502_is_retried_exactly_when_the_endpoint_is_idempotent(
    mocked: aioresponses, sleeps: list[float], case: Case
) -> None:
    path, _ = case.wire("new")
    pattern = re.compile(rf"^{re.escape(BASE + path)}(\?.*)?$")
    getattr(mocked, case.method.lower())(pattern, status=502, body="<html>502 Bad Gateway</html>")
    respond(mocked, case.method, BASE + path, seed_wrapper(case.response))
    async with hg.HeyGenClient(TOKEN, base_url=BASE, path_style="new", retry=FAST) as client:
        if case.name in NEVER_RETRIED_AFTER_A_5XX:
            with pytest.raises(hg.ServerError) as caught:
                await call(client, case)
            assert caught.value.attempts == 1
            assert len(sent(mocked)) == 1
        else:
            await call(client, case)
            assert len(sent(mocked)) == 2
