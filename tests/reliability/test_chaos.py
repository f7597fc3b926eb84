"""Chaos: a fifth of the emulator's answers go wrong, of every kind, while many tasks call at once.

Every idempotent call either succeeds or raises a typed :class:`~heygen_async.HeyGenError` once the policy's
attempts (or the call's time budget) are spent, and none outlives its deadline. Every ``videos.generate``
either returns a video id or is reported as failed or ambiguous, and the emulator's count of created videos
matches that report exactly: no create is ever retried into a duplicate, and a failure that is not ambiguous
created nothing.

The observed counts are printed (``pytest -s``) and attached as ``record_property`` entries, for the README's
table. Runs are repeatable: the fault sequence is seeded (the interleaving of 100 tasks still varies a little).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Final

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, Faults, ScaledClock

RATE: Final = 0.2
LATENCY_SCALE: Final = 0.3
"""The 0-2 s of latency a ``slow`` answer adds, scaled to 0-0.6 s so the suite stays fast."""
CHAOS: Final = Faults(rate=RATE, retry_after=0.0, max_latency=2.0 * LATENCY_SCALE, seed=10)
"""Every fault kind, equally likely (500, 502, 503, 429 in three forms, html, drop, lost, truncate, slow).
``Retry-After: 0`` keeps 429s honoured but instant."""
RETRY: Final = hg.RetryPolicy(attempts=3, wait_initial=0.001, wait_max=0.01, wait_jitter=0.002, retry_after_max=1.0)
TOTAL: Final = 1.5
TIMEOUT: Final = hg.Timeout(total=TOTAL, attempt=0.5, connect=0.5)
"""Each attempt may take 0.5 s (so the slowest ``slow`` answers time out), the whole call 1.5 s."""
SLACK: Final = 0.5
"""How far past its total timeout a call may end: event-loop lag with 100 tasks and the server on one loop."""
TASKS: Final = 100
IDEMPOTENT_CALLS: Final = 2000
GENERATE_CALLS: Final = 500
BATCH_INPUTS: Final = 500

AVATAR: Final[dict[str, Any]] = {"type": "avatar", "avatar_id": "Angela-inTshirt-20220820"}
VOICE_ID: Final = "1bd001e7e50f421d891986aad5158bc8"


def scene(text: str = "Hello from the chaos test") -> dict[str, Any]:
    return {"character": AVATAR, "voice": {"type": "text", "voice_id": VOICE_ID, "input_text": text}}


def report(record_property: Callable[[str, object], None], name: str, counts: dict[str, Any]) -> None:
    """Print the counts (``pytest -s``) and attach them to the test's report (junit XML)."""
    print(f"\n[chaos] {name}: " + ", ".join(f"{key}={value}" for key, value in counts.items()))
    for key, value in counts.items():
        record_property(f"{name}.{key}", value)


async def run_workers(count: int, tasks: int, work: Callable[[int], Awaitable[None]]) -> None:
    """Run ``work(0..count-1)`` from ``tasks`` concurrent workers."""
    indices = iter(range(count))

    async def worker() -> None:
        for index in indices:  # shared: each index is taken by exactly one worker
            await work(index)

    await asyncio.gather(*(worker() for _ in range(tasks)))


def faults_seen(emulator: Emulator) -> dict[str, int]:
    return dict(sorted(emulator.stats()["faults"].items()))


