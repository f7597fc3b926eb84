"""The emulator's fixed catalogue: the avatars, voices, templates, languages and groups every account sees.

Shaped like HeyGen's documented examples; the handlers serve them and the demo and tests pick from them.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AVATARS",
    "TALKING_PHOTOS",
    "VOICES",
    "STREAMING_AVATARS",
    "TEMPLATE_ID",
    "TEMPLATES",
    "TEMPLATE_VARIABLES",
    "LANGUAGES",
    "BRAND_VOICES",
    "PUBLIC_GROUPS",
]

AVATARS: Final = [
    {
        "avatar_id": "Angela-inTshirt-20220820",
        "avatar_name": "Angela in T-shirt",
        "gender": "female",
        "preview_image_url": "https://files.heygen.ai/avatar/v3/Angela-inTshirt-20220820/preview.webp",
        "preview_video_url": "https://files.heygen.ai/avatar/v3/Angela-inTshirt-20220820/preview.webm",
        "premium": False,
        "type": None,
        "tags": None,
        "default_voice_id": "1bd001e7e50f421d891986aad5158bc8",
    },
    {
        "avatar_id": "Tyler-incasualsuit-20220721",
        "avatar_name": "Tyler in Casual Suit",
        "gender": "male",
        "preview_image_url": "https://files.heygen.ai/avatar/v3/Tyler-incasualsuit-20220721/preview.webp",
        "preview_video_url": "https://files.heygen.ai/avatar/v3/Tyler-incasualsuit-20220721/preview.webm",
        "premium": False,
        "type": None,
        "tags": ["NEW"],
        "default_voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54",
    },
    {
        "avatar_id": "Monica_inSleeveless_20220819",
        "avatar_name": "Monica in Sleeveless",
        "gender": "female",
        "preview_image_url": "https://files.heygen.ai/avatar/v3/Monica_inSleeveless_20220819/preview.webp",
        "preview_video_url": "https://files.heygen.ai/avatar/v3/Monica_inSleeveless_20220819/preview.webm",
        "premium": True,
        "type": None,
        "tags": None,
        "default_voice_id": "1bd001e7e50f421d891986aad5158bc8",
    },
]

TALKING_PHOTOS: Final = [
    {
        "talking_photo_id": "31c6b2b6306b47a2ba3572a23be09dbc",
        "talking_photo_name": "Lina",
        "preview_image_url": "https://files.heygen.ai/talking_photo/31c6b2b6306b47a2ba3572a23be09dbc.webp",
    }
]

VOICES: Final = [
    {
        "voice_id": "1bd001e7e50f421d891986aad5158bc8",
        "language": "English",
        "gender": "female",
        "name": "Sara - Cheerful",
        "preview_audio": "https://static.heygen.ai/voice_preview/sara.mp3",
        "support_pause": True,
        "emotion_support": True,
        "support_interactive_avatar": True,
        "support_locale": False,
    },
    {
        "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54",
        "language": "English",
        "gender": "male",
        "name": "Christopher - Calm",
        "preview_audio": "https://static.heygen.ai/voice_preview/christopher.mp3",
        "support_pause": True,
        "emotion_support": False,
        "support_interactive_avatar": True,
        "support_locale": False,
    },
    {
        "voice_id": "3b1633a466c44379bf8b5a2884727588",
        "language": "Spanish",
        "gender": "female",
        "name": "Elena - Warm",
        "preview_audio": "https://static.heygen.ai/voice_preview/elena.mp3",
        "support_pause": False,
        "emotion_support": False,
        "support_interactive_avatar": False,
        "support_locale": True,
    },
]

STREAMING_AVATARS: Final = [
    {
        "avatar_id": "Wayne_20240711",
        "created_at": 1720656000,
        "default_voice": "2d5b0e6cf36f460aa7fc47e3eee4ba54",
        "is_public": True,
        "normal_preview": "https://files.heygen.ai/interactive/Wayne_20240711/preview.webp",
        "pose_name": "Wayne",
        "status": "ACTIVE",
    },
    {
        "avatar_id": "Anna_public_3_20240108",
        "created_at": 1704672000,
        "default_voice": "1bd001e7e50f421d891986aad5158bc8",
        "is_public": True,
        "normal_preview": "https://files.heygen.ai/interactive/Anna_public_3_20240108/preview.webp",
        "pose_name": "Anna in Brown T-shirt",
        "status": "ACTIVE",
    },
]

TEMPLATE_ID: Final = "7a2bc0d1e4f54b2a9c3e8d6f1a0b2c3d"

TEMPLATES: Final = [
    {
        "template_id": TEMPLATE_ID,
        "name": "Product announcement",
        "thumbnail_image_url": "https://files.heygen.ai/template/7a2bc0d1/thumbnail.jpg",
        "aspect_ratio": "landscape",
    }
]

TEMPLATE_VARIABLES: Final = {
    "headline": {"name": "headline", "type": "text", "properties": {"content": "Introducing our new product"}},
    "presenter": {
        "name": "presenter",
        "type": "character",
        "properties": {"character_id": "Angela-inTshirt-20220820", "type": "avatar"},
    },
    "logo": {"name": "logo", "type": "image", "properties": {"url": "https://example.com/logo.png", "fit": "contain"}},
}

LANGUAGES: Final = [
    "English",
    "English - Your Accent",
    "Spanish",
    "Spanish (Spain)",
    "French",
    "German",
    "Italian",
    "Portuguese (Brazil)",
    "Japanese",
    "Chinese (Mandarin, Simplified)",
    "Hindi",
    "Arabic",
]

BRAND_VOICES: Final = [
    {"id": f"bv{index:02d}", "name": name, "created_at": 1730000000 + index, "updated_at": 1730000000 + index}
    for index, name in enumerate(["Acme formal", "Acme friendly", "Acme glossary", "Acme support", "Acme sales"])
]

PUBLIC_GROUPS: Final = [
    {
        "id": "public-angela",
        "name": "Angela",
        "group_type": "PUBLIC_PHOTO",
        "num_looks": 4,
        "default_voice_id": "1bd001e7e50f421d891986aad5158bc8",
        "train_status": "ready",
        "preview_image": "https://files.heygen.ai/avatar_group/public-angela.webp",
        "created_at": 1700000000,
    }
]
