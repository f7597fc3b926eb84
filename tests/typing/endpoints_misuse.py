"""Wrong calls ``mypy --strict`` must reject: each marked line must report exactly the error code after ``E:``.

Not part of the normal type check (pyproject excludes it); ``tests/typing/test_mypy.py`` runs mypy on it.
"""

from __future__ import annotations

import heygen_async as hg


async def misuse(client: hg.HeyGenClient) -> None:
    await client.photo_avatars.generate_photos(  # E: call-arg
        name="Lina",
        age="Young Adult",
        gender="Woman",
        ethnicity="East Asian",
        orientation="square",
        pose="half_body",
        style="Realistic",
    )
    await client.photo_avatars.generate_looks("g", "p", orientation="square", pose="lying", style="Noir")  # E: arg-type
    await client.videos.status()  # E: call-arg
    await client.videos.status(123)  # E: arg-type
    await client.videos.list(limit="10")  # E: arg-type
    await client.videos.list(10)  # E: call-arg
    wrong: hg.Video = await client.videos.list()  # E: assignment
    await client.streaming.new(quality="ultra")  # E: arg-type
    await client.streaming.task("s", "hi", task_type="sing")  # E: arg-type
    await client.videos.generate([1, 2])  # E: list-item
    await client.videos.frobnicate()  # E: attr-defined
    forgot_await = client.videos.status("v").video_url  # E: attr-defined
    await client.videos.status("v", timeout="5")  # E: arg-type
    hg.Dimension(width="1280", height=720)  # E: arg-type
    await client.assets.upload(123)  # E: arg-type
    client.videos.iter_all(token="x")  # E: call-arg
    await client.folders.create("Q3", project_type="music")  # E: arg-type
    await client.folders.create(5)  # E: arg-type
    await client.photo_avatars.add_looks("group", "one-key")  # E: arg-type
    del wrong, forgot_await


async def v3_misuse(client: hg.HeyGenClient) -> None:
    await client.v3.videos.create(type="avatar", script="hi", voice_id="v")  # E: call-overload
    await client.v3.videos.create(type="sora", avatar_id="a")  # E: call-overload
    await client.v3.videos.create(type="image", avatar_id="a", image={"type": "url", "url": "u"})  # E: call-overload
    await client.v3.videos.create(type="avatar", avatar_id="a", resolution="8k")  # E: call-overload
    await client.v3.videos.get()  # E: call-arg
    await client.v3.videos.list(limit="10")  # E: arg-type
    wrong: hg.v3.VideoDetail = await client.v3.users.me()  # noqa: F841  # E: assignment
    await client.v3.users.me(idempotency_key="k")  # E: call-arg
    await client.v3.avatars.looks.frobnicate()  # E: attr-defined
    late: hg.v3.UserInfoResponse = await client.v3.videos.wait("v")  # noqa: F841  # E: assignment
    await client.v3.videos.submit(type="avatar", script="hi", voice_id="v")  # E: call-overload
    await client.v3.lipsyncs.submit(video={"type": "url", "url": "u"})  # E: call-arg


async def liveavatar_misuse(live: hg.LiveAvatarClient) -> None:
    await live.sessions.token(mode="LITE")  # E: call-arg
    await live.sessions.token(avatar_id="a", mode="MEDIUM")  # E: arg-type
    await live.sessions.token(avatar_id="a", is_sandbox="yes")  # E: arg-type
    await live.sessions.list()  # E: call-arg
    await live.sessions.list(type="all")  # E: arg-type
    await live.sessions.stop()  # E: call-arg
    await live.avatars.list(page="2")  # E: arg-type
    await live.voices.list(voice_type="shared")  # E: arg-type
    await live.contexts.create(name="n", prompt="p")  # E: call-arg
    await live.users.credits(idempotency_key="k")  # E: call-arg
    await live.sessions.frobnicate()  # E: attr-defined
    gone: hg.liveavatar.LiveSessionToken = await live.sessions.start()  # noqa: F841  # E: assignment
    live.avatars.iter_all(page=2)  # E: call-arg
