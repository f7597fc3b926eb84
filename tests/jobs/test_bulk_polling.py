"""Bulk status polling in the poll scheduler: a job kind with a :class:`BulkStatus` (HeyGen v3's
``GET /v3/videos/statuses?video_ids=...``) is polled many jobs to a request, one unit of the budget each, never
mixing two tenants' jobs; a bulk status only moves running jobs along, and a finished, unknown or unreadable
one gets its own detail poll, which decides. Against an aiohttp server on 127.0.0.1 with ``/bulk?ids=`` and
``/item/{id}`` routes and a job kind made for these tests; the ``bulk_status`` switch (one job per request
even where bulk status exists) against the emulator's v3 videos."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs
import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async._jobs._kinds import KINDS
from heygen_async._jobs._scheduler import BULK_FAILURES, PollScheduler, TrackedJob
from heygen_async._transport._call import Transport
from heygen_async._transport._urls import Route
from heygen_async.emulator import Emulator
from tests.support import NO_WAIT_RETRY, SETTLE, ServerFactory, avatar_video, max_in_any_window, wait_until

KEY_A = "key-tenant-a"
KEY_B = "key-tenant-b"
BULK_ROUTE = Route("GET", "/bulk", True)
ITEM_ROUTE = Route("GET", "/item/{id}", True)
FAST = hg.PollPolicy(first_poll=0.05, max_interval=0.05, jitter=0.0, retry_after_floor=0.2, retry_after_ceiling=0.5)
"""Every job due every 50 ms, all in step: a running job keeps being polled, in bulk."""
SLOW = hg.PollPolicy(first_poll=0.05, backoff=1000.0, max_interval=60.0, jitter=0.0)
"""After the first poll (at once: the jobs are tracked with an unknown age), none for a minute: any poll that
follows within a test comes from a bulk answer, a webhook or a fault."""
Entry = Literal["not_found", "missing", "unreadable"]


# -- a job kind with a bulk status, and a server for it ---------------------------------------------------------


@attrs.frozen
class Item:
    id: str
    status: str
    url: str | None = None


@attrs.frozen
class FakeBulk:
    """``GET /bulk?ids=a,b`` -> ``[{"id", "status"}, ...]``."""

    max_ids: int

    def fetch(self, transport: Transport, ids: Sequence[str]) -> Any:
        return transport.call(BULK_ROUTE, query=[("ids", ",".join(ids))], max_retries=0)

    def statuses(self, data: Any) -> Mapping[str, str | None]:
        if not isinstance(data, list):
            raise hg.APIResponseError("not a list of statuses", endpoint=BULK_ROUTE.key, status_code=200, body="")
        return {
            entry["id"]: entry["status"].lower() if isinstance(entry.get("status"), str) else None
            for entry in data
            if isinstance(entry, dict) and isinstance(entry.get("id"), str)
        }


@attrs.frozen
class FakeKind:
    """A job kind polled one at a time at ``GET /item/{id}``, and many at a time through ``bulk``."""

    bulk: FakeBulk | None
    name: str = "fake"
    success: frozenset[str] = frozenset({"completed"})
    failure: frozenset[str] = frozenset({"failed"})
    running: frozenset[str] = frozenset({"queued", "processing"})

    def fetch(self, transport: Transport, job_id: str) -> Any:
        return transport.call(ITEM_ROUTE, path_values={"id": job_id}, max_retries=0)

    def status_of(self, data: Any) -> str | None:
        status = data.get("status") if isinstance(data, dict) else None
        return status.lower() if isinstance(status, str) else None

    def structure(self, data: Any) -> Item:
        return Item(id=data["id"], status=data["status"], url=data.get("url"))

    def failure_error(self, job: TrackedJob, result: Any) -> hg.JobFailed:
        return hg.JobFailed(
            f"fake {job.id} failed", result=result, reason=None, kind=self.name, job_id=job.id, resume_token=""
        )


def _error(status: int, code: str) -> web.Response:
    return web.json_response({"data": None, "error": {"code": code, "message": code}}, status=status)


class BulkServer:
    """HeyGen for the fake kind: each job's status in ``jobs`` (an id it does not know: ``not_found`` in a bulk
    answer, 404 on its own), only ``accepted`` keys served (others: 401). Records every request, and any job
    that had two requests in flight at once (``overlaps``)."""

    def __init__(self, jobs: Mapping[str, str], *, accepted: Iterable[str] = (KEY_A,)) -> None:
        self.jobs = dict(jobs)
        self.accepted = set(accepted)
        self.unknown_entry: Entry = "not_found"  # how a bulk answer shows an id it does not know
        self.bulk_faults: list[Callable[[], web.Response]] = []  # answers for the next bulk requests, in order
        self.bulk_calls: list[tuple[str, tuple[str, ...]]] = []  # (key, ids)
        self.item_calls: list[tuple[str, str]] = []  # (key, id)
        self.arrivals: list[float] = []
        self.overlaps: list[str] = []
        self.gate: asyncio.Event | None = None  # while set up and not set, bulk requests wait (once entered)
        self.entered = asyncio.Event()
        self._in_flight: Counter[tuple[str, str]] = Counter()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/heygen/bulk", self.bulk)
        app.router.add_get("/heygen/item/{id}", self.item)
        return app

    def _arrive(self, key: str, ids: Iterable[str]) -> list[tuple[str, str]]:
        self.arrivals.append(asyncio.get_running_loop().time())
        held = [(key, job_id) for job_id in ids]
        for pair in held:
            if self._in_flight[pair]:
                self.overlaps.append(pair[1])
            self._in_flight[pair] += 1
        return held

    def _leave(self, held: list[tuple[str, str]]) -> None:
        for pair in held:
            self._in_flight[pair] -= 1

    async def bulk(self, request: web.Request) -> web.Response:
        key = request.headers.get("X-Api-Key", "")
        ids = tuple(request.query["ids"].split(","))
        self.bulk_calls.append((key, ids))
        held = self._arrive(key, ids)
        try:
            answer = self._bulk_answer(key, ids)  # what HeyGen says when the request arrives
            self.entered.set()
            if self.gate is not None:
                await self.gate.wait()
            return answer
        finally:
            self._leave(held)

    def _bulk_answer(self, key: str, ids: tuple[str, ...]) -> web.Response:
        if self.bulk_faults:
            return self.bulk_faults.pop(0)()
        if key not in self.accepted:
            return _error(401, "unauthorized")
        entries: list[dict[str, Any]] = []
        for job_id in ids:
            if job_id in self.jobs:
                entries.append({"id": job_id, "status": self.jobs[job_id], "batch_id": None})
            elif self.unknown_entry == "not_found":
                entries.append({"id": job_id, "status": "not_found"})
            elif self.unknown_entry == "unreadable":
                entries.append({"id": job_id, "status": 42})
        return web.json_response({"error": None, "data": entries})

    async def item(self, request: web.Request) -> web.Response:
        key = request.headers.get("X-Api-Key", "")
        job_id = request.match_info["id"]
        self.item_calls.append((key, job_id))
        held = self._arrive(key, [job_id])
        try:
            if key not in self.accepted:
                return _error(401, "unauthorized")
            if job_id not in self.jobs:
                return _error(404, "not_found")
            url = f"https://media.example/{job_id}.mp4"
            return web.json_response({"error": None, "data": {"id": job_id, "status": self.jobs[job_id], "url": url}})
        finally:
            self._leave(held)

    def items_of(self, job_id: str) -> int:
        return sum(1 for _, polled in self.item_calls if polled == job_id)


@pytest.fixture
async def client_for(serve: ServerFactory) -> AsyncIterator[Callable[..., Any]]:
    """Start a :class:`BulkServer` and open a direct client on it (closed at the end)."""
    clients: list[hg.HeyGenClient] = []

    async def start(server: BulkServer, *, poll_budget: float = 200) -> hg.HeyGenClient:
        base_url = await serve(server.app())
        client = hg.HeyGenClient.direct(KEY_A, base_url=base_url, poll_budget=poll_budget, retry=NO_WAIT_RETRY)
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.aclose()


def scheduler_of(client: hg.HeyGenClient) -> PollScheduler:
    return client.jobs.scheduler


def track(
    client: hg.HeyGenClient, kind: FakeKind, ids: Iterable[str], policy: hg.PollPolicy = FAST
) -> list[TrackedJob]:
    """Track ``ids`` with ``client``'s credentials (first polls at once), someone waiting for each."""
    records = [scheduler_of(client).track(kind, job_id, client._transport, policy, age=None) for job_id in ids]
    for record in records:
        record.listen(lambda _: None, None)
    return records


