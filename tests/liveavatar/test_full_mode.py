"""A FULL LiveAvatar session: the viewer a front end joins with; speak, chat, interrupt and the listening pose
published as LiveAvatar's data-channel commands (``avatar.speak_text``, ``avatar.speak_response``, ...), joined
with the agent token; ``agent-response`` events as ServerEvents, ``session.stopped`` closing (and stopping) the
session; without the livekit package a ConfigurationError naming the extra, and the session still stopped; the
room joined once however many first commands come at once, and left again by a join that failed, was cancelled or
completed after the session closed.

No LiveKit server runs here: the session is tested through a stand-in ``FullChannel``, and ``LiveKitChannel``
through a stand-in of ``livekit.rtc`` with the shape of livekit/python-sdks' (``Room()``, ``on``, ``connect``,
``local_participant.publish_data(payload, *, reliable, destination_identities, topic)``, ``disconnect``)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import types
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Final

import pytest

import heygen_async as hg
from heygen_async._liveavatar._full import COMMAND_TOPIC, EVENT_TOPIC, FullChannel
from heygen_async._liveavatar._session import LiveAvatarSession
from heygen_async.emulator import Emulator
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID
from tests.support import PERSONA, live_client, wait_until


class RecordingChannel:
    """A ``FullChannel`` that keeps what it was asked, and lets the test play LiveAvatar's side."""

    def __init__(self) -> None:
        self.joined: list[tuple[str, str]] = []
        self.published: list[Mapping[str, Any]] = []
        self.closed = 0
        self.on_event: Callable[[Mapping[str, Any]], None] | None = None

    async def connect(self, url: str, token: str, on_event: Callable[[Mapping[str, Any]], None]) -> None:
        self.joined.append((url, token))
        self.on_event = on_event

    async def publish(self, payload: Mapping[str, Any]) -> None:
        self.published.append(dict(payload))

    async def close(self) -> None:
        self.closed += 1

    def say(self, event: Mapping[str, Any]) -> None:
        assert self.on_event is not None, "not connected"
        self.on_event(event)


def full_session(live: hg.LiveAvatarClient, **options: Any) -> LiveAvatarSession:
    return live.session(avatar_id=LITE_AVATAR_ID, mode="FULL", avatar_persona=dict(PERSONA), **options)


def open_ids(emulator: Emulator) -> set[str]:
    return {session.id for session in emulator.liveavatar.state.open_sessions()}


@pytest.fixture
async def live() -> AsyncIterator[tuple[Emulator, hg.LiveAvatarClient]]:
    async with live_client() as pair:
        yield pair


def test_the_recording_channel_is_a_full_channel() -> None:
    assert isinstance(RecordingChannel(), FullChannel)


async def test_the_viewer_is_the_rooms_url_and_the_client_token_and_hides_it(
    live: tuple[Emulator, hg.LiveAvatarClient],
) -> None:
    emulator, client = live
    async with full_session(client, full_channel=RecordingChannel) as session:
        viewer = session.viewer
        assert session.mode is hg.liveavatar.LiveMode.FULL
        assert viewer.url is not None
        assert viewer.url == session.info.url
        assert viewer.token is not None
        assert viewer.token == session.info.access_token
        assert viewer.token not in repr(viewer)
        assert session.channel is None  # no WebSocket in FULL mode
        assert open_ids(emulator) == {session.id}
    assert open_ids(emulator) == set()


async def test_commands_go_out_as_liveavatars_event_types_over_one_channel_joined_with_the_agent_token(
    live: tuple[Emulator, hg.LiveAvatarClient],
) -> None:
    _, client = live
    channels: list[RecordingChannel] = []

    def make() -> RecordingChannel:
        channels.append(RecordingChannel())
        return channels[-1]

    async with full_session(client, full_channel=make) as session:
        tasks = [
            await session.speak("Hello there"),
            await session.speak("What is on sale?", task_type="talk"),
            await session.chat("And shoes?"),
        ]
        await session.start_listening()
        await session.stop_listening()
        await session.interrupt()
        (channel,) = channels
        agent_token = session.info.livekit_agent_token
        assert agent_token is not None
        assert channel.joined == [(session.info.url, agent_token)]
        assert agent_token != session.viewer.token
    commands = channel.published
    assert [(c["event_type"], c.get("text")) for c in commands] == [
        ("avatar.speak_text", "Hello there"),
        ("avatar.speak_response", "What is on sale?"),
        ("avatar.speak_response", "And shoes?"),
        ("avatar.start_listening", None),
        ("avatar.stop_listening", None),
        ("avatar.interrupt", None),
    ]
    assert {c["session_id"] for c in commands} == {session.id}
    assert len({c["event_id"] for c in commands}) == len(commands)
    assert [task.task_id for task in tasks] == [c["event_id"] for c in commands[:3]]
    assert channel.closed == 1


