"""The everyday ``heygen-async`` commands: avatars, voices, quota, me, video, translate, jobs, sessions, webhooks.

Each ``_add_*`` registers a sub-parser whose handler runs an ``async def`` command through
:func:`._common.run`, which supplies the client and turns errors into one line and an exit code. Anything
that waits shows progress on stderr and honours ``--timeout`` (exit 4, with a resume command).

With ``--direct`` (HeyGen itself, ``HEYGEN_API_KEY``) the commands that have a HeyGen v3 route use it: avatars
(v3 looks), voices, quota and me (``/v3/users/me``), video create/status/download (``/v3/videos``, each create
with an ``Idempotency-Key`` it prints, so a rerun with ``--idempotency-key`` cannot render twice), translate
and jobs watch (HeyGen ran the legacy v1/v2 routes only through 2026-10-31). Through the LowCodeAPI gateway (the
default) they keep the legacy routes, the only ones it serves. Webhooks keep the legacy routes; ``sessions
list|reap`` serve HeyGen's legacy streaming API or, with ``--liveavatar``, LiveAvatar, its successor for live
avatars, through the same :class:`~heygen_async.StreamingBackend` seam and ``reap_orphans()``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ._common import (
    EXIT_API,
    EXIT_OK,
    PROG,
    SECRET_ENV,
    UsageError,
    add_backend,
    add_common,
    confirm,
    follow,
    refuse_connection_options,
    report,
    run,
    run_streaming,
)
from ._output import ByteProgress, Output, jsonable, mask

if TYPE_CHECKING:
    from heygen_async._client import HeyGenClient
    from heygen_async._jobs._handle import Job
    from heygen_async._liveavatar._client import LiveAvatarClient
    from heygen_async._streaming._backend import StreamingBackend
    from heygen_async._streaming._manager import SessionManager

__all__ = ["add_api_commands"]

T = TypeVar("T")
V3_KINDS: Final = {"video": "v3_video", "translation": "v3_translation"}
"""What ``jobs watch --kind`` names with ``--direct``: the v3 jobs ``video create`` and ``translate`` start there."""


def add_api_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _add_avatars(commands)
    _add_voices(commands)
    _add_quota(commands)
    _add_me(commands)
    _add_video(commands)
    _add_translate(commands)
    _add_jobs(commands)
    _add_sessions(commands)
    _add_webhooks(commands)


def _seconds(text: str, *, zero: bool) -> float:
    """A finite number of seconds, > 0 (or >= 0 when ``zero``), for argparse (its errors are usage errors)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not (value >= 0 if zero else value > 0) or value == float("inf"):
        wanted = "a finite number of seconds >= 0" if zero else "a positive number of seconds"
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value


def _positive(text: str) -> float:
    return _seconds(text, zero=False)


def _non_negative(text: str) -> float:
    return _seconds(text, zero=True)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


async def _first(items: AsyncIterator[T], limit: int | None) -> list[T]:
    """At most ``limit`` items of a paginated listing, asking for no page beyond them."""
    found: list[T] = []
    async with contextlib.aclosing(items):  # type: ignore[type-var]  # an async generator: aclose() exists
        async for item in items:
            found.append(item)
            if limit is not None and len(found) >= limit:
                break
    return found


def _page(limit: int | None, most: int) -> int | None:
    """A page size that fetches ``limit`` items in one request when it can (HeyGen caps each listing's)."""
    return None if limit is None else min(limit, most)


# -- avatars, voices, quota, me ---------------------------------------------------------------------------


def _add_avatars(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "avatars",
        help="list the account's avatars",
        description="List the avatars (with --direct: HeyGen v3's avatar looks, whose id is the avatar_id a v3 "
        "video takes).",
    )
    parser.add_argument("--limit", type=_count, default=None, help="show at most this many")
    add_common(parser)
    parser.set_defaults(handler=lambda args: run(args, _avatars))


