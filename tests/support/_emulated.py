"""What tests against the embedded emulator share: the catalogue's ids, a scene and a photo generation HeyGen
accepts, retry policies that never wait, and small helpers to wait for the loop and read the request log."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock

NO_WAIT_RETRY = hg.RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0)
"""Retries at once: fault-injection tests must not wait out a backoff."""
ONE_TRY = hg.RetryPolicy(attempts=1)
"""Every call is one request: a fault injected on a request is a failed call."""

AVATAR_ID = "Angela-inTshirt-20220820"
VOICE_ID = "1bd001e7e50f421d891986aad5158bc8"
STREAMING_AVATAR = "Wayne_20240711"
CHARACTER: dict[str, Any] = {"type": "avatar", "avatar_id": AVATAR_ID}
PHOTO: dict[str, Any] = {
    "name": "Lina",
    "age": "Young Adult",
    "gender": "Woman",
    "ethnicity": "East Asian",
    "orientation": "square",
    "pose": "half_body",
    "style": "Realistic",
    "appearance": "A friendly presenter",
}
"""``photo_avatars.generate_photos`` keyword arguments HeyGen accepts."""
MARK = "#fail"
"""The emulator fails a job whose script, URL or prompt contains this."""
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def scene(text: str = "Hello there") -> dict[str, Any]:
    """One ``video_inputs`` item: the catalogue's avatar saying ``text``."""
    return {"character": CHARACTER, "voice": {"type": "text", "input_text": text, "voice_id": VOICE_ID}}


async def wait_until(predicate: Callable[[], bool], *, within: float = 3.0, what: str = "condition") -> None:
    """Let the loop run until ``predicate()`` holds; fail after ``within`` real seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def requests_to(emulator: Emulator, endpoint: str) -> int:
    """How many requests the emulator has seen on ``endpoint`` (e.g. ``"videos.status"``)."""
    return sum(1 for entry in emulator.request_log if entry["endpoint"] == endpoint)


@contextlib.asynccontextmanager
async def running(config: EmulatorConfig | None = None, *, clock: ManualClock | None = None) -> AsyncIterator[Emulator]:
    """An emulator with ``config`` on a manual clock, for the block."""
    async with Emulator(config=config, clock=clock or ManualClock()) as emulator:
        yield emulator


@contextlib.asynccontextmanager
async def ticking(
    emulator: Emulator, *, step: float, every: float = 0.01, on_tick: Callable[[], None] | None = None
) -> AsyncIterator[None]:
    """Advance the emulator's manual clock by ``step`` every ``every`` real seconds while the block runs
    (``on_tick`` sees the state before each step)."""

    async def run() -> None:
        while True:
            if on_tick is not None:
                on_tick()
            await emulator.advance(step)
            await asyncio.sleep(every)

    task = asyncio.create_task(run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
