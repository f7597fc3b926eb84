"""Typed webhook events: one attrs class per HeyGen event, ``UnknownEvent`` for the rest.

A delivery is ``{"event_type": ..., "event_data": {...}}``; HeyGen's own n8n trigger reads ``event`` instead,
so both keys name the event. Fields are structured with the client's one converter; a field of a type HeyGen
did not document is left unset (the payload keeps it; logged once per event type) rather than an error, so a
changed payload never makes a receiver refuse, or mis-type, deliveries it used to take.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs

from heygen_async._converter import converter
from heygen_async._exceptions import WebhookPayloadError
from heygen_async._models import Model

__all__ = [
    "EVENT_CLASSES",
    "KNOWN_EVENT_TYPES",
    "AvatarVideoEvent",
    "AvatarVideoFail",
    "AvatarVideoGifFail",
    "AvatarVideoGifSuccess",
    "AvatarVideoSuccess",
    "PersonalizedVideo",
    "PhotoAvatarAddMotionEvent",
    "PhotoAvatarAddMotionFail",
    "PhotoAvatarAddMotionSuccess",
    "PhotoAvatarGenerationEvent",
    "PhotoAvatarGenerationFail",
    "PhotoAvatarGenerationSuccess",
    "PhotoAvatarTrainEvent",
    "PhotoAvatarTrainFail",
    "PhotoAvatarTrainSuccess",
    "UnknownEvent",
    "VideoTranslateEvent",
    "VideoTranslateFail",
    "VideoTranslateSuccess",
    "WebhookEvent",
    "parse_event",
]

logger = logging.getLogger("heygen_async.webhooks")


@attrs.frozen(kw_only=True)
class WebhookEvent(Model):
    """Base of every event. ``raw`` is the whole delivery as received; ``event_data`` its data object.

    ``verified`` says whether the delivery's signature was checked and good (False for unsigned
    ``callback_url`` deliveries a receiver was told to accept, and for :func:`parse_event` on its own).
    """

    event_type: str = ""
    callback_id: str | None = None
    verified: bool = attrs.field(default=False, eq=False)

    event_types: ClassVar[tuple[str, ...]] = ()
    """The event names this class stands for."""
    job_id_key: ClassVar[str | None] = None
    """The ``event_data`` key holding the id of the job the event concerns."""

    @property
    def event_data(self) -> Mapping[str, Any]:
        data = self.raw.get("event_data") if isinstance(self.raw, Mapping) else None
        return data if isinstance(data, Mapping) else {}

    @property
    def job_id(self) -> str | None:
        """The id of the job (video, translation, generation, group, look) the event is about."""
        value = getattr(self, self.job_id_key, None) if self.job_id_key else None
        return value if isinstance(value, str) and value else None

    @property
    def succeeded(self) -> bool | None:
        """True for ``*.success``, False for ``*.fail``, None for events that are neither."""
        if self.event_type.endswith(".success"):
            return True
        if self.event_type.endswith(".fail"):
            return False
        return None


@attrs.frozen(kw_only=True)
class _JobEvent(WebhookEvent):
    msg: str | None = None
    message: str | None = None

    @property
    def reason(self) -> str | None:
        """HeyGen's words on a failure (``msg`` or ``message``, whichever it sent)."""
        return self.msg or self.message


@attrs.frozen(kw_only=True)
class AvatarVideoEvent(_JobEvent):
    """An avatar video (or its GIF preview) finished or failed."""

    job_id_key: ClassVar[str | None] = "video_id"
    video_id: str | None = None
    url: str | None = None
    video_share_page_url: str | None = None
    gif_download_url: str | None = None
    folder_id: str | None = None


@attrs.frozen(kw_only=True)
class AvatarVideoSuccess(AvatarVideoEvent):
    event_types: ClassVar[tuple[str, ...]] = ("avatar_video.success",)


