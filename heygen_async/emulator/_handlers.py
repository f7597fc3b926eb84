"""One handler per row of the endpoint table: what HeyGen does and answers (its ``data``), or a Refusal.

The routes themselves come from the client's endpoint table (``HANDLERS`` is keyed by ``namespace.method``
and a test checks every row has one); the gateway layer in ``_app.py`` finds the parameters, checks the
required ones and wraps what these return.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from ._fixtures import (
    AVATARS,
    BRAND_VOICES,
    LANGUAGES,
    PUBLIC_GROUPS,
    STREAMING_AVATARS,
    TALKING_PHOTOS,
    TEMPLATE_ID,
    TEMPLATE_VARIABLES,
    TEMPLATES,
    VOICES,
)
from ._state import WEBHOOK_EVENTS, Account, Asset, Folder, Refusal, new_id
from ._webhooks import check_webhook_url

__all__ = ["HANDLERS", "Call"]


@attrs.frozen
class Call:
    """One request as a handler sees it: path values, query (first values, as text), JSON body, upload."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Mapping[str, Any]
    upload: tuple[bytes, str, str] | None = None  # (data, content type, file name)

    def get(self, name: str, default: Any = None) -> Any:
        for source in (self.path, self.body, self.query):
            if name in source:
                return source[name]
        return default


Handler = Callable[[Account, Call], Any]
HANDLERS: dict[str, Handler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return register


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _limit(call: Call, default: int) -> int:
    raw = call.get("limit")
    try:
        limit = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        raise Refusal(400, 40012, f"limit must be a number, got {raw!r}") from None
    if not 0 <= limit <= 100:
        raise Refusal(400, 40012, "limit must be between 0 and 100")
    return limit or default


def _page(items: list[Any], call: Call, default: int) -> tuple[list[Any], str | None]:
    """Token pagination as HeyGen does it: ``token`` is the offset of the next page, None on the last."""
    limit = _limit(call, default)
    token = call.get("token") or "0"
    if not isinstance(token, str) or not re.fullmatch(r"[0-9]{1,9}", token):
        raise Refusal(400, 40012, f"invalid pagination token {token!r}")
    start = int(token)
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else None)


# -- catalogues (shaped like HeyGen's documented examples) ---------------------------------------------------------


# -- avatars, voices, groups ---------------------------------------------------------------------------------------


@handles("avatars.list")
def list_avatars(account: Account, call: Call) -> Any:
    return {"avatars": AVATARS, "talking_photos": TALKING_PHOTOS}


@handles("voices.list")
def list_voices(account: Account, call: Call) -> Any:
    return {"voices": VOICES}


@handles("avatar_groups.list")
def list_groups(account: Account, call: Call) -> Any:
    own = [
        {
            "id": group.id,
            "name": group.name,
            "group_type": "PRIVATE",
            "num_looks": len(group.looks),
            "default_voice_id": None,
            "train_status": group.train_status,
            "preview_image": account.media_url("photo", f"{group.looks[0]}.png") if group.looks else None,
            "created_at": group.created_at,
        }
        for group in account.groups.values()
    ]
    groups = own + (PUBLIC_GROUPS if _flag(call.get("include_public")) else [])
    return {"avatar_group_list": groups, "total_count": len(groups)}


@handles("avatar_groups.list_avatars")
def list_group_avatars(account: Account, call: Call) -> Any:
    group = account.group(call.path["group_id"])
    return {"avatar_list": [account.photo_avatar_details(account.photo_avatars[i]) for i in group.looks]}


# -- photo avatars -------------------------------------------------------------------------------------------------


@handles("photo_avatars.get")
def photo_avatar(account: Account, call: Call) -> Any:
    return account.photo_avatar_details(account.photo_avatar(call.path["id"]))


@handles("photo_avatars.generation_status")
def generation_status(account: Account, call: Call) -> Any:
    job = account.generation(call.path["generation_id"])
    done = job.status == "success"
    return {
        "id": job.id,
        "status": job.status,
        "msg": None,
        "image_url_list": [account.media_url("photo", f"{key.split('/')[1]}.png") for key in job.image_keys]
        if done
        else None,
        "image_key_list": job.image_keys if done else None,
    }


