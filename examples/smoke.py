"""A short tour of heygen_async against a stand-in gateway on 127.0.0.1 (never the internet).

The stand-in answers a few routes the way LowCodeAPI in front of HeyGen does, quirks included: the
``result`` wrapper, a route only served in the old path format, one flaky 503, and HeyGen's error shapes.
It is replaced by the embedded emulator once that lands (`heygen-async demo`).

Run it with ``make demo``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

import heygen_async as hg

TOKEN = "at_demo-" + secrets.token_hex(8)


def _wrap(body: dict[str, Any]) -> dict[str, Any]:
    return {"message": "Request completed", "provider": "heygen", "result": body, "response_headers": {}}


def stand_in_gateway() -> web.Application:
    counts = {"avatars": 0}

    @web.middleware
    async def check_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.query.get("api_token") != TOKEN:
            return web.json_response(
                {"message": "A valid API token is required to access this API.", "provider": "heygen"}, status=401
            )
        return await handler(request)

    async def quota(request: web.Request) -> web.Response:
        return web.json_response(_wrap({"error": None, "data": {"remaining_quota": 3600, "details": {"api": 3600}}}))

    async def avatars(request: web.Request) -> web.Response:
        counts["avatars"] += 1
        if counts["avatars"] == 1:  # one transient failure, retried by the client
            return web.Response(status=503, text="<html>503 Service Unavailable</html>", content_type="text/html")
        return web.json_response(
            _wrap(
                {
                    "error": None,
                    "data": {
                        "avatars": [
                            {"avatar_id": "Angela-inTshirt-20220820", "avatar_name": "Angela in T-shirt"},
                            {"avatar_id": "Tyler-incasualsuit-20220721", "avatar_name": "Tyler in Casual Suit"},
                        ],
                        "talking_photos": [],
                    },
                }
            )
        )

    async def translation_old_format(request: web.Request) -> web.Response:
        return web.json_response(
            _wrap(
                {
                    "error": None,
                    "data": {
                        "video_translate_id": request.query["video_translate_id"],
                        "status": "running",
                        "title": "Demo",
                    },
                }
            )
        )

    async def not_served(request: web.Request) -> web.Response:
        return web.Response(status=404, text="Cannot GET", content_type="text/html")

    async def generate(request: web.Request) -> web.Response:
        body = await request.json()
        if "video_inputs_override" in body:
            error = {"data": None, "error": {"code": "invalid_parameter", "message": "video_inputs is invalid"}}
            return web.json_response(
                {"message": "Error received from the heygen API", "provider": "heygen", "error": error, "headers": {}},
                status=400,
            )
        return web.json_response(_wrap({"error": None, "data": {"video_id": "v-" + secrets.token_hex(4)}}))

    app = web.Application(middlewares=[check_token])
    app.router.add_get("/heygen/v2/user/remaining_quota", quota)
    app.router.add_get("/heygen/v2/avatars", avatars)
    app.router.add_get("/heygen/v2/video_translate/video_translate_id", translation_old_format)
    app.router.add_get("/heygen/v2/video_translate/{tid}", not_served)
    app.router.add_post("/heygen/v2/video/generate", generate)
    return app


async def tour(base_url: str) -> None:
    retries: list[hg.RetryEvent] = []
    policy = hg.RetryPolicy(attempts=3, wait_initial=0.2, on_retry=retries.append)
    started = time.perf_counter()
    async with hg.HeyGenClient(TOKEN, base_url=base_url, retry=policy) as client:
        print(f"client: {client!r} ({len(client.endpoints)} endpoints)")
        quota = await client.user.remaining_quota()
        print(f"quota: {quota.remaining_quota:.0f} seconds = {quota.credits:.0f} credits")

        avatars = await client.avatars.list()
        names = ", ".join(a.avatar_name or "?" for a in avatars)
        print(f"avatars ({len(retries)} retry after a 503): {names}")

        translation = await client.translations.status("tr-42")
        print(f"translation {translation.video_translate_id}: {translation.status}")
        print(f"path formats learnt: {client.path_style_memory.export()}")

        scene = hg.VideoInput(
            character=hg.AvatarCharacter(avatar_id="Angela-inTshirt-20220820"),
            voice=hg.TextVoice(input_text="Hello from heygen_async!", voice_id="1bd001e7e50f421d891986aad5158bc8"),
        )
        job = await client.videos.generate([scene], dimension=hg.Dimension(1280, 720))
        print(f"video submitted: {job.video_id}")
        try:
            await client.videos.generate([scene], extra_body={"video_inputs_override": []}, title="")
        except hg.BadRequestError as exc:
            print(f"refused as expected: {type(exc).__name__} (code {exc.code}): {exc.error_message}")

        try:
            await client.photo_avatars.get("..")
        except hg.ValidationError as exc:
            print(f"caught before sending: {exc}")
        try:
            await client.videos.generate([scene], dimension=hg.Dimension(1281, 720))
        except hg.ValidationError as exc:
            print(f"caught before sending: {exc}")

    print(f"done in {time.perf_counter() - started:.2f} s; the token never appeared above.")


async def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    runner = web.AppRunner(stand_in_gateway(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"stand-in gateway on http://127.0.0.1:{port}/heygen (the embedded emulator will replace it)")
    try:
        await tour(f"http://127.0.0.1:{port}/heygen")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
