"""The everyday ``heygen-async`` commands: avatars, voices, quota, video, translate, jobs, sessions, webhooks.

Each ``_add_*`` registers a sub-parser whose handler runs an ``async def`` command through
:func:`._common.run`, which supplies the client and turns errors into one line and an exit code. Anything
that waits shows progress on stderr and honours ``--timeout`` (exit 4, with a resume command).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import (
    EXIT_API,
    EXIT_OK,
    PROG,
    SECRET_ENV,
    UsageError,
    add_common,
    confirm,
    follow,
    refuse_connection_options,
    report,
    run,
)
from ._output import ByteProgress, Output, jsonable, mask

if TYPE_CHECKING:
    from heygen_async._client import HeyGenClient
    from heygen_async._jobs._handle import Job

__all__ = ["add_api_commands"]


def add_api_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _add_avatars(commands)
    _add_voices(commands)
    _add_quota(commands)
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


# -- avatars, voices, quota ------------------------------------------------------------------------------


def _add_avatars(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("avatars", help="list the account's avatars", description="List the avatars.")
    parser.add_argument("--limit", type=_count, default=None, help="show at most this many")
    add_common(parser)
    parser.set_defaults(handler=lambda args: run(args, _avatars))


async def _avatars(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
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
    voices = list((await client.voices.list()).voices)
    if args.language:
        voices = [v for v in voices if (v.language or "").lower() == args.language.lower()]
    voices = voices[: args.limit]
    out.result(
        voices, [(v.voice_id, v.name, v.language, v.gender) for v in voices], ["voice_id", "name", "language", "gender"]
    )
    return EXIT_OK


def _add_quota(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("quota", help="show the remaining quota", description="Show the remaining quota.")
    add_common(parser)
    parser.set_defaults(handler=lambda args: run(args, _quota))


async def _quota(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
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
        'arguments ({"video_inputs": [...], "dimension": {...}, "title": ...}).',
    )
    create.add_argument("--file", type=Path, default=None, help="a JSON file of videos.generate's arguments")
    create.add_argument("--avatar", default=None, help="avatar_id")
    create.add_argument("--voice", default=None, help="voice_id")
    create.add_argument("--text", default=None, help="what the avatar says")
    create.add_argument("--title", default=None)
    create.add_argument("--dimension", default=None, metavar="WxH", help="e.g. 1280x720")
    create.add_argument("--test", action="store_true", help="a watermarked test render (no credits)")
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


def _generate_arguments(args: argparse.Namespace) -> dict[str, Any]:
    if args.file is not None:
        if any(value is not None for value in (args.avatar, args.voice, args.text)):
            raise UsageError("give --file or --avatar/--voice/--text, not both")
        try:
            arguments = json.loads(args.file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise UsageError(f"{args.file} is not JSON: {exc}") from None
        if not isinstance(arguments, dict):
            raise UsageError(f"{args.file} must hold a JSON object of videos.generate's arguments")
    else:
        missing = [
            flag
            for flag, value in (("--avatar", args.avatar), ("--voice", args.voice), ("--text", args.text))
            if not value
        ]
        if missing:
            raise UsageError(f"missing {', '.join(missing)} (or give --file)")
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


def _check_video_create(args: argparse.Namespace) -> None:
    """The arguments for videos.generate, checked by name before any client exists."""
    import inspect

    from heygen_async._resources.videos import VideosResource

    arguments = _generate_arguments(args)
    accepted = set(inspect.signature(VideosResource.generate).parameters) - {"self"}
    unknown = sorted(set(arguments) - accepted)
    if unknown:
        raise UsageError(f"unknown videos.generate argument(s) {unknown}; it takes {sorted(accepted)}")
    if "video_inputs" not in arguments:
        raise UsageError("the arguments need video_inputs")
    args.arguments = arguments


async def _video_create(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
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
    if not args.wait:
        out.fields({key: job_id}, [(key, job_id)])
        return EXIT_OK
    job = handle(job_id, poll=_policy(args))
    out.note(f"{job.kind.label.lower()} {job_id} submitted; waiting")
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


async def _video_status(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    _print_video(out, await client.videos.status(args.video_id))
    return EXIT_OK


async def _video_download(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    progress = ByteProgress(f"downloading {args.video_id} to {args.path}", stream=out.stderr)
    try:
        path = await client.videos.download(args.video_id, args.path, on_progress=progress)
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
        help="the job's kind when JOB is an id (default video)",
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
        job = client.jobs.job(args.kind, token, policy=policy)
    out.note(f"watching {job.kind.label.lower()} {job.id}")
    result = await follow(job, args, out)
    out.fields(
        result, [(name, value) for name, value in jsonable(result).items() if not isinstance(value, (dict, list))]
    )
    return EXIT_OK


# -- streaming sessions -------------------------------------------------------------------------------------


def _add_sessions(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sessions = commands.add_parser(
        "sessions", help="live streaming sessions", description="The account's live streaming sessions."
    )
    sub = sessions.add_subparsers(dest="sessions_command", metavar="COMMAND", required=True)
    listing = sub.add_parser("list", help="list open sessions", description="List the account's open sessions.")
    add_common(listing)
    listing.set_defaults(handler=lambda args: run(args, _sessions_list))
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
    add_common(reap)
    reap.set_defaults(handler=_sessions_reap_command)


async def _sessions_list(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    sessions = list(await client.streaming.list_sessions())
    out.result(
        sessions, [(s.session_id, s.status, s.created_at) for s in sessions], ["session_id", "status", "created_at"]
    )
    return EXIT_OK


def _sessions_reap_command(args: argparse.Namespace) -> int:
    """Without --yes or --dry-run: list (one event loop), ask (none: Ctrl-C and Ctrl-D work), then stop
    exactly the sessions that were shown (another loop)."""
    args.only = None
    if args.dry_run or args.yes:
        return run(args, _sessions_reap)
    out = Output(json_mode=args.json)
    if args.emulator or not sys.stdin.isatty():
        return report(args, out, _needs_yes)
    shown: list[str] = []
    args.dry_run, args.collect = True, shown
    code = run(args, _sessions_reap)
    if code != EXIT_OK or not shown:
        return code
    if not confirm(f"Stop these {len(shown)} open session(s)?", out):
        out.note("nothing stopped")
        return EXIT_OK
    args.dry_run, args.only = False, set(shown)
    return run(args, _sessions_reap)


def _needs_yes() -> int:
    raise UsageError("this stops billed sessions: pass --yes to confirm (or --dry-run to list them)")


async def _sessions_reap(client: HeyGenClient, out: Output, args: argparse.Namespace) -> int:
    import time

    sessions = {s.session_id: s for s in await client.streaming.list_sessions() if s.session_id}
    now = time.time()
    only: set[str] | None = args.only
    old = [
        sid
        for sid, s in sessions.items()
        if (s.created_at is None or now - s.created_at >= args.min_age) and (only is None or sid in only)
    ]
    outcome: dict[str, Any] = {"dry_run": bool(args.dry_run), "would_stop": [], "stopped": [], "kept": [], "failed": {}}
    if args.dry_run or not old:
        collect = getattr(args, "collect", None)
        if collect is not None:
            collect.extend(old)
        outcome["would_stop"] = old  # empty unless a dry run: a real run with nothing old enough stops nothing
        outcome["kept"] = [sid for sid in sessions if sid not in old]
    else:
        manager = client.streaming.manager(max_sessions=1)
        reaped = await manager.reap_orphans(
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
