"""Type-checked only (``mypy --strict``): the generated endpoint methods, used correctly."""

from __future__ import annotations

from pathlib import Path

import heygen_async as hg


async def tour(client: hg.HeyGenClient) -> None:
    avatars: hg.AvatarList = await client.avatars.list()
    first: hg.Avatar = avatars[0]
    names: list[str | None] = [a.avatar_name for a in avatars]
    voices: hg.VoiceList = await client.voices.list()
    voice_ids = [v.voice_id for v in voices]

    job: hg.VideoJob = await client.videos.generate(
        [
            hg.VideoInput(
                character=hg.AvatarCharacter(avatar_id="Angela-inTshirt-20220820", avatar_style="normal"),
                voice=hg.TextVoice(input_text="Hello!", voice_id="1bd001e7e50f421d891986aad5158bc8"),
                background=hg.ColorBackground("#FAFAFA"),
            ),
            {
                "character": {"type": "talking_photo", "talking_photo_id": "tp"},
                "voice": {"type": "silence", "duration": 1},
            },
        ],
        dimension=hg.Dimension(1280, 720),
        title="Welcome",
        test=True,
        timeout=60,
        max_retries=0,
    )
    video: hg.Video = await client.videos.status(job.video_id or "")
    status: hg.VideoStatus | None = video.status
    if video.status is hg.VideoStatus.COMPLETED and video.error is None:
        url: str | None = video.video_url
        del url
    async for summary in client.videos.iter_all(limit=100):
        summary_id: str | None = summary.video_id
        del summary_id
    page: hg.VideoPage = await client.videos.list(limit=10, token=None)
    await client.videos.generate_webm("Angela-inTshirt-20220820", input_text="Hi", voice_id="v", avatar_style="closeUp")

    generation: hg.GenerationJob = await client.photo_avatars.generate_photos(
        name="Lina",
        age="Young Adult",
        gender="Woman",
        ethnicity="East Asian",
        orientation="square",
        pose="half_body",
        style="Realistic",
        appearance="A friendly presenter",
    )
    check: hg.PhotoGeneration = await client.photo_avatars.generation_status(generation.generation_id or "")
    keys: list[str] = check.image_key_list
    await client.photo_avatars.add_looks("group", keys[:4], name="looks")

    session: hg.StreamingSessionInfo = await client.streaming.new(
        quality="low", avatar_id="a", voice=hg.StreamingVoice(rate=1.0, emotion="Friendly"), activity_idle_timeout=300
    )
    task: hg.StreamingTask = await client.streaming.task(session.session_id or "", "Hello", task_type="repeat")
    seconds: float | None = task.duration
    await client.streaming.stop(session.session_id or "")

    await client.templates.generate("t1", {"headline": hg.TextVariable(name="headline", content="Hi")})
    translation: hg.TranslationJob = await client.translations.create("https://x/v.mp4", output_language="French")
    quota: hg.Quota = await client.user.remaining_quota()
    credits: float | None = quota.credits
    endpoint: hg.WebhookEndpoint = await client.webhooks.add_endpoint(
        "https://example.com/hook", events=["avatar_video.success"]
    )
    asset: hg.Asset = await client.assets.upload(Path("photo.png"))
    folder: hg.Folder = await client.folders.create("Q3", project_type="video")
    unnamed: hg.Folder = await client.folders.create(parent_id="f1")  # the name is optional, as HeyGen documents it
    table: tuple[hg.Endpoint, ...] = client.endpoints
    del first, names, voice_ids, status, page, task, seconds, translation, credits, endpoint, asset, folder, table
    del unnamed
