"""Request inputs users can build as attrs classes (plain dicts of the same shape are accepted too).

Each class turns into HeyGen's JSON with ``_converter.converter.unstructure``: fields left as ``None`` are
omitted, and the scene parts add their ``type`` discriminator (``{"type": "avatar", ...}``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

__all__ = [
    "AudioVoice",
    "AvatarCharacter",
    "CharacterVariable",
    "ColorBackground",
    "Dimension",
    "ImageBackground",
    "ImageVariable",
    "Input",
    "Offset",
    "Sdp",
    "SilenceVoice",
    "StreamingVoice",
    "TalkingPhotoCharacter",
    "TextVariable",
    "TextVoice",
    "VideoBackground",
    "VideoInput",
    "VoiceVariable",
]


class Input:
    """Base of the input classes. ``kind`` (when set) is written as the JSON ``type`` field."""

    kind: ClassVar[str | None] = None


@attrs.frozen
class Dimension(Input):
    """Output size in pixels: even numbers within 128..4096 (HeyGen's default is 1920x1080)."""

    width: int
    height: int


@attrs.frozen
class Offset(Input):
    x: float
    y: float


@attrs.frozen(kw_only=True)
class AvatarCharacter(Input):
    """A studio avatar in a scene (``avatar_style``: normal, circle or closeUp)."""

    kind: ClassVar[str | None] = "avatar"
    avatar_id: str
    avatar_style: str | None = None
    scale: float | None = None
    offset: Offset | None = None
    matting: bool | None = None


@attrs.frozen(kw_only=True)
class TalkingPhotoCharacter(Input):
    """A talking photo (photo avatar) in a scene."""

    kind: ClassVar[str | None] = "talking_photo"
    talking_photo_id: str
    talking_photo_style: str | None = None
    talking_style: str | None = None
    expression: str | None = None
    scale: float | None = None
    offset: Offset | None = None
    super_resolution: bool | None = None


@attrs.frozen(kw_only=True)
class TextVoice(Input):
    """Speech from text with one of the account's voices (``speed`` 0.5..1.5, ``pitch`` -50..50)."""

    kind: ClassVar[str | None] = "text"
    input_text: str
    voice_id: str
    speed: float | None = None
    pitch: float | None = None
    emotion: str | None = None
    locale: str | None = None


@attrs.frozen(kw_only=True)
class AudioVoice(Input):
    """Speech from an audio file: a public URL or an uploaded asset."""

    kind: ClassVar[str | None] = "audio"
    audio_url: str | None = None
    audio_asset_id: str | None = None


@attrs.frozen(kw_only=True)
class SilenceVoice(Input):
    """A pause, in seconds."""

    kind: ClassVar[str | None] = "silence"
    duration: float


@attrs.frozen
class ColorBackground(Input):
    """A solid background, ``#RRGGBB``."""

    kind: ClassVar[str | None] = "color"
    value: str


@attrs.frozen(kw_only=True)
class ImageBackground(Input):
    kind: ClassVar[str | None] = "image"
    url: str | None = None
    image_asset_id: str | None = None
    fit: str | None = None


@attrs.frozen(kw_only=True)
class VideoBackground(Input):
    """A video background; ``play_style`` is fit_to_scene, freeze, loop or once."""

    kind: ClassVar[str | None] = "video"
    url: str | None = None
    video_asset_id: str | None = None
    play_style: str | None = None
    fit: str | None = None


Character = AvatarCharacter | TalkingPhotoCharacter
VoicePart = TextVoice | AudioVoice | SilenceVoice
Background = ColorBackground | ImageBackground | VideoBackground


@attrs.frozen(kw_only=True)
class VideoInput(Input):
    """One scene of ``videos.generate``: who appears, what they say, and behind them."""

    character: Character | dict[str, Any]
    voice: VoicePart | dict[str, Any]
    background: Background | dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class StreamingVoice(Input):
    """Voice settings of a streaming session. ``emotion``: Excited, Serious, Friendly, Soothing or Broadcaster, in
    any case (HeyGen's SDK sends ``"excited"``); it is sent as HeyGen's docs write it (``"Excited"``)."""

    voice_id: str | None = None
    rate: float | None = None
    emotion: str | None = None
    elevenlabs_settings: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Sdp(Input):
    """An SDP answer, for legacy raw-WebRTC sessions only."""

    sdp: str
    type: str = "answer"


@attrs.frozen(kw_only=True)
class TextVariable(Input):
    """A template variable replaced by text."""

    kind: ClassVar[str | None] = "text"
    name: str
    content: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": "text", "properties": {"content": self.content}}


@attrs.frozen(kw_only=True)
class ImageVariable(Input):
    """A template variable replaced by an image (a URL or an uploaded asset)."""

    kind: ClassVar[str | None] = "image"
    name: str
    url: str | None = None
    asset_id: str | None = None
    fit: str | None = None

    def to_json(self) -> dict[str, Any]:
        properties = {k: v for k, v in (("url", self.url), ("asset_id", self.asset_id), ("fit", self.fit)) if v}
        return {"name": self.name, "type": "image", "properties": properties}


@attrs.frozen(kw_only=True)
class CharacterVariable(Input):
    """A template variable replaced by an avatar or a talking photo."""

    kind: ClassVar[str | None] = "character"
    name: str
    character_id: str
    character_type: str = "avatar"

    def to_json(self) -> dict[str, Any]:
        properties = {"character_id": self.character_id, "type": self.character_type}
        return {"name": self.name, "type": "character", "properties": properties}


@attrs.frozen(kw_only=True)
class VoiceVariable(Input):
    """A template variable replaced by a voice."""

    kind: ClassVar[str | None] = "voice"
    name: str
    voice_id: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": "voice", "properties": {"voice_id": self.voice_id}}
