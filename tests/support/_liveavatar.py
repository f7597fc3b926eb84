"""LiveAvatar in tests: an emulator on a manual clock with a ``LiveAvatarClient`` for it, the emulator's log of the
LiveAvatar requests it got, a session left open as a crashed process would leave it, and what the session tests
share (a checkpoint backend around the real one, short audio, fast speech options, what is left open)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final, cast

import heygen_async as hg
from heygen_async._liveavatar._backend import LiveAvatarBackend
from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async._liveavatar._resources import SessionsResource
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID

from ._background import Background
from ._liveavatar_raw import pcm
from ._streaming import CheckpointBackend, Recorder

LIVE_NO_RETRY = hg.RetryPolicy(attempts=1)
"""One try per call: a test that wants to see an error sees the first one."""


@contextlib.asynccontextmanager
async def live_client(
    config: EmulatorConfig | None = None, **options: Any
) -> AsyncIterator[tuple[Emulator, hg.LiveAvatarClient]]:
    """An emulator on a manual clock (with ``config``) and a ``LiveAvatarClient`` for it (with ``options``)."""
    async with Emulator(config, clock=ManualClock()) as emulator, emulator.liveavatar_client(**options) as live:
        yield emulator, live


def live_requests(emulator: Emulator, route: str | None = None) -> list[dict[str, Any]]:
    """The emulator's log entries of LiveAvatar requests (of ``route``, e.g. ``"POST /v1/sessions/stop"``)."""
    return [
        entry
        for entry in emulator.request_log
        if entry.get("format") == "liveavatar" and (route is None or entry.get("route") == route)
    ]


def open_liveavatar_session(background: Background, api_key: str) -> str:
    """Mint and start a LITE session on ``background``'s LiveAvatar for the account of ``api_key``, and leave it
    open (billed, owned by nobody); its id."""

    async def open_one() -> str:
        assert background.emulator is not None
        async with LiveAvatarClient(api_key, base_url=background.emulator.liveavatar_url) as live:
            minted = await live.sessions.token(avatar_id=LITE_AVATAR_ID, mode="LITE")
            assert minted.session_id is not None
            assert minted.session_token is not None
            await live.with_session_token(minted.session_token).start()
            return minted.session_id

    return background.call(open_one)


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


async def live_ledger_prefix(live: hg.LiveAvatarClient, state: hg.StateBackend) -> str:
    """How ``live``'s sessions' record ids (and its cap's slot name) start in ``state``'s shared ledger:
    ``liveavatar:`` and the fingerprint of its API key under the state's salt (one per key, the same in every
    process sharing the state)."""
    fingerprint = live.backend.ledger_tenant(await state.credential_salt())
    return f"liveavatar:{fingerprint}:"
