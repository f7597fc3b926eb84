"""``heygen-async demo``: a real tour of the public API, on the embedded emulator unless ``--live``.

Without ``--live`` it always runs on an emulator started in this process (a configured token is never spent
by surprise), 30x faster than real time, with a webhook receiver on 127.0.0.1 so finished jobs wake their
waiters. The tour: account and quota; avatars and voices; a batch of renders with a live progress line, one of
which fails and is reported; a translation (these through the LowCodeAPI gateway, on its legacy routes); then
HeyGen v3 in direct mode, what a new project uses: renders created with ``create_many``, each with its own
``Idempotency-Key``, one answer lost on the way and recovered without a second render, one render failing; a
live streaming session that speaks, is interrupted and closes; a LiveAvatar session (LITE, sandbox) that
streams audio over its WebSocket and is stopped, with the emulator's count of sessions left open; and a summary
(jobs, v3 renders, time, requests, retries). ``--live`` runs the gateway part against the real gateway after
saying what it will spend and asking (or ``--yes``); HeyGen v3 needs an API key of HeyGen's own
(``examples/v3_videos.py --direct``), and LiveAvatar one of its own (``examples/live_avatar.py``).
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import math
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Final

import attrs

from ._common import EXIT_OK, PROG, UsageError, add_common, confirm, report
from ._output import Output, Progress

if TYPE_CHECKING:
    from heygen_async._client import HeyGenClient
    from heygen_async.emulator import Emulator

__all__ = ["DemoSummary", "add_demo", "run_demo"]

TOKEN_ENV: Final = "LOWCODEAPI_API_TOKEN"
SPEED: Final = 30.0
FAIL_TEXT: Final = "This render is made to fail, to show how failures are reported #fail"


@attrs.define
class DemoSummary:
    """What the tour did, for the closing table (and ``--json``)."""

    backend: str = "emulator"
    jobs_submitted: int = 0
    jobs_succeeded: int = 0
    jobs_failed: int = 0
    jobs_timed_out: int = 0
    translation: str | None = None
    session_spoke: int = 0
    session_interrupted: bool = False
    session_id: str | None = None
    sessions_left_open: int | None = None
    liveavatar_session_id: str | None = None
    liveavatar_audio_seconds: float = 0.0
    liveavatar_sessions_left_open: int | None = None
    webhooks_handled: int = 0
    v3_submitted: int = 0
    v3_succeeded: int = 0
    v3_failed: int = 0
    v3_ambiguous: int = 0
    v3_renders_made: int | None = None
    v3_answers_recovered: int = 0
    v3_replayed: bool | None = None
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    failures_reported: list[str] = attrs.Factory(list)


def add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help="a tour of the library (embedded emulator unless --live)",
        description="A tour of heygen_async: account and quota, avatars and voices, concurrent renders with "
        "progress (one fails) and a translation through the LowCodeAPI gateway, renders with HeyGen v3 in direct "
        "mode (idempotent creates: a lost answer recovered, nothing rendered twice), a live streaming session, "
        "a LiveAvatar session (LITE, sandbox) streaming audio, and a summary. Runs on an emulator "
        "started in this process (--emulator, the default: it injects a fault and reads the emulator's state, so "
        "it never uses a running `heygen-async emulator`) unless --live.",
    )
    parser.add_argument(
        "--videos", type=int, default=3, help="renders in each batch (1..20, default 3), plus one made to fail"
    )
    backend = parser.add_mutually_exclusive_group()
    backend.add_argument(
        "--emulator", action="store_true", help="run on an emulator started for the tour (the default)"
    )
    backend.add_argument("--live", action="store_true", help=f"use the real gateway (needs ${TOKEN_ENV}; spends)")
    parser.add_argument("--yes", action="store_true", help="with --live: do not ask for confirmation")
    add_common(parser, client=False)
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    out = Output(json_mode=args.json)

    def body() -> int:
        if not 1 <= args.videos <= 20:
            raise UsageError(f"--videos must be within 1..20, got {args.videos}")
        if args.live:
            _confirm_live(args, out)
        summary = asyncio.run(run_demo(out, videos=args.videos, live=args.live))
        if out.json_mode:
            out.json(summary)
        return EXIT_OK

    return report(args, out, body)


def _confirm_live(args: argparse.Namespace, out: Output) -> None:
    if not os.environ.get(TOKEN_ENV):
        raise UsageError(f"--live needs a LowCodeAPI token in ${TOKEN_ENV}")
    out.note(
        f"--live spends on your HeyGen account: {args.videos} test renders (watermarked, test mode), one video "
        "translation (billed by HeyGen), and one streaming session for a few seconds (billed by the minute)."
    )
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("--live spends credits: pass --yes to confirm")
    if not confirm("Go ahead?", out):
        raise UsageError("not confirmed; nothing was spent")


async def run_demo(out: Output, *, videos: int = 4, live: bool = False) -> DemoSummary:
    """The tour; returns its summary (also printed as a table unless ``--json``)."""
    summary = DemoSummary(backend="LowCodeAPI gateway (live)" if live else "embedded emulator")
    started = time.monotonic()
    async with _backend(out, live) as (client, emulator):
        await _account(client, out)
        avatar_id, voice_id = await _catalogue(client, out)
        async with _webhooks(client, out, emulator) as receiver:
            finished = await _renders(client, out, summary, avatar_id, voice_id, videos, live)
            await _translate(client, out, summary, finished)
            summary.webhooks_handled = 0 if receiver is None else receiver.stats.handled
        direct = await _v3(emulator, out, summary, videos)
        await _streaming(client, out, summary)
        await _liveavatar(emulator, out, summary)
        if emulator is not None:
            summary.sessions_left_open = len(emulator.account.open_sessions())
        else:  # only the demo's own session: the account may have others, not ours to count
            listed = {s.session_id for s in await client.streaming.list_sessions()}
            summary.sessions_left_open = int(summary.session_id in listed)
        summary.requests = client.stats.requests + (0 if direct is None else direct.requests)
        summary.retries = client.stats.retries + (0 if direct is None else direct.retries)
    summary.seconds = round(time.monotonic() - started, 2)
    _print_summary(out, summary)
    return summary


@contextlib.asynccontextmanager
async def _backend(out: Output, live: bool) -> AsyncIterator[tuple[HeyGenClient, Emulator | None]]:
    import heygen_async as hg

    retry = hg.RetryPolicy(attempts=4, wait_initial=0.2, wait_max=2.0)
    if live:
        async with hg.HeyGenClient(retry=retry) as client:
            yield client, None
        return
    from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

    why = "a token is configured, but only --live spends it" if os.environ.get(TOKEN_ENV) else "no token is configured"
    # LiveAvatar's audio streams in real time whatever the emulator's clock: its sandbox minute is a real one here.
    config = EmulatorConfig(render_seconds=40, pending_seconds=3, liveavatar_sandbox_max_duration=60 * SPEED)
    async with Emulator(config, clock=ScaledClock(SPEED)) as emulator:
        out.note(f"{PROG} demo: {why}; running on the embedded emulator at {emulator.url} (127.0.0.1, {SPEED:g}x time)")
        emulator.inject("503", endpoint="avatars.list")  # one flaky answer: the client retries it
        policy = hg.PollPolicy(first_poll=0.5, max_interval=2.0)
        async with emulator.client(retry=retry, poll_policy=policy) as client:
            yield client, emulator


def _step(out: Output, title: str) -> None:
    out.note("")
    out.note(f"== {title}")


async def _account(client: HeyGenClient, out: Output) -> None:
    _step(out, "Account")
    user, quota = await asyncio.gather(client.user.me(), client.user.remaining_quota())
    out.note(f"user: {user.username or user.email or '?'}")
    if quota.remaining_quota is not None:
        out.note(f"quota: {quota.remaining_quota:,.0f} seconds ({quota.credits:,.1f} credits)")


async def _catalogue(client: HeyGenClient, out: Output) -> tuple[str, str]:
    _step(out, "Avatars and voices")
    avatars, voices = await asyncio.gather(client.avatars.list(), client.voices.list())
    retries = client.stats.retries
    out.note(f"{len(avatars)} avatars, {len(voices)} voices" + (f" ({retries} retry after a 503)" if retries else ""))
    for avatar in list(avatars)[:3]:
        out.note(f"  avatar {avatar.avatar_id}: {avatar.avatar_name}")
    if not len(avatars) or not len(voices):
        raise UsageError("the account lists no avatars or no voices: nothing to render")
    voice = next((v for v in voices if (v.language or "").lower().startswith("english")), voices[0])
    out.note(f"  voice {voice.voice_id}: {voice.name} ({voice.language})")
    return avatars[0].avatar_id or "", voice.voice_id or ""


@contextlib.asynccontextmanager
async def _webhooks(client: HeyGenClient, out: Output, emulator: Emulator | None) -> AsyncIterator[Any]:
    """On the emulator: a webhook receiver on 127.0.0.1, registered, feeding the job waiters."""
    if emulator is None:
        yield None  # a live run has no public URL to receive on: polling alone
        return
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from heygen_async import webhooks

    _step(out, "Webhooks")
    receiver = webhooks.WebhookReceiver(client=client)
    app = web.Application()
    app.router.add_route("*", "/webhooks/heygen", receiver.aiohttp_handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log=None)
    try:
        url = str(server.make_url("/webhooks/heygen"))
        endpoint = await client.webhooks.ensure(url)
        receiver.set_secret(endpoint.secret or "")
        out.note(f"receiver on {url}, registered as {endpoint.endpoint_id}; deliveries wake the waiters")
        yield receiver
    finally:
        await server.close()


def _scene(avatar_id: str, voice_id: str, text: str) -> dict[str, Any]:
    return {
        "character": {"type": "avatar", "avatar_id": avatar_id},
        "voice": {"type": "text", "voice_id": voice_id, "input_text": text},
        "background": {"type": "color", "value": "#F4F4F8"},
    }


async def _renders(
    client: HeyGenClient, out: Output, summary: DemoSummary, avatar_id: str, voice_id: str, count: int, live: bool
) -> list[Any]:
    import heygen_async as hg

    texts = [f"Hello from heygen_async, video {index + 1} of {count}." for index in range(count)]
    if live:
        _step(out, f"Rendering {count} videos at once")
    else:
        _step(out, f"Rendering {count + 1} videos at once (the last is made to fail)")
        texts.append(FAIL_TEXT)
    submitted = await asyncio.gather(
        *(
            client.videos.generate([_scene(avatar_id, voice_id, text)], dimension=hg.Dimension(1280, 720), test=True)
            for text in texts
        )
    )
    ids = [job.video_id for job in submitted if job.video_id]
    summary.jobs_submitted += len(ids)
    if live:  # a render cannot be made to fail on purpose for free: show a bad input refused before sending
        try:
            await client.videos.generate([_scene(avatar_id, voice_id, "never sent")], dimension=hg.Dimension(1281, 720))
        except hg.ValidationError as exc:
            summary.failures_reported.append(f"refused before sending: {exc}")
            out.note(f"refused before anything was sent (nothing spent): {exc}")
    progress = Progress("renders", stream=out.stderr)
    finished: list[Any] = []
    handles = [client.videos.job(video_id) for video_id in ids]
    try:
        async for handle in client.jobs.as_completed(handles, timeout=600, on_progress=progress.show):
            try:
                video = handle.result()
            except hg.VideoFailed as exc:
                summary.jobs_failed += 1
                summary.failures_reported.append(f"video {exc.job_id} failed: {exc.reason or 'no reason given'}")
            except hg.PollTimeout as exc:
                summary.jobs_timed_out += 1
                summary.failures_reported.append(f"video {exc.job_id} timed out (resume: {exc.resume_token})")
            else:
                summary.jobs_succeeded += 1
                finished.append(video)
    except (asyncio.CancelledError, KeyboardInterrupt):
        progress.interrupted()
        raise
    finally:
        progress.finish()
    for video in finished:
        out.note(f"  {video.id}: {video.status.value if video.status else '?'}, {video.duration or 0:g} s of video")
    for reason in summary.failures_reported:
        out.note(f"  handled: {reason}")
    return finished


async def _translate(client: HeyGenClient, out: Output, summary: DemoSummary, finished: list[Any]) -> None:
    import heygen_async as hg

    _step(out, "Translating a video")
    source = next((video.video_url for video in finished if video.video_url), None)
    if source is None:
        out.note("no finished render to translate; skipped")
        return
    job = await client.translations.create(source, output_language="French", title="heygen_async demo")
    summary.jobs_submitted += 1
    if job.video_translate_id is None:
        raise UsageError("HeyGen answered without a video_translate_id")
    handle = client.translations.job(job.video_translate_id)
    tracker = hg.JobProgress([handle])
    progress = Progress("translation", stream=out.stderr)
    progress.show(tracker)

    def changed(_: Any) -> None:
        tracker.update(handle)
        progress.show(tracker)

    try:
        translation = await handle.wait(timeout=1800, on_status=changed)
    except (asyncio.CancelledError, KeyboardInterrupt):
        progress.interrupted()
        progress.finish()
        raise
    except hg.JobError as exc:
        tracker.ended(handle)
        progress.show(tracker)
        progress.finish()
        if isinstance(exc, hg.PollTimeout):
            summary.jobs_timed_out += 1
        else:
            summary.jobs_failed += 1
        summary.failures_reported.append(str(exc))
        out.note(f"  handled: {exc}")
        return
    tracker.ended(handle)
    progress.show(tracker)
    progress.finish()
    summary.jobs_succeeded += 1
    summary.translation = translation.status.value if translation.status else None
    out.note(f"  {translation.video_translate_id}: {summary.translation} ({translation.output_language})")


async def _v3(emulator: Emulator | None, out: Output, summary: DemoSummary, count: int) -> Any:
    """HeyGen v3 in direct mode on the emulator: one create sent twice with its key, then ``count`` renders and
    one made to fail through ``create_many``, the first answer lost after its render was made. Returns the
    direct client's stats (None when skipped)."""
    import heygen_async as hg

    if emulator is None:  # --live tours the gateway, whose token cannot reach v3
        _step(out, "HeyGen v3 in direct mode")
        out.note("skipped: --live tours the LowCodeAPI gateway; v3 is HeyGen's own API, with a key of HeyGen's")
        out.note(f"(HEYGEN_API_KEY): try `python examples/v3_videos.py --direct` or `{PROG} video create --direct`")
        return None
    _step(out, f"HeyGen v3 in direct mode: {count + 1} renders with Idempotency-Keys (the last is made to fail)")
    retry = hg.RetryPolicy(attempts=4, wait_initial=0.2, wait_max=2.0)
    polls = hg.PollPolicy(first_poll=0.5, max_interval=2.0)
    async with emulator.direct_client(retry=retry, poll_policy=polls) as client:
        me = await client.v3.users.me()
        billing = me.billing_type.value if me.billing_type is not None else "?"
        balance = me.wallet.remaining_balance if me.wallet is not None else None
        out.note(
            f"user {me.username or me.email or '?'}, billing {billing}" + (f", {balance:,.2f} left" if balance else "")
        )
        look = (await client.v3.avatars.looks.list(limit=1)).data[0]
        voice_id = look.default_voice_id or (await client.v3.voices.list(limit=1)).data[0].voice_id or ""
        out.note(f"avatar look {look.id}, voice {voice_id}")
        await _v3_replay(client, out, summary, look.id or "", voice_id)
        base: dict[str, Any] = {"type": "avatar", "avatar_id": look.id, "voice_id": voice_id}
        requests = [{**base, "script": f"Hello from HeyGen v3, video {n} of {count}."} for n in range(1, count + 1)]
        await _v3_batch(client, emulator, out, summary, [*requests, {**base, "script": FAIL_TEXT}])
        return client.stats


