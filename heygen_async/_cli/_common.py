"""What every ``heygen-async`` command shares: exit codes, common options, the client, and error reporting.

Exit codes are for scripts: 0 ok, 1 API error, 2 usage error, 3 job failed, 4 timeout. An error is one line on
stderr (``heygen-async: error: ...``) unless ``--debug`` asks for the traceback too. The client comes from the
environment (``LOWCODEAPI_API_TOKEN``, or ``HEYGEN_API_KEY`` with ``--direct``; ``HEYGEN_ASYNC_BASE_URL`` /
``HEYGEN_ASYNC_DIRECT_BASE_URL`` or ``--base-url`` for another address), or with ``--emulator`` from the
emulator ``heygen-async emulator`` serves (found through its state file), else from one started for this
command alone. ``sessions list|reap`` also serve LiveAvatar (``--liveavatar``: key from ``LIVEAVATAR_API_KEY``
or ``--liveavatar-key``, ``HEYGEN_ASYNC_LIVEAVATAR_BASE_URL`` or ``--base-url`` for another address). No token
or key is ever printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ._output import Output, Progress

if TYPE_CHECKING:
    from heygen_async._client import HeyGenClient
    from heygen_async._jobs._handle import Job
    from heygen_async._liveavatar._client import LiveAvatarClient
    from heygen_async._redact import Redactor
    from heygen_async.emulator._discovery import Registration

__all__ = [
    "BASE_URL_ENV",
    "DIRECT_BASE_URL_ENV",
    "EXIT_API",
    "EXIT_INTERRUPTED",
    "EXIT_JOB_FAILED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "LIVEAVATAR",
    "LIVEAVATAR_BASE_URL_ENV",
    "PROG",
    "UsageError",
    "add_backend",
    "add_common",
    "confirm",
    "follow",
    "open_client",
    "open_liveavatar_client",
    "refuse_connection_options",
    "resume_command",
    "run",
    "run_streaming",
]

PROG: Final = "heygen-async"
EXIT_OK: Final = 0
EXIT_API: Final = 1
EXIT_USAGE: Final = 2
EXIT_JOB_FAILED: Final = 3
EXIT_TIMEOUT: Final = 4
EXIT_INTERRUPTED: Final = 130
SECRET_ENV: Final = "HEYGEN_WEBHOOK_SECRET"
"""Where ``webhooks verify`` finds an endpoint's secret (masked in everything a command prints)."""
BASE_URL_ENV: Final = "HEYGEN_ASYNC_BASE_URL"
DIRECT_BASE_URL_ENV: Final = "HEYGEN_ASYNC_DIRECT_BASE_URL"
LIVEAVATAR_BASE_URL_ENV: Final = "HEYGEN_ASYNC_LIVEAVATAR_BASE_URL"
LIVEAVATAR: Final = "liveavatar"
"""``--backend``'s value for LiveAvatar (``heygen`` is HeyGen's legacy streaming API)."""
EMULATOR_TOKEN: Final = "at_x7Qk2Zr9Lw4T"
"""What commands send to an emulator they found: it takes any ``at_`` token (a real one is never sent to it).
Word-free, because a client masks any 8 characters of its token in what it prints."""
EMULATOR_KEY: Final = "hk_x7Qk2Zr9Lw4T"
EMULATOR_LIVEAVATAR_KEY: Final = "la_x7Qk2Zr9Lw4T"
"""What commands send to a running emulator's LiveAvatar, which takes any key (each key is an account)."""
EMULATOR_ONLY_HERE: Final = "ephemeral_emulator"
"""Set on the arguments when ``--emulator`` found none running and started one inside the command."""

C = TypeVar("C")
Command = Callable[["HeyGenClient", Output, argparse.Namespace], Awaitable[int]]
StreamingCommand = Callable[["HeyGenClient | LiveAvatarClient", Output, argparse.Namespace], Awaitable[int]]
"""A command that serves both live-session backends (``sessions list|reap``)."""


class UsageError(Exception):
    """A command cannot run as asked; printed as one line, exit status 2."""


