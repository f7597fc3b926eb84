"""Many jobs at once: as_completed, wait_many, and generate_many's bounded, lossless batches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator
from tests.support import fast_client, scene, submit_videos, ticking, wait_until


async def test_as_completed_yields_every_handle_as_it_finishes(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """Every handle comes back once, the queued render last; result() returns the Video or raises."""
    ids = await submit_videos(fast, "one", "two #fail", "three", "queued")  # the plan renders 3 at once
    yielded: list[hg.Job[hg.Video]] = []

    async def collect() -> None:
        async for handle in fast.videos.as_completed(ids, timeout=5):
            yielded.append(handle)

    task = asyncio.create_task(collect())
    await heygen_emulator.advance(40)
    await wait_until(lambda: len(yielded) == 3, what="the first three renders")
    await heygen_emulator.advance(40)
    await asyncio.wait_for(task, 2)
    assert sorted(h.id for h in yielded) == sorted(ids)
    assert yielded[-1].id == ids[3]
    outcomes: dict[str, Any] = {}
    for handle in yielded:
        try:
            outcomes[handle.id] = handle.result().status
        except hg.VideoFailed as exc:
            outcomes[handle.id] = exc
    assert isinstance(outcomes.pop(ids[1]), hg.VideoFailed)
    assert set(outcomes.values()) == {hg.VideoStatus.COMPLETED}


async def test_as_completed_yields_the_unfinished_at_its_deadline(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """At the deadline the handles still running are yielded; their result() raises PollTimeout."""
    ids = await submit_videos(fast, "one", "two", "three", "queued")
    await heygen_emulator.advance(40)  # the first three finish; the queued one is processing
    yielded = [handle async for handle in fast.videos.as_completed(ids, timeout=0.25)]
    assert {h.id for h in yielded[:3]} == set(ids[:3])
    assert [h.done for h in yielded] == [True, True, True, False]
    late = yielded[3]
    assert late.id == ids[3]
    with pytest.raises(hg.PollTimeout) as caught:
        late.result()
    assert caught.value.last_status == "processing"
    assert hg.Job.resume(fast, caught.value.resume_token).id == ids[3]


async def test_wait_many_keeps_input_order(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """Results come back in the order given, not the order the renders finished."""
    first, second, third, queued = await submit_videos(fast, "one", "two", "three", "queued")
    order = [queued, third, first, second]
    task = asyncio.create_task(fast.videos.wait_many(order, timeout=5))
    await heygen_emulator.advance(40)
    await asyncio.sleep(0.1)
    await heygen_emulator.advance(40)
    videos = await asyncio.wait_for(task, 2)
    assert [v.id for v in videos] == order
    assert {v.status for v in videos} == {hg.VideoStatus.COMPLETED}


async def test_wait_many_return_exceptions_puts_failures_in_place(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """With return_exceptions=True a failed render's VideoFailed takes its place in the list."""
    ids = await submit_videos(fast, "one", "two #fail", "three")
    task = asyncio.create_task(fast.videos.wait_many(ids, timeout=5, return_exceptions=True))
    await heygen_emulator.advance(40)
    ok, failed, also_ok = await asyncio.wait_for(task, 2)
    assert isinstance(ok, hg.Video)
    assert ok.id == ids[0]
    assert isinstance(failed, hg.VideoFailed)
    assert failed.job_id == ids[1]
    assert isinstance(also_ok, hg.Video)
    assert also_ok.id == ids[2]


