"""Typed results: attrs classes the client structures HeyGen's answers into (with ``_converter.converter``).

Every field is optional, because HeyGen leaves fields out freely; fields HeyGen adds that this module does not
know yet are never an error, and ``raw`` keeps the JSON exactly as received. Status values are
:class:`TolerantEnum` members: case-insensitive, and a value nobody has seen yet becomes a pseudo-member
instead of an exception. Credentials in results (a session's LiveKit token, a webhook secret) are kept out of
reprs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, TypeVar

import attrs

__all__ = [
    "Ack",
    "Asset",
    "Avatar",
    "AvatarGroup",
    "AvatarGroupList",
    "AvatarList",
    "BrandVoice",
    "BrandVoicePage",
    "Folder",
    "FolderPage",
    "GenerationJob",
    "GenerationStatus",
    "LanguageList",
    "ListModel",
    "Model",
    "PhotoAvatar",
    "PhotoAvatarList",
    "PhotoAvatarRef",
    "PhotoAvatarStatus",
    "PhotoGeneration",
    "Quota",
    "SessionStatus",
    "StreamingAvatar",
    "StreamingAvatarList",
    "StreamingAvatarStatus",
    "StreamingSessionInfo",
    "StreamingSessionList",
    "StreamingSessionSummary",
    "StreamingTask",
    "StreamingToken",
    "TalkingPhoto",
    "Template",
    "TemplateDetails",
    "TemplateList",
    "TemplateVariable",
    "TolerantEnum",
    "Training",
    "TrainingStatus",
    "Translation",
    "TranslationJob",
    "TranslationStatus",
    "UpscaleAvailability",
    "User",
    "Video",
    "VideoError",
    "VideoJob",
    "VideoPage",
    "VideoStatus",
    "VideoSummary",
    "Voice",
    "VoiceList",
    "WebhookEndpoint",
    "WebhookEndpointList",
    "WebhookEventList",
]

T = TypeVar("T")


class TolerantEnum(str, enum.Enum):
    """A string enum that matches case-insensitively and turns unknown values into pseudo-members.

    ``VideoStatus("COMPLETED") is VideoStatus.COMPLETED``; ``VideoStatus("rendering")`` is a pseudo-member
    whose ``name`` is ``"UNKNOWN"``, ``value`` is ``"rendering"`` and ``is_known`` is False.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        lowered = value.lower()
        for member in cls:
            if member.value.lower() == lowered:
                return member
        pseudo = str.__new__(cls, value)
        pseudo._name_ = "UNKNOWN"
        pseudo._value_ = value
        return pseudo

    @property
    def is_known(self) -> bool:
        return self._name_ != "UNKNOWN"

    def __str__(self) -> str:
        return str(self.value)


class VideoStatus(TolerantEnum):
    """An avatar video's status (``video_status.get``; ``video.list`` adds ``draft``)."""

    WAITING = "waiting"
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    DRAFT = "draft"


class TranslationStatus(TolerantEnum):
    """A translation's status. Success is ``success``, not ``completed``."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class GenerationStatus(TolerantEnum):
    """A photo or look generation's status."""

    IN_PROGRESS = "in_progress"
    SUCCESS = "success"
    FAILED = "failed"


class TrainingStatus(TolerantEnum):
    """A photo avatar group's training status."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class PhotoAvatarStatus(TolerantEnum):
    """A photo avatar (look) status; add_motion and upscale results go pending -> completed."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


class SessionStatus(TolerantEnum):
    """A streaming session's status as ``streaming.list`` reports it."""

    NEW = "new"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    CLOSED = "closed"


class StreamingAvatarStatus(TolerantEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


@attrs.frozen(kw_only=True)
class Model:
    """Base of every result. ``raw`` is the JSON exactly as HeyGen sent it (unknown fields included)."""

    raw: Any = attrs.field(default=None, repr=False, eq=False)


class ListModel(Model, Generic[T]):
    """A result that is mostly a list: iterate it, index it, take its ``len()``.

    ``_items`` names the field holding the list. ``_item_keys`` are other keys HeyGen has used for it, and
    an answer that is a bare JSON array is taken as the items themselves.
    """

    _items: ClassVar[str]
    _item_keys: ClassVar[tuple[str, ...]] = ()

    @property
    def items(self) -> list[T]:
        items: list[T] = getattr(self, self._items)
        return items

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]


# -- avatars and voices ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Avatar(Model):
    avatar_id: str | None = None
    avatar_name: str | None = None
    gender: str | None = None
    preview_image_url: str | None = None
    preview_video_url: str | None = None
    premium: bool | None = None
    default_voice_id: str | None = None
    tags: list[str] | None = None


@attrs.frozen(kw_only=True)
class TalkingPhoto(Model):
    talking_photo_id: str | None = None
    talking_photo_name: str | None = None
    preview_image_url: str | None = None


