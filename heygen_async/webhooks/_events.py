"""Typed webhook events: one attrs class per HeyGen event, ``UnknownEvent`` for the rest.

A delivery is ``{"event_type": ..., "event_data": {...}}`` (v3 adds a top-level ``event_id``); HeyGen's own
n8n trigger reads ``event`` instead, so both keys name the event. Fields are structured with the client's one
converter; a field of a type HeyGen did not document is left unset (the payload keeps it; logged once per
event type) rather than an error, so a changed payload never makes a receiver refuse, or mis-type, deliveries
it used to take. HeyGen documents the payloads of the legacy events only: the classes of the events v3 added
read their job's id under the name HeyGen's v3 API gives that id, else ``id`` (``job_id_keys``), and keep
everything in ``event_data``.
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
    "V3_EVENT_TYPES",
    "AIClippingEvent",
    "AIClippingFail",
    "AIClippingSuccess",
    "AvatarVideoCaptionFail",
    "AvatarVideoCaptionSuccess",
    "AvatarVideoEvent",
    "AvatarVideoFail",
    "AvatarVideoGifFail",
    "AvatarVideoGifSuccess",
    "AvatarVideoSuccess",
    "BatchFinished",
    "HyperframesVideoEvent",
    "HyperframesVideoFail",
    "HyperframesVideoSuccess",
    "InstantAvatarEvent",
    "InstantAvatarFail",
    "InstantAvatarSuccess",
    "LiveAvatarEvent",
    "LiveAvatarFail",
    "LiveAvatarSuccess",
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
    "ProofreadCreationEvent",
    "ProofreadCreationFail",
    "ProofreadCreationSuccess",
    "UnknownEvent",
    "VideoAgentEvent",
    "VideoAgentFail",
    "VideoAgentSuccess",
    "VideoTranslateEvent",
    "VideoTranslateFail",
    "VideoTranslatePreflightDownloadFailed",
    "VideoTranslatePreflightValidationFailed",
    "VideoTranslateSuccess",
    "WebhookEvent",
    "parse_event",
]

logger = logging.getLogger("heygen_async.webhooks")

V3_EVENT_TYPES: Final = (
    "avatar_video.success",
    "avatar_video.fail",
    "avatar_video_gif.success",
    "avatar_video_gif.fail",
    "avatar_video_caption.success",
    "avatar_video_caption.fail",
    "video_translate.success",
    "video_translate.fail",
    "video_translate.preflight.validation_failed",
    "video_translate.preflight.download_failed",
    "personalized_video",
    "instant_avatar.success",
    "instant_avatar.fail",
    "photo_avatar_generation.success",
    "photo_avatar_generation.fail",
    "photo_avatar_train.success",
    "photo_avatar_train.fail",
    "photo_avatar_add_motion.success",
    "photo_avatar_add_motion.fail",
    "proofread_creation.success",
    "proofread_creation.fail",
    "live_avatar.success",
    "live_avatar.fail",
    "video_agent.success",
    "video_agent.fail",
    "hyperframes_video.success",
    "hyperframes_video.fail",
    "ai_clipping.success",
    "ai_clipping.fail",
    "batch.finished",
)
"""The 30 event names of HeyGen's v3 webhook endpoints (the enum of ``POST /v3/webhooks/endpoints``), in its
order; the legacy API's names are among them."""

_MAX_EVENT_ID: Final = 256  # an id longer than this is not HeyGen's: it does not become a delivery-log key


