"""Type-checked only (``mypy --strict``): the generated v3 methods and their waiters, used correctly."""

from __future__ import annotations

import heygen_async as hg
from heygen_async import v3


async def tour(client: hg.HeyGenClient) -> None:
    created: v3.CreateAvatarVideoResponse = await client.v3.videos.create(
        type="avatar",
        avatar_id="look_1",
        script="Hello",
        voice_id="voice_1",
        resolution="1080p",
        aspect_ratio="16:9",
        idempotency_key="order-42",
    )
    image: v3.CreateAvatarVideoResponse = await client.v3.videos.create(
        type="image", image={"type": "url", "url": "https://example.com/a.png"}, script="Hi", voice_id="voice_1"
    )
    del image
    video_id: str | None = created.video_id
    detail: v3.VideoDetail = await client.v3.videos.get(video_id or "")
    status: v3.VideoStatus | None = detail.status
    finished: v3.VideoDetail = await client.v3.videos.wait(video_id or "", timeout=1800)
    url: str | None = finished.video_url
    job: hg.Job[v3.VideoDetail] = await client.v3.videos.submit(type="avatar", avatar_id="a", script="s", voice_id="v")
    token: str = job.resume_token
    page: v3.VideoDetailPage = await client.v3.videos.list(limit=50)
    more: bool | None = page.has_more
    async for look in client.v3.avatars.looks.iter_all(ownership="private"):
        look_id: str | None = look.id
        del look_id
    statuses: v3.VideoStatusEntryPage = await client.v3.videos.statuses(video_ids="a,b,c")
    me: v3.UserInfoResponse = await client.v3.users.me()
    rotated = await client.v3.webhooks.endpoints.rotate_secret("ep_1")
    secret: str | None = rotated.secret
    translation_ids = await client.v3.video_translations.create(
        video={"type": "url", "url": "https://example.com/v.mp4"}, output_languages=["fr", "de"]
    )
    translated: list[object] = await client.v3.video_translations.wait_many(translation_ids.video_translation_ids or [])
    dubbing: hg.Job[v3.LipsyncDetail] = await client.v3.lipsyncs.submit(
        video={"type": "url", "url": "https://example.com/v.mp4"},
        audio={"type": "url", "url": "https://example.com/a.mp3"},
    )
    dubbed: v3.LipsyncDetail = await dubbing
    del status, url, token, more, statuses, me, secret, translated, dubbed