@handles("photo_avatars.training_status")
def training_status(account: Account, call: Call) -> Any:
    group = account.group(call.path["group_id"])
    if group.train_status == "empty":
        raise Refusal(400, "invalid_parameter", "This group has not been trained")
    return {"status": group.train_status, "error_msg": None, "created_at": group.created_at, "updated_at": None}


@handles("photo_avatars.generate_photos")
def generate_photos(account: Account, call: Call) -> Any:
    return {"generation_id": account.start_generation(count=4, prompt=call.get("appearance") or "").id}


@handles("photo_avatars.create_group")
def create_group(account: Account, call: Call) -> Any:
    generation_id = call.get("generation_id")
    if generation_id and call.get("image_key") not in account.generation(generation_id).image_keys:
        raise Refusal(400, "invalid_parameter", "image_key is not from that generation")
    group, look = account.create_group(call.get("name"), call.get("image_key"))
    return {**account.photo_avatar_details(look), "group_id": group.id}


@handles("photo_avatars.add_looks")
def add_looks(account: Account, call: Call) -> Any:
    group = account.group(call.get("group_id"))
    keys = call.get("image_keys") or []
    if not isinstance(keys, list) or not 1 <= len(keys) <= 4:
        raise Refusal(400, "invalid_parameter", "image_keys must hold 1 to 4 image keys")
    name = call.get("name") or group.name
    looks = [account.add_look(group, name, key) for key in keys]
    return {"photo_avatar_list": [account.photo_avatar_details(look) for look in looks]}


@handles("photo_avatars.train")
def train(account: Account, call: Call) -> Any:
    account.train(account.group(call.get("group_id")))
    return {"flow_id": new_id()}


@handles("photo_avatars.generate_looks")
def generate_looks(account: Account, call: Call) -> Any:
    group = account.group(call.get("group_id"))
    if group.train_status != "ready":
        raise Refusal(400, "invalid_parameter", "The photo avatar group must be trained before generating looks")
    return {"generation_id": account.start_generation(count=4, group_id=group.id, prompt=call.get("prompt") or "").id}


@handles("photo_avatars.add_motion")
def add_motion(account: Account, call: Call) -> Any:
    return {"id": account.derive(account.photo_avatar(call.get("id")), motion=True).id}


@handles("photo_avatars.add_sound_effect")
def add_sound_effect(account: Account, call: Call) -> Any:
    look = account.photo_avatar(call.get("id"))
    look.background_sound_effect = {"id": new_id(), "status": "completed"}
    return {"id": look.id, "sound_effect_id": look.background_sound_effect["id"]}


@handles("photo_avatars.upscale")
def upscale(account: Account, call: Call) -> Any:
    source = account.photo_avatar(call.get("id"))
    if not source.is_motion:
        raise Refusal(400, "invalid_parameter", "Only an avatar with motion can be upscaled")
    return {"id": account.derive(source, upscale=True).id}


# -- streaming -----------------------------------------------------------------------------------------------------


@handles("streaming.list_sessions")
def list_sessions(account: Account, call: Call) -> Any:
    return {
        "sessions": [
            {"session_id": s.id, "status": s.status, "created_at": int(s.created_at)} for s in account.open_sessions()
        ]
    }


@handles("streaming.create_token")
def create_token(account: Account, call: Call) -> Any:
    account.tokens_issued += 1
    return {"token": "st_" + new_id()}


@handles("streaming.list_avatars")
def list_streaming_avatars(account: Account, call: Call) -> Any:
    return STREAMING_AVATARS


@handles("streaming.new")
def new_session(account: Account, call: Call) -> Any:
    avatar = call.get("avatar_id") or call.get("avatar_name") or STREAMING_AVATARS[0]["avatar_id"]
    idle = call.get("activity_idle_timeout")
    if idle is not None and not (isinstance(idle, int) and 30 <= idle <= 3600):
        raise Refusal(400, "invalid_parameter", "activity_idle_timeout must be between 30 and 3600")
    session = account.new_session(str(avatar), call.get("quality") or "medium", idle, call.get("version"))
    return {
        "session_id": session.id,
        "url": f"wss://livekit.emulator.invalid/{session.id}",
        "access_token": "lk_" + new_id(),
        "session_duration_limit": int(account.config.session_duration_limit),
        "is_paid": True,
        "realtime_endpoint": f"wss://realtime.emulator.invalid/v1/ws/streaming.chat?session_id={session.id}",
        "sdp": None,
        "ice_servers": None,
        "ice_servers2": None,
    }


