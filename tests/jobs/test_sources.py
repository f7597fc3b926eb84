"""Every call that starts a job leads to a waiter: WebM and template renders, look generation, upscaling."""

from __future__ import annotations

import asyncio

import heygen_async as hg
from heygen_async.emulator import Emulator
from tests.support import CHARACTER, SETTLE, VOICE_ID, make_motion, make_training


async def _settle(emulator: Emulator, task: asyncio.Future[object]) -> object:
    await asyncio.sleep(0.05)  # the first poll sees the job running
    await emulator.advance(SETTLE)
    return await asyncio.wait_for(task, 2)


async def test_a_webm_render_is_waited_for_as_a_video(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    job = await fast.videos.generate_webm(CHARACTER["avatar_id"], input_text="Hi", voice_id=VOICE_ID)
    assert job.video_id
    video = await _settle(heygen_emulator, asyncio.ensure_future(fast.videos.wait(job.video_id)))
    assert isinstance(video, hg.Video)
    assert video.status is hg.VideoStatus.COMPLETED
    assert video.id == job.video_id


async def test_a_template_render_is_waited_for_as_a_video(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    template = (await fast.templates.list())[0]
    assert template.template_id
    headline = hg.TextVariable(name="headline", content="Now with jobs")
    job = await fast.templates.generate(template.template_id, {"headline": headline})
    assert job.video_id
    video = await _settle(heygen_emulator, asyncio.ensure_future(fast.videos.job(job.video_id).wait()))
    assert isinstance(video, hg.Video)
    assert video.status is hg.VideoStatus.COMPLETED


async def test_generated_looks_are_waited_for_as_a_photo_generation(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    group_id = await make_training(fast, False)
    await _settle(heygen_emulator, asyncio.ensure_future(fast.photo_avatars.wait_training(group_id)))
    job = await fast.photo_avatars.generate_looks(group_id, "in a garden", "square", "half_body", "Realistic")
    assert job.generation_id
    generation = await _settle(
        heygen_emulator, asyncio.ensure_future(fast.photo_avatars.wait_generation(job.generation_id))
    )
    assert isinstance(generation, hg.PhotoGeneration)
    assert generation.status == "success"
    assert generation.image_url_list


async def test_an_upscale_is_waited_for_as_a_photo_avatar(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    motion_id = await make_motion(fast, False)
    await _settle(heygen_emulator, asyncio.ensure_future(fast.photo_avatars.wait_avatar(motion_id)))
    ref = await fast.photo_avatars.upscale(motion_id)
    assert ref.id
    upscaled = await _settle(heygen_emulator, asyncio.ensure_future(fast.photo_avatars.avatar_job(ref.id).wait()))
    assert isinstance(upscaled, hg.PhotoAvatar)
    assert upscaled.status == "completed"
    assert upscaled.id == ref.id
