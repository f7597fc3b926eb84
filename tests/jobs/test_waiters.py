"""Every job kind against the emulator: success, failure, deadline, unknown status, cancellation, resume, 429s."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import uuid
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator, Faults
from tests.support import KIND_CASES, SETTLE, Kind, fast_client, requests_to, wait_until

pytestmark = pytest.mark.parametrize("kind", KIND_CASES, ids=str)


async def test_success_returns_the_typed_result(kind: Kind, heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """The waiter returns the kind's model with its success status."""
    job_id = await kind.create(fast, False)
    task = asyncio.create_task(kind.wait(fast, job_id))
    await wait_until(lambda: requests_to(heygen_emulator, kind.endpoint) > 0, what="a first poll")
    await heygen_emulator.advance(SETTLE)
    result = await asyncio.wait_for(task, 2)
    assert isinstance(result, kind.result)
    assert result.status == kind.success


async def test_failure_raises_the_kinds_error(kind: Kind, heygen_emulator: Emulator, fast: hg.HeyGenClient) -> None:
    """A failed job raises the kind's JobFailed subclass with the final model, HeyGen's reason and a token."""
    job_id = await kind.create(fast, True)
    task = asyncio.create_task(kind.wait(fast, job_id))
    await heygen_emulator.advance(SETTLE)
    with pytest.raises(kind.error) as caught:
        await asyncio.wait_for(task, 2)
    error = caught.value
    assert isinstance(error.result, kind.result)
    assert error.result.status == "failed"
    assert (error.kind, error.job_id) == (kind.name, job_id)
    if kind.reason is None:
        assert error.reason is None
    else:
        assert error.reason is not None
        assert kind.reason in error.reason
        assert kind.reason in str(error)
    token = json.loads(error.resume_token)
    assert (token["kind"], token["id"]) == (kind.name, job_id)
    if isinstance(error, hg.VideoFailed):
        assert error.error.code == 40119


