"""The v3 catalogue every emulated account sees: public avatars and looks, voices, a template with variables,
Video Agent styles, brand kits and glossaries, sounds, searchable images, languages and the webhook event types.

Shaped like HeyGen's v3 schemas (its OpenAPI document as its CLI publishes it); ids are the legacy
catalogue's where the same thing exists, so a look id here is an ``avatar_id`` there too.
"""

from __future__ import annotations

from typing import Any, Final

from ._fixtures import LANGUAGES, TEMPLATE_ID

__all__ = [
    "BRAND_GLOSSARIES",
    "BRAND_KITS",
    "EVENT_TYPES",
    "GROUPS",
    "IMAGES",
    "LANGUAGES",
    "LOOKS",
    "SOUNDS",
    "STYLES",
    "TEMPLATES",
    "TTS_ENGINE",
    "VOICES",
]

CREATED: Final = 1_735_689_600  # 2025-01-01, when the catalogue "was made"
TTS_ENGINE: Final = "starfish"
"""The voice engine ``POST /v3/voices/speech`` speaks with; other voices are refused there."""

_FILES: Final = "https://files.heygen.ai"

GROUPS: Final[list[dict[str, Any]]] = [
    {
        "id": "angela-public",
        "name": "Angela",
        "gender": "female",
        "default_voice_id": "1bd001e7e50f421d891986aad5158bc8",
        "looks": ["Angela-inTshirt-20220820", "Angela-business-20240301"],
    },
    {
        "id": "tyler-public",
        "name": "Tyler",
        "gender": "male",
        "default_voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54",
        "looks": ["Tyler-incasualsuit-20220721"],
    },
]


def _look(look_id: str, group: dict[str, Any], engines: list[str], orientation: str) -> dict[str, Any]:
    return {
        "id": look_id,
        "name": look_id.split("-")[0] + " " + look_id.split("-")[1],
        "avatar_type": "studio_avatar",
        "group_id": group["id"],
        "gender": group["gender"],
        "status": "completed",
        "supported_api_engines": engines,
        "preferred_orientation": orientation,
        "default_voice_id": group["default_voice_id"],
        "preview_image_url": f"{_FILES}/avatar/v3/{look_id}/preview.webp",
        "preview_video_url": f"{_FILES}/avatar/v3/{look_id}/preview.webm",
        "image_width": 1920 if orientation == "landscape" else 1080,
        "image_height": 1080 if orientation == "landscape" else 1920,
        "tags": ["public"],
        "error": None,
    }


LOOKS: Final[list[dict[str, Any]]] = [
    _look("Angela-inTshirt-20220820", GROUPS[0], ["avatar_iv", "avatar_v", "avatar_iii"], "landscape"),
    _look("Angela-business-20240301", GROUPS[0], ["avatar_iv"], "portrait"),
    _look("Tyler-incasualsuit-20220721", GROUPS[1], ["avatar_iv", "avatar_iii"], "landscape"),
]

VOICES: Final[list[dict[str, Any]]] = [
    {
        "voice_id": "1bd001e7e50f421d891986aad5158bc8",
        "name": "Sara - Cheerful",
        "language": "English",
        "gender": "female",
        "type": "public",
        "engine": TTS_ENGINE,
        "support_pause": True,
        "support_locale": False,
        "support_interactive_avatar": True,
        "preview_audio_url": "https://static.heygen.ai/voice_preview/sara.mp3",
    },
    {
        "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54",
        "name": "Christopher - Calm",
        "language": "English",
        "gender": "male",
        "type": "public",
        "engine": TTS_ENGINE,
        "support_pause": True,
        "support_locale": False,
        "support_interactive_avatar": True,
        "preview_audio_url": "https://static.heygen.ai/voice_preview/christopher.mp3",
    },
    {
        "voice_id": "3b1633a466c44379bf8b5a2884727588",
        "name": "Elena - Warm",
        "language": "Spanish",
        "gender": "female",
        "type": "public",
        "engine": "elevenlabs",
        "support_pause": False,
        "support_locale": True,
        "support_interactive_avatar": False,
        "preview_audio_url": "https://static.heygen.ai/voice_preview/elena.mp3",
    },
]

TEMPLATES: Final[list[dict[str, Any]]] = [
    {
        "id": TEMPLATE_ID,
        "name": "Product announcement",
        "aspect_ratio": "16:9",
        "thumbnail_url": f"{_FILES}/template/7a2bc0d1/thumbnail.jpg",
        "created_at": CREATED,
        "updated_at": CREATED,
        "variables": {
            "headline": {"name": "headline", "type": "text", "properties": {"content": "Introducing our product"}},
            "presenter": {
                "name": "presenter",
                "type": "character",
                "properties": {"character_id": "Angela-inTshirt-20220820", "type": "avatar"},
            },
            "logo": {
                "name": "logo",
                "type": "image",
                "properties": {"url": "https://example.com/logo.png", "fit": "contain"},
            },
        },
        "scenes": [
            {
                "scene_id": "intro",
                "script": "{{headline}}",
                "variables": [
                    {"name": "headline", "variable_type": "text"},
                    {"name": "presenter", "variable_type": "character"},
                ],
            },
            {
                "scene_id": "outro",
                "script": "Thanks for watching.",
                "variables": [{"name": "logo", "variable_type": "image"}],
            },
        ],
        "scene_ids": ["intro", "outro"],
    },
    {
        "id": "9c8d7e6f5a4b4c3d2e1f0a9b8c7d6e5f",
        "name": "Weekly update",
        "aspect_ratio": "9:16",
        "thumbnail_url": f"{_FILES}/template/9c8d7e6f/thumbnail.jpg",
        "created_at": CREATED + 86_400,
        "updated_at": CREATED + 86_400,
        "variables": {"topic": {"name": "topic", "type": "text", "properties": {"content": "This week"}}},
        "scenes": [
            {"scene_id": "main", "script": "{{topic}}", "variables": [{"name": "topic", "variable_type": "text"}]}
        ],
        "scene_ids": ["main"],
    },
]