async def ended(records: Sequence[TrackedJob]) -> None:
    await wait_until(lambda: all(record.done for record in records), within=20.0, what="every job to end")


def ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{n}" for n in range(count)]


# -- many jobs to a request ----------------------------------------------------------------------------------------


async def test_many_due_jobs_cost_one_bulk_request_per_max_ids_and_one_detail_poll_per_finished_job(
    client_for: Callable[..., Any],
) -> None:
    """25 finished jobs, 10 ids to a bulk request: 3 bulk requests (10, 10, 5), then each job's own poll, whose
    answer its waiter gets. 28 requests where one at a time would send 25 and bulk alone cannot end a job."""
    names = ids("r", 25)
    server = BulkServer(dict.fromkeys(names, "completed"))
    client = await client_for(server)
    records = track(client, FakeKind(FakeBulk(max_ids=10)), names)
    await ended(records)
    assert sorted(len(batch) for _, batch in server.bulk_calls) == [5, 10, 10]
    assert sorted(job_id for _, batch in server.bulk_calls for job_id in batch) == sorted(names)
    assert sorted(job_id for _, job_id in server.item_calls) == sorted(names)
    assert [record.result for record in records] == [
        Item(id=name, status="completed", url=f"https://media.example/{name}.mp4") for name in names
    ]
    stats = scheduler_of(client).stats
    assert (stats.polls, stats.bulk_polls, stats.jobs_in_bulk) == (28, 3, 25)
    assert not server.overlaps