@attrs.frozen(kw_only=True)
class AvatarVideoFail(AvatarVideoEvent):
    event_types: ClassVar[tuple[str, ...]] = ("avatar_video.fail",)


@attrs.frozen(kw_only=True)
class AvatarVideoGifSuccess(AvatarVideoEvent):
    event_types: ClassVar[tuple[str, ...]] = ("avatar_video_gif.success",)


@attrs.frozen(kw_only=True)
class AvatarVideoGifFail(AvatarVideoEvent):
    event_types: ClassVar[tuple[str, ...]] = ("avatar_video_gif.fail",)


@attrs.frozen(kw_only=True)
class VideoTranslateEvent(_JobEvent):
    """A video translation finished or failed."""

    job_id_key: ClassVar[str | None] = "video_translate_id"
    video_translate_id: str | None = None
    url: str | None = None
    output_language: str | None = None


@attrs.frozen(kw_only=True)
class VideoTranslateSuccess(VideoTranslateEvent):
    event_types: ClassVar[tuple[str, ...]] = ("video_translate.success",)


@attrs.frozen(kw_only=True)
class VideoTranslateFail(VideoTranslateEvent):
    event_types: ClassVar[tuple[str, ...]] = ("video_translate.fail",)


@attrs.frozen(kw_only=True)
class PhotoAvatarGenerationEvent(_JobEvent):
    """A photo or look generation finished or failed."""

    job_id_key: ClassVar[str | None] = "generation_id"
    generation_id: str | None = None


@attrs.frozen(kw_only=True)
class PhotoAvatarGenerationSuccess(PhotoAvatarGenerationEvent):
    event_types: ClassVar[tuple[str, ...]] = ("photo_avatar_generation.success",)


@attrs.frozen(kw_only=True)
class PhotoAvatarGenerationFail(PhotoAvatarGenerationEvent):
    event_types: ClassVar[tuple[str, ...]] = ("photo_avatar_generation.fail",)


@attrs.frozen(kw_only=True)
class PhotoAvatarTrainEvent(_JobEvent):
    """A photo avatar group's training finished or failed."""

    job_id_key: ClassVar[str | None] = "group_id"
    group_id: str | None = None


@attrs.frozen(kw_only=True)
class PhotoAvatarTrainSuccess(PhotoAvatarTrainEvent):
    event_types: ClassVar[tuple[str, ...]] = ("photo_avatar_train.success",)


@attrs.frozen(kw_only=True)
class PhotoAvatarTrainFail(PhotoAvatarTrainEvent):
    event_types: ClassVar[tuple[str, ...]] = ("photo_avatar_train.fail",)


@attrs.frozen(kw_only=True)
class PhotoAvatarAddMotionEvent(_JobEvent):
    """A photo avatar made by add_motion finished or failed (``id`` is the new look's)."""

    job_id_key: ClassVar[str | None] = "id"
    id: str | None = None


@attrs.frozen(kw_only=True)
class PhotoAvatarAddMotionSuccess(PhotoAvatarAddMotionEvent):
    event_types: ClassVar[tuple[str, ...]] = ("photo_avatar_add_motion.success",)


@attrs.frozen(kw_only=True)
class PhotoAvatarAddMotionFail(PhotoAvatarAddMotionEvent):
    event_types: ClassVar[tuple[str, ...]] = ("photo_avatar_add_motion.fail",)


@attrs.frozen(kw_only=True)
class PersonalizedVideo(WebhookEvent):
    """A personalized video was made for one contact."""

    event_types: ClassVar[tuple[str, ...]] = ("personalized_video",)
    job_id_key: ClassVar[str | None] = "video_id"
    project_id: str | None = None
    video_id: str | None = None
    video_url: str | None = None
    landing_page_url: str | None = None
    gif_url: str | None = None
    gif_html: str | None = None
    contact_info: Any = None


