"""A LITE session's WebSocket against the emulator: what is sent before ``connected`` arrives after it, in order
(LiveAvatar itself drops it), and a socket dropped mid-session is opened again with nothing lost, or, when it
cannot be, the session is closed and stopped, never leaked."""

from __future__ import annotations

import asyncio
import json

import pytest

import heygen_async as hg
from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async.emulator import Emulator
from heygen_async.emulator._liveavatar_state import LiveSession
from heygen_async.emulator._liveavatar_ws import LiteSocket
from tests.support import (
    HANG_GUARD,
    QUICK_SPEECH,
    Recorder,
    finished,
    live_emulator,
    live_registry,
    not_ended,
    tone,
    wait_until,
)


class ConnectedGate:
    """The emulator's WebSockets say ``connected`` only once the test opens the gate (no timing involved)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = asyncio.Event()
        announce = LiteSocket._announce

        async def held(socket: LiteSocket) -> None:
            await self.open.wait()
            await announce(socket)

        monkeypatch.setattr(LiteSocket, "_announce", held)


def _recorded(emulator: Emulator) -> LiveSession:
    (session,) = emulator.liveavatar.sessions.values()
    return session


async def test_the_emulator_drops_commands_sent_before_connected_as_liveavatar_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control for the next test: over a raw socket, a command sent before ``connected`` is dropped without
    a word and counted; only the one sent after it is taken."""
    gate = ConnectedGate(monkeypatch)
    async with live_emulator() as caller:
        started = await caller.open()
        emulator = caller.emulator
        async with caller.session.ws_connect(started["ws_url"]) as ws:
            await wait_until(lambda: len(_recorded(emulator).connections) == 1)
            await ws.send_str(json.dumps({"type": "agent.start_listening", "event_id": "early"}))
            await wait_until(lambda: emulator.liveavatar.stats()["dropped_before_connected"] == 1)
            gate.open.set()
            await wait_until(lambda: _recorded(emulator).connections[0].connected)
            await ws.send_str(json.dumps({"type": "agent.stop_listening", "event_id": "late"}))
            await wait_until(lambda: len(_recorded(emulator).commands) == 1)
        assert [(c.type, c.event_id) for c in _recorded(caller.emulator).commands] == [("agent.stop_listening", "late")]


async def test_commands_sent_before_connected_are_delivered_after_it_in_order(
    heygen_emulator: Emulator, live: LiveAvatarClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entered while LiveAvatar has not said ``connected`` yet, a session takes a pose and starts an utterance:
    the pose waits on the channel, the audio waits for ``connected`` (it is not piled up meanwhile), and once
    ``connected`` comes LiveAvatar gets every one, in order, none dropped, and the utterance plays."""
    gate = ConnectedGate(monkeypatch)
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        channel = session.channel
        assert channel is not None
        await session.start_listening()
        speaking = asyncio.create_task(session.speak_audio(tone(0.3)))
        await asyncio.sleep(0.05)  # the speaker is waiting for connected, not queueing audio
        assert not speaking.done()
        assert not channel.ready
        assert channel.queued == 1  # the pose; the audio waits with its speaker
        assert _recorded(heygen_emulator).commands == []
        gate.open.set()
        task = await asyncio.wait_for(speaking, HANG_GUARD)
        await session.stop_listening()
        await wait_until(lambda: finished(recorder, task.task_id), within=HANG_GUARD)
    commands = [(command.type, command.event_id) for command in _recorded(heygen_emulator).commands]
    assert [kind for kind, _ in commands] == [
        "agent.start_listening",
        "agent.speak",
        "agent.speak",
        "agent.speak",
        "agent.speak_end",
        "agent.stop_listening",
    ]
    assert {event_id for kind, event_id in commands if kind.startswith("agent.speak")} == {task.task_id}
    assert heygen_emulator.liveavatar.stats()["dropped_before_connected"] == 0


@pytest.mark.parametrize("abort", [False, True], ids=["closed", "aborted"])
async def test_a_dropped_websocket_is_opened_again_and_nothing_sent_meanwhile_is_lost(
    abort: bool, heygen_emulator: Emulator, live: LiveAvatarClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LiveAvatar's socket closes (1011) or the connection breaks mid-session: the channel opens it again (a
    Reconnected event), what the session sent while it was down goes out after the new ``connected``, and
    speech after it plays to its end."""
    gate = ConnectedGate(monkeypatch)
    gate.open.set()
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        channel = session.channel
        assert channel is not None
        await asyncio.wait_for(channel.wait_ready(), HANG_GUARD)
        assert session.id is not None
        gate.open.clear()  # the next connection waits for the test
        await heygen_emulator.liveavatar.drop_websocket(session.id, abort=abort)
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["ws_connections"] == 2, within=HANG_GUARD)
        await session.start_listening()
        speaking = asyncio.create_task(session.speak_audio(tone(0.2)))  # waits for the new connected
        gate.open.set()
        task = await asyncio.wait_for(speaking, HANG_GUARD)
        await wait_until(lambda: finished(recorder, task.task_id), within=HANG_GUARD)
        assert session.state is hg.SessionState.CONNECTED
    assert [event.attempt for event in recorder.of(hg.Reconnected)] == [1]
    first, second = _recorded(heygen_emulator).connections
    assert first.close_code is not None
    assert second.dropped_before_connected == 0
    assert [command.type for command in _recorded(heygen_emulator).commands] == [
        "agent.start_listening",
        "agent.speak",
        "agent.speak",
        "agent.speak_end",
    ]
    assert heygen_emulator.liveavatar.stats()["sessions_open"] == 0