@handles("streaming.start")
def start_session(account: Account, call: Call) -> Any:
    session = account.session(call.get("session_id"))
    if session.status != "connected":
        session.status = "connected"
    account.touch(session)
    return {"status": "success"}


@handles("streaming.task")
def send_task(account: Account, call: Call) -> Any:
    session = account.session(call.get("session_id"))
    task_type = call.get("task_type") or "repeat"
    if task_type not in ("repeat", "chat", "talk"):
        raise Refusal(400, "invalid_parameter", f"task_type must be repeat or chat, got {task_type!r}")
    text = str(call.get("text"))
    spoken = text if task_type == "repeat" else f"Here is what I know about that: {text}"
    task_id, duration_ms = account.speak(session, spoken)
    return {"task_id": task_id, "duration_ms": duration_ms}


@handles("streaming.stop")
def stop_session(account: Account, call: Call) -> Any:
    session = account.session(call.get("session_id"), open_only=False)
    account.close_session(session, "stopped")
    return {"status": "success"}


@handles("streaming.interrupt")
def interrupt(account: Account, call: Call) -> Any:
    session = account.session(call.get("session_id"))
    session.speaking_until = min(session.speaking_until, account.now)
    account.touch(session)
    return {"status": "success"}


def keep_alive(account: Account, call: Call) -> Any:
    """``POST /v1/streaming.keep_alive``: HeyGen has it, LowCodeAPI does not expose it (served directly only)."""
    account.touch(account.session(call.get("session_id")))
    return {"status": "success"}


# -- brand voices, templates, user ---------------------------------------------------------------------------------


@handles("brand_voices.list")
def list_brand_voices(account: Account, call: Call) -> Any:
    items, token = _page(BRAND_VOICES, call, default=100)
    if _flag(call.get("name_only")):
        items = [{"id": v["id"], "name": v["name"]} for v in items]
    return {"list": items, "token": token}


@handles("templates.list")
def list_templates(account: Account, call: Call) -> Any:
    return {"templates": TEMPLATES}


@handles("templates.get")
def get_template(account: Account, call: Call) -> Any:
    if call.path["template_id"] != TEMPLATE_ID:
        raise Refusal(404, "not_found", f"Template not found: {call.path['template_id']}")
    return {"variables": TEMPLATE_VARIABLES}


@handles("templates.generate")
def generate_from_template(account: Account, call: Call) -> Any:
    get_template(account, call)
    variables = call.get("variables") or {}
    unknown = sorted(set(variables) - set(TEMPLATE_VARIABLES))
    if unknown:
        raise Refusal(400, "invalid_parameter", f"Unknown template variables: {', '.join(unknown)}")
    text = " ".join(str(v.get("properties", {}).get("content", "")) for v in variables.values())
    video = account.submit_video(
        "template",
        title=call.get("title") or "Untitled Video",
        text=text or "template",
        callback_id=call.get("callback_id"),
        callback_url=_callback_url(call),
        folder_id=call.get("folder_id"),
        include_gif=_flag(call.get("include_gif")),
    )
    return {"video_id": video.id}


@handles("user.remaining_quota")
def remaining_quota(account: Account, call: Call) -> Any:
    quota = int(account.quota)
    return {"remaining_quota": quota, "details": {"api": quota}}


@handles("user.me")
def me(account: Account, call: Call) -> Any:
    return {"username": "emulated-user", "email": "user@emulator.invalid", "first_name": "Emu", "last_name": "Lator"}


# -- videos --------------------------------------------------------------------------------------------------------


def _callback_url(call: Call) -> str | None:
    url = call.get("callback_url")
    return None if url in (None, "") else check_webhook_url(url, "callback_url")


def _scene_text(scene: Any) -> str:
    voice = scene.get("voice", {}) if isinstance(scene, dict) else {}
    return str(voice.get("input_text", "")) if isinstance(voice, dict) else ""