async def test_running_jobs_are_polled_in_bulk_until_they_finish(client_for: Callable[..., Any]) -> None:
    """Twelve rendering jobs: bulk requests only (each carrying every job) while they run, their new status
    told to on_change listeners once; then one detail poll each, when the bulk answer says they finished."""
    names = ids("r", 12)
    server = BulkServer(dict.fromkeys(names, "processing"))
    client = await client_for(server)
    records = track(client, FakeKind(FakeBulk(max_ids=100)), names)
    changes: list[tuple[str, str | None]] = []
    for record in records:
        record.listen(None, None, lambda job: changes.append((job.id, job.status)))
    await wait_until(lambda: len(server.bulk_calls) >= 4, what="four bulk requests")
    assert server.item_calls == []
    assert all(sorted(batch) == sorted(names) for _, batch in server.bulk_calls)
    assert sorted(changes) == sorted((name, "processing") for name in names)
    assert {record.status for record in records} == {"processing"}
    server.jobs.update(dict.fromkeys(names, "completed"))
    await ended(records)
    assert sorted(job_id for _, job_id in server.item_calls) == sorted(names)
    assert all(record.result.status == "completed" for record in records)
    stats = scheduler_of(client).stats
    assert stats.polls == stats.bulk_polls + len(names)
    assert stats.jobs_in_bulk == len(names) * stats.bulk_polls
    assert not server.overlaps


@pytest.mark.parametrize("final", ["completed", "failed"])
async def test_a_terminal_status_in_bulk_brings_exactly_one_detail_poll_whose_result_the_waiter_gets(
    client_for: Callable[..., Any], final: str
) -> None:
    """One of three running jobs finishes: its own poll follows once, and its waiter gets that answer (the
    model, or the kind's JobFailed carrying it); the other two go on in bulk, with no detail poll."""
    server = BulkServer({"r0": "processing", "r1": "processing", "r2": "processing"})
    client = await client_for(server)
    records = track(client, FakeKind(FakeBulk(max_ids=100)), ["r0", "r1", "r2"])
    await wait_until(lambda: len(server.bulk_calls) >= 2, what="bulk polls")
    server.jobs["r1"] = final
    await ended(records[1:2])
    bulk_before = len(server.bulk_calls)
    await wait_until(lambda: len(server.bulk_calls) >= bulk_before + 3, what="bulk polls of the other two")
    assert server.item_calls == [(KEY_A, "r1")]
    assert all(sorted(batch) == ["r0", "r2"] for _, batch in server.bulk_calls[bulk_before:])
    done = records[1]
    expected = Item(id="r1", status=final, url="https://media.example/r1.mp4")
    if final == "completed":
        assert (done.result, done.error) == (expected, None)
    else:
        assert isinstance(done.error, hg.JobFailed)
        assert done.error.result == expected
    assert not records[0].done
    assert not records[2].done