async def _v3_replay(client: HeyGenClient, out: Output, summary: DemoSummary, avatar_id: str, voice_id: str) -> None:
    """The same create sent twice with one ``Idempotency-Key``: HeyGen replays the first answer."""
    import uuid

    key = uuid.uuid4().hex
    script = "This create is sent twice with one key, and renders once."
    first = await client.v3.videos.create(
        type="avatar", avatar_id=avatar_id, voice_id=voice_id, script=script, idempotency_key=key
    )
    again = await client.v3.videos.create(
        type="avatar", avatar_id=avatar_id, voice_id=voice_id, script=script, idempotency_key=key
    )
    summary.v3_replayed = first.video_id == again.video_id
    out.note(
        f"one create sent twice with Idempotency-Key {key}: video {first.video_id} both times"
        if summary.v3_replayed
        else f"one create sent twice with one key made two videos: {first.video_id}, {again.video_id}"
    )


async def _v3_batch(
    client: HeyGenClient, emulator: Emulator, out: Output, summary: DemoSummary, requests: list[dict[str, Any]]
) -> None:
    """``create_many`` with the first answer lost after its render was made: asked again with its key, it is
    recovered, so the renders made are exactly the ids returned and no item is ambiguous."""
    counters = emulator.stats()["v3"]
    made_before, replays_before = int(counters["videos_created"]), int(counters["idempotent_replays"])
    emulator.inject("lost", endpoint="POST /v3/videos")
    out.note("the next create's answer is lost after its render is made: create_many asks again with its key")
    ids: set[str] = set()
    async for item in client.v3.videos.create_many(requests, concurrency=len(requests), timeout=600):
        summary.v3_submitted += 1
        ids.update([item.job_id] if item.job_id else [])
        if item.ok:
            summary.v3_succeeded += 1
            video = item.result
            out.note(f"  {video.id}: {video.status.value if video.status else '?'}, {video.duration or 0:g} s of video")
        elif item.ambiguous:
            summary.v3_ambiguous += 1
            out.note(f"  ambiguous: {item.error}")
        else:
            summary.v3_failed += 1
            out.note(f"  handled: {type(item.error).__name__}: {item.error}")
    counters = emulator.stats()["v3"]
    summary.v3_renders_made = made = int(counters["videos_created"]) - made_before
    summary.v3_answers_recovered = int(counters["idempotent_replays"]) - replays_before
    clean = made == len(ids) and not summary.v3_ambiguous
    out.note(
        f"{made} renders made for {len(ids)} video ids returned" + (": none twice, none ambiguous" if clean else "")
    )
    out.note(f"{summary.v3_answers_recovered} lost answer recovered: HeyGen answered its create again from its key")