@attrs.frozen(kw_only=True)
class WebhookEvent(Model):
    """Base of every event. ``raw`` is the whole delivery as received; ``event_data`` its data object.

    ``event_id`` is the delivery's own id (v3: the body's top-level ``event_id``, or an event-id header the
    signature covered), None when it has none. ``verified`` says whether the delivery's signature was
    checked and good (False for unsigned ``callback_url`` deliveries a receiver was told to accept, and for
    :func:`parse_event` on its own).
    """

    event_type: str = ""
    callback_id: str | None = None
    event_id: str | None = attrs.field(default=None, eq=False)
    verified: bool = attrs.field(default=False, eq=False)

    event_types: ClassVar[tuple[str, ...]] = ()
    """The event names this class stands for."""
    job_id_keys: ClassVar[tuple[str, ...]] = ()
    """The ``event_data`` keys that may hold the id of the job the event concerns, the first one set wins."""

    @property
    def event_data(self) -> Mapping[str, Any]:
        data = self.raw.get("event_data") if isinstance(self.raw, Mapping) else None
        return data if isinstance(data, Mapping) else {}

    @property
    def job_id(self) -> str | None:
        """The id of the job (video, translation, generation, group, look, batch...) the event is about."""
        for key in self.job_id_keys:
            value = getattr(self, key, None)
            if isinstance(value, str) and value:
                return value
        return None

    @property
    def succeeded(self) -> bool | None:
        """True for ``*.success``; False for ``*.fail`` and ``*_failed``; None for events that are neither."""
        if self.event_type.endswith(".success"):
            return True
        if self.event_type.endswith((".fail", "_failed")):
            return False
        return None


@attrs.frozen(kw_only=True)
class _JobEvent(WebhookEvent):
    msg: str | None = None
    message: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None

    @property
    def reason(self) -> str | None:
        """HeyGen's words on a failure (``msg``, ``message`` or v3's ``failure_message``, whichever it sent)."""
        return self.msg or self.message or self.failure_message


@attrs.frozen(kw_only=True)
class AvatarVideoEvent(_JobEvent):
    """An avatar video (or its GIF preview, or its captioned version) finished or failed."""

    job_id_keys: ClassVar[tuple[str, ...]] = ("video_id",)
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
class AvatarVideoCaptionSuccess(AvatarVideoEvent):
    event_types: ClassVar[tuple[str, ...]] = ("avatar_video_caption.success",)


@attrs.frozen(kw_only=True)
class AvatarVideoCaptionFail(AvatarVideoEvent):
    event_types: ClassVar[tuple[str, ...]] = ("avatar_video_caption.fail",)


@attrs.frozen(kw_only=True)
class VideoTranslateEvent(_JobEvent):
    """A video translation finished, failed, or was refused before it started (the ``preflight`` events).

    ``video_translation_id`` is the id's v3 name (``POST /v3/video-translations`` returns
    ``video_translation_ids``); the legacy events call it ``video_translate_id``.
    """

    job_id_keys: ClassVar[tuple[str, ...]] = ("video_translate_id", "video_translation_id")
    video_translate_id: str | None = None
    video_translation_id: str | None = None
    url: str | None = None
    output_language: str | None = None


@attrs.frozen(kw_only=True)
class VideoTranslateSuccess(VideoTranslateEvent):
    event_types: ClassVar[tuple[str, ...]] = ("video_translate.success",)


@attrs.frozen(kw_only=True)
class VideoTranslateFail(VideoTranslateEvent):
    event_types: ClassVar[tuple[str, ...]] = ("video_translate.fail",)


@attrs.frozen(kw_only=True)
class VideoTranslatePreflightValidationFailed(VideoTranslateEvent):
    """The translation's input did not pass HeyGen's checks; nothing was translated."""

    event_types: ClassVar[tuple[str, ...]] = ("video_translate.preflight.validation_failed",)


@attrs.frozen(kw_only=True)
class VideoTranslatePreflightDownloadFailed(VideoTranslateEvent):
    """HeyGen could not download the video to translate; nothing was translated."""

    event_types: ClassVar[tuple[str, ...]] = ("video_translate.preflight.download_failed",)