@attrs.frozen(kw_only=True)
class AvatarList(ListModel[Avatar]):
    """``avatars`` (iterated) and ``talking_photos``."""

    _items: ClassVar[str] = "avatars"
    avatars: list[Avatar] = attrs.Factory(list)
    talking_photos: list[TalkingPhoto] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class Voice(Model):
    voice_id: str | None = None
    name: str | None = None
    language: str | None = None
    gender: str | None = None
    preview_audio: str | None = None
    support_pause: bool | None = None
    emotion_support: bool | None = None
    support_interactive_avatar: bool | None = None
    support_locale: bool | None = None


@attrs.frozen(kw_only=True)
class VoiceList(ListModel[Voice]):
    _items: ClassVar[str] = "voices"
    voices: list[Voice] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class AvatarGroup(Model):
    id: str | None = None
    name: str | None = None
    group_type: str | None = None
    num_looks: int | None = None
    default_voice_id: str | None = None
    train_status: str | None = None
    preview_image: str | None = None
    created_at: float | None = None


@attrs.frozen(kw_only=True)
class AvatarGroupList(ListModel[AvatarGroup]):
    _items: ClassVar[str] = "avatar_group_list"
    _item_keys: ClassVar[tuple[str, ...]] = ("avatar_groups", "groups")
    avatar_group_list: list[AvatarGroup] = attrs.Factory(list)
    total_count: int | None = None


# -- photo avatars -------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class UpscaleAvailability(Model):
    available: bool | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class PhotoAvatar(Model):
    """A photo avatar or look. ``image_url`` expires after 7 days; ``get()`` refreshes it."""

    id: str | None = None
    group_id: str | None = None
    name: str | None = None
    status: PhotoAvatarStatus | None = None
    image_url: str | None = None
    created_at: float | None = None
    is_motion: bool | None = None
    motion_preview_url: str | None = None
    business_type: str | None = None
    upscale_availability: UpscaleAvailability | None = None
    upscaled: bool | None = None
    background_sound_effect: Any = None
    default_voice_id: str | None = None


@attrs.frozen(kw_only=True)
class PhotoAvatarList(ListModel[PhotoAvatar]):
    _items: ClassVar[str] = "avatar_list"
    _item_keys: ClassVar[tuple[str, ...]] = ("photo_avatar_list", "looks", "avatars")
    avatar_list: list[PhotoAvatar] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class PhotoGeneration(Model):
    """A photo/look generation job; on success ``image_key_list`` feeds create_group / add_looks."""

    id: str | None = None
    status: GenerationStatus | None = None
    msg: str | None = None
    image_url_list: list[str] = attrs.Factory(list)
    image_key_list: list[str] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class Training(Model):
    status: TrainingStatus | None = None
    error_msg: str | None = None
    created_at: float | None = None
    updated_at: float | None = None


@attrs.frozen(kw_only=True)
class GenerationJob(Model):
    generation_id: str | None = None


@attrs.frozen(kw_only=True)
class PhotoAvatarRef(Model):
    """The id of a photo avatar a job creates (add_motion, upscale) or changes (add_sound_effect)."""

    id: str | None = None


# -- streaming -------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class StreamingSessionSummary(Model):
    session_id: str | None = None
    status: SessionStatus | None = None
    created_at: float | None = None


@attrs.frozen(kw_only=True)
class StreamingSessionList(ListModel[StreamingSessionSummary]):
    _items: ClassVar[str] = "sessions"
    sessions: list[StreamingSessionSummary] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class StreamingToken(Model):
    """A session token for a browser (``Authorization: Bearer``); kept out of the repr."""

    token: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class StreamingAvatar(Model):
    avatar_id: str | None = None
    pose_name: str | None = None
    status: StreamingAvatarStatus | None = None
    is_public: bool | None = None
    default_voice: str | None = None
    normal_preview: str | None = None
    created_at: float | None = None


@attrs.frozen(kw_only=True)
class StreamingAvatarList(ListModel[StreamingAvatar]):
    _items: ClassVar[str] = "avatars"
    avatars: list[StreamingAvatar] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class StreamingSessionInfo(Model):
    """What ``streaming.new`` returns. The LiveKit ``access_token`` is a credential: not in the repr."""

    session_id: str | None = None
    url: str | None = None
    access_token: str | None = attrs.field(default=None, repr=False)
    session_duration_limit: float | None = None
    is_paid: bool | None = None
    realtime_endpoint: str | None = None
    sdp: dict[str, Any] | None = None
    ice_servers: Any = None
    ice_servers2: Any = None


@attrs.frozen(kw_only=True)
class StreamingTask(Model):
    task_id: str | None = None
    duration_ms: float | None = None

    @property
    def duration(self) -> float | None:
        """How long the avatar will speak, in seconds."""
        return None if self.duration_ms is None else self.duration_ms / 1000.0


# -- templates, user ----------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Template(Model):
    template_id: str | None = None
    name: str | None = None
    thumbnail_image_url: str | None = None
    aspect_ratio: str | None = None


@attrs.frozen(kw_only=True)
class TemplateList(ListModel[Template]):
    _items: ClassVar[str] = "templates"
    templates: list[Template] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class TemplateVariable(Model):
    name: str | None = None
    type: str | None = None
    properties: dict[str, Any] = attrs.Factory(dict)


