"""What the job-waiter tests share: poll cadences, a client that polls every few milliseconds, videos
submitted in one line, and a table of job kinds (how to create, wait for and poke each)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import heygen_async as hg
from heygen_async.emulator import Emulator
from heygen_async.emulator._state import Account

from ._emulated import MARK, NO_WAIT_RETRY, PHOTO, scene, wait_until

FAST_POLL = hg.PollPolicy(
    first_poll=0.01, max_interval=0.05, jitter=0.1, retry_after_floor=0.05, retry_after_ceiling=0.5
)
"""Real-time cadence: the scheduler polls on the wall clock while emulated jobs move only on ``advance()``."""
SLOW_POLL = hg.PollPolicy(first_poll=30, max_interval=60)
"""After a wait's first poll (at once: it does not know when the job was submitted), no poll for 30 s: any
sooner comes from a webhook fed to the client, and the tests decide exactly when."""
SETTLE = 100.0
"""Emulated seconds after which every kind's job (render 32 s, translation 62 s, training 60 s, ...) is done."""
REJECTED_TOKEN = "rejected-token"
"""Not an ``at_`` token: the emulator's gateway answers 401 to every call made with it."""


def fast_client(emulator: Emulator, **options: Any) -> hg.HeyGenClient:
    """A gateway client for ``emulator`` that polls every few milliseconds (use with ``async with``)."""
    settings: dict[str, Any] = {"poll_policy": FAST_POLL, "poll_budget": 200, "retry": NO_WAIT_RETRY}
    return emulator.client(**{**settings, **options})


async def submit_video(client: hg.HeyGenClient, text: str = "Hello there") -> str:
    """Submit one render of ``scene(text)`` and return its id."""
    job = await client.videos.generate([scene(text)])
    assert job.video_id
    return job.video_id


async def submit_videos(client: hg.HeyGenClient, *texts: str) -> list[str]:
    """Submit one render per text, one after the other, and return their ids in order."""
    return [await submit_video(client, text) for text in texts]


def video_success(video_id: str) -> dict[str, Any]:
    """The webhook payload HeyGen sends when the render ``video_id`` completed."""
    return {"event_type": "avatar_video.success", "event_data": {"video_id": video_id}}


def max_in_any_window(starts: list[float], width: float = 1.0) -> int:
    """The most of ``starts`` (times, in seconds) in any window ``width`` seconds wide: what a budget bounds."""
    starts = sorted(starts)
    best, left = 0, 0
    for right, t in enumerate(starts):
        while starts[left] <= t - width:
            left += 1
        best = max(best, right - left + 1)
    return best


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


async def make_training(client: hg.HeyGenClient, fail: bool) -> str:
    look = await _make_group(client, fail)
    assert look.group_id
    await client.photo_avatars.train(look.group_id)
    return look.group_id


async def make_motion(client: hg.HeyGenClient, fail: bool) -> str:
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
        create=make_training,
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
        create=make_motion,
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