async def _streaming(client: HeyGenClient, out: Output, summary: DemoSummary) -> None:
    import heygen_async as hg

    _step(out, "A live streaming session")
    avatars = await client.streaming.list_avatars()
    avatar_id = next((a.avatar_id for a in avatars if a.avatar_id), "Wayne_20240711")
    manager = client.streaming.manager(max_sessions=1, acquire_timeout=30)
    async with manager.session(avatar_id=avatar_id, quality="low") as session:
        summary.session_id = session.id
        out.note(f"session {session.id} connected ({session.state.value})")
        first = await session.speak("Hello! I am a live avatar driven by heygen_async.", task_mode="async")
        summary.session_spoke += 1
        out.note(f"  speaking task {first.task_id} ({first.duration or 0:.1f} s of speech)")
        await asyncio.sleep(0.3)
        await session.interrupt()
        summary.session_interrupted = True
        out.note("  interrupted: a newer message wins")
        second = await session.speak("Sorry to cut in. Goodbye!")
        summary.session_spoke += 1
        out.note(f"  speaking task {second.task_id}; closing")
    out.note(
        f"session {session.id} {session.state.value}"
        + ("" if session.stop_error is None else f" (stop failed: {session.stop_error})")
    )
    if session.state is not hg.SessionState.CLOSED:
        raise UsageError("the session did not close")


