"""Tenants on one pool (``with_options(api_token=...)``): a poll's answer reaches only the waiters whose handles
carry the credentials that made it. A tenant the API rejects never sees another tenant's result, whether it
waits alone, among many (``as_completed``, ``wait_many``) or while webhooks wake the polls; handles with the
same credentials still share one poll stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig
from tests.support import VIDEO, avatar_video, fast_client, polls_settled, running, scene, wait_until

REJECTED = "rejected-token"
"""Not an ``at_`` token: the emulator's gateway answers 401 to every call made with it."""
SLOW = hg.PollPolicy(first_poll=30, max_interval=60)
"""After a wait's first poll, polls come only from webhooks: the tests decide when."""


async def _videos(client: hg.HeyGenClient, count: int) -> list[str]:
    ids = []
    for n in range(count):
        job = await client.videos.generate([scene(f"Hello {n}")])
        assert job.video_id
        ids.append(job.video_id)
    return ids


def _answers(emulator: Emulator) -> list[Any]:
    """The status of every status call the emulator answered, in order."""
    return [entry["status"] for entry in emulator.request_log if entry["endpoint"] == VIDEO.endpoint]


def _success(video_id: str) -> dict[str, Any]:
    return {"event_type": "avatar_video.success", "event_data": {"video_id": video_id}}


@pytest.fixture
async def owner(heygen_emulator: Emulator) -> AsyncIterator[hg.HeyGenClient]:
    """The tenant whose renders these are (the emulator accepts its token)."""
    async with fast_client(heygen_emulator) as client:
        yield client


@pytest.mark.parametrize("first", ["owner", "rejected"])
async def test_a_rejected_tenant_never_sees_another_tenants_result(
    heygen_emulator: Emulator, owner: hg.HeyGenClient, first: str
) -> None:
    """Both wait on the same finished renders (either one starting first): the owner gets its videos with
    their signed URLs, the rejected tenant gets 401 and nothing else."""
    rejected = owner.with_options(api_token=REJECTED)
    ids = await _videos(owner, 2)
    await heygen_emulator.advance(60)
    handles = {"owner": owner, "rejected": rejected}
    order = [first, *(name for name in handles if name != first)]
    tasks = {
        (name, video_id): asyncio.create_task(handles[name].videos.wait(video_id, timeout=10))
        for name in order
        for video_id in ids
    }
    outcomes = dict(zip(tasks, await asyncio.gather(*tasks.values(), return_exceptions=True), strict=True))
    for video_id in ids:
        video = outcomes["owner", video_id]
        assert isinstance(video, hg.Video), video
        assert video.status is hg.VideoStatus.COMPLETED
        assert video.video_url
        error = outcomes["rejected", video_id]
        assert isinstance(error, hg.AuthenticationError), error
        assert video.video_url not in f"{error!s} {error!r} {error.body}"
    assert sorted(_answers(heygen_emulator)) == [200, 200, 401, 401], "each tenant polled with its own token"


async def test_as_completed_and_wait_many_keep_tenants_apart(heygen_emulator: Emulator, owner: hg.HeyGenClient) -> None:
    """The same through ``as_completed`` (each handle's result()) and ``wait_many``: the owner's handles
    return the videos, every one of the rejected tenant's raises AuthenticationError."""
    rejected = owner.with_options(api_token=REJECTED)
    ids = await _videos(owner, 3)
    await heygen_emulator.advance(60)

    async def handles(client: hg.HeyGenClient) -> dict[str, hg.Job[hg.Video]]:
        return {handle.id: handle async for handle in client.videos.as_completed(ids, timeout=10)}

    mine, theirs = await asyncio.gather(handles(owner), handles(rejected))
    assert sorted(mine) == sorted(theirs) == sorted(ids)
    for video_id in ids:
        assert mine[video_id].result().status is hg.VideoStatus.COMPLETED
        with pytest.raises(hg.AuthenticationError):
            theirs[video_id].result()
    videos, refused = await asyncio.gather(
        owner.videos.wait_many(ids, timeout=10),
        rejected.videos.wait_many(ids, timeout=10, return_exceptions=True),
    )
    assert [video.id for video in videos] == ids
    assert all(isinstance(error, hg.AuthenticationError) for error in refused), refused
    with pytest.raises(hg.AuthenticationError):
        await rejected.videos.wait_many(ids, timeout=10)


