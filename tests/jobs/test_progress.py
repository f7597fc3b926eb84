"""JobProgress: counts of many jobs by state (done, failed, timed out, running) and each job's last status, kept
up to date by as_completed(on_progress=...) or by hand."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator
from tests.support import submit_videos, wait_until

Snapshot = tuple[int, int, int, int, dict[str, str | None], dict[str, str]]


def _snapshot(progress: hg.JobProgress) -> Snapshot:
    return (
        progress.done,
        progress.failed,
        progress.timed_out,
        progress.running,
        dict(progress.statuses),
        dict(progress.states),
    )


async def test_as_completed_reports_every_state_and_each_jobs_last_status(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """Done, failed, timed out and running always add up to the total; a job is counted done or failed as soon
    as a finished status is seen (never "running" with status completed), and a job still running at the
    deadline is timed out, not failed."""
    ids = await submit_videos(fast, "one", "two #fail", "three", "queued")  # the plan renders 3 at once
    snapshots: list[Snapshot] = []
    yielded: list[str] = []

    async def collect() -> None:
        on_progress = lambda progress: snapshots.append(_snapshot(progress))  # noqa: E731
        async for handle in fast.videos.as_completed(ids, timeout=1.0, on_progress=on_progress):
            yielded.append(handle.id)

    task = asyncio.create_task(collect())
    await wait_until(lambda: any(set(s[4].values()) == {"pending", "waiting"} for s in snapshots), what="statuses")
    await heygen_emulator.advance(40)  # three renders end; the queued one starts and is processing
    await asyncio.wait_for(task, 10)

    assert sorted(yielded) == sorted(ids)
    assert snapshots[0][:4] == (0, 0, 0, 4)  # told at the start, before any status came back
    for done, failed, timed_out, running, statuses, states in snapshots:
        assert done + failed + timed_out + running == 4
        for job_id, status in statuses.items():
            if status == "completed":
                assert states[job_id] == "done"
            elif status == "failed":
                assert states[job_id] == "failed"
    done, failed, timed_out, running, statuses, states = snapshots[-1]
    assert (done, failed, timed_out, running) == (2, 1, 1, 0)
    assert statuses[ids[1]] == "failed"
    assert states[ids[3]] == "timed_out"
    assert statuses[ids[3]] == "processing"  # the last status seen, kept for the timed-out job


async def test_a_progress_string_reads_as_counts_with_the_running_statuses(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    ids = await submit_videos(fast, "one", "two #fail", "three")
    handles = [fast.videos.job(video_id) for video_id in ids]
    progress = hg.JobProgress(handles)
    assert str(progress) == "3 running (no status yet 3)"
    assert repr(progress) == "<JobProgress total=3 done=0 failed=0 timed_out=0 running=3>"
    watches = [asyncio.create_task(_last(handle)) for handle in handles]
    await wait_until(lambda: all(handle.status is not None for handle in handles), what="first statuses")
    for handle in handles:
        progress.update(handle)
    assert str(progress) == "3 running (status pending 3)"
    await heygen_emulator.advance(40)
    await asyncio.gather(*watches)
    for handle in handles:
        progress.ended(handle)
    assert str(progress) == "2 done, 1 failed"
    assert progress.status_counts("done") == {"completed": 2}


async def _last(handle: hg.Job[Any]) -> None:
    async for _ in handle.watch(timeout=10):
        pass


async def test_a_caller_that_stops_early_leaves_the_rest_running_not_timed_out(
    heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """Breaking out of as_completed (or being cancelled) is not a deadline: the jobs go on at HeyGen and the
    progress says they are running; nothing stays tracked."""
    ids = await submit_videos(fast, "one", "two")
    seen: list[hg.JobProgress] = []
    await heygen_emulator.advance(40)
    handles = fast.videos.as_completed([*ids, *await submit_videos(fast, "late")], on_progress=seen.append)
    async with contextlib.aclosing(handles):
        async for _handle in handles:
            break
    progress = seen[-1]
    assert progress.timed_out == 0
    assert progress.done + progress.running == 3
    assert progress.running >= 1
    await wait_until(lambda: not fast.jobs.scheduler._jobs, what="nothing tracked")


async def test_an_on_progress_that_raises_ends_the_iteration_with_its_error(fast: hg.HeyGenClient) -> None:
    ids = await submit_videos(fast, "one")

    def broken(progress: hg.JobProgress) -> None:
        raise RuntimeError("the dashboard is down")

    with pytest.raises(RuntimeError, match="the dashboard is down"):
        async for _ in fast.videos.as_completed(ids, on_progress=broken):
            pass
    await wait_until(lambda: not fast.jobs.scheduler._jobs, what="nothing tracked")
