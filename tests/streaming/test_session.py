"""One session's behaviour against the emulator: one stop however often it is closed, a failed stop reported
but not raised, speech in call order, interrupt, closed sessions (speech refused or cut off because the
session closed meanwhile is a SessionClosedError), argument checks before any request, the event stream, and no
credential in a repr."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import heygen_async as hg
from heygen_async._streaming._session import StreamingSession
from heygen_async._transport._call import may_have_been_processed
from heygen_async.emulator import Emulator
from tests.support import (
    SESSION_PARAMS,
    STREAMING_AVATAR,
    CheckpointBackend,
    FailingStop,
    Recorder,
    StubBackend,
    in_flight,
    requests_to,
    streaming_requests,
    wait_until,
)

# -- closing -----------------------------------------------------------------------------------------------------


async def test_closing_twice_or_concurrently_stops_once(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """close() called concurrently, again, and then by leaving the block: one streaming.stop in all."""
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    async with StreamingSession(backend, SESSION_PARAMS) as session:
        await asyncio.gather(session.close(), session.close(), session.close())
        assert session.state is hg.SessionState.CLOSED
        await session.close()
    assert backend.calls["stop"] == 1
    assert requests_to(heygen_emulator, "streaming.stop") == 1
    assert heygen_emulator.account.open_sessions() == []


async def test_a_close_racing_the_exit_waits_for_the_same_stop(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """A close() from another task while the block's exit is stopping the session waits for that one stop."""
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    heygen_emulator.inject("slow", endpoint="streaming.stop")
    session = StreamingSession(backend, SESSION_PARAMS)
    others: list[asyncio.Task[None]] = []

    def close_from_elsewhere() -> None:
        others.append(asyncio.create_task(session.close()))

    backend.hooks["stop.before"] = close_from_elsewhere
    async with session:
        pass
    await asyncio.wait_for(asyncio.gather(*others), 3)
    assert backend.calls["stop"] == 1
    assert requests_to(heygen_emulator, "streaming.stop") == 1


def _end_session_tasks() -> None:
    """Cancel supervisor tasks a defect left running (they are named ``heygen-session-<id>``)."""
    for task in asyncio.all_tasks():
        if task.get_name().startswith("heygen-session-"):
            task.cancel()


async def test_close_while_new_is_in_flight_stops_the_session_new_creates(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """close() from another task while ``open()`` waits for streaming.new: once new answers, the session it
    created must be stopped, and open() must not go on to start it."""
    session = gateway.streaming.session(**SESSION_PARAMS)
    heygen_emulator.inject("slow", endpoint="streaming.new")
    opener = asyncio.create_task(session.open())
    try:
        await wait_until(lambda: in_flight(heygen_emulator, "streaming.new"), what="streaming.new in flight")
        await session.close()
        await asyncio.wait({opener}, timeout=3)
        await session.close()
        assert heygen_emulator.account.open_sessions() == []
        assert session.state is hg.SessionState.CLOSED
        assert isinstance(opener.exception(), hg.SessionClosedError)
        assert requests_to(heygen_emulator, "streaming.stop") == 1
        assert requests_to(heygen_emulator, "streaming.start") == 0  # open() did not go on to start it
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("heygen-session-")]
    finally:
        _end_session_tasks()
        opener.cancel()
        await asyncio.gather(opener, return_exceptions=True)
        for leaked in heygen_emulator.account.open_sessions():
            await gateway.streaming.stop(leaked.id)


async def _stop_failure(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, how: str
) -> tuple[StreamingSession, Recorder, CheckpointBackend]:
    if how == "500":
        heygen_emulator.inject("500", endpoint="streaming.stop", times=3)  # the client tries 3 times
        backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    else:
        error = ConnectionError("the network went away") if how == "raises" else None
        backend = FailingStop(gateway.streaming.backend, heygen_emulator, error)
    session = StreamingSession(backend, SESSION_PARAMS, stop_timeout=0.2)
    recorder = await Recorder.subscribe(session)
    with pytest.warns(RuntimeWarning, match="streaming.stop failed"):
        async with session:
            await session.speak("Hello there")
    return session, recorder, backend


