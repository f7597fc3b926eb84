"""The emulator serves LiveAvatar's REST API under /liveavatar: one handler per table row, API key vs session-token
auth with keys as tenants, FastAPI's 422 shape, page pagination, the session life (credits, sandbox, cap, timers),
faults by row key, counters, and a request log without credentials. Raw HTTP, manual clock."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from heygen_async._spec._liveavatar_table import LIVEAVATAR_ENDPOINTS
from heygen_async.emulator import EmulatorConfig
from heygen_async.emulator._liveavatar_fixtures import SANDBOX_AVATAR_ID
from heygen_async.emulator._liveavatar_handlers import LIVEAVATAR_HANDLERS
from tests.support import live_emulator


def test_every_liveavatar_row_has_exactly_one_handler() -> None:
    assert sorted(LIVEAVATAR_HANDLERS) == sorted(e.key for e in LIVEAVATAR_ENDPOINTS)
    assert len(LIVEAVATAR_HANDLERS) == len(LIVEAVATAR_ENDPOINTS) == 24
    assert all(LIVEAVATAR_HANDLERS[e.key][0] is e for e in LIVEAVATAR_ENDPOINTS)


async def test_start_takes_the_session_token_only_and_only_once() -> None:
    async with live_emulator() as live:
        minted = await live.mint()
        with_key = await live.call("POST", "/v1/sessions/start", {})
        assert with_key.status == 401
        assert with_key.body["code"] == 401
        assert "session token" in with_key.body["message"]
        wrong = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"][:-4] + "AAAA")
        assert wrong.status == 401
        first = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        assert first.status == 201
        assert first.data["session_id"] == minted["session_id"]
        again = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        assert again.status == 401
        assert "already used" in again.body["message"]
        assert live.emulator.stats()["liveavatar"]["sessions_started"] == 1


async def test_a_minted_token_expires_unused_and_is_never_active() -> None:
    async with live_emulator(EmulatorConfig(liveavatar_token_ttl=600)) as live:
        minted = await live.mint()
        active = await live.call("GET", "/v1/sessions", params={"type": "active"})
        assert active.data["results"] == []
        await live.emulator.advance(601)
        late = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        assert late.status == 401
        assert "expired" in late.body["message"]


async def test_stop_and_keep_alive_take_the_key_or_the_bearer_and_languages_need_neither() -> None:
    async with live_emulator() as live:
        minted = await live.mint()
        started = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        session_id = started.data["session_id"]
        by_bearer = {"bearer": minted["session_token"], "key": False}
        kept = await live.call("POST", "/v1/sessions/keep-alive", {"session_id": session_id}, **by_bearer)
        assert kept.data is None
        assert (await live.call("POST", "/v1/sessions/keep-alive", {"session_id": session_id})).data is None
        other = await live.mint()
        wrong_session = await live.call("POST", "/v1/sessions/stop", {"session_id": other["session_id"]}, **by_bearer)
        assert wrong_session.status == 403
        nothing = await live.call("POST", "/v1/sessions/stop", {"session_id": session_id}, key=False)
        assert nothing.status == 401
        assert (await live.call("POST", "/v1/sessions/stop", {"session_id": session_id}, **by_bearer)).data is None
        assert live.emulator.liveavatar.sessions[session_id].end_reason == "USER_CLOSED"
        assert (await live.call("GET", "/v1/languages", key=False)).data[0] == {"language": "English", "code": "en"}
        assert (await live.call("GET", "/v1/users/credits", key=False)).status == 401
        assert live.emulator.stats()["liveavatar"]["keep_alives"]["rest"] == 2


async def test_a_key_the_emulator_does_not_accept_gets_401() -> None:
    async with live_emulator(EmulatorConfig(liveavatar_api_keys=frozenset({"la_good"}))) as live:
        refused = await live.call("GET", "/v1/avatars")
        assert refused.status == 401
        assert refused.body == {"code": 401, "message": "Invalid or missing API key: send it in the X-API-KEY header"}
        assert (await live.as_account("la_good").call("GET", "/v1/avatars")).status == 200


async def test_keys_are_tenants_that_never_see_each_others_sessions_avatars_or_contexts() -> None:
    async with live_emulator() as live:
        other = live.as_account()
        session_id = (await live.open())["session_id"]
        context = (await live.call("POST", "/v1/contexts", {"name": "c", "prompt": "p", "opening_text": "o"})).data
        own_avatar = (await live.call("GET", "/v1/avatars")).data["results"][0]["id"]
        for path in (f"/v1/sessions/{session_id}", f"/v1/contexts/{context['id']}", f"/v1/avatars/{own_avatar}"):
            assert (await other.call("GET", path)).status == 404, path
        assert (await other.call("POST", "/v1/sessions/stop", {"session_id": session_id})).status == 404
        assert (await other.call("GET", "/v1/sessions", params={"type": "active"})).data["count"] == 0
        assert (await other.call("GET", "/v1/contexts")).data["count"] == 0
        assert own_avatar not in {a["id"] for a in (await other.call("GET", "/v1/avatars")).data["results"]}
        assert live.emulator.liveavatar.sessions[session_id].state == "started"


async def test_a_bad_request_gets_a_422_listing_every_problem_in_fastapis_shape() -> None:
    async with live_emulator() as live:
        body = {"mode": "lite", "is_sandbox": "yes", "video_settings": {"quality": "4k"}, "max_session_duration": 0}
        refused = await live.call("POST", "/v1/sessions/token", body)
        assert refused.status == 422
        detail = refused.body["detail"]
        assert [(e["loc"], e["type"]) for e in detail] == [
            (["body", "mode"], "enum"),
            (["body", "avatar_id"], "missing"),
            (["body", "is_sandbox"], "bool_type"),
            (["body", "video_settings", "quality"], "value_error"),
            (["body", "max_session_duration"], "greater_than_equal"),
        ]
        assert all(set(e) == {"loc", "msg", "type", "input", "ctx"} for e in detail)
        assert detail[0]["msg"] == "Input should be 'FULL' or 'LITE'"
        assert detail[0]["input"] == "lite"
        assert detail[4]["ctx"] == {"ge": 1}
        pages = await live.call("GET", "/v1/avatars/public", params={"page": "x", "page_size": "101"})
        assert [(e["loc"], e["type"]) for e in pages.body["detail"]] == [
            (["query", "page"], "int_parsing"),
            (["query", "page_size"], "less_than_equal"),
        ]
        empty = await live.call("POST", "/v1/contexts")
        assert empty.status == 422
        assert {tuple(e["loc"]) for e in empty.body["detail"]} == {
            ("body", "name"),
            ("body", "prompt"),
            ("body", "opening_text"),
        }
        assert live.emulator.stats()["liveavatar"]["sessions_minted"] == 0


async def test_full_mode_needs_a_persona_and_lite_must_be_asked_for() -> None:
    async with live_emulator() as live:
        bare = await live.call("POST", "/v1/sessions/token", {"avatar_id": SANDBOX_AVATAR_ID, "is_sandbox": True})
        assert bare.status == 422
        assert bare.body["detail"][0]["loc"] == ["body", "avatar_persona"]
        full = await live.open("FULL")
        assert full["ws_url"] is None
        assert full["livekit_client_token"].count(".") == 2
        assert live.emulator.liveavatar.sessions[full["session_id"]].mode == "FULL"


async def test_lists_page_by_number_with_full_links_and_the_success_code_is_configurable() -> None:
    async with live_emulator(EmulatorConfig(liveavatar_success_code=100)) as live:
        for n in range(5):
            reply = await live.call("POST", "/v1/contexts", {"name": f"c{n}", "prompt": "p", "opening_text": "o"})
            assert reply.body["code"] == 100
        first = await live.call("GET", "/v1/contexts", params={"page_size": "2"})
        page = first.body["data"]
        assert (page["count"], len(page["results"]), page["previous"]) == (5, 2, None)
        link = urlsplit(page["next"])
        assert f"{link.scheme}://{link.netloc}" == live.emulator.url
        assert link.path == "/liveavatar/v1/contexts"
        assert parse_qs(link.query) == {"page": ["2"], "page_size": ["2"]}
        last = (await live.call("GET", "/v1/contexts", params={"page": "3", "page_size": "2"})).body["data"]
        assert [c["name"] for c in last["results"]] == ["c4"]
        assert last["next"] is None
        assert parse_qs(urlsplit(last["previous"]).query) == {"page": ["2"], "page_size": ["2"]}


async def test_sessions_list_active_and_historic_with_what_they_cost() -> None:
    async with live_emulator(EmulatorConfig(liveavatar_credits=10)) as live:
        lite = (await live.open())["session_id"]
        full = (await live.open("FULL"))["session_id"]
        await live.emulator.advance(90)
        assert (await live.call("POST", "/v1/sessions/stop", {"session_id": full})).status == 200
        active = (await live.call("GET", "/v1/sessions", params={"type": "active"})).data["results"]
        assert [s["id"] for s in active] == [lite]
        assert set(active[0]) == {
            "id",
            "created_at",
            "updated_at",
            "duration",
            "source",
            "mode",
            "is_sandbox",
            "credits_consumed",
            "end_at",
            "end_reason",
        }
        historic = (await live.call("GET", "/v1/sessions", params={"type": "historic"})).data["results"]
        assert [(s["id"], s["duration"], s["credits_consumed"], s["end_reason"]) for s in historic] == [
            (full, 90, 4, "USER_CLOSED")
        ]
        assert historic[0]["end_at"].endswith("Z")
        # 10 - 4 (FULL, two started minutes) - 1 (LITE's escrowed minute)
        assert (await live.call("GET", "/v1/users/credits")).data == {"credits_left": "5.0"}
        transcript = (await live.call("GET", f"/v1/sessions/{lite}/transcript")).data
        assert transcript == {"session_active": True, "next_timestamp": None, "transcript_data": []}


async def test_an_account_without_credits_cannot_start_but_may_use_the_sandbox() -> None:
    async with live_emulator(EmulatorConfig(liveavatar_credits=0)) as live:
        minted = await live.mint()
        refused = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        assert refused.status == 402
        assert "Not enough credits" in refused.body["message"]
        assert live.emulator.stats()["liveavatar"]["sessions_open"] == 0
        sandbox = await live.sandbox()
        assert sandbox["max_session_duration"] == 60


async def test_a_sandbox_session_takes_the_sandbox_avatar_only_and_ends_at_its_short_limit() -> None:
    async with live_emulator() as live:
        refused = await live.call("POST", "/v1/sessions/token", {"mode": "LITE", "avatar_id": "x", "is_sandbox": True})
        assert refused.status == 400
        assert SANDBOX_AVATAR_ID in refused.body["message"]
        session_id = (await live.sandbox())["session_id"]
        await live.emulator.advance(59)
        assert live.emulator.liveavatar.sessions[session_id].state == "started"
        await live.emulator.advance(1)
        session = live.emulator.liveavatar.sessions[session_id]
        assert (session.state, session.end_reason, session.credits_charged) == ("ended", "MAX_DURATION_REACHED", 0)
        assert live.emulator.stats()["liveavatar"]["sessions_ended"] == {"MAX_DURATION_REACHED": 1}


async def test_a_session_longer_than_the_tier_allows_is_refused() -> None:
    async with live_emulator(EmulatorConfig(liveavatar_max_session_duration=600)) as live:
        refused = await live.call(
            "POST", "/v1/sessions/token", {"mode": "LITE", "avatar_id": SANDBOX_AVATAR_ID, "max_session_duration": 601}
        )
        assert refused.status == 400
        assert "max_session_duration" in refused.body["message"]
        assert (await live.open(max_session_duration=30))["max_session_duration"] == 30


async def test_the_concurrency_cap_refuses_a_start_per_account() -> None:
    async with live_emulator(EmulatorConfig(liveavatar_max_concurrent=2)) as live:
        first = (await live.open())["session_id"]
        await live.open()
        minted = await live.mint()
        refused = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        assert refused.status == 400
        assert "concurrent limit reached" in refused.body["message"]
        await live.as_account().open()  # another account has a cap of its own
        await live.call("POST", "/v1/sessions/stop", {"session_id": first})
        retried = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        assert retried.status == 201


async def test_idle_sessions_end_and_a_rest_keep_alive_holds_one_past_the_timeout() -> None:
    async with live_emulator() as live:
        kept = (await live.open())["session_id"]
        idle = (await live.open())["session_id"]
        for _ in range(3):
            await live.emulator.advance(200)
            assert (await live.call("POST", "/v1/sessions/keep-alive", {"session_id": kept})).status == 200
        sessions = live.emulator.liveavatar.sessions
        assert (sessions[kept].state, sessions[idle].end_reason) == ("started", "IDLE_TIMEOUT")
        assert (await live.call("POST", "/v1/sessions/keep-alive", {"session_id": idle})).status == 400
        unknown = await live.call("POST", "/v1/sessions/keep-alive", {"session_id": "nope"})
        assert unknown.status == 404
        assert unknown.body["code"] == 404


async def test_stopping_an_ended_or_never_started_session_is_harmless() -> None:
    async with live_emulator() as live:
        minted = await live.mint()
        body = {"session_id": minted["session_id"], "reason": "USER_DISCONNECTED"}
        for _ in range(2):
            assert (await live.call("POST", "/v1/sessions/stop", body)).status == 200
        session = live.emulator.liveavatar.sessions[minted["session_id"]]
        assert (session.state, session.end_reason) == ("ended", "USER_DISCONNECTED")
        late = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        assert late.status == 401
        stats = live.emulator.stats()["liveavatar"]
        assert (stats["stops"], stats["sessions_started"], stats["sessions_ended"]) == (2, 0, {})


async def test_avatars_voices_and_contexts_behave_as_stored_records() -> None:
    async with live_emulator() as live:
        public = (await live.call("GET", "/v1/avatars/public")).data["results"]
        assert SANDBOX_AVATAR_ID in {a["id"] for a in public}
        mine = (await live.call("GET", "/v1/avatars")).data["results"][0]["id"]
        renamed = await live.call("PATCH", f"/v1/avatars/{mine}", {"name": "Renamed"})
        assert renamed.data["name"] == "Renamed"
        assert (await live.call("PATCH", f"/v1/avatars/{SANDBOX_AVATAR_ID}", {"name": "x"})).status == 404
        assert (await live.call("DELETE", f"/v1/avatars/{mine}")).status == 200
        assert (await live.call("GET", f"/v1/avatars/{mine}")).status == 404
        private = (await live.call("GET", "/v1/voices", params={"voice_type": "private"})).data["results"]
        preview = (await live.call("GET", f"/v1/voices/{private[0]['id']}/preview")).data
        assert preview["audio_base64"].startswith("UklGR")  # "RIFF": a WAV file
        context = (await live.call("POST", "/v1/contexts", {"name": "a", "prompt": "p", "opening_text": "o"})).data
        patched = (await live.call("PATCH", f"/v1/contexts/{context['id']}", {"prompt": "q"})).data
        assert (patched["name"], patched["prompt"]) == ("a", "q")
        assert (await live.call("DELETE", f"/v1/contexts/{context['id']}")).status == 200
        assert (await live.call("GET", f"/v1/contexts/{context['id']}")).status == 404
        assert (await live.call("GET", "/v1/nothing-here")).body["code"] == 404


async def test_faults_name_liveavatar_routes_by_their_row_key() -> None:
    async with live_emulator() as live:
        session_id = (await live.open())["session_id"]
        live.emulator.inject("503", endpoint="POST /v1/sessions/stop")
        assert (await live.call("GET", "/v1/avatars")).status == 200  # another route: untouched
        failed = await live.call("POST", "/v1/sessions/stop", {"session_id": session_id})
        assert failed.status == 503
        assert failed.body == {"code": 503, "message": "Service unavailable"}
        assert live.emulator.liveavatar.sessions[session_id].state == "started"
        live.emulator.inject("lost", endpoint="POST /v1/sessions/stop")
        with pytest.raises(aiohttp.ClientError):
            await live.call("POST", "/v1/sessions/stop", {"session_id": session_id})
        assert live.emulator.liveavatar.sessions[session_id].state == "ended"  # the work was done