async def test_wait_many_raises_the_first_failure(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """Without return_exceptions a failure is raised."""
    ids = await submit_videos(fast, "one", "two #fail")
    task = asyncio.create_task(fast.videos.wait_many(ids, timeout=5))
    await heygen_emulator.advance(40)
    with pytest.raises(hg.VideoFailed) as caught:
        await asyncio.wait_for(task, 2)
    assert caught.value.job_id == ids[1]


async def test_wait_many_mixes_kinds_through_client_jobs(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """client.jobs handles of different kinds share one wait_many."""
    (video_id,) = await submit_videos(fast, "one")
    translation = await fast.translations.create("https://media.example/source.mp4", output_language="French")
    assert translation.video_translate_id
    handles = [fast.jobs.job("translation", translation.video_translate_id), fast.jobs.job("video", video_id)]
    task = asyncio.create_task(fast.jobs.wait_many(handles, timeout=5))
    await heygen_emulator.advance(100)
    done_translation, video = await asyncio.wait_for(task, 2)
    assert isinstance(done_translation, hg.Translation)
    assert done_translation.status is hg.TranslationStatus.SUCCESS
    assert isinstance(video, hg.Video)
    assert video.id == video_id


async def test_jobs_job_refuses_an_unknown_kind(fast: hg.HeyGenClient) -> None:
    """client.jobs.job() names the kinds it knows."""
    with pytest.raises(hg.ValidationError, match="photo_generation"):
        fast.jobs.job("hologram", "abc")


async def test_generate_many_accounts_for_every_input(heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """Success, a failed render, a refused submission and an ambiguous one: each input yielded once, counted."""
    requests: list[Mapping[str, Any]] = [
        {"video_inputs": [scene("lost answer")]},
        {"video_inputs": [scene("fine")]},
        {"video_inputs": [scene("broken #fail")]},
        {"video_inputs": [scene("odd size")], "dimension": {"width": 1281, "height": 720}},
        {"video_inputs": [scene("also fine")]},
    ]
    heygen_emulator.inject("lost", endpoint="videos.generate")  # the first submission's answer never arrives
    async with ticking(heygen_emulator, step=8):
        items = [item async for item in fast.videos.generate_many(requests, concurrency=2, timeout=5)]
    by_index = {item.index: item for item in items}
    assert sorted(by_index) == [0, 1, 2, 3, 4]
    assert [by_index[i].input for i in range(5)] == requests
    lost, fine, broken, refused, also_fine = (by_index[i] for i in range(5))
    assert lost.ambiguous
    assert isinstance(lost.error, hg.APIConnectionError)
    assert lost.job_id is None
    for item in (fine, also_fine):
        assert item.ok
        assert isinstance(item.result, hg.Video)
        assert item.result.status is hg.VideoStatus.COMPLETED
        assert item.result.id == item.job_id
    assert isinstance(broken.error, hg.VideoFailed)
    assert broken.job_id == broken.error.job_id
    assert isinstance(refused.error, hg.ValidationError)
    assert not refused.ambiguous
    assert refused.job_id is None
    summary = hg.BatchSummary.of(items)
    assert (summary.total, summary.succeeded, summary.failed, summary.ambiguous) == (5, 2, 2, 1)
    assert (summary.timed_out, summary.not_submitted) == (0, 0)
    assert heygen_emulator.stats()["videos_created"] == 4  # the lost submission did create a render


async def test_generate_many_keeps_at_most_concurrency_unfinished(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """At no point does the account hold more unfinished renders than ``concurrency``."""
    account = heygen_emulator.account
    peaks: list[int] = []

    def unfinished() -> None:
        peaks.append(sum(1 for v in account.videos.values() if v.status not in ("completed", "failed")))

    requests = [{"video_inputs": [scene(f"video {n}")]} for n in range(6)]
    done = []
    async with ticking(heygen_emulator, step=4, on_tick=unfinished):
        async for item in fast.videos.generate_many(requests, concurrency=2, timeout=5):
            unfinished()
            done.append(item)
    assert len(account.videos) == 6
    assert all(item.ok for item in done)
    assert max(peaks) == 2


async def test_batch_refuses_a_bad_concurrency(fast: hg.HeyGenClient) -> None:
    """concurrency must be a whole number >= 1."""
    with pytest.raises(hg.ValidationError, match="concurrency"):
        async for _ in fast.videos.generate_many([{"video_inputs": [scene()]}], concurrency=0):
            pass


async def test_generate_many_accounts_for_unsubmitted_inputs_at_its_deadline(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """At the deadline every input is still yielded: the running ones with PollTimeout, the rest unsubmitted."""
    requests = [{"video_inputs": [scene(f"video {n}")]} for n in range(5)]
    items = [item async for item in fast.videos.generate_many(requests, concurrency=2, timeout=0.2)]
    assert sorted(item.index for item in items) == [0, 1, 2, 3, 4]
    summary = hg.BatchSummary.of(items)
    assert (summary.total, summary.timed_out, summary.not_submitted) == (5, 2, 3)
    unsent = sorted((item for item in items if item.job_id is None), key=lambda item: item.index)
    assert [item.index for item in unsent] == [2, 3, 4]
    for item in unsent:
        assert isinstance(item.error, hg.NotSubmitted)
        assert item.error.index == item.index
        assert "not submitted" in str(item.error)
    assert heygen_emulator.stats()["videos_created"] == 2  # nothing is submitted after the deadline


async def test_generate_many_deadline_yields_running_jobs_with_poll_timeout(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """The jobs still running at the deadline come back with PollTimeout and their ids; the renders go on."""
    requests = [{"video_inputs": [scene(f"video {n}")]} for n in range(2)]
    items = [item async for item in fast.videos.generate_many(requests, concurrency=2, timeout=0.2)]
    assert sorted(item.index for item in items) == [0, 1]
    for item in items:
        assert isinstance(item.error, hg.PollTimeout)
        assert item.error.last_status == "pending"
        assert item.job_id in heygen_emulator.account.videos
    await heygen_emulator.advance(60)
    assert {v.status for v in heygen_emulator.account.videos.values()} == {"completed"}


async def test_wait_many_raises_a_failure_without_waiting_for_the_rest(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """Like asyncio.gather: a failure is raised as soon as it is seen, while other jobs still run."""
    failing, _, _, queued = await submit_videos(fast, "one #fail", "two", "three", "queued")
    task = asyncio.create_task(fast.videos.wait_many([queued, failing], timeout=1))
    await heygen_emulator.advance(40)  # `failing` has failed; `queued` is still processing
    with pytest.raises(hg.VideoFailed):
        await asyncio.wait_for(task, 0.3)


async def test_wait_many_at_its_deadline_raises_poll_timeout_for_the_first_unfinished(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """Without return_exceptions, a deadline is a PollTimeout naming the first job (in input order) still running."""
    first, second = await submit_videos(fast, "one", "two")
    with pytest.raises(hg.PollTimeout) as caught:
        await fast.videos.wait_many([second, first], timeout=0.2)
    assert caught.value.job_id == second
    assert heygen_emulator.account.videos[second].status != "completed"


async def test_as_completed_yields_a_repeated_id_once_per_handle(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """The same id given twice is polled once but yielded twice, once per handle."""
    video_id, other = await submit_videos(fast, "one", "two")
    task = asyncio.create_task(_collect(fast.videos.as_completed([video_id, other, video_id], timeout=5)))
    await asyncio.sleep(0.05)
    assert fast.jobs.scheduler.tracked() == 2
    await heygen_emulator.advance(60)
    handles = await asyncio.wait_for(task, 2)
    assert sorted(handle.id for handle in handles) == sorted([video_id, other, video_id])
    assert all(handle.result().status is hg.VideoStatus.COMPLETED for handle in handles)


async def _collect(handles: AsyncIterator[hg.Job[hg.Video]]) -> list[hg.Job[hg.Video]]:
    return [handle async for handle in handles]


async def test_cleanup_after_the_client_closed_does_not_raise(heygen_emulator: Emulator) -> None:
    """Closing the client answers open iterations with ClientClosedError; finishing them afterwards is quiet."""
    client = fast_client(heygen_emulator)
    async with client:
        (video_id,) = await submit_videos(client, "one")
        iteration = client.videos.as_completed([video_id])
        pending = asyncio.ensure_future(iteration.__anext__())
        await asyncio.sleep(0.05)
    handle = await asyncio.wait_for(pending, 2)
    with pytest.raises(hg.ClientClosedError):
        handle.result()
    await iteration.aclose()  # releases the handles of a closed client: no error


async def test_generate_many_reports_an_answer_without_a_video_id_as_ambiguous(
    fast: hg.HeyGenClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HeyGen answered, but with no id: a render may exist, so the item is ambiguous (never resubmitted)."""
    calls: list[Mapping[str, Any]] = []

    async def no_id(route: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return {}  # a success without video_id

    monkeypatch.setattr(fast._transport, "call", no_id)
    items = [item async for item in fast.videos.generate_many([{"video_inputs": [scene()]}], timeout=5)]
    (item,) = items
    assert item.ambiguous
    assert not item.ok
    assert len(calls) == 1
    assert hg.BatchSummary.of(items).ambiguous == 1


@pytest.mark.parametrize(("fault", "ambiguous"), [("500", True), ("502", True), ("429", False), ("503", False)])
async def test_generate_many_reports_a_create_that_may_have_been_processed_as_ambiguous(
    heygen_emulator: Emulator, fault: str, ambiguous: bool
) -> None:
    """A 500/502 may come after HeyGen took the job (a gateway failing late): ambiguous, never resubmitted;
    a 429 or 503 is a refusal before processing: a plain failure, safe to submit again."""
    retry = hg.RetryPolicy(attempts=1, wait_initial=0, wait_jitter=0)
    async with fast_client(heygen_emulator, retry=retry) as client:
        heygen_emulator.inject(fault, endpoint="videos.generate")
        items = [item async for item in client.videos.generate_many([{"video_inputs": [scene()]}], timeout=5)]
    (item,) = items
    assert not item.ok
    assert item.ambiguous is ambiguous


def test_what_may_have_been_processed_is_one_rule_for_retries_and_batches() -> None:
    from heygen_async._transport._call import may_have_been_processed

    def status(code: int) -> hg.APIStatusError:
        return hg.APIStatusError("x", endpoint="POST /v2/video/generate", status_code=code)

    assert [
        code
        for code in (400, 404, 408, 429, 500, 501, 502, 503, 504, 505, 520)
        if may_have_been_processed(status(code))
    ] == [
        408,
        500,
        502,
        504,
        520,
    ]
    garbled = hg.APIResponseError("garbled 200", endpoint="POST /v2/video/generate", status_code=200, body="<")
    assert may_have_been_processed(garbled)
    assert not may_have_been_processed(hg.ValidationError("bad"))
    assert may_have_been_processed(hg.APIConnectionError("lost", endpoint="x", maybe_processed=True))
    assert not may_have_been_processed(hg.APIConnectionError("refused", endpoint="x", maybe_processed=False))