async def _avatars(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    if args.direct:
        looks = await _first(client.v3.avatars.looks.iter_all(limit=_page(args.limit, 50)), args.limit)
        out.result(
            looks,
            [(a.id, a.name, a.gender, a.default_voice_id) for a in looks],
            ["avatar_id", "name", "gender", "default_voice"],
        )
        return EXIT_OK
    avatars = (await client.avatars.list()).avatars[: args.limit]
    out.result(
        avatars,
        [(a.avatar_id, a.avatar_name, a.gender, a.default_voice_id) for a in avatars],
        ["avatar_id", "name", "gender", "default_voice"],
    )
    return EXIT_OK


def _add_voices(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("voices", help="list the voices", description="List the voices.")
    parser.add_argument("--language", default=None, help="only voices of this language (e.g. English)")
    parser.add_argument("--limit", type=_count, default=None, help="show at most this many")
    add_common(parser)
    parser.set_defaults(handler=lambda args: run(args, _voices))


async def _voices(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    if args.direct:  # HeyGen v3 filters by language itself
        listing = client.v3.voices.iter_all(language=args.language or None, limit=_page(args.limit, 100))
        found = await _first(listing, args.limit)
        out.result(
            found,
            [(v.voice_id, v.name, v.language, v.gender) for v in found],
            ["voice_id", "name", "language", "gender"],
        )
        return EXIT_OK
    voices = list((await client.voices.list()).voices)
    if args.language:
        voices = [v for v in voices if (v.language or "").lower() == args.language.lower()]
    voices = voices[: args.limit]
    out.result(
        voices, [(v.voice_id, v.name, v.language, v.gender) for v in voices], ["voice_id", "name", "language", "gender"]
    )
    return EXIT_OK


def _add_quota(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "quota",
        help="show the remaining quota",
        description="Show the remaining quota (with --direct: HeyGen v3's balance, by the account's billing type).",
    )
    add_common(parser)
    parser.set_defaults(handler=lambda args: run(args, _quota))


BILLING: Final = ("billing_type", "wallet", "subscription", "usage_based")
"""What ``/v3/users/me`` says about the account's balance: its billing type, and the one object it fills."""


async def _quota(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    if args.direct:
        user = await client.v3.users.me()
        data = jsonable(user)
        out.fields({key: data.get(key) for key in BILLING}, _balance_rows(user))
        return EXIT_OK
    quota = await client.user.remaining_quota()
    data = {"remaining_quota": quota.remaining_quota, "credits": quota.credits, "details": quota.details}
    out.fields(
        data,
        [
            ("remaining", f"{quota.remaining_quota:g} s" if quota.remaining_quota is not None else None),
            ("credits", quota.credits),
        ],
    )
    return EXIT_OK


def _balance_rows(user: Any) -> list[tuple[str, Any]]:
    """The balance as ``name: value`` lines: only what the account's billing type fills."""
    rows: list[tuple[str, Any]] = [("billing", user.billing_type)]
    wallet, subscription, usage = user.wallet, user.subscription, user.usage_based
    if wallet is not None and wallet.remaining_balance is not None:
        currency = wallet.currency.value if wallet.currency is not None else ""
        rows.append(("balance", f"{wallet.remaining_balance:g} {currency}".rstrip()))
    if subscription is not None:
        rows.append(("plan", subscription.plan))
        credits = subscription.credits
        for name, pool in (
            ("premium credits", credits and credits.premium_credits),
            ("add-on credits", credits and credits.add_on_credits),
        ):
            if pool is not None and pool.remaining is not None:
                rows.append(
                    (name, pool.remaining if pool.resets_at is None else f"{pool.remaining} (resets {pool.resets_at})")
                )
    if usage is not None and usage.spending_current_usd is not None:
        cap = "" if usage.spending_cap_usd is None else f" of a {usage.spending_cap_usd:g} USD cap"
        rows.append(("spent", f"{usage.spending_current_usd:g} USD{cap}"))
    return rows


def _add_me(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "me",
        help="show the account's user",
        description="Show who the credentials belong to (with --direct: HeyGen v3's /v3/users/me, balance included).",
    )
    add_common(parser)
    parser.set_defaults(handler=lambda args: run(args, _me))


async def _me(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    user = await (client.v3.users.me() if args.direct else client.user.me())
    name = " ".join(part for part in (user.first_name, user.last_name) if part) or None
    rows: list[tuple[str, Any]] = [("username", user.username), ("email", user.email), ("name", name)]
    out.fields(user, rows + (_balance_rows(user) if args.direct else []))
    return EXIT_OK


# -- videos --------------------------------------------------------------------------------------------------


def _add_wait(parser: argparse.ArgumentParser, *, flag: bool = True) -> None:
    if flag:
        parser.add_argument("--wait", action="store_true", help="wait for the job to finish, showing progress")
    parser.add_argument("--timeout", type=_positive, default=None, help="give up waiting after this many seconds")
    parser.add_argument(
        "--poll-every", type=_positive, default=None, metavar="SECONDS", help="check this often (default: backoff)"
    )


def _policy(args: argparse.Namespace) -> Any:
    from heygen_async._config import PollPolicy

    every = getattr(args, "poll_every", None)
    return None if every is None else PollPolicy(first_poll=every, max_interval=every, jitter=0.0)


def _add_video(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    video = commands.add_parser(
        "video", help="create, inspect and download avatar videos", description="Avatar videos."
    )
    sub = video.add_subparsers(dest="video_command", metavar="COMMAND", required=True)

    create = sub.add_parser(
        "create",
        help="render an avatar video",
        description="Render an avatar video from flags (one scene) or from a JSON file of videos.generate's "
        'arguments ({"video_inputs": [...], "dimension": {...}, "title": ...}). With --direct: HeyGen v3\'s '
        'POST /v3/videos, from flags or a JSON file of client.v3.videos.create\'s arguments ({"type": "avatar", '
        '"avatar_id": ..., "script": ..., "voice_id": ...}), sent with an Idempotency-Key that is printed: the same '
        "command with --idempotency-key KEY gets the same video back instead of a second render.",
    )
    create.add_argument(
        "--file",
        type=Path,
        default=None,
        help="a JSON file of videos.generate's (--direct: v3 videos.create's) arguments",
    )
    create.add_argument("--avatar", "--avatar-id", dest="avatar", default=None, help="avatar_id (v3: a look's id)")
    create.add_argument("--voice", "--voice-id", dest="voice", default=None, help="voice_id")
    create.add_argument("--text", "--script", dest="text", default=None, help="what the avatar says")
    create.add_argument("--title", default=None)
    create.add_argument("--dimension", default=None, metavar="WxH", help="e.g. 1280x720 (gateway)")
    create.add_argument("--test", action="store_true", help="a watermarked test render, no credits (gateway)")
    create.add_argument("--resolution", default=None, help="with --direct: e.g. 1080p")
    create.add_argument("--aspect-ratio", default=None, help="with --direct: e.g. 16:9")
    create.add_argument(
        "--idempotency-key",
        default=None,
        metavar="KEY",
        help="with --direct: the Idempotency-Key to send (default a new one, printed); a rerun with the same key "
        "within 24 hours gets the same video",
    )
    _add_wait(create)
    add_common(create)
    create.set_defaults(handler=lambda args: run(args, _video_create, check=_check_video_create))

    status = sub.add_parser("status", help="a video's status", description="Show a video's status.")
    status.add_argument("video_id")
    add_common(status)
    status.set_defaults(handler=lambda args: run(args, _video_status))

    download = sub.add_parser("download", help="download a finished video", description="Download a finished video.")
    download.add_argument("video_id")
    download.add_argument("path", type=Path, help="where to write it (written whole or not at all)")
    add_common(download)
    download.set_defaults(handler=lambda args: run(args, _video_download))


def _file_arguments(args: argparse.Namespace, method: str) -> dict[str, Any] | None:
    """The JSON object of ``method``'s arguments ``--file`` names (None without ``--file``); the one-scene flags
    must be all there without it."""
    if args.file is None:
        missing = [
            flag
            for flag, value in (("--avatar", args.avatar), ("--voice", args.voice), ("--text", args.text))
            if not value
        ]
        if missing:
            raise UsageError(f"missing {', '.join(missing)} (or give --file)")
        return None
    if any(value is not None for value in (args.avatar, args.voice, args.text)):
        raise UsageError("give --file or --avatar/--voice/--text, not both")
    try:
        arguments = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"{args.file} is not JSON: {exc}") from None
    if not isinstance(arguments, dict):
        raise UsageError(f"{args.file} must hold a JSON object of {method}'s arguments")
    return arguments


def _accepted(function: Callable[..., Any], method: str, arguments: Mapping[str, Any]) -> None:
    """Every argument is one ``function`` takes, or a usage error naming what it takes."""
    import inspect

    accepted = set(inspect.signature(function).parameters) - {"self"}
    unknown = sorted(set(arguments) - accepted)
    if unknown:
        raise UsageError(f"unknown {method} argument(s) {unknown}; it takes {sorted(accepted)}")


def _generate_arguments(args: argparse.Namespace) -> dict[str, Any]:
    for flag, value in (
        ("--resolution", args.resolution),
        ("--aspect-ratio", args.aspect_ratio),
        ("--idempotency-key", args.idempotency_key),
    ):
        if value is not None:
            raise UsageError(
                f"{flag} is HeyGen v3's (--direct); through the gateway, videos.generate takes --dimension"
            )
    arguments = _file_arguments(args, "videos.generate")
    if arguments is None:
        arguments = {
            "video_inputs": [
                {
                    "character": {"type": "avatar", "avatar_id": args.avatar},
                    "voice": {"type": "text", "voice_id": args.voice, "input_text": args.text},
                }
            ]
        }
    if args.title is not None:
        arguments["title"] = args.title
    if args.test:
        arguments["test"] = True
    if args.dimension is not None:
        width, _, height = args.dimension.lower().partition("x")
        if not (width.isdigit() and height.isdigit()):
            raise UsageError(f"--dimension must be WIDTHxHEIGHT, e.g. 1280x720, got {args.dimension!r}")
        arguments["dimension"] = {"width": int(width), "height": int(height)}
    return arguments


def _create_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """client.v3.videos.create's arguments (HeyGen v3, --direct), from the flags or --file."""
    if args.dimension is not None:
        raise UsageError(
            "--dimension is the gateway's videos.generate's; HeyGen v3 takes --resolution and --aspect-ratio"
        )
    if args.test:
        raise UsageError("--test is the gateway's videos.generate's: HeyGen v3 has no test renders")
    arguments = _file_arguments(args, "videos.create")
    if arguments is None:
        arguments = {"type": "avatar", "avatar_id": args.avatar, "script": args.text, "voice_id": args.voice}
    for name, value in (("title", args.title), ("resolution", args.resolution), ("aspect_ratio", args.aspect_ratio)):
        if value is not None:
            arguments[name] = value
    return arguments


def _check_video_create(args: argparse.Namespace) -> None:
    """The arguments for videos.generate (v3: videos.create, and its Idempotency-Key), checked by name before any
    client exists; HeyGen's own rules are checked by the client, still before anything is sent."""
    if args.direct:
        from heygen_async._resources._base import idempotency_key_for
        from heygen_async._resources.v3.videos import VideosResource as V3Videos
        from heygen_async._spec._v3_table import V3_ENDPOINTS_BY_NAME

        arguments = _create_arguments(args)
        key = arguments.pop("idempotency_key", None)
        if key is not None and args.idempotency_key is not None:
            raise UsageError(f"give the Idempotency-Key in {args.file} or with --idempotency-key, not both")
        _accepted(V3Videos.create, "videos.create", arguments)
        if "type" not in arguments:
            raise UsageError("the arguments need type (e.g. 'avatar')")
        # Chosen here, not by the client, so the command can print it: a rerun with it cannot render twice.
        args.idempotency_key = idempotency_key_for(
            V3_ENDPOINTS_BY_NAME["v3.videos.create"], key or args.idempotency_key
        )
        args.arguments = arguments
        return
    from heygen_async._resources.videos import VideosResource

    arguments = _generate_arguments(args)
    _accepted(VideosResource.generate, "videos.generate", arguments)
    if "video_inputs" not in arguments:
        raise UsageError("the arguments need video_inputs")
    args.arguments = arguments


async def _video_create(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    if args.direct:  # the arguments were checked by name; the client checks their values before sending
        render = await client.v3.videos.submit(**args.arguments, idempotency_key=args.idempotency_key)
        render.policy = _policy(args)
        # The key is in the job's resume token too: a timed-out wait resumes as the same render.
        return await _show_job(
            out, args, "video_id", render, _print_v3_video, also={"idempotency_key": render.idempotency_key}
        )
    arguments = dict(args.arguments)
    video_inputs = arguments.pop("video_inputs")
    job = await client.videos.generate(video_inputs, **arguments)
    return await _submitted(out, args, "video_id", job.video_id, client.videos.job, _print_video)


async def _submitted(
    out: Output,
    args: argparse.Namespace,
    key: str,
    job_id: str | None,
    handle: Callable[..., Job[Any]],
    show: Callable[[Output, Any], None],
) -> int:
    """A submitted job: print its id, or with --wait follow it to the end and print the result."""
    if job_id is None:
        raise UsageError(f"HeyGen answered without a {key}")
    return await _show_job(out, args, key, handle(job_id, poll=_policy(args)), show)


async def _show_job(
    out: Output,
    args: argparse.Namespace,
    key: str,
    job: Job[Any],
    show: Callable[[Output, Any], None],
    *,
    also: Mapping[str, Any] | None = None,
) -> int:
    """Print a submitted job's id (and ``also``), or with --wait follow it to the end and print the result."""
    also = also or {}
    if not args.wait:
        out.fields({key: job.id, **also}, [(key, job.id), *also.items()])
        return EXIT_OK
    told = "".join(f", {name} {value}" for name, value in also.items())
    out.note(f"{job.kind.label.lower()} {job.id} submitted{told}; waiting")
    show(out, await follow(job, args, out))
    return EXIT_OK


def _print_video(out: Output, video: Any) -> None:
    error = video.error
    out.fields(
        video,
        [
            ("video_id", video.id),
            ("status", video.status),
            ("duration", video.duration),
            ("video_url", video.video_url),
            ("error", None if error is None else f"{error.code}: {error.message}"),
        ],
    )


def _print_v3_video(out: Output, video: Any) -> None:
    failed = video.failure_code or video.failure_message
    out.fields(
        video,
        [
            ("video_id", video.id),
            ("status", video.status),
            ("duration", video.duration),
            ("video_url", video.video_url),
            ("error", f"{video.failure_code or '-'}: {video.failure_message or '-'}" if failed else None),
        ],
    )


async def _video_status(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    if args.direct:
        _print_v3_video(out, await client.v3.videos.get(args.video_id))
    else:
        _print_video(out, await client.videos.status(args.video_id))
    return EXIT_OK


async def _video_download(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    progress = ByteProgress(f"downloading {args.video_id} to {args.path}", stream=out.stderr)
    videos = client.v3.videos if args.direct else client.videos
    try:
        path = await videos.download(args.video_id, args.path, on_progress=progress)
    finally:
        progress.finish()
    size = (await asyncio.to_thread(Path(path).stat)).st_size
    out.fields({"video_id": args.video_id, "path": str(path), "bytes": size}, [("path", str(path)), ("bytes", size)])
    return EXIT_OK


# -- translations ------------------------------------------------------------------------------------------


def _add_translate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("translate", help="translate a video", description="Translate a video by URL.")
    parser.add_argument("video_url")
    parser.add_argument("--language", required=True, help="the output language, e.g. French")
    parser.add_argument("--title", default=None)
    _add_wait(parser)
    add_common(parser)
    parser.set_defaults(handler=lambda args: run(args, _translate))


async def _translate(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    if args.direct:  # HeyGen v3: one job per output language, and only one language here
        translations = client.v3.video_translations
        created = await translations.create(
            video={"type": "url", "url": args.video_url}, output_languages=[args.language], title=args.title
        )
        first = next(iter(created.video_translation_ids or ()), None)
        return await _submitted(out, args, "video_translation_id", first, translations.job, _print_v3_translation)
    job = await client.translations.create(args.video_url, output_language=args.language, title=args.title)
    return await _submitted(
        out, args, "video_translate_id", job.video_translate_id, client.translations.job, _print_translation
    )


def _print_translation(out: Output, translation: Any) -> None:
    out.fields(
        translation,
        [
            ("video_translate_id", translation.video_translate_id),
            ("status", translation.status),
            ("language", translation.output_language),
            ("url", translation.url),
        ],
    )


def _print_v3_translation(out: Output, translation: Any) -> None:
    out.fields(
        translation,
        [
            ("video_translation_id", translation.id),
            ("status", translation.status),
            ("language", translation.output_language),
            ("url", translation.video_url),
            ("error", translation.failure_message),
        ],
    )


# -- jobs --------------------------------------------------------------------------------------------------


def _add_jobs(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jobs = commands.add_parser("jobs", help="follow long-running jobs", description="Follow long-running jobs.")
    sub = jobs.add_subparsers(dest="jobs_command", metavar="COMMAND", required=True)
    watch = sub.add_parser(
        "watch",
        help="watch a job until it ends",
        description="Watch a job (an id, or a resume token from --json output or a timeout) until it ends; "
        "exit 0 done, 3 failed, 4 timed out.",
    )
    watch.add_argument("job", help="a job id, or a resume token")
    watch.add_argument(
        "--kind",
        default="video",
        choices=("video", "translation", "photo_generation", "training", "photo_avatar"),
        help="the job's kind when JOB is an id (default video; with --direct, video and translation are HeyGen v3's)",
    )
    _add_wait(watch, flag=False)
    add_common(watch)
    watch.set_defaults(handler=lambda args: run(args, _jobs_watch))


async def _jobs_watch(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    token = args.job.strip()
    policy = _policy(args)
    if token.startswith("{"):
        job = client.jobs.resume(token)
        if policy is not None:
            job = client.jobs.job(job.kind.name, job.id, policy=policy)
    else:
        kind = V3_KINDS.get(args.kind, args.kind) if args.direct else args.kind
        job = client.jobs.job(kind, token, policy=policy)
    out.note(f"watching {job.kind.label.lower()} {job.id}")
    result = await follow(job, args, out)
    out.fields(
        result, [(name, value) for name, value in jsonable(result).items() if not isinstance(value, (dict, list))]
    )
    return EXIT_OK


# -- streaming sessions -------------------------------------------------------------------------------------


def _add_sessions(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sessions = commands.add_parser(
        "sessions",
        help="live streaming sessions",
        description="The account's live sessions: HeyGen's legacy streaming API by default, LiveAvatar's with "
        "--liveavatar (--backend liveavatar).",
    )
    sub = sessions.add_subparsers(dest="sessions_command", metavar="COMMAND", required=True)
    listing = sub.add_parser("list", help="list open sessions", description="List the account's open sessions.")
    add_backend(listing)
    add_common(listing)
    listing.set_defaults(handler=lambda args: run_streaming(args, _sessions_list))
    reap = sub.add_parser(
        "reap",
        help="stop sessions nobody owns",
        description="Stop the account's open sessions (still billed) older than --min-age: from this command's "
        "point of view, nobody owns them. Other processes' live sessions must be spared with --min-age. With "
        '--json, one object: {"dry_run": bool, "would_stop": [ids], "stopped": [ids], "kept": [ids], '
        '"failed": {id: error}} (would_stop is filled only by a dry run, stopped and failed only by a real one).',
    )
    reap.add_argument("--min-age", type=_non_negative, default=0.0, help="spare sessions younger than this (seconds)")
    reap.add_argument("--dry-run", action="store_true", help="only list what would be stopped")
    reap.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_backend(reap)
    add_common(reap)
    reap.set_defaults(handler=_sessions_reap_command)


def _live(client: HeyGenClient | LiveAvatarClient) -> tuple[StreamingBackend, Callable[[], SessionManager]]:
    """The live-session backend of ``client`` (the same seam for HeyGen's legacy API and LiveAvatar), and a
    factory of its session manager (for ``reap_orphans()``)."""
    from heygen_async._liveavatar._client import LiveAvatarClient

    if isinstance(client, LiveAvatarClient):
        return client.backend, lambda: client.manager(max_sessions=1)
    return client.streaming.backend, lambda: client.streaming.manager(max_sessions=1)


async def _sessions_list(client: HeyGenClient | LiveAvatarClient, out: Output, args: argparse.Namespace) -> int:
    backend, _ = _live(client)
    sessions = list(await backend.list_active())
    out.result(
        sessions, [(s.session_id, s.status, s.created_at) for s in sessions], ["session_id", "status", "created_at"]
    )
    return EXIT_OK


def _sessions_reap_command(args: argparse.Namespace) -> int:
    """Without --yes or --dry-run: list (one event loop), ask (none: Ctrl-C and Ctrl-D work), then stop
    exactly the sessions that were shown (another loop)."""
    args.only = None
    if args.dry_run or args.yes:
        return run_streaming(args, _sessions_reap)
    out = Output(json_mode=args.json)
    if args.emulator or not sys.stdin.isatty():
        return report(args, out, _needs_yes)
    shown: list[str] = []
    args.dry_run, args.collect = True, shown
    code = run_streaming(args, _sessions_reap)
    if code != EXIT_OK or not shown:
        return code
    if not confirm(f"Stop these {len(shown)} open session(s)?", out):
        out.note("nothing stopped")
        return EXIT_OK
    args.dry_run, args.only = False, set(shown)
    return run_streaming(args, _sessions_reap)


def _needs_yes() -> int:
    raise UsageError("this stops billed sessions: pass --yes to confirm (or --dry-run to list them)")


async def _sessions_reap(client: HeyGenClient | LiveAvatarClient, out: Output, args: argparse.Namespace) -> int:
    import time

    backend, manager = _live(client)
    sessions = {s.session_id: s for s in await backend.list_active() if s.session_id}
    now = time.time()
    only: set[str] | None = args.only
    old = [
        sid
        for sid, s in sessions.items()
        if (not args.min_age or s.created_at is None or now - s.created_at >= args.min_age)
        and (only is None or sid in only)
    ]
    outcome: dict[str, Any] = {"dry_run": bool(args.dry_run), "would_stop": [], "stopped": [], "kept": [], "failed": {}}
    if args.dry_run or not old:
        collect = getattr(args, "collect", None)
        if collect is not None:
            collect.extend(old)
        outcome["would_stop"] = old  # empty unless a dry run: a real run with nothing old enough stops nothing
        outcome["kept"] = [sid for sid in sessions if sid not in old]
    else:
        reaped = await manager().reap_orphans(
            min_age=args.min_age, keep=None if only is None else (lambda summary: summary.session_id not in only)
        )
        outcome.update(
            stopped=list(reaped.stopped), kept=list(reaped.kept), failed={k: str(v) for k, v in reaped.failed.items()}
        )
    _print_reap(out, outcome, sessions)
    return EXIT_API if outcome["failed"] else EXIT_OK


def _print_reap(out: Output, outcome: dict[str, Any], sessions: dict[str, Any]) -> None:
    """The one shape ``sessions reap`` prints, for a dry run or a real one: JSON, or a row per session."""
    rows: list[tuple[Any, ...]] = []
    for key, label in (("would_stop", "would stop"), ("stopped", "stopped"), ("kept", "kept")):
        rows += [(sid, label) for sid in outcome[key]]
    rows += [(sid, f"failed: {error}") for sid, error in outcome["failed"].items()]
    out.result(
        outcome,
        [
            (sid, getattr(sessions.get(sid), "status", None), getattr(sessions.get(sid), "created_at", None), what)
            for sid, what in rows
        ],
        ["session_id", "status", "created_at", "outcome"],
    )


# -- webhooks ------------------------------------------------------------------------------------------------


def _add_webhooks(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhooks = commands.add_parser("webhooks", help="webhook endpoints", description="Webhook endpoints.")
    sub = webhooks.add_subparsers(dest="webhooks_command", metavar="COMMAND", required=True)

    listing = sub.add_parser("list", help="list registered endpoints", description="List webhook endpoints.")
    listing.add_argument("--show-secrets", action="store_true", help="print secrets whole (masked by default)")
    add_common(listing)
    listing.set_defaults(handler=lambda args: run(args, _webhooks_list))

    add = sub.add_parser(
        "add",
        help="register an endpoint (prints its secret)",
        description="Register a webhook endpoint (HeyGen probes it with OPTIONS first) and print its secret.",
    )
    add.add_argument("url")
    add.add_argument(
        "--event", action="append", dest="events", default=None, help="an event to receive (repeat; default all)"
    )
    add.add_argument("--allow-unknown-events", action="store_true", help="send event names this version does not know")
    add_common(add)
    add.set_defaults(handler=lambda args: run(args, _webhooks_add, check=_check_events))

    delete = sub.add_parser(
        "delete",
        help="delete an endpoint",
        description="Delete an endpoint by id, or every one for a URL. Exit 1 if there is none to delete.",
    )
    delete.add_argument("endpoint", help="an endpoint id, or a URL")
    add_common(delete)
    delete.set_defaults(handler=lambda args: run(args, _webhooks_delete))

    verify = sub.add_parser(
        "verify",
        help="check a saved delivery's signature",
        description=f"Check that a saved delivery body (FILE, or - for stdin) carries a good signature. The secret "
        f"comes from ${SECRET_ENV} or --secret. Exit 0 valid, 1 invalid.",
    )
    verify.add_argument("file", help="the raw body, exactly as received")
    verify.add_argument("--signature", required=True, help="the Signature header's value")
    verify.add_argument("--secret", default=None, help=f"the endpoint's secret (prefer ${SECRET_ENV})")
    add_common(verify, client=False)
    refuse_connection_options(verify, "webhooks verify checks a saved delivery offline and calls no API")
    verify.set_defaults(handler=_webhooks_verify)


def _endpoint_row(endpoint: Any, show: bool) -> tuple[Any, ...]:
    secret = endpoint.secret if show else mask(endpoint.secret)
    return (endpoint.endpoint_id, endpoint.url, endpoint.events or "all", endpoint.status, secret)


def _endpoint_json(endpoint: Any, show: bool) -> dict[str, Any]:
    return {**jsonable(endpoint), "secret": endpoint.secret if show else mask(endpoint.secret)}


async def _webhooks_list(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    endpoints = list(await client.webhooks.list_endpoints())
    out.result(
        [_endpoint_json(e, args.show_secrets) for e in endpoints],
        [_endpoint_row(e, args.show_secrets) for e in endpoints],
        ["endpoint_id", "url", "events", "status", "secret"],
    )
    return EXIT_OK


def _check_events(args: argparse.Namespace) -> None:
    """Event names checked before any client exists, with the hint naming this command's flag."""
    from heygen_async.webhooks._events import KNOWN_EVENT_TYPES

    if args.allow_unknown_events:
        return
    for name in args.events or ():
        if name not in KNOWN_EVENT_TYPES:
            raise UsageError(
                f"unknown event {name!r}; known: {', '.join(sorted(KNOWN_EVENT_TYPES))} (pass "
                "--allow-unknown-events for one HeyGen added since)"
            )


async def _webhooks_add(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    endpoint = await client.webhooks.register(args.url, args.events, allow_unknown_events=args.allow_unknown_events)
    out.fields(
        _endpoint_json(endpoint, True),
        [
            ("endpoint_id", endpoint.endpoint_id),
            ("url", endpoint.url),
            ("events", endpoint.events or "all"),
            ("secret", endpoint.secret),
        ],
    )
    out.note("keep the secret: it verifies every delivery (it is shown whole only here and with --show-secrets)")
    return EXIT_OK


async def _webhooks_delete(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    target = args.endpoint.strip()
    if "://" in target:
        removed = await client.webhooks.remove(target)
        if not removed:
            out.note(f"{PROG}: error: no webhook endpoint is registered for {target}; nothing deleted")
            return EXIT_API
    else:
        await client.webhooks.delete_endpoint(target)
        removed = 1
    out.fields({"deleted": removed}, [("deleted", removed)])
    return EXIT_OK


def _webhooks_verify(args: argparse.Namespace) -> int:
    from heygen_async import webhooks

    out = Output(json_mode=args.json)

    def body() -> int:
        secret = args.secret if args.secret is not None else os.environ.get(SECRET_ENV)
        if not secret:
            raise UsageError(f"no secret: set ${SECRET_ENV} or pass --secret")
        try:
            raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        event = webhooks.construct_event(raw, {"Signature": args.signature}, secret)
        out.fields(
            {"valid": True, "event_type": event.event_type, "job_id": event.job_id},
            [("valid", "yes"), ("event_type", event.event_type), ("job_id", event.job_id)],
        )
        return EXIT_OK

    return report(args, out, body)