@attrs.frozen(kw_only=True)
class UnknownEvent(WebhookEvent):
    """An event this version has no class for (or whose fields did not fit its class): ``event_data`` and
    ``raw`` hold it all."""


EVENT_CLASSES: Final[dict[str, type[WebhookEvent]]] = {
    name: cls
    for cls in (
        AvatarVideoSuccess,
        AvatarVideoFail,
        AvatarVideoGifSuccess,
        AvatarVideoGifFail,
        VideoTranslateSuccess,
        VideoTranslateFail,
        PhotoAvatarGenerationSuccess,
        PhotoAvatarGenerationFail,
        PhotoAvatarTrainSuccess,
        PhotoAvatarTrainFail,
        PhotoAvatarAddMotionSuccess,
        PhotoAvatarAddMotionFail,
        PersonalizedVideo,
    )
    for name in cls.event_types
}

KNOWN_EVENT_TYPES: Final = frozenset(
    {
        *EVENT_CLASSES,
        # Documented, no class of their own yet (they arrive as UnknownEvent):
        "instant_avatar.success",
        "instant_avatar.fail",
        "proofread_creation.success",
        "proofread_creation.fail",
        "live_avatar.success",
        "live_avatar.fail",
        "avatar_video_caption.success",
        "avatar_video_caption.fail",
        "video_agent.success",
        "video_agent.fail",
    }
)
"""Every event name HeyGen documents (see the reference notes); endpoints can subscribe to these."""

_misfits_logged: set[str] = set()


def _loads(body: bytes | bytearray | memoryview | str) -> Any:
    try:
        return json.loads(bytes(body) if isinstance(body, (bytearray, memoryview)) else body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise WebhookPayloadError(f"the delivery's body is not JSON ({type(exc).__name__})") from None


def parse_event(body: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> WebhookEvent:
    """The typed event in a delivery's body (raw bytes, text, or JSON already decoded).

    Does not check the signature: use :func:`heygen_async.webhooks.construct_event` (or a receiver) for
    deliveries from the network. Raises :class:`WebhookPayloadError` if the body is not a JSON object
    naming its event.
    """
    payload = body if isinstance(body, Mapping) else _loads(body)
    if not isinstance(payload, Mapping):
        raise WebhookPayloadError(f"the delivery's body is a JSON {type(payload).__name__}, not an object")
    event_type = payload.get("event_type") or payload.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookPayloadError("the delivery names no event (neither event_type nor event is a string)")
    data = payload.get("event_data")
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise WebhookPayloadError(f"the delivery's event_data is a JSON {type(data).__name__}, not an object")
    fields = {**data, "event_type": event_type}
    fields.pop("verified", None)
    cls = EVENT_CLASSES.get(event_type, UnknownEvent)
    try:
        event = converter.structure(fields, cls)
    except Exception:  # cattrs raises several types; all mean "some field is not the documented shape"
        event = _structure_leniently(cls, fields)
    object.__setattr__(event, "raw", payload)
    return event


def _structure_leniently(cls: type[WebhookEvent], fields: dict[str, Any]) -> WebhookEvent:
    """``cls`` from the fields that fit it; the others are left unset (and named in a warning, once per type)."""
    event_type = fields["event_type"]
    known = {field.name for field in attrs.fields(cls)}
    kept: dict[str, Any] = {"event_type": event_type}
    dropped: list[str] = []
    for name, value in fields.items():
        if name == "event_type":
            continue
        try:
            converter.structure({"event_type": event_type, name: value}, cls)
        except Exception:
            dropped.append(name if name in known else "?")
        else:
            kept[name] = value
    if event_type not in _misfits_logged and len(_misfits_logged) < 1000:
        _misfits_logged.add(event_type)
        logger.warning(
            "webhook event %s: field(s) %s did not fit %s and were left unset (kept in raw)",
            event_type,
            ", ".join(sorted(dropped)),
            cls.__name__,
        )
    return converter.structure(kept, cls)
