"""A live avatar that speaks what arrives on a queue, lets new speech cut in, and always stops its session.

What it shows:

- one :class:`heygen_async.StreamingSession` (``async with client.streaming.session(...)``) fed from an
  :class:`asyncio.Queue` of utterances: each is spoken with ``session.speak()``; an utterance that arrives
  while the avatar is still speaking (``session.speaking``) interrupts it first (``session.interrupt()``);
- the session's typed events (state changes, tasks sent and finished, warnings), logged as they happen;
- a clean shutdown on SIGINT (Ctrl-C) or SIGTERM (``loop.add_signal_handler``): the orchestration is
  cancelled, and leaving the ``async with`` block stops the session (exactly one ``streaming.stop``).

By default it runs against the embedded emulator, started in-process on 127.0.0.1 (no account, no internet),
with a small scripted producer that feeds a few utterances and then ends the queue. The last line it prints
is ``sessions left open: N`` (from the emulator's account; against a real API, as far as this run knows).
The exit code is 0 when the session was stopped cleanly, 1 otherwise.

Run it with::

    python examples/live_avatar.py
    python examples/live_avatar.py --wait-for-signal     # after the script, keep the session until Ctrl-C

Against a real gateway (token from ``LOWCODEAPI_API_TOKEN``) or HeyGen itself (``--direct``, key from
``HEYGEN_API_KEY``)::

    python examples/live_avatar.py --base-url https://api.lowcodeapi.com/heygen --avatar-id Wayne_20240711
    python examples/live_avatar.py --direct --avatar-id Wayne_20240711
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine, Sequence
from typing import Any, Final

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

log = logging.getLogger("live_avatar")

DEFAULT_AVATAR: Final = "Wayne_20240711"
END: Final = None
"""Put on the queue to say there is nothing more to speak."""

Utterances = asyncio.Queue[str | None]

SCRIPT: Final[tuple[tuple[float, str], ...]] = (
    # (seconds to wait before, utterance). The emulator speaks about 16 characters a second, so the second
    # and third lines arrive while the one before is still being spoken, and cut it short.
    (0.0, "Hello! I am a live avatar, and I read out whatever arrives on my queue."),
    (0.8, "Sorry to cut in: a newer message always wins."),
    (0.8, "And this one interrupts that one too."),
    (2.4, "That is all for now."),
)


# -- the orchestration ---------------------------------------------------------------------------------------


def describe(event: hg.SessionEvent) -> str:
    """One log line for a session event."""
    if isinstance(event, hg.StateChanged):
        reason = f" ({event.reason})" if event.reason else ""
        return f"state: {event.old.value} -> {event.new.value}{reason}"
    if isinstance(event, hg.TaskSent):
        duration = "?" if event.duration is None else f"{event.duration:.1f} s"
        return f"task sent: {event.task_id} ({event.task_type}, {duration} of speech)"
    if isinstance(event, hg.TaskFinished):
        return f"task {'interrupted' if event.interrupted else 'finished'}: {event.task_id}"
    if isinstance(event, hg.IdleWarning):
        return f"idle for {event.idle_for:.0f} s: HeyGen closes the session in about {event.closes_in:.0f} s"
    if isinstance(event, hg.ExpiryWarning):
        return f"the session reaches its duration limit in about {event.expires_in:.0f} s"
    if isinstance(event, (hg.KeepAliveFailed, hg.StopFailed)):
        return f"{type(event).__name__}: {event.error}"
    return type(event).__name__


async def log_events(session: hg.StreamingSession, quiet: asyncio.Event) -> None:
    """Log every event of ``session`` until it is closed (the stream ends after the change to CLOSED), and set
    ``quiet`` whenever the last speech sent has finished (or the session is gone)."""
    try:
        async for event in session.events():
            log.info("event: %s", describe(event))
            if isinstance(event, hg.TaskFinished) and not session.speaking:
                quiet.set()
    finally:
        quiet.set()


async def speak_from_queue(session: hg.StreamingSession, utterances: Utterances, quiet: asyncio.Event) -> int:
    """Speak each utterance as it arrives; one that arrives while the avatar speaks interrupts it first.
    Returns how many were spoken, once the queue says :data:`END` and the last speech has run its course."""
    spoken = 0
    while (text := await utterances.get()) is not END:
        if session.speaking:
            log.info("new utterance while speaking: interrupting")
            await session.interrupt()
        try:
            await session.speak(text)
        except hg.TaskInterrupted:  # only if another task interrupted it before it was sent
            continue
        spoken += 1
        log.info("speaking: %r", text)
    if session.speaking:  # then its TaskFinished is still to come (the session emits it once speech ends)
        quiet.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(quiet.wait(), 60.0)
    return spoken


async def live_avatar(session: hg.StreamingSession, utterances: Utterances) -> None:
    """Run one live session fed from ``utterances`` until :data:`END` (or cancellation). The session is stopped
    on the way out, whatever the way out is: that is what ``async with`` on a session guarantees."""
    quiet = asyncio.Event()
    logger = asyncio.create_task(log_events(session, quiet), name="live-avatar-events")
    await asyncio.sleep(0)  # subscribed before anything happens: the log starts at NEW -> STARTING
    try:
        async with session:
            log.info("session %s connected", session.id)
            spoken = await speak_from_queue(session, utterances, quiet)
            log.info("queue ended after %d utterance(s)", spoken)
    finally:
        # The session is closed here, so its event stream ends (its last event is the change to CLOSED); one
        # never entered (a signal came first) has no events to end it.
        if session.state is hg.SessionState.NEW:
            logger.cancel()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(logger, 5.0)


async def scripted_producer(utterances: Utterances, script: Sequence[tuple[float, str]], *, end: bool) -> None:
    """Feed ``script`` to the queue, then :data:`END` (unless ``end`` is False: then wait for a signal)."""
    for delay, text in script:
        await asyncio.sleep(delay)
        await utterances.put(text)
    if end:
        await utterances.put(END)
    else:
        log.info("script done; the session stays open until SIGINT or SIGTERM")


# -- running it ----------------------------------------------------------------------------------------------


async def run(session: hg.StreamingSession, *, wait_for_signal: bool) -> None:
    """The scripted producer and the live avatar together, until the queue ends (or cancellation)."""
    utterances: Utterances = asyncio.Queue()
    producer = asyncio.create_task(scripted_producer(utterances, SCRIPT, end=not wait_for_signal))
    try:
        await live_avatar(session, utterances)
    finally:
        producer.cancel()
        await asyncio.gather(producer, return_exceptions=True)


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
    target = parser.add_argument_group("target (default: the embedded emulator)")
    target.add_argument("--base-url", help="a gateway URL (token from LOWCODEAPI_API_TOKEN), or HeyGen with --direct")
    target.add_argument("--direct", action="store_true", help="talk to HeyGen itself (key from HEYGEN_API_KEY)")
    parser.add_argument("--avatar-id", default=DEFAULT_AVATAR, help=f"a streaming avatar (default {DEFAULT_AVATAR})")
    parser.add_argument(
        "--wait-for-signal", action="store_true", help="after the script, keep the session open until a signal"
    )
    return parser.parse_args(argv)


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with Shutdown() as shutdown:
        async with contextlib.AsyncExitStack() as stack:
            emulator: Emulator | None = None
            if args.base_url is None and not args.direct:
                config = EmulatorConfig(max_sessions=3)
                emulator = await stack.enter_async_context(Emulator(config, clock=ScaledClock(1.0)))
                client = emulator.client()
                log.info("embedded emulator on %s", emulator.base_url)
            else:
                try:
                    if args.direct:
                        client = hg.HeyGenClient.direct(**({"base_url": args.base_url} if args.base_url else {}))
                    else:
                        client = hg.HeyGenClient(base_url=args.base_url)
                except hg.ConfigurationError as exc:  # no token in the environment, a malformed URL, ...
                    print(f"live_avatar: {exc}", file=sys.stderr)
                    return 2
            await stack.enter_async_context(client)

            session = client.streaming.session(avatar_id=args.avatar_id, quality="low")
            failed = False
            try:
                await shutdown.guard(run(session, wait_for_signal=args.wait_for_signal))
            except hg.HeyGenError as exc:  # could not open the session, or speech failed: it is stopped anyway
                log.error("live avatar failed: %s: %s", type(exc).__name__, exc)
                failed = True
            # NEW: a signal came before the session was entered, so there is nothing to stop.
            stopped = session.state in (hg.SessionState.NEW, hg.SessionState.CLOSED) and session.stop_error is None
            if emulator is not None:
                left_open = len(emulator.account.open_sessions())
            else:
                left_open = 0 if stopped or session.id is None else 1  # this run's session, as far as we know
    print(f"sessions left open: {left_open}", flush=True)
    return 0 if stopped and left_open == 0 and not failed else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)7.0f ms  %(message)s", stream=sys.stdout)
    sys.exit(asyncio.run(main()))
