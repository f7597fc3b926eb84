"""A short tour of heygen_async against the embedded emulator on 127.0.0.1 (no account, no internet).

The emulator behaves like LowCodeAPI in front of HeyGen, quirks included: one route served only in the old
path format, one flaky 503, renders that take (emulated) time and sometimes fail. Time runs 30x fast.
The full tour (job waiters, webhooks, streaming, a summary table) is ``heygen-async demo`` (``make demo``).

Run it with ``python examples/smoke.py``.
"""

from __future__ import annotations

import asyncio
import time

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock


async def tour() -> None:
    config = EmulatorConfig(render_seconds=45, pending_seconds=3)
    async with Emulator(config, clock=ScaledClock(30)) as emulator:
        print(f"emulator on {emulator.url} (gateway {emulator.base_url}); 30x emulated time")
        emulator.inject("503", endpoint="avatars.list")
        retries: list[hg.RetryEvent] = []
        policy = hg.RetryPolicy(attempts=3, wait_initial=0.2, on_retry=retries.append)
        started = time.perf_counter()
        # The job waiters poll on a cadence; a quick one suits an emulator whose renders take a second or two.
        cadence = hg.PollPolicy(first_poll=0.5, max_interval=1.0)
        async with emulator.client(retry=policy, poll_policy=cadence) as client:
            print(f"client: {client!r} ({len(client.endpoints)} endpoints)")
            quota = await client.user.remaining_quota()
            print(f"quota: {quota.remaining_quota:.0f} seconds = {quota.credits:.0f} credits")

            avatars = await client.avatars.list()
            names = ", ".join(a.avatar_name or "?" for a in avatars)
            print(f"avatars ({len(retries)} retry after a 503): {names}")

            voice = (await client.voices.list())[0]

            def scene(text: str) -> hg.VideoInput:
                return hg.VideoInput(
                    character=hg.AvatarCharacter(avatar_id="Angela-inTshirt-20220820"),
                    voice=hg.TextVoice(input_text=text, voice_id=voice.voice_id or ""),
                    background=hg.ColorBackground("#FAFAFA"),
                )

            good = await client.videos.generate([scene("Hello from heygen_async!")], dimension=hg.Dimension(1280, 720))
            bad = await client.videos.generate([scene("This one is too long #fail")])
            print(f"videos submitted: {good.video_id}, {bad.video_id}")
            done, failed = await client.videos.wait_many(
                [good.video_id or "", bad.video_id or ""], timeout=60, return_exceptions=True
            )
            print(
                f"rendered: {done.status} in {done.duration} s of video, {done.video_url is not None and 'URL ready'}"
            )
            error = failed.error
            print(f"failed in HeyGen's shape: {type(failed).__name__} (code {error.code}: {error.message})")
            print(f"waited with the job waiters: {client.jobs.scheduler.stats.polls} status polls, none by hand")

            translation = await client.translations.create("https://example.com/talk.mp4", output_language="French")
            status = await client.translations.status(translation.video_translate_id or "")
            print(f"translation {status.video_translate_id}: {status.status}")
            print(f"path formats learnt: {client.path_style_memory.export()}")

            try:
                await client.photo_avatars.get("..")
            except hg.ValidationError as exc:
                print(f"caught before sending: {exc}")
            try:
                await client.videos.generate([scene("hi")], dimension=hg.Dimension(1281, 720))
            except hg.ValidationError as exc:
                print(f"caught before sending: {exc}")

        stats = emulator.stats()
        print(
            f"emulator saw {stats['requests']} requests, {stats['videos_created']} videos created "
            f"({stats['videos_completed']} completed, {stats['videos_failed']} failed)"
        )
        print(f"done in {time.perf_counter() - started:.2f} s; the token never appeared above.")


if __name__ == "__main__":
    asyncio.run(tour())
