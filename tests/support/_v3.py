"""Raw HTTP against the emulator's HeyGen v3 routes (the client's v3 namespaces are generated elsewhere): an
emulator on a manual clock, a caller holding an API key, and the bodies HeyGen v3 accepts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import attrs
from multidict import CIMultiDictProxy

from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock

LOOK_ID = "Angela-inTshirt-20220820"
"""A public look of the v3 catalogue (its ``avatar_id`` for videos); its group's default voice is Sara."""
SARA = "1bd001e7e50f421d891986aad5158bc8"
"""A public starfish (TTS-capable) voice."""
VIDEO_URL = "https://example.com/source.mp4"
AUDIO_URL = "https://example.com/voice.mp3"


def avatar_video(script: str = "Hello from v3.", **fields: Any) -> dict[str, Any]:
    """A ``POST /v3/videos`` body of type ``avatar`` HeyGen accepts."""
    return {"type": "avatar", "avatar_id": LOOK_ID, "script": script, "voice_id": SARA, **fields}


@attrs.frozen
class Reply:
    """One v3 answer: status, parsed JSON body (None if not JSON) and headers."""

    status: int
    body: Any
    headers: CIMultiDictProxy[str]

    @property
    def data(self) -> Any:
        assert self.status < 300, f"expected a success, got {self.status}: {self.body}"
        return self.body["data"]

    @property
    def error(self) -> dict[str, Any]:
        assert self.status >= 400, f"expected an error, got {self.status}: {self.body}"
        error: dict[str, Any] = self.body["error"]
        return error


@attrs.define
class V3Caller:
    """Sends requests to one emulator's v3 routes with one API key (``api_key=None``: the emulator's own)."""

    emulator: Emulator
    session: aiohttp.ClientSession
    api_key: str | None = None

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
    ) -> Reply:
        sent = {"X-Api-Key": self.api_key or self.emulator.api_key, **(headers or {})}
        if key is not None:
            sent["Idempotency-Key"] = key
        async with self.session.request(
            method, self.emulator.url + path, json=body, params=params, headers=sent, data=data
        ) as response:
            raw = await response.read()
            try:
                parsed = await response.json(content_type=None) if raw else None
            except ValueError:
                parsed = None
            return Reply(response.status, parsed, response.headers)

    def as_account(self, api_key: str) -> V3Caller:
        """The same emulator through another API key: another account."""
        return V3Caller(self.emulator, self.session, api_key)

    async def walk(self, path: str, *, limit: int, params: Mapping[str, str] | None = None) -> list[Any]:
        """Every item of a cursor list, page by page; asserts the envelope of each page."""
        items: list[Any] = []
        token: str | None = None
        while True:
            query = {**(params or {}), "limit": str(limit), **({"token": token} if token else {})}
            reply = await self.call("GET", path, params=query)
            assert set(reply.body) == {"data", "has_more", "next_token"}, reply.body
            assert len(reply.data) <= limit
            items.extend(reply.data)
            if not reply.body["has_more"]:
                assert reply.body["next_token"] is None
                return items
            token = reply.body["next_token"]

    async def video_status(self, video_id: str) -> str:
        status: str = (await self.call("GET", f"/v3/videos/{video_id}")).data["status"]
        return status


@contextlib.asynccontextmanager
async def v3_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[V3Caller]:
    """An emulator with ``config`` on a manual clock and a raw v3 caller, for the block."""
    async with (
        Emulator(config, clock=ManualClock()) as emulator,
        aiohttp.ClientSession() as session,
    ):
        yield V3Caller(emulator, session)