@pytest.mark.parametrize("how", ["500", "raises", "hangs"])
async def test_a_failed_stop_is_warned_reported_and_not_raised(
    how: str, heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """A stop that fails (HTTP 500 after every retry, an error, or no answer within stop_timeout) is a
    RuntimeWarning, a StopFailed event and ``stop_error``; leaving the block does not raise, the session is
    CLOSED on our side and, truthfully, still open at the emulator."""
    started = time.monotonic()
    session, recorder, backend = await _stop_failure(heygen_emulator, gateway, how)
    assert time.monotonic() - started < 2  # bounded by stop_timeout
    assert session.state is hg.SessionState.CLOSED
    assert session.needs_stop
    error = session.stop_error
    if how == "500":
        assert isinstance(error, hg.APIStatusError)
        assert error.status_code == 500
        assert requests_to(heygen_emulator, "streaming.stop") == 3
    elif how == "raises":
        assert isinstance(error, ConnectionError)
    else:
        assert isinstance(error, TimeoutError)
    assert backend.calls["stop"] == 1
    await recorder.ended()
    (failed,) = recorder.of(hg.StopFailed)
    assert failed.error is error
    assert failed.session_id == session.id
    assert [s.id for s in heygen_emulator.account.open_sessions()] == [session.id]


@pytest.mark.parametrize("fault", ["lost", "truncate"])
async def test_a_new_answer_lost_after_the_session_was_created_says_a_session_may_be_open(
    fault: str, heygen_emulator: Emulator, gateway: hg.HeyGenClient, caplog: pytest.LogCaptureFixture
) -> None:
    """``streaming.new`` created a (billed) session but its answer was lost or cut short: no id, so nothing to
    stop; the error is raised, and a warning says a session may be open and what stops it."""
    heygen_emulator.inject(fault, endpoint="streaming.new")
    with pytest.raises(hg.APIError) as caught:
        async with gateway.streaming.session(**SESSION_PARAMS):
            pytest.fail("the session was never created as far as we know")
    assert may_have_been_processed(caught.value)
    assert len(heygen_emulator.account.open_sessions()) == 1
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("a session may have been created" in text and "reap_orphans()" in text for text in warnings), warnings


async def test_a_session_asks_for_the_livekit_transport_and_takes_the_sdks_lower_case_emotion(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """HeyGen's own SDK sends ``version: "v2"`` (without it HeyGen opens a retired v1 raw-WebRTC session) and
    emotions in lower case: a session does both, and the emulator sees ``v2``."""
    async with gateway.streaming.session(**SESSION_PARAMS, voice={"emotion": "excited"}) as session:
        assert session.id is not None
        assert heygen_emulator.account.sessions[session.id].version == "v2"
    info = await gateway.streaming.new(avatar_id=STREAMING_AVATAR, version=None)  # None leaves it out, as asked
    assert info.session_id is not None
    assert heygen_emulator.account.sessions[info.session_id].version is None
    await gateway.streaming.stop(info.session_id)


async def test_a_session_given_version_none_leaves_it_out_as_streaming_new_does(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """``version=None`` means the same on a session as on ``client.streaming.new()``: not sent (HeyGen picks),
    rather than silently replaced by the ``v2`` default."""
    async with gateway.streaming.session(**SESSION_PARAMS, version=None) as session:
        assert session.id is not None
        assert heygen_emulator.account.sessions[session.id].version is None


# -- speaking ----------------------------------------------------------------------------------------------------


async def test_concurrent_speech_reaches_the_emulator_in_call_order(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty speak() calls at once (the first one slow) are sent one at a time, in the order they were made."""
    spoken: list[str] = []
    speak = heygen_emulator.account.speak

    def record(session: Any, text: str) -> tuple[str, float]:
        spoken.append(text)
        return speak(session, text)

    monkeypatch.setattr(heygen_emulator.account, "speak", record)
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    lines = [f"line {n}" for n in range(20)]
    async with StreamingSession(backend, SESSION_PARAMS) as session:
        heygen_emulator.inject("slow", endpoint="streaming.task")
        tasks = await asyncio.gather(*(session.speak(line) for line in lines))
    assert spoken == lines
    assert backend.most_in_flight["task"] == 1
    assert len({task.task_id for task in tasks}) == len(lines)


async def test_chat_asks_the_knowledge_base(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """chat() is a ``talk`` task: the emulator answers with a reply longer than the question."""
    async with gateway.streaming.session(**SESSION_PARAMS) as session:
        recorder = await Recorder.subscribe(session)
        said = await session.speak("Hi")
        answered = await session.chat("Hi")
    await recorder.ended()
    assert said.duration is not None
    assert answered.duration is not None
    assert answered.duration > said.duration
    assert [event.task_type for event in recorder.of(hg.TaskSent)] == ["repeat", "talk"]


async def test_interrupt_drops_queued_speech_and_is_not_queued_itself(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """While one speech is in flight, interrupt() is sent at once; speech waiting its turn raises
    TaskInterrupted and never reaches the emulator; speech asked for afterwards is sent."""
    async with gateway.streaming.session(**SESSION_PARAMS) as session:
        heygen_emulator.inject("slow", endpoint="streaming.task")
        first = asyncio.create_task(session.speak("first"))
        await wait_until(lambda: in_flight(heygen_emulator, "streaming.task"), what="the first speech in flight")
        queued = [asyncio.create_task(session.speak(text)) for text in ("second", "third")]
        await asyncio.sleep(0)  # one loop step: both queue up behind the first
        await session.interrupt()
        assert not first.done()  # the interrupt did not wait behind the speech
        results = await asyncio.gather(*queued, return_exceptions=True)
        assert all(isinstance(result, hg.TaskInterrupted) for result in results)
        assert (await first).task_id
        await session.speak("after the interrupt")
    assert requests_to(heygen_emulator, "streaming.task") == 2
    assert requests_to(heygen_emulator, "streaming.interrupt") == 1


def _speaking(session: StreamingSession) -> bool:
    return session.speaking


async def test_speech_finishes_after_its_duration(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """A TaskFinished (not interrupted) arrives once the speech's duration has run, and speaking turns False."""
    async with gateway.streaming.session(**SESSION_PARAMS) as session:
        recorder = await Recorder.subscribe(session)
        task = await session.speak("Hi")
        assert task.duration == 0.5
        assert _speaking(session)
        await wait_until(lambda: bool(recorder.of(hg.TaskFinished)), what="the speech to finish")
        assert not _speaking(session)
    (finished,) = recorder.of(hg.TaskFinished)
    assert (finished.task_id, finished.interrupted) == (task.task_id, False)


async def test_interrupt_cuts_the_current_speech(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """Speech that is running ends at interrupt(): a TaskFinished(interrupted=True), and no longer speaking."""
    async with gateway.streaming.session(**SESSION_PARAMS) as session:
        recorder = await Recorder.subscribe(session)
        task = await session.speak("A sentence long enough to take a few seconds to say out loud.")
        assert _speaking(session)
        await session.interrupt()
        assert not _speaking(session)
    await recorder.ended()
    finished = recorder.of(hg.TaskFinished)
    assert [(event.task_id, event.interrupted) for event in finished] == [(task.task_id, True)]


async def test_closing_ends_running_speech_and_refuses_speech_not_answered_yet(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """What the README says a close does to speech: speech still running its duration ends as
    TaskFinished(interrupted=True) (its speak() had returned); a speak() whose request is out when the
    session is stopped (HeyGen then refuses it) and one still waiting its turn (never sent) raise
    SessionClosedError."""
    session = gateway.streaming.session(**SESSION_PARAMS)
    recorder = await Recorder.subscribe(session)
    async with session:
        running = await session.speak("A sentence long enough to take a few seconds to say out loud.")
        heygen_emulator.inject("slow", endpoint="streaming.task")
        out = asyncio.create_task(session.speak("sent just before the close"))
        await wait_until(lambda: in_flight(heygen_emulator, "streaming.task"), what="the second speech in flight")
        waiting = asyncio.create_task(session.speak("still waiting its turn"))
        await asyncio.sleep(0)  # queued behind the one in flight
    for speech in (out, waiting):
        with pytest.raises(hg.SessionClosedError):
            await speech
    assert isinstance(out.exception().__cause__, hg.BadRequestError)  # type: ignore[union-attr]
    assert waiting.exception().__cause__ is None  # type: ignore[union-attr]
    await recorder.ended()
    assert [(event.task_id, event.interrupted) for event in recorder.of(hg.TaskFinished)] == [(running.task_id, True)]
    assert [event.task_id for event in recorder.of(hg.TaskSent)] == [running.task_id]
    assert requests_to(heygen_emulator, "streaming.task") == 2


# -- closed sessions and bad arguments ----------------------------------------------------------------------------


async def test_a_start_refused_because_the_session_closed_meanwhile_is_a_session_closed_error(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """Closed (stopped) while streaming.start is in flight, HeyGen then refuses the start (400: the session is
    closed): that is the close, a SessionClosedError, not a bad request. (The shutdown storm in
    tests/reliability/test_shutdown.py saw it as a BadRequestError now and then.)"""
    heygen_emulator.inject("slow", endpoint="streaming.start")
    session = gateway.streaming.session(**SESSION_PARAMS)
    opening = asyncio.create_task(session.open())
    await wait_until(lambda: in_flight(heygen_emulator, "streaming.start"), what="streaming.start in flight")
    await session.close()
    with pytest.raises(hg.SessionClosedError, match="cannot start: the session closed while the request was out"):
        await opening
    assert isinstance(opening.exception().__cause__, hg.BadRequestError)  # type: ignore[union-attr]
    assert heygen_emulator.account.open_sessions() == []
    assert requests_to(heygen_emulator, "streaming.stop") == 1


class _RefusesAfterStop(StubBackend):
    """HeyGen refuses speech for a session its stop already closed."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped = False
        self.task_gate = asyncio.Event()

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> hg.StreamingTask:
        await self.task_gate.wait()
        if self.stopped:
            raise hg.BadRequestError("session closed", endpoint="streaming.task", status_code=400)
        return await super().task(session_id, text, task_type, task_mode)

    async def stop(self, session_id: str) -> None:
        self.stopped = True
        await super().stop(session_id)


class _CutOffAfterStop(_RefusesAfterStop):
    """The client's connections close under a speech in flight once the session was stopped (client.aclose())."""

    async def task(self, session_id: str, text: str, task_type: str, task_mode: str) -> hg.StreamingTask:
        await self.task_gate.wait()
        if self.stopped:
            raise hg.APIConnectionError("connection closed", endpoint="streaming.task", maybe_processed=True)
        return await super().task(session_id, text, task_type, task_mode)


@pytest.mark.parametrize(
    ("stub_class", "cause"),
    [
        pytest.param(_RefusesAfterStop, hg.BadRequestError, id="refused"),
        pytest.param(_CutOffAfterStop, hg.APIConnectionError, id="cut-off"),
    ],
)
async def test_speech_ended_because_the_session_closed_meanwhile_is_a_session_closed_error(
    stub_class: type[_RefusesAfterStop], cause: type[hg.HeyGenError]
) -> None:
    """Refused by HeyGen, or its connection cut, once the session was stopped: the session closing is the news."""
    stub = stub_class()
    session = StreamingSession(stub, {"avatar_id": "a"})
    await session.open()
    speaking = asyncio.create_task(session.speak("hello"))
    await asyncio.sleep(0.01)
    await session.close()
    stub.task_gate.set()
    with pytest.raises(hg.SessionClosedError) as caught:
        await speaking
    assert isinstance(caught.value.__cause__, cause)


async def test_speech_refused_on_an_open_session_keeps_heygens_error() -> None:
    stub = _RefusesAfterStop()
    stub.stopped = True  # HeyGen refuses although the client never closed it
    stub.task_gate.set()
    async with StreamingSession(stub, {"avatar_id": "a"}) as session:
        with pytest.raises(hg.BadRequestError):
            await session.speak("hello")


async def test_a_closed_session_refuses_everything(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """After the block: speak, chat, interrupt and entering again raise SessionClosedError, sending nothing."""
    session = gateway.streaming.session(**SESSION_PARAMS)
    async with session:
        pass
    sent = len(heygen_emulator.request_log)
    with pytest.raises(hg.SessionClosedError):
        await session.speak("Hello")
    with pytest.raises(hg.SessionClosedError):
        await session.chat("Hello")
    with pytest.raises(hg.SessionClosedError):
        await session.interrupt()
    with pytest.raises(hg.SessionClosedError):
        await session.open()
    assert len(heygen_emulator.request_log) == sent
    assert session.info.session_id == session.id  # what new returned stays readable


async def test_a_session_not_entered_refuses_everything(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """Before entering: speak, interrupt and ``info`` raise SessionClosedError; nothing is sent."""
    session = gateway.streaming.session(**SESSION_PARAMS)
    assert session.state is hg.SessionState.NEW
    assert session.id is None
    with pytest.raises(hg.SessionClosedError):
        await session.speak("Hello")
    with pytest.raises(hg.SessionClosedError):
        await session.interrupt()
    with pytest.raises(hg.SessionClosedError):
        _ = session.info
    assert streaming_requests(heygen_emulator) == []


async def test_a_session_closed_before_entering_cannot_be_entered(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """close() on a session never entered sends nothing (there is nothing to stop), and it cannot be opened."""
    session = gateway.streaming.session(**SESSION_PARAMS)
    await session.close()
    assert session.state is hg.SessionState.CLOSED
    with pytest.raises(hg.SessionClosedError):
        await session.open()
    assert streaming_requests(heygen_emulator) == []


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"quality": "ultra"}, "quality"),
        ({"activity_idle_timeout": 5}, "activity_idle_timeout"),
        ({"activity_idle_timeout": 4000}, "activity_idle_timeout"),
        ({"avatar_id": 5}, "avatar_id"),
        ({"keep_alive": True}, "keep_alive"),
        ({"keep_alive": "yes"}, "keep_alive"),
        ({"keep_alive_interval": 0}, "keep_alive_interval"),
        ({"stop_timeout": -1}, "stop_timeout"),
        ({"idle_warning": float("nan")}, "idle_warning"),
        ({"expiry_warning": "soon"}, "expiry_warning"),
    ],
    ids=lambda value: str(value) if isinstance(value, str) else "-".join(map(str, value.items())),
)
async def test_bad_session_arguments_are_refused_before_any_request(
    arguments: dict[str, Any], parameter: str, heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """Bad ``streaming.new`` arguments and session options (keep_alive=True through the gateway, which has no
    keep-alive) raise ValidationError naming the argument, from session() and manager.session() alike, before
    anything is sent or a slot is taken."""
    with pytest.raises(hg.ValidationError) as caught:
        gateway.streaming.session(**{**SESSION_PARAMS, **arguments})
    assert caught.value.parameter == parameter
    manager = gateway.streaming.manager(max_sessions=1)
    with pytest.raises(hg.ValidationError):
        manager.session(**{**SESSION_PARAMS, **arguments})
    assert manager.active == 0
    assert streaming_requests(heygen_emulator) == []


@pytest.mark.parametrize(
    ("text", "options", "parameter"),
    [
        ("", {}, "text"),
        ("   ", {}, "text"),
        (None, {}, "text"),
        ("Hello", {"task_type": "shout"}, "task_type"),
        ("Hello", {"task_mode": "later"}, "task_mode"),
    ],
)
async def test_bad_speech_is_refused_before_any_request(
    text: Any, options: dict[str, Any], parameter: str, heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """Empty text, an unknown task_type or task_mode: ValidationError, no streaming.task sent, session open."""
    async with gateway.streaming.session(**SESSION_PARAMS) as session:
        with pytest.raises(hg.ValidationError) as caught:
            await session.speak(text, **options)
        assert caught.value.parameter == parameter
        assert session.state is hg.SessionState.CONNECTED
    assert requests_to(heygen_emulator, "streaming.task") == 0


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"max_sessions": 0}, "max_sessions"),
        ({"max_sessions": True}, "max_sessions"),
        ({"acquire_timeout": -1}, "acquire_timeout"),
    ],
)
async def test_bad_manager_arguments_are_refused(
    arguments: dict[str, Any], parameter: str, gateway: hg.HeyGenClient
) -> None:
    """A cap below one (or a bool) and a negative acquire timeout raise ValidationError."""
    with pytest.raises(hg.ValidationError) as caught:
        gateway.streaming.manager(**{"max_sessions": 2, **arguments})
    assert caught.value.parameter == parameter


# -- events and reprs ----------------------------------------------------------------------------------------------


async def test_events_run_through_every_state_to_closed_then_end(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """A subscriber from before entering sees NEW -> STARTING -> CONNECTED -> CLOSING -> CLOSED with the task in
    between, the last event is the change to CLOSED, and the stream ends there; two subscribers see the same."""
    session = gateway.streaming.session(**SESSION_PARAMS)
    first, second = await Recorder.subscribe(session), await Recorder.subscribe(session)
    async with session:
        task = await session.speak("Hello there")
    events = await first.ended()
    assert await second.ended() == events
    S = hg.SessionState
    assert first.states() == [
        (S.NEW, S.STARTING),
        (S.STARTING, S.CONNECTED),
        (S.CONNECTED, S.CLOSING),
        (S.CLOSING, S.CLOSED),
    ]
    last = events[-1]
    assert isinstance(last, hg.StateChanged)
    assert last.new is S.CLOSED
    assert last.reason == "exit"
    (sent,) = first.of(hg.TaskSent)
    assert (sent.task_id, sent.task_type, sent.duration) == (task.task_id, "repeat", task.duration)
    assert all(event.session_id == session.id for event in events[1:])  # the id is known from new on
    assert [event.at for event in events] == sorted(event.at for event in events)


async def test_subscribing_to_a_closed_session_yields_nothing(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """events() on a closed session ends at once."""
    async with gateway.streaming.session(**SESSION_PARAMS) as session:
        pass
    assert [event async for event in session.events()] == []


async def test_the_livekit_token_stays_out_of_reprs(heygen_emulator: Emulator, gateway: hg.HeyGenClient) -> None:
    """``info.access_token`` is there to be used, but neither the info's nor the session's repr shows it."""
    async with gateway.streaming.session(**SESSION_PARAMS) as session:
        token = session.info.access_token
        assert token
        assert session.info.url
        for text in (repr(session.info), str(session.info), repr(session), str(session)):
            assert token not in text
        assert session.id is not None
        assert session.id in repr(session)
    assert token not in repr(session)
