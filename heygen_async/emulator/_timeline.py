"""Emulated time: a clock the tests can step or the demo can speed up, and the events due on it.

Every job the emulator runs (a render, a translation, a training, an idle streaming session) is a chain of
events on a :class:`Timeline`. Events run when the timeline is brought up to the clock: before each request
is handled, when a test advances a :class:`ManualClock`, and from a background ticker for a
:class:`ScaledClock`, so status answers are exact and webhooks fire on time.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Clock", "ManualClock", "ScaledClock", "Timeline"]

logger = logging.getLogger("heygen_async.emulator")


class Clock(Protocol):
    """Emulated seconds since the emulator started."""

    def now(self) -> float: ...

    def real_seconds(self, emulated: float) -> float:
        """How long, in real seconds, ``emulated`` seconds take (``inf`` when only a test moves time)."""
        ...


class ScaledClock:
    """Real time, sped up ``scale`` times: with ``scale=60`` a 90 s render takes 1.5 real seconds."""

    def __init__(self, scale: float = 1.0) -> None:
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        self.scale = scale
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.scale

    def real_seconds(self, emulated: float) -> float:
        return emulated / self.scale

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self.scale})"


class ManualClock:
    """Time that moves only when a test says so (``await emulator.advance(30)``)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def real_seconds(self, emulated: float) -> float:
        return float("inf")

    def move_to(self, when: float) -> None:
        if not math.isfinite(when) or when < self._now:
            raise ValueError(f"time moves forward by a finite amount; cannot go from {self._now} to {when}")
        self._now = when

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now})"


class Timeline:
    """Events due at emulated times, run in order (ties in scheduling order)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._events: list[tuple[float, int, Callable[[float], None]]] = []
        self._order = itertools.count()
        self._running_at: float | None = None
        self.on_schedule: Callable[[], None] | None = None
        """Called whenever an event is scheduled (the ticker wakes up for events sooner than it planned)."""

    def now(self) -> float:
        """The emulated time: the clock's, or while an event runs, the time that event was due.

        So a chain of events (pending, then processing, then done) keeps its own pace however far a test
        moves the clock in one step.
        """
        return self.clock.now() if self._running_at is None else self._running_at

    def at(self, when: float, action: Callable[[float], None]) -> None:
        """Run ``action(when)`` once the clock reaches ``when``."""
        heapq.heappush(self._events, (when, next(self._order), action))
        if self.on_schedule is not None:
            self.on_schedule()

    def after(self, delay: float, action: Callable[[float], None]) -> None:
        self.at(self.now() + delay, action)

    def next_due(self) -> float | None:
        return self._events[0][0] if self._events else None

    def run_due(self) -> int:
        """Run every event due by now (events may schedule more; those due are run too). Returns the count."""
        now = self.clock.now()
        ran = 0
        while self._events and self._events[0][0] <= now:
            when, _, action = heapq.heappop(self._events)
            self._running_at = when
            try:
                action(when)
            except Exception:  # one broken event must not stall every later one
                logger.exception("emulator event %r failed", action)
            finally:
                self._running_at = None
            ran += 1
        return ran

    def clear(self) -> None:
        self._events.clear()

    def __len__(self) -> int:
        return len(self._events)
