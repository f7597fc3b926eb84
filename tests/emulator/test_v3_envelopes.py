"""HeyGen v3's wire format on the emulator: ``{"data"}`` envelopes, cursor pages, the error shape with its
``param``, ``X-Request-Id`` on every answer, request checks, and where v3 is (and is not) served."""

from __future__ import annotations

import pytest

from heygen_async.emulator import EmulatorConfig
from heygen_async.v3 import WalletCurrency
from tests.support import LOOK_ID, SARA, VIDEO_URL, avatar_video, v3_emulator


async def test_success_lists_and_errors_have_heygens_v3_shapes_and_a_request_id() -> None:
    async with v3_emulator() as v3:
        created = await v3.call("POST", "/v3/videos", avatar_video())
        listed = await v3.call("GET", "/v3/videos")
        missing = await v3.call("GET", "/v3/videos/0123456789abcdef")
        assert created.status == 200
        assert set(created.body) == {"data"}
        assert created.data["status"] == "waiting"
        assert created.data["output_format"] == "mp4"
        assert set(listed.body) == {"data", "has_more", "next_token"}
        assert [v["id"] for v in listed.data] == [created.data["video_id"]]
        assert missing.status == 404
        assert missing.body == {
            "error": {
                "code": "video_not_found",
                "message": "Video not found: 0123456789abcdef",
                "param": None,
                "doc_url": None,
            }
        }
        ids = {reply.headers["X-Request-Id"] for reply in (created, listed, missing)}
        assert len(ids) == 3
        assert all(i.startswith("req_") for i in ids)


async def test_a_missing_or_unknown_key_is_a_401_with_a_request_id() -> None:
    config = EmulatorConfig(api_keys=frozenset({"hk_the-only-key"}))
    async with v3_emulator(config) as v3:
        nobody = await v3.as_account("hk_someone-else").call("GET", "/v3/users/me")
        allowed = await v3.as_account("hk_the-only-key").call("GET", "/v3/users/me")
    assert nobody.status == 401
    assert nobody.error["code"] == "authentication_failed"
    assert nobody.headers["X-Request-Id"].startswith("req_")
    assert allowed.status == 200


async def test_v3_is_served_directly_and_not_under_the_gateway_prefix() -> None:
    async with v3_emulator() as v3:
        url = f"{v3.emulator.base_url}/v3/users/me?api_token={v3.emulator.token}"
        async with v3.session.get(url, headers={"X-Api-Key": v3.emulator.api_key}) as response:
            gateway = (response.status, await response.json())
        unknown = await v3.call("GET", "/v3/no-such-thing")
    assert gateway == (404, {"message": "Cannot GET /heygen/v3/users/me"})
    assert unknown.status == 404
    assert unknown.error["code"] == "not_found"
    assert unknown.headers["X-Request-Id"].startswith("req_")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"avatar_id": LOOK_ID, "script": "Hi"}, "type"),
        ({"type": "hologram"}, "type"),
        ({"type": "avatar", "script": "Hi", "voice_id": SARA}, "avatar_id"),
        ({"type": "avatar", "avatar_id": LOOK_ID}, "script"),
        ({"type": "avatar", "avatar_id": LOOK_ID, "script": "Hi", "audio_url": "https://example.com/a.mp3"}, "script"),
        ({**avatar_video(), "script": "x" * 5001}, "script"),
        ({**avatar_video(), "resolution": "8k"}, "resolution"),
        ({**avatar_video(), "output_format": "webm", "background": {"type": "color", "value": "#fff"}}, "background"),
        ({**avatar_video(), "engine": {"type": "avatar_vi"}}, "engine.type"),
        ({**avatar_video(), "callback_url": "ftp://example.com/hook"}, "callback_url"),
        ({**avatar_video(), "remove_background": "yes"}, "remove_background"),
        ({"type": "image", "image": {"type": "url"}, "script": "Hi", "voice_id": SARA}, "image.url"),
        ({"type": "studio", "scenes": []}, "scenes"),
        (
            {"type": "studio", "scenes": [{"type": "avatar_video", "input": {"type": "avatar"}}]},
            "scenes[0].input.avatar_id",
        ),
    ],
)
async def test_a_bad_video_body_is_a_400_naming_the_field(body: dict[str, object], param: str) -> None:
    async with v3_emulator() as v3:
        reply = await v3.call("POST", "/v3/videos", body)
        assert reply.status == 400
        assert reply.error["code"] == "invalid_parameter"
        assert reply.error["param"] == param
        assert v3.emulator.stats()["v3"]["videos_created"] == 0