async def _tone(seconds: float, hertz: float = 220.0) -> AsyncIterator[bytes]:
    """A sine tone as LiveAvatar's LITE mode plays it (PCM s16le, 24 kHz, mono), in 100 ms chunks."""
    rate = 24000
    total, step = round(seconds * rate), rate // 10
    for start in range(0, total, step):
        wave = (round(8000 * math.sin(2 * math.pi * hertz * n / rate)) for n in range(start, min(total, start + step)))
        samples = array.array("h", wave)
        if sys.byteorder == "big":
            samples.byteswap()
        yield samples.tobytes()


async def _liveavatar(emulator: Emulator | None, out: Output, summary: DemoSummary) -> None:
    """A LiveAvatar LITE session in sandbox mode on the emulator: audio streamed over its WebSocket, played to
    its end, the session stopped; then the emulator's count of LiveAvatar sessions still open."""
    import heygen_async as hg

    _step(out, "LiveAvatar: a LITE session in sandbox mode")
    if emulator is None:  # --live tours the gateway, whose token cannot reach LiveAvatar
        out.note("skipped: --live tours the LowCodeAPI gateway; LiveAvatar is an API of its own, with its own key")
        out.note("($LIVEAVATAR_API_KEY): try `python examples/live_avatar.py --base-url https://api.liveavatar.com`")
        return
    async with emulator.liveavatar_client() as live:
        session = live.session(mode="LITE", sandbox=True)
        async with session:
            summary.liveavatar_session_id = session.id
            out.note(f"session {session.id} connected ({session.mode.value}, sandbox): its WebSocket is open")
            played = asyncio.Event()

            async def watch() -> None:
                async for event in session.events():
                    if isinstance(event, hg.TaskFinished):
                        played.set()

            watcher = asyncio.create_task(watch())
            try:
                task = await session.speak_audio(_tone(1.0))
                summary.liveavatar_audio_seconds = (task.duration_ms or 0) / 1000
                pacing = session.pacing.stats() if session.pacing is not None else None
                frames = f" in {pacing.frames} frames" if pacing is not None else ""
                out.note(
                    f"  streamed {summary.liveavatar_audio_seconds:.1f} s of PCM audio{frames}, paced to real time"
                )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(played.wait(), 10.0)
                heard = "played it to its end (agent.speak_ended)" if played.is_set() else "did not say it ended"
                out.note(f"  LiveAvatar {heard}; closing")
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
    out.note(
        f"session {session.id} {session.state.value}"
        + ("" if session.stop_error is None else f" (stop failed: {session.stop_error})")
    )
    summary.liveavatar_sessions_left_open = int(emulator.liveavatar.stats()["sessions_open"])
    out.note(f"LiveAvatar sessions left open: {summary.liveavatar_sessions_left_open}")
    if session.state is not hg.SessionState.CLOSED:
        raise UsageError("the LiveAvatar session did not close")