async def test_deadline_raises_poll_timeout_with_a_usable_token(
    kind: Kind, heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """At the deadline: PollTimeout with the running status and a token that picks the job up again."""
    job_id = await kind.create(fast, False)
    with pytest.raises(hg.PollTimeout) as caught:
        await kind.wait(fast, job_id, timeout=0.2)
    timeout = caught.value
    assert timeout.last_status == kind.running
    assert (timeout.kind, timeout.job_id) == (kind.name, job_id)
    resumed = hg.Job.resume(fast, timeout.resume_token)
    assert (resumed.kind.name, resumed.id) == (kind.name, job_id)
    await heygen_emulator.advance(SETTLE)
    result = await asyncio.wait_for(resumed.wait(), 2)
    assert result.status == kind.success


async def test_unknown_status_keeps_waiting_and_is_logged_once(
    kind: Kind, heygen_emulator: Emulator, fast: hg.HeyGenClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An undocumented status counts as running (one warning however often it is seen); the wait goes on."""
    odd = f"Rendering_In_4k_{uuid.uuid4().hex[:8]}"  # the "logged once" memory is process-wide: a fresh value
    job_id = await kind.create(fast, False)
    kind.set_status(heygen_emulator.account, job_id, odd)
    caplog.set_level(logging.WARNING, logger="heygen_async")
    task = asyncio.create_task(kind.wait(fast, job_id))
    before = requests_to(heygen_emulator, kind.endpoint)
    await wait_until(lambda: requests_to(heygen_emulator, kind.endpoint) >= before + 4, what="several polls")
    assert not task.done()
    kind.set_status(heygen_emulator.account, job_id, kind.running)
    await heygen_emulator.advance(SETTLE)
    result = await asyncio.wait_for(task, 2)
    assert result.status == kind.success
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and odd.lower() in r.getMessage()]
    assert len(warnings) == 1
    assert kind.name in warnings[0].getMessage()


async def test_cancelling_a_waiter_stops_polling_and_keeps_the_job(
    kind: Kind, heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """A cancelled waiter stops its polls; the job is neither deleted nor changed, and a new waiter gets it."""
    job_id = await kind.create(fast, False)
    task = asyncio.create_task(kind.wait(fast, job_id))
    await wait_until(lambda: requests_to(heygen_emulator, kind.endpoint) >= 2, what="polls")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.08)  # a poll already in flight may still land
    after_cancel = requests_to(heygen_emulator, kind.endpoint)
    await asyncio.sleep(0.2)  # at the fast cadence this would be several more polls
    assert requests_to(heygen_emulator, kind.endpoint) == after_cancel
    assert fast.jobs.scheduler.tracked() == 0
    assert status_of(heygen_emulator, kind, job_id) == kind.running
    await heygen_emulator.advance(SETTLE)
    result = await asyncio.wait_for(kind.wait(fast, job_id), 2)
    assert result.status == kind.success


def status_of(emulator: Emulator, kind: Kind, job_id: str) -> str:
    """The emulator's own status of a job (``train_status`` for a group)."""
    account = emulator.account
    holders: dict[str, Any] = {
        "video": account.videos,
        "translation": account.translations,
        "photo_generation": account.generations,
        "photo_avatar": account.photo_avatars,
    }
    if kind.name == "training":
        return account.groups[job_id].train_status
    status: str = holders[kind.name][job_id].status
    return status


async def test_resume_from_a_token_in_a_fresh_client(kind: Kind, heygen_emulator: Emulator) -> None:
    """A token taken in one client resumes the job in a new client on the same emulator (both entry points)."""
    async with fast_client(heygen_emulator) as first:
        job_id = await kind.create(first, False)
        token = kind.handle(first, job_id).resume_token
    assert first.is_closed
    assert heygen_emulator.token not in token
    assert json.loads(token)["base_url"] == heygen_emulator.base_url
    async with fast_client(heygen_emulator) as second:
        by_class = hg.Job.resume(second, token)
        assert by_class.resume_token == token  # kind, id, submitted_at and base URL survive the round trip
        by_manager = second.jobs.resume(token)
        await heygen_emulator.advance(SETTLE)
        results = await asyncio.wait_for(asyncio.gather(by_class, by_manager), 2)
    for result in results:
        assert isinstance(result, kind.result)
        assert result.status == kind.success


async def test_resume_refuses_another_base_url_and_malformed_tokens(
    kind: Kind, heygen_emulator: Emulator, fast: hg.HeyGenClient
) -> None:
    """A token for another base URL, or one that is not a token, is a ValidationError."""
    token = kind.handle(fast, "0123456789abcdef").resume_token
    other = hg.HeyGenClient(heygen_emulator.token, base_url="http://127.0.0.1:9/elsewhere")
    try:
        with pytest.raises(hg.ValidationError, match="elsewhere"):
            hg.Job.resume(other, token)
        with pytest.raises(hg.ValidationError):
            other.jobs.resume(token)
    finally:
        await other.aclose()
    data = json.loads(token)
    for bad in (
        "not json",
        "[]",
        json.dumps({**data, "heygen_async_job": 99}),
        json.dumps({**data, "kind": "hologram"}),
        json.dumps({k: v for k, v in data.items() if k != "id"}),
        json.dumps({**data, "id": ""}),
    ):
        with pytest.raises(hg.ValidationError):
            fast.jobs.resume(bad)


async def test_429_storm_pauses_every_waiter_then_completes(kind: Kind, heygen_emulator: Emulator) -> None:
    """While the status route answers 429, every waiter of several jobs pauses together; none fails."""
    policy = hg.PollPolicy(
        first_poll=0.01, max_interval=0.05, jitter=0.1, retry_after_floor=0.05, retry_after_ceiling=0.2
    )

    def status_times(*, throttled: bool = False) -> list[float]:
        log = heygen_emulator.request_log
        return [e["time"] for e in log if e["endpoint"] == kind.endpoint and (e.get("fault") or not throttled)]

    async with fast_client(heygen_emulator, poll_policy=policy) as client:
        ids = [await kind.create(client, False) for _ in range(3)]
        tasks = [asyncio.create_task(kind.wait(client, job_id)) for job_id in ids]
        await wait_until(lambda: len(status_times()) >= 3, what="first polls")
        storm = Faults(rate=1.0, kinds={"429": 1}, endpoints=frozenset({kind.endpoint}), retry_after=1)
        heygen_emulator.set_faults(storm)  # Retry-After: 1, held to the 0.2 s ceiling
        await wait_until(lambda: bool(status_times(throttled=True)), what="a 429")
        first = status_times(throttled=True)[0]
        await wait_until(lambda: status_times(throttled=True)[-1] > first + 0.12, what="429s after the first pause")
        cleared = time.time()
        heygen_emulator.set_faults(Faults())
        await heygen_emulator.advance(SETTLE)
        results = await asyncio.wait_for(asyncio.gather(*tasks), 3)
        pauses = client.jobs.scheduler.stats.pauses
    assert [r.status for r in results] == [kind.success] * 3
    assert pauses >= 2
    assert heygen_emulator.stats()["faults"]["429"] >= 2
    during = [t for t in status_times() if first <= t <= cleared]
    quiet = max(later - earlier for earlier, later in itertools.pairwise(during))
    assert quiet >= 0.12  # all three paused at once: unpaused they would poll every ~20 ms between them
