"""The emulated HeyGen v3 account: its jobs and their state machines on the emulator's clock, per API key.

Every API key is an account of its own (its ``owner``): it sees only its own jobs, endpoints and events, and
runs at most ``concurrent_jobs`` async jobs at once (renders, translations, Video Agent sessions: HeyGen's
concurrency cap); a create over the cap is refused with ``429 rate_limit_exceeded`` and a ``Retry-After`` of
when the first running job should end, while batch items wait (``queued``) and start as slots free up.

State machines (HeyGen's v3 status words):

- videos (also from templates and the Video Agent): pending -> processing -> completed | failed;
- translations and lipsyncs: pending -> running -> completed | failed; proofreads processing -> completed;
- Video Agent sessions: thinking -> generating -> completed | failed (chat mode: thinking ->
  waiting_for_input, then each message thinking -> generating -> completed);
- avatars: processing -> completed | failed; a digital twin first waits in pending_consent;
- voice clones processing -> complete; background removals pending -> processing -> completed;
  AI clipping pending -> running -> completed; assets pending_upload -> processing -> completed;
- batches processing -> completed | failed once every item is final, with ``batch.finished``.

A job fails when a text it was given (script, prompt, name, URL) holds ``failure_marker``, or at random at
``failure_rate``. Finished jobs emit webhook events (see :meth:`V3Account.emit`): to every enabled endpoint
of the account that subscribed to the event, signed with ``Heygen-Signature``, and to the job's own
``callback_url``; each is kept in the account's event history.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Literal, TypeVar

import attrs

from heygen_async.webhooks._signature import sign

from ._config import EmulatorConfig
from ._speech import speech_wav
from ._state import SPEECH_SECONDS_PER_CHAR, Account
from ._timeline import Timeline
from ._v3_checks import V3Refusal
from ._v3_fixtures import EVENT_TYPES, LOOKS, VOICES
from ._webhooks import Delivery

__all__ = [
    "CAPPED",
    "EVENT_NAMES",
    "SPEECHES_KEPT",
    "USERNAME",
    "AgentSession",
    "Asset",
    "AvatarGroup",
    "Batch",
    "BatchItem",
    "Clipping",
    "Endpoint",
    "Event",
    "Job",
    "Lipsync",
    "Look",
    "Proofread",
    "Removal",
    "Translation",
    "V3Account",
    "Video",
    "Voice",
    "owner_of",
]

T = TypeVar("T")

EVENT_NAMES: Final = tuple(event["event_type"] for event in EVENT_TYPES)
USERNAME: Final = "emulated-user"
CAPPED: Final = frozenset({"video", "translation", "agent"})
"""The job kinds HeyGen's concurrency cap counts (its usage-limits page names renders, translations and Video
Agent sessions)."""
DIRECT_UPLOAD_TTL: Final = 3600
SIGNATURE_HEADER: Final = "Heygen-Signature"
SPEECHES_KEPT: Final = 1000
"""Speech answers whose audio stays downloadable; an older ``audio_url`` answers 404."""


def owner_of(api_key: str) -> str:
    """The account an API key stands for, as a name that does not reveal the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def new_id() -> str:
    return secrets.token_hex(16)


@attrs.define(kw_only=True)
class Job:
    """What every v3 job and stored resource has: id, owning account, creation order and status."""

    id: str
    owner: str
    seq: int
    created_at: float
    status: str
    title: str | None = None
    fails: bool = False
    callback_url: str | None = None
    callback_id: str | None = None
    batch_id: str | None = None
    item_index: int | None = None
    completed_at: float | None = None
    failure_code: str | None = None
    failure_message: str | None = None


@attrs.define(kw_only=True)
class Video(Job):
    source: Literal["avatar", "image", "cinematic_avatar", "studio", "template", "agent"]
    duration: float
    output_format: str = "mp4"
    folder_id: str | None = None
    caption: bool = False
    include_gif: bool = False
    session_id: str | None = None
    finished_wall: float | None = None
    """Real (wall-clock) time the render ended, for benchmarks that measure how soon clients notice."""


@attrs.define(kw_only=True)
class Translation(Job):
    output_language: str
    input_language: str | None = None
    translate_audio_only: bool = False
    enable_caption: bool = False
    duration: float = 60.0
    proofread_id: str | None = None


@attrs.define(kw_only=True)
class Proofread(Job):
    output_language: str
    input_language: str | None = None
    srt_version: int = 0


@attrs.define(kw_only=True)
class Lipsync(Job):
    duration: float = 30.0
    enable_caption: bool = False
    folder_id: str | None = None


@attrs.define(kw_only=True)
class AgentSession(Job):
    mode: str
    prompt: str
    progress: int = 0
    video_id: str | None = None
    video_ids: list[str] = attrs.Factory(list)
    messages: list[dict[str, Any]] = attrs.Factory(list)
    resources: dict[str, dict[str, Any]] = attrs.Factory(dict)
    run: int = 0


@attrs.define(kw_only=True)
class AvatarGroup(Job):
    name: str
    kind: str
    consent_status: str | None = None
    looks: list[str] = attrs.Factory(list)
    default_voice_id: str | None = None


@attrs.define(kw_only=True)
class Look(Job):
    name: str
    group_id: str
    avatar_type: str


@attrs.define(kw_only=True)
class Voice(Job):
    name: str
    language: str | None = None
    gender: str | None = None
    clone: bool = False


@attrs.define(kw_only=True)
class Removal(Job):
    layers: list[str]
    duration: float = 20.0


@attrs.define(kw_only=True)
class Clipping(Job):
    output_settings: dict[str, Any]
    input_language: str | None = None
    progress: int = 0
    clips: list[dict[str, Any]] = attrs.Factory(list)


@attrs.define(kw_only=True)
class Asset(Job):
    name: str
    mime_type: str
    size: int
    folder_id: str | None = None
    checksum: str | None = None
    uploaded_size: int | None = None
    uploaded_checksum: str | None = None


@attrs.define(kw_only=True)
class BatchItem:
    index: int
    payload: Any
    job_id: str | None = None
    status: str = "queued"
    error: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class Batch(Job):
    kind: Literal["video", "translation", "lipsync", "asset"]
    items: list[BatchItem]


@attrs.define(kw_only=True)
class Endpoint:
    endpoint_id: str
    owner: str
    seq: int
    url: str
    secret: str = attrs.field(repr=False)  # a credential: never in a repr
    created_at: float
    events: list[str] | None = None
    entity_id: str | None = None
    status: str = "enabled"


@attrs.define(kw_only=True)
class Event:
    event_id: str
    owner: str
    seq: int
    event_type: str
    event_data: dict[str, Any]
    created_at: float
    entities: tuple[str, ...]