@pytest.mark.parametrize("entry", ["not_found", "missing", "unreadable"])
async def test_an_unknown_job_in_bulk_gets_a_detail_poll_whose_404_ends_its_wait(
    client_for: Callable[..., Any], entry: Entry
) -> None:
    """A bulk answer that shows a job ``not_found``, leaves it out, or gives it an unreadable entry is no
    verdict: the job's own poll decides, and its 404 ends the wait with NotFoundError as today."""
    server = BulkServer({"r0": "processing", "r1": "processing"})
    server.unknown_entry = entry
    client = await client_for(server)
    *running, ghost = track(client, FakeKind(FakeBulk(max_ids=100)), ["r0", "r1", "ghost"])
    await ended([ghost])
    assert isinstance(ghost.error, hg.NotFoundError)
    assert server.item_calls == [(KEY_A, "ghost")]
    assert server.bulk_calls[0] == (KEY_A, ("r0", "r1", "ghost"))
    await wait_until(lambda: len(server.bulk_calls) >= 3, what="more bulk polls")
    assert server.item_calls == [(KEY_A, "ghost")]  # the running jobs go on in bulk
    assert not any(record.done for record in running)


async def test_a_status_change_seen_in_bulk_reaches_on_status_listeners_through_one_detail_poll(
    client_for: Callable[..., Any],
) -> None:
    """An on_status listener needs a snapshot, which a bulk entry is not: a job it watches gets one detail poll
    when bulk shows its status changed (the listener sees that model); a job nobody watches so gets none."""
    server = BulkServer({"watched": "processing", "plain": "processing"})
    client = await client_for(server)
    watched, plain = track(client, FakeKind(FakeBulk(max_ids=100)), ["watched", "plain"], SLOW)
    seen: list[Any] = []
    watched.listen(None, lambda job: seen.append(job.result))
    await wait_until(lambda: bool(seen), what="the watched job's snapshot")
    assert seen == [Item(id="watched", status="processing", url="https://media.example/watched.mp4")]
    assert server.item_calls == [(KEY_A, "watched")]
    assert server.bulk_calls == [(KEY_A, ("watched", "plain"))]
    assert (watched.status, plain.status) == ("processing", "processing")


# -- tenants -------------------------------------------------------------------------------------------------------


async def test_two_tenants_jobs_never_share_a_bulk_request(client_for: Callable[..., Any]) -> None:
    """Six jobs each for two tenants, all due at once: one bulk request per tenant, each with its own key and
    only its own jobs (a bulk request carries one handle's credentials)."""
    a_ids, b_ids = ids("a", 6), ids("b", 6)
    server = BulkServer(dict.fromkeys([*a_ids, *b_ids], "completed"), accepted={KEY_A, KEY_B})
    client = await client_for(server)
    tenant = client.with_options(api_token=KEY_B)
    kind = FakeKind(FakeBulk(max_ids=100))
    records = [*track(client, kind, a_ids), *track(tenant, kind, b_ids)]
    await ended(records)
    assert sorted(server.bulk_calls) == [(KEY_A, tuple(a_ids)), (KEY_B, tuple(b_ids))]
    assert sorted(server.item_calls) == sorted([*((KEY_A, i) for i in a_ids), *((KEY_B, i) for i in b_ids)])
    assert all(record.error is None and record.result.id == record.id for record in records)


