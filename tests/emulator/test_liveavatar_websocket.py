"""The emulator's LITE WebSocket: connecting then connected (earlier commands dropped and counted), speech played
in order with speak_started/ended, interrupt, frame checks, idle and max-duration ends on a manual clock, the
WebSocket faults, and a request log that holds no credential. No timed assertions: small audio, order and counts."""

from __future__ import annotations

import json

import aiohttp
import pytest

from heygen_async.emulator import EmulatorConfig
from heygen_async.emulator._liveavatar_ws import container_of
from tests.support import (
    closed_after,
    connected,
    frame,
    frames_until,
    live_emulator,
    pcm,
    round_trip,
    speak,
)

TENTH = 2_400  # samples in 0.1 s of 24 kHz audio


async def test_speech_plays_in_order_with_speak_started_and_ended_and_is_recorded() -> None:
    async with live_emulator() as live:
        started = await live.open()
        async with live.session.ws_connect(started["ws_url"]) as ws:
            await connected(ws)
            for event_id in ("one", "two"):
                await ws.send_json(speak(event_id, pcm(TENTH)))
                await ws.send_json(speak(event_id, pcm(TENTH)))
            await ws.send_json({"type": "agent.speak_end", "event_id": "two"})
            await ws.send_json({"type": "agent.speak_end", "event_id": "one"})
            seen = await frames_until(ws, "agent.speak_ended", event_id="two")
        assert [(f["type"], f["event_id"]) for f in seen] == [
            ("agent.speak_started", "one"),
            ("agent.speak_ended", "one"),
            ("agent.speak_started", "two"),
            ("agent.speak_ended", "two"),
        ]
        assert seen[0]["task"] == seen[1]["task"] != seen[2]["task"]
        one, two = live.emulator.liveavatar.sessions[started["session_id"]].utterances
        assert (one.frames, one.bytes, one.seconds, len(one.frame_arrivals)) == (2, 9_600, 0.2, 2)
        assert one.ended_by_speak_end
        assert not one.interrupted
        assert one.started_at is not None
        assert one.ended_at is not None
        assert two.started_at is not None
        assert one.ended_at <= two.started_at  # one utterance plays at a time
        stats = live.emulator.stats()["liveavatar"]
        assert (stats["speak_frames"], stats["speak_bytes"], stats["utterances"]) == (4, 19_200, 2)


async def test_commands_before_connected_are_dropped_and_counted_and_later_ones_delivered() -> None:
    async with live_emulator() as live:
        started = await live.open()
        live.emulator.liveavatar.delay_connected(60)  # connected comes only once this test has sent its commands
        async with live.session.ws_connect(started["ws_url"]) as ws:
            assert (await frame(ws))["state"] == "connecting"
            await ws.send_json(speak("early", pcm(TENTH)))
            await ws.send_json({"type": "session.keep_alive", "event_id": "k"})
            await ws.send_str("not even json")
            await ws.send_json({"type": "no.such.command"})
            await ws.close()
        async with live.session.ws_connect(started["ws_url"]) as ws:
            await connected(ws)
            await ws.send_json(speak("late", pcm(TENTH)))
            await ws.send_json({"type": "agent.speak_end", "event_id": "late"})
            await frames_until(ws, "agent.speak_ended", event_id="late")
        session = live.emulator.liveavatar.sessions[started["session_id"]]
        assert [u.event_id for u in session.utterances] == ["late"]
        assert [c.type for c in session.commands] == ["agent.speak", "agent.speak_end"]
        assert [(c.connected, c.dropped_before_connected) for c in session.connections] == [(False, 4), (True, 0)]
        stats = live.emulator.stats()["liveavatar"]
        assert (stats["dropped_before_connected"], stats["unknown_commands"], stats["invalid_messages"]) == (4, 0, 0)


