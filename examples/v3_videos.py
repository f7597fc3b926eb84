"""Render videos with HeyGen v3 in direct mode: one created, waited for and downloaded (or its URL printed), then
several at once with ``create_many``, none made twice even when an answer is lost.

What it shows:

- ``client.v3.videos.create(type="avatar", avatar_id=..., script=..., voice_id=...)``: HeyGen's current API
  (it ran the legacy v1/v2 routes only through 2026-10-31), served by HeyGen itself (``HeyGenClient.direct()``).
  Each create carries an ``Idempotency-Key``: sent again with the same key (a retry, a rerun of a script that
  died), it gets the same video back instead of a second render;
- ``client.v3.videos.wait(video_id)``: the library's job waiters, as for the legacy API;
- ``client.v3.videos.download(video, path)`` with ``--out-dir`` (written whole or not at all), else the video's
  URL printed;
- ``client.v3.videos.create_many(requests, concurrency=N)``: each request with its own key, so a create whose
  answer was lost is asked again with that key until HeyGen answers: no item is ambiguous, no render made twice.
  On the emulator one answer is lost on purpose (after the render was made) and one render fails (``#fail``).

By default it runs on the embedded emulator (HeyGen v3 on 127.0.0.1: no account, no internet; time runs 30x).
The exit code is 0 when the first video rendered and no create was left ambiguous. Run it with::

    python examples/v3_videos.py
    python examples/v3_videos.py --out-dir videos/ --videos 5

Against HeyGen itself (key from ``HEYGEN_API_KEY``; this spends credits)::

    python examples/v3_videos.py --direct --avatar-id LOOK_ID --voice-id VOICE_ID --out-dir videos/
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

EMULATOR_POLLS: Final = hg.PollPolicy(first_poll=0.2, max_interval=0.5)
"""The emulator's renders take a second or two here: poll at that pace, not HeyGen's (5 s, then up to 30 s)."""


async def first_look_and_voice(client: hg.HeyGenClient) -> tuple[str, str]:
    """The first avatar look the account lists (a look's id is the ``avatar_id`` a v3 video takes) and its
    default voice (else the first voice listed)."""
    look = (await client.v3.avatars.looks.list(limit=1)).data[0]
    voice_id = look.default_voice_id or (await client.v3.voices.list(limit=1)).data[0].voice_id
    return look.id or "", voice_id or ""


async def tour(client: hg.HeyGenClient, args: argparse.Namespace, emulator: Emulator | None) -> int:
    me = await client.v3.users.me()
    billing = me.billing_type.value if me.billing_type is not None else "?"
    print(f"account: {me.username or me.email or '?'} (billing: {billing})")
    if args.avatar_id and args.voice_id:
        avatar_id, voice_id = args.avatar_id, args.voice_id
    else:
        avatar_id, voice_id = await first_look_and_voice(client)
        avatar_id, voice_id = args.avatar_id or avatar_id, args.voice_id or voice_id
    print(f"avatar look {avatar_id}, voice {voice_id}")

    # One video: our own key, so sending the same create again shows what a retry gets.
    request: dict[str, Any] = {
        "type": "avatar",
        "avatar_id": avatar_id,
        "voice_id": voice_id,
        "script": "Hello from HeyGen v3 and heygen_async!",
        "title": "heygen_async v3 example",
    }
    key = uuid.uuid4().hex
    created = await client.v3.videos.create(**request, idempotency_key=key)
    print(f"created video {created.video_id} with Idempotency-Key {key}")
    again = await client.v3.videos.create(**request, idempotency_key=key)
    same = again.video_id == created.video_id
    print(f"the same create sent again with its key: video {again.video_id} ", end="")
    print("(the same video, no second render)" if same else "(a SECOND render!)")
    video = await client.v3.videos.wait(created.video_id or "", timeout=args.timeout)
    status = video.status.value if video.status is not None else "?"
    print(f"video {video.id}: {status}, {video.duration or 0:g} s of video")
    if args.out_dir is not None:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        path = await client.v3.videos.download(video, args.out_dir / f"{video.id}.mp4")
        print(f"downloaded to {path} ({path.stat().st_size} bytes)")
    else:
        print(f"video_url: {video.video_url}")

    # Many videos: create_many gives each its own key; on the emulator one answer is lost after the render was
    # made (the retry with the same key gets it back) and one render is made to fail.
    requests = [
        {**request, "script": f"Clip {n} of {args.videos}.", "title": f"clip {n}"} for n in range(1, args.videos + 1)
    ]
    if emulator is not None:
        requests.append({**request, "script": "This clip is made to fail #fail", "title": "made to fail"})
        emulator.inject("lost", endpoint="POST /v3/videos")
    renders, replays = _count(emulator, "videos_created"), _count(emulator, "idempotent_replays")
    items: list[hg.BatchItem[Any]] = []
    async for item in client.v3.videos.create_many(requests, concurrency=args.concurrency, timeout=args.timeout):
        items.append(item)
        title = item.input["title"]
        if item.ok:
            print(f"  {title}: video {item.job_id} {item.result.status.value}")
        else:
            print(f"  {title}: {type(item.error).__name__}: {item.error}")
    summary = hg.BatchSummary.of(items)
    print(
        f"create_many: {summary.succeeded} rendered, {summary.failed} failed, {summary.ambiguous} ambiguous, "
        f"{summary.timed_out} timed out"
    )
    if emulator is not None:
        made = _count(emulator, "videos_created") - renders
        replayed = _count(emulator, "idempotent_replays") - replays
        ids = {item.job_id for item in items if item.job_id}
        print(
            f"renders made on the emulator: {made} for {len(ids)} video ids returned (none twice); "
            f"{replayed} create answered again from its key after its answer was lost"
        )
    return 0 if status == "completed" and summary.ambiguous == 0 and same else 1


def _count(emulator: Emulator | None, name: str) -> int:
    """One of the emulator's v3 counters (renders made, idempotent replays); 0 without an emulator."""
    return 0 if emulator is None else int(emulator.stats()["v3"][name])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    target = parser.add_argument_group("target (default: the embedded emulator)")
    target.add_argument("--direct", action="store_true", help="HeyGen itself (key from HEYGEN_API_KEY; spends)")
    target.add_argument("--base-url", help="with --direct: another address for HeyGen")
    parser.add_argument("--avatar-id", default=None, help="an avatar look id (default: the first listed)")
    parser.add_argument("--voice-id", default=None, help="a voice id (default: the look's default voice)")
    parser.add_argument("--videos", type=int, default=3, help="how many create_many renders (default 3)")
    parser.add_argument("--concurrency", type=int, default=3, help="create_many's renders at once (default 3)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for renders (default 1800)")
    parser.add_argument("--out-dir", type=Path, default=None, help="download the first video here")
    args = parser.parse_args(argv)
    if args.base_url is not None and not args.direct:
        parser.error("--base-url is HeyGen's address: give it with --direct")
    if args.videos < 1 or args.concurrency < 1:
        parser.error("--videos and --concurrency must be at least 1")
    return args


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    async with contextlib.AsyncExitStack() as stack:
        emulator: Emulator | None = None
        if args.direct:
            try:
                client = hg.HeyGenClient.direct(**({"base_url": args.base_url} if args.base_url else {}))
            except hg.ConfigurationError as exc:  # no key in the environment, a malformed URL, ...
                print(f"v3_videos: {exc}", file=sys.stderr)
                return 2
        else:
            config = EmulatorConfig(render_seconds=30, pending_seconds=2)
            emulator = await stack.enter_async_context(Emulator(config, clock=ScaledClock(30)))
            print(f"embedded emulator: HeyGen v3 at {emulator.url} (30x time)")
            client = emulator.direct_client(poll_policy=EMULATOR_POLLS)
        await stack.enter_async_context(client)
        try:
            return await tour(client, args, emulator)
        except hg.HeyGenError as exc:
            print(f"v3_videos: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
