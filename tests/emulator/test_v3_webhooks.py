"""v3 webhooks on the emulator: endpoint management (the secret shown only at creation and rotation), the 30
event types, the event history, and deliveries signed in ``Heygen-Signature`` that the library verifies."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from aiohttp import web
from multidict import CIMultiDict

from heygen_async._exceptions import InvalidSignatureError
from heygen_async.webhooks._signature import verify
from tests.support import MARK, ServerFactory, V3Caller, avatar_video, v3_emulator

RENDERED = 32.0  # a default render's whole life, in emulated seconds


@attrs.define
class Received:
    body: bytes
    headers: CIMultiDict[str]
    path: str


@attrs.define
class Receiver:
    """A local webhook receiver recording every delivery (raw body, headers, path)."""

    url: str
    deliveries: list[Received] = attrs.Factory(list)

    def at(self, path: str) -> list[Received]:
        return [d for d in self.deliveries if d.path.endswith(path)]


@pytest.fixture
async def receiver(serve: ServerFactory) -> Receiver:
    app = web.Application()
    found = Receiver("")

    async def record(request: web.Request) -> web.Response:
        found.deliveries.append(Received(await request.read(), CIMultiDict(request.headers), request.path))
        return web.Response(text="ok")

    app.router.add_post("/heygen/{name}", record)
    found.url = await serve(app)
    return found


async def register(v3: V3Caller, url: str, **fields: Any) -> dict[str, Any]:
    endpoint: dict[str, Any] = (await v3.call("POST", "/v3/webhooks/endpoints", {"url": url, **fields})).data
    return endpoint


async def render(v3: V3Caller, script: str = "Hello", **fields: Any) -> str:
    video_id: str = (await v3.call("POST", "/v3/videos", avatar_video(script, **fields))).data["video_id"]
    await v3.emulator.advance(RENDERED)
    return video_id


async def test_a_finished_render_is_delivered_signed_and_the_library_verifies_it(receiver: Receiver) -> None:
    async with v3_emulator() as v3:
        endpoint = await register(v3, receiver.url + "/hook")
        video_id = await render(v3, callback_id="order-7")
        history = (await v3.call("GET", "/v3/webhooks/events")).data
    (delivery,) = receiver.at("/hook")
    verify(delivery.body, delivery.headers, endpoint["secret"])  # raises if the signature is wrong
    assert delivery.headers["Heygen-Signature"]
    assert int(delivery.headers["Heygen-Timestamp"]) > 1_700_000_000
    assert delivery.headers["Heygen-Event-Id"] == history[0]["event_id"]
    payload = json.loads(delivery.body)
    assert payload["event_type"] == "avatar_video.success"
    data = payload["event_data"]
    assert (data["video_id"], data["callback_id"]) == (video_id, "order-7")
    assert data["url"] == data["video_url"]
    assert "/media/video/" in data["url"]
    with pytest.raises(InvalidSignatureError):
        verify(delivery.body, delivery.headers, "whsec_not-the-secret")


async def test_a_rotated_secret_signs_from_then_on_and_the_old_one_no_longer_verifies(receiver: Receiver) -> None:
    async with v3_emulator() as v3:
        endpoint = await register(v3, receiver.url + "/hook")
        rotated = (await v3.call("POST", f"/v3/webhooks/endpoints/{endpoint['endpoint_id']}/rotate-secret")).data
        await render(v3)
    (delivery,) = receiver.at("/hook")
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != endpoint["secret"]
    verify(delivery.body, delivery.headers, rotated["secret"])
    with pytest.raises(InvalidSignatureError):
        verify(delivery.body, delivery.headers, endpoint["secret"])


async def test_the_secret_is_shown_only_at_creation_and_rotation() -> None:
    async with v3_emulator() as v3:
        created = await register(v3, "https://example.com/hook", events=["avatar_video.success"])
        listed = (await v3.call("GET", "/v3/webhooks/endpoints")).data
        patched = (
            await v3.call("PATCH", f"/v3/webhooks/endpoints/{created['endpoint_id']}", {"url": "https://example.com/2"})
        ).data
    assert created["secret"].startswith("whsec_")
    assert created["status"] == "enabled"
    assert created["created_at"].endswith("Z")
    assert [(e["endpoint_id"], e["secret"]) for e in listed] == [(created["endpoint_id"], None)]
    assert patched["secret"] is None
    assert patched["url"] == "https://example.com/2"
    assert patched["events"] == ["avatar_video.success"]  # untouched when the PATCH has no events


async def test_endpoints_get_only_the_events_they_subscribed_to_and_only_their_accounts(receiver: Receiver) -> None:
    async with v3_emulator() as v3:
        await register(v3, receiver.url + "/failures", events=["avatar_video.fail"])
        await register(v3, receiver.url + "/everything")
        await register(v3.as_account("hk_another-account"), receiver.url + "/other-account")
        await render(v3)
        await render(v3, f"Broken {MARK}")
    assert [d.path for d in receiver.at("/failures")] == ["/heygen/failures"]
    assert len(receiver.at("/everything")) == 2
    assert receiver.at("/other-account") == []


async def test_a_jobs_callback_url_hears_of_it_unsigned_and_a_batch_says_when_it_finished(receiver: Receiver) -> None:
    async with v3_emulator() as v3:
        await render(v3, callback_url=receiver.url + "/job")
        await v3.call(
            "POST",
            "/v3/videos/batches",
            {"videos": [avatar_video(), avatar_video()], "callback_url": receiver.url + "/batch"},
        )
        await v3.emulator.advance(RENDERED)
    (job,) = receiver.at("/job")
    (batch,) = receiver.at("/batch")
    assert "Heygen-Signature" not in job.headers
    assert job.headers["Heygen-Event-Id"].startswith("evt_")
    assert json.loads(batch.body)["event_type"] == "batch.finished"
    assert json.loads(batch.body)["event_data"]["counts_by_status"] == {"completed": 2}


async def test_the_event_types_are_the_thirty_and_the_history_filters_by_type_and_entity() -> None:
    async with v3_emulator() as v3:
        types = (await v3.call("GET", "/v3/webhooks/event-types")).data
        first = await render(v3)
        await render(v3, f"Broken {MARK}")
        failures = (await v3.call("GET", "/v3/webhooks/events", params={"event_type": "avatar_video.fail"})).data
        of_first = (await v3.call("GET", "/v3/webhooks/events", params={"entity_id": first})).data
        unknown = await v3.call("GET", "/v3/webhooks/events", params={"event_type": "nope"})
    names = [t["event_type"] for t in types]
    assert len(names) == len(set(names)) == 30
    assert {"batch.finished", "video_agent.success", "ai_clipping.fail", "avatar_video_caption.success"} <= set(names)
    assert [e["event_type"] for e in failures] == ["avatar_video.fail"]
    assert [e["event_data"]["video_id"] for e in of_first] == [first]
    assert (unknown.status, unknown.error["param"]) == (400, "event_type")
