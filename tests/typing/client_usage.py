"""Type-checked only (``mypy --strict``): the client's public surface, used the way users write it."""

from __future__ import annotations

from typing import Any

import heygen_async as hg


async def gateway() -> None:
    policy = hg.RetryPolicy(attempts=5, wait_initial=0.1, on_retry=lambda event: None)
    async with hg.HeyGenClient(
        "at_x", timeout=hg.Timeout(total=60, attempt=10), retry=policy, limits=hg.Limits(max_connections=10)
    ) as client:
        data: Any = await client.request("GET", "/v2/avatars", timeout=5, max_retries=1)
        await client.request("GET", "/v2/photo_avatar/{id}", path_params={"id": "x"}, timeout=None)
        await client.request("POST", "/v2/video/generate", json={"video_inputs": []}, retry=policy)
        await client.request("GET", "/v1/video.list", params={"limit": 10}, timeout=hg.USE_CLIENT_DEFAULT)
        tenant: hg.HeyGenClient = client.with_options(api_token="at_y", max_retries=0)
        await tenant.aclose()
        memory: dict[str, str] = client.path_style_memory.export()
        del data, memory


async def direct() -> None:
    client = hg.HeyGenClient.direct(heygen_api_key="key", timeout=30)
    try:
        await client.request("GET", "/v2/avatars")
    except hg.RateLimitError as exc:
        wait: float | None = exc.retry_after
        del wait
    except hg.APIStatusError as exc:
        status: int = exc.status_code
        del status
    except hg.APIConnectionError as exc:
        maybe: bool = exc.maybe_processed
        del maybe
    finally:
        await client.aclose()


async def live_avatar() -> None:
    async with hg.LiveAvatarClient("la_key") as live, live.session(sandbox=True, lead=0.5) as session:
        task: hg.StreamingTask = await session.speak_audio(b"\0\0" * 2400, sample_rate=24000)
        viewer: hg.Viewer = session.viewer
        await session.interrupt()
        del task, viewer