Starter = Callable[["V3Account", str, Batch, BatchItem], None]


class V3Account:
    """Every v3 account the emulator serves (one per API key), their jobs, and the clock that moves them."""

    def __init__(
        self,
        config: EmulatorConfig,
        timeline: Timeline,
        legacy: Account,
        deliver: Callable[[Delivery], None],
    ) -> None:
        self.config = config
        self.timeline = timeline
        self.legacy = legacy  # its signed, expiring media URLs serve v3's files too
        self.deliver = deliver
        self.epoch = int(time.time())
        self.reset()

    def reset(self) -> None:
        self.videos: dict[str, Video] = {}
        self.translations: dict[str, Translation] = {}
        self.proofreads: dict[str, Proofread] = {}
        self.lipsyncs: dict[str, Lipsync] = {}
        self.sessions: dict[str, AgentSession] = {}
        self.groups: dict[str, AvatarGroup] = {}
        self.looks: dict[str, Look] = {}
        self.voices: dict[str, Voice] = {}
        self.removals: dict[str, Removal] = {}
        self.removal_requests: dict[tuple[str, str], str] = {}
        self.clippings: dict[str, Clipping] = {}
        self.assets: dict[str, Asset] = {}
        self.batches: dict[str, Batch] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.events: dict[str, Event] = {}
        self.wallets: dict[str, float] = {}
        self.slots: dict[str, dict[str, float]] = {}
        """Per account: the jobs holding one of its ``concurrent_jobs`` slots, with when each should end."""
        self.waiting: dict[str, deque[tuple[Batch, BatchItem, Starter]]] = {}
        self.speeches: dict[str, tuple[tuple[tuple[float, float], ...], float]] = {}
        """The words' ``(start, end)`` and the duration of the latest speech answers, by request id."""
        self.counters: Counter[str] = Counter()
        self._seq = 0
        self._random = random.Random(self.config.seed)

    # -- basics ---------------------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.timeline.now()

    def unix(self, when: float | None) -> int | None:
        """An emulated time as the Unix timestamp HeyGen would give."""
        return None if when is None else self.epoch + int(when)

    def iso(self, when: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.epoch + when))

    def media(self, kind: str, name: str) -> str:
        return self.legacy.media_url(kind, name)

    def keep_speech(self, request_id: str, words: Iterable[tuple[float, float]], duration: float) -> str:
        """Keep what ``GET <audio_url>`` synthesises for a speech answer (the latest ``SPEECHES_KEPT`` only),
        and give that URL."""
        self.speeches[request_id] = (tuple(words), duration)
        while len(self.speeches) > SPEECHES_KEPT:
            del self.speeches[next(iter(self.speeches))]
        return self.media("speech", f"{request_id}.wav")

    def speech_audio(self, name: str) -> bytes | None:
        """The WAV file of a kept speech answer (``<request_id>.wav``), or None."""
        kept = self.speeches.get(name.removesuffix(".wav"))
        if kept is None:
            return None
        words, duration = kept
        rate, channels = self.config.speech_sample_rate, self.config.speech_channels
        return speech_wav(words, duration, sample_rate=rate, channels=channels)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def fails(self, *texts: Any) -> bool:
        """Whether a new job fails: the failure marker in one of its texts, or the draw at ``failure_rate``."""
        marker = self.config.failure_marker
        if marker and any(isinstance(text, str) and marker in text for text in texts):
            return True
        rate = self.config.failure_rate
        return bool(rate) and self._random.random() < rate

    def owned(self, store: Mapping[str, T], owner: str, key: str, what: str, code: str = "not_found") -> T:
        """``store[key]`` if this account owns it; HeyGen's 404 otherwise (another account's is unknown too)."""
        item = store.get(key)
        if item is None or getattr(item, "owner", None) != owner:
            raise V3Refusal(404, code, f"{what} not found: {key}")
        return item

    def mine(self, store: Mapping[str, T], owner: str) -> list[T]:
        """This account's items of ``store``, newest first."""
        items = [item for item in store.values() if getattr(item, "owner", None) == owner]
        items.sort(key=lambda item: getattr(item, "seq", 0), reverse=True)
        return items

    def _alive(self, store: Mapping[str, Any], job: Job, *statuses: str) -> bool:
        """The job is still stored (not deleted, not reset away) and in one of ``statuses``."""
        return store.get(job.id) is job and job.status in statuses

    def _fail(self, job: Job, code: str, message: str) -> None:
        job.status = "failed"
        job.completed_at = self.now
        job.failure_code = code
        job.failure_message = message

    def _end(
        self,
        job: Job,
        *,
        code: str,
        what: str,
        event: str | None = None,
        data: dict[str, Any] | None = None,
        callback: str | None = None,
        media: tuple[str, str] | None = None,
    ) -> bool:
        """End ``job``: failed (``code``, the failure text naming ``what``) when it was made to fail, completed
        otherwise; then ``event``'s ``.fail`` (with the message) or ``.success`` (with the ``media`` URL as
        ``url``) goes to the account's endpoints and ``callback``. Returns whether it completed."""
        data = data or {}
        if job.fails:
            self._fail(job, code, self._failure_text(what))
            if event is not None:
                self.emit(job.owner, f"{event}.fail", {**data, "message": job.failure_message}, callback, (job.id,))
            return False
        job.status = "completed"
        job.completed_at = self.now
        if event is not None:
            url = {"url": self.media(*media)} if media is not None else {}
            self.emit(job.owner, f"{event}.success", {**data, **url}, callback, (job.id,))
        return True

    def _failure_text(self, what: str) -> str:
        return (
            f"Emulated failure of this {what}: one of its texts holds the emulator's failure marker "
            "(EmulatorConfig.failure_marker), or it drew EmulatorConfig.failure_rate"
        )

    # -- money ------------------------------------------------------------------------------------------------

    def balance(self, owner: str) -> float:
        return self.wallets.setdefault(owner, self.config.wallet_balance)

    def charge(self, owner: str, cost: float) -> None:
        balance = self.balance(owner)
        if cost > balance:
            raise V3Refusal(
                402,
                "insufficient_credit",
                f"Insufficient credit: this request needs {cost:g} and the account has {balance:g} remaining",
            )
        self.wallets[owner] = balance - cost

    @staticmethod
    def render_cost(duration: float) -> float:
        return float(max(1, math.ceil(duration / 60)))

    # -- the concurrency cap --------------------------------------------------------------------------------

    def check_capacity(self, owner: str, needed: int = 1) -> None:
        """Refuse ``needed`` more running jobs beyond the cap with HeyGen's 429 and ``Retry-After``."""
        held = self.slots.setdefault(owner, {})
        if len(held) + needed <= self.config.concurrent_jobs:
            return
        self.counters["cap_refusals"] += 1
        first_end = min(held.values(), default=self.now)
        wait = max(0.0, first_end - self.now)
        real = self.timeline.clock.real_seconds(wait)
        seconds = max(1, math.ceil(real if math.isfinite(real) else wait))
        raise V3Refusal(
            429,
            "rate_limit_exceeded",
            f"Concurrency limit reached: {len(held)} of {self.config.concurrent_jobs} async jobs are running; "
            f"retry after {seconds} s",
            headers={"Retry-After": str(seconds)},
        )

    def hold(self, owner: str, job_id: str, ends_in: float) -> None:
        self.slots.setdefault(owner, {})[job_id] = self.now + ends_in

    def release(self, owner: str, job_id: str) -> None:
        if self.slots.get(owner, {}).pop(job_id, None) is not None:
            self.pump(owner)

    def running(self, owner: str | None = None) -> int:
        if owner is not None:
            return len(self.slots.get(owner, {}))
        return sum(len(held) for held in self.slots.values())

    def queue(self, owner: str, batch: Batch, item: BatchItem, start: Starter) -> None:
        """A batch item waiting for a slot (it starts at once if one is free)."""
        self.waiting.setdefault(owner, deque()).append((batch, item, start))
        self.pump(owner)

    def pump(self, owner: str) -> None:
        """Start waiting batch items while the account has free slots."""
        waiting = self.waiting.get(owner)
        while waiting and len(self.slots.get(owner, {})) < self.config.concurrent_jobs:
            batch, item, start = waiting.popleft()
            if self.batches.get(batch.id) is not batch:
                continue
            try:
                start(self, owner, batch, item)
            except V3Refusal as exc:  # e.g. the wallet ran dry: this item fails, the others go on
                item.status = "failed"
                item.error = {"code": exc.code, "message": exc.message}
                self.batch_moved(batch)

    # -- webhooks -----------------------------------------------------------------------------------------------

    def emit(
        self,
        owner: str,
        event_type: str,
        data: dict[str, Any],
        callback_url: str | None = None,
        entities: Iterable[str] = (),
    ) -> None:
        """Record ``event_type`` in the account's history and deliver it: to each enabled endpoint of the account
        that wants it (signed with its secret in ``Heygen-Signature``), and unsigned to ``callback_url``."""
        entity_ids = tuple(entities)
        event = Event(
            event_id="evt_" + new_id(),
            owner=owner,
            seq=self.next_seq(),
            event_type=event_type,
            event_data=data,
            created_at=self.now,
            entities=entity_ids,
        )
        self.events[event.event_id] = event
        self.counters["events"] += 1
        body = json.dumps({"event_type": event_type, "event_data": data}, separators=(",", ":")).encode()
        headers = {"Heygen-Timestamp": str(int(time.time())), "Heygen-Event-Id": event.event_id}
        for endpoint in self.mine(self.endpoints, owner):
            if endpoint.status != "enabled":
                continue
            if endpoint.events is not None and event_type not in endpoint.events:
                continue
            if endpoint.entity_id is not None and endpoint.entity_id not in entity_ids:
                continue
            self.deliver(
                Delivery(
                    event_type,
                    endpoint.url,
                    body,
                    sign(body, endpoint.secret),
                    signature_header=SIGNATURE_HEADER,
                    headers=headers,
                )
            )
        if callback_url:
            self.deliver(Delivery(event_type, callback_url, body, None, headers=headers))

    # -- videos -------------------------------------------------------------------------------------------------

    def create_video(
        self,
        owner: str,
        *,
        source: Literal["avatar", "image", "cinematic_avatar", "studio", "template", "agent"],
        text: str,
        fails: bool,
        holds_slot: bool = True,
        start: bool = True,
        **fields: Any,
    ) -> Video:
        """A new render (checked against the cap and the wallet first); it starts now unless ``start`` is False
        (a Video Agent's video waits for the agent to think)."""
        duration = max(1.0, round(len(text) * SPEECH_SECONDS_PER_CHAR, 2))
        if holds_slot:
            self.check_capacity(owner)
        self.charge(owner, self.render_cost(duration))
        video = Video(
            id=new_id(),
            owner=owner,
            seq=self.next_seq(),
            created_at=self.now,
            status="pending",
            source=source,
            duration=duration,
            fails=fails,
            **fields,
        )
        self.videos[video.id] = video
        self.counters["videos_created"] += 1
        if holds_slot:
            self.hold(owner, video.id, self.config.pending_seconds + self.config.render_seconds)
        if start:
            self.begin_render(video)
        return video

    def begin_render(self, video: Video) -> None:
        self.timeline.after(self.config.pending_seconds, functools.partial(self._video_processing, video))

    def _video_processing(self, video: Video, _when: float) -> None:
        if self._alive(self.videos, video, "pending"):
            video.status = "processing"
            self.timeline.after(self.config.render_seconds, functools.partial(self._video_done, video))

    def _video_done(self, video: Video, _when: float) -> None:
        if not self._alive(self.videos, video, "processing"):
            return
        video.finished_wall = time.time()
        self.release(video.owner, video.id)
        if video.fails:
            self._fail(video, "RENDER_FAILED", self._failure_text("render"))
            self.counters["videos_failed"] += 1
            data: dict[str, Any] = {
                "video_id": video.id,
                "msg": video.failure_message,
                "callback_id": video.callback_id,
            }
            self.emit(video.owner, "avatar_video.fail", data, video.callback_url, (video.id,))
        else:
            video.status = "completed"
            video.completed_at = self.now
            self.counters["videos_completed"] += 1
            url = self.media("video", f"{video.id}.mp4")
            data = {
                "video_id": video.id,
                "url": url,
                "video_url": url,
                "callback_id": video.callback_id,
                "video_share_page_url": f"{self.legacy.public_url}/share/{video.id}",
                "folder_id": video.folder_id,
            }
            if video.include_gif:
                data["gif_download_url"] = self.media("gif", f"{video.id}.gif")
            self.emit(video.owner, "avatar_video.success", data, video.callback_url, (video.id,))
            if video.include_gif:
                self.emit(video.owner, "avatar_video_gif.success", data, video.callback_url, (video.id,))
            if video.caption:
                captioned = {**data, "url": self.media("video", f"{video.id}.captioned.mp4")}
                self.emit(video.owner, "avatar_video_caption.success", captioned, video.callback_url, (video.id,))
        self.job_moved(video)
        session = self.sessions.get(video.session_id or "")
        if session is not None and session.status == "generating" and session.video_id == video.id:
            self._session_over(session, video)

    def forget(self, store: dict[str, Any], job: Job) -> None:
        """Delete a job: its slot frees, its timers find it gone, its batch counts it as failed."""
        del store[job.id]
        self.release(job.owner, job.id)
        self.job_moved(job)

    def video_json(self, video: Video) -> dict[str, Any]:
        done = video.status == "completed"
        return {
            "id": video.id,
            "title": video.title,
            "status": video.status,
            "video_url": self.media("video", f"{video.id}.mp4") if done else None,
            "captioned_video_url": self.media("video", f"{video.id}.captioned.mp4") if done and video.caption else None,
            "subtitle_url": self.media("caption", f"{video.id}.srt") if done else None,
            "thumbnail_url": self.media("thumbnail", f"{video.id}.jpg") if done else None,
            "gif_url": self.media("gif", f"{video.id}.gif") if done else None,
            "video_page_url": f"{self.legacy.public_url}/share/{video.id}",
            "duration": video.duration if done else None,
            "failure_code": video.failure_code,
            "failure_message": video.failure_message,
            "created_at": self.unix(video.created_at),
            "completed_at": self.unix(video.completed_at),
            "folder_id": video.folder_id,
            "output_language": None,
            "callback_id": video.callback_id,
        }

    # -- translations, proofreads, lipsyncs -------------------------------------------------------------------

    def create_translations(
        self, owner: str, languages: list[str], *, texts: tuple[Any, ...], **fields: Any
    ) -> list[Translation]:
        """One job per output language (each failing or not on its own, by ``texts``); the whole request is
        refused if they do not all fit under the cap."""
        self.check_capacity(owner, len(languages))
        self.charge(owner, float(len(languages)))
        return [self._translation(owner, language, self.fails(*texts), **fields) for language in languages]

    def _translation(self, owner: str, language: str, fails: bool, **fields: Any) -> Translation:
        job = Translation(
            id=new_id(),
            owner=owner,
            seq=self.next_seq(),
            created_at=self.now,
            status="pending",
            output_language=language,
            fails=fails,
            **fields,
        )
        self.translations[job.id] = job
        self.counters["translations_created"] += 1
        config = self.config
        self.hold(owner, job.id, config.pending_seconds + config.translation_seconds)
        self.timeline.after(config.pending_seconds, functools.partial(self._translation_running, job))
        return job

    def _translation_running(self, job: Translation, _when: float) -> None:
        if self._alive(self.translations, job, "pending"):
            job.status = "running"
            self.timeline.after(self.config.translation_seconds, functools.partial(self._translation_done, job))

    def _translation_done(self, job: Translation, _when: float) -> None:
        if not self._alive(self.translations, job, "running"):
            return
        self.release(job.owner, job.id)
        data: dict[str, Any] = {
            "video_translation_id": job.id,
            "output_language": job.output_language,
            "callback_id": job.callback_id,
        }
        media = ("translation", f"{job.id}.mp4")
        self._end(
            job,
            code="TRANSLATION_FAILED",
            what="translation",
            event="video_translate",
            data=data,
            callback=job.callback_url,
            media=media,
        )
        self.job_moved(job)

    def translation_json(self, job: Translation) -> dict[str, Any]:
        done = job.status == "completed"
        return {
            "id": job.id,
            "title": job.title,
            "status": job.status,
            "output_language": job.output_language,
            "input_language": job.input_language,
            "video_url": None if not done or job.translate_audio_only else self.media("translation", f"{job.id}.mp4"),
            "audio_url": self.media("audio", f"{job.id}.mp3") if done else None,
            "srt_caption_url": self.media("caption", f"{job.id}.srt") if done and job.enable_caption else None,
            "vtt_caption_url": self.media("caption", f"{job.id}.vtt") if done and job.enable_caption else None,
            "duration": job.duration if done else None,
            "translate_audio_only": job.translate_audio_only,
            "failure_message": job.failure_message,
            "created_at": self.unix(job.created_at),
            "callback_id": job.callback_id,
        }

    def create_proofreads(self, owner: str, languages: list[str], **fields: Any) -> list[Proofread]:
        jobs = []
        for language in languages:
            job = Proofread(
                id=new_id(),
                owner=owner,
                seq=self.next_seq(),
                created_at=self.now,
                status="processing",
                output_language=language,
                **fields,
            )
            self.proofreads[job.id] = job
            self.counters["proofreads_created"] += 1
            self.timeline.after(
                self.config.pending_seconds + self.config.translation_seconds / 2,
                functools.partial(self._proofread_done, job),
            )
            jobs.append(job)
        return jobs

    def _proofread_done(self, job: Proofread, _when: float) -> None:
        if not self._alive(self.proofreads, job, "processing"):
            return
        data = {"proofread_id": job.id, "output_language": job.output_language}
        self._end(job, code="PROOFREAD_FAILED", what="proofread", event="proofread_creation", data=data)

    def proofread_json(self, job: Proofread) -> dict[str, Any]:
        return {
            "id": job.id,
            "title": job.title,
            "status": job.status,
            "output_language": job.output_language,
            "input_language": job.input_language,
            "submitted_for_review": False,
            "failure_message": job.failure_message,
            "created_at": self.unix(job.created_at),
        }

    def create_lipsync(self, owner: str, **fields: Any) -> Lipsync:
        job = Lipsync(id=new_id(), owner=owner, seq=self.next_seq(), created_at=self.now, status="pending", **fields)
        self.lipsyncs[job.id] = job
        self.counters["lipsyncs_created"] += 1
        self.timeline.after(self.config.pending_seconds, functools.partial(self._lipsync_running, job))
        return job

    def _lipsync_running(self, job: Lipsync, _when: float) -> None:
        if self._alive(self.lipsyncs, job, "pending"):
            job.status = "running"
            self.timeline.after(self.config.translation_seconds, functools.partial(self._lipsync_done, job))

    def _lipsync_done(self, job: Lipsync, _when: float) -> None:
        if not self._alive(self.lipsyncs, job, "running"):
            return
        # HeyGen lists no lipsync event type; the job's own callback_url hears of it under these names (a guess).
        data: dict[str, Any] = {"lipsync_id": job.id, "callback_id": job.callback_id}
        media = ("lipsync", f"{job.id}.mp4")
        self._end(
            job,
            code="LIPSYNC_FAILED",
            what="lipsync",
            event="lipsync",
            data=data,
            callback=job.callback_url,
            media=media,
        )
        self.job_moved(job)

    def lipsync_json(self, job: Lipsync) -> dict[str, Any]:
        done = job.status == "completed"
        return {
            "id": job.id,
            "title": job.title,
            "status": job.status,
            "video_url": self.media("lipsync", f"{job.id}.mp4") if done else None,
            "caption_url": self.media("caption", f"{job.id}.srt") if done and job.enable_caption else None,
            "duration": job.duration if done else None,
            "failure_message": job.failure_message,
            "created_at": self.unix(job.created_at),
            "callback_id": job.callback_id,
        }

    # -- batches and bulk statuses ------------------------------------------------------------------------------

    def create_batch(
        self,
        owner: str,
        kind: Literal["video", "translation", "lipsync", "asset"],
        payloads: list[Any],
        start: Starter | None,
        *,
        title: str | None,
        callback_url: str | None,
    ) -> Batch:
        """A batch whose items start through ``start`` (capped kinds as slots free up; None: they wait for a
        later call, as asset uploads wait for ``complete``)."""
        batch = Batch(
            id=new_id(),
            owner=owner,
            seq=self.next_seq(),
            created_at=self.now,
            status="processing",
            kind=kind,
            title=title,
            callback_url=callback_url,
            items=[BatchItem(index=index, payload=payload) for index, payload in enumerate(payloads)],
        )
        self.batches[batch.id] = batch
        self.counters["batches_created"] += 1
        if start is not None:
            for item in batch.items:
                if kind in CAPPED:
                    self.queue(owner, batch, item, start)
                else:
                    start(self, owner, batch, item)
        return batch

    def item_status(self, batch: Batch, item: BatchItem) -> tuple[str, dict[str, Any] | None]:
        """A batch item's bulk status word (queued, processing, completed, failed) and error."""
        if item.job_id is None:
            return item.status, item.error
        job = self.store_of(batch.kind).get(item.job_id)
        if job is None:
            return "failed", {"code": "deleted", "message": "The item's job was deleted"}
        return self.bulk_status(job)

    def store_of(self, kind: str) -> Mapping[str, Job]:
        """Where a batch of ``kind`` keeps its items' jobs."""
        stores: dict[str, Mapping[str, Job]] = {
            "video": self.videos,
            "translation": self.translations,
            "lipsync": self.lipsyncs,
            "asset": self.assets,
        }
        return stores[kind]

    @staticmethod
    def bulk_status(job: Job) -> tuple[str, dict[str, Any] | None]:
        """A job's status in the bulk-status words shared by videos, translations, lipsyncs and assets."""
        if job.status == "completed":
            return "completed", None
        if job.status == "failed":
            return "failed", {"code": job.failure_code, "message": job.failure_message}
        if job.status in ("pending", "waiting", "pending_upload"):
            return "queued", None
        return "processing", None

    def job_moved(self, job: Job) -> None:
        if job.batch_id is not None and job.batch_id in self.batches:
            self.batch_moved(self.batches[job.batch_id])

    def batch_moved(self, batch: Batch) -> None:
        """Settle the batch once every item is final, and say so (``batch.finished``)."""
        if batch.status != "processing":
            return
        states = [self.item_status(batch, item)[0] for item in batch.items]
        if any(state not in ("completed", "failed") for state in states):
            return
        batch.status = "failed" if all(state == "failed" for state in states) else "completed"
        batch.completed_at = self.now
        data = {
            "batch_id": batch.id,
            "status": batch.status,
            "counts_by_status": dict(Counter(states)),
            "total_items": len(batch.items),
        }
        self.emit(batch.owner, "batch.finished", data, batch.callback_url, (batch.id,))

    def batch_json(self, batch: Batch, items: list[BatchItem]) -> dict[str, Any]:
        states = [self.item_status(batch, item) for item in batch.items]
        return {
            "batch_id": batch.id,
            "title": batch.title,
            "status": batch.status,
            "created_at": self.unix(batch.created_at),
            "total_items": len(batch.items),
            "counts_by_status": dict(Counter(state for state, _ in states)),
            "items": [
                {
                    "item_index": item.index,
                    "video_id": item.job_id,
                    "status": states[item.index][0],
                    "error": states[item.index][1],
                }
                for item in items
            ],
        }

    def statuses(
        self, owner: str, store: Mapping[str, Job], ids: list[str], batch_ids: list[str], kind: str
    ) -> list[dict[str, Any]]:
        """Bulk status: one entry per id (``not_found`` for unknown or another account's), then every item of
        each batch named."""
        entries: list[dict[str, Any]] = []
        for job_id in ids:
            job = store.get(job_id)
            if job is None or job.owner != owner:
                entries.append(
                    {"video_id": job_id, "status": "not_found", "batch_id": None, "item_index": None, "error": None}
                )
                continue
            status, error = self.bulk_status(job)
            entries.append(
                {
                    "video_id": job.id,
                    "status": status,
                    "batch_id": job.batch_id,
                    "item_index": job.item_index,
                    "error": error,
                }
            )
        for batch_id in batch_ids:
            batch = self.batches.get(batch_id)
            if batch is None or batch.owner != owner or batch.kind != kind:
                entries.append(
                    {"video_id": None, "status": "not_found", "batch_id": batch_id, "item_index": None, "error": None}
                )
                continue
            for item in batch.items:
                status, error = self.item_status(batch, item)
                entries.append(
                    {
                        "video_id": item.job_id,
                        "status": status,
                        "batch_id": batch.id,
                        "item_index": item.index,
                        "error": error,
                    }
                )
        return entries

    # -- the Video Agent ---------------------------------------------------------------------------------------

    def create_session(self, owner: str, *, mode: str, prompt: str, fails: bool, **fields: Any) -> AgentSession:
        self.check_capacity(owner)
        session = AgentSession(
            id=new_id(),
            owner=owner,
            seq=self.next_seq(),
            created_at=self.now,
            status="thinking",
            mode=mode,
            prompt=prompt,
            fails=fails,
            progress=5,
            **fields,
        )
        self.sessions[session.id] = session
        self.counters["agent_sessions_created"] += 1
        self.say(session, "user", prompt)
        self._start_run(session, prompt)
        return session

    def say(self, session: AgentSession, role: str, content: str, resource_ids: list[str] | None = None) -> None:
        session.messages.append(
            {
                "role": role,
                "type": "text",
                "content": content,
                "created_at": self.unix(self.now),
                "resource_ids": resource_ids or [],
            }
        )

    def _start_run(self, session: AgentSession, prompt: str) -> None:
        """One agent run: think, then (generate mode, or a chat message) render a video."""
        session.run += 1
        renders = session.mode == "generate" or session.run > 1
        config = self.config
        think = config.generation_seconds
        if renders:
            video = self.create_video(
                session.owner,
                source="agent",
                text=prompt,
                fails=session.fails,
                holds_slot=False,
                start=False,
                title=session.title,
                session_id=session.id,
                callback_id=session.callback_id,
            )
            session.video_id = video.id
            session.video_ids.append(video.id)
        ends = think + (config.pending_seconds + config.render_seconds if renders else 0.0)
        self.hold(session.owner, session.id, ends)
        self.timeline.after(think, functools.partial(self._session_thought, session, session.run))

    def continue_session(self, session: AgentSession, message: str) -> str:
        if session.mode != "chat":
            raise V3Refusal(409, "conflict", "Follow-up messages are only accepted by sessions in chat mode")
        if session.status not in ("waiting_for_input", "completed", "failed"):
            raise V3Refusal(409, "conflict", f"The session is busy ({session.status}); wait or stop it first")
        self.check_capacity(session.owner)
        session.status = "thinking"
        session.progress = 5
        session.failure_code = session.failure_message = None
        self.say(session, "user", message)
        self._start_run(session, message)
        return f"run_{session.run}_{session.id[:8]}"

    def _session_thought(self, session: AgentSession, run: int, _when: float) -> None:
        if not self._alive(self.sessions, session, "thinking") or session.run != run:
            return
        if session.mode == "chat" and run == 1:
            session.status = "waiting_for_input"
            session.progress = 0
            self.release(session.owner, session.id)
            self.say(session, "assistant", "What should the video say, and who should present it?")
            return
        session.status = "generating"
        session.progress = 50
        video = self.videos.get(session.video_id or "")
        if video is None:
            self._session_over(session, None)
            return
        self.say(session, "assistant", "Generating your video.")
        self.begin_render(video)  # the session ends with its video (_video_done)

    def _session_over(self, session: AgentSession, video: Video | None) -> None:
        self.release(session.owner, session.id)
        data: dict[str, Any] = {
            "session_id": session.id,
            "video_id": session.video_id,
            "callback_id": session.callback_id,
        }
        if video is None or video.status != "completed":
            self._fail(session, "AGENT_FAILED", self._failure_text("Video Agent run"))
            session.progress = 100
            data["message"] = session.failure_message
            self.emit(session.owner, "video_agent.fail", data, session.callback_url, (session.id,))
            return
        session.status = "completed"
        session.progress = 100
        session.completed_at = self.now
        resource_id = new_id()
        url = self.media("video", f"{video.id}.mp4")
        session.resources[resource_id] = {
            "resource_id": resource_id,
            "resource_type": "video",
            "source_type": "generated",
            "url": url,
            "preview_url": url,
            "thumbnail_url": self.media("thumbnail", f"{video.id}.jpg"),
            "metadata": {"video_id": video.id, "duration": video.duration},
            "created_at": self.unix(self.now),
        }
        self.say(session, "assistant", "Your video is ready.", [resource_id])
        data.update(url=url, video_url=url)
        self.emit(session.owner, "video_agent.success", data, session.callback_url, (session.id,))

    def stop_session(self, session: AgentSession) -> None:
        """Halt the running turn: its unfinished video fails, the slot frees; a chat waits for input again."""
        if session.status not in ("thinking", "generating"):
            return
        video = self.videos.get(session.video_id or "")
        if video is not None and video.status in ("pending", "processing"):
            self._fail(video, "stopped", "The Video Agent run was stopped")
            self.counters["videos_failed"] += 1
        self.release(session.owner, session.id)
        session.run += 1  # whatever this run had scheduled no longer applies
        if session.mode == "chat":
            session.status = "waiting_for_input"
            session.progress = 0
        else:
            self._fail(session, "stopped", "The Video Agent run was stopped")

    def session_json(self, session: AgentSession) -> dict[str, Any]:
        return {
            "session_id": session.id,
            "title": session.title,
            "status": session.status,
            "progress": session.progress,
            "video_id": session.video_id,
            "messages": session.messages,
            "created_at": self.unix(session.created_at),
        }

    # -- avatars --------------------------------------------------------------------------------------------------

    def create_avatar(self, owner: str, kind: str, name: str, group: AvatarGroup | None, fails: bool) -> Look:
        if group is None:
            group = AvatarGroup(
                id=new_id(),
                owner=owner,
                seq=self.next_seq(),
                created_at=self.now,
                status="processing",
                name=name,
                kind=kind,
                fails=fails,
            )
            self.groups[group.id] = group
        look = Look(
            id=new_id(),
            owner=owner,
            seq=self.next_seq(),
            created_at=self.now,
            status="processing",
            name=name,
            group_id=group.id,
            avatar_type="digital_twin" if kind == "digital_twin" else "photo_avatar",
            fails=fails,
        )
        self.looks[look.id] = look
        group.looks.append(look.id)
        self.counters["avatars_created"] += 1
        if kind == "digital_twin" and group.consent_status != "approved":
            group.status = look.status = "pending_consent"
            group.consent_status = "pending"
        else:
            group.status = "processing"
            self._train(group, look)
        return look

    def _train(self, group: AvatarGroup, look: Look) -> None:
        seconds = self.config.training_seconds if look.avatar_type == "digital_twin" else self.config.generation_seconds
        self.timeline.after(seconds, functools.partial(self._avatar_done, group, look))

    def approve_consent(self, group: AvatarGroup) -> None:
        """The person filmed agreed: a digital twin waiting for consent starts training."""
        if group.consent_status == "approved":
            return
        group.consent_status = "approved"
        group.status = "processing"
        for look_id in group.looks:
            look = self.looks.get(look_id)
            if look is not None and look.status == "pending_consent":
                look.status = "processing"
                self._train(group, look)

    def _avatar_done(self, group: AvatarGroup, look: Look, _when: float) -> None:
        if not self._alive(self.looks, look, "processing"):
            return
        event = {"digital_twin": "instant_avatar", "prompt": "photo_avatar_generation"}.get(
            group.kind, "photo_avatar_train"
        )
        data = {"avatar_group_id": group.id, "avatar_id": look.id}
        if look.fails:
            self._fail(look, "AVATAR_FAILED", self._failure_text("avatar"))
            self.emit(look.owner, f"{event}.fail", {**data, "message": look.failure_message}, None, (look.id, group.id))
        else:
            look.status = "completed"
            look.completed_at = self.now
            self.emit(look.owner, f"{event}.success", data, None, (look.id, group.id))
        statuses = {self.looks[i].status for i in group.looks if i in self.looks}
        if "processing" not in statuses and "pending_consent" not in statuses:
            group.status = "completed" if "completed" in statuses else "failed"

    def group_json(self, group: AvatarGroup) -> dict[str, Any]:
        first = group.looks[0] if group.looks else None
        return {
            "id": group.id,
            "name": group.name,
            "status": group.status,
            "consent_status": group.consent_status,
            "looks_count": len(group.looks),
            "default_voice_id": group.default_voice_id,
            "gender": None,
            "preview_image_url": self.media("photo", f"{first}.png") if first else None,
            "preview_video_url": None,
            "created_at": self.unix(group.created_at),
            "error": {"code": group.failure_code, "message": group.failure_message}
            if group.status == "failed"
            else None,
        }

    def look_json(self, look: Look) -> dict[str, Any]:
        engines = ["avatar_iv", "avatar_v", "avatar_iii"] if look.avatar_type == "digital_twin" else ["avatar_iv"]
        return {
            "id": look.id,
            "name": look.name,
            "avatar_type": look.avatar_type,
            "group_id": look.group_id,
            "gender": None,
            "status": look.status,
            "supported_api_engines": engines,
            "preferred_orientation": "landscape",
            "default_voice_id": None,
            "preview_image_url": self.media("photo", f"{look.id}.png"),
            "preview_video_url": None,
            "image_width": 1920,
            "image_height": 1080,
            "tags": [],
            "error": {"code": look.failure_code, "message": look.failure_message} if look.status == "failed" else None,
        }

    def delete_look(self, look: Look) -> None:
        """A look goes; its group goes with its last look."""
        del self.looks[look.id]
        group = self.groups.get(look.group_id)
        if group is not None:
            group.looks = [i for i in group.looks if i != look.id]
            if not group.looks:
                del self.groups[group.id]

    def delete_group(self, group: AvatarGroup) -> None:
        for look_id in group.looks:
            self.looks.pop(look_id, None)
        del self.groups[group.id]

    def avatar_ready(self, owner: str, avatar_id: str) -> dict[str, Any]:
        """The look an ``avatar_id`` names (the catalogue's or the account's own), or HeyGen's refusal."""
        for look in LOOKS:
            if look["id"] == avatar_id:
                return look
        own = self.looks.get(avatar_id)
        if own is None or own.owner != owner:
            raise V3Refusal(404, "avatar_not_found", f"Avatar not found: {avatar_id}", param="avatar_id")
        if own.status != "completed":
            raise V3Refusal(
                400, "invalid_parameter", f"avatar_id: the avatar is {own.status}, not ready", param="avatar_id"
            )
        return self.look_json(own)

    # -- voices ---------------------------------------------------------------------------------------------------

    def create_voice(self, owner: str, name: str, *, clone: bool, fails: bool = False, **fields: Any) -> Voice:
        voice = Voice(
            id=new_id(),
            owner=owner,
            seq=self.next_seq(),
            created_at=self.now,
            status="processing" if clone else "complete",
            name=name,
            clone=clone,
            fails=fails,
            **fields,
        )
        self.voices[voice.id] = voice
        if clone:
            self.counters["voice_clones_created"] += 1
            self.timeline.after(self.config.generation_seconds, functools.partial(self._clone_done, voice))
        return voice

    def _clone_done(self, voice: Voice, _when: float) -> None:
        if not self._alive(self.voices, voice, "processing"):
            return
        if voice.fails:
            self._fail(voice, "CLONE_FAILED", self._failure_text("voice clone"))
        else:
            voice.status = "complete"
            voice.completed_at = self.now

    def voice(self, owner: str, voice_id: str) -> dict[str, Any]:
        """A voice (catalogue or own) as ``GET /v3/voices/{voice_id}`` shows it; ``voice_not_found`` else."""
        for voice in VOICES:
            if voice["voice_id"] == voice_id:
                return dict(voice)
        own = self.owned(self.voices, owner, voice_id, "Voice", "voice_not_found")
        return self.voice_json(own)

    def voice_json(self, voice: Voice) -> dict[str, Any]:
        return {
            "voice_id": voice.id,
            "name": voice.name,
            "language": voice.language,
            "gender": voice.gender,
            "type": "private",
            "engine": "starfish",
            "status": voice.status,
            "support_pause": True,
            "support_locale": False,
            "support_interactive_avatar": False,
            "preview_audio_url": self.media("audio", f"{voice.id}.mp3") if voice.status == "complete" else None,
            "failure_message": voice.failure_message,
            "created_at": self.unix(voice.created_at),
        }

    # -- background removal, AI clipping -------------------------------------------------------------------

    def create_removal(self, owner: str, request_id: str | None, **fields: Any) -> Removal:
        """A removal job; the same ``request_id`` again gives the original job back, whatever the body."""
        if request_id is not None:
            known = self.removals.get(self.removal_requests.get((owner, request_id), ""))
            if known is not None:
                return known
        job = Removal(id=new_id(), owner=owner, seq=self.next_seq(), created_at=self.now, status="pending", **fields)
        self.removals[job.id] = job
        if request_id is not None:
            self.removal_requests[(owner, request_id)] = job.id
        self.counters["background_removals_created"] += 1
        self.timeline.after(self.config.pending_seconds, functools.partial(self._removal_processing, job))
        return job

    def _removal_processing(self, job: Removal, _when: float) -> None:
        if self._alive(self.removals, job, "pending"):
            job.status = "processing"
            self.timeline.after(self.config.render_seconds, functools.partial(self._removal_done, job))

    def _removal_done(self, job: Removal, _when: float) -> None:
        if not self._alive(self.removals, job, "processing"):
            return
        self._end(job, code="REMOVAL_FAILED", what="background removal")

    def removal_json(self, job: Removal) -> dict[str, Any]:
        done = job.status == "completed"
        return {
            "id": job.id,
            "status": job.status,
            "layers": {name: self.media("layer", f"{job.id}.{name}.webm") for name in job.layers} if done else {},
            "duration": job.duration if done else None,
            "error": job.failure_message,
            "created_at": self.unix(job.created_at),
            "completed_at": self.unix(job.completed_at),
        }

    def create_clipping(self, owner: str, **fields: Any) -> Clipping:
        job = Clipping(id=new_id(), owner=owner, seq=self.next_seq(), created_at=self.now, status="pending", **fields)
        self.clippings[job.id] = job
        self.counters["clippings_created"] += 1
        self.timeline.after(self.config.pending_seconds, functools.partial(self._clipping_running, job))
        return job

    def _clipping_running(self, job: Clipping, _when: float) -> None:
        if self._alive(self.clippings, job, "pending"):
            job.status = "running"
            job.progress = 10
            self.timeline.after(self.config.render_seconds, functools.partial(self._clipping_done, job))

    def _clipping_done(self, job: Clipping, _when: float) -> None:
        if not self._alive(self.clippings, job, "running"):
            return
        job.progress = 100
        data: dict[str, Any] = {"id": job.id, "callback_id": job.callback_id}
        if job.fails:
            self._end(
                job,
                code="CLIPPING_FAILED",
                what="AI clipping job",
                event="ai_clipping",
                data=data,
                callback=job.callback_url,
            )
            return
        job.status = "completed"
        job.completed_at = self.now
        ratio = job.output_settings.get("aspect_ratio") or "portrait"
        job.clips = [
            {
                "id": f"{job.id[:16]}-{index}",
                "title": f"Clip {index + 1}",
                "status": "completed",
                "video_url": self.media("clip", f"{job.id}-{index}.mp4"),
                "thumbnail_url": self.media("thumbnail", f"{job.id}-{index}.jpg"),
                "duration_seconds": 30.0,
                "aspect_ratio": ratio,
                "virality_score": round(0.9 - index * 0.1, 2),
                "failure_message": None,
            }
            for index in range(3)
        ]
        self.emit(job.owner, "ai_clipping.success", {**data, "clips": len(job.clips)}, job.callback_url, (job.id,))

    def clipping_json(self, job: Clipping) -> dict[str, Any]:
        return {
            "id": job.id,
            "title": job.title,
            "status": job.status,
            "progress": job.progress,
            "clips": job.clips,
            "input_language": job.input_language,
            "output_settings": job.output_settings,
            "source_duration": 600.0,
            "failure_message": job.failure_message,
            "created_at": self.unix(job.created_at),
            "callback_id": job.callback_id,
        }

    # -- assets ---------------------------------------------------------------------------------------------------

    def create_asset(self, owner: str, *, status: str, **fields: Any) -> Asset:
        asset = Asset(id=new_id(), owner=owner, seq=self.next_seq(), created_at=self.now, status=status, **fields)
        self.assets[asset.id] = asset
        self.counters["assets_created"] += 1
        return asset

    def complete_asset(self, asset: Asset) -> None:
        """Finalise a direct upload: checked now (uploaded, size and checksum), ready after ``pending_seconds``;
        a call for an asset already finalised changes nothing."""
        if asset.status != "pending_upload":
            return
        if asset.uploaded_size is None:
            raise V3Refusal(409, "conflict", "The file has not been uploaded to upload_url yet")
        if asset.uploaded_size != asset.size:
            raise V3Refusal(
                400,
                "invalid_parameter",
                f"size_bytes: {asset.size} were announced and {asset.uploaded_size} uploaded",
                param="size_bytes",
            )
        if asset.checksum is not None and asset.checksum != asset.uploaded_checksum:
            raise V3Refusal(
                400,
                "invalid_parameter",
                "checksum_sha256: the uploaded bytes have another SHA-256",
                param="checksum_sha256",
            )
        asset.status = "processing"
        self.timeline.after(self.config.pending_seconds, functools.partial(self._asset_ready, asset))

    def _asset_ready(self, asset: Asset, _when: float) -> None:
        if self._alive(self.assets, asset, "processing"):
            asset.status = "completed"
            asset.completed_at = self.now
            self.job_moved(asset)

    def asset_kind(self, asset: Asset) -> str:
        return {"application/pdf": "pdf", "application/x-subrip": "srt", "text/srt": "srt"}.get(
            asset.mime_type, asset.mime_type.split("/")[0]
        )

    def asset_json(self, asset: Asset) -> dict[str, Any]:
        return {
            "id": asset.id,
            "name": asset.name,
            "type": self.asset_kind(asset),
            "url": self.media("asset", asset.id) if asset.status != "pending_upload" else None,
            "owner": USERNAME,
            "space_id": f"space-{asset.owner}",
            "uploaded_at": self.unix(asset.completed_at or asset.created_at),
            "folder_id": asset.folder_id,
        }

    def upload_slot(self, asset: Asset) -> dict[str, Any]:
        """Where and how to PUT a direct upload's bytes (an S3-style presigned URL on the emulator)."""
        return {
            "asset_id": asset.id,
            "upload_url": self.legacy.media_url("upload", asset.id).replace("/media/upload/", "/uploads/", 1),
            "upload_headers": {"Content-Type": asset.mime_type},
            "expires_in_seconds": DIRECT_UPLOAD_TTL,
            "max_bytes": asset.size,
            "status": asset.status,
        }

    # -- webhook endpoints ----------------------------------------------------------------------------------------

    def create_endpoint(self, owner: str, url: str, events: list[str] | None, entity_id: str | None) -> Endpoint:
        endpoint = Endpoint(
            endpoint_id=new_id(),
            owner=owner,
            seq=self.next_seq(),
            url=url,
            secret=self.new_secret(),
            created_at=self.now,
            events=events or None,
            entity_id=entity_id,
        )
        self.endpoints[endpoint.endpoint_id] = endpoint
        return endpoint

    @staticmethod
    def new_secret() -> str:
        return "whsec_" + secrets.token_urlsafe(24)

    def endpoint(self, owner: str, endpoint_id: str) -> Endpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or endpoint.owner != owner:
            raise V3Refusal(404, "not_found", f"Webhook endpoint not found: {endpoint_id}")
        return endpoint

    def endpoint_json(self, endpoint: Endpoint, *, with_secret: bool) -> dict[str, Any]:
        return {
            "endpoint_id": endpoint.endpoint_id,
            "url": endpoint.url,
            "events": endpoint.events,
            "entity_id": endpoint.entity_id,
            "status": endpoint.status,
            "created_at": self.iso(endpoint.created_at),
            "secret": endpoint.secret if with_secret else None,
        }

    def event_json(self, event: Event) -> dict[str, Any]:
        return {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "event_data": event.event_data,
            "created_at": self.iso(event.created_at),
        }

    # -- introspection --------------------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        counters = self.counters
        return {
            "videos_created": counters["videos_created"],
            "videos_completed": counters["videos_completed"],
            "videos_failed": counters["videos_failed"],
            "translations_created": counters["translations_created"],
            "proofreads_created": counters["proofreads_created"],
            "lipsyncs_created": counters["lipsyncs_created"],
            "agent_sessions_created": counters["agent_sessions_created"],
            "avatars_created": counters["avatars_created"],
            "voice_clones_created": counters["voice_clones_created"],
            "background_removals_created": counters["background_removals_created"],
            "clippings_created": counters["clippings_created"],
            "assets_created": counters["assets_created"],
            "batches_created": counters["batches_created"],
            "jobs_running": self.running(),
            "jobs_queued": sum(len(waiting) for waiting in self.waiting.values()),
            "cap_refusals": counters["cap_refusals"],
            "events": counters["events"],
        }