async def test_a_webhook_fed_to_the_rejected_tenants_handle_never_gives_it_the_result(
    heygen_emulator: Emulator,
) -> None:
    """Both wait on a rendering video; the render finishes and its webhook is fed (through the rejected
    tenant's handle, the worst case): the owner's wait gets the video from its own poll, the rejected
    tenant's ended with its own 401 and never sees it."""
    async with fast_client(heygen_emulator, poll_policy=SLOW) as owner:
        rejected = owner.with_options(api_token=REJECTED)
        (video_id,) = await _videos(owner, 1)
        mine = asyncio.create_task(owner.videos.wait(video_id, timeout=10))
        theirs = asyncio.create_task(rejected.videos.wait(video_id, timeout=10))
        await polls_settled(owner)
        await heygen_emulator.advance(60)
        assert rejected.jobs.feed(_success(video_id)), "the owner's wait is still tracked, and is woken"
        video = await mine
        with pytest.raises(hg.AuthenticationError):
            await theirs
    assert video.status is hg.VideoStatus.COMPLETED
    assert sorted(_answers(heygen_emulator)) == [200, 200, 401], "two first polls (one each), then the owner's"


async def test_a_webhook_wakes_every_tenants_wait_and_each_is_answered_by_its_own_poll(
    heygen_emulator: Emulator,
) -> None:
    """Two tenants the API accepts wait on one render; one webhook, fed once, wakes both waits, and each is
    answered by a poll of its own (two polls, not one shared)."""
    async with fast_client(heygen_emulator, poll_policy=SLOW) as first:
        second = first.with_options(api_token="at_another-tenant")
        (video_id,) = await _videos(first, 1)
        waits = [asyncio.create_task(client.videos.wait(video_id, timeout=10)) for client in (first, second)]
        await polls_settled(first)
        await heygen_emulator.advance(60)
        assert first.jobs.feed(_success(video_id))
        videos = await asyncio.gather(*waits)
        assert first.jobs.scheduler.stats.polls == 4, "two first polls, then one woken poll per tenant"
    assert [video.status for video in videos] == [hg.VideoStatus.COMPLETED] * 2


async def test_handles_with_the_same_credentials_share_one_poll_stream(
    heygen_emulator: Emulator, owner: hg.HeyGenClient
) -> None:
    """Other settings, same token: one record, one poll stream, never two polls of the job in flight."""
    twin = owner.with_options(max_retries=1, timeout=30)
    (video_id,) = await _videos(owner, 1)
    await heygen_emulator.advance(60)
    videos = await asyncio.gather(owner.videos.wait(video_id, timeout=10), twin.videos.wait(video_id, timeout=10))
    assert [video.id for video in videos] == [video_id, video_id]
    assert owner.jobs.scheduler.stats.polls == 1
    assert _answers(heygen_emulator) == [200]


async def test_a_rejected_v3_key_never_sees_another_keys_renders_in_bulk_or_after_a_webhook() -> None:
    """HeyGen v3 (direct, bulk status): an accepted and a rejected key on one pool wait on the same renders,
    woken by a webhook fed through the rejected key's handle. Each key's bulk requests carry its own jobs (one
    request each for all three ids); the owner gets the renders, the rejected key its own 401s and nothing else."""
    config = EmulatorConfig(api_keys=frozenset({"owner-key"}), concurrent_jobs=10)
    poll = hg.PollPolicy(first_poll=0.01, backoff=1000.0, max_interval=60.0, jitter=0.0)
    async with running(config) as emulator:
        owner = hg.HeyGenClient.direct("owner-key", base_url=emulator.url, poll_policy=poll, poll_budget=1000)
        async with owner:
            rejected = owner.with_options(api_token="rejected-key")
            ids = [(await owner.v3.videos.create(**avatar_video(f"Render {n}"))).video_id or "" for n in range(3)]
            mine = asyncio.create_task(owner.v3.videos.wait_many(ids, timeout=10))
            theirs = asyncio.create_task(rejected.v3.videos.wait_many(ids, timeout=10, return_exceptions=True))
            await wait_until(lambda: theirs.done(), what="the rejected key's 401s")
            await polls_settled(owner)
            await emulator.advance(600)
            for video_id in ids:
                assert rejected.jobs.feed(_success(video_id)), "the owner's wait is tracked, and is woken"
            videos, refused = await asyncio.gather(mine, theirs)
    assert [video.status.value if video.status else None for video in videos] == ["completed"] * 3
    assert all(isinstance(error, hg.AuthenticationError) for error in refused), refused
    bulk = [entry for entry in emulator.request_log if entry.get("route") == "GET /v3/videos/statuses"]
    assert sorted(entry["status"] for entry in bulk) == [200, 401]
    assert all(sorted(entry["query"]["video_ids"].split(",")) == sorted(ids) for entry in bulk)
    for video in videos:
        for error in refused:
            assert (video.video_url or "?") not in f"{error!s} {error!r} {error.body}"