@attrs.frozen(kw_only=True)
class PhotoAvatarGenerationEvent(_JobEvent):
    """A photo or look generation finished or failed."""

    job_id_keys: ClassVar[tuple[str, ...]] = ("generation_id",)
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

    job_id_keys: ClassVar[tuple[str, ...]] = ("group_id",)
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

    job_id_keys: ClassVar[tuple[str, ...]] = ("id",)
    id: str | None = None


@attrs.frozen(kw_only=True)
class PhotoAvatarAddMotionSuccess(PhotoAvatarAddMotionEvent):
    event_types: ClassVar[tuple[str, ...]] = ("photo_avatar_add_motion.success",)


@attrs.frozen(kw_only=True)
class PhotoAvatarAddMotionFail(PhotoAvatarAddMotionEvent):
    event_types: ClassVar[tuple[str, ...]] = ("photo_avatar_add_motion.fail",)


@attrs.frozen(kw_only=True)
class InstantAvatarEvent(_JobEvent):
    """An instant avatar (digital twin) was created or failed (``avatar_id``: v3's look id, else ``id``)."""

    job_id_keys: ClassVar[tuple[str, ...]] = ("avatar_id", "id")
    avatar_id: str | None = None
    id: str | None = None


@attrs.frozen(kw_only=True)
class InstantAvatarSuccess(InstantAvatarEvent):
    event_types: ClassVar[tuple[str, ...]] = ("instant_avatar.success",)


@attrs.frozen(kw_only=True)
class InstantAvatarFail(InstantAvatarEvent):
    event_types: ClassVar[tuple[str, ...]] = ("instant_avatar.fail",)


@attrs.frozen(kw_only=True)
class ProofreadCreationEvent(_JobEvent):
    """A translation's proofread (subtitles to review before rendering) is ready or failed."""

    job_id_keys: ClassVar[tuple[str, ...]] = ("proofread_id", "id")
    proofread_id: str | None = None
    id: str | None = None


@attrs.frozen(kw_only=True)
class ProofreadCreationSuccess(ProofreadCreationEvent):
    event_types: ClassVar[tuple[str, ...]] = ("proofread_creation.success",)


@attrs.frozen(kw_only=True)
class ProofreadCreationFail(ProofreadCreationEvent):
    event_types: ClassVar[tuple[str, ...]] = ("proofread_creation.fail",)


@attrs.frozen(kw_only=True)
class LiveAvatarEvent(_JobEvent):
    """A live (interactive) avatar was created or failed."""

    job_id_keys: ClassVar[tuple[str, ...]] = ("avatar_id", "id")
    avatar_id: str | None = None
    id: str | None = None


@attrs.frozen(kw_only=True)
class LiveAvatarSuccess(LiveAvatarEvent):
    event_types: ClassVar[tuple[str, ...]] = ("live_avatar.success",)


@attrs.frozen(kw_only=True)
class LiveAvatarFail(LiveAvatarEvent):
    event_types: ClassVar[tuple[str, ...]] = ("live_avatar.fail",)


@attrs.frozen(kw_only=True)
class VideoAgentEvent(_JobEvent):
    """A video agent's video finished or failed (``video_id``, else the agent's ``session_id``)."""

    job_id_keys: ClassVar[tuple[str, ...]] = ("video_id", "session_id")
    video_id: str | None = None
    session_id: str | None = None
    url: str | None = None


@attrs.frozen(kw_only=True)
class VideoAgentSuccess(VideoAgentEvent):
    event_types: ClassVar[tuple[str, ...]] = ("video_agent.success",)


@attrs.frozen(kw_only=True)
class VideoAgentFail(VideoAgentEvent):
    event_types: ClassVar[tuple[str, ...]] = ("video_agent.fail",)


@attrs.frozen(kw_only=True)
class HyperframesVideoEvent(_JobEvent):
    """A HyperFrames (HTML-composed) video finished or failed."""

    job_id_keys: ClassVar[tuple[str, ...]] = ("video_id", "id")
    video_id: str | None = None
    id: str | None = None
    url: str | None = None


