"""What every ``heygen-async`` command shares: exit codes, common options, the client, and error reporting.

Exit codes are for scripts: 0 ok, 1 API error, 2 usage error, 3 job failed, 4 timeout. An error is one line on
stderr (``heygen-async: error: ...``) unless ``--debug`` asks for the traceback too. The client comes from the
environment (``LOWCODEAPI_API_TOKEN``, or ``HEYGEN_API_KEY`` with ``--direct``), or from an emulator started in
this process with ``--emulator``; the token is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Final

from ._cli_output import Output

if TYPE_CHECKING:
    from ._client import HeyGenClient
    from ._redact import Redactor

__all__ = [
    "EXIT_API",
    "EXIT_INTERRUPTED",
    "EXIT_JOB_FAILED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "PROG",
    "UsageError",
    "add_common",
    "confirm",
    "open_client",
    "run",
]

PROG: Final = "heygen-async"
EXIT_OK: Final = 0
EXIT_API: Final = 1
EXIT_USAGE: Final = 2
EXIT_JOB_FAILED: Final = 3
EXIT_TIMEOUT: Final = 4
EXIT_INTERRUPTED: Final = 130

Command = Callable[["HeyGenClient", Output, argparse.Namespace], Awaitable[int]]


class UsageError(Exception):
    """A command cannot run as asked; printed as one line, exit status 2."""


def add_common(parser: argparse.ArgumentParser, *, client: bool = True) -> None:
    """Options every command takes (``--json``, ``--debug``) and, for API commands, where to connect."""
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    output.add_argument("--debug", action="store_true", help="show tracebacks and debug logs on errors")
    if not client:
        return
    where = parser.add_argument_group("connection")
    where.add_argument(
        "--base-url", default=None, help="the gateway's (or, with --direct, HeyGen's) base URL; default: the real one"
    )
    where.add_argument(
        "--direct", action="store_true", help="call HeyGen directly with HEYGEN_API_KEY (default: LowCodeAPI gateway)"
    )
    where.add_argument(
        "--emulator", action="store_true", help="run against an emulator started in this process (no account needed)"
    )


@contextlib.asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[HeyGenClient]:
    """The client the options ask for; with ``--emulator``, an emulator on 127.0.0.1 behind it."""
    from ._client import HeyGenClient

    if getattr(args, "emulator", False):
        from .emulator import Emulator, EmulatorConfig, ScaledClock

        async with Emulator(EmulatorConfig(render_seconds=30, pending_seconds=2), clock=ScaledClock(30)) as emulator:
            client = emulator.direct_client() if args.direct else emulator.client()
            async with client:
                yield client
        return
    options = {} if args.base_url is None else {"base_url": args.base_url}
    client = HeyGenClient.direct(**options) if args.direct else HeyGenClient(**options)
    async with client:
        yield client


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
    out = Output(json_mode=bool(getattr(args, "json", False)))

    async def main() -> int:
        async with open_client(args) as client:
            return await command(client, out, args)

    def body() -> int:
        if check is not None:
            check(args)
        return asyncio.run(main())

    return report(args, out, body)


def report(args: argparse.Namespace, out: Output, body: Callable[[], int]) -> int:
    """Call ``body``; an exception becomes one line on stderr (and its traceback with --debug) and an exit code."""
    from ._exceptions import (
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
        code, text = EXIT_TIMEOUT, f"{text}; resume with: {PROG} jobs watch '{error.resume_token}'"
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
    """Scrubs the credentials this command could know of (the environment's, ``--base-url``'s password)."""
    from ._cli_api import SECRET_ENV
    from ._client import DIRECT_KEY_ENV, TOKEN_ENV
    from ._redact import Redactor, url_credentials

    names = (TOKEN_ENV, DIRECT_KEY_ENV, SECRET_ENV)
    return Redactor(*(os.environ.get(name, "") for name in names), *url_credentials(getattr(args, "base_url", None)))