async def test_speak_audio_is_refused_in_full_mode_and_nothing_is_sent(
    live: tuple[Emulator, hg.LiveAvatarClient],
) -> None:
    _, client = live
    channel = RecordingChannel()
    async with full_session(client, full_channel=lambda: channel) as session:
        with pytest.raises(hg.ValidationError, match="LITE"):
            await session.speak_audio(b"\x00\x00" * 2400)
    assert channel.published == []
    assert channel.joined == []


async def test_agent_response_events_become_server_events_and_session_stopped_closes_it(
    live: tuple[Emulator, hg.LiveAvatarClient],
) -> None:
    """Each event is a ServerEvent of its ``event_type`` with the event as ``data``; one without a name is
    ignored; ``session.stopped`` closes the session, which stops it (one stop)."""
    emulator, client = live
    channel = RecordingChannel()
    async with full_session(client, full_channel=lambda: channel) as session:
        seen: list[hg.SessionEvent] = []

        async def collect() -> None:
            async for event in session.events():
                seen.append(event)

        collector = asyncio.create_task(collect())
        await wait_until(lambda: bool(session._subscribers), what="the subscription")
        await session.speak("Hi")  # joins the room
        channel.say({"event_type": "user.transcription", "event_id": "e1", "text": "hello"})
        channel.say({"no": "name"})
        channel.say({"event_type": "avatar.speak_started", "event_id": "e2"})
        channel.say({"event_type": "session.stopped", "event_id": "e3", "end_reason": "MAX_DURATION_REACHED"})
        await wait_until(lambda: session.state is hg.SessionState.CLOSED, what="the session to close")
        await collector
    server = [event for event in seen if isinstance(event, hg.ServerEvent)]
    assert [(event.type, event.data.get("event_id")) for event in server] == [
        ("user.transcription", "e1"),
        ("avatar.speak_started", "e2"),
        ("session.stopped", "e3"),
    ]
    assert server[0].data["text"] == "hello"
    assert open_ids(emulator) == set()
    assert emulator.liveavatar.stats()["stops"] == 1


