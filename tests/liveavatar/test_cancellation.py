"""Cancellation at every await point of a LiveAvatar session's life: minting the token, starting, the WebSocket's
handshake, speech waiting for ``connected``, a paced utterance mid-way, an interrupt, a keep-alive and the stop
(and again while stopping). Wherever it lands, the session LiveAvatar minted is stopped exactly once, nothing is
left open or minted at the emulator, and the client's live registry is empty."""

from __future__ import annotations

import asyncio

import pytest

import heygen_async as hg
from heygen_async._liveavatar import _lite
from heygen_async._liveavatar._audio import Pacer
from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async.emulator import Emulator
from tests.support import (
    HANG_GUARD,
    LiveCheckpointBackend,
    Recorder,
    checkpoint_session,
    live_registry,
    not_ended,
    requests_to,
    tone,
    wait_until,
)

CONNECTED_AFTER = 0.3
"""Real seconds the emulator holds the first ``connected`` back (a reconnect is not held)."""
POINTS: tuple[tuple[str, ...], ...] = (
    ("new.before",),
    ("new.during",),
    ("new.after",),
    ("start.before",),
    ("start.during",),
    ("start.after",),
    ("ws.before",),
    ("ws.during",),
    ("ws.after",),
    ("connected",),
    ("pacing",),
    ("interrupt",),
    ("keep_alive.before",),
    ("keep_alive.during",),
    ("keep_alive.after",),
    ("stop.before",),
    ("stop.during",),
    ("stop.after",),
    ("pacing", "stop.during"),
    ("keep_alive.during", "stop.before", "stop.during", "stop.after"),
    ("new.during", "stop.during"),
    ("ws.during", "stop.during"),
)
"""Where the owner is cancelled, in order; several points mean a second (third, ...) cancel while stopping.
``ws.*`` are the WebSocket's opening; ``connected`` is the block waiting while its speech is queued for a
``connected`` that has not come; ``pacing`` is a paced utterance between two frames (some sent, some not);
``interrupt`` is right after an interrupt cut an utterance."""


