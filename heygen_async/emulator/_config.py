"""What the emulated account and gateway look like: plan limits, job durations, gateway quirks."""

from __future__ import annotations

from typing import Final, Literal

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


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """Emulated seconds for every duration; a :class:`ScaledClock` decides how long they take for real.

    ``failure_marker`` in a scene's text (or a translation's ``video_url``) makes that job fail the way HeyGen
    fails it. ``old_format_only`` lists the endpoints (``"namespace.method"``) answering 404 to the new path
    format. ``wrapper`` chooses the gateway's success wrapper: ``"data"`` (the hosted gateway, per the
    integration page) or ``"result"`` (the open-source gateway). ``api_tokens`` / ``api_keys``, when set, are
    the only credentials accepted (otherwise any ``at_`` token, any non-empty key).
    """

    concurrent_renders: int = 3
    pending_seconds: float = 2.0
    render_seconds: float = 30.0
    translation_seconds: float = 60.0
    generation_seconds: float = 10.0
    training_seconds: float = 60.0
    motion_seconds: float = 15.0
    max_sessions: int = 3
    idle_timeout: float = 120.0
    session_duration_limit: float = 600.0
    url_ttl: float = 7 * 24 * 3600.0
    initial_quota: float = 36_000.0
    failure_marker: str = "#fail"
    wrapper: Literal["data", "result"] = "data"
    old_format_only: frozenset[str] = OLD_FORMAT_ONLY
    api_tokens: frozenset[str] | None = None
    api_keys: frozenset[str] | None = None
    webhook_probe_timeout: float = 1.0
    webhook_attempts: int = 3
    request_log_size: int = 10_000