async def test_a_rejected_tenant_never_sees_another_tenants_result(client_for: Callable[..., Any]) -> None:
    """Both tenants wait on the same finished jobs: the owner gets them; the rejected tenant's bulk request is
    refused, its own polls too, and its waits end with AuthenticationError and no result."""
    names = ids("s", 5)
    server = BulkServer(dict.fromkeys(names, "completed"), accepted={KEY_A})
    client = await client_for(server)
    rejected = client.with_options(api_token=KEY_B)
    kind = FakeKind(FakeBulk(max_ids=100))
    theirs = track(rejected, kind, names)
    ours = track(client, kind, names)
    await ended([*theirs, *ours])
    assert [record.result.url for record in ours] == [f"https://media.example/{name}.mp4" for name in names]
    for record in theirs:
        assert isinstance(record.error, hg.AuthenticationError)
        assert record.result is None
        assert record.last_result() is None
    assert sorted(key for key, _ in server.bulk_calls) == [KEY_A, KEY_B]
    assert all(sorted(batch) == sorted(names) for _, batch in server.bulk_calls)


# -- errors of a bulk request --------------------------------------------------------------------------------------


async def test_a_bulk_429_pauses_every_poll_and_is_no_verdict(client_for: Callable[..., Any]) -> None:
    """A 429 on a bulk request (Retry-After 0.3 s): nothing is sent until the pause is over, then the jobs go on
    and end as their own polls say."""
    names = ids("r", 6)
    server = BulkServer(dict.fromkeys(names, "completed"))
    server.bulk_faults.append(lambda: web.json_response({}, status=429, headers={"Retry-After": "0.3"}))
    client = await client_for(server)
    records = track(client, FakeKind(FakeBulk(max_ids=100)), names)
    await ended(records)
    assert scheduler_of(client).stats.pauses == 1
    throttled_at, next_at = server.arrivals[0], server.arrivals[1]
    assert next_at - throttled_at >= 0.3 - 0.01  # the whole pause, at the server's own clock
    assert [batch for _, batch in server.bulk_calls] == [tuple(names), tuple(names)]
    assert all(record.error is None and record.result.status == "completed" for record in records)


def _not_json() -> web.Response:
    return web.Response(text="<html>oops</html>", content_type="application/json")


FAILED_BULK_ANSWERS: Final = [
    pytest.param(lambda: _error(500, "internal_error"), id="500"),
    pytest.param(lambda: _error(503, "unavailable"), id="503"),
    pytest.param(_not_json, id="not-json"),
    pytest.param(lambda: web.json_response({"error": None, "data": {"statuses": "soon"}}), id="unreadable"),
]
"""Bulk answers that are no verdict on any job: a 5xx, or an answer that cannot be read."""


@pytest.mark.parametrize("fault", FAILED_BULK_ANSWERS)
async def test_a_failed_bulk_request_reschedules_its_jobs_without_a_verdict(
    client_for: Callable[..., Any], fault: Callable[[], web.Response]
) -> None:
    """A 5xx or an answer that cannot be read: every job in the request is asked again on its cadence (no detail
    poll, no error for anyone); the next bulk request carries them all, and they end as their own polls say."""
    names = ids("r", 4)
    server = BulkServer(dict.fromkeys(names, "completed"))
    server.bulk_faults.append(fault)
    client = await client_for(server)
    records = track(client, FakeKind(FakeBulk(max_ids=100)), names)
    await ended(records)
    assert [batch for _, batch in server.bulk_calls] == [tuple(names), tuple(names)]
    assert sorted(job_id for _, job_id in server.item_calls) == sorted(names)
    assert all(record.error is None and record.result.status == "completed" for record in records)
    assert scheduler_of(client).stats.errors == 1


@pytest.mark.parametrize("fault", FAILED_BULK_ANSWERS)
async def test_a_bulk_route_that_keeps_failing_falls_back_to_single_polls_that_end_the_jobs(
    client_for: Callable[..., Any], caplog: pytest.LogCaptureFixture, fault: Callable[[], web.Response]
) -> None:
    """Every bulk request fails while each job's own route answers: after BULK_FAILURES bulk requests in a row
    the jobs get their own polls, which end them (before, they were asked in bulk again and again, and a
    waiter timed out on a job long finished); one warning, no bulk request during the rest."""
    names = ids("r", 4)
    server = BulkServer(dict.fromkeys(names, "completed"))
    server.bulk_faults.extend([fault] * 50)
    client = await client_for(server)
    with caplog.at_level(logging.WARNING, logger="heygen_async"):
        records = track(client, FakeKind(FakeBulk(max_ids=100)), names)
        await ended(records)
    assert [batch for _, batch in server.bulk_calls] == [tuple(names)] * BULK_FAILURES
    assert sorted(job_id for _, job_id in server.item_calls) == sorted(names)
    assert all(record.error is None and record.result.status == "completed" for record in records)
    assert scheduler_of(client).stats.errors == BULK_FAILURES
    assert len([r for r in caplog.records if "bulk status request failed" in r.getMessage()]) == 1


