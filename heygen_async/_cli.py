"""The ``heygen-async`` command (also ``python -m heygen_async``).

Commands:

* ``demo``: a tour of the library on the embedded emulator (or, with ``--live``, the real gateway).
* ``avatars``, ``voices``, ``quota``, ``video create|status|download``, ``translate``, ``jobs watch``,
  ``sessions list|reap``, ``webhooks list|add|delete|verify``: everyday tasks (see ``_cli_api``).
* ``emulator``: serve the LowCodeAPI + HeyGen emulator on 127.0.0.1.
* ``spec diff FILE [--json]``: compare a LowCodeAPI definition document with the bundled endpoint table. Exit
  status 0 when nothing differs (known deviations and table extras are fine), 1 when something does, 2 for a
  usage error (unreadable file, malformed definition).

Exit codes: 0 ok, 1 API error, 2 usage error, 3 job failed, 4 timeout. Each command is a ``_add_*`` function
that registers its sub-parser and a handler; handlers import what they need when they run, so ``--help``
stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ._cli_api import add_api_commands
from ._cli_common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, PROG, UsageError
from ._cli_demo import add_demo

if TYPE_CHECKING:
    from ._definition import Definition, Diff, Difference, RouteDiff

__all__ = ["UsageError", "build_parser", "main"]

EXIT_DIFFERENCES = 1
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, what a shell reports for a writer whose reader went away."""

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    from ._version import __version__

    parser = argparse.ArgumentParser(prog=PROG, description="Tools for the heygen_async HeyGen client.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_demo(commands)
    add_api_commands(commands)
    _add_emulator(commands)
    _add_spec(commands)
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


# -- emulator ---------------------------------------------------------------------------------------------------


def _add_emulator(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    emulator = commands.add_parser(
        "emulator",
        help="run the LowCodeAPI + HeyGen emulator on 127.0.0.1",
        description="Serve an emulator of LowCodeAPI in front of HeyGen on 127.0.0.1 until interrupted. The "
        "gateway is at <url>/heygen (any at_ token), HeyGen itself at <url> (any X-Api-Key); the control API is "
        "at <url>/_emulator/ (stats, log, reset, advance, faults).",
    )
    add_emulator_arguments(emulator)
    emulator.set_defaults(handler=_emulator)


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options (shared with ``python -m heygen_async.emulator``)."""
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument(
        "--faults", default="", metavar="SPEC", help="e.g. 'rate=0.2,kinds=500+502+429+drop,retry_after=1,seed=7'"
    )
    parser.add_argument("--time-scale", type=float, default=1.0, help="emulated seconds per real second")
    parser.add_argument("--manual-clock", action="store_true", help="time moves only via POST /_emulator/advance")
    parser.add_argument("--wrapper", choices=("data", "result"), default="data", help="the gateway's success wrapper")
    parser.add_argument("--concurrent-renders", type=int, default=3, help="renders at once (the plan's limit)")
    parser.add_argument("--max-sessions", type=int, default=3, help="open streaming sessions allowed")
    parser.add_argument("--render-seconds", type=float, default=30.0, help="emulated seconds one render takes")


def _emulator(args: argparse.Namespace) -> int:
    import asyncio

    from .emulator import EmulatorConfig, Faults, ManualClock, ScaledClock, run_emulator

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be within 0..65535, got {args.port}")
    try:
        faults = Faults.parse(args.faults) if args.faults else None
        clock = ManualClock() if args.manual_clock else ScaledClock(args.time_scale)
        config = EmulatorConfig(
            wrapper=args.wrapper,
            concurrent_renders=args.concurrent_renders,
            max_sessions=args.max_sessions,
            render_seconds=args.render_seconds,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None

    async def serve() -> None:
        async with run_emulator(config, clock=clock, faults=faults, port=args.port) as emulator:
            print(f"HeyGen emulator on {emulator.url} (127.0.0.1 only)", flush=True)
            print(f"  gateway: HeyGenClient(api_token='at_...', base_url='{emulator.base_url}')", flush=True)
            print(f"  direct:  HeyGenClient.direct(heygen_api_key='...', base_url='{emulator.url}')", flush=True)
            print(f"  control: {emulator.url}/_emulator/stats; Ctrl-C stops", flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return EXIT_OK
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    return EXIT_OK


# -- spec ---------------------------------------------------------------------------------------------------


def _add_spec(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spec = commands.add_parser(
        "spec", help="inspect the bundled endpoint table", description="Inspect the bundled endpoint table."
    )
    spec_commands = spec.add_subparsers(dest="spec_command", metavar="COMMAND", required=True)
    diff = spec_commands.add_parser(
        "diff",
        help="compare a LowCodeAPI definition document with the endpoint table",
        description="Report the endpoints added, removed or changed between a LowCodeAPI HeyGen definition "
        "document and the bundled endpoint table. Exit status: 0 no differences, 1 differences, 2 usage error.",
    )
    diff.add_argument("file", metavar="FILE", help="a LowCodeAPI definition JSON file")
    diff.add_argument("--json", action="store_true", help="print a machine-readable JSON object")
    diff.add_argument(
        "--emit-rows",
        action="store_true",
        help="also print draft endpoint-table rows (Python) for the routes the document adds",
    )
    diff.set_defaults(handler=_spec_diff)


def _spec_diff(args: argparse.Namespace) -> int:
    from ._definition import DefinitionError, diff, draft_row, load_definition
    from ._endpoint_table import ENDPOINTS

    try:
        definition = load_definition(args.file)
    except DefinitionError as exc:
        raise UsageError(str(exc)) from None
    result = diff(definition.routes, ENDPOINTS)
    if args.json:
        report: dict[str, Any] = {
            "file": args.file,
            "document_routes": len(definition.routes),
            "table_endpoints": len(ENDPOINTS),
            **result.to_json(),
        }
        if args.emit_rows:
            report["draft_rows"] = [draft_row(route) for route in result.added]
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_report(sys.stdout, args.file, definition, len(ENDPOINTS), result)
        if args.emit_rows and result.added:
            print("\nDraft rows for heygen_async/_endpoint_table.py (review every TODO):\n")
            for route in result.added:
                print(draft_row(route) + ",")
    return EXIT_DIFFERENCES if result.has_differences else EXIT_OK


def _print_report(out: TextIO, file: str, definition: Definition, table_size: int, result: Diff) -> None:
    counts = result.counts()
    claimed = f", claims {definition.total_api}" if definition.total_api not in (None, len(definition.routes)) else ""
    out.write(f"{file}: {len(definition.routes)} routes{claimed}; endpoint table: {table_size} endpoints\n")
    out.write(
        f"matched {counts['matched']}, added {counts['added']}, removed {counts['removed']}, "
        f"changed {counts['changed']} ({counts['changes']} changes); "
        f"{counts['known_deviations']} known deviations, {counts['table_extras']} table extras\n"
    )
    if result.added:
        out.write("\nAdded (in the document, not in the table):\n")
        for route in result.added:
            host = "" if route.host == "api" else f" [{route.host}]"
            out.write(f"  {route.key}{host}  {route.seed_name!r}\n")
    if result.removed:
        out.write("\nRemoved (in the table, not in the document):\n")
        for endpoint in result.removed:
            out.write(f"  {endpoint.qualname}  {endpoint.key}  {endpoint.seed_name!r}\n")
    if result.changed:
        out.write("\nChanged:\n")
        for match in result.changed:
            _write_route(out, match, match.changes, explain=False)
    if result.with_known_deviations:
        out.write("\nKnown deviations (explained by the table's notes):\n")
        for match in result.with_known_deviations:
            _write_route(out, match, match.known, explain=True)
    if result.with_extras:
        out.write("\nTable extras (stated by the table, not by the document):\n")
        for match in result.with_extras:
            out.write(f"  {match.endpoint.qualname}: {', '.join(_extra_text(d) for d in match.extras)}\n")
    out.write("\n" + ("Differences found.\n" if result.has_differences else "No differences.\n"))


def _write_route(out: TextIO, match: RouteDiff, differences: Sequence[Difference], *, explain: bool) -> None:
    via = "" if match.matched_by == "method and path" else " (matched by seed name)"
    out.write(f"  {match.endpoint.qualname}  {match.endpoint.key}{via}\n")
    for difference in differences:
        out.write(f"    - {difference.describe()}\n")
        if explain:
            out.write(f"      ({difference.explanation})\n")


def _extra_text(difference: Difference) -> str:
    if difference.kind == "only_in_table":
        return f"param {difference.param}"
    return f"{difference.kind} {difference.param}"