async def test_without_livekit_a_command_is_a_configuration_error_and_the_session_is_still_stopped(
    live: tuple[Emulator, hg.LiveAvatarClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, client = live
    monkeypatch.setitem(sys.modules, "livekit", None)  # as if not installed, whatever this machine has
    async with full_session(client) as session:
        with pytest.raises(hg.ConfigurationError, match=r"heygen-async\[livekit\]"):
            await session.speak("Hello")
        still = session.state
    assert still is hg.SessionState.CONNECTED  # still usable: a full_channel could be given next time
    assert session.state is hg.SessionState.CLOSED
    assert open_ids(emulator) == set()
    assert emulator.liveavatar.stats()["stops"] == 1


async def test_a_session_without_an_agent_token_refuses_commands_rather_than_take_the_viewers_place(
    live: tuple[Emulator, hg.LiveAvatarClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client = live
    channel = RecordingChannel()
    async with full_session(client, full_channel=lambda: channel) as session:
        monkeypatch.setattr(
            session,
            "_info",
            hg.liveavatar.LiveSessionInfo(
                session_id=session.id, url=session.info.url, access_token=session.info.access_token
            ),
        )
        with pytest.raises(hg.SessionClosedError, match="livekit_agent_token"):
            await session.speak("Hello")
    assert (channel.joined, channel.published) == ([], [])


# -- LiveKitChannel over a stand-in of livekit.rtc ------------------------------------------------------------------


@dataclasses.dataclass
class DataPacket:
    """livekit.rtc.DataPacket's fields."""

    data: bytes
    kind: int
    participant: Any
    topic: str | None = None


class LocalParticipant:
    def __init__(self) -> None:
        self.published: list[tuple[bytes, bool, list[str], str]] = []

    async def publish_data(
        self,
        payload: bytes | str,
        *,
        reliable: bool = True,
        destination_identities: list[str] | None = None,
        topic: str = "",
    ) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.published.append((data, reliable, list(destination_identities or []), topic))


class Room:
    """livekit.rtc.Room's surface that LiveKitChannel uses, recording each call."""

    made: Final[list[Room]] = []

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.connected: list[tuple[str, str]] = []
        self.disconnected = 0
        self.local_participant = LocalParticipant()
        Room.made.append(self)

    def on(self, event: str, callback: Callable[..., Any] | None = None) -> Callable[..., Any]:
        assert callback is not None
        self.handlers[event] = callback
        return callback

    async def connect(self, url: str, token: str, options: object = None) -> None:
        self.connected.append((url, token))

    async def disconnect(self, *, reason: int = 0) -> None:
        self.disconnected += 1


@pytest.fixture
def fake_livekit(monkeypatch: pytest.MonkeyPatch) -> list[Room]:
    rtc = types.ModuleType("livekit.rtc")
    rtc.Room = Room  # type: ignore[attr-defined]
    package = types.ModuleType("livekit")
    package.rtc = rtc  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "livekit", package)
    monkeypatch.setitem(sys.modules, "livekit.rtc", rtc)
    Room.made.clear()
    return Room.made


async def test_livekit_channel_joins_publishes_on_agent_control_reads_agent_response_and_leaves(
    live: tuple[Emulator, hg.LiveAvatarClient], fake_livekit: list[Room], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client = live
    async with full_session(client) as session:
        await session.speak("Hello")
        (room,) = fake_livekit
        assert room.connected == [(session.info.url, session.info.livekit_agent_token)]
        ((payload, reliable, destinations, topic),) = room.local_participant.published
        assert (reliable, destinations, topic) == (True, [], COMMAND_TOPIC)
        command = json.loads(payload)
        assert (command["event_type"], command["text"], command["session_id"]) == (
            "avatar.speak_text",
            "Hello",
            session.id,
        )

        received = room.handlers["data_received"]
        events: list[hg.ServerEvent] = []
        monkeypatch.setattr(session, "_emit", lambda e: events.append(e) if isinstance(e, hg.ServerEvent) else None)
        received(DataPacket(b'{"event_type": "avatar.speak_ended", "event_id": "x"}', 0, None, EVENT_TOPIC))
        received(DataPacket(b'{"event_type": "avatar.speak_started"}', 0, None, "some-other-topic"))
        received(DataPacket(b"\xff not json", 0, None, EVENT_TOPIC))
        received(DataPacket(b"[1, 2]", 0, None, EVENT_TOPIC))
        assert [(event.type, event.data["event_id"]) for event in events] == [("avatar.speak_ended", "x")]
        assert room.disconnected == 0
    assert room.disconnected == 1


async def test_livekit_channel_leaves_a_room_whose_connect_failed(
    live: tuple[Emulator, hg.LiveAvatarClient], fake_livekit: list[Room], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(self: Room, url: str, token: str, options: object = None) -> None:
        raise ConnectionError("could not reach the LiveKit server")

    monkeypatch.setattr(Room, "connect", refuse)
    emulator, client = live
    async with full_session(client) as session:
        with pytest.raises(ConnectionError):
            await session.speak("Hello")
        (room,) = fake_livekit
        assert room.disconnected == 1
        assert room.local_participant.published == []
    assert open_ids(emulator) == set()


# -- joining the room: once, and never past the session's close -------------------------------------------------


class GatedChannel(RecordingChannel):
    """A :class:`RecordingChannel` whose ``connect`` waits for ``release`` (set by the test) after joining, so a
    test can act while the join is in flight; ``connecting`` is set once it is."""

    def __init__(self, release: asyncio.Event, *, refuse: bool = False) -> None:
        super().__init__()
        self.release = release
        self.refuse = refuse
        self.connecting = asyncio.Event()

    async def connect(self, url: str, token: str, on_event: Callable[[Mapping[str, Any]], None]) -> None:
        await super().connect(url, token, on_event)
        self.connecting.set()
        await self.release.wait()
        if self.refuse:
            raise ConnectionError("the room went away as it was joined")


class GatedChannels:
    """A ``full_channel`` factory of :class:`GatedChannel` sharing one ``release``; keeps each channel made."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.release = asyncio.Event()
        self.refuse = refuse
        self.made: list[GatedChannel] = []

    def __call__(self) -> GatedChannel:
        self.made.append(GatedChannel(self.release, refuse=self.refuse))
        return self.made[-1]

    async def first_join_in_flight(self) -> GatedChannel:
        await wait_until(lambda: bool(self.made) and self.made[0].connecting.is_set(), what="the first join")
        return self.made[0]


async def test_two_first_commands_at_once_join_the_room_once_and_that_channel_is_closed(
    live: tuple[Emulator, hg.LiveAvatarClient],
) -> None:
    """Both see no channel yet; the second waits for the first's join instead of joining a second time (a second
    room connection, with the agent's identity, that nothing would ever close)."""
    _, client = live
    channels = GatedChannels()
    async with full_session(client, full_channel=channels) as session:
        both = asyncio.gather(session.speak("Hi"), session.interrupt())
        await channels.first_join_in_flight()
        for _ in range(5):  # loop steps, no time: the other command runs as far as it can (without the fix: a join)
            await asyncio.sleep(0)
        channels.release.set()
        spoken, _ = await both
    (channel,) = channels.made
    assert len(channel.joined) == 1
    assert [command["event_type"] for command in channel.published] == ["avatar.speak_text", "avatar.interrupt"]
    assert channel.published[0]["event_id"] == spoken.task_id
    assert channel.closed == 1


async def test_a_join_that_completes_after_the_session_closed_is_left_and_nothing_is_published(
    live: tuple[Emulator, hg.LiveAvatarClient],
) -> None:
    """The close runs while the join is in flight (finding no channel to close); the join then completes: the
    channel is closed at once, the command raises SessionClosedError and publishes nothing."""
    emulator, client = live
    channels = GatedChannels()
    async with full_session(client, full_channel=channels) as session:
        speaking = asyncio.ensure_future(session.speak("Hi"))
        channel = await channels.first_join_in_flight()
    assert session.state is hg.SessionState.CLOSED
    assert open_ids(emulator) == set()
    channels.release.set()
    with pytest.raises(hg.SessionClosedError, match="closed while its data channel was being joined"):
        await speaking
    assert channel.published == []
    assert channel.closed == 1
    assert channels.made == [channel]


async def test_a_channel_whose_connect_failed_is_closed_and_the_next_command_joins_afresh(
    live: tuple[Emulator, hg.LiveAvatarClient],
) -> None:
    _, client = live
    channels = GatedChannels(refuse=True)
    channels.release.set()
    async with full_session(client, full_channel=channels) as session:
        with pytest.raises(ConnectionError, match="went away"):
            await session.speak("Hi")
        (refused,) = channels.made
        assert (refused.closed, refused.published) == (1, [])
        assert session.state is hg.SessionState.CONNECTED
        channels.refuse = False
        await session.speak("Hi again")
        _, joined = channels.made
        assert [command.get("text") for command in joined.published] == ["Hi again"]
    assert (refused.closed, joined.closed) == (1, 1)


async def test_a_command_cancelled_while_joining_leaves_the_room(
    live: tuple[Emulator, hg.LiveAvatarClient],
) -> None:
    _, client = live
    channels = GatedChannels()
    async with full_session(client, full_channel=channels) as session:
        speaking = asyncio.ensure_future(session.speak("Hi"))
        channel = await channels.first_join_in_flight()
        speaking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await speaking
        assert (channel.closed, channel.published) == (1, [])
        assert session.state is hg.SessionState.CONNECTED
    assert channel.closed == 1


class NeverJoins(RecordingChannel):
    """A data channel whose join never completes (a LiveKit server that never answers)."""

    async def connect(self, url: str, token: str, on_event: Callable[[Mapping[str, Any]], None]) -> None:
        await asyncio.Event().wait()


async def test_a_join_that_never_completes_fails_the_command_in_time_and_is_left() -> None:
    """A LiveKit join that hangs must not hang the command (nor, holding the join, every command after it): it
    fails within ``connect_timeout`` with a clear error, the half-joined channel is closed, and the session is
    still closed and stopped on exit."""
    channels: list[NeverJoins] = []

    def make() -> FullChannel:
        channels.append(NeverJoins())
        return channels[-1]

    async with live_client() as (emulator, live):
        async with full_session(live, full_channel=make, connect_timeout=0.2) as session:
            with pytest.raises(hg.SessionClosedError, match="not joined within"):
                await asyncio.wait_for(session.speak("Hello"), 5.0)
            with pytest.raises(hg.SessionClosedError, match="not joined within"):
                await asyncio.wait_for(session.interrupt(), 5.0)
        assert [channel.closed for channel in channels] == [1, 1]
        assert open_ids(emulator) == set()