async def test_2000_idempotent_calls_from_100_tasks_succeed_or_fail_typed_within_their_deadline(
    heygen_emulator: Emulator, record_property: Callable[[str, object], None]
) -> None:
    emulator = heygen_emulator
    async with emulator.client() as setup:
        video_ids = [(await setup.videos.generate([scene()])).video_id for _ in range(10)]
    assert all(isinstance(v, str) for v in video_ids)
    emulator.set_faults(CHAOS)

    async with emulator.client(retry=RETRY, timeout=TIMEOUT) as client:
        calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("avatars.list", client.avatars.list),
            ("user.me", client.user.me),
            *(("videos.status", lambda v=v: client.videos.status(str(v))) for v in video_ids),
        ]
        outcomes: list[str | None] = [None] * IDEMPOTENT_CALLS
        errors: list[hg.HeyGenError] = []
        durations: list[float] = [0.0] * IDEMPOTENT_CALLS

        async def work(index: int) -> None:
            name, call = calls[index % len(calls)]
            started = time.monotonic()
            try:
                result = await call()
            except hg.HeyGenError as exc:  # anything else escapes and fails the test: errors are typed
                outcomes[index] = type(exc).__name__
                errors.append(exc)
            else:
                assert result is not None, name
                outcomes[index] = "ok"
            durations[index] = time.monotonic() - started

        started = time.monotonic()
        await run_workers(IDEMPOTENT_CALLS, TASKS, work)
        elapsed = time.monotonic() - started
        pool = client.stats

    assert None not in outcomes  # every call ended
    assert max(durations) <= TOTAL + SLACK, f"a call took {max(durations):.2f} s"
    for error in errors:
        assert isinstance(error, hg.APIError), repr(error)
        # Given up only once the attempts are spent, or when the time budget ran out first.
        assert error.attempts == RETRY.attempts or isinstance(error, hg.APITimeoutError), repr(error)
        assert 1 <= error.attempts <= RETRY.attempts
    faults = faults_seen(emulator)
    requests = emulator.stats()["requests"]
    fault_share = sum(faults.values()) / requests
    assert 0.15 <= fault_share <= 0.25, faults  # the chaos really was about a fifth of the answers
    assert {"500", "502", "503", "429", "429-date", "429-body", "html", "drop", "lost", "truncate", "slow"} <= set(
        faults
    )
    tally = Counter(outcomes)
    assert tally["ok"] >= 0.9 * IDEMPOTENT_CALLS  # three attempts at a 20 % fault rate: ~99 % get through
    report(
        record_property,
        "idempotent",
        {
            "calls": IDEMPOTENT_CALLS,
            "tasks": TASKS,
            **{f"outcome[{k}]": v for k, v in sorted(tally.items())},
            "requests": requests,
            "retries": pool.retries,
            "faulty_answers": sum(faults.values()),
            "max_call_s": round(max(durations), 3),
            "elapsed_s": round(elapsed, 2),
            **{f"fault[{k}]": v for k, v in faults.items()},
        },
    )


def created_by_title(emulator: Emulator) -> Counter[str]:
    return Counter(video.title for video in emulator.account.videos.values())


async def settle(emulator: Emulator) -> None:
    """Let answers the client gave up on (a ``slow`` one past its attempt timeout) finish their work."""
    await asyncio.sleep(CHAOS.max_latency + 0.1)
    emulator.timeline.run_due()


async def test_500_generates_never_duplicate_and_every_missing_id_is_reported(
    heygen_emulator: Emulator, record_property: Callable[[str, object], None]
) -> None:
    emulator = heygen_emulator
    emulator.set_faults(CHAOS)
    ids: dict[int, str] = {}
    errors: dict[int, hg.HeyGenError] = {}
    durations: list[float] = [0.0] * GENERATE_CALLS

    async with emulator.client(retry=RETRY, timeout=TIMEOUT) as client:

        async def work(index: int) -> None:
            started = time.monotonic()
            try:
                job = await client.videos.generate([scene()], title=f"call-{index}", test=True)
            except hg.HeyGenError as exc:
                errors[index] = exc
            else:
                assert isinstance(job.video_id, str), job  # an answer without an id would be its own defect
                ids[index] = job.video_id
            durations[index] = time.monotonic() - started

        await run_workers(GENERATE_CALLS, TASKS, work)
    await settle(emulator)

    assert len(ids) + len(errors) == GENERATE_CALLS
    assert max(durations) <= TOTAL + SLACK
    created = created_by_title(emulator)
    videos = emulator.account.videos
    assert emulator.stats()["videos_created"] == len(videos)
    # No call created more than one video, and nothing was created that no call asked for.
    assert max(created.values()) == 1
    assert set(created) <= {f"call-{i}" for i in range(GENERATE_CALLS)}
    for index, video_id in ids.items():
        assert videos[video_id].title == f"call-{index}"
    ambiguous = {i: e for i, e in errors.items() if isinstance(e, hg.APIConnectionError) and e.maybe_processed}
    failed = {i: e for i, e in errors.items() if i not in ambiguous}
    for index, error in failed.items():
        assert created[f"call-{index}"] == 0, f"call {index} created a video yet failed unambiguously: {error!r}"
    ambiguous_created = sum(created[f"call-{i}"] for i in ambiguous)
    assert len(videos) == len(ids) + ambiguous_created
    assert len(videos) <= GENERATE_CALLS
    # The faults that strike after processing ('lost', 'truncate') cannot have gone unreported.
    after = sum(n for kind, n in faults_seen(emulator).items() if kind in ("lost", "truncate"))
    assert ambiguous_created >= after > 0
    report(
        record_property,
        "generate",
        {
            "calls": GENERATE_CALLS,
            "tasks": TASKS,
            "returned_id": len(ids),
            "failed": len(failed),
            "ambiguous": len(ambiguous),
            "ambiguous_created": ambiguous_created,
            "videos_created": len(videos),
            "failed_by_type": dict(Counter(type(e).__name__ for e in failed.values())),
            **{f"fault[{k}]": v for k, v in faults_seen(emulator).items()},
        },
    )