@pytest.mark.parametrize("status", [400, 404])
async def test_a_refused_bulk_request_falls_back_to_single_polls_and_says_so_once(
    client_for: Callable[..., Any], caplog: pytest.LogCaptureFixture, status: int
) -> None:
    """A 4xx on the bulk route (it may not be open to these credentials): its jobs get their own polls at once,
    and keep getting them (no bulk request for a while), with one warning; no job ends by the refusal."""
    names = ids("r", 5)
    server = BulkServer(dict.fromkeys(names, "processing"))
    server.bulk_faults.extend([lambda: _error(status, "no_route")] * 10)
    client = await client_for(server)
    with caplog.at_level(logging.WARNING, logger="heygen_async"):
        records = track(client, FakeKind(FakeBulk(max_ids=100)), names)
        await wait_until(lambda: all(server.items_of(name) >= 3 for name in names), what="single polls")
        assert not any(record.done for record in records)
        server.jobs.update(dict.fromkeys(names, "completed"))
        await ended(records)
    assert len(server.bulk_calls) == 1
    assert all(record.error is None and record.result.status == "completed" for record in records)
    warnings = [r for r in caplog.records if "bulk status request failed" in r.getMessage()]
    assert len(warnings) == 1
    assert KEY_A not in caplog.text


# -- the budget, webhooks, release and close ---------------------------------------------------------------------


async def test_bulk_requests_stay_within_the_budget_in_every_one_second_window(
    client_for: Callable[..., Any],
) -> None:
    """400 running jobs, 7 to a request, each due every 50 ms: far more requests wanted than a 20/s budget
    allows. The server never sees more than 20 requests in any one second, each one a bulk request."""
    server = BulkServer(dict.fromkeys(ids("r", 400), "processing"))
    client = await client_for(server, poll_budget=20)
    track(client, FakeKind(FakeBulk(max_ids=7)), ids("r", 400))
    await wait_until(lambda: len(server.arrivals) >= 30, within=20.0, what="thirty requests")
    stats = scheduler_of(client).stats
    assert max_in_any_window(server.arrivals) <= 20
    assert stats.max_per_second <= 20
    assert server.item_calls == []
    assert {len(batch) for _, batch in server.bulk_calls} == {7}
    assert not server.overlaps


async def test_a_webhook_during_a_bulk_request_polls_the_job_on_its_own_right_after_it(
    client_for: Callable[..., Any],
) -> None:
    """poll_soon while the job's bulk request is out (which saw it running): its own poll follows as soon as
    the bulk answer is in, never beside it; poll_soon on a job not being polled sends its own poll, not bulk."""
    server = BulkServer({"r0": "processing", "r1": "processing", "r2": "processing"})
    server.gate = asyncio.Event()
    client = await client_for(server)
    scheduler = scheduler_of(client)
    records = track(client, FakeKind(FakeBulk(max_ids=100)), ["r0", "r1", "r2"], SLOW)
    await asyncio.wait_for(server.entered.wait(), 10)
    server.jobs["r0"] = "completed"
    assert scheduler.poll_soon("fake", "r0")
    await asyncio.sleep(0.05)
    assert server.item_calls == []  # not beside the bulk request in flight
    server.gate.set()
    await ended(records[:1])
    assert records[0].result.status == "completed"
    assert server.item_calls == [(KEY_A, "r0")]
    server.jobs["r1"] = "completed"
    assert scheduler.poll_soon("fake", "r1")
    await ended(records[1:2])
    assert server.item_calls == [(KEY_A, "r0"), (KEY_A, "r1")]
    assert len(server.bulk_calls) == 1
    assert not server.overlaps