class _NotApplicable(argparse.Action):
    """An option this command has no use for, refused with the reason (rather than "unrecognized")."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, reason: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)
        self.reason = reason

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, *_: Any) -> None:
        parser.error(f"{'/'.join(self.option_strings)} does not apply: {self.reason}")


def refuse_connection_options(parser: argparse.ArgumentParser, reason: str) -> None:
    """``--emulator``, ``--base-url`` and ``--direct`` on a command that makes no API call: a usage error
    saying why."""
    for flag in ("--emulator", "--base-url", "--direct"):
        parser.add_argument(flag, action=_NotApplicable, reason=reason)


def add_common(parser: argparse.ArgumentParser, *, client: bool = True) -> None:
    """Options every command takes (``--json``, ``--debug``) and, for API commands, where to connect."""
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    output.add_argument("--debug", action="store_true", help="show tracebacks and debug logs on errors")
    if not client:
        return
    where = parser.add_argument_group("connection")
    where.add_argument(
        "--base-url",
        default=None,
        help=f"the gateway's (or, with --direct, HeyGen's) base URL; default ${BASE_URL_ENV} (with --direct "
        f"${DIRECT_BASE_URL_ENV}), else the real one",
    )
    where.add_argument(
        "--direct", action="store_true", help="call HeyGen directly with HEYGEN_API_KEY (default: LowCodeAPI gateway)"
    )
    where.add_argument(
        "--emulator",
        action="store_true",
        help="use the emulator `heygen-async emulator` serves (no account needed); if none is running, one "
        "started for this command alone",
    )


def add_backend(parser: argparse.ArgumentParser) -> None:
    """Which live-session API a ``sessions`` command talks to: HeyGen's legacy streaming API, or LiveAvatar."""
    backend = parser.add_argument_group("live-session backend")
    backend.add_argument(
        "--backend",
        choices=("heygen", LIVEAVATAR),
        default="heygen",
        help="heygen: HeyGen's legacy streaming API (the default); liveavatar: LiveAvatar (api.liveavatar.com)",
    )
    backend.add_argument(
        "--liveavatar",
        dest="backend",
        action="store_const",
        const=LIVEAVATAR,
        help="the same as --backend liveavatar (key from $LIVEAVATAR_API_KEY; --base-url is LiveAvatar's, default "
        f"${LIVEAVATAR_BASE_URL_ENV}, else the real one)",
    )
    backend.add_argument(
        "--liveavatar-key",
        default=None,
        metavar="KEY",
        help="with --liveavatar: the LiveAvatar API key (prefer $LIVEAVATAR_API_KEY: a command line is visible to "
        "other users of the machine)",
    )


def _check_backend(args: argparse.Namespace) -> None:
    """The backend options make sense together, before any client or connection exists."""
    if args.backend != LIVEAVATAR:
        if args.liveavatar_key is not None:
            raise UsageError("--liveavatar-key is for LiveAvatar: add --liveavatar")
        return
    if args.direct:
        raise UsageError(
            "--direct does not apply to LiveAvatar: it is an API of its own, with its own key ($LIVEAVATAR_API_KEY)"
        )
    if args.liveavatar_key is not None and (
        not args.liveavatar_key or args.liveavatar_key != args.liveavatar_key.strip()
    ):
        raise UsageError("--liveavatar-key must be a non-empty key without surrounding whitespace")


async def _running_emulator(args: argparse.Namespace, out: Output) -> Registration | None:
    """The running emulator ``--emulator`` names (its state file's, checked), or None (said on ``out``)."""
    if args.base_url is not None:
        raise UsageError("give --emulator or --base-url, not both")
    from heygen_async.emulator._discovery import DiscoveryError, find

    try:
        return await find()
    except DiscoveryError as exc:
        out.note(f"{PROG}: not looking for a running emulator: {exc}")
        return None


@contextlib.asynccontextmanager
async def open_client(args: argparse.Namespace, out: Output) -> AsyncIterator[HeyGenClient]:
    """The client the options ask for. With ``--emulator``: the running emulator its state file names (checked
    first), else an emulator on 127.0.0.1 for this command alone, which ``out`` says."""
    from heygen_async._client import HeyGenClient

    if getattr(args, "emulator", False):
        found = await _running_emulator(args, out)
        if found is not None:
            out.note(f"{PROG}: using the emulator at {found.url} (pid {found.pid})")
            if args.direct:
                client = HeyGenClient.direct(EMULATOR_KEY, base_url=found.url, upload_url=found.url)
            else:
                client = HeyGenClient(EMULATOR_TOKEN, base_url=found.base_url)
            async with client:
                yield client
            return
        from heygen_async.emulator import Emulator, EmulatorConfig, ScaledClock

        setattr(args, EMULATOR_ONLY_HERE, True)
        out.note(
            f"{PROG}: no running emulator found, so this command uses one of its own, which ends with it: ids and "
            f"resume tokens it prints do not work in later commands (`{PROG} emulator --background` starts one "
            "that lasts)"
        )
        async with Emulator(EmulatorConfig(render_seconds=30, pending_seconds=2), clock=ScaledClock(30)) as emulator:
            client = emulator.direct_client() if args.direct else emulator.client()
            async with client:
                yield client
        return
    base_url: str | None = args.base_url or os.environ.get(DIRECT_BASE_URL_ENV if args.direct else BASE_URL_ENV) or None
    options: dict[str, Any] = {} if base_url is None else {"base_url": base_url}
    client = HeyGenClient.direct(**options) if args.direct else HeyGenClient(**options)
    async with client:
        yield client


