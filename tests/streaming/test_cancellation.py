"""Cancellation at every await point of a session's life: whatever point it lands on (also while ``new`` or
``start`` is in flight, and again while stopping), the session the emulator created is stopped exactly once and
nothing is left open, billed. An exception in the block likewise stops the session and propagates as it was."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import pytest

import heygen_async as hg
from heygen_async._streaming._manager import SessionManager
from heygen_async._streaming._session import StreamingSession
from heygen_async.emulator import Emulator
from tests.support import STREAMING_AVATAR, CheckpointBackend, Recorder, requests_to

POINTS: tuple[tuple[str, ...], ...] = (
    ("new.before",),
    ("new.during",),
    ("new.after",),
    ("start.before",),
    ("start.during",),
    ("start.after",),
    ("task.before",),
    ("task.during",),
    ("task.after",),
    ("interrupt.before",),
    ("interrupt.during",),
    ("interrupt.after",),
    ("body",),
    ("stop.before",),
    ("stop.during",),
    ("stop.after",),
    ("body", "stop.during"),
    ("body", "stop.before", "stop.during", "stop.after"),
    ("new.during", "stop.during"),
    ("start.during", "stop.during"),
)
"""Where the outer task is cancelled, in order; several points mean a second (third, ...) cancel while stopping."""


async def _life(
    entered: contextlib.AbstractAsyncContextManager[hg.StreamingSession], backend: CheckpointBackend
) -> None:
    """A whole session: enter (new, start), speak, interrupt, wait in the body, leave (stop)."""
    async with entered as session:
        await session.speak("Hello there")
        await session.interrupt()
        await backend.point("body")


def _assert_stopped_once(emulator: Emulator, backend: CheckpointBackend) -> None:
    account = emulator.account
    assert account.open_sessions() == []
    assert len(account.sessions) == 1  # new is seen through even when cancelled: it created a billed session
    (session_id,) = account.sessions
    assert backend.stopped == [session_id]
    assert requests_to(emulator, "streaming.stop") == 1
    assert account.sessions[session_id].closed_reason == "stopped"


@pytest.mark.parametrize("trips", POINTS, ids=lambda trips: "+".join(trips))
async def test_a_cancelled_session_is_stopped_exactly_once(
    trips: tuple[str, ...], heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """Cancelling the task that owns a session at any await point (before, while and after each call, in the
    body, and again while stopping) ends it cancelled with the session stopped once and nothing left open."""
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator, trips)
    session = StreamingSession(backend, {"avatar_id": STREAMING_AVATAR, "quality": "low"})
    recorder = await Recorder.subscribe(session)
    victim = asyncio.create_task(_life(session, backend))
    backend.victim = victim
    await asyncio.wait({victim}, timeout=5)
    assert victim.cancelled()
    await backend.settle()
    assert backend.tripped == list(trips)
    _assert_stopped_once(heygen_emulator, backend)
    assert session.state is hg.SessionState.CLOSED
    assert session.stop_error is None
    await recorder.ended()
    assert recorder.states()[-1] == (hg.SessionState.CLOSING, hg.SessionState.CLOSED)


@pytest.mark.parametrize("trips", POINTS, ids=lambda trips: "+".join(trips))
async def test_a_cancelled_managed_session_is_stopped_once_and_gives_its_slot_back(
    trips: tuple[str, ...], heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """The same through a SessionManager: also the slot comes back and the ledger forgets the session, so the
    next session gets a slot at once."""
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator, trips)
    manager = SessionManager(backend, max_sessions=1, acquire_timeout=0)
    victim = asyncio.create_task(_life(manager.session(avatar_id=STREAMING_AVATAR, quality="low"), backend))
    backend.victim = victim
    await asyncio.wait({victim}, timeout=5)
    assert victim.cancelled()
    await backend.settle()
    assert backend.tripped == list(trips)
    _assert_stopped_once(heygen_emulator, backend)
    assert manager.active == 0
    assert dict(manager.sessions) == {}
    async with manager.session(
        avatar_id=STREAMING_AVATAR, quality="low"
    ) as again:  # acquire_timeout=0: the slot is free
        assert again.state is hg.SessionState.CONNECTED
    assert manager.high_water == 1


async def test_a_storm_of_cancels_does_not_cut_the_stop_short(
    heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """Cancelled again and again while its stop is in flight, the owner still waits for that one stop."""
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    session = StreamingSession(backend, {"avatar_id": STREAMING_AVATAR, "quality": "low"})
    stop_sent = asyncio.Event()
    backend.hooks["stop.before"] = stop_sent.set
    heygen_emulator.inject("slow", endpoint="streaming.stop")

    entered = asyncio.Event()

    async def owner() -> None:
        async with session:
            entered.set()
            await asyncio.Event().wait()

    victim = asyncio.create_task(owner())
    await asyncio.wait_for(entered.wait(), 3)
    victim.cancel()
    await asyncio.wait_for(stop_sent.wait(), 3)
    for _ in range(20):
        victim.cancel()
        await asyncio.sleep(0)
    assert not victim.done()  # still waiting for the stop
    await asyncio.wait({victim}, timeout=5)
    assert victim.cancelled()
    _assert_stopped_once(heygen_emulator, backend)


class _Boom(Exception):
    pass


@pytest.mark.parametrize("where", ["body", "after speaking", "after interrupt"])
async def test_an_exception_in_the_block_stops_the_session_and_propagates_unchanged(
    where: str, heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """The block's own exception comes out of ``async with`` as the same object, after one stop; the close
    reason names it."""
    error = _Boom("the caller's own failure")
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    session = StreamingSession(backend, {"avatar_id": STREAMING_AVATAR, "quality": "low"})
    recorder = await Recorder.subscribe(session)

    async def owner() -> None:
        async with session:
            if where != "body":
                await session.speak("Hello there")
            if where == "after interrupt":
                await session.interrupt()
            raise error

    with pytest.raises(_Boom) as caught:
        await owner()
    assert caught.value is error
    _assert_stopped_once(heygen_emulator, backend)
    await recorder.ended()
    closing = [event for event in recorder.of(hg.StateChanged) if event.new is hg.SessionState.CLOSING]
    assert [event.reason for event in closing] == ["error: _Boom"]


@pytest.mark.parametrize(
    ("endpoint", "fault", "created"),
    [("streaming.start", "500", 1), ("streaming.new", "500", 0), ("streaming.new", "drop", 0)],
)
async def test_a_failed_enter_raises_and_stops_what_was_created(
    endpoint: str, fault: str, created: int, heygen_emulator: Emulator, gateway: hg.HeyGenClient
) -> None:
    """When ``start`` fails the created session is stopped before the error propagates; when ``new`` fails
    before processing nothing exists and nothing is stopped."""
    heygen_emulator.inject(fault, endpoint=endpoint, times=3)
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    session = StreamingSession(backend, {"avatar_id": STREAMING_AVATAR, "quality": "low"})
    with pytest.raises(hg.HeyGenError):
        async with session:
            pytest.fail("the block must not run")
    assert session.state is hg.SessionState.CLOSED
    assert heygen_emulator.account.open_sessions() == []
    assert len(heygen_emulator.account.sessions) == created
    assert len(backend.stopped) == created
    assert requests_to(heygen_emulator, "streaming.stop") == created


# -- cancellation the way callers cause it: timeouts, cancel scopes, failing task groups ---------------------------

AT: tuple[str, ...] = ("new.during", "start.during", "task.during", "body", "stop.during")


async def _until_tripped(
    kind: str, backend: CheckpointBackend, at: str, life: Callable[[], Coroutine[Any, Any, None]]
) -> BaseException | None:
    """Run ``life`` under a ``kind`` of deadline or scope that fires, through a hook, at point ``at``."""
    try:
        if kind == "deadline":
            with anyio.fail_after(None) as deadline:

                def expire() -> None:
                    deadline.deadline = anyio.current_time()

                backend.hooks[at] = expire
                await life()
        elif kind == "cancel scope":
            with anyio.CancelScope() as scope:
                backend.hooks[at] = scope.cancel
                await life()
        else:
            failed = anyio.Event()
            backend.hooks[at] = failed.set

            async def sibling() -> None:
                await failed.wait()
                raise _Boom("a sibling failed")

            async with anyio.create_task_group() as group:
                group.start_soon(life)
                group.start_soon(sibling)
    except BaseException as exc:  # what the caller gets is the point of the test
        return exc
    return None


@pytest.mark.parametrize("at", AT)
@pytest.mark.parametrize("kind", ["deadline", "cancel scope", "task group"])
async def test_a_deadline_or_scope_firing_anywhere_stops_the_session_once(
    kind: str, at: str, heygen_emulator: Emulator, gateway: hg.HeyGenClient, fixed_latency: float
) -> None:
    """An anyio deadline expiring, a cancel scope cancelled (anyio re-delivers the cancellation until the scope
    is left) or a task-group sibling failing, while new / start / a task / stop is in flight or in the body:
    the caller sees TimeoutError (nothing when the deadline falls in the final stop), nothing, or the sibling's
    error, and the session was stopped once."""
    backend = CheckpointBackend(gateway.streaming.backend, heygen_emulator)
    session = StreamingSession(backend, {"avatar_id": STREAMING_AVATAR, "quality": "low"})

    async def life() -> None:
        async with session:
            await session.speak("Hello there")
            if at == "body":
                await backend.point("body")
                await asyncio.Event().wait()

    outcome = await asyncio.wait_for(_until_tripped(kind, backend, at, life), 5)
    await backend.settle()
    if kind == "deadline" and at == "stop.during":
        # anyio holds a cancellation back while the stop runs shielded, and the block has no checkpoint left
        # after it: the block ends normally, with the session stopped.
        assert outcome is None
    elif kind == "deadline":
        assert isinstance(outcome, TimeoutError)
    elif kind == "cancel scope":
        assert outcome is None
    else:  # an ExceptionGroup (the exceptiongroup backport's on Python 3.10)
        assert [type(error) for error in getattr(outcome, "exceptions", ())] == [_Boom]
    assert session.state is hg.SessionState.CLOSED
    _assert_stopped_once(heygen_emulator, backend)
