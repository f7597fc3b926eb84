"""Chaos for v3 creates: 500 ``client.v3.videos.create`` calls from 100 tasks while a fifth of the emulator's
answers go wrong, of every kind, including answers lost after the render was made.

Every create carries an Idempotency-Key, so a create whose outcome is unknown is simply sent again with it: the
emulator replays the first answer. Expected: every call ends with a video id (none ambiguous, none failed),
the renders the emulator made are exactly the ids returned, and no call made two.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Final

import heygen_async as hg
from heygen_async.emulator import EmulatorConfig, Faults
from tests.support import LOOK_ID, SARA, running, ticking

CALLS: Final = 500
TASKS: Final = 100
CHAOS: Final = Faults(rate=0.2, retry_after=0.0, max_latency=0.6, seed=18)
"""Every fault kind, equally likely: 500, 502, 503, three 429s, html, drop, slow, and after processing lost and
truncate."""
RETRY: Final = hg.RetryPolicy(attempts=3, wait_initial=0.001, wait_max=0.01, wait_jitter=0.002, retry_after_max=1.0)
TIMEOUT: Final = hg.Timeout(total=3.0, attempt=0.5, connect=0.5)
ROUNDS: Final = 10
"""How often a caller sends a create again with its key after the client's own retries gave up on it."""


async def create(client: hg.HeyGenClient, index: int, failures: list[tuple[str, hg.APIError]]) -> str:
    """One create, sent again with the same key while its outcome is unknown (what a careful caller does);
    each failure is kept with the key it was sent with."""
    key = f"chaos-{index}"
    error: hg.APIError | None = None
    for _ in range(ROUNDS):
        try:
            made = await client.v3.videos.create(
                type="avatar",
                avatar_id=LOOK_ID,
                script="Hello",
                voice_id=SARA,
                title=f"call-{index}",
                idempotency_key=key,
            )
        except hg.APIError as exc:
            failures.append((key, exc))
            error = exc
            continue
        assert made.video_id
        return made.video_id
    raise AssertionError(f"call {index} never got its answer: {error!r}")


async def test_500_v3_creates_under_chaos_make_exactly_the_renders_whose_ids_came_back(
    record_property: Callable[[str, object], None],
) -> None:
    ids: dict[int, str] = {}
    failures: list[tuple[str, hg.APIError]] = []
    async with running(EmulatorConfig(concurrent_jobs=10_000)) as emulator:
        emulator.set_faults(CHAOS)
        async with emulator.direct_client(retry=RETRY, timeout=TIMEOUT) as client:
            indices = iter(range(CALLS))

            async def worker() -> None:
                for index in indices:
                    ids[index] = await create(client, index, failures)

            await asyncio.gather(*(worker() for _ in range(TASKS)))
        emulator.set_faults(Faults(rate=0.0))
        v3 = emulator.stats()["v3"]
        faults = dict(emulator.stats()["faults"])
        made = {video.id: video.title for video in emulator.app.v3.state.videos.values()}
    titles = Counter(made.values())
    assert all(error.idempotency_key == key for key, error in failures)  # each names the key to resend with
    assert len(ids) == CALLS  # none failed, none ambiguous
    assert len(set(ids.values())) == CALLS  # none twice
    assert v3["videos_created"] == CALLS  # the renders made are exactly the ids returned ...
    assert set(made) == set(ids.values())
    assert max(titles.values()) == 1  # ... and no call made two
    assert all(made[video_id] == f"call-{index}" for index, video_id in ids.items())
    assert faults.get("lost", 0) + faults.get("truncate", 0) > 0  # answers were lost after processing
    assert v3["idempotent_replays"] > 0  # ... and their creates were answered by a replay
    report = {
        "calls": CALLS,
        "ids": len(ids),
        "videos_created": v3["videos_created"],
        "replays": v3["idempotent_replays"],
        "sent_again_by_the_caller": len(failures),
        "in_progress_409": v3["in_progress_conflicts"],
        **{f"fault[{k}]": n for k, n in sorted(faults.items())},
    }
    print("\n[v3 chaos] " + ", ".join(f"{k}={v}" for k, v in report.items()))
    for key, value in report.items():
        record_property(f"v3_create.{key}", value)


async def test_a_batch_of_v3_creates_under_chaos_has_no_ambiguous_item() -> None:
    requests = [
        {"type": "avatar", "avatar_id": LOOK_ID, "script": "Hi", "voice_id": SARA, "title": f"item-{i}"}
        for i in range(100)
    ]
    poll = hg.PollPolicy(first_poll=1.0, max_interval=2.0, jitter=0.0)
    async with running(EmulatorConfig(concurrent_jobs=10_000)) as emulator:
        emulator.set_faults(
            Faults(rate=0.2, retry_after=0.0, max_latency=0.6, seed=19, endpoints=frozenset({"POST /v3/videos"}))
        )
        async with (
            emulator.direct_client(retry=RETRY, timeout=TIMEOUT, poll_policy=poll, poll_budget=1000) as client,
            ticking(emulator, step=5.0),
        ):
            items = [item async for item in client.v3.videos.create_many(requests, concurrency=50, timeout=120)]
        made = {video.id: video.title for video in emulator.app.v3.state.videos.values()}
        faults = dict(emulator.stats()["faults"])
    summary = hg.BatchSummary.of(items)
    assert summary.total == 100
    assert summary.ambiguous == 0
    assert summary.succeeded == 100
    assert sorted(str(title) for title in made.values()) == sorted(f"item-{i}" for i in range(100))  # one each
    assert {item.job_id for item in items} == set(made)
    assert faults.get("lost", 0) + faults.get("truncate", 0) > 0
