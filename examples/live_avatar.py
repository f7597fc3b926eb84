"""A LiveAvatar session in LITE mode: audio streamed in, speech cut short, orphans reaped, the session always stopped.

What it shows:

- ``live.manager(max_sessions=...).reap_orphans()`` at start-up: a session a crashed run left open (still
  billed) is stopped (``GET /v1/sessions?type=active``, then ``POST /v1/sessions/stop``);
- one :class:`heygen_async.LiveAvatarSession` (``async with live.session(mode="LITE", sandbox=True)``):
  LiveAvatar's sandbox (no credits, about a minute long, its one sandbox avatar), its WebSocket opened for you;
- ``session.speak_audio(chunks)``: PCM s16le 24 kHz mono from any async iterable of bytes (here a generated
  tone), paced to real time, one ``event_id`` per utterance; ``session.interrupt()`` cuts the first utterance
  short (its ``speak_audio`` raises ``TaskInterrupted``), the second plays to its end;
- the session's typed events (state changes, speech sent and finished, LiveAvatar's own messages), logged;
- a clean shutdown on SIGINT (Ctrl-C) or SIGTERM: the work is cancelled, and leaving the ``async with`` block
  stops the session (exactly one ``POST /v1/sessions/stop``).

By default it runs against the embedded emulator, in-process on 127.0.0.1 (no account, no internet), and the
last line it prints is ``sessions left open: N`` (from the emulator's LiveAvatar; against the real API, this
run's session, as far as it knows). The exit code is 0 when the session was stopped cleanly, 1 otherwise.

Run it with::

    python examples/live_avatar.py
    python examples/live_avatar.py --wait-for-signal    # after the script, keep the session until Ctrl-C

Against LiveAvatar itself (key from ``LIVEAVATAR_API_KEY``; a sandbox session costs no credits)::

    python examples/live_avatar.py --base-url https://api.liveavatar.com
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import logging
import math
import signal
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any, Final

import heygen_async as hg
from heygen_async.emulator import Emulator, ScaledClock

log = logging.getLogger("live_avatar")

SAMPLE_RATE: Final = 24000
"""What a LITE session plays: PCM s16le, 24 kHz, mono."""
CHUNK_SECONDS: Final = 0.1
"""How the tone arrives: in 100 ms chunks, as a text-to-speech stream would deliver it."""


# -- the audio -----------------------------------------------------------------------------------------------


async def tone(seconds: float, hertz: float) -> AsyncIterator[bytes]:
    """``seconds`` of a sine tone as PCM s16le 24 kHz mono, in chunks: any async iterable of bytes will do."""
    total = round(seconds * SAMPLE_RATE)
    step = round(CHUNK_SECONDS * SAMPLE_RATE)
    for start in range(0, total, step):
        samples = array.array(
            "h",
            (
                round(8000 * math.sin(2 * math.pi * hertz * n / SAMPLE_RATE))
                for n in range(start, min(total, start + step))
            ),
        )
        if sys.byteorder == "big":
            samples.byteswap()  # s16le: little-endian whatever the machine
        yield samples.tobytes()
        await asyncio.sleep(0)


# -- the session ---------------------------------------------------------------------------------------------


def describe(event: hg.SessionEvent) -> str:
    """One log line for a session event."""
    if isinstance(event, hg.StateChanged):
        reason = f" ({event.reason})" if event.reason else ""
        return f"state: {event.old.value} -> {event.new.value}{reason}"
    if isinstance(event, hg.TaskSent):
        return f"speech sent: {event.task_id}"
    if isinstance(event, hg.TaskFinished):
        return f"speech {'interrupted' if event.interrupted else 'finished'}: {event.task_id}"
    if isinstance(event, hg.ServerEvent):
        state = event.data.get("state")
        return f"LiveAvatar says: {event.type}" + (f" ({state})" if state else "")
    if isinstance(event, hg.ExpiryWarning):  # a sandbox session lasts about a minute: this comes at once
        return f"the session reaches its duration limit in about {event.expires_in:.0f} s"
    if isinstance(event, hg.Reconnected):
        return f"WebSocket reopened (attempt {event.attempt})"
    if isinstance(event, (hg.KeepAliveFailed, hg.StopFailed)):
        return f"{type(event).__name__}: {event.error}"
    return type(event).__name__


async def log_events(session: hg.LiveAvatarSession, finished: dict[str, asyncio.Event]) -> None:
    """Log every event of ``session`` until it is closed (the stream ends after the change to CLOSED), and set
    ``finished[task_id]`` when that speech has played to its end."""
    async for event in session.events():
        log.info("event: %s", describe(event))
        if isinstance(event, hg.TaskFinished) and event.task_id is not None:
            finished.setdefault(event.task_id, asyncio.Event()).set()


async def speak(session: hg.LiveAvatarSession, wait_for_signal: bool) -> None:
    """The script: a long utterance cut short by an interrupt, then a short one played to its end."""
    finished: dict[str, asyncio.Event] = {}
    logger = asyncio.create_task(log_events(session, finished), name="live-avatar-events")
    await asyncio.sleep(0)  # subscribed before anything happens: the log starts at NEW -> STARTING
    try:
        async with session:
            log.info("session %s connected (%s, sandbox)", session.id, session.mode.value)
            first = asyncio.create_task(session.speak_audio(tone(4.0, 220)))
            await asyncio.sleep(1.5)  # a second and a half into four seconds of speech
            log.info("interrupting: a newer utterance wins")
            await session.interrupt()
            try:
                await first
            except hg.TaskInterrupted:
                log.info("the first utterance was cut short")
            task = await session.speak_audio(tone(1.0, 330))
            log.info("second utterance sent: %s (%.1f s of audio)", task.task_id, (task.duration_ms or 0) / 1000)
            played = finished.setdefault(task.task_id or "", asyncio.Event())
            await asyncio.wait_for(played.wait(), 30.0)
            log.info("script done")
            if wait_for_signal:
                log.info("the session stays open until SIGINT or SIGTERM")
                await asyncio.Event().wait()
    finally:
        # The session is closed here, so its event stream ends (its last event is the change to CLOSED); one
        # never entered (a signal came first) has no events to end it.
        if session.state is hg.SessionState.NEW:
            logger.cancel()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(logger, 5.0)


async def leave_an_orphan(live: hg.LiveAvatarClient) -> str:
    """What a crashed run leaves behind: a session minted and started with the plain calls, never stopped."""
    avatar = next(a for a in await live.avatars.list_public() if a.type == "VIDEO")
    minted = await live.sessions.token(avatar_id=avatar.id or "", mode="LITE")
    assert minted.session_id is not None
    assert minted.session_token is not None
    await live.with_session_token(minted.session_token).start()
    return minted.session_id


class Shutdown:
    """SIGINT and SIGTERM for the whole run (``loop.add_signal_handler``): the first one cancels the work
    being guarded (or the work not started yet), later ones are only logged, so a second Ctrl-C never cuts the
    session's stop short."""

    SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._signal: str | None = None
        self._work: asyncio.Task[None] | None = None

    def __enter__(self) -> Shutdown:
        loop = asyncio.get_running_loop()
        for sig in self.SIGNALS:
            loop.add_signal_handler(sig, self._on_signal, sig)
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in self.SIGNALS:
            loop.remove_signal_handler(sig)

    def received(self) -> str | None:
        """The name of the first signal received, if one was."""
        return self._signal

    def _on_signal(self, sig: signal.Signals) -> None:
        if self._signal is not None:
            log.info("%s again: already stopping", sig.name)
            return
        self._signal = sig.name
        log.info("received %s: stopping", sig.name)
        if self._work is not None:
            self._work.cancel()

    async def guard(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` until it ends or a signal comes (a signal that came earlier: it never starts)."""
        if self.received() is not None:
            work.close()
            return
        self._work = asyncio.create_task(work)
        try:
            await self._work
        except asyncio.CancelledError:
            received = self.received()
            if received is None:
                raise  # cancelled from outside, not by a signal
            log.info("stopped after %s", received)
        finally:
            self._work = None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--base-url", help="LiveAvatar's base URL, e.g. https://api.liveavatar.com (default: the embedded emulator)"
    )
    parser.add_argument(
        "--wait-for-signal", action="store_true", help="after the script, keep the session open until a signal"
    )
    return parser.parse_args(argv)


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with Shutdown() as shutdown:
        async with contextlib.AsyncExitStack() as stack:
            emulator: Emulator | None = None
            if args.base_url is None:
                # Real time: audio streams in real time, and a sandbox session lasts one emulated minute.
                emulator = await stack.enter_async_context(Emulator(clock=ScaledClock(1.0)))
                live = emulator.liveavatar_client()
                log.info("embedded emulator's LiveAvatar on %s", emulator.liveavatar_url)
            else:
                try:
                    live = hg.LiveAvatarClient(base_url=args.base_url)
                except hg.ConfigurationError as exc:  # no key in the environment, a malformed URL, ...
                    print(f"live_avatar: {exc}", file=sys.stderr)
                    return 2
            await stack.enter_async_context(live)

            if emulator is not None:
                log.info("a crashed run left session %s open", await leave_an_orphan(live))
            # At start-up, nothing of this process is open yet: whatever the account has open is an orphan.
            report = await live.manager(max_sessions=1).reap_orphans()
            log.info("reaped %d orphan(s): %s", len(report.stopped), ", ".join(report.stopped) or "none")

            session = live.session(mode="LITE", sandbox=True)
            failed = False
            try:
                await shutdown.guard(speak(session, args.wait_for_signal))
            except hg.HeyGenError as exc:  # could not open the session, or speech failed: it is stopped anyway
                log.error("live avatar failed: %s: %s", type(exc).__name__, exc)
                failed = True
            # NEW: a signal came before the session was entered, so there is nothing to stop.
            stopped = session.state in (hg.SessionState.NEW, hg.SessionState.CLOSED) and session.stop_error is None
            if emulator is not None:
                left_open = int(emulator.liveavatar.stats()["sessions_open"])
            else:
                left_open = 0 if stopped or session.id is None else 1  # this run's session, as far as we know
    print(f"sessions left open: {left_open}", flush=True)
    return 0 if stopped and left_open == 0 and not failed else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)7.0f ms  %(message)s", stream=sys.stdout)
    sys.exit(asyncio.run(main()))
