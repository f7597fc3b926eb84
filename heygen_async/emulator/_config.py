"""What the emulated account and gateway look like: plan limits, job durations, gateway quirks."""

from __future__ import annotations

import math
from typing import Any, Final, Literal

import attrs

__all__ = ["OLD_FORMAT_ONLY", "EmulatorConfig"]

OLD_FORMAT_ONLY: Final = frozenset(
    {
        "photo_avatars.get",
        "avatar_groups.list_avatars",
        "photo_avatars.generation_status",
        "photo_avatars.training_status",
        "templates.get",
        "translations.status",
    }
)
"""Endpoints LowCodeAPI's open-source gateway serves only in the old path format (routes 1-21 of its HeyGen
definition store an absolute proxy URL, so no new-format route is registered for them); the new format gets
a 404 there, which is what ``path_style="auto"`` falls back on."""


def _seconds(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a finite number of seconds >= 0, got {value!r}")


def _amount(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _share(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{attribute.name} must be a number within 0..1, got {value!r}")


def _at_least_one(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a whole number >= 1, got {value!r}")


def _sample_rate(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 8000 <= value <= 192000:
        raise ValueError(f"{attribute.name} must be a whole number of Hz within 8000..192000, got {value!r}")


def _channels(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or value not in (1, 2):
        raise ValueError(f"{attribute.name} must be 1 (mono) or 2 (stereo), got {value!r}")


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """Emulated seconds for every duration; a :class:`ScaledClock` decides how long they take for real.

    ``failure_marker`` makes a job fail the way HeyGen fails it: in a scene's text (renders), a translation's
    ``video_url``, a photo generation's ``appearance`` or a look generation's ``prompt``, a photo avatar
    group's name (its training) or a look's name (add_motion / upscale). ``old_format_only`` lists the
    endpoints (``"namespace.method"``) answering 404 to the new path format. ``wrapper`` chooses the gateway's
    success wrapper: ``"data"`` (the hosted gateway, per the integration page) or ``"result"`` (the
    open-source gateway). ``api_tokens`` / ``api_keys``, when set, are the only credentials accepted
    (otherwise any ``at_`` token, any non-empty key).

    HeyGen v3 (direct mode only): ``concurrent_jobs`` async jobs (renders, translations, Video Agent
    sessions) may run at once per API key, more get a 429; every v3 POST takes ``create_latency`` emulated
    seconds (its ``Idempotency-Key`` is "in progress" meanwhile); a stored answer is replayed for
    ``idempotency_ttl``; v3 jobs also fail at random at ``failure_rate`` (repeatable with ``seed``); each
    API key's wallet starts at ``wallet_balance`` USD and a render costs 1 USD per started minute. Speech
    (``POST /v3/voices/speech``) is a WAV file of 16-bit PCM at ``speech_sample_rate`` Hz with
    ``speech_channels`` channels: one tone per word, as long as the ``duration`` the answer gives.

    LiveAvatar (under ``/liveavatar``): ``liveavatar_api_keys``, when set, are the only keys accepted (any
    non-empty key otherwise; each key is an account); successes carry ``liveavatar_success_code`` (the web SDK
    checks 1000, the OpenAPI document says 100). Each account starts with ``liveavatar_credits`` and may have
    ``liveavatar_max_concurrent`` sessions open; a session lasts at most ``liveavatar_max_session_duration``
    (the tier's limit; a sandbox one ``liveavatar_sandbox_max_duration``) and ends after
    ``liveavatar_idle_timeout`` without activity; a minted session token that is not used within
    ``liveavatar_token_ttl`` expires. Those are emulated seconds; a LITE WebSocket says ``connected``
    ``liveavatar_connect_delay`` *real* seconds after it opens, and records each speech frame's arrival time
    when ``liveavatar_record_frames``.
    """

    concurrent_renders: int = attrs.field(default=3, validator=_at_least_one)
    pending_seconds: float = attrs.field(default=2.0, validator=_seconds)
    render_seconds: float = attrs.field(default=30.0, validator=_seconds)
    translation_seconds: float = attrs.field(default=60.0, validator=_seconds)
    generation_seconds: float = attrs.field(default=10.0, validator=_seconds)
    training_seconds: float = attrs.field(default=60.0, validator=_seconds)
    motion_seconds: float = attrs.field(default=15.0, validator=_seconds)
    max_sessions: int = attrs.field(default=3, validator=_at_least_one)
    idle_timeout: float = attrs.field(default=120.0, validator=_seconds)
    session_duration_limit: float = attrs.field(default=600.0, validator=_seconds)
    url_ttl: float = attrs.field(default=7 * 24 * 3600.0, validator=_seconds)
    initial_quota: float = attrs.field(default=36_000.0, validator=_seconds)
    failure_marker: str = "#fail"
    wrapper: Literal["data", "result"] = "data"
    old_format_only: frozenset[str] = OLD_FORMAT_ONLY
    api_tokens: frozenset[str] | None = None
    api_keys: frozenset[str] | None = None
    webhook_probe_timeout: float = attrs.field(default=1.0, validator=_seconds)
    webhook_timeout: float = attrs.field(default=5.0, validator=_seconds)
    webhook_attempts: int = attrs.field(default=3, validator=_at_least_one)
    request_log_size: int = attrs.field(default=10_000, validator=_at_least_one)
    concurrent_jobs: int = attrs.field(default=10, validator=_at_least_one)
    create_latency: float = attrs.field(default=0.0, validator=_seconds)
    idempotency_ttl: float = attrs.field(default=24 * 3600.0, validator=_seconds)
    failure_rate: float = attrs.field(default=0.0, validator=_share)
    seed: int | None = None
    wallet_balance: float = attrs.field(default=100_000.0, validator=_amount)
    speech_sample_rate: int = attrs.field(default=24000, validator=_sample_rate)
    speech_channels: int = attrs.field(default=1, validator=_channels)
    liveavatar_api_keys: frozenset[str] | None = None
    liveavatar_success_code: int = 1000
    liveavatar_credits: float = attrs.field(default=1_000.0, validator=_amount)
    liveavatar_max_concurrent: int = attrs.field(default=20, validator=_at_least_one)
    liveavatar_max_session_duration: float = attrs.field(default=1_200.0, validator=_seconds)
    liveavatar_sandbox_max_duration: float = attrs.field(default=60.0, validator=_seconds)
    liveavatar_idle_timeout: float = attrs.field(default=300.0, validator=_seconds)
    liveavatar_token_ttl: float = attrs.field(default=600.0, validator=_seconds)
    liveavatar_connect_delay: float = attrs.field(default=0.05, validator=_seconds)
    liveavatar_record_frames: bool = True