async def test_unknown_ids_in_a_body_are_resource_specific_404s_and_an_unfetchable_url_is_download_failed() -> None:
    async with v3_emulator() as v3:
        avatar = await v3.call("POST", "/v3/videos", avatar_video(avatar_id="nobody"))
        voice = await v3.call("POST", "/v3/videos", avatar_video(voice_id="no-such-voice"))
        deleted_voice = await v3.call("DELETE", "/v3/voices/no-such-voice")
        unreachable = {"type": "url", "url": "https://files.example.invalid/in.mp4"}
        download = await v3.call("POST", "/v3/lipsyncs", {"video": unreachable, "audio": unreachable})
    assert (avatar.status, avatar.error["code"], avatar.error["param"]) == (404, "avatar_not_found", "avatar_id")
    assert (voice.status, voice.error["code"], voice.error["param"]) == (404, "voice_not_found", "voice_id")
    assert (deleted_voice.status, deleted_voice.error["code"]) == (404, "voice_not_found")
    assert (download.status, download.error["code"], download.error["param"]) == (400, "download_failed", "video.url")


async def test_a_list_walks_in_pages_with_next_token_and_refuses_a_limit_over_its_maximum() -> None:
    async with v3_emulator(EmulatorConfig(concurrent_jobs=50)) as v3:
        created = [
            (await v3.call("POST", "/v3/videos", avatar_video(f"Video {i}"))).data["video_id"] for i in range(23)
        ]
        walked = await v3.walk("/v3/videos", limit=10)
        over = await v3.call("GET", "/v3/videos", params={"limit": "101"})
        zero = await v3.call("GET", "/v3/avatars", params={"limit": "0"})
        looks_over = await v3.call("GET", "/v3/avatars/looks", params={"limit": "51"})
        forged = await v3.call("GET", "/v3/videos", params={"token": "not-a-token"})
    assert [v["id"] for v in walked] == list(reversed(created))  # newest first, each once
    assert (over.status, over.error["code"], over.error["param"]) == (400, "invalid_parameter", "limit")
    assert (zero.status, zero.error["param"]) == (400, "limit")
    assert (looks_over.status, looks_over.error["param"]) == (400, "limit")
    assert (forged.status, forged.error["param"]) == (400, "token")


async def test_items_created_between_two_pages_neither_repeat_nor_shift_the_walk() -> None:
    async with v3_emulator() as v3:
        first = [(await v3.call("POST", "/v3/videos", avatar_video())).data["video_id"] for _ in range(4)]
        page = await v3.call("GET", "/v3/videos", params={"limit": "2"})
        await v3.call("POST", "/v3/videos", avatar_video())
        rest = await v3.call("GET", "/v3/videos", params={"limit": "10", "token": page.body["next_token"]})
    assert [v["id"] for v in page.data + rest.data] == list(reversed(first))


async def test_a_batch_detail_pages_its_items_inside_data() -> None:
    async with v3_emulator() as v3:
        batch = await v3.call("POST", "/v3/videos/batches", {"videos": [avatar_video(f"{i}") for i in range(5)]})
        batch_id = batch.data["batch_id"]
        first = await v3.call("GET", f"/v3/videos/batches/{batch_id}", params={"limit": "3"})
        second = await v3.call(
            "GET", f"/v3/videos/batches/{batch_id}", params={"limit": "3", "token": first.data["next_token"]}
        )
    assert batch.status == 202
    assert set(first.body) == {"data"}
    assert first.data["has_more"] is True
    assert first.data["total_items"] == 5
    assert [i["item_index"] for i in first.data["items"] + second.data["items"]] == [0, 1, 2, 3, 4]
    assert second.data["has_more"] is False
    assert second.data["next_token"] is None


async def test_an_account_never_sees_another_accounts_jobs() -> None:
    async with v3_emulator() as v3:
        theirs = v3.as_account("hk_another-tenant-key")
        video_id = (await v3.call("POST", "/v3/videos", avatar_video())).data["video_id"]
        seen = await theirs.call("GET", f"/v3/videos/{video_id}")
        listed = await theirs.call("GET", "/v3/videos")
        statuses = await theirs.call("GET", "/v3/videos/statuses", params={"video_ids": video_id})
    assert seen.status == 404
    assert listed.data == []
    assert statuses.data == [
        {"video_id": video_id, "status": "not_found", "batch_id": None, "item_index": None, "error": None}
    ]


