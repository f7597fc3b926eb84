"""The client's own steps per call, timed in isolation (no network): where its CPU over raw aiohttp goes.

Bodies are captured once from the embedded emulator; then each step runs in a tight loop (best of 5 repeats):
request building and validation, the URL, envelope decoding (against a bare ``json.loads`` of the same body,
which raw aiohttp's ``response.json()`` also pays), and cattrs structuring into the result model. The sum is
what a typed call adds to the HTTP exchange that both pay; per-call ratios against raw aiohttp are that sum
over raw's CPU per call, plus the transport's own bookkeeping.
"""

from __future__ import annotations

import asyncio
import json
import timeit
from collections.abc import Callable
from typing import Any

import aiohttp

import heygen_async as hg
from heygen_async._converter import structure_result
from heygen_async._models import AvatarList, Video
from heygen_async._spec._table import ENDPOINTS_BY_NAME
from heygen_async._spec._validation import build_request
from heygen_async._transport._envelope import decode_envelope
from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

from .per_call import CREATE_BODY, SCENES

__all__ = ["run"]

TOKEN = "at_benchmark-token"


def _us(step: Callable[[], Any], number: int) -> float:
    return min(timeit.repeat(step, number=number, repeat=5)) / number * 1e6


async def _measure(number: int) -> list[tuple[str, float]]:
    config = EmulatorConfig(pending_seconds=0, render_seconds=0.05)
    async with Emulator(config, clock=ScaledClock(1.0)) as emulator, aiohttp.ClientSession() as http:
        async with http.post(f"{emulator.base_url}/v2/video/generate?api_token={TOKEN}", json=CREATE_BODY) as answer:
            video_id = (await answer.json())["data"]["data"]["video_id"]
        await asyncio.sleep(0.3)
        async with http.get(f"{emulator.base_url}/v1/video_status.get?video_id={video_id}&api_token={TOKEN}") as r:
            status_body, status_headers = await r.read(), r.headers
        async with http.get(f"{emulator.base_url}/v2/avatars?api_token={TOKEN}") as r:
            avatars_body, avatars_headers = await r.read(), r.headers
        async with emulator.client() as client:
            transport = client._transport
            redactor = transport.redactor
            status = ENDPOINTS_BY_NAME["videos.status"]
            generate = ENDPOINTS_BY_NAME["videos.generate"]
            parts = build_request(status, {"video_id": video_id})
            query = list(parts.query)

            def decode_status() -> Any:
                return decode_envelope(
                    200, status_headers, status_body, gateway=True, endpoint=status.key, redactor=redactor
                )

            def decode_avatars() -> Any:
                return decode_envelope(
                    200, avatars_headers, avatars_body, gateway=True, endpoint="GET /v2/avatars", redactor=redactor
                )

            video_data, avatars_data = decode_status(), decode_avatars()
            arguments = {"video_inputs": SCENES, "dimension": hg.Dimension(1280, 720), "title": "Quarterly update"}
            body = build_request(generate, arguments).body
            return [
                (
                    "videos.status: build_request (argument checks)",
                    _us(lambda: build_request(status, {"video_id": video_id}), number),
                ),
                (
                    "videos.status: URL with the token",
                    _us(lambda: transport.build_url(status.route, "new", {}, query), number),
                ),
                (
                    "videos.status: json.loads of the body (raw pays this too)",
                    _us(lambda: json.loads(status_body), number),
                ),
                ("videos.status: decode_envelope (includes its json.loads)", _us(decode_status, number)),
                ("videos.status: structure into Video", _us(lambda: structure_result(video_data, Video), number)),
                (
                    "avatars.list: json.loads of the body (raw pays this too)",
                    _us(lambda: json.loads(avatars_body), number),
                ),
                ("avatars.list: decode_envelope (includes its json.loads)", _us(decode_avatars, number)),
                (
                    "avatars.list: structure into AvatarList",
                    _us(lambda: structure_result(avatars_data, AvatarList), number),
                ),
                (
                    "videos.generate: build_request, 3 typed scenes",
                    _us(lambda: build_request(generate, arguments), number // 4),
                ),
                (
                    "videos.generate: JSON encoding of the body",
                    _us(lambda: json.dumps(body, separators=(",", ":")).encode(), number),
                ),
            ]


def run(number: int = 20_000) -> str:
    steps = asyncio.run(_measure(number))
    lines = [
        f"Each step alone, best of 5 repeats of {number:,} (no network, no event loop in the timing).",
        "",
        "| step | µs per call |",
        "|---|---|",
        *(f"| {name} | {micro:.1f} |" for name, micro in steps),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
