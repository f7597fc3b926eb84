"""One handler per HeyGen v3 operation: its checks, what it does to the account, and its answer's ``data``.

:data:`V3_HANDLERS` is keyed by ``"METHOD /v3/path/{param}"``, the path templates of HeyGen's OpenAPI
document (85 operations, as its CLI publishes them in July 2026); :data:`IDEMPOTENT_ROUTES` are those that
honour an ``Idempotency-Key``. The request path around them (authentication, envelopes, idempotency, faults,
counters) is ``_v3_app.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import attrs

from ._v3_checks import (
    Body,
    Page,
    V3Refusal,
    check_id_count,
    id_list,
    invalid,
    page,
    query_choice,
    query_number,
)
from ._v3_fixtures import (
    BRAND_GLOSSARIES,
    BRAND_KITS,
    EVENT_TYPES,
    GROUPS,
    IMAGES,
    LANGUAGES,
    LOOKS,
    SOUNDS,
    STYLES,
    TEMPLATES,
    TTS_ENGINE,
    VOICES,
)
from ._v3_state import (
    EVENT_NAMES,
    USERNAME,
    AgentSession,
    Asset,
    AvatarGroup,
    Batch,
    BatchItem,
    Job,
    Lipsync,
    Look,
    Proofread,
    Translation,
    V3Account,
    new_id,
)

__all__ = ["IDEMPOTENT_ROUTES", "MAX_UPLOAD_BYTES", "V3_HANDLERS", "Answer", "Upload", "V3Call"]

T = TypeVar("T")

MAX_UPLOAD_BYTES: Final = 32 * 1024 * 1024
"""``POST /v3/assets`` takes files up to 32 MB; larger ones go through direct uploads."""
MAX_DIRECT_UPLOAD_BYTES: Final = 5 * 1024**3
UPLOAD_TYPES: Final = (
    "image/png",
    "image/jpeg",
    "video/mp4",
    "video/webm",
    "audio/mpeg",
    "audio/wav",
    "audio/x-wav",
    "application/pdf",
    "application/x-subrip",
    "text/srt",
)
VIDEO_TYPES: Final = ("avatar", "image", "cinematic_avatar", "studio")
ENGINES: Final = ("avatar_iv", "avatar_v", "avatar_iii")
ASPECT_RATIOS: Final = ("16:9", "9:16", "4:5", "5:4", "1:1", "auto")
RESOLUTIONS: Final = ("4k", "1080p", "720p")
MODES: Final = ("speed", "precision")
URL_OR_ASSET: Final = ("url", "asset_id")
_CATALOGUE_KEY: Final = 10**15  # catalogue items sort before the account's own in mixed lists
_AUDIO_TEXT: Final = "x" * 167  # an audio track instead of a script: about ten seconds of video
_SHA256: Final = re.compile(r"[0-9a-f]{64}")

IDEMPOTENT_ROUTES: Final = frozenset(
    {
        "POST /v3/assets",
        "POST /v3/assets/direct-uploads",
        "POST /v3/assets/direct-uploads/batches",
        "POST /v3/avatars",
        "POST /v3/avatars/{group_id}/consent",
        "POST /v3/lipsyncs",
        "POST /v3/lipsyncs/batches",
        "POST /v3/templates/{template_id}",
        "POST /v3/video-translations",
        "POST /v3/video-translations/batches",
        "POST /v3/video-translations/proofreads",
        "POST /v3/video-translations/proofreads/{proofread_id}/generate",
        "POST /v3/videos",
        "POST /v3/webhooks/endpoints",
        "POST /v3/webhooks/endpoints/{endpoint_id}/rotate-secret",
    }
)
"""The operations HeyGen honours ``Idempotency-Key`` on (its May 2026 changelog, and later operation
descriptions); elsewhere the header is ignored (``POST /v3/background-removals`` dedups on ``request_id``)."""


@attrs.frozen
class Upload:
    """A multipart ``file`` as the app read it: its size (capped reading past the limit), type and name."""

    size: int
    content_type: str
    filename: str


@attrs.frozen
class V3Call:
    """One request as a handler sees it: the calling account, path values, query (first values), body."""

    owner: str
    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Body
    upload: Upload | None = None


@attrs.frozen
class Answer:
    """A success: ``data`` (or, for a cursor list, ``page``) and the HTTP status."""

    data: Any = None
    status: int = 200
    page: Page | None = None


V3Handler = Callable[[V3Account, V3Call], Answer]
V3_HANDLERS: dict[str, V3Handler] = {}


def route(key: str) -> Callable[[V3Handler], V3Handler]:
    def register(handler: V3Handler) -> V3Handler:
        V3_HANDLERS[key] = handler
        return handler

    return register


def whole_list(items: list[Any]) -> Answer:
    """A list answered in one page."""
    return Answer(page=Page(items, False, None))


def listing(
    items: Sequence[T],
    call: V3Call,
    default: int,
    maximum: int,
    render: Callable[[T], Any],
    *,
    key: Callable[[T], int] | None = None,
    descending: bool = True,
) -> Answer:
    """A cursor page of ``items`` (the account's own, newest first, unless ``key`` says otherwise)."""
    chunk = page(items, call.query, default=default, maximum=maximum, key=key or _seq, descending=descending)
    return Answer(page=Page([render(item) for item in chunk.items], chunk.has_more, chunk.next_token))


def _seq(item: Any) -> int:
    return int(item.seq)


def catalogue_first(catalogue: list[dict[str, Any]], own: list[Any]) -> list[tuple[int, Any]]:
    """A mixed list: the catalogue in its order, then the account's own newest first, keyed for pages."""
    return [(_CATALOGUE_KEY - i, item) for i, item in enumerate(catalogue)] + [(item.seq, item) for item in own]


def callback(body: Body) -> dict[str, Any]:
    return {"callback_url": body.url("callback_url"), "callback_id": body.text("callback_id", max_length=255)}


def media_url(source: Mapping[str, Any] | None) -> str | None:
    return None if source is None else source.get("url")


def flags(body: Body, *names: str) -> None:
    """Booleans HeyGen accepts and the emulator only type-checks."""
    for name in names:
        body.flag(name)


# -- videos ------------------------------------------------------------------------------------------------------


def audio_text(state: V3Account, owner: str, body: Body, default_voice: str | None) -> str:
    """The words the video speaks: exactly one of ``script`` (with a voice), ``audio_url``, ``audio_asset_id``."""
    script = body.text("script", max_length=5000)
    audio_url = body.url("audio_url")
    audio_asset = body.text("audio_asset_id", max_length=255)
    if sum(value is not None for value in (script, audio_url, audio_asset)) != 1:
        raise invalid(body.param("script"), "give exactly one of script, audio_url or audio_asset_id")
    if script is None:
        return _AUDIO_TEXT
    voice_id = body.text("voice_id", max_length=255) or default_voice
    if voice_id is None:
        raise invalid(body.param("voice_id"), "required with script (this avatar has no default voice)")
    voice(state, owner, voice_id, body.param("voice_id"))
    return script


def voice(state: V3Account, owner: str, voice_id: str, param: str) -> dict[str, Any]:
    try:
        return state.voice(owner, voice_id)
    except V3Refusal as exc:
        exc.param = param
        raise


def avatar(state: V3Account, owner: str, avatar_id: str, param: str) -> dict[str, Any]:
    try:
        return state.avatar_ready(owner, avatar_id)
    except V3Refusal as exc:
        exc.param = param
        raise


def speaking_video(state: V3Account, owner: str, body: Body, kind: str) -> tuple[str, str]:
    """An ``avatar`` or ``image`` video's checks; its script (or stand-in) and output format."""
    look: dict[str, Any] | None = None
    if kind == "avatar":
        look = avatar(state, owner, body.required_text("avatar_id", max_length=255), body.param("avatar_id"))
    else:
        body.media("image", required=True)
    text = audio_text(state, owner, body, look["default_voice_id"] if look else None)
    engine = body.obj("engine")
    if engine is not None:
        engine_type = engine.required_text("type", choices=ENGINES)
        if look is None and engine_type == "avatar_iii":
            raise invalid(engine.param("type"), "avatar_iii is not supported for image input")
        if look is not None and engine_type not in look["supported_api_engines"]:
            raise invalid(engine.param("type"), f"this avatar supports {', '.join(look['supported_api_engines'])}")
        engine.text("reference_look_id", max_length=255)
    output_format = body.text("output_format", choices=("mp4", "webm")) or "mp4"
    background = body.obj("background")
    if background is not None:
        if output_format == "webm":
            raise invalid(background.prefix, "not allowed with output_format webm (its background is transparent)")
        if background.required_text("type", choices=("color", "image")) == "color":
            background.required_text("value", max_length=32)
        elif background.url("url") is None and background.text("asset_id") is None:
            raise invalid(background.param("url"), "an image background needs url or asset_id")
    body.text("fit", choices=("contain", "cover"))
    body.text("expressiveness", choices=("high", "medium", "low"))
    body.text("motion_prompt", max_length=1000)
    flags(body, "remove_background")
    settings = body.obj("voice_settings")
    if settings is not None:
        settings.number("speed", minimum=0.5, maximum=2.0)
        settings.number("pitch", minimum=-50, maximum=50)
        settings.number("volume", minimum=0, maximum=1)
        settings.text("locale", max_length=32)
        settings.obj("engine_settings")
    return text, output_format


def studio_text(state: V3Account, owner: str, body: Body) -> str:
    words = []
    for scene in body.objects("scenes", required=True, min_items=1, max_items=50):
        kind = scene.required_text("type", choices=("avatar_video", "image", "video"))
        if kind == "avatar_video":
            source = scene.obj("input", required=True)
            assert source is not None  # required
            if source.required_text("type", choices=("avatar", "image")) == "avatar":
                look_id = source.required_text("avatar_id", max_length=255)
                look = avatar(state, owner, look_id, source.param("avatar_id"))
                words.append(audio_text(state, owner, source, look["default_voice_id"]))
            else:
                source.media("image", required=True)
                words.append(audio_text(state, owner, source, None))
        else:
            scene.media(kind, required=True)
            words.append("x" * 50)
    return " ".join(words)


def video_spec(state: V3Account, owner: str, body: Body) -> dict[str, Any]:
    """``POST /v3/videos``'s checks (its four ``type`` variants); what ``create_video`` needs."""
    kind = body.required_text("type", choices=VIDEO_TYPES)
    title = body.text("title", max_length=255)
    body.text("aspect_ratio", choices=ASPECT_RATIOS)
    body.text("resolution", choices=RESOLUTIONS)
    caption = body.obj("caption")
    if caption is not None:
        caption.text("file_format", choices=("srt",))
        caption.text("style", choices=("default",))
    watermark = body.obj("watermark")
    if watermark is not None:
        watermark.media("image", required=True)
        watermark.number("opacity", minimum=0, maximum=1)
        watermark.number("scale", minimum=0, maximum=10)
    output_format = "mp4"
    if kind in ("avatar", "image"):
        text, output_format = speaking_video(state, owner, body, kind)
    elif kind == "cinematic_avatar":
        text = body.required_text("prompt", max_length=10_000)
        for index, look_id in enumerate(body.texts("avatar_id", required=True, max_items=4) or []):
            avatar(state, owner, look_id, f"{body.param('avatar_id')}[{index}]")
        body.number("duration", minimum=1, maximum=60, whole=True)
        body.media_list("references", max_items=10)
        flags(body, "auto_duration", "enhance_prompt")
    else:
        text = studio_text(state, owner, body)
    hooks = callback(body) if kind != "cinematic_avatar" else {"callback_url": None, "callback_id": None}
    return {
        "source": kind,
        "text": text,
        "fails": state.fails(text, title),
        "title": title,
        "output_format": output_format,
        "caption": caption is not None,
        **hooks,
    }


@route("POST /v3/videos")
def create_video(state: V3Account, call: V3Call) -> Answer:
    video = state.create_video(call.owner, **video_spec(state, call.owner, call.body))
    return Answer({"video_id": video.id, "status": "waiting", "output_format": video.output_format})


@route("GET /v3/videos")
def list_videos(state: V3Account, call: V3Call) -> Answer:
    videos = state.mine(state.videos, call.owner)
    folder = call.query.get("folder_id")
    if folder:
        videos = [v for v in videos if v.folder_id == folder]
    title = (call.query.get("title") or "").lower()
    if title:
        videos = [v for v in videos if title in (v.title or "").lower()]
    return listing(videos, call, 10, 100, state.video_json)


@route("GET /v3/videos/{video_id}")
def get_video(state: V3Account, call: V3Call) -> Answer:
    return Answer(
        state.video_json(state.owned(state.videos, call.owner, call.path["video_id"], "Video", "video_not_found"))
    )


@route("DELETE /v3/videos/{video_id}")
def delete_video(state: V3Account, call: V3Call) -> Answer:
    video = state.owned(state.videos, call.owner, call.path["video_id"], "Video", "video_not_found")
    state.forget(state.videos, video)
    return Answer({"id": video.id, "deleted": True})


def start_video_item(state: V3Account, owner: str, batch: Batch, item: BatchItem) -> None:
    video = state.create_video(owner, **item.payload, batch_id=batch.id, item_index=item.index)
    item.job_id = video.id


def batch_answer(batch: Batch) -> Answer:
    return Answer({"batch_id": batch.id, "status": batch.status, "total_items": len(batch.items)}, status=202)


@route("POST /v3/videos/batches")
def create_video_batch(state: V3Account, call: V3Call) -> Answer:
    payloads = [
        video_spec(state, call.owner, item)
        for item in call.body.objects("videos", required=True, min_items=1, max_items=100)
    ]
    batch = state.create_batch(
        call.owner,
        "video",
        payloads,
        start_video_item,
        title=call.body.text("title", max_length=255),
        callback_url=call.body.url("callback_url"),
    )
    return batch_answer(batch)


def batch_page(state: V3Account, call: V3Call, kind: str) -> Answer:
    batch = state.owned(state.batches, call.owner, call.path["batch_id"], "Batch")
    if batch.kind != kind:
        raise V3Refusal(404, "not_found", f"Batch not found: {batch.id}")
    chunk = page(batch.items, call.query, default=100, maximum=100, key=lambda item: item.index)
    return Answer({**state.batch_json(batch, chunk.items), "has_more": chunk.has_more, "next_token": chunk.next_token})


@route("GET /v3/videos/batches/{batch_id}")
def get_video_batch(state: V3Account, call: V3Call) -> Answer:
    return batch_page(state, call, "video")


def bulk_statuses(state: V3Account, call: V3Call, store: Mapping[str, Job], ids_name: str, kind: str) -> Answer:
    ids, batch_ids = id_list(call.query, ids_name), id_list(call.query, "batch_ids")
    check_id_count((ids_name, ids), ("batch_ids", batch_ids))
    return whole_list(state.statuses(call.owner, store, ids, batch_ids, kind))


@route("GET /v3/videos/statuses")
def video_statuses(state: V3Account, call: V3Call) -> Answer:
    return bulk_statuses(state, call, state.videos, "video_ids", "video")


# -- templates ---------------------------------------------------------------------------------------------------


def template(template_id: str) -> dict[str, Any]:
    for item in TEMPLATES:
        if item["id"] == template_id:
            return item
    raise V3Refusal(404, "not_found", f"Template not found: {template_id}")


@route("GET /v3/templates")
def list_templates(state: V3Account, call: V3Call) -> Answer:
    fields = ("id", "name", "aspect_ratio", "thumbnail_url", "created_at", "updated_at")
    return listing(
        list(enumerate(TEMPLATES)),
        call,
        10,
        100,
        lambda pair: {name: pair[1][name] for name in fields},
        key=lambda pair: pair[0],
        descending=False,
    )


@route("GET /v3/templates/{template_id}")
def get_template(state: V3Account, call: V3Call) -> Answer:
    return Answer(template(call.path["template_id"]))


@route("POST /v3/templates/{template_id}")
def generate_from_template(state: V3Account, call: V3Call) -> Answer:
    found = template(call.path["template_id"])
    body = call.body
    variables = body.obj("variables", required=True)
    assert variables is not None  # required
    words = []
    for name, value in variables.data.items():
        if name not in found["variables"]:
            raise invalid(variables.param(name), f"the template has no variable {name!r}")
        if not isinstance(value, dict):
            raise invalid(variables.param(name), "expected an object")
        content = value.get("properties", {}).get("content") if isinstance(value.get("properties"), dict) else None
        words.append(str(content or ""))
    for index, scene_id in enumerate(body.texts("scene_ids", max_items=50) or []):
        if scene_id not in found["scene_ids"]:
            raise invalid(f"scene_ids[{index}]", f"the template has no scene {scene_id!r}")
    dimension = body.obj("dimension")
    if dimension is not None:
        dimension.number("width", minimum=128, maximum=4096, whole=True)
        dimension.number("height", minimum=128, maximum=4096, whole=True)
    body.number("fps", minimum=1, maximum=60)
    body.text("brand_voice_id", max_length=255)
    flags(body, "enable_sharing", "keep_text_vertically_centered", "reorder_music")
    title = body.text("title", max_length=255)
    text = " ".join(words).strip() or "template"
    video = state.create_video(
        call.owner,
        source="template",
        text=text,
        fails=state.fails(text, title),
        title=title,
        caption=bool(body.flag("caption")),
        include_gif=bool(body.flag("include_gif")),
        folder_id=body.text("folder_id", max_length=255),
        **callback(body),
    )
    return Answer(state.video_json(video))


# -- translations and proofreads ----------------------------------------------------------------------------------


def translation_spec(state: V3Account, body: Body) -> tuple[list[str], dict[str, Any]]:
    video = body.media("video", required=True, kinds=URL_OR_ASSET)
    languages = body.texts("output_languages", required=True, choices=LANGUAGES, max_items=len(LANGUAGES)) or []
    body.text("mode", choices=MODES)
    body.media("srt", kinds=URL_OR_ASSET)
    body.media("audio", kinds=URL_OR_ASSET)
    body.text("srt_role", choices=("input", "output"))
    body.text("fps_mode", choices=("vfr", "cfr", "passthrough"))
    body.number("speaker_num", minimum=1, maximum=10, whole=True)
    body.number("start_time", minimum=0)
    body.number("end_time", minimum=0)
    body.text("brand_glossary_id", max_length=255)
    body.text("brand_voice_id", max_length=255)
    body.text("folder_id", max_length=255)
    body.obj("stock_voice_config")
    flags(
        body,
        "disable_music_track",
        "enable_dynamic_duration",
        "enable_speech_enhancement",
        "enable_watermark",
        "keep_the_same_format",
    )
    title = body.text("title", max_length=255)
    fields = {
        "title": title,
        "input_language": body.text("input_language", max_length=64),
        "translate_audio_only": bool(body.flag("translate_audio_only")),
        "enable_caption": bool(body.flag("enable_caption")),
        "texts": (media_url(video), title),
        **callback(body),
    }
    return languages, fields


@route("POST /v3/video-translations")
def create_translation(state: V3Account, call: V3Call) -> Answer:
    languages, fields = translation_spec(state, call.body)
    jobs = state.create_translations(call.owner, languages, **fields)
    return Answer({"video_translation_ids": [job.id for job in jobs]})


@route("GET /v3/video-translations")
def list_translations(state: V3Account, call: V3Call) -> Answer:
    return listing(state.mine(state.translations, call.owner), call, 10, 100, state.translation_json)


def own_translation(state: V3Account, call: V3Call) -> Translation:
    return state.owned(state.translations, call.owner, call.path["video_translation_id"], "Video translation")


@route("GET /v3/video-translations/{video_translation_id}")
def get_translation(state: V3Account, call: V3Call) -> Answer:
    return Answer(state.translation_json(own_translation(state, call)))


@route("PATCH /v3/video-translations/{video_translation_id}")
def rename_translation(state: V3Account, call: V3Call) -> Answer:
    job = own_translation(state, call)
    job.title = call.body.required_text("title", max_length=255)
    return Answer(state.translation_json(job))


@route("DELETE /v3/video-translations/{video_translation_id}")
def delete_translation(state: V3Account, call: V3Call) -> Answer:
    job = own_translation(state, call)
    state.forget(state.translations, job)
    return Answer({"id": job.id})


@route("GET /v3/video-translations/languages")
def translation_languages(state: V3Account, call: V3Call) -> Answer:
    return Answer({"languages": list(LANGUAGES)})


def start_translation_item(state: V3Account, owner: str, batch: Batch, item: BatchItem) -> None:
    language, fields = item.payload
    (job,) = state.create_translations(owner, [language], batch_id=batch.id, item_index=item.index, **fields)
    item.job_id = job.id


@route("POST /v3/video-translations/batches")
def create_translation_batch(state: V3Account, call: V3Call) -> Answer:
    payloads: list[tuple[str, dict[str, Any]]] = []
    for item in call.body.objects("video_translations", required=True, min_items=1, max_items=100):
        languages, fields = translation_spec(state, item)
        payloads.extend((language, fields) for language in languages)
    batch = state.create_batch(
        call.owner,
        "translation",
        payloads,
        start_translation_item,
        title=call.body.text("title", max_length=255),
        callback_url=call.body.url("callback_url"),
    )
    return batch_answer(batch)


@route("GET /v3/video-translations/batches/{batch_id}")
def get_translation_batch(state: V3Account, call: V3Call) -> Answer:
    return batch_page(state, call, "translation")


@route("GET /v3/video-translations/statuses")
def translation_statuses(state: V3Account, call: V3Call) -> Answer:
    return bulk_statuses(state, call, state.translations, "video_translation_ids", "translation")


@route("POST /v3/video-translations/proofreads")
def create_proofread(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    video = body.media("video", required=True, kinds=URL_OR_ASSET)
    languages = body.texts("output_languages", required=True, choices=LANGUAGES, max_items=len(LANGUAGES)) or []
    title = body.required_text("title", max_length=255)
    body.text("mode", choices=MODES)
    body.media("srt", kinds=URL_OR_ASSET)
    body.number("speaker_num", minimum=1, maximum=10, whole=True)
    body.text("brand_glossary_id", max_length=255)
    body.text("brand_voice_id", max_length=255)
    body.text("folder_id", max_length=255)
    flags(body, "disable_music_track", "enable_speech_enhancement", "enable_video_stretching", "keep_the_same_format")
    jobs = state.create_proofreads(
        call.owner,
        languages,
        title=title,
        input_language=body.text("input_language", max_length=64),
        fails=state.fails(media_url(video), title),
    )
    return Answer({"proofread_ids": [job.id for job in jobs], "status": "processing"})


def own_proofread(state: V3Account, call: V3Call, *, completed: bool = False) -> Proofread:
    job = state.owned(state.proofreads, call.owner, call.path["proofread_id"], "Proofread")
    if completed and job.status != "completed":
        raise V3Refusal(409, "conflict", f"The proofread is {job.status}; its subtitles are not ready")
    return job


@route("GET /v3/video-translations/proofreads/{proofread_id}")
def get_proofread(state: V3Account, call: V3Call) -> Answer:
    return Answer(state.proofread_json(own_proofread(state, call)))


@route("GET /v3/video-translations/proofreads/{proofread_id}/srt")
def proofread_srt(state: V3Account, call: V3Call) -> Answer:
    job = own_proofread(state, call, completed=True)
    return Answer(
        {
            "srt_url": state.media("caption", f"{job.id}.v{job.srt_version}.srt"),
            "original_srt_url": state.media("caption", f"{job.id}.original.srt"),
        }
    )


@route("PUT /v3/video-translations/proofreads/{proofread_id}/srt")
def replace_proofread_srt(state: V3Account, call: V3Call) -> Answer:
    job = own_proofread(state, call, completed=True)
    call.body.media("srt", required=True, kinds=URL_OR_ASSET)
    job.srt_version += 1
    return Answer(state.proofread_json(job))


@route("POST /v3/video-translations/proofreads/{proofread_id}/generate")
def generate_from_proofread(state: V3Account, call: V3Call) -> Answer:
    job = own_proofread(state, call, completed=True)
    body = call.body
    (translation,) = state.create_translations(
        call.owner,
        [job.output_language],
        texts=(job.title,),
        title=job.title,
        input_language=job.input_language,
        translate_audio_only=bool(body.flag("translate_audio_only")),
        enable_caption=bool(body.flag("captions")),
        proofread_id=job.id,
        **callback(body),
    )
    return Answer({"video_translation_id": translation.id, "status": "processing"})


# -- lipsyncs -------------------------------------------------------------------------------------------------


def lipsync_spec(state: V3Account, body: Body) -> dict[str, Any]:
    video = body.media("video", required=True, kinds=URL_OR_ASSET)
    audio = body.media("audio", required=True, kinds=URL_OR_ASSET)
    body.text("mode", choices=MODES)
    start = body.number("start_time", minimum=0)
    end = body.number("end_time", minimum=0)
    if start is not None and end is not None and end <= start:
        raise invalid(body.param("end_time"), "must be after start_time")
    body.text("fps_mode", max_length=32)
    flags(
        body,
        "disable_music_track",
        "enable_dynamic_duration",
        "enable_speech_enhancement",
        "enable_watermark",
        "keep_the_same_format",
    )
    title = body.text("title", max_length=255)
    return {
        "title": title,
        "enable_caption": bool(body.flag("enable_caption")),
        "folder_id": body.text("folder_id", max_length=255),
        "duration": round(end - (start or 0.0), 2) if end is not None else 30.0,
        "fails": state.fails(media_url(video), media_url(audio), title),
        **callback(body),
    }


@route("POST /v3/lipsyncs")
def create_lipsync(state: V3Account, call: V3Call) -> Answer:
    return Answer({"lipsync_id": state.create_lipsync(call.owner, **lipsync_spec(state, call.body)).id})


@route("GET /v3/lipsyncs")
def list_lipsyncs(state: V3Account, call: V3Call) -> Answer:
    return listing(state.mine(state.lipsyncs, call.owner), call, 10, 100, state.lipsync_json)


def own_lipsync(state: V3Account, call: V3Call) -> Lipsync:
    return state.owned(state.lipsyncs, call.owner, call.path["lipsync_id"], "Lipsync")


@route("GET /v3/lipsyncs/{lipsync_id}")
def get_lipsync(state: V3Account, call: V3Call) -> Answer:
    return Answer(state.lipsync_json(own_lipsync(state, call)))


@route("PATCH /v3/lipsyncs/{lipsync_id}")
def rename_lipsync(state: V3Account, call: V3Call) -> Answer:
    job = own_lipsync(state, call)
    job.title = call.body.required_text("title", max_length=255)
    return Answer(state.lipsync_json(job))


@route("DELETE /v3/lipsyncs/{lipsync_id}")
def delete_lipsync(state: V3Account, call: V3Call) -> Answer:
    job = own_lipsync(state, call)
    state.forget(state.lipsyncs, job)
    return Answer({"id": job.id})


def start_lipsync_item(state: V3Account, owner: str, batch: Batch, item: BatchItem) -> None:
    item.job_id = state.create_lipsync(owner, batch_id=batch.id, item_index=item.index, **item.payload).id


@route("POST /v3/lipsyncs/batches")
def create_lipsync_batch(state: V3Account, call: V3Call) -> Answer:
    payloads = [
        lipsync_spec(state, item) for item in call.body.objects("lipsyncs", required=True, min_items=1, max_items=100)
    ]
    batch = state.create_batch(
        call.owner,
        "lipsync",
        payloads,
        start_lipsync_item,
        title=call.body.text("title", max_length=255),
        callback_url=call.body.url("callback_url"),
    )
    return batch_answer(batch)


@route("GET /v3/lipsyncs/batches/{batch_id}")
def get_lipsync_batch(state: V3Account, call: V3Call) -> Answer:
    return batch_page(state, call, "lipsync")


@route("GET /v3/lipsyncs/statuses")
def lipsync_statuses(state: V3Account, call: V3Call) -> Answer:
    return bulk_statuses(state, call, state.lipsyncs, "lipsync_ids", "lipsync")


# -- the Video Agent ------------------------------------------------------------------------------------------


def agent_extras(state: V3Account, owner: str, body: Body) -> list[dict[str, Any]]:
    """The optional avatar, voice, brand kit and files of an agent request, checked; the files."""
    avatar_id = body.text("avatar_id", max_length=255)
    if avatar_id is not None:
        avatar(state, owner, avatar_id, body.param("avatar_id"))
    voice_id = body.text("voice_id", max_length=255)
    if voice_id is not None:
        voice(state, owner, voice_id, body.param("voice_id"))
    kit = body.text("brand_kit_id", max_length=255)
    if kit is not None and kit not in {k["brand_kit_id"] for k in BRAND_KITS}:
        raise V3Refusal(404, "not_found", f"Brand kit not found: {kit}", param=body.param("brand_kit_id"))
    return body.media_list("files", max_items=20)


def add_files(state: V3Account, session: AgentSession, files: list[dict[str, Any]]) -> None:
    for file in files:
        resource_id = new_id()
        session.resources[resource_id] = {
            "resource_id": resource_id,
            "resource_type": "image" if str(file.get("media_type", "image")).startswith("image") else "file",
            "source_type": "user_uploaded",
            "url": file.get("url") or state.media("asset", str(file.get("asset_id") or resource_id)),
            "preview_url": None,
            "thumbnail_url": None,
            "metadata": {"type": file["type"]},
            "created_at": state.unix(state.now),
        }


@route("POST /v3/video-agents")
def create_agent_session(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    prompt = body.required_text("prompt", max_length=10_000)
    mode = body.text("mode", choices=("generate", "chat")) or "generate"
    style = body.text("style_id", max_length=255)
    if style is not None and style not in {s["style_id"] for s in STYLES}:
        raise V3Refusal(404, "not_found", f"Style not found: {style}", param="style_id")
    body.text("orientation", choices=("landscape", "portrait"))
    flags(body, "incognito_mode")
    files = agent_extras(state, call.owner, body)
    session = state.create_session(
        call.owner, mode=mode, prompt=prompt, fails=state.fails(prompt), title=prompt[:60], **callback(body)
    )
    add_files(state, session, files)
    return Answer(
        {
            "session_id": session.id,
            "status": session.status,
            "video_id": session.video_id,
            "created_at": state.unix(session.created_at),
        }
    )


@route("GET /v3/video-agents")
def list_agent_sessions(state: V3Account, call: V3Call) -> Answer:
    return listing(
        state.mine(state.sessions, call.owner),
        call,
        20,
        100,
        lambda s: {"session_id": s.id, "title": s.title, "created_at": state.unix(s.created_at)},
    )


def own_session(state: V3Account, call: V3Call) -> AgentSession:
    return state.owned(state.sessions, call.owner, call.path["session_id"], "Video Agent session")


@route("GET /v3/video-agents/{session_id}")
def get_agent_session(state: V3Account, call: V3Call) -> Answer:
    return Answer(state.session_json(own_session(state, call)))


@route("POST /v3/video-agents/{session_id}")
def message_agent_session(state: V3Account, call: V3Call) -> Answer:
    session = own_session(state, call)
    message = call.body.required_text("message", max_length=10_000)
    files = agent_extras(state, call.owner, call.body)
    run_id = state.continue_session(session, message)
    add_files(state, session, files)
    return Answer({"session_id": session.id, "run_id": run_id, "title": session.title})


@route("POST /v3/video-agents/{session_id}/stop")
def stop_agent_session(state: V3Account, call: V3Call) -> Answer:
    session = own_session(state, call)
    state.stop_session(session)
    return Answer({"session_id": session.id})


@route("GET /v3/video-agents/{session_id}/videos")
def agent_session_videos(state: V3Account, call: V3Call) -> Answer:
    session = own_session(state, call)
    videos = [state.videos[i] for i in reversed(session.video_ids) if i in state.videos]
    return whole_list([state.video_json(video) for video in videos])


@route("GET /v3/video-agents/{session_id}/resources/{resource_id}")
def agent_session_resource(state: V3Account, call: V3Call) -> Answer:
    session = own_session(state, call)
    resource = session.resources.get(call.path["resource_id"])
    if resource is None:
        raise V3Refusal(404, "not_found", f"Resource not found: {call.path['resource_id']}")
    return Answer(resource)


@route("GET /v3/video-agents/styles")
def agent_styles(state: V3Account, call: V3Call) -> Answer:
    tag = call.query.get("tag")
    styles = [(i, s) for i, s in enumerate(STYLES) if not tag or tag in s["tags"]]
    return listing(styles, call, 20, 100, lambda pair: pair[1], key=lambda pair: pair[0], descending=False)


# -- avatars --------------------------------------------------------------------------------------------------


def public_group(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": group["id"],
        "name": group["name"],
        "status": "completed",
        "consent_status": None,
        "looks_count": len(group["looks"]),
        "default_voice_id": group["default_voice_id"],
        "gender": group["gender"],
        "preview_image_url": next(look["preview_image_url"] for look in LOOKS if look["id"] == group["looks"][0]),
        "preview_video_url": None,
        "created_at": 1_700_000_000,
        "error": None,
    }


def catalogue_entry(items: Sequence[dict[str, Any]], key: str, value: str) -> dict[str, Any] | None:
    return next((item for item in items if item[key] == value), None)


@route("POST /v3/avatars")
def create_avatar(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    kind = body.required_text("type", choices=("photo", "digital_twin", "prompt"))
    name = body.required_text("name", max_length=255)
    texts: list[Any] = [name]
    if kind == "prompt":
        texts.append(body.required_text("prompt", max_length=2000))
        reference = body.text("avatar_id", max_length=255)
        if reference is not None:
            avatar(state, call.owner, reference, "avatar_id")
        body.media_list("reference_images", max_items=5)
    else:
        texts.append(media_url(body.media("file", required=True)))
    group: AvatarGroup | None = None
    group_id = body.text("avatar_group_id", max_length=255)
    if group_id is not None:
        group = state.owned(state.groups, call.owner, group_id, "Avatar group", "avatar_not_found")
        if (group.kind == "digital_twin") != (kind == "digital_twin"):
            raise invalid("avatar_group_id", f"this group holds {group.kind} avatars, not {kind}")
    look = state.create_avatar(call.owner, kind, name, group, state.fails(*texts))
    return Answer({"avatar_group": state.group_json(state.groups[look.group_id]), "avatar_item": state.look_json(look)})


@route("GET /v3/avatars")
def list_avatar_groups(state: V3Account, call: V3Call) -> Answer:
    ownership = query_choice(call.query, "ownership", ("public", "private"))
    catalogue = GROUPS if ownership != "private" else []
    own = state.mine(state.groups, call.owner) if ownership != "public" else []
    return listing(
        catalogue_first(catalogue, own),
        call,
        20,
        50,
        lambda pair: public_group(pair[1]) if isinstance(pair[1], dict) else state.group_json(pair[1]),
        key=lambda pair: pair[0],
    )


def any_group(state: V3Account, call: V3Call) -> dict[str, Any] | AvatarGroup:
    """The catalogue's group (a dict) or the account's own; ``avatar_not_found`` otherwise."""
    group_id = call.path["group_id"]
    public = catalogue_entry(GROUPS, "id", group_id)
    if public is not None:
        return public
    return state.owned(state.groups, call.owner, group_id, "Avatar group", "avatar_not_found")


def own_group(state: V3Account, call: V3Call) -> AvatarGroup:
    """The account's own group; the catalogue's cannot be changed."""
    group = any_group(state, call)
    if isinstance(group, dict):
        raise not_yours("avatar group")
    return group


def not_yours(what: str) -> V3Refusal:
    return V3Refusal(403, "resource_access_denied", f"This {what} is HeyGen's public catalogue; it cannot be changed")


@route("GET /v3/avatars/{group_id}")
def get_avatar_group(state: V3Account, call: V3Call) -> Answer:
    group = any_group(state, call)
    return Answer(public_group(group) if isinstance(group, dict) else state.group_json(group))


@route("DELETE /v3/avatars/{group_id}")
def delete_avatar_group(state: V3Account, call: V3Call) -> Answer:
    group = own_group(state, call)
    state.delete_group(group)
    return Answer({"id": group.id})


@route("POST /v3/avatars/{group_id}/consent")
def avatar_consent(state: V3Account, call: V3Call) -> Answer:
    group = own_group(state, call)
    if group.kind != "digital_twin":
        raise V3Refusal(409, "conflict", "Only digital twin avatars need consent")
    body = call.body
    body.url("reroute_url")
    body.text("consent_text", max_length=5000)
    video = body.media("consent_video")
    url = None
    if video is not None:
        state.approve_consent(group)
    elif group.consent_status != "approved":
        url = f"{state.legacy.public_url}/_emulator/v3/consent/{group.id}"
    return Answer({"url": url, "avatar_group": state.group_json(group)})


@route("GET /v3/avatars/looks")
def list_looks(state: V3Account, call: V3Call) -> Answer:
    group_id = call.query.get("group_id")
    avatar_type = query_choice(call.query, "avatar_type", ("studio_avatar", "digital_twin", "photo_avatar"))
    ownership = query_choice(call.query, "ownership", ("public", "private"))
    catalogue = LOOKS if ownership != "private" else []
    own = state.mine(state.looks, call.owner) if ownership != "public" else []
    pairs = [
        (key, item)
        for key, item in catalogue_first(catalogue, own)
        if (not group_id or _field(item, "group_id") == group_id)
        and (not avatar_type or _field(item, "avatar_type") == avatar_type)
    ]
    return listing(
        pairs,
        call,
        20,
        50,
        lambda pair: pair[1] if isinstance(pair[1], dict) else state.look_json(pair[1]),
        key=lambda pair: pair[0],
    )


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


def any_look(state: V3Account, call: V3Call) -> dict[str, Any] | Look:
    """The catalogue's look (a dict) or the account's own; ``avatar_not_found`` otherwise."""
    look_id = call.path["look_id"]
    public = catalogue_entry(LOOKS, "id", look_id)
    if public is not None:
        return public
    return state.owned(state.looks, call.owner, look_id, "Avatar look", "avatar_not_found")


def own_look(state: V3Account, call: V3Call) -> Look:
    look = any_look(state, call)
    if isinstance(look, dict):
        raise not_yours("avatar look")
    return look


@route("GET /v3/avatars/looks/{look_id}")
def get_look(state: V3Account, call: V3Call) -> Answer:
    look = any_look(state, call)
    return Answer(look if isinstance(look, dict) else state.look_json(look))


@route("PATCH /v3/avatars/looks/{look_id}")
def rename_look(state: V3Account, call: V3Call) -> Answer:
    look = own_look(state, call)
    name = call.body.text("name", max_length=255)
    if name is not None:
        look.name = name
    return Answer(state.look_json(look))


@route("DELETE /v3/avatars/looks/{look_id}")
def delete_look(state: V3Account, call: V3Call) -> Answer:
    look = own_look(state, call)
    state.delete_look(look)
    return Answer({"id": look.id})


# -- voices ---------------------------------------------------------------------------------------------------


def voice_summary(item: dict[str, Any]) -> dict[str, Any]:
    fields = ("voice_id", "name", "language", "gender", "type", "support_pause", "support_locale", "preview_audio_url")
    return {name: item.get(name) for name in fields}


@route("GET /v3/voices")
def list_voices(state: V3Account, call: V3Call) -> Answer:
    kind = query_choice(call.query, "type", ("public", "private")) or "public"
    if kind == "public":
        items = [dict(v) for v in VOICES]
    else:
        items = [state.voice_json(v) for v in state.mine(state.voices, call.owner)]
    for name in ("engine", "language", "gender"):
        wanted = call.query.get(name)
        if wanted:
            items = [item for item in items if str(item.get(name) or "").lower() == wanted.lower()]
    keyed = list(enumerate(items))
    return listing(
        keyed, call, 20, 100, lambda pair: voice_summary(pair[1]), key=lambda pair: pair[0], descending=False
    )


@route("GET /v3/voices/{voice_id}")
def get_voice(state: V3Account, call: V3Call) -> Answer:
    return Answer(state.voice(call.owner, call.path["voice_id"]))


@route("POST /v3/voices")
def design_voices(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    prompt = body.required_text("prompt", max_length=1000)
    gender = body.text("gender", choices=("male", "female"))
    locale = body.text("locale", max_length=32)
    seed = body.number("seed", minimum=0, maximum=2**31 - 1, whole=True)
    seed_value = int(seed) if seed is not None else int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:3], "big")
    voices = [
        state.create_voice(
            call.owner,
            f"Designed voice {index + 1}",
            clone=False,
            gender=gender or "female",
            language=locale or "en-US",
        )
        for index in range(3)
    ]
    return Answer({"voices": [voice_summary(state.voice_json(v)) for v in voices], "seed": seed_value})


@route("POST /v3/voices/clone")
def clone_voice(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    audio = body.media("audio", required=True)
    name = body.required_text("voice_name", max_length=100)
    flags(body, "remove_background_noise")
    created = state.create_voice(
        call.owner,
        name,
        clone=True,
        fails=state.fails(name, media_url(audio)),
        language=body.text("language", max_length=64),
    )
    return Answer({"voice_clone_id": created.id})


@route("DELETE /v3/voices/{voice_id}")
def delete_voice(state: V3Account, call: V3Call) -> Answer:
    own = state.owned(state.voices, call.owner, call.path["voice_id"], "Voice", "voice_not_found")
    del state.voices[own.id]
    return Answer({"voice_id": own.id})


@route("POST /v3/voices/speech")
def speech(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    text = body.required_text("text", max_length=5000)
    voice_id = body.required_text("voice_id", max_length=255)
    body.text("input_type", choices=("text", "ssml"))
    speed = body.number("speed", minimum=0.5, maximum=2.0) or 1.0
    body.text("language", max_length=64)
    body.text("locale", max_length=32)
    found = voice(state, call.owner, voice_id, "voice_id")
    if found.get("engine") != TTS_ENGINE:
        raise invalid("voice_id", f"speech needs a {TTS_ENGINE} voice (GET /v3/voices?engine={TTS_ENGINE})")
    if found.get("status", "complete") != "complete":
        raise invalid("voice_id", f"the voice is {found['status']}, not ready")
    request_id = new_id()
    timestamps = []
    words: list[tuple[float, float]] = []
    clock = 0.0
    for word in text.split():
        length = round(max(0.15, len(word) * 0.06) / speed, 3)
        words.append((round(clock, 3), round(clock + length, 3)))
        timestamps.append({"word": word, "start": words[-1][0], "end": words[-1][1]})
        clock += length + 0.05
    return Answer(
        {
            "audio_url": state.keep_speech(request_id, words, round(clock, 3)),
            "duration": round(clock, 3),
            "word_timestamps": timestamps,
            "request_id": request_id,
        }
    )


# -- assets ---------------------------------------------------------------------------------------------------


@route("POST /v3/assets")
def upload_asset(state: V3Account, call: V3Call) -> Answer:
    upload = call.upload
    if upload is None:
        raise invalid("file", "field required (a multipart/form-data body with a 'file' part)")
    if upload.size > MAX_UPLOAD_BYTES:
        raise V3Refusal(
            413, "payload_too_large", f"The file is over {MAX_UPLOAD_BYTES} bytes; use direct uploads", param="file"
        )
    if upload.size == 0:
        raise invalid("file", "the file is empty")
    if upload.content_type not in UPLOAD_TYPES:
        raise invalid("file", f"unsupported type {upload.content_type!r}")
    asset = state.create_asset(
        call.owner,
        status="completed",
        name=upload.filename,
        mime_type=upload.content_type,
        size=upload.size,
        uploaded_size=upload.size,
    )
    asset.completed_at = state.now
    return Answer(
        {
            "asset_id": asset.id,
            "url": state.media("asset", asset.id),
            "mime_type": asset.mime_type,
            "size_bytes": asset.size,
        }
    )


def upload_spec(body: Body) -> dict[str, Any]:
    checksum = body.text("checksum_sha256", max_length=64)
    if checksum is not None and _SHA256.fullmatch(checksum) is None:
        raise invalid(body.param("checksum_sha256"), "expected 64 lower-case hex digits")
    size = body.number("size_bytes", minimum=1, maximum=MAX_DIRECT_UPLOAD_BYTES, whole=True)
    if size is None:
        raise invalid(body.param("size_bytes"), "field required")
    return {
        "name": body.required_text("filename", max_length=255),
        "mime_type": body.required_text("content_type", choices=UPLOAD_TYPES),
        "size": int(size),
        "checksum": checksum,
    }


@route("POST /v3/assets/direct-uploads")
def direct_upload(state: V3Account, call: V3Call) -> Answer:
    asset = state.create_asset(call.owner, status="pending_upload", **upload_spec(call.body))
    return Answer(state.upload_slot(asset))


def asset_done(state: V3Account, asset: Asset) -> dict[str, Any]:
    return {
        "asset_id": asset.id,
        "url": state.media("asset", asset.id),
        "mime_type": asset.mime_type,
        "size_bytes": asset.size,
        "status": asset.status,
    }


@route("POST /v3/assets/{asset_id}/complete")
def complete_upload(state: V3Account, call: V3Call) -> Answer:
    asset = state.owned(state.assets, call.owner, call.path["asset_id"], "Asset")
    checksum = upload_spec_checksum(call.body)
    if checksum is not None and asset.status == "pending_upload":
        if asset.checksum is not None and asset.checksum != checksum:
            raise invalid("checksum_sha256", "differs from the one given when the upload was requested")
        asset.checksum = checksum
    state.complete_asset(asset)
    return Answer(asset_done(state, asset))


def upload_spec_checksum(body: Body) -> str | None:
    checksum = body.text("checksum_sha256", max_length=64)
    if checksum is not None and _SHA256.fullmatch(checksum) is None:
        raise invalid("checksum_sha256", "expected 64 lower-case hex digits")
    return checksum


@route("POST /v3/assets/direct-uploads/batches")
def direct_upload_batch(state: V3Account, call: V3Call) -> Answer:
    specs = [upload_spec(item) for item in call.body.objects("files", required=True, min_items=1, max_items=100)]
    batch = state.create_batch(
        call.owner,
        "asset",
        specs,
        None,
        title=call.body.text("title", max_length=255),
        callback_url=call.body.url("callback_url"),
    )
    slots = []
    for item in batch.items:
        asset = state.create_asset(
            call.owner, status="pending_upload", batch_id=batch.id, item_index=item.index, **item.payload
        )
        item.job_id = asset.id
        slots.append(state.upload_slot(asset))
    return Answer({"batch_id": batch.id, "items": slots})


@route("POST /v3/assets/complete/batches")
def complete_upload_batch(state: V3Account, call: V3Call) -> Answer:
    batch_id = call.body.required_text("batch_id", max_length=255)
    batch = state.owned(state.batches, call.owner, batch_id, "Batch")
    if batch.kind != "asset":
        raise V3Refusal(404, "not_found", f"Asset batch not found: {batch_id}")
    for item in batch.items:
        asset = state.assets.get(item.job_id or "")
        if asset is None:
            continue
        try:
            state.complete_asset(asset)
        except V3Refusal as exc:  # one bad file fails its item, not the batch
            asset.status = "failed"
            asset.failure_code, asset.failure_message = exc.code, exc.message
    state.batch_moved(batch)
    return batch_answer(batch)


@route("GET /v3/assets/batches/{batch_id}")
def get_asset_batch(state: V3Account, call: V3Call) -> Answer:
    return batch_page(state, call, "asset")


@route("GET /v3/assets/statuses")
def asset_statuses(state: V3Account, call: V3Call) -> Answer:
    return bulk_statuses(state, call, state.assets, "asset_ids", "asset")


@route("GET /v3/assets")
def list_assets(state: V3Account, call: V3Call) -> Answer:
    username = call.query.get("username")
    if not username:
        raise invalid("username", "field required (the asset owner's username, e.g. from GET /v3/users/me)")
    assets = [a for a in state.mine(state.assets, call.owner) if a.status not in ("pending_upload", "failed")]
    if username != USERNAME:
        assets = []
    if "folder_id" in call.query:
        folder = call.query["folder_id"] or None
        assets = [a for a in assets if a.folder_id == folder]
    return listing(assets, call, 20, 100, state.asset_json)


@route("GET /v3/assets/{asset_id}")
def get_asset(state: V3Account, call: V3Call) -> Answer:
    return Answer(state.asset_json(state.owned(state.assets, call.owner, call.path["asset_id"], "Asset")))


@route("DELETE /v3/assets/{asset_id}")
def delete_asset(state: V3Account, call: V3Call) -> Answer:
    asset = state.owned(state.assets, call.owner, call.path["asset_id"], "Asset")
    state.forget(state.assets, asset)
    return Answer({"id": asset.id})


def score(query: str, text: str) -> float:
    """A stand-in for semantic similarity: the share of the query's words found in ``text``, from 0.5 up."""
    words = re.findall(r"[a-z0-9]+", query.lower())
    found = set(re.findall(r"[a-z0-9]+", text.lower()))
    return round(0.5 + 0.5 * sum(word in found for word in words) / len(words), 3) if words else 0.5


@route("GET /v3/assets/search")
def search_assets(state: V3Account, call: V3Call) -> Answer:
    query = call.query.get("query")
    if not query:
        raise invalid("query", "field required")
    kind = query_choice(call.query, "type", ("image", "icon"), required=True)
    scope = query_choice(call.query, "scope", ("public", "personal")) or "public"
    ranked = sorted(
        ((score(query, item["description"]), index, item) for index, item in enumerate(IMAGES) if item["type"] == kind),
        key=lambda entry: (-entry[0], entry[1]),
    )
    hits = [(rank, item) for rank, (points, _, item) in enumerate(ranked) if points > 0.5] if scope == "public" else []
    fields = ("id", "type", "url", "width", "height", "orientation", "is_transparent")
    return listing(
        hits,
        call,
        20,
        50,
        lambda pair: {name: pair[1][name] for name in fields},
        key=lambda pair: pair[0],
        descending=False,
    )


@route("GET /v3/audio/sounds")
def search_sounds(state: V3Account, call: V3Call) -> Answer:
    query = call.query.get("query")
    if not query:
        raise invalid("query", "field required")
    kind = query_choice(call.query, "type", ("music", "sound_effects")) or "music"
    minimum = query_number(call.query, "min_score", default=0.7, minimum=0, maximum=1, whole=False)
    ranked = sorted(
        (
            (score(query, f"{item['name']} {item['description']}"), index, item)
            for index, item in enumerate(SOUNDS)
            if item["type"] == kind
        ),
        key=lambda entry: (-entry[0], entry[1]),
    )
    hits = [(rank, {**item, "score": points}) for rank, (points, _, item) in enumerate(ranked) if points >= minimum]
    return listing(hits, call, 10, 50, lambda pair: pair[1], key=lambda pair: pair[0], descending=False)


# -- background removal, AI clipping ---------------------------------------------------------------------------


@route("POST /v3/background-removals")
def create_removal(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    video = body.media("video", required=True)
    layers = body.texts("layers", choices=("foreground", "mask", "background"), max_items=3)
    title = body.text("title", max_length=255)
    job = state.create_removal(
        call.owner,
        body.text("request_id", max_length=255),
        layers=layers or ["foreground", "mask", "background"],
        title=title,
        fails=state.fails(media_url(video), title),
    )
    return Answer(state.removal_json(job))


@route("GET /v3/background-removals")
def list_removals(state: V3Account, call: V3Call) -> Answer:
    jobs = [job for job in state.mine(state.removals, call.owner) if job.status != "deleted"]
    return listing(jobs, call, 10, 100, state.removal_json)


@route("GET /v3/background-removals/{job_id}")
def get_removal(state: V3Account, call: V3Call) -> Answer:
    return Answer(
        state.removal_json(state.owned(state.removals, call.owner, call.path["job_id"], "Background removal"))
    )


@route("DELETE /v3/background-removals/{job_id}")
def delete_removal(state: V3Account, call: V3Call) -> Answer:
    job = state.owned(state.removals, call.owner, call.path["job_id"], "Background removal")
    job.status = "deleted"  # a soft delete: the job stays readable, its timers find it deleted
    return Answer({"id": job.id, "deleted": True})


@route("POST /v3/ai-clipping")
def create_clipping(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    video = body.media("video", required=True, kinds=URL_OR_ASSET)
    settings = body.obj("output_settings")
    output: dict[str, Any] = {}
    if settings is not None:
        settings.text("aspect_ratio", choices=("landscape", "portrait", "square"))
        settings.texts("duration_types", choices=("30", "60", "180", "long"), max_items=4)
        settings.flag("captions")
        settings.text("caption_style", max_length=64)
        settings.text("prompt", max_length=2000)
        output = dict(settings.data)
    title = body.text("title", max_length=255)
    job = state.create_clipping(
        call.owner,
        output_settings=output,
        input_language=body.text("input_language", max_length=64),
        title=title,
        fails=state.fails(media_url(video), title),
        **callback(body),
    )
    return Answer(state.clipping_json(job))


@route("GET /v3/ai-clipping")
def list_clippings(state: V3Account, call: V3Call) -> Answer:
    return listing(state.mine(state.clippings, call.owner), call, 10, 100, state.clipping_json)


@route("GET /v3/ai-clipping/{job_id}")
def get_clipping(state: V3Account, call: V3Call) -> Answer:
    return Answer(state.clipping_json(state.owned(state.clippings, call.owner, call.path["job_id"], "AI clipping job")))


@route("DELETE /v3/ai-clipping/{job_id}")
def delete_clipping(state: V3Account, call: V3Call) -> Answer:
    job = state.owned(state.clippings, call.owner, call.path["job_id"], "AI clipping job")
    del state.clippings[job.id]  # a running job is cancelled: its timers find it gone
    return Answer({"id": job.id})


# -- brand, user ----------------------------------------------------------------------------------------------


@route("GET /v3/brand-kits")
def list_brand_kits(state: V3Account, call: V3Call) -> Answer:
    return listing(list(enumerate(BRAND_KITS)), call, 20, 100, lambda p: p[1], key=lambda p: p[0], descending=False)


@route("GET /v3/brand-glossaries")
def list_brand_glossaries(state: V3Account, call: V3Call) -> Answer:
    pairs = list(enumerate(BRAND_GLOSSARIES))
    return listing(pairs, call, 10, 100, lambda p: p[1], key=lambda p: p[0], descending=False)


@route("GET /v3/users/me")
def me(state: V3Account, call: V3Call) -> Answer:
    return Answer(
        {
            "username": USERNAME,
            "email": "user@emulator.invalid",
            "first_name": "Emu",
            "last_name": "Lator",
            "billing_type": "wallet",
            "wallet": {
                "remaining_balance": round(state.balance(call.owner), 2),
                "currency": "USD",
                "auto_reload": {"enabled": False, "threshold_usd": None, "amount_usd": None},
            },
            "subscription": None,
            "usage_based": None,
        }
    )


# -- webhooks -------------------------------------------------------------------------------------------------


def event_list(body: Body) -> list[str] | None:
    return body.texts("events", choices=EVENT_NAMES, max_items=len(EVENT_NAMES)) or None


@route("POST /v3/webhooks/endpoints")
def create_endpoint(state: V3Account, call: V3Call) -> Answer:
    body = call.body
    url = body.url("url", required=True)
    assert url is not None  # required
    endpoint = state.create_endpoint(call.owner, url, event_list(body), body.text("entity_id", max_length=255))
    return Answer(state.endpoint_json(endpoint, with_secret=True))


@route("GET /v3/webhooks/endpoints")
def list_endpoints(state: V3Account, call: V3Call) -> Answer:
    return listing(
        state.mine(state.endpoints, call.owner), call, 10, 100, lambda e: state.endpoint_json(e, with_secret=False)
    )


@route("PATCH /v3/webhooks/endpoints/{endpoint_id}")
def update_endpoint(state: V3Account, call: V3Call) -> Answer:
    endpoint = state.endpoint(call.owner, call.path["endpoint_id"])
    url = call.body.url("url")
    events = event_list(call.body)  # a list replaces the old set; null or empty means every event
    if url is not None:
        endpoint.url = url
    if "events" in call.body.data:
        endpoint.events = events
    return Answer(state.endpoint_json(endpoint, with_secret=False))


@route("DELETE /v3/webhooks/endpoints/{endpoint_id}")
def delete_endpoint(state: V3Account, call: V3Call) -> Answer:
    endpoint = state.endpoint(call.owner, call.path["endpoint_id"])
    del state.endpoints[endpoint.endpoint_id]
    return Answer({"endpoint_id": endpoint.endpoint_id, "deleted": True})


@route("POST /v3/webhooks/endpoints/{endpoint_id}/rotate-secret")
def rotate_secret(state: V3Account, call: V3Call) -> Answer:
    endpoint = state.endpoint(call.owner, call.path["endpoint_id"])
    endpoint.secret = state.new_secret()  # the old one signs nothing from now on
    return Answer({"endpoint_id": endpoint.endpoint_id, "secret": endpoint.secret})


@route("GET /v3/webhooks/event-types")
def event_types(state: V3Account, call: V3Call) -> Answer:
    return whole_list([dict(event) for event in EVENT_TYPES])


@route("GET /v3/webhooks/events")
def list_events(state: V3Account, call: V3Call) -> Answer:
    kind = query_choice(call.query, "event_type", EVENT_NAMES)
    entity = call.query.get("entity_id")
    events = [
        event
        for event in state.mine(state.events, call.owner)
        if (kind is None or event.event_type == kind) and (not entity or entity in event.entities)
    ]
    return listing(events, call, 10, 100, state.event_json)