def _liveavatar_row(summary: DemoSummary) -> str:
    left = summary.liveavatar_sessions_left_open
    if left is None:
        return "skipped"
    return f"LITE sandbox, {summary.liveavatar_audio_seconds:.1f} s of audio, {left} left open"


def _v3_rows(summary: DemoSummary) -> list[tuple[str, Any]]:
    if summary.v3_renders_made is None:
        return [("v3 renders", "skipped")]
    return [
        (
            "v3 renders",
            f"{summary.v3_submitted} submitted, {summary.v3_succeeded} succeeded, {summary.v3_failed} failed",
        ),
        (
            "v3 idempotency",
            f"{summary.v3_answers_recovered} lost answer recovered, {summary.v3_renders_made} made, "
            f"{summary.v3_ambiguous} ambiguous",
        ),
    ]


def _print_summary(out: Output, summary: DemoSummary) -> None:
    if out.json_mode:
        return
    out.line()
    out.table(
        [
            ("backend", summary.backend),
            (
                "jobs",
                f"{summary.jobs_submitted} submitted, {summary.jobs_succeeded} succeeded, {summary.jobs_failed} failed"
                + (f", {summary.jobs_timed_out} timed out" if summary.jobs_timed_out else ""),
            ),
            ("failures reported", len(summary.failures_reported)),
            *_v3_rows(summary),
            ("translation", summary.translation or "-"),
            (
                "live session",
                f"spoke {summary.session_spoke}x, interrupted: {'yes' if summary.session_interrupted else 'no'}",
            ),
            ("sessions left open", summary.sessions_left_open),
            ("LiveAvatar session", _liveavatar_row(summary)),
            ("webhooks handled", summary.webhooks_handled),
            ("requests made", summary.requests),
            ("retries", summary.retries),
            ("time", f"{summary.seconds:.1f} s"),
        ],
        ["summary", ""],
    )