async def test_interrupt_drops_playing_and_queued_speech_and_later_frames_of_it() -> None:
    async with live_emulator() as live:
        started = await live.open()
        async with live.session.ws_connect(started["ws_url"]) as ws:
            await connected(ws)
            await ws.send_json(speak("long", pcm(24_000 * 10)))  # ten seconds: still playing when interrupted
            await ws.send_json(speak("queued", pcm(TENTH)))
            await frames_until(ws, "agent.speak_started", event_id="long")
            await ws.send_json({"type": "agent.interrupt"})
            ended = [await frame(ws), await frame(ws)]
            await ws.send_json(speak("long", pcm(TENTH)))  # still in flight when the client heard of it
            await ws.send_json(speak("after", pcm(TENTH)))
            await ws.send_json({"type": "agent.speak_end", "event_id": "after"})
            after = await frames_until(ws, "agent.speak_ended", event_id="after")
        assert ended == [
            {"type": "agent.speak_ended", "event_id": "long", "task": {"id": "task_1"}, "interrupted": True},
            {"type": "agent.speak_ended", "event_id": "queued", "task": {"id": "task_2"}, "interrupted": True},
        ]
        assert [f["type"] for f in after] == ["agent.speak_started", "agent.speak_ended"]
        utterances = live.emulator.liveavatar.sessions[started["session_id"]].utterances
        assert [(u.event_id, u.interrupted, u.ended_by_speak_end, u.frames) for u in utterances] == [
            ("long", True, False, 1),
            ("queued", True, False, 1),
            ("after", False, True, 1),
        ]
        stats = live.emulator.stats()["liveavatar"]
        assert (stats["utterances_interrupted"], stats["frames_after_interrupt"]) == (2, 1)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"event_id": "e", "audio": "***not base64***"}, "invalid_base64"),
        ({"event_id": "e", "audio": "AAAA"}, "odd_length"),  # three bytes
        ({"event_id": "", "audio": "AAAA"}, "missing_event_id"),
        ({"event_id": "e"}, "missing_audio"),
        ({"event_id": "e", "audio": "A" * 1_400_000}, "too_large"),
        ({"event_id": "e", "audio": "UklGRiQAAABXQVZF"}, "container"),  # a WAV header
    ],
)
async def test_a_bad_speak_frame_is_refused_with_an_error_and_nothing_plays(bad: dict[str, str], reason: str) -> None:
    async with live_emulator() as live:
        started = await live.open()
        async with live.session.ws_connect(started["ws_url"]) as ws:
            await connected(ws)
            await ws.send_json({"type": "agent.speak", **bad})
            error = await frame(ws)
        assert error["type"] == "error"
        assert error["message"].startswith("agent.speak refused: ")
        assert error["event_id"] == bad["event_id"]
        assert live.emulator.liveavatar.sessions[started["session_id"]].utterances == []
        stats = live.emulator.stats()["liveavatar"]
        assert (stats["bad_frames"], stats["speak_frames"], stats["speak_bytes"]) == ({reason: 1}, 0, 0)


def test_pcm_that_happens_to_start_like_an_mpeg_sync_word_is_not_taken_for_a_container() -> None:
    assert container_of(b"\xff\xff\xff\xff" * 4) is None  # samples of -1
    assert container_of(b"\xff\xfb\x90\x64" + bytes(8)) == "MP3"
    assert container_of(b"ID3\x04" + bytes(8)) == "MP3"
    assert container_of(pcm(8)) is None


async def test_unknown_commands_and_non_json_are_answered_with_an_error_frame() -> None:
    async with live_emulator() as live:
        started = await live.open()
        async with live.session.ws_connect(started["ws_url"]) as ws:
            await connected(ws)
            await ws.send_json({"type": "start", "event_id": "s"})
            await ws.send_str("[1, 2]")
            await ws.send_bytes(b"\x00\x01")
            errors = [await frame(ws) for _ in range(3)]
        assert [(e["type"], e["event_id"]) for e in errors] == [("error", "s"), ("error", None), ("error", None)]
        assert "'start'" in errors[0]["message"]
        stats = live.emulator.stats()["liveavatar"]
        assert (stats["unknown_commands"], stats["invalid_messages"]) == (1, 2)


async def test_websocket_keep_alive_holds_the_session_past_the_idle_timeout_and_idling_closes_it() -> None:
    async with live_emulator() as live:
        started = await live.open()
        async with live.session.ws_connect(started["ws_url"]) as ws:
            await connected(ws)
            for _ in range(2):
                await live.emulator.advance(200)
                await ws.send_json({"type": "session.keep_alive", "event_id": "k"})
                await ws.send_json({"type": "agent.start_listening", "event_id": "l"})
                await ws.send_json({"type": "agent.stop_listening", "event_id": "l"})
                await round_trip(ws)
            assert live.emulator.liveavatar.sessions[started["session_id"]].state == "started"
            await live.emulator.advance(300)
            seen, code = await closed_after(ws)
        assert [f["state"] for f in seen] == ["closing", "closed"]
        assert code == 1000
        session = live.emulator.liveavatar.sessions[started["session_id"]]
        assert (session.state, session.end_reason) == ("ended", "IDLE_TIMEOUT")
        assert live.emulator.stats()["liveavatar"]["keep_alives"]["ws"] == 2


