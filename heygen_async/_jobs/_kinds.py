"""The kinds of long-running job: how to ask for each one's status and how to read the answer.

A :class:`JobKind` says which statuses end a job well or badly (case-insensitive; an undocumented value counts
as running and is logged once), its default deadline and poll cadence, the webhook events that concern it,
and the model its answers become. Its status endpoint is the table's row whose ``polls`` names it
(:data:`~heygen_async._spec._table.STATUS_ENDPOINTS`), so the endpoint's facts stay in the table.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from heygen_async._config import PollPolicy
from heygen_async._exceptions import (
    AvatarFailed,
    BackgroundRemovalFailed,
    ClippingFailed,
    JobFailed,
    LipsyncFailed,
    PhotoAvatarFailed,
    PhotoGenerationFailed,
    ProofreadFailed,
    TrainingFailed,
    TranslationFailed,
    ValidationError,
    VideoAgentFailed,
    VideoFailed,
    VoiceCloneFailed,
)
from heygen_async._models import PhotoAvatar, PhotoGeneration, Training, Translation, Video
from heygen_async._spec._results import structure
from heygen_async._spec._table import STATUS_ENDPOINTS
from heygen_async._spec._types import Endpoint

from ._tokens import resume_token

if TYPE_CHECKING:
    from heygen_async._redact import Redactor
    from heygen_async._transport._call import Transport

    from ._scheduler import BulkStatus, TrackedJob

__all__ = ["KINDS", "KINDS_OF_EVENT", "JobKind", "V3Statuses", "kind_named"]


@attrs.frozen(kw_only=True)
class JobKind:
    """One kind of long-running job: how to ask for its status and how to read the answer.

    ``success``/``failure``/``running`` are the status values (lower case) that end it well, end it badly, or
    mean it goes on; any other value counts as running and is logged once. ``timeout`` is the default
    deadline of a wait, in seconds; ``policy`` the default cadence; ``events`` the webhook events that
    concern it, and ``event_id`` the key of the job's id in their ``event_data``. ``result`` is the model
    its answers become (a v3 kind names its status endpoint's model, imported with the first v3 job);
    ``bulk`` reads many jobs' statuses with one request where HeyGen offers that (see
    :class:`~heygen_async._jobs._scheduler.BulkStatus`; v3's are :class:`V3Statuses`).
    """

    name: str
    label: str
    result: type[Any] | None
    success: frozenset[str]
    failure: frozenset[str]
    running: frozenset[str]
    error: type[JobFailed]
    timeout: float
    policy: PollPolicy
    events: tuple[str, ...]
    event_id: str
    reason: Callable[[Any], str | None]
    bulk: BulkStatus | None = None

    @functools.cached_property
    def status_endpoint(self) -> Endpoint:
        """The endpoint that reports this kind's status: the (legacy or v3) table's row whose ``polls`` names
        it. The v3 table is loaded with the first v3 job."""
        found = STATUS_ENDPOINTS.get(self.name)
        if found is None:
            from heygen_async._spec._v3_table import V3_STATUS_ENDPOINTS

            found = V3_STATUS_ENDPOINTS[self.name]
        return found

    @functools.cached_property
    def model(self) -> type[Any]:
        """The class its answers become: ``result``, or the v3 status endpoint's model."""
        if self.result is not None:
            return self.result
        model: type[Any] = getattr(importlib.import_module("heygen_async.v3._models"), self.status_endpoint.result)
        return model

    def fetch(self, transport: Transport, job_id: str) -> Coroutine[Any, Any, Any]:
        """One status call through aiohttp, not retried: the scheduler's cadence is the retry. The transport's
        coroutine itself, not one wrapping it: a poll's answer passes through one frame fewer."""
        endpoint = self.status_endpoint
        (param,) = endpoint.params
        if param.location == "path":
            return transport.call(endpoint.route, path_values={param.name: job_id}, max_retries=0)
        return transport.call(endpoint.route, query=[(param.name, job_id)], max_retries=0)

    def status_of(self, data: Any) -> str | None:
        """The answer's status, lower case; a documented value is the shared constant (no string per poll)."""
        status = data.get("status") if isinstance(data, Mapping) else None
        if not isinstance(status, str):
            return None
        return self._known.get(status) or self._known.get(lowered := status.lower()) or lowered

    @functools.cached_property
    def _known(self) -> dict[str, str]:
        return {value: value for value in (*self.success, *self.failure, *self.running)}

    def structure(self, data: Any) -> Any:
        return structure(self.status_endpoint, self.model, data)

    def scrubbed(self, result: Any, redactor: Redactor) -> Any:
        """``result`` as an error may hold it: HeyGen's answers may echo what they were sent, a credential too,
        so a copy structured from its scrubbed ``raw`` where that differs (waiters' snapshots keep the answer)."""
        raw = getattr(result, "raw", None)
        if raw is not None and (scrubbed := redactor.json(raw)) != raw:
            return self.structure(scrubbed)
        return result

    def failure_error(self, job: TrackedJob, result: Any) -> JobFailed:
        """The kind's :class:`JobFailed` for ``result``: HeyGen's reason and final status, scrubbed."""
        redactor = job.transport.redactor
        reason = self.reason(result)
        if reason:
            reason = redactor.text(reason)
        return self.error(
            f"{self.label} {job.id} failed" + (f": {reason}" if reason else ""),
            result=self.scrubbed(result, redactor),
            reason=reason,
            kind=self.name,
            job_id=job.id,
            resume_token=resume_token(self.name, job.id, job.transport, None),
        )


@attrs.frozen
class V3Statuses:
    """HeyGen v3's bulk status endpoint for one kind (``GET /v3/videos/statuses?video_ids=a,b``): up to
    ``max_ids`` jobs' statuses in one request, asked for by the query parameter ``ids`` (comma-separated).
    Every entry names its job ``video_id``, whatever the kind: HeyGen shares the status read model with the
    videos batch API (its statuses endpoints say so)."""

    kind: str
    ids: str
    id_key: str = "video_id"
    max_ids: int = 100

    @functools.cached_property
    def endpoint(self) -> Endpoint:
        from heygen_async._spec._v3_table import V3_BULK_ENDPOINTS

        return V3_BULK_ENDPOINTS[self.kind]

    def fetch(self, transport: Transport, ids: Sequence[str]) -> Coroutine[Any, Any, Any]:
        """One request for ``ids`` (comma-separated, as HeyGen takes them), not retried: the cadence is."""
        endpoint = self.endpoint
        return transport.call(endpoint.route, query=[(self.ids, ",".join(ids))], max_retries=0)

    def statuses(self, data: Any) -> dict[str, str | None]:
        """Each entry's job id and status, lower case (None for an entry without a readable status)."""
        found: dict[str, str | None] = {}
        if isinstance(data, Mapping):  # the list beside has_more/next_token: ``{"data": [...], "has_more": ...}``
            data = data.get("data")
        for entry in data if isinstance(data, list) else ():
            if isinstance(entry, Mapping) and isinstance(job_id := entry.get(self.id_key), str):
                status = entry.get("status")
                found[job_id] = status.lower() if isinstance(status, str) else None
        return found


def _v3_reason(result: Any) -> str | None:
    parts = [getattr(result, "failure_code", None), getattr(result, "failure_message", None)]
    error = getattr(result, "error", None)
    if error is not None and not isinstance(error, str):
        parts += [getattr(error, "code", None), getattr(error, "message", None)]
    elif isinstance(error, str):
        parts.append(error)
    return " ".join(str(part) for part in parts if part) or None


def _video_reason(video: Video) -> str | None:
    error = video.error
    if error is None:
        return None
    parts = [str(part) for part in (error.code, error.message, error.detail) if part]
    if len(parts) == 3 and parts[2].startswith(parts[1]):
        del parts[1]  # the detail repeats the message and adds to it
    return " ".join(parts) or None


_V3_POLICY: Final = PollPolicy(first_poll=10.0, max_interval=60.0)
"""The cadence of most v3 kinds: a first poll after 10 s, then backing off to a minute."""


def _v3_kind(
    name: str,
    label: str,
    error: type[JobFailed],
    *,
    running: tuple[str, ...],
    success: tuple[str, ...] = ("completed",),
    failure: tuple[str, ...] = ("failed",),
    timeout: float = 3600.0,
    policy: PollPolicy = _V3_POLICY,
    events: tuple[str, ...] = (),
    event_id: str = "id",
    bulk: V3Statuses | None = None,
) -> JobKind:
    """A v3 kind: what most v3 kinds share (``completed``/``failed``, HeyGen's ``failure_code``/``_message`` as
    the reason, the status endpoint's model as the result) said once; each kind says where it differs."""
    return JobKind(
        name=name,
        label=label,
        result=None,
        success=frozenset(success),
        failure=frozenset(failure),
        running=frozenset(running),
        error=error,
        timeout=timeout,
        policy=policy,
        events=events,
        event_id=event_id,
        reason=_v3_reason,
        bulk=bulk,
    )


KINDS: Final[dict[str, JobKind]] = {
    kind.name: kind
    for kind in (
        JobKind(
            name="video",
            label="Video",
            result=Video,
            success=frozenset({"completed"}),
            failure=frozenset({"failed"}),
            running=frozenset({"waiting", "pending", "processing"}),
            error=VideoFailed,
            timeout=3600.0,
            policy=PollPolicy(first_poll=5.0, max_interval=30.0),
            events=("avatar_video.success", "avatar_video.fail", "avatar_video_gif.success", "avatar_video_gif.fail"),
            event_id="video_id",
            reason=_video_reason,
        ),
        JobKind(
            name="translation",
            label="Translation",
            result=Translation,
            success=frozenset({"success"}),
            failure=frozenset({"failed"}),
            running=frozenset({"pending", "running"}),
            error=TranslationFailed,
            timeout=2 * 3600.0,
            policy=PollPolicy(first_poll=15.0, max_interval=60.0),
            events=("video_translate.success", "video_translate.fail"),
            event_id="video_translate_id",
            reason=lambda t: t.message,
        ),
        JobKind(
            name="photo_generation",
            label="Photo generation",
            result=PhotoGeneration,
            success=frozenset({"success"}),
            failure=frozenset({"failed"}),
            running=frozenset({"in_progress", "pending"}),
            error=PhotoGenerationFailed,
            timeout=900.0,
            policy=PollPolicy(first_poll=3.0, max_interval=15.0),
            events=("photo_avatar_generation.success", "photo_avatar_generation.fail"),
            event_id="generation_id",
            reason=lambda g: g.msg,
        ),
        JobKind(
            name="training",
            label="Training of group",
            result=Training,
            success=frozenset({"ready"}),
            failure=frozenset({"failed"}),
            running=frozenset({"pending", "training", "in_progress"}),
            error=TrainingFailed,
            timeout=3600.0,
            policy=PollPolicy(first_poll=10.0, max_interval=60.0),
            events=("photo_avatar_train.success", "photo_avatar_train.fail"),
            event_id="group_id",
            reason=lambda t: t.error_msg,
        ),
        JobKind(
            name="photo_avatar",
            label="Photo avatar",
            result=PhotoAvatar,
            success=frozenset({"completed"}),
            failure=frozenset({"failed"}),
            running=frozenset({"pending", "processing"}),
            error=PhotoAvatarFailed,
            timeout=1800.0,
            policy=PollPolicy(first_poll=5.0, max_interval=30.0),
            events=("photo_avatar_add_motion.success", "photo_avatar_add_motion.fail"),
            event_id="id",
            reason=lambda _: None,
        ),
        # -- HeyGen v3 (notes A.7): statuses are lower case; "waiting"/"queued" also mean running --------------
        _v3_kind(
            "v3_video",
            "Video",
            VideoFailed,
            running=("waiting", "queued", "pending", "processing"),
            policy=PollPolicy(first_poll=5.0, max_interval=30.0),
            events=("avatar_video.success", "avatar_video.fail", "video_agent.success", "video_agent.fail"),
            event_id="video_id",
            bulk=V3Statuses("v3_video", "video_ids"),
        ),
        _v3_kind(
            "v3_translation",
            "Video translation",
            TranslationFailed,
            running=("queued", "pending", "running", "processing"),
            timeout=2 * 3600.0,
            policy=PollPolicy(first_poll=15.0, max_interval=60.0),
            events=("video_translate.success", "video_translate.fail"),
            event_id="video_translation_id",
            bulk=V3Statuses("v3_translation", "video_translation_ids"),
        ),
        _v3_kind(
            "v3_proofread",
            "Proofread",
            ProofreadFailed,
            running=("pending", "processing"),
            events=("proofread_creation.success", "proofread_creation.fail"),
            event_id="proofread_id",
        ),
        _v3_kind(
            "v3_lipsync",
            "Lipsync",
            LipsyncFailed,
            running=("queued", "pending", "running", "processing"),
            event_id="lipsync_id",
            bulk=V3Statuses("v3_lipsync", "lipsync_ids"),
        ),
        _v3_kind(
            "v3_video_agent",
            "Video Agent session",
            VideoAgentFailed,
            running=("thinking", "generating", "reviewing", "waiting_for_input", "pending", "processing"),
            policy=PollPolicy(first_poll=10.0, max_interval=30.0),
            events=("video_agent.success", "video_agent.fail"),
            event_id="session_id",
        ),
        _v3_kind(
            "v3_avatar",
            "Avatar look",
            AvatarFailed,
            running=("processing", "pending", "pending_consent"),
            events=(
                "instant_avatar.success",
                "instant_avatar.fail",
                "photo_avatar_train.success",
                "photo_avatar_train.fail",
                "photo_avatar_generation.success",
                "photo_avatar_generation.fail",
            ),
            event_id="avatar_id",
        ),
        _v3_kind(
            "v3_voice_clone",
            "Voice clone",
            VoiceCloneFailed,
            success=("complete", "completed"),
            running=("processing", "pending"),
            timeout=1800.0,
            policy=PollPolicy(first_poll=5.0, max_interval=30.0),
            event_id="voice_id",
        ),
        _v3_kind(
            "v3_background_removal",
            "Background removal",
            BackgroundRemovalFailed,
            failure=("failed", "deleted"),
            running=("pending", "processing"),
        ),
        _v3_kind(
            "v3_ai_clipping",
            "AI clipping",
            ClippingFailed,
            failure=("failed", "cancelled"),
            running=("pending", "running", "processing"),
            events=("ai_clipping.success", "ai_clipping.fail"),
        ),
    )
}


def _kinds_of_events() -> dict[str, tuple[JobKind, ...]]:
    found: dict[str, tuple[JobKind, ...]] = {}
    for kind in KINDS.values():
        for event in kind.events:
            found[event] = (*found.get(event, ()), kind)
    return found


KINDS_OF_EVENT: Final = _kinds_of_events()
"""The job kinds each webhook event may concern (``avatar_video.success``: a legacy or a v3 render)."""


def kind_named(kind: Any) -> JobKind:
    """The :class:`JobKind` named ``kind``; anything else is a :class:`ValidationError`."""
    found = KINDS.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise ValidationError(f"kind must be one of {sorted(KINDS)}, got {kind!r}", parameter="kind")
    return found