async def test_jobs_released_during_a_bulk_request_are_polled_no_more_and_forgotten(
    client_for: Callable[..., Any],
) -> None:
    """Every waiter gives up while the jobs' bulk request is out, and the answer says they finished: no detail
    poll follows, and the scheduler keeps no record of them (nor of their group)."""
    names = ids("r", 3)
    server = BulkServer(dict.fromkeys(names, "completed"))
    server.gate = asyncio.Event()
    client = await client_for(server)
    scheduler = scheduler_of(client)
    records = track(client, FakeKind(FakeBulk(max_ids=100)), names)
    await asyncio.wait_for(server.entered.wait(), 10)
    for record in records:
        record.listeners = None
        scheduler.release(record)
    server.gate.set()
    await wait_until(lambda: not scheduler._in_flight, what="the bulk request to end")
    assert server.item_calls == []
    assert not scheduler._jobs
    assert not scheduler._groups
    assert not any(record.polling or record.done for record in records)


async def test_a_wait_started_while_a_given_up_jobs_bulk_request_is_out_is_answered_by_one_poll_stream(
    client_for: Callable[..., Any],
) -> None:
    """Every waiter gives up while the bulk request is out; a new wait on one of the jobs starts before it
    answers (finished, it says): that wait is answered by the job's own poll, right after the bulk request and
    never beside it; the others are forgotten, nothing is left polling or in flight."""
    names = ids("r", 3)
    server = BulkServer(dict.fromkeys(names, "completed"))
    server.gate = asyncio.Event()
    client = await client_for(server)
    scheduler = scheduler_of(client)
    records = track(client, FakeKind(FakeBulk(max_ids=100)), names, SLOW)
    await asyncio.wait_for(server.entered.wait(), 10)
    for record in records:
        record.listeners = None
        scheduler.release(record)
    (again,) = track(client, FakeKind(FakeBulk(max_ids=100)), names[:1], SLOW)
    assert again is records[0], "the record whose poll is in flight is reused, not doubled"
    server.gate.set()
    await ended([again])
    await wait_until(lambda: not scheduler._in_flight, what="every request to end")
    assert again.error is None
    assert again.result.status == "completed"
    assert server.item_calls == [(KEY_A, names[0])]
    assert not server.overlaps
    assert list(scheduler._jobs.values()) == [again]  # kept while its waiter holds it; the others are gone
    assert not any(record.polling for record in records)


async def test_closing_during_a_bulk_request_leaves_nothing_in_flight(client_for: Callable[..., Any]) -> None:
    """The client closes while a bulk request is out: every waiter gets ClientClosedError, no poll task or
    record is left, and no job is marked as being polled."""
    names = ids("r", 4)
    server = BulkServer(dict.fromkeys(names, "processing"))
    server.gate = asyncio.Event()
    client = await client_for(server)
    scheduler = scheduler_of(client)
    records = track(client, FakeKind(FakeBulk(max_ids=100)), names)
    errors: list[BaseException | None] = []
    for record in records:
        record.listen(lambda job: errors.append(job.error), None)
    await asyncio.wait_for(server.entered.wait(), 10)
    await client.aclose()
    assert len(errors) == len(names)
    assert all(isinstance(error, hg.ClientClosedError) for error in errors)
    assert scheduler._in_flight == 0
    assert not scheduler._polls
    assert not scheduler._jobs
    assert not scheduler._groups
    assert not any(record.polling for record in records)
    server.gate.set()


@pytest.mark.parametrize("max_ids", [0, 101, True])
async def test_a_bulk_status_takes_one_to_a_hundred_ids(client_for: Callable[..., Any], max_ids: Any) -> None:
    """A kind whose bulk status claims more ids than HeyGen takes (or none) is refused by name, before anything
    is sent."""
    server = BulkServer({"r0": "processing"})
    client = await client_for(server)
    with pytest.raises(ValueError, match=r"fake: a bulk status takes 1 to 100 ids, got max_ids="):
        track(client, FakeKind(FakeBulk(max_ids=max_ids)), ["r0"])
    assert server.arrivals == []