@handles("videos.status")
def video_status(account: Account, call: Call) -> Any:
    return account.video_details(account.video(call.get("video_id")))


@handles("videos.delete")
def delete_video(account: Account, call: Call) -> Any:
    account.delete_video(call.get("video_id"))
    return {"video_id": call.get("video_id")}


@handles("videos.list")
def list_videos(account: Account, call: Call) -> Any:
    videos = sorted(account.videos.values(), key=lambda v: v.created_at, reverse=True)
    folder = call.get("folder_id")
    if folder:
        videos = [v for v in videos if v.folder_id == folder]
    page, token = _page(videos, call, default=10)
    summaries = [
        {
            "video_id": v.id,
            "video_title": v.title,
            "status": v.status if v.status in ("completed", "failed") else "processing",  # video.list's own set
            "created_at": int(v.created_at),
            "type": "GENERATED",
        }
        for v in page
    ]
    return {"videos": summaries, "token": token}


@handles("videos.generate")
def generate_video(account: Account, call: Call) -> Any:
    scenes = call.get("video_inputs")
    if not isinstance(scenes, list) or not 1 <= len(scenes) <= 50:
        raise Refusal(400, "invalid_parameter", "video_inputs is invalid: 1 to 50 scenes are required")
    dimension = call.get("dimension") or {"width": 1920, "height": 1080}
    for side in ("width", "height"):
        size = dimension.get(side) if isinstance(dimension, dict) else None
        if not isinstance(size, int) or size % 2 or not 128 <= size <= 4096:
            raise Refusal(400, "invalid_parameter", f"dimension.{side} is invalid")
    video = account.submit_video(
        "avatar_video",
        title=call.get("title") or "Untitled Video",
        text=" ".join(_scene_text(scene) for scene in scenes),
        callback_id=call.get("callback_id"),
        callback_url=_callback_url(call),
        folder_id=call.get("folder_id"),
    )
    return {"video_id": video.id}


@handles("videos.generate_webm")
def generate_webm(account: Account, call: Call) -> Any:
    text = call.get("input_text") or ""
    if not text and not call.get("input_audio"):
        raise Refusal(400, 40001, "input_text or input_audio is required")
    video = account.submit_video(
        "webm", title="WebM video", text=text or "audio", callback_id=None, callback_url=None, folder_id=None
    )
    return {"video_id": video.id}


# -- translations --------------------------------------------------------------------------------------------------


@handles("translations.target_languages")
def target_languages(account: Account, call: Call) -> Any:
    return {"languages": LANGUAGES}


@handles("translations.create")
def translate(account: Account, call: Call) -> Any:
    languages = call.get("output_languages") or [call.get("output_language")]
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or not languages:
        raise Refusal(400, "invalid_parameter", f"output_language is invalid: {unknown or languages}")
    jobs = [
        account.submit_translation(
            video_url=call.get("video_url"),
            language=language,
            title=call.get("title") or "Untitled translation",
            callback_id=call.get("callback_id"),
            callback_url=_callback_url(call),
        )
        for language in languages
    ]
    if call.get("output_languages"):
        return {"video_translate_ids": [job.id for job in jobs]}
    return {"video_translate_id": jobs[0].id}


@handles("translations.status")
def translation_status(account: Account, call: Call) -> Any:
    job = account.translation(call.path["video_translate_id"])
    return {
        "video_translate_id": job.id,
        "title": job.title,
        "status": job.status,
        "url": account.media_url("translation", f"{job.id}.mp4") if job.status == "success" else None,
        "message": job.message,
        "output_language": job.output_language,
        "callback_id": job.callback_id,
    }


# -- webhooks ------------------------------------------------------------------------------------------------------


def endpoint_json(endpoint: Any) -> dict[str, Any]:
    return {
        "endpoint_id": endpoint.endpoint_id,
        "url": endpoint.url,
        "events": endpoint.events,
        "secret": endpoint.secret,
        "status": endpoint.status,
        "username": "emulated-user",
        "entity_id": endpoint.entity_id,
        "created_at": endpoint.created_at,
    }


@handles("webhooks.list_events")
def list_events(account: Account, call: Call) -> Any:
    return list(WEBHOOK_EVENTS)