async def test_speech_that_had_reached_a_dropped_websocket_is_reported_interrupted_once_it_reopens(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """An utterance sent whole (its last frame and speak_end written) and still playing when the socket drops
    is dropped with the socket by LiveAvatar, which never says speak_ended for it: once the socket reopens it is
    reported finished, interrupted, instead of waiting for an end that never comes; speech after it plays."""
    async with live.session(sandbox=True, first_frame=0.1, frame=0.1, lead=10.0) as session:  # sent at once
        recorder = await Recorder.subscribe(session)
        assert session.channel is not None
        assert session.id is not None
        await asyncio.wait_for(session.channel.wait_ready(), HANG_GUARD)
        cut = await session.speak_audio(tone(5.0))  # sent whole at once; plays for 5 s
        await wait_until(lambda: session.channel is not None and session.channel.queued == 0, within=HANG_GUARD)
        await heygen_emulator.liveavatar.drop_websocket(session.id)
        await wait_until(lambda: finished(recorder, cut.task_id), within=HANG_GUARD)
        after = await session.speak_audio(tone(0.2))
        await wait_until(lambda: finished(recorder, after.task_id), within=HANG_GUARD)
    ends = {event.task_id: event.interrupted for event in recorder.of(hg.TaskFinished)}
    assert ends == {cut.task_id: True, after.task_id: False}
    assert [event.attempt for event in recorder.of(hg.Reconnected)] == [1]


async def test_a_websocket_that_cannot_be_opened_again_closes_and_stops_the_session(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """The socket drops and every try to open it again is refused: the session closes, saying why, and is
    stopped (nothing open or minted at LiveAvatar, nothing in the client's registry); speech in flight gets
    SessionClosedError, and so does speech after it."""
    async with live.session(sandbox=True, reconnects=2, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        assert session.channel is not None
        await asyncio.wait_for(session.channel.wait_ready(), HANG_GUARD)
        speaking = asyncio.create_task(session.speak_audio(tone(30.0)))
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["speak_frames"] >= 2, within=HANG_GUARD)
        heygen_emulator.liveavatar.refuse_websocket(times=2)
        assert session.id is not None
        await heygen_emulator.liveavatar.drop_websocket(session.id)
        with pytest.raises(hg.SessionClosedError):
            await asyncio.wait_for(speaking, HANG_GUARD)
        await recorder.ended(within=HANG_GUARD)
        assert session.state is hg.SessionState.CLOSED
        with pytest.raises(hg.SessionClosedError, match="could not be opened again"):
            await session.speak_audio(tone(0.1))
    assert heygen_emulator.liveavatar.stats()["ws_refused"] == 2
    assert not_ended(heygen_emulator) == []
    assert _recorded(heygen_emulator).end_reason == "USER_CLOSED"
    assert not session.needs_stop
    assert live_registry(live) == 0
    assert [event.interrupted for event in recorder.of(hg.TaskFinished)] == [True]


class _OpensOnSignal:
    """A stand-in pool whose WebSocket handshake completes when ``done`` is set, with a socket that notes its close."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.closed = False

    def websockets(self) -> _OpensOnSignal:
        return self

    async def ws_connect(self, *args: object, **kwargs: object) -> _OpensOnSignal:
        await self.done.wait()
        return self

    async def close(self) -> bool:
        self.closed = True
        return True


async def test_a_handshake_finishing_as_its_caller_is_cancelled_closes_its_socket_and_stays_cancelled() -> None:
    from heygen_async._liveavatar._lite import LiteChannel, url_redactor
    from heygen_async._redact import Secret

    pool = _OpensOnSignal()
    url = "ws://127.0.0.1:9/liveavatar/ws/s1?token=0123456789abcdef"
    channel = LiteChannel(
        pool,  # type: ignore[arg-type]
        Secret(url),
        url_redactor(url),
        on_message=lambda message: None,
        on_lost=lambda why: None,
        on_reconnected=lambda attempt, lost: None,
        connect_timeout=5.0,
        reconnects=0,
    )
    opening = asyncio.ensure_future(channel.open())
    await asyncio.sleep(0.01)
    pool.done.set()  # the handshake completes in the same loop step as the cancellation arrives
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    await wait_until(lambda: pool.closed)
    assert channel._ws is None  # nothing kept: the socket opened for a cancelled caller was closed


async def test_a_refused_websocket_leaves_its_url_in_no_error_chain_or_library_frame(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """aiohttp's handshake error carries the URL (and the credential in its query) in its ``request_info``: the
    error a session raises when LiveAvatar refuses its WebSocket holds no link to it (no context, no cause), and
    no library frame of its traceback keeps it in a local, for an error tracker that records them to show."""
    from tests.support import assert_clean, error_text

    heygen_emulator.liveavatar.refuse_websocket(times=1)
    session = live.session(sandbox=True, **QUICK_SPEECH)
    with pytest.raises(hg.APIConnectionError, match="refused the LITE WebSocket") as caught:
        async with session:
            pytest.fail("the WebSocket was refused")
    ws_url = session.info.ws_url
    assert ws_url is not None
    secret = ws_url.rsplit("token=", 1)[1]
    assert len(secret) >= 8
    assert_clean("the refused handshake's error", error_text(caught.value), secret)
    assert not_ended(heygen_emulator) == []


async def test_a_websocket_on_which_liveavatar_never_says_connected_closes_and_stops_the_session(
    heygen_emulator: Emulator, live: LiveAvatarClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LiveAvatar opens the socket but never says ``connected``: audio is not piled up meanwhile (the speaker
    waits), and after ``connect_timeout`` the session is closed and stopped, saying why, instead of being kept
    alive and billed while it cannot speak."""
    ConnectedGate(monkeypatch)  # never opened
    async with live.session(sandbox=True, connect_timeout=0.3, **QUICK_SPEECH) as session:
        channel = session.channel
        assert channel is not None
        with pytest.raises(hg.SessionClosedError, match="did not say connected"):
            await asyncio.wait_for(session.speak_audio(tone(1.0)), HANG_GUARD)
        assert channel.queued == 0  # no audio waited in the outbox
        await wait_until(lambda: session.state is hg.SessionState.CLOSED, within=HANG_GUARD)
    assert _recorded(heygen_emulator).commands == []
    assert not_ended(heygen_emulator) == []
    assert live_registry(live) == 0


async def test_a_session_closed_while_its_websocket_opens_leaves_no_socket_reader_or_writer(
    heygen_emulator: Emulator, live: LiveAvatarClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``close()`` (or the client's or a manager's ``aclose()``) while the WebSocket handshake is in flight:
    the socket opened after it is closed by the client, and no reader or writer task is left running."""
    from heygen_async._liveavatar import _lite

    handshake_done = asyncio.Event()
    release = asyncio.Event()
    connect = _lite.LiteChannel._connect

    async def held(channel: _lite.LiteChannel) -> object:
        ws = await connect(channel)
        handshake_done.set()
        await release.wait()
        return ws

    monkeypatch.setattr(_lite.LiteChannel, "_connect", held)
    session = live.session(sandbox=True, **QUICK_SPEECH)
    entering = asyncio.create_task(session.__aenter__())
    await asyncio.wait_for(handshake_done.wait(), HANG_GUARD)
    closing = asyncio.create_task(session.close())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(closing, HANG_GUARD)
    with pytest.raises(hg.SessionClosedError):
        await asyncio.wait_for(entering, HANG_GUARD)
    lite_tasks = [task for task in asyncio.all_tasks() if task.get_name().startswith("heygen-lite")]
    assert lite_tasks == []
    await wait_until(lambda: heygen_emulator.liveavatar.stats()["ws_open"] == 0, within=HANG_GUARD)
    assert not_ended(heygen_emulator) == []


async def test_an_utterance_cut_by_a_websocket_drop_is_interrupted_once_and_its_rest_never_plays(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """The socket drops while an utterance streams: LiveAvatar dropped its start with the socket, so the rest
    must not play on the new one as a new utterance; its speaker gets TaskInterrupted, and it finishes once
    (interrupted), not twice."""
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        assert session.channel is not None
        assert session.id is not None
        await asyncio.wait_for(session.channel.wait_ready(), HANG_GUARD)
        speaking = asyncio.create_task(session.speak_audio(tone(3.0)))
        await wait_until(lambda: heygen_emulator.liveavatar.stats()["speak_frames"] >= 3, within=HANG_GUARD)
        await heygen_emulator.liveavatar.drop_websocket(session.id)
        with pytest.raises(hg.TaskInterrupted, match="dropped"):
            await asyncio.wait_for(speaking, HANG_GUARD)
        after = await session.speak_audio(tone(0.2))
        await wait_until(lambda: finished(recorder, after.task_id), within=HANG_GUARD)
    cut_ids = {event.task_id for event in recorder.of(hg.TaskSent)} - {after.task_id}
    (cut_id,) = cut_ids
    assert cut_id is not None
    assert [(e.task_id, e.interrupted) for e in recorder.of(hg.TaskFinished) if e.task_id == cut_id] == [(cut_id, True)]
    assert [u.event_id for u in _recorded(heygen_emulator).utterances].count(cut_id) == 1


async def test_a_socket_that_said_connected_and_dropped_reconnects_however_long_its_reopening_takes(
    heygen_emulator: Emulator, live: LiveAvatarClient
) -> None:
    """The watchdog for ``connected`` belongs to one socket until it says connected: a socket that did, and
    drops long after, is opened again through every try ``reconnects`` allows, not given up on because the old
    socket's watchdog ran out meanwhile; a speaker waiting through it speaks once it is back."""
    async with live.session(sandbox=True, connect_timeout=0.3, reconnects=3, **QUICK_SPEECH) as session:
        recorder = await Recorder.subscribe(session)
        assert session.channel is not None
        assert session.id is not None
        await asyncio.wait_for(session.channel.wait_ready(), HANG_GUARD)
        await asyncio.sleep(0.5)  # past the first socket's watchdog
        heygen_emulator.liveavatar.refuse_websocket(times=2)
        await heygen_emulator.liveavatar.drop_websocket(session.id)
        task = await asyncio.wait_for(session.speak_audio(tone(0.2)), HANG_GUARD)
        await wait_until(lambda: finished(recorder, task.task_id), within=HANG_GUARD)
        assert session.state is hg.SessionState.CONNECTED
    assert [event.attempt for event in recorder.of(hg.Reconnected)] == [3]


async def test_an_interrupt_wakes_a_speaker_waiting_for_connected(
    heygen_emulator: Emulator, live: LiveAvatarClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A speaker waiting for LiveAvatar's ``connected`` is cut by ``interrupt()`` at once (TaskInterrupted),
    not when ``connected`` finally comes; nothing of it is sent."""
    gate = ConnectedGate(monkeypatch)
    async with live.session(sandbox=True, **QUICK_SPEECH) as session:
        speaking = asyncio.create_task(session.speak_audio(tone(0.5)))
        await asyncio.sleep(0.05)
        await session.interrupt()
        with pytest.raises(hg.TaskInterrupted):
            await asyncio.wait_for(speaking, HANG_GUARD)
        assert not gate.open.is_set()
        gate.open.set()
    assert "agent.speak" not in [command.type for command in _recorded(heygen_emulator).commands]