async def test_a_batch_of_500_under_chaos_accounts_for_every_input(
    record_property: Callable[[str, object], None],
) -> None:
    config = EmulatorConfig(concurrent_renders=BATCH_INPUTS, pending_seconds=1.0, render_seconds=10.0)
    poll = hg.PollPolicy(first_poll=0.02, max_interval=0.05, jitter=0.1, retry_after_floor=0.0, retry_after_ceiling=0.1)
    async with (
        Emulator(config, clock=ScaledClock(500), faults=CHAOS) as emulator,
        emulator.client(retry=RETRY, timeout=TIMEOUT, poll_policy=poll, poll_budget=1000) as client,
    ):
        requests = [{"video_inputs": [scene()], "title": f"input-{i}", "test": True} for i in range(BATCH_INPUTS)]
        started = time.monotonic()
        items = [item async for item in client.videos.generate_many(requests, concurrency=TASKS, timeout=25)]
        elapsed = time.monotonic() - started
        await settle(emulator)
        summary = hg.BatchSummary.of(items)
        created = created_by_title(emulator)
        videos = emulator.account.videos
        faults = faults_seen(emulator)

    assert sorted(item.index for item in items) == list(range(BATCH_INPUTS))  # each input exactly once
    assert summary.total == BATCH_INPUTS
    assert (
        summary.succeeded + summary.failed + summary.ambiguous + summary.timed_out + summary.not_submitted
        == BATCH_INPUTS
    )
    assert max(created.values()) == 1
    with_id = [item for item in items if item.job_id is not None]
    for item in with_id:
        assert videos[item.job_id].title == f"input-{item.index}"  # type: ignore[index]
    for item in items:
        if item.job_id is None and not item.ambiguous:
            assert created[f"input-{item.index}"] == 0, f"input {item.index} created a video: {item.error!r}"
        if item.ok:
            assert isinstance(item.result, hg.Video)
            assert item.result.status == "completed"
    ambiguous_created = sum(created[f"input-{item.index}"] for item in items if item.ambiguous)
    assert len(videos) == len(with_id) + ambiguous_created
    assert summary.timed_out == summary.not_submitted == 0  # 25 s is ample: every job ended
    report(
        record_property,
        "batch",
        {
            "inputs": BATCH_INPUTS,
            "concurrency": TASKS,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
            "ambiguous": summary.ambiguous,
            "ambiguous_created": ambiguous_created,
            "failed_by_type": dict(Counter(type(i.error).__name__ for i in items if i.error and not i.ambiguous)),
            "failed_with_job_id": sum(1 for i in items if i.error and i.job_id),
            "timed_out": summary.timed_out,
            "not_submitted": summary.not_submitted,
            "videos_created": len(videos),
            "elapsed_s": round(elapsed, 2),
            **{f"fault[{k}]": v for k, v in faults.items()},
        },
    )


@pytest.mark.parametrize("kind", ["lost", "truncate", "drop", "slow"])
async def test_a_create_whose_answer_goes_astray_is_ambiguous_and_not_retried(
    heygen_emulator: Emulator, kind: str
) -> None:
    """The single-fault version of the accounting above: one request, no second video."""
    emulator = heygen_emulator
    emulator.inject(kind, endpoint="videos.generate")
    emulator.app.faults.latency = lambda: 0.7  # type: ignore[method-assign]  # past the 0.5 s attempt timeout
    async with emulator.client(retry=RETRY, timeout=TIMEOUT) as client:
        with pytest.raises(hg.APIConnectionError) as caught:
            await client.videos.generate([scene()], title="one")
    await asyncio.sleep(0.3)
    assert caught.value.maybe_processed
    assert caught.value.attempts == 1
    assert emulator.stats()["requests_by_route"] == {"POST /v2/video/generate [gateway new]": 1}
    created = emulator.stats()["videos_created"]
    if kind == "slow":
        # The emulator sleeps before it reads the body; a client that gave up meanwhile takes the body with it.
        assert created <= 1
    else:
        assert created == (0 if kind == "drop" else 1)