STYLES: Final[list[dict[str, Any]]] = [
    {
        "style_id": f"style-{name.lower().replace(' ', '-')}",
        "name": name,
        "tags": tags,
        "aspect_ratio": ratio,
        "thumbnail_url": f"{_FILES}/video-agent/styles/{index}.jpg",
        "preview_video_url": f"{_FILES}/video-agent/styles/{index}.mp4",
    }
    for index, (name, tags, ratio) in enumerate(
        [
            ("Clean explainer", ["explainer", "business"], "16:9"),
            ("Social short", ["social", "marketing"], "9:16"),
            ("Product launch", ["marketing", "business"], "16:9"),
        ]
    )
]

BRAND_KITS: Final[list[dict[str, Any]]] = [
    {
        "brand_kit_id": f"bk{index:02d}",
        "name": name,
        "colors": colors,
        "logo_url": f"{_FILES}/brand/bk{index:02d}/logo.png",
    }
    for index, (name, colors) in enumerate([("Acme", ["#0a2540", "#ff5a5f"]), ("Acme dark", ["#111111", "#eeeeee"])])
]

BRAND_GLOSSARIES: Final[list[dict[str, Any]]] = [
    {
        "brand_glossary_id": f"bv{index:02d}",
        "name": name,
        "created_at": f"2025-01-{index + 1:02d}T00:00:00Z",
        "updated_at": f"2025-01-{index + 1:02d}T00:00:00Z",
    }
    for index, name in enumerate(["Acme formal", "Acme friendly", "Acme glossary", "Acme support", "Acme sales"])
]

SOUNDS: Final[list[dict[str, Any]]] = [
    {
        "id": f"snd{index:02d}",
        "name": name,
        "description": description,
        "type": kind,
        "duration": duration,
        "audio_url": f"{_FILES}/sounds/snd{index:02d}.mp3",
    }
    for index, (name, description, kind, duration) in enumerate(
        [
            ("Upbeat corporate", "bright upbeat corporate music with piano", "music", 120.0),
            ("Calm ambient", "calm ambient pads for a relaxed explainer", "music", 180.0),
            ("Epic trailer", "epic orchestral trailer music with drums", "music", 90.0),
            ("Whoosh", "fast whoosh transition sound", "sound_effects", 1.2),
            ("Applause", "crowd applause and cheering", "sound_effects", 4.0),
            ("Click", "soft mouse click sound", "sound_effects", 0.3),
        ]
    )
]

IMAGES: Final[list[dict[str, Any]]] = [
    {
        "id": f"img{index:02d}",
        "type": kind,
        "description": description,
        "url": f"{_FILES}/search/img{index:02d}.png",
        "width": 1024 if kind == "image" else 256,
        "height": 768 if kind == "image" else 256,
        "orientation": "landscape" if kind == "image" else "square",
        "is_transparent": kind == "icon",
    }
    for index, (kind, description) in enumerate(
        [
            ("image", "pepperoni pizza on a wooden table"),
            ("image", "city skyline at night with lights"),
            ("image", "team meeting in a bright office"),
            ("icon", "minimalist rocket icon"),
            ("icon", "shopping cart icon"),
            ("icon", "pizza slice icon"),
        ]
    )
]

EVENT_TYPES: Final[list[dict[str, str]]] = [
    {"event_type": name, "description": description}
    for name, description in [
        ("avatar_video.success", "An avatar video finished rendering."),
        ("avatar_video.fail", "An avatar video failed to render."),
        ("avatar_video_gif.success", "The GIF preview of a video is ready."),
        ("avatar_video_gif.fail", "The GIF preview of a video failed."),
        ("avatar_video_caption.success", "The captioned version of a video is ready."),
        ("avatar_video_caption.fail", "The captioned version of a video failed."),
        ("video_translate.success", "A video translation finished."),
        ("video_translate.fail", "A video translation failed."),
        ("video_translate.preflight.validation_failed", "A translation's input failed validation."),
        ("video_translate.preflight.download_failed", "A translation's input could not be downloaded."),
        ("personalized_video", "A personalized video event."),
        ("instant_avatar.success", "A digital twin finished training."),
        ("instant_avatar.fail", "A digital twin failed to train."),
        ("photo_avatar_generation.success", "A photo avatar generation finished."),
        ("photo_avatar_generation.fail", "A photo avatar generation failed."),
        ("photo_avatar_train.success", "A photo avatar finished training."),
        ("photo_avatar_train.fail", "A photo avatar failed to train."),
        ("photo_avatar_add_motion.success", "Motion was added to a photo avatar."),
        ("photo_avatar_add_motion.fail", "Adding motion to a photo avatar failed."),
        ("proofread_creation.success", "A translation proofread is ready for review."),
        ("proofread_creation.fail", "A translation proofread failed."),
        ("live_avatar.success", "A live avatar session event succeeded."),
        ("live_avatar.fail", "A live avatar session event failed."),
        ("video_agent.success", "A Video Agent session produced its video."),
        ("video_agent.fail", "A Video Agent session failed."),
        ("hyperframes_video.success", "A HyperFrames video finished."),
        ("hyperframes_video.fail", "A HyperFrames video failed."),
        ("ai_clipping.success", "An AI clipping job produced its clips."),
        ("ai_clipping.fail", "An AI clipping job failed."),
        ("batch.finished", "Every item of a batch reached a final state."),
    ]
]