# -- the switch: bulk_status=False polls one job per request -------------------------------------------------------

STATUSES_ROUTE = "GET /v3/videos/statuses"
DETAIL_ROUTE = "GET /v3/videos/{video_id}"


@pytest.mark.parametrize("bulk_status", [True, False])
async def test_bulk_status_false_polls_each_v3_video_on_its_own_and_true_polls_them_in_bulk(
    heygen_emulator: Emulator, bulk_status: bool
) -> None:
    """Eight v3 renders waited for through a ``with_options`` handle (its polls are the pool's scheduler's),
    polled for a few rounds while they run, then finished. With ``bulk_status=False`` the emulator sees only
    each video's own ``GET /v3/videos/{id}``, several per video, and no bulk request; with True (the default)
    bulk requests carry all eight while they run, and each video's own request comes once, when a bulk answer
    shows it finished."""
    async with heygen_emulator.direct_client(
        poll_policy=FAST, poll_budget=200, retry=NO_WAIT_RETRY, bulk_status=bulk_status
    ) as client:
        names = [(await client.v3.videos.submit(**avatar_video(f"Render {n}."))).id for n in range(8)]
        handle = client.with_options(max_retries=0)
        waiting = asyncio.create_task(handle.v3.videos.wait_many(names))

        def polls() -> list[dict[str, Any]]:
            return [e for e in heygen_emulator.request_log if e["route"] in (STATUSES_ROUTE, DETAIL_ROUTE)]

        def detail_polls(video_id: str) -> int:
            return sum(1 for e in polls() if e["route"] == DETAIL_ROUTE and e["path"] == f"/v3/videos/{video_id}")

        if bulk_status:
            await wait_until(lambda: len(polls()) >= 3, what="three bulk requests")
        else:
            await wait_until(lambda: all(detail_polls(name) >= 3 for name in names), what="three polls of each")
        running = polls()
        await heygen_emulator.advance(SETTLE)
        results = await asyncio.wait_for(waiting, 20)
        stats = client.jobs.scheduler.stats
    assert [result.id for result in results] == names
    assert {result.status for result in results} == {"completed"}
    bulk = [entry for entry in polls() if entry["route"] == STATUSES_ROUTE]
    if bulk_status:
        assert {entry["route"] for entry in running} == {STATUSES_ROUTE}
        assert all(sorted(entry["query"]["video_ids"].split(",")) == sorted(names) for entry in bulk)
        assert [detail_polls(name) for name in names] == [1] * 8
        assert (stats.bulk_polls, stats.jobs_in_bulk) == (len(bulk), 8 * len(bulk))
    else:
        assert bulk == []
        assert all(detail_polls(name) >= 4 for name in names)  # three while running, one seeing it finished
        assert (stats.bulk_polls, stats.jobs_in_bulk) == (0, 0)
    assert stats.polls == len(polls())


@pytest.mark.parametrize("bulk_status", [None, 0, 1, "false"])
def test_bulk_status_must_be_true_or_false(bulk_status: Any) -> None:
    with pytest.raises(hg.ConfigurationError, match=r"bulk_status must be True or False, got "):
        hg.HeyGenClient("at_x", bulk_status=bulk_status)
    with pytest.raises(hg.ConfigurationError, match=r"bulk_status must be True or False, got "):
        hg.HeyGenClient.direct("key", bulk_status=bulk_status)


@pytest.mark.parametrize("kind", ["v3_video", "v3_translation", "v3_lipsync"])
def test_a_v3_bulk_status_reads_the_cursor_page_heygen_answers(kind: str) -> None:
    """HeyGen answers ``GET /v3/.../statuses`` with a page (``data`` beside ``has_more`` and ``next_token``),
    which the envelope leaves whole: its entries are read, as a bare list's are."""
    bulk = KINDS[kind].bulk
    assert bulk is not None
    entries = [{"video_id": "a", "status": "Processing"}, {"video_id": "b", "status": "completed"}, {"video_id": "c"}]
    expected = {"a": "processing", "b": "completed", "c": None}
    assert bulk.statuses({"data": entries, "has_more": False, "next_token": None}) == expected
    assert bulk.statuses(entries) == expected
