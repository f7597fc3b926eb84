"""Status polls behave as ``videos.status()`` does by default (they go through aiohttp): an answer compressed
although the poll asked for none is read, and credentials in ``base_url`` are sent on every poll."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Callable

import pytest
from aiohttp import web

import heygen_async as hg
from tests.support import FAST_POLL, NO_WAIT_RETRY, ServerFactory

STATUS_PATH = "/heygen/v1/video_status.get"
COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "deflate": zlib.compress}


def _answer(video_id: str, polls: int) -> bytes:
    """The gateway's answer: the render is processing on the first poll and completed from the second on."""
    status = "processing" if polls == 1 else "completed"
    video = {"id": video_id, "status": status, "video_url": "http://127.0.0.1:9/media/v.mp4", "duration": 1.0}
    return json.dumps({"data": {"code": 100, "data": video, "message": "Success"}}).encode()


@pytest.mark.parametrize("encoding", sorted(COMPRESSORS))
async def test_a_wait_reads_answers_compressed_despite_asking_for_none(serve: ServerFactory, encoding: str) -> None:
    """A server that compresses every answer (whatever Accept-Encoding says): a wait with default settings
    gets the video, after the polls it needed, instead of failing every poll as not JSON until its deadline."""
    polls: list[str] = []

    async def status(request: web.Request) -> web.Response:
        polls.append(request.headers.get("Accept-Encoding", ""))
        body = COMPRESSORS[encoding](_answer(request.query["video_id"], len(polls)))
        return web.Response(body=body, headers={"Content-Type": "application/json", "Content-Encoding": encoding})

    app = web.Application()
    app.router.add_get(STATUS_PATH, status)
    base_url = await serve(app)
    async with hg.HeyGenClient("at_tenant", base_url=base_url, poll_policy=FAST_POLL, retry=NO_WAIT_RETRY) as client:
        video = await client.videos.wait("v1", timeout=30)
        assert client.jobs.scheduler.stats.errors == 0, "no poll failed to read its answer"
    assert video.status is hg.VideoStatus.COMPLETED
    assert video.id == "v1"
    assert len(polls) == 2


async def test_polls_send_the_credentials_in_base_url_as_status_calls_do(serve: ServerFactory) -> None:
    """``base_url=http://user:pw@127.0.0.1:PORT/heygen``: a gateway behind basic auth sees the credentials on
    ``videos.status()`` and on every poll of a wait, which then gets the video (a poll without them: 401)."""
    expected = "Basic " + base64.b64encode(b"gateway-user:gateway-pw").decode()
    seen: list[str | None] = []

    async def status(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != expected:
            return web.json_response({"message": "basic auth required"}, status=401)
        polls = sum(1 for value in seen if value == expected)
        return web.Response(body=_answer(request.query["video_id"], polls), content_type="application/json")

    app = web.Application()
    app.router.add_get(STATUS_PATH, status)
    base_url = (await serve(app)).replace("http://", "http://gateway-user:gateway-pw@")
    async with hg.HeyGenClient("at_tenant", base_url=base_url, poll_policy=FAST_POLL, retry=NO_WAIT_RETRY) as client:
        first = await client.videos.status("v1")
        video = await client.videos.wait("v1", timeout=30)
    assert first.status is hg.VideoStatus.PROCESSING
    assert video.status is hg.VideoStatus.COMPLETED
    assert seen == [expected, expected], "the status call and the wait's poll both carried the credentials"