@contextlib.asynccontextmanager
async def open_liveavatar_client(args: argparse.Namespace, out: Output) -> AsyncIterator[LiveAvatarClient]:
    """The LiveAvatar client the options ask for: with ``--emulator``, the running emulator's LiveAvatar (else
    one started for this command alone, which ``out`` says); otherwise the key from ``--liveavatar-key`` or
    ``$LIVEAVATAR_API_KEY`` and the address from ``--base-url`` or ``$HEYGEN_ASYNC_LIVEAVATAR_BASE_URL``."""
    from heygen_async._liveavatar._client import KEY_ENV, LIVEAVATAR_BASE_URL, LiveAvatarClient

    if getattr(args, "emulator", False):
        from heygen_async.emulator._liveavatar_app import PREFIX

        found = await _running_emulator(args, out)
        if found is not None:
            out.note(f"{PROG}: using the emulator's LiveAvatar at {found.url}{PREFIX} (pid {found.pid})")
            async with LiveAvatarClient(EMULATOR_LIVEAVATAR_KEY, base_url=found.url + PREFIX) as live:
                yield live
            return
        from heygen_async.emulator import Emulator

        setattr(args, EMULATOR_ONLY_HERE, True)
        out.note(
            f"{PROG}: no running emulator found, so this command uses one of its own, which ends with it (`{PROG} "
            "emulator --background` starts one that lasts)"
        )
        async with Emulator() as emulator, emulator.liveavatar_client() as live:
            yield live
        return
    key = args.liveavatar_key if args.liveavatar_key is not None else os.environ.get(KEY_ENV, "")
    if not key:
        raise UsageError(
            f"no LiveAvatar key: set ${KEY_ENV} or pass --liveavatar-key (or try it on the emulator: --emulator)"
        )
    base_url = args.base_url or os.environ.get(LIVEAVATAR_BASE_URL_ENV) or LIVEAVATAR_BASE_URL
    async with LiveAvatarClient(key, base_url=base_url) as live:
        yield live


@contextlib.asynccontextmanager
async def open_streaming_client(
    args: argparse.Namespace, out: Output
) -> AsyncIterator[HeyGenClient | LiveAvatarClient]:
    """LiveAvatar's client with ``--liveavatar``, else :func:`open_client`'s."""
    if args.backend == LIVEAVATAR:
        async with open_liveavatar_client(args, out) as live:
            yield live
        return
    async with open_client(args, out) as client:
        yield client


def resume_command(args: argparse.Namespace, token: str) -> str:
    """The command that resumes watching a job, with the options that reach the same API."""
    flags = [flag for flag, wanted in (("--emulator", "emulator"), ("--direct", "direct")) if getattr(args, wanted, 0)]
    command = " ".join([f"{PROG} jobs watch '{token}'", *flags])
    if getattr(args, "base_url", None) is not None:
        command += " with the same --base-url"
    return command


async def follow(job: Job[Any], args: argparse.Namespace, out: Output) -> Any:
    """Wait for ``job`` (``--timeout``) with a progress line on stderr; its result, or its error raised (exit 3
    or 4). A timeout or an interruption is reported as such: the job goes on at HeyGen."""
    from heygen_async._jobs._progress import JobProgress

    tracker = JobProgress([job])
    progress = Progress(job.kind.label.lower(), stream=out.stderr)
    progress.show(tracker)
    try:
        async for _snapshot in job.watch(timeout=getattr(args, "timeout", None)):
            tracker.update(job)
            progress.show(tracker)
    except (asyncio.CancelledError, KeyboardInterrupt):
        tracker.update(job)
        progress.interrupted()
        progress.finish()
        if not getattr(args, EMULATOR_ONLY_HERE, False):
            resume = resume_command(args, job.resume_token)
            out.note(f"{job.kind.label.lower()} {job.id} goes on at HeyGen; resume with: {resume}")
        raise
    except BaseException:
        tracker.ended(job)
        progress.show(tracker)
        progress.finish()
        raise
    tracker.ended(job)
    progress.show(tracker)
    progress.finish()
    return job.result()