@handles("webhooks.list_endpoints")
def list_endpoints(account: Account, call: Call) -> Any:
    return [endpoint_json(e) for e in account.endpoints.values()]


@handles("webhooks.add_endpoint")
def add_endpoint(account: Account, call: Call) -> Any:
    # The OPTIONS probe of the URL happens in the app layer, before this runs (it needs the network).
    return endpoint_json(account.add_endpoint(call.get("url"), call.get("events"), call.get("entity_id")))


@handles("webhooks.update_endpoint")
def update_endpoint(account: Account, call: Call) -> Any:
    endpoint = account.endpoint(call.get("endpoint_id"))
    url = check_webhook_url(call.get("url")) if call.get("url") else endpoint.url
    events = account.check_events(call.body["events"]) if "events" in call.body else endpoint.events
    endpoint.url, endpoint.events = url, events
    return endpoint_json(endpoint)


@handles("webhooks.delete_endpoint")
def delete_endpoint(account: Account, call: Call) -> Any:
    endpoint_id = call.query.get("endpoint_id") or call.get("endpoint_id")  # HeyGen reads the query
    account.endpoint(endpoint_id)
    del account.endpoints[endpoint_id]
    return None


# -- assets --------------------------------------------------------------------------------------------------------


@handles("assets.upload")
def upload(account: Account, call: Call) -> Any:
    if call.upload is None:
        raise Refusal(400, 400, "No file in the request body")
    data, content_type, name = call.upload
    kinds = {
        "image/jpeg": "image",
        "image/png": "image",
        "video/mp4": "video",
        "video/webm": "video",
        "audio/mpeg": "audio",
    }
    if content_type not in kinds:
        raise Refusal(400, 400, f"Unsupported content type {content_type!r}")
    if not data:
        raise Refusal(400, 400, "The file is empty")
    asset = Asset(id=new_id(), name=name, content_type=content_type, size=len(data), created_ts=account.now)
    account.assets[asset.id] = asset
    answer: dict[str, Any] = {
        "id": asset.id,
        "name": name,
        "file_type": kinds[content_type],
        "folder_id": "",
        "meta": None,
        "created_ts": int(account.now),
        "url": account.media_url("asset", asset.id),
    }
    if kinds[content_type] == "image":
        answer["image_key"] = f"image/{asset.id}/original"
    return answer


# -- folders -------------------------------------------------------------------------------------------------------

DEFAULT_FOLDER_NAME: Final = "test"
"""The name of a folder created without one (the default LowCodeAPI's definition names)."""


def folder_json(folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.id,
        "name": folder.name,
        "parent_id": folder.parent_id,
        "project_type": folder.project_type,
        "created_ts": int(folder.created_ts),
        "is_trash": folder.is_trash,
    }


@handles("folders.list")
def list_folders(account: Account, call: Call) -> Any:
    folders = [f for f in account.folders.values() if f.is_trash == _flag(call.get("is_trash"))]
    if call.get("parent_id"):
        folders = [f for f in folders if f.parent_id == call.get("parent_id")]
    if call.get("name_filter"):
        folders = [f for f in folders if str(call.get("name_filter")).lower() in f.name.lower()]
    page, token = _page(folders, call, default=20)
    return {"folders": [folder_json(f) for f in page], "token": token}


@handles("folders.create")
def create_folder(account: Account, call: Call) -> Any:
    parent = call.get("parent_id")
    if parent:
        account.folder(parent)
    folder = Folder(
        id=new_id(),
        name=call.get("name") or DEFAULT_FOLDER_NAME,
        project_type=call.get("project_type") or "mixed",
        created_ts=account.now,
        parent_id=parent,
    )
    account.folders[folder.id] = folder
    return folder_json(folder)


@handles("folders.rename")
def rename_folder(account: Account, call: Call) -> Any:
    folder = account.folder(call.path["folder_id"])
    folder.name = call.get("name")
    return folder_json(folder)


@handles("folders.trash")
def trash_folder(account: Account, call: Call) -> Any:
    folder = account.folder(call.path["folder_id"])
    folder.is_trash = True
    return folder_json(folder)


@handles("folders.restore")
def restore_folder(account: Account, call: Call) -> Any:
    folder = account.folder(call.path["folder_id"])
    folder.is_trash = False
    return folder_json(folder)
