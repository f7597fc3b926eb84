"""What every job-waiter test shares: a fast poll cadence, a table of job kinds, and small waiting helpers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import heygen_async as hg
from heygen_async.emulator import Emulator
from heygen_async.emulator._state import Account

FAST_POLL = hg.PollPolicy(
    first_poll=0.01, max_interval=0.05, jitter=0.1, retry_after_floor=0.05, retry_after_ceiling=0.5
)
"""Real-time cadence: the scheduler polls on the wall clock while emulated jobs move only on ``advance()``."""
NO_WAIT_RETRY = hg.RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0)
SETTLE = 100.0
"""Emulated seconds after which every kind's job (render 32 s, translation 62 s, training 60 s, ...) is done."""

AVATAR: dict[str, Any] = {"type": "avatar", "avatar_id": "Angela-inTshirt-20220820"}
VOICE_ID = "1bd001e7e50f421d891986aad5158bc8"
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
MARK = "#fail"


def fast_client(emulator: Emulator, **options: Any) -> hg.HeyGenClient:
    """A gateway client for ``emulator`` that polls every few milliseconds (use with ``async with``)."""
    settings: dict[str, Any] = {"poll_policy": FAST_POLL, "poll_budget": 200, "retry": NO_WAIT_RETRY}
    return emulator.client(**{**settings, **options})


def scene(text: str = "Hello there") -> dict[str, Any]:
    return {"character": AVATAR, "voice": {"type": "text", "input_text": text, "voice_id": VOICE_ID}}


async def wait_until(predicate: Callable[[], bool], *, within: float = 3.0, what: str = "condition") -> None:
    """Let the loop run until ``predicate()`` holds; fail after ``within`` real seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def status_polls(emulator: Emulator, endpoint: str) -> int:
    """How many status requests the emulator has seen on ``endpoint`` (e.g. ``"videos.status"``)."""
    return sum(1 for entry in emulator.request_log if entry["endpoint"] == endpoint)


async def polls_settled(client: hg.HeyGenClient) -> None:
    """Let the waits just started track their jobs, and their first polls come and go where those are due at
    once (a wait on an id does not know when its job was submitted): then no poll is in flight or due within
    a second (with a slow cadence, nothing follows until a webhook or the test says so)."""
    scheduler = client.jobs.scheduler
    await asyncio.sleep(0.01)  # the waits' tasks run up to their first await: their jobs are tracked

    def settled() -> bool:
        soon = time.monotonic() + 1.0
        records = scheduler._jobs.values()
        return not scheduler._in_flight and all(job.done or not job.active or job.due > soon for job in records)

    await wait_until(settled, what="the first polls")


# -- the job kinds -------------------------------------------------------------------------------------------------


async def _make_video(client: hg.HeyGenClient, fail: bool) -> str:
    job = await client.videos.generate([scene(f"Hello {MARK}" if fail else "Hello")])
    assert job.video_id
    return job.video_id


async def _make_translation(client: hg.HeyGenClient, fail: bool) -> str:
    url = "https://media.example/source.mp4" + (MARK if fail else "")
    job = await client.translations.create(url, output_language="French")
    assert job.video_translate_id
    return job.video_translate_id


async def _make_generation(client: hg.HeyGenClient, fail: bool) -> str:
    appearance = PHOTO["appearance"] + (f" {MARK}" if fail else "")
    job = await client.photo_avatars.generate_photos(**{**PHOTO, "appearance": appearance})
    assert job.generation_id
    return job.generation_id


async def _make_group(client: hg.HeyGenClient, fail: bool) -> hg.PhotoAvatar:
    look = await client.photo_avatars.create_group("Lina" + (f" {MARK}" if fail else ""), "image/abc123/original")
    assert look.id
    assert look.group_id
    return look


async def _make_training(client: hg.HeyGenClient, fail: bool) -> str:
    look = await _make_group(client, fail)
    assert look.group_id
    await client.photo_avatars.train(look.group_id)
    return look.group_id


async def _make_motion(client: hg.HeyGenClient, fail: bool) -> str:
    look = await _make_group(client, fail)
    assert look.id
    ref = await client.photo_avatars.add_motion(look.id)
    assert ref.id
    return ref.id


def _set_video(account: Account, job_id: str, status: str) -> None:
    account.videos[job_id].status = status


def _set_translation(account: Account, job_id: str, status: str) -> None:
    account.translations[job_id].status = status


def _set_generation(account: Account, job_id: str, status: str) -> None:
    account.generations[job_id].status = status


def _set_training(account: Account, job_id: str, status: str) -> None:
    account.groups[job_id].train_status = status


def _set_photo_avatar(account: Account, job_id: str, status: str) -> None:
    account.photo_avatars[job_id].status = status


Waiter = Callable[..., Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class Kind:
    """One job kind as the tests drive it: how to create one (failing or not), wait for it, and poke its state."""

    name: str
    create: Callable[[hg.HeyGenClient, bool], Awaitable[str]]
    waiter: Callable[[hg.HeyGenClient], Waiter]
    handle: Callable[[hg.HeyGenClient, str], hg.Job[Any]]
    result: type[Any]
    error: type[hg.JobFailed]
    success: str
    running: str
    endpoint: str
    reason: str | None
    set_status: Callable[[Account, str, str], None]

    def __str__(self) -> str:
        return self.name

    def wait(self, client: hg.HeyGenClient, job_id: str, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        """The kind's own waiter, e.g. ``client.videos.wait(job_id, **kwargs)``."""
        return self.waiter(client)(job_id, **kwargs)


VIDEO = Kind(
    name="video",
    create=_make_video,
    waiter=lambda c: c.videos.wait,
    handle=lambda c, i: c.videos.job(i),
    result=hg.Video,
    error=hg.VideoFailed,
    success="completed",
    running="pending",
    endpoint="videos.status",
    reason="40119 Emulated failure: the script contains the emulator's #fail marker",
    set_status=_set_video,
)
KIND_CASES: tuple[Kind, ...] = (
    VIDEO,
    Kind(
        name="translation",
        create=_make_translation,
        waiter=lambda c: c.translations.wait,
        handle=lambda c, i: c.translations.job(i),
        result=hg.Translation,
        error=hg.TranslationFailed,
        success="success",
        running="pending",
        endpoint="translations.status",
        reason="Emulated failure: the video_url contains the emulator's #fail marker",
        set_status=_set_translation,
    ),
    Kind(
        name="photo_generation",
        create=_make_generation,
        waiter=lambda c: c.photo_avatars.wait_generation,
        handle=lambda c, i: c.photo_avatars.generation_job(i),
        result=hg.PhotoGeneration,
        error=hg.PhotoGenerationFailed,
        success="success",
        running="in_progress",
        endpoint="photo_avatars.generation_status",
        reason=None,
        set_status=_set_generation,
    ),
    Kind(
        name="training",
        create=_make_training,
        waiter=lambda c: c.photo_avatars.wait_training,
        handle=lambda c, i: c.photo_avatars.training_job(i),
        result=hg.Training,
        error=hg.TrainingFailed,
        success="ready",
        running="pending",
        endpoint="photo_avatars.training_status",
        reason=None,
        set_status=_set_training,
    ),
    Kind(
        name="photo_avatar",
        create=_make_motion,
        waiter=lambda c: c.photo_avatars.wait_avatar,
        handle=lambda c, i: c.photo_avatars.avatar_job(i),
        result=hg.PhotoAvatar,
        error=hg.PhotoAvatarFailed,
        success="completed",
        running="pending",
        endpoint="photo_avatars.get",
        reason=None,
        set_status=_set_photo_avatar,
    ),
)


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
