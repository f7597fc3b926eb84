"""LiveAvatar in tests, over raw HTTP and WebSockets: an emulator on a manual clock, a caller holding an API key,
and helpers to mint, start and talk to a session (there is no LiveAvatar client under test here)."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import attrs

from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID, SANDBOX_AVATAR_ID

HANG_GUARD = 30.0
"""Seconds a test waits for a WebSocket frame before failing instead of hanging (never a timing assertion)."""
PERSONA: Mapping[str, Any] = {"voice_id": "b9b0a5e6-8f0c-4c8f-9a47-2d1f3c9e6a01", "language": "en"}


def pcm(samples: int, value: int = 1000) -> bytes:
    """``samples`` of 24 kHz mono s16le PCM, all ``value`` (2 bytes each: 48,000 bytes a second)."""
    return value.to_bytes(2, "little", signed=True) * samples


def speak(event_id: str, audio: bytes) -> dict[str, Any]:
    return {"type": "agent.speak", "event_id": event_id, "audio": base64.b64encode(audio).decode()}


@attrs.frozen
class LiveReply:
    """One LiveAvatar answer: status and parsed JSON body (None if not JSON)."""

    status: int
    body: Any

    @property
    def data(self) -> Any:
        assert self.status < 300, f"expected a success, got {self.status}: {self.body}"
        assert (self.body["code"], self.body["message"]) == (1000, "success"), self.body
        return self.body["data"]


@attrs.define
class LiveCaller:
    """Sends requests to one emulator's LiveAvatar routes with one API key (an account of its own)."""

    emulator: Emulator
    session: aiohttp.ClientSession
    api_key: str = attrs.field(factory=lambda: "la_" + secrets.token_hex(12))

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        bearer: str | None = None,
        key: bool = True,
    ) -> LiveReply:
        """``key=False`` sends no API key; ``bearer`` sends a session token."""
        headers = {"X-Api-Key": self.api_key} if key else {}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        url = self.emulator.liveavatar_url + path
        async with self.session.request(method, url, json=body, params=params, headers=headers) as response:
            raw = await response.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            return LiveReply(response.status, parsed)

    def as_account(self, api_key: str | None = None) -> LiveCaller:
        """The same emulator through another API key: another account."""
        return LiveCaller(self.emulator, self.session, api_key or "la_" + secrets.token_hex(12))

    async def mint(self, mode: str = "LITE", **fields: Any) -> dict[str, Any]:
        """A new session's ``{session_id, session_token}`` (a paid one on a public avatar unless told)."""
        body: dict[str, Any] = {"mode": mode, "avatar_id": LITE_AVATAR_ID, **fields}
        if mode == "FULL":
            body.setdefault("avatar_persona", dict(PERSONA))
        minted: dict[str, Any] = (await self.call("POST", "/v1/sessions/token", body)).data
        return minted

    async def open(self, mode: str = "LITE", **fields: Any) -> dict[str, Any]:
        """Mint and start a session: ``start``'s answer (``session_id``, ``ws_url``, ...)."""
        minted = await self.mint(mode, **fields)
        started = await self.call("POST", "/v1/sessions/start", {}, bearer=minted["session_token"], key=False)
        assert started.status == 201, started.body
        data: dict[str, Any] = started.data
        return data

    async def sandbox(self) -> dict[str, Any]:
        return await self.open(avatar_id=SANDBOX_AVATAR_ID, is_sandbox=True)


async def frame(ws: aiohttp.ClientWebSocketResponse[Any]) -> dict[str, Any]:
    """The next JSON frame (fails on a close)."""
    message = await ws.receive(timeout=HANG_GUARD)
    assert message.type == aiohttp.WSMsgType.TEXT, (message.type, message.data, message.extra)
    parsed: dict[str, Any] = json.loads(message.data)
    return parsed


async def frames_until(ws: aiohttp.ClientWebSocketResponse[Any], kind: str, **match: Any) -> list[dict[str, Any]]:
    """Frames received up to and including the first of type ``kind`` whose fields equal ``match``."""
    seen: list[dict[str, Any]] = []
    while True:
        seen.append(await frame(ws))
        last = seen[-1]
        if last.get("type") == kind and all(last.get(k) == v for k, v in match.items()):
            return seen


async def connected(ws: aiohttp.ClientWebSocketResponse[Any]) -> None:
    """Wait for ``connected`` (after ``connecting``)."""
    states = [f.get("state") for f in await frames_until(ws, "session.state_updated", state="connected")]
    assert states == ["connecting", "connected"], states


async def closed_after(ws: aiohttp.ClientWebSocketResponse[Any]) -> tuple[list[dict[str, Any]], int | None]:
    """Every frame until the server closes the socket, and the code its close frame carried (the socket's close
    code when no close frame came)."""
    seen: list[dict[str, Any]] = []
    while True:
        message = await ws.receive(timeout=HANG_GUARD)
        if message.type == aiohttp.WSMsgType.TEXT:
            seen.append(json.loads(message.data))
        elif message.type == aiohttp.WSMsgType.CLOSE:
            code: int = message.data
            return seen, code
        elif message.type in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
            return seen, ws.close_code
        else:
            raise AssertionError(f"unexpected {message.type}: {message.data!r}")


async def round_trip(ws: aiohttp.ClientWebSocketResponse[Any]) -> None:
    """Speak a tiny utterance and wait until it ended: every command sent before it has been taken."""
    event_id = "sync-" + secrets.token_hex(4)
    await ws.send_json(speak(event_id, pcm(2)))
    await ws.send_json({"type": "agent.speak_end", "event_id": event_id})
    await frames_until(ws, "agent.speak_ended", event_id=event_id)


@contextlib.asynccontextmanager
async def live_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[LiveCaller]:
    """An emulator with ``config`` on a manual clock and a raw LiveAvatar caller, for the block."""
    async with (
        Emulator(config, clock=ManualClock()) as emulator,
        aiohttp.ClientSession() as session,
    ):
        yield LiveCaller(emulator, session)