@attrs.frozen(kw_only=True)
class HyperframesVideoSuccess(HyperframesVideoEvent):
    event_types: ClassVar[tuple[str, ...]] = ("hyperframes_video.success",)


@attrs.frozen(kw_only=True)
class HyperframesVideoFail(HyperframesVideoEvent):
    event_types: ClassVar[tuple[str, ...]] = ("hyperframes_video.fail",)


@attrs.frozen(kw_only=True)
class AIClippingEvent(_JobEvent):
    """An AI clipping job (clips cut from a long video) finished or failed."""

    job_id_keys: ClassVar[tuple[str, ...]] = ("ai_clipping_id", "id")
    ai_clipping_id: str | None = None
    id: str | None = None


@attrs.frozen(kw_only=True)
class AIClippingSuccess(AIClippingEvent):
    event_types: ClassVar[tuple[str, ...]] = ("ai_clipping.success",)


@attrs.frozen(kw_only=True)
class AIClippingFail(AIClippingEvent):
    event_types: ClassVar[tuple[str, ...]] = ("ai_clipping.fail",)


@attrs.frozen(kw_only=True)
class BatchFinished(_JobEvent):
    """A batch (of videos or assets) ended; its items may have ended differently, so ``succeeded`` follows
    the batch's ``status``: True for ``completed``, False for ``failed``, None otherwise."""

    event_types: ClassVar[tuple[str, ...]] = ("batch.finished",)
    job_id_keys: ClassVar[tuple[str, ...]] = ("batch_id", "id")
    batch_id: str | None = None
    id: str | None = None
    status: str | None = None

    @property
    def succeeded(self) -> bool | None:
        status = self.status.lower() if self.status else None
        return True if status == "completed" else False if status == "failed" else None


@attrs.frozen(kw_only=True)
class PersonalizedVideo(WebhookEvent):
    """A personalized video was made for one contact."""

    event_types: ClassVar[tuple[str, ...]] = ("personalized_video",)
    job_id_keys: ClassVar[tuple[str, ...]] = ("video_id",)
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
        AvatarVideoCaptionSuccess,
        AvatarVideoCaptionFail,
        VideoTranslateSuccess,
        VideoTranslateFail,
        VideoTranslatePreflightValidationFailed,
        VideoTranslatePreflightDownloadFailed,
        PersonalizedVideo,
        InstantAvatarSuccess,
        InstantAvatarFail,
        PhotoAvatarGenerationSuccess,
        PhotoAvatarGenerationFail,
        PhotoAvatarTrainSuccess,
        PhotoAvatarTrainFail,
        PhotoAvatarAddMotionSuccess,
        PhotoAvatarAddMotionFail,
        ProofreadCreationSuccess,
        ProofreadCreationFail,
        LiveAvatarSuccess,
        LiveAvatarFail,
        VideoAgentSuccess,
        VideoAgentFail,
        HyperframesVideoSuccess,
        HyperframesVideoFail,
        AIClippingSuccess,
        AIClippingFail,
        BatchFinished,
    )
    for name in cls.event_types
}
"""The class of each event name."""

KNOWN_EVENT_TYPES: Final = frozenset(V3_EVENT_TYPES)
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
    fields.pop("event_id", None)  # the delivery's id is the body's own, not one inside its data
    cls = EVENT_CLASSES.get(event_type, UnknownEvent)
    try:
        event = converter.structure(fields, cls)
    except Exception:  # cattrs raises several types; all mean "some field is not the documented shape"
        event = _structure_leniently(cls, fields)
    object.__setattr__(event, "raw", payload)
    object.__setattr__(event, "event_id", event_id_of(payload.get("event_id")))
    return event


def event_id_of(value: Any) -> str | None:
    """``value`` if it can be a delivery's id (a non-empty string of at most 256 characters), else None."""
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_EVENT_ID else None


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