def _trip_the_channel(backend: LiveCheckpointBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Points ``ws.before`` / ``ws.during`` (the handshake started, not answered) around each handshake of the
    LITE WebSocket and ``ws.after`` once the channel is open, and ``pacing`` at the third frame's pacing wait
    (two frames are out)."""
    connect, open_ = _lite.LiteChannel._connect, _lite.LiteChannel.open

    async def checked_connect(channel: _lite.LiteChannel) -> object:
        await backend.point("ws.before")
        handshake = asyncio.ensure_future(connect(channel))
        # From another task: the owner is cancelled while it waits for the handshake, which it cancels in turn.
        during = asyncio.create_task(backend.point("ws.during"))
        opened = await handshake
        await during
        return opened

    async def checked_open(channel: _lite.LiteChannel) -> None:
        await open_(channel)
        await backend.point("ws.after")  # the channel holds its socket: no await comes between the two

    monkeypatch.setattr(_lite.LiteChannel, "_connect", checked_connect)
    monkeypatch.setattr(_lite.LiteChannel, "open", checked_open)
    wait = Pacer.wait
    waits = 0

    async def checked_wait(pacer: Pacer, duration: float) -> None:
        nonlocal waits
        waits += 1
        if waits == 3:
            await backend.point("pacing")
        await wait(pacer, duration)

    monkeypatch.setattr(Pacer, "wait", checked_wait)


async def _life(session: hg.LiveAvatarSession, backend: LiveCheckpointBackend) -> None:
    """A whole LITE session: enter (token, start, WebSocket), a command queued before ``connected`` (which the
    emulator holds back a moment), an utterance streamed and paced, another cut by an interrupt, a keep-alive,
    leave (stop)."""
    async with session:
        await session.start_listening()  # goes out once ``connected`` comes
        await backend.point("connected")
        assert session.channel is not None
        await asyncio.wait_for(session.channel.wait_ready(), HANG_GUARD)
        await session.speak_audio(tone(0.4))
        pacing = session.pacing  # one schedule for the whole session
        assert pacing is not None
        before = pacing.stats().frames
        cut = asyncio.create_task(session.speak_audio(tone(0.4)))
        await wait_until(lambda: pacing.stats().frames >= before + 2)
        await session.interrupt()
        await asyncio.gather(cut, return_exceptions=True)
        await backend.point("interrupt")
        await wait_until(lambda: backend.calls["keep_alive"] >= 1, within=HANG_GUARD, what="a keep-alive")


def _assert_stopped_once(emulator: Emulator, backend: LiveCheckpointBackend, live: LiveAvatarClient) -> None:
    (session_id,) = emulator.liveavatar.sessions  # the token is seen through even when cancelled: it was minted
    assert not_ended(emulator) == []
    assert emulator.liveavatar.stats()["sessions_open"] == 0
    assert backend.stopped == [session_id]
    assert requests_to(emulator, "POST /v1/sessions/stop") == 1
    assert emulator.liveavatar.sessions[session_id].end_reason == "USER_CLOSED"
    assert live_registry(live) == 0


@pytest.mark.parametrize("trips", POINTS, ids=lambda trips: "+".join(trips))
async def test_a_cancelled_liveavatar_session_is_stopped_exactly_once_and_leaves_nothing_open(
    trips: tuple[str, ...],
    heygen_emulator: Emulator,
    live: LiveAvatarClient,
    fixed_latency: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancelling the task that owns a LITE session at any await point ends it cancelled, with the session
    stopped once, nothing open or merely minted at LiveAvatar, the WebSocket closed, and the client's registry
    empty."""
    backend = LiveCheckpointBackend(live.backend, heygen_emulator, trips)
    _trip_the_channel(backend, monkeypatch)
    session = checkpoint_session(backend, keep_alive_interval=0.05)
    heygen_emulator.liveavatar.delay_connected(CONNECTED_AFTER)
    recorder = await Recorder.subscribe(session)
    victim = asyncio.create_task(_life(session, backend))
    backend.victim = victim
    await asyncio.wait({victim}, timeout=HANG_GUARD)
    assert victim.cancelled()
    await backend.settle()
    assert backend.tripped == list(trips)
    _assert_stopped_once(heygen_emulator, backend, live)
    assert session.state is hg.SessionState.CLOSED
    assert session.stop_error is None
    await wait_until(lambda: heygen_emulator.liveavatar.stats()["ws_open"] == 0, what="the WebSocket closed")
    await recorder.ended()
    assert recorder.states()[-1] == (hg.SessionState.CLOSING, hg.SessionState.CLOSED)


async def test_a_session_left_normally_after_every_step_is_stopped_once(
    heygen_emulator: Emulator, live: LiveAvatarClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same life, not cancelled: every point is reached (so each parametrized trip above lands where it
    says), the queued speech arrived after ``connected``, and the session is stopped once on leaving."""
    backend = LiveCheckpointBackend(live.backend, heygen_emulator)
    reached: list[str] = []
    for point in ("ws.before", "ws.during", "ws.after", "connected", "pacing", "interrupt"):
        backend.hooks[point] = lambda point=point: reached.append(point)  # type: ignore[misc]
    _trip_the_channel(backend, monkeypatch)
    session = checkpoint_session(backend, keep_alive_interval=0.05)
    heygen_emulator.liveavatar.delay_connected(CONNECTED_AFTER)
    await _life(session, backend)
    assert reached == ["ws.before", "ws.during", "ws.after", "connected", "pacing", "interrupt"]
    assert backend.calls["keep_alive"] >= 1
    _assert_stopped_once(heygen_emulator, backend, live)
    (recorded,) = heygen_emulator.liveavatar.sessions.values()
    assert recorded.connections[0].dropped_before_connected == 0
    assert recorded.commands[0].type == "agent.start_listening"
    assert [utterance.interrupted for utterance in recorded.utterances][-1] is True