async def test_a_sandbox_session_ends_at_its_limit_and_its_websocket_says_so() -> None:
    async with live_emulator(EmulatorConfig(liveavatar_sandbox_max_duration=30)) as live:
        started = await live.sandbox()
        async with live.session.ws_connect(started["ws_url"]) as ws:
            await connected(ws)
            await live.emulator.advance(30)
            seen, code = await closed_after(ws)
        assert ([f["state"] for f in seen], code) == (["closing", "closed"], 1000)
        assert live.emulator.liveavatar.sessions[started["session_id"]].end_reason == "MAX_DURATION_REACHED"
        assert live.emulator.stats()["liveavatar"]["sessions_open"] == 0


async def test_a_rest_stop_or_a_server_side_end_closes_the_websocket() -> None:
    async with live_emulator() as live:
        stopped, ended = await live.open(), await live.open()
        async with live.session.ws_connect(stopped["ws_url"]) as ws:
            await connected(ws)
            await live.call("POST", "/v1/sessions/stop", {"session_id": stopped["session_id"]})
            assert (await closed_after(ws))[1] == 1000
        async with live.session.ws_connect(ended["ws_url"]) as ws:
            await connected(ws)
            assert live.emulator.liveavatar.end_session(ended["session_id"], "AVATAR_DELETED")
            seen, code = await closed_after(ws)
        assert ([f["state"] for f in seen], code) == (["closing", "closed"], 1000)
        assert live.emulator.stats()["liveavatar"]["sessions_ended"] == {"USER_CLOSED": 1, "AVATAR_DELETED": 1}
        async with live.session.get(stopped["ws_url"].replace("ws://", "http://")) as refused:
            assert refused.status == 403  # an ended session's WebSocket does not open again


async def test_a_dropped_websocket_leaves_the_session_open_for_a_reconnect() -> None:
    async with live_emulator() as live:
        started = await live.open()
        for abort in (False, True):
            async with live.session.ws_connect(started["ws_url"]) as ws:
                await connected(ws)
                await live.emulator.liveavatar.drop_websocket(started["session_id"], abort=abort)
                message = await ws.receive(timeout=30)
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
                if not abort:
                    assert ws.close_code == 1011
        assert live.emulator.liveavatar.sessions[started["session_id"]].state == "started"
        async with live.session.ws_connect(started["ws_url"]) as ws:
            await connected(ws)
            await round_trip(ws)
        assert len(live.emulator.liveavatar.sessions[started["session_id"]].connections) == 3


async def test_refused_handshakes_then_a_connection_and_a_newer_one_replaces_it() -> None:
    async with live_emulator() as live:
        started = await live.open()
        live.emulator.liveavatar.refuse_websocket(times=2)
        for _ in range(2):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await live.session.ws_connect(started["ws_url"])
            assert refused.value.status == 503
        async with live.session.ws_connect(started["ws_url"]) as first:
            await connected(first)
            async with live.session.ws_connect(started["ws_url"]) as second:
                assert (await closed_after(first))[1] == 4001
                await connected(second)
                await round_trip(second)
        stats = live.emulator.stats()["liveavatar"]
        assert (stats["ws_refused"], stats["ws_connections"]) == (2, 2)


async def test_a_websocket_url_with_a_wrong_secret_or_for_a_full_session_is_refused() -> None:
    async with live_emulator() as live:
        started = await live.open()
        wrong = started["ws_url"].split("?token=")[0] + "?token=guess"
        full = await live.open("FULL")
        for url in (wrong, f"{live.emulator.liveavatar_url}/ws/{full['session_id']}?token=x".replace("http", "ws")):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await live.session.ws_connect(url)
            assert refused.value.status == 403
        assert live.emulator.stats()["liveavatar"]["ws_connections"] == 0


async def test_the_request_log_and_session_reprs_hold_no_session_credential() -> None:
    async with live_emulator() as live:
        minted = await live.mint()
        started = await live.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        async with live.session.ws_connect(started.data["ws_url"]) as ws:
            await connected(ws)
        secrets = [
            live.api_key,
            minted["session_token"],
            started.data["ws_url"].split("?token=")[1],
            started.data["livekit_client_token"],
            started.data["livekit_agent_token"],
        ]
        shown = json.dumps(live.emulator.request_log) + repr(live.emulator.liveavatar.sessions)
        assert [s for s in secrets if s in shown] == []
        assert {"token": "***"} in [entry["query"] for entry in live.emulator.request_log]


async def test_leaving_the_emulator_closes_open_websockets() -> None:
    async with live_emulator() as live:
        started = await live.open()
        ws = await live.session.ws_connect(started["ws_url"])
        await connected(ws)
        await live.emulator.aclose()
        assert (await closed_after(ws))[1] == 1001
        await ws.close()