def confirm(question: str, out: Output) -> bool:
    """Ask on stderr (stdout may be ``--json``) and read a line; end of input means no. Blocking on purpose:
    called before or between event loops, so Ctrl-C interrupts it at once."""
    out.stderr.write(f"{question} [y/N] ")
    out.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        out.stderr.write("\n")
    return answer.strip().lower() in ("y", "yes")


def run(
    args: argparse.Namespace, command: Command, *, check: Callable[[argparse.Namespace], object] | None = None
) -> int:
    """Run an API command with its client; map what it raises to one line and an exit code. ``check`` looks
    at the arguments first, before any client or connection exists."""
    return _run(args, open_client, command, check)


def run_streaming(args: argparse.Namespace, command: StreamingCommand) -> int:
    """:func:`run` for a command that serves both live-session backends (see :func:`add_backend`): its client is
    LiveAvatar's with ``--liveavatar``, else HeyGen's."""
    return _run(args, open_streaming_client, command, _check_backend)


def _run(
    args: argparse.Namespace,
    opener: Callable[[argparse.Namespace, Output], AbstractAsyncContextManager[C]],
    command: Callable[[C, Output, argparse.Namespace], Awaitable[int]],
    check: Callable[[argparse.Namespace], object] | None,
) -> int:
    out = Output(json_mode=bool(getattr(args, "json", False)))

    async def main() -> int:
        async with opener(args, out) as client:
            return await command(client, out, args)

    def body() -> int:
        if check is not None:
            check(args)
        return asyncio.run(main())

    return report(args, out, body)


def report(args: argparse.Namespace, out: Output, body: Callable[[], int]) -> int:
    """Call ``body``; an exception becomes one line on stderr (and its traceback with --debug) and an exit code."""
    from heygen_async._exceptions import (
        ConfigurationError,
        HeyGenError,
        InvalidSignatureError,
        JobFailed,
        PollTimeout,
        ValidationError,
    )

    debug = bool(getattr(args, "debug", False))
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    try:
        return body()
    except KeyboardInterrupt:
        out.note(f"{PROG}: interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # every failure is one line and an exit code, never a bare traceback
        error: BaseException = exc
    text = str(error)
    if not isinstance(error, (UsageError, HeyGenError)):
        code, text = EXIT_API, f"{type(error).__name__}: {text}" if text else type(error).__name__
    elif isinstance(error, (UsageError, ValidationError, ConfigurationError)):
        code = EXIT_USAGE
        if isinstance(error, ConfigurationError) and "token" in text.lower():
            text += " (or try it on the emulator: --emulator)"
    elif isinstance(error, JobFailed):
        code = EXIT_JOB_FAILED
    elif isinstance(error, PollTimeout):
        code = EXIT_TIMEOUT
        if getattr(args, EMULATOR_ONLY_HERE, False):
            text += "; but the emulator it ran on ended with this command, so there is nothing to resume"
        elif error.resume_token:
            text += f"; resume with: {resume_command(args, error.resume_token)}"
    elif isinstance(error, InvalidSignatureError):
        code, text = EXIT_API, f"invalid signature: {text}"
    else:
        code = EXIT_API
    redactor = _redactor(args)  # the library's errors are scrubbed already; anything else may not be
    if debug:
        out.stderr.write(redactor.text("".join(traceback.format_exception(type(error), error, error.__traceback__))))
    out.note(f"{PROG}: error: {redactor.text(text)}")
    return code


def _redactor(args: argparse.Namespace) -> Redactor:
    """Scrubs the credentials this command could know of (the environment's, ``--liveavatar-key``,
    ``--base-url``'s password)."""
    from heygen_async._client import DIRECT_KEY_ENV, TOKEN_ENV
    from heygen_async._liveavatar._client import KEY_ENV
    from heygen_async._redact import Redactor, url_credentials

    names = (TOKEN_ENV, DIRECT_KEY_ENV, KEY_ENV, SECRET_ENV)
    given = getattr(args, "liveavatar_key", None) or ""
    return Redactor(
        *(os.environ.get(name, "") for name in names), given, *url_credentials(getattr(args, "base_url", None))
    )
