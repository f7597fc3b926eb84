"""The emulated HeyGen account: its jobs and their state machines, live sessions, webhooks, folders, assets.

Renders go waiting -> pending -> processing -> completed or failed, at most ``concurrent_renders`` at a time
(the rest queue, as HeyGen's plans do); translations pending -> running -> success or failed; photo and look
generations in_progress -> success; group training pending -> ready; add_motion and upscale make new photo
avatars that go pending -> completed. Streaming sessions go new -> connected -> closed, close themselves
after ``idle_timeout`` without activity, and count against ``max_sessions``. Finished jobs emit HeyGen's
webhook events through ``on_event``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, Final, Literal

import attrs

from ._config import EmulatorConfig
from ._timeline import Timeline

__all__ = ["Account", "Refusal"]

WEBHOOK_EVENTS: Final = (
    "avatar_video.success",
    "avatar_video.fail",
    "avatar_video_gif.success",
    "avatar_video_gif.fail",
    "video_translate.success",
    "video_translate.fail",
    "personalized_video",
    "instant_avatar.success",
    "instant_avatar.fail",
    "photo_avatar_generation.success",
    "photo_avatar_generation.fail",
    "photo_avatar_train.success",
    "photo_avatar_train.fail",
    "photo_avatar_add_motion.success",
    "photo_avatar_add_motion.fail",
    "live_avatar.success",
    "live_avatar.fail",
)
SPEECH_SECONDS_PER_CHAR: Final = 0.06


class Refusal(Exception):
    """HeyGen says no: ``status``, HeyGen's ``code`` and ``message`` (rendered in the endpoint's envelope)."""

    def __init__(self, status: int, code: int | str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def new_id() -> str:
    return secrets.token_hex(16)


EventSink = Callable[[str, dict[str, Any], "str | None", "tuple[str, ...]"], None]
"""``(event_type, event_data, callback_url, entity_ids)``: a webhook event to deliver."""


@attrs.define
class Video:
    id: str
    kind: Literal["avatar_video", "webm", "template"]
    title: str
    created_at: float
    duration: float
    fails: bool
    callback_id: str | None = None
    callback_url: str | None = None
    folder_id: str | None = None
    include_gif: bool = False
    status: str = "waiting"
    error: dict[str, Any] | None = None
    finished_wall: float | None = None
    """Real (wall-clock) time the render ended, for benchmarks that measure how soon clients notice."""


@attrs.define
class Translation:
    id: str
    title: str
    video_url: str
    output_language: str
    created_at: float
    fails: bool
    callback_id: str | None = None
    callback_url: str | None = None
    status: str = "pending"
    message: str | None = None


@attrs.define
class Generation:
    id: str
    created_at: float
    count: int
    group_id: str | None = None
    fails: bool = False
    status: str = "in_progress"
    image_keys: list[str] = attrs.Factory(list)


@attrs.define
class PhotoAvatar:
    id: str
    group_id: str
    name: str
    image_key: str
    created_at: float
    status: str = "pending"
    is_motion: bool = False
    upscaled: bool = False
    business_type: str = "user_upload"
    background_sound_effect: dict[str, Any] | None = None


@attrs.define
class AvatarGroup:
    id: str
    name: str
    created_at: float
    train_status: str = "empty"
    looks: list[str] = attrs.Factory(list)


@attrs.define
class Session:
    id: str
    avatar_id: str
    quality: str
    created_at: float
    idle_timeout: float
    last_activity: float
    status: str = "new"
    speaking_until: float = 0.0
    tasks: int = 0
    closed_reason: str | None = None
    version: str | None = None
    """The transport ``streaming.new`` asked for (``"v2"``: LiveKit; None: HeyGen's retired v1 WebRTC)."""


@attrs.define
class WebhookEndpoint:
    endpoint_id: str
    url: str
    secret: str
    created_at: float
    events: list[str] | None = None
    entity_id: str | None = None
    status: str = "enabled"


@attrs.define
class Folder:
    id: str
    name: str
    project_type: str
    created_ts: float
    parent_id: str | None = None
    is_trash: bool = False


@attrs.define
class Asset:
    id: str
    name: str
    content_type: str
    size: int
    created_ts: float


class Account:
    """One HeyGen account, as seen through every credential the emulator accepts."""

    def __init__(self, config: EmulatorConfig, timeline: Timeline, on_event: EventSink) -> None:
        self.config = config
        self.timeline = timeline
        self.on_event = on_event
        self.public_url = "http://127.0.0.1"
        self._url_key = secrets.token_bytes(16)
        self.reset()

    def reset(self) -> None:
        self.quota = self.config.initial_quota
        self.videos: dict[str, Video] = {}
        self.render_queue: deque[str] = deque()
        self.rendering: set[str] = set()
        self.translations: dict[str, Translation] = {}
        self.generations: dict[str, Generation] = {}
        self.photo_avatars: dict[str, PhotoAvatar] = {}
        self.groups: dict[str, AvatarGroup] = {}
        self.sessions: dict[str, Session] = {}
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.folders: dict[str, Folder] = {}
        self.assets: dict[str, Asset] = {}
        self.tokens_issued = 0
        self.counters: Counter[str] = Counter()
        self.timeline.clear()

    @property
    def now(self) -> float:
        return self.timeline.now()

    # -- media URLs that expire ---------------------------------------------------------------------------

    def media_url(self, kind: str, name: str) -> str:
        """A signed URL valid for ``url_ttl`` from now; every status call hands out a fresh one."""
        expires = int(self.now + self.config.url_ttl)
        signature = hmac.new(self._url_key, f"{kind}/{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self.public_url}/media/{kind}/{name}?Expires={expires}&Signature={signature}"

    def media_valid(self, kind: str, name: str, expires: str, signature: str) -> bool:
        expected = hmac.new(self._url_key, f"{kind}/{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return False
        return expires.isascii() and expires.isdigit() and int(expires) >= self.now

    # -- videos ----------------------------------------------------------------------------------------------

    def submit_video(
        self,
        kind: Literal["avatar_video", "webm", "template"],
        *,
        title: str,
        text: str,
        callback_id: str | None,
        callback_url: str | None,
        folder_id: str | None,
        include_gif: bool = False,
    ) -> Video:
        duration = max(1.0, round(len(text) * SPEECH_SECONDS_PER_CHAR, 2))
        cost = 30.0 * -(-duration // 30)  # billed in 30-second increments
        if cost > self.quota:
            raise Refusal(402, "insufficient_credit", "Insufficient credit to generate this video")
        self.quota -= cost
        video = Video(
            id=new_id(),
            kind=kind,
            title=title,
            created_at=self.now,
            duration=duration,
            fails=bool(self.config.failure_marker) and self.config.failure_marker in text,
            callback_id=callback_id,
            callback_url=callback_url,
            folder_id=folder_id,
            include_gif=include_gif,
        )
        self.videos[video.id] = video
        self.render_queue.append(video.id)
        self.counters["videos_created"] += 1
        self._start_renders()
        return video

    def _start_renders(self) -> None:
        while self.render_queue and len(self.rendering) < self.config.concurrent_renders:
            video = self.videos.get(self.render_queue.popleft())
            if video is None:  # deleted while queued
                continue
            self.rendering.add(video.id)
            video.status = "pending"
            self.timeline.after(self.config.pending_seconds, functools.partial(self._process, video))

    def _process(self, video: Video, _when: float) -> None:
        if video.id not in self.videos:
            self.rendering.discard(video.id)
            self._start_renders()
            return
        video.status = "processing"
        self.timeline.after(self.config.render_seconds, functools.partial(self._finish_render, video))

    def _finish_render(self, video: Video, _when: float) -> None:
        self.rendering.discard(video.id)
        try:
            self._report_render(video)
        finally:
            self._start_renders()  # the queue moves on whatever happened to this one

    def _report_render(self, video: Video) -> None:
        video.finished_wall = time.time()
        if video.id in self.videos:
            if video.fails:
                video.status = "failed"
                marker = self.config.failure_marker
                video.error = {  # HeyGen's error shape and a code it uses, in words no one takes for a real one
                    "code": 40119,
                    "message": f"Emulated failure: the script contains the emulator's {marker} marker",
                    "detail": f"Emulated failure: the script contains the emulator's {marker} marker "
                    "(EmulatorConfig.failure_marker); nothing is wrong with the video or the account",
                }
                self.counters["videos_failed"] += 1
                data: dict[str, Any] = {
                    "video_id": video.id,
                    "msg": video.error["detail"],
                    "callback_id": video.callback_id,
                }
                self.on_event("avatar_video.fail", data, video.callback_url, (video.id,))
            else:
                video.status = "completed"
                self.counters["videos_completed"] += 1
                data = {
                    "video_id": video.id,
                    "url": self.media_url("video", f"{video.id}.mp4"),
                    "callback_id": video.callback_id,
                    "video_share_page_url": f"{self.public_url}/share/{video.id}",
                    "folder_id": video.folder_id,
                }
                if video.include_gif:
                    data["gif_download_url"] = self.media_url("gif", f"{video.id}.gif")
                self.on_event("avatar_video.success", data, video.callback_url, (video.id,))
                if video.include_gif:
                    self.on_event("avatar_video_gif.success", data, video.callback_url, (video.id,))

    def video(self, video_id: str) -> Video:
        video = self.videos.get(video_id)
        if video is None:
            raise Refusal(404, 40031, f"Video not found: {video_id}")
        return video

    def video_details(self, video: Video) -> dict[str, Any]:
        done = video.status == "completed"
        return {
            "id": video.id,
            "status": video.status,
            "video_url": self.media_url("video", f"{video.id}.mp4") if done else None,
            "video_url_caption": None,
            "thumbnail_url": self.media_url("thumbnail", f"{video.id}.jpg") if done else None,
            "gif_url": self.media_url("gif", f"{video.id}.gif") if done else None,
            "caption_url": None,
            "duration": video.duration if done else None,
            "created_at": int(video.created_at),
            "callback_id": video.callback_id,
            "error": video.error,
        }

    def delete_video(self, video_id: str) -> None:
        self.video(video_id)
        del self.videos[video_id]
        self.rendering.discard(video_id)
        self._start_renders()

    # -- translations ---------------------------------------------------------------------------------------------

    def submit_translation(
        self, *, video_url: str, language: str, title: str, callback_id: str | None, callback_url: str | None
    ) -> Translation:
        job = Translation(
            id=new_id(),
            title=title,
            video_url=video_url,
            output_language=language,
            created_at=self.now,
            fails=bool(self.config.failure_marker) and self.config.failure_marker in video_url,
            callback_id=callback_id,
            callback_url=callback_url,
        )
        self.translations[job.id] = job
        self.counters["translations_created"] += 1
        self.timeline.after(self.config.pending_seconds, lambda _t: self._set_status(job, "running"))
        self.timeline.after(
            self.config.pending_seconds + self.config.translation_seconds, lambda _t: self._finish_translation(job)
        )
        return job

    def _finish_translation(self, job: Translation) -> None:
        data: dict[str, Any] = {
            "video_translate_id": job.id,
            "callback_id": job.callback_id,
            "output_language": job.output_language,
        }
        if job.fails:
            job.status = "failed"
            job.message = (
                f"Emulated failure: the video_url contains the emulator's {self.config.failure_marker} marker "
                "(EmulatorConfig.failure_marker)"
            )
            self.on_event("video_translate.fail", {**data, "message": job.message}, job.callback_url, (job.id,))
        else:
            job.status = "success"
            url = self.media_url("translation", f"{job.id}.mp4")
            self.on_event("video_translate.success", {**data, "url": url}, job.callback_url, (job.id,))

    @staticmethod
    def _set_status(job: Translation | PhotoAvatar, status: str) -> None:
        job.status = status

    def translation(self, translation_id: str) -> Translation:
        job = self.translations.get(translation_id)
        if job is None:
            raise Refusal(404, "not_found", f"Video translation not found: {translation_id}")
        return job

    # -- photo avatars ------------------------------------------------------------------------------------------------

    def _fails(self, text: Any) -> bool:
        return bool(self.config.failure_marker) and isinstance(text, str) and self.config.failure_marker in text

    def start_generation(self, count: int, group_id: str | None = None, prompt: str = "") -> Generation:
        job = Generation(id=new_id(), created_at=self.now, count=count, group_id=group_id, fails=self._fails(prompt))
        self.generations[job.id] = job
        self.timeline.after(self.config.generation_seconds, lambda _t: self._finish_generation(job))
        return job

    def _finish_generation(self, job: Generation) -> None:
        if job.fails:
            job.status = "failed"
            self.on_event("photo_avatar_generation.fail", {"generation_id": job.id}, None, (job.id,))
            return
        job.status = "success"
        job.image_keys = [f"image/{new_id()}/original" for _ in range(job.count)]
        self.on_event("photo_avatar_generation.success", {"generation_id": job.id}, None, (job.id,))

    def generation(self, generation_id: str) -> Generation:
        job = self.generations.get(generation_id)
        if job is None:
            raise Refusal(404, "not_found", f"Generation not found: {generation_id}")
        return job

    def create_group(self, name: str, image_key: str) -> tuple[AvatarGroup, PhotoAvatar]:
        group = AvatarGroup(id=new_id(), name=name, created_at=self.now)
        self.groups[group.id] = group
        return group, self.add_look(group, name, image_key)

    def add_look(self, group: AvatarGroup, name: str, image_key: str, **traits: Any) -> PhotoAvatar:
        look = PhotoAvatar(
            id=new_id(), group_id=group.id, name=name, image_key=image_key, created_at=self.now, **traits
        )
        self.photo_avatars[look.id] = look
        group.looks.append(look.id)
        self.timeline.after(self.config.generation_seconds, lambda _t: self._set_status(look, "completed"))
        return look

    def group(self, group_id: str) -> AvatarGroup:
        group = self.groups.get(group_id)
        if group is None:
            raise Refusal(404, "not_found", f"Avatar group not found: {group_id}")
        return group

    def train(self, group: AvatarGroup) -> None:
        if group.train_status == "pending":
            raise Refusal(400, "invalid_parameter", "This group is already training")
        group.train_status = "pending"
        self.timeline.after(self.config.training_seconds, lambda _t: self._finish_training(group))

    def _finish_training(self, group: AvatarGroup) -> None:
        if self._fails(group.name):
            group.train_status = "failed"
            self.on_event("photo_avatar_train.fail", {"group_id": group.id}, None, (group.id,))
            return
        group.train_status = "ready"
        self.on_event("photo_avatar_train.success", {"group_id": group.id}, None, (group.id,))

    def photo_avatar(self, avatar_id: str) -> PhotoAvatar:
        look = self.photo_avatars.get(avatar_id)
        if look is None:
            raise Refusal(404, "not_found", f"Photo avatar not found: {avatar_id}")
        return look

    def derive(self, source: PhotoAvatar, *, motion: bool = False, upscale: bool = False) -> PhotoAvatar:
        """A new photo avatar made from ``source`` by add_motion or upscale; completed after ``motion_seconds``."""
        group = self.group(source.group_id)
        look = PhotoAvatar(
            id=new_id(),
            group_id=group.id,
            name=source.name,
            image_key=source.image_key,
            created_at=self.now,
            is_motion=motion or source.is_motion,
            upscaled=upscale,
        )
        self.photo_avatars[look.id] = look
        group.looks.append(look.id)

        def finish(_t: float) -> None:
            failed = self._fails(look.name)
            look.status = "failed" if failed else "completed"
            if motion:
                event = "photo_avatar_add_motion.fail" if failed else "photo_avatar_add_motion.success"
                self.on_event(event, {"id": look.id}, None, (look.id,))

        self.timeline.after(self.config.motion_seconds, finish)
        return look

    def photo_avatar_details(self, look: PhotoAvatar) -> dict[str, Any]:
        return {
            "id": look.id,
            "group_id": look.group_id,
            "name": look.name,
            "status": look.status,
            "image_url": self.media_url("photo", f"{look.id}.png"),
            "created_at": look.created_at,
            "is_motion": look.is_motion,
            "motion_preview_url": self.media_url("motion", f"{look.id}.mp4") if look.is_motion else None,
            "business_type": look.business_type,
            "upscale_availability": {
                "available": look.is_motion and not look.upscaled,
                "reason": None if look.is_motion else "Only avatars with motion can be upscaled",
            },
            "upscaled": look.upscaled,
            "background_sound_effect": look.background_sound_effect,
        }

    # -- streaming ------------------------------------------------------------------------------------------------

    def open_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.status != "closed"]

    def new_session(
        self, avatar_id: str, quality: str, idle_timeout: float | None, version: str | None = None
    ) -> Session:
        if len(self.open_sessions()) >= self.config.max_sessions:
            raise Refusal(
                400, 10007, f"Concurrent session limit reached ({self.config.max_sessions}); stop a session first"
            )
        session = Session(
            id=new_id(),
            avatar_id=avatar_id,
            quality=quality,
            created_at=self.now,
            idle_timeout=idle_timeout or self.config.idle_timeout,
            last_activity=self.now,
            version=version,
        )
        self.sessions[session.id] = session
        self.counters["sessions_created"] += 1
        self._watch_idle(session)
        self.timeline.after(self.config.session_duration_limit, lambda _t: self.close_session(session, "duration"))
        return session

    def _watch_idle(self, session: Session) -> None:
        def check(_t: float) -> None:
            if session.status == "closed":
                return
            due = session.last_activity + session.idle_timeout
            if due <= self.now:
                self.close_session(session, "idle")
            else:
                self.timeline.at(due, check)

        self.timeline.at(session.last_activity + session.idle_timeout, check)

    def session(self, session_id: str, *, open_only: bool = True) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise Refusal(404, 10005, f"Session not found: {session_id}")
        if open_only and session.status == "closed":
            raise Refusal(400, 10006, f"Session {session_id} is closed ({session.closed_reason})")
        return session

    def touch(self, session: Session) -> None:
        session.last_activity = self.now

    def close_session(self, session: Session, reason: str) -> None:
        if session.status == "closed":
            return
        session.status = "closed"
        session.closed_reason = reason
        self.counters[f"sessions_closed_{reason}"] += 1

    def speak(self, session: Session, text: str) -> tuple[str, float]:
        if session.status != "connected":
            raise Refusal(400, 10008, f"Session {session.id} is not started")
        duration = max(0.5, len(text) * SPEECH_SECONDS_PER_CHAR)
        session.speaking_until = max(session.speaking_until, self.now) + duration
        session.tasks += 1
        self.touch(session)
        return new_id(), round(duration * 1000, 1)

    # -- webhooks ------------------------------------------------------------------------------------------------

    @staticmethod
    def check_events(events: Any) -> list[str] | None:
        """A valid event list (None or empty: all events), or the Refusal HeyGen answers."""
        if events is None:
            return None
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise Refusal(400, 400, "events must be a list of event names")
        unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
        if unknown:
            raise Refusal(400, 400, f"Unknown webhook events: {', '.join(unknown)}")
        return list(events) or None

    def add_endpoint(self, url: str, events: list[str] | None, entity_id: str | None) -> WebhookEndpoint:
        events = self.check_events(events)
        endpoint = WebhookEndpoint(
            endpoint_id=new_id(),
            url=url,
            secret="whsec_" + secrets.token_urlsafe(24),
            created_at=self.now,
            events=events,
            entity_id=entity_id,
        )
        self.endpoints[endpoint.endpoint_id] = endpoint
        return endpoint

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            raise Refusal(404, 404, f"Webhook endpoint not found: {endpoint_id}")
        return endpoint

    # -- folders and assets ------------------------------------------------------------------------------------------

    def folder(self, folder_id: str) -> Folder:
        folder = self.folders.get(folder_id)
        if folder is None:
            raise Refusal(404, "not_found", f"Folder not found: {folder_id}")
        return folder
