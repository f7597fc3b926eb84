"""The ``heygen-async`` command (also ``python -m heygen_async``).

Commands:

* ``demo``: a tour of the library on the embedded emulator (or, with ``--live``, the real gateway).
* ``avatars``, ``voices``, ``quota``, ``me``, ``video create|status|download``, ``translate``, ``jobs watch``,
  ``sessions list|reap``, ``webhooks list|add|delete|verify``: everyday tasks (see ``_commands``); with
  ``--direct`` those with a HeyGen v3 route use it, through the gateway the legacy routes.
* ``emulator [--background | --stop | --status]``: serve the LowCodeAPI + HeyGen emulator on 127.0.0.1, in
  this terminal or in the background; the API commands' ``--emulator`` finds it through its state file.
* ``spec diff FILE [--json]``: compare a LowCodeAPI definition document with the bundled endpoint table, or
  HeyGen's OpenAPI document with the bundled v3 table. Exit status 0 when nothing differs (known deviations and
  table extras are fine), 1 when something does, 2 for a usage error (unreadable file, malformed document).

Exit codes: 0 ok, 1 API error, 2 usage error, 3 job failed, 4 timeout. Each command is a ``_add_*`` function
that registers its sub-parser and a handler; handlers import what they need when they run, so ``--help``
stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ._commands import add_api_commands
from ._common import EXIT_INTERRUPTED, EXIT_USAGE, PROG, UsageError
from ._demo import add_demo
from ._emulator import add_emulator
from ._spec import add_spec

if TYPE_CHECKING:
    pass

__all__ = ["UsageError", "build_parser", "main"]

EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, what a shell reports for a writer whose reader went away."""

Handler = Callable[[argparse.Namespace], int]


class _CommandParser(argparse.ArgumentParser):
    """A sub-command's parser: it reports arguments it does not know with its own usage line (argparse leaves
    them to the top-level parser, whose usage says nothing about the command)."""

    def parse_known_args(  # type: ignore[override]  # typeshed overloads it on namespace; one signature serves
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    from heygen_async._version import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tools for the heygen_async HeyGen client.",
        epilog="The API commands (avatars, voices, quota, video, translate, jobs, sessions, webhooks list/add/"
        "delete, me) take --emulator: the emulator `heygen-async emulator` serves, else one of their own; with "
        "--direct they call HeyGen itself, on its v3 routes where they have one. demo always runs on an emulator of "
        "its own unless --live; emulator, spec diff and webhooks verify call no API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_CommandParser
    )
    add_demo(commands)
    add_api_commands(commands)
    add_emulator(commands)
    add_spec(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of exiting (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed usage and the error (or --help / --version)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    try:
        return handler(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # e.g. at a prompt, outside any command's own handling
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