async def test_bodies_that_are_not_json_objects_are_refused() -> None:
    async with v3_emulator() as v3:
        broken = await v3.call("POST", "/v3/videos", data=b"{not json", headers={"Content-Type": "application/json"})
        a_list = await v3.call("POST", "/v3/videos", [avatar_video()])
    assert (broken.status, broken.error["code"]) == (400, "invalid_parameter")
    assert (a_list.status, a_list.error["code"]) == (400, "invalid_parameter")


async def test_other_create_bodies_are_checked_field_by_field() -> None:
    async with v3_emulator() as v3:
        video = {"type": "url", "url": VIDEO_URL}
        language = await v3.call("POST", "/v3/video-translations", {"video": video, "output_languages": ["Klingon"]})
        no_title = await v3.call(
            "POST", "/v3/video-translations/proofreads", {"video": video, "output_languages": ["German"]}
        )
        speed = await v3.call("POST", "/v3/voices/speech", {"text": "Hi", "voice_id": SARA, "speed": 3})
        not_tts = await v3.call(
            "POST", "/v3/voices/speech", {"text": "Hi", "voice_id": "3b1633a466c44379bf8b5a2884727588"}
        )
        event = await v3.call("POST", "/v3/webhooks/endpoints", {"url": "https://example.com/h", "events": ["nope"]})
        kind = await v3.call("POST", "/v3/avatars", {"type": "cartoon", "name": "X"})
        prompt = await v3.call("POST", "/v3/video-agents", {"prompt": ""})
    assert language.error["param"] == "output_languages[0]"
    assert no_title.error["param"] == "title"
    assert speed.error["param"] == "speed"
    assert not_tts.error["param"] == "voice_id"
    assert event.error["param"] == "events[0]"
    assert kind.error["param"] == "type"
    assert prompt.error["param"] == "prompt"
    assert {r.status for r in (language, no_title, speed, not_tts, event, kind, prompt)} == {400}


async def test_users_me_carries_the_billing_fields_and_the_wallet_pays_for_renders() -> None:
    async with v3_emulator(EmulatorConfig(wallet_balance=2.0)) as v3:
        before = (await v3.call("GET", "/v3/users/me")).data
        await v3.call("POST", "/v3/videos", avatar_video())
        await v3.call("POST", "/v3/videos", avatar_video())
        broke = await v3.call("POST", "/v3/videos", avatar_video())
        after = (await v3.call("GET", "/v3/users/me")).data
    assert before["billing_type"] == "wallet"
    auto_reload = {"enabled": False, "threshold_usd": None, "amount_usd": None}  # an AutoReloadInfo, as documented
    assert before["wallet"] == {"remaining_balance": 2.0, "currency": "USD", "auto_reload": auto_reload}
    assert {"email", "username", "first_name", "last_name", "subscription", "usage_based"} <= set(before)
    assert (broke.status, broke.error["code"]) == (402, "insufficient_credit")
    assert after["wallet"]["remaining_balance"] == 0.0


async def test_users_me_is_what_the_client_reads() -> None:
    """Was ``"auto_reload": false`` (HeyGen's schema: an AutoReloadInfo object or null): the client refused the
    answer as not a UserInfoResponse, so ``heygen-async quota --direct`` failed."""
    async with v3_emulator() as v3, v3.emulator.direct_client() as client:
        me = await client.v3.users.me()
    assert me.wallet is not None
    assert me.wallet.currency is WalletCurrency.USD
    assert me.wallet.auto_reload is not None
    assert me.wallet.auto_reload.enabled is False


def test_every_v3_route_is_a_fault_injection_target() -> None:
    from heygen_async.emulator import Faults
    from heygen_async.emulator._faults import FaultPlan

    plan = FaultPlan(Faults(rate=1.0, kinds={"500": 1.0}, endpoints=frozenset({"POST /v3/videos"})))
    plan.inject("lost", endpoint="GET /v3/videos/{video_id}")
    assert plan.draw("GET /v3/videos") is None
    assert plan.draw("GET /v3/videos/{video_id}") == "lost"
    assert plan.draw("POST /v3/videos") == "500"
    with pytest.raises(ValueError, match="POST /v3/videos"):
        plan.inject("500", endpoint="POST /v3/video")
