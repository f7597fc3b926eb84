"""examples/aiohttp_app.py: the demo renders through the app and hears the end by webhook; the app's parts
(cleanup-context client, registration once serving, signed deliveries into the store, the status fallback)
do what its docstring says, on the emulator."""

from __future__ import annotations

import aiohttp
import pytest

from heygen_async.emulator import Emulator
from tests.support import load_example, requests_to, run_script

app_example = load_example("aiohttp_app")


@pytest.mark.parametrize(
    ("script", "status"), [("Hello!", "completed"), ("Hello #fail", "failed")], ids=["completes", "fails"]
)
async def test_the_demo_hears_the_end_of_its_render_by_webhook(
    script: str, status: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await app_example.main(["--script", script]) == 0
    out = capsys.readouterr().out
    assert "POST /videos -> 202" in out
    assert "(source: heygen)" in out  # before the webhook, the status came from HeyGen
    assert f"-> {status} (source: webhook)" in out
    assert "webhook receiver: 1 handled, 0 duplicate(s), 0 refused" in out
    last = out.splitlines()[-1]
    assert last.startswith("outcome: video ")
    assert f" {status} (source: webhook)" in last
    if status == "failed":
        assert last.endswith("nothing is wrong with the video or the account")


async def test_the_app_renders_on_request_and_learns_the_end_from_a_signed_webhook(
    heygen_emulator: Emulator,
) -> None:
    app = app_example.create_app(heygen_emulator.client)
    async with app_example.serving(app) as base_url, aiohttp.ClientSession() as http:
        client = app[app_example.CLIENT]
        assert not client.is_closed
        (endpoint,) = heygen_emulator.account.endpoints.values()  # registered once the app was listening
        assert endpoint.url == base_url + "/webhooks/heygen"
        assert sorted(endpoint.events or []) == ["avatar_video.fail", "avatar_video.success"]

        async with http.post(f"{base_url}/videos", json={"script": "Hello"}) as response:
            assert response.status == 202
            video_id = (await response.json())["video_id"]
        async with http.post(f"{base_url}/videos", json={"script": "Hello #fail"}) as response:
            failing_id = (await response.json())["video_id"]
        async with http.get(f"{base_url}/videos/{video_id}") as response:
            before = await response.json()
        assert (before["source"], before["status"]) == ("heygen", "pending")
        polls = requests_to(heygen_emulator, "videos.status")

        await heygen_emulator.advance(60)  # both renders end; the signed deliveries are made and answered

        async with http.get(f"{base_url}/videos/{video_id}") as response:
            done = await response.json()
        async with http.get(f"{base_url}/videos/{failing_id}") as response:
            failed = await response.json()
        assert requests_to(heygen_emulator, "videos.status") == polls  # the store answered, not HeyGen
        assert (done["source"], done["status"]) == ("webhook", "completed")
        assert done["video_url"].startswith(heygen_emulator.url + "/media/video/")
        assert (failed["source"], failed["status"]) == ("webhook", "failed")
        assert "Emulated failure" in failed["reason"]
        stats = app[app_example.RECEIVER].stats
        assert (stats.handled, stats.unauthorized, stats.not_ready) == (2, 0, 0)
        deliveries = heygen_emulator.deliveries
        assert [(d.status, d.attempts, d.signature is not None) for d in deliveries] == [(200, 1, True)] * 2

        async with http.post(f"{base_url}/videos", json={"text": "no script"}) as response:
            assert response.status == 400
        async with http.get(f"{base_url}/videos/no-such-video") as response:
            assert response.status == 404  # not in the store; HeyGen does not know it either
    assert client.is_closed  # the cleanup context closed it with the app


def test_the_script_runs_its_demo_and_exits_0() -> None:
    result = run_script("aiohttp_app")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " completed (source: webhook)" in result.stdout.splitlines()[-1]
    assert "Traceback" not in result.stderr
