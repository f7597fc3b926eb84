"""What the LiveAvatar session tests share: a checkpoint backend around the real one (its endpoints named as the
emulator names them, its sessions still on the client's live registry), short audio, fast speech options, and
what the emulator says is left open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

import heygen_async as hg
from heygen_async._liveavatar._backend import LiveAvatarBackend
from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async._liveavatar._resources import SessionsResource
from heygen_async.emulator import Emulator

from ._liveavatar_raw import pcm
from ._streaming import CheckpointBackend, Recorder

LIVE_ENDPOINTS: Final = {
    "new": "POST /v1/sessions/token",
    "start": "POST /v1/sessions/start",
    "keep_alive": "POST /v1/sessions/keep-alive",
    "stop": "POST /v1/sessions/stop",
}
"""The emulator's names for the LiveAvatar backend's calls (its request log and faults use the route keys)."""
QUICK_SPEECH: Mapping[str, Any] = {"first_frame": 0.1, "frame": 0.1, "lead": 0.1}
"""Session options that cut audio into 100 ms frames paced 100 ms ahead: a short utterance takes a few frames
and a pacing sleep or two, not seconds."""


def tone(seconds: float, value: int = 1000) -> bytes:
    """``seconds`` of 24 kHz mono s16le PCM (a constant ``value``)."""
    return pcm(round(24_000 * seconds), value)


def finished(recorder: Recorder, task_id: str | None) -> bool:
    """Whether ``recorder`` saw the utterance ``task_id`` finish (played out or interrupted)."""
    return any(event.task_id == task_id for event in recorder.of(hg.TaskFinished))


def not_ended(emulator: Emulator) -> list[str]:
    """The LiveAvatar sessions the emulator has not ended: started (open, billed) or minted and never stopped."""
    return [session.id for session in emulator.liveavatar.sessions.values() if session.state != "ended"]


def live_registry(live: LiveAvatarClient) -> int:
    """How many sessions the client still holds as live (its ``aclose()`` would stop them)."""
    return len(live._runtime.live())


class LiveCheckpointBackend(CheckpointBackend):
    """:class:`CheckpointBackend` around a :class:`LiveAvatarBackend`: the same points on ``new`` (the token),
    ``start``, ``keep_alive`` and ``stop``, with what a LiveAvatar session reads from its backend (``sessions``,
    the client's live registry through ``track``) passed through."""

    inner: LiveAvatarBackend

    def __init__(self, inner: LiveAvatarBackend, emulator: Emulator, trips: tuple[str, ...] = ()) -> None:
        super().__init__(inner, emulator, trips)

    def endpoint(self, method: str) -> str:
        return LIVE_ENDPOINTS[method]

    @property
    def sessions(self) -> SessionsResource:
        return self.inner.sessions

    def track(self, session: hg.StreamingSession) -> Any:
        return self.inner.track(session)


def checkpoint_session(backend: LiveCheckpointBackend, **options: Any) -> hg.LiveAvatarSession:
    """A LITE sandbox session on ``backend`` with ``options`` (:data:`QUICK_SPEECH` unless told otherwise), as
    ``live.session(sandbox=True)`` makes one, but through the checkpoints."""
    return hg.LiveAvatarSession(cast("LiveAvatarBackend", backend), {"sandbox": True}, **{**QUICK_SPEECH, **options})