@attrs.frozen(kw_only=True)
class TemplateDetails(Model):
    variables: dict[str, TemplateVariable] = attrs.Factory(dict)
    scenes: list[Any] | None = None


@attrs.frozen(kw_only=True)
class Quota(Model):
    """Remaining API quota, in seconds of video; ``credits`` is ``remaining_quota / 60``."""

    remaining_quota: float | None = None
    details: dict[str, Any] = attrs.Factory(dict)

    @property
    def credits(self) -> float | None:
        return None if self.remaining_quota is None else self.remaining_quota / 60.0


@attrs.frozen(kw_only=True)
class User(Model):
    username: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@attrs.frozen(kw_only=True)
class BrandVoice(Model):
    id: str | None = None
    name: str | None = None
    created_at: float | None = None
    updated_at: float | None = None


@attrs.frozen(kw_only=True)
class BrandVoicePage(ListModel[BrandVoice]):
    """One page of brand voices; ``token`` fetches the next (None or empty on the last page)."""

    _items: ClassVar[str] = "brand_voices"
    _item_keys: ClassVar[tuple[str, ...]] = ("list", "brand_voice_list", "voices", "data")
    brand_voices: list[BrandVoice] = attrs.Factory(list)
    token: str | None = None


# -- videos ---------------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class VideoError(Model):
    """Why a render failed: ``code`` (e.g. 40119), ``message`` and ``detail``."""

    code: int | str | None = None
    message: str | None = None
    detail: str | None = None


@attrs.frozen(kw_only=True)
class Video(Model):
    """A video's details (``video_status.get``). URLs expire after 7 days; ``status()`` refreshes them."""

    id: str | None = None
    status: VideoStatus | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    gif_url: str | None = None
    caption_url: str | None = None
    video_url_caption: str | None = None
    duration: float | None = None
    created_at: float | None = None
    callback_id: str | None = None
    error: VideoError | None = None

    @property
    def video_id(self) -> str | None:
        return self.id


@attrs.frozen(kw_only=True)
class VideoSummary(Model):
    """A video as ``video.list`` shows it."""

    video_id: str | None = None
    video_title: str | None = None
    status: VideoStatus | None = None
    created_at: float | None = None
    type: str | None = None


@attrs.frozen(kw_only=True)
class VideoPage(ListModel[VideoSummary]):
    """One page of videos; ``token`` fetches the next (None or empty on the last page)."""

    _items: ClassVar[str] = "videos"
    videos: list[VideoSummary] = attrs.Factory(list)
    token: str | None = None


@attrs.frozen(kw_only=True)
class VideoJob(Model):
    """A submitted render: follow ``video_id`` with ``videos.status`` or ``videos.wait``."""

    video_id: str | None = None


# -- translations ---------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LanguageList(ListModel[str]):
    _items: ClassVar[str] = "languages"
    languages: list[str] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class TranslationJob(Model):
    video_translate_id: str | None = None
    video_translate_ids: list[str] | None = None


@attrs.frozen(kw_only=True)
class Translation(Model):
    """A translation's details; ``url`` expires after 7 days, ``message`` explains a failure."""

    video_translate_id: str | None = None
    title: str | None = None
    status: TranslationStatus | None = None
    url: str | None = None
    message: str | None = None
    output_language: str | None = None
    callback_id: str | None = None


# -- webhooks, assets, folders, acknowledgements -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WebhookEventList(ListModel[str]):
    _items: ClassVar[str] = "events"
    events: list[str] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class WebhookEndpoint(Model):
    """A registered endpoint. ``secret`` verifies deliveries; it is kept out of the repr."""

    endpoint_id: str | None = None
    url: str | None = None
    events: list[str] | None = None
    secret: str | None = attrs.field(default=None, repr=False)
    status: str | None = None
    username: str | None = None
    entity_id: str | None = None
    created_at: Any = None


@attrs.frozen(kw_only=True)
class WebhookEndpointList(ListModel[WebhookEndpoint]):
    _items: ClassVar[str] = "endpoints"
    endpoints: list[WebhookEndpoint] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class Asset(Model):
    """An uploaded asset; images also carry ``image_key`` (for photo avatar groups)."""

    id: str | None = None
    name: str | None = None
    file_type: str | None = None
    folder_id: str | None = None
    url: str | None = None
    image_key: str | None = None
    created_ts: float | None = None
    meta: Any = None


@attrs.frozen(kw_only=True)
class Folder(Model):
    id: str | None = None
    name: str | None = None
    parent_id: str | None = None
    project_type: str | None = None
    created_ts: float | None = None
    updated_ts: float | None = None
    is_trash: bool | None = None


@attrs.frozen(kw_only=True)
class FolderPage(ListModel[Folder]):
    """One page of folders; ``token`` fetches the next (None or empty on the last page)."""

    _items: ClassVar[str] = "folders"
    folders: list[Folder] = attrs.Factory(list)
    token: str | None = None


@attrs.frozen(kw_only=True)
class Ack(Model):
    """An acknowledgement with nothing documented to read; whatever HeyGen sent is in ``raw``."""
