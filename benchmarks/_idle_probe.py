"""One fresh process's resident memory for ``idle_memory``: before and after importing the HTTP stack, with a
client still open after one ``videos.status`` call (``client``) or a plain aiohttp session after the same GET and
``json()`` (``raw``), all in KB; and the Python memory (``tracemalloc``, bytes) that a second one, opened beside the
first, still holds after its own call: what one more costs once the code is loaded. Prints one JSON line.

``python -m benchmarks._idle_probe {raw|client} BASE_URL VIDEO_ID TOKEN``. Imports are made inside the functions
on purpose: what they cost is part of what is measured.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

Sample = dict[str, int]


def _rss_kb() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


async def _samples(start: int, imported: int, open_and_call: Callable[[AsyncExitStack], Awaitable[None]]) -> Sample:
    async with AsyncExitStack() as stack:  # both stay open until both are measured
        await open_and_call(stack)
        gc.collect()
        idle = _rss_kb()
        tracemalloc.start()
        await open_and_call(stack)
        gc.collect()
        return {"start": start, "imported": imported, "idle": idle, "second": tracemalloc.get_traced_memory()[0]}


async def _raw(base: str, video_id: str, token: str) -> Sample:
    start = _rss_kb()
    import aiohttp

    imported = _rss_kb()

    async def open_and_call(stack: AsyncExitStack) -> None:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        async with session.get(f"{base}/v1/video_status.get?video_id={video_id}&api_token={token}") as response:
            await response.json()

    return await _samples(start, imported, open_and_call)


async def _client(base: str, video_id: str, token: str) -> Sample:
    start = _rss_kb()
    import heygen_async

    imported = _rss_kb()

    async def open_and_call(stack: AsyncExitStack) -> None:
        client = await stack.enter_async_context(heygen_async.HeyGenClient(token, base_url=base))
        await client.videos.status(video_id)

    return await _samples(start, imported, open_and_call)


def main(argv: list[str]) -> None:
    approach, base, video_id, token = argv
    probe = {"raw": _raw, "client": _client}[approach]
    print(json.dumps(asyncio.run(probe(base, video_id, token))))


if __name__ == "__main__":
    main(sys.argv[1:])
