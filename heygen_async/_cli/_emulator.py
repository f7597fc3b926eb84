"""``heygen-async emulator``: serve the LowCodeAPI + HeyGen emulator on 127.0.0.1, in this terminal or in the
background (``--background``, ``--status``, ``--stop``), recorded where the API commands' ``--emulator`` finds it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._common import EXIT_OK, PROG, UsageError, refuse_connection_options

if TYPE_CHECKING:
    from heygen_async.emulator import _discovery

__all__ = ["EXIT_NOT_RUNNING", "add_emulator", "add_emulator_arguments"]

EXIT_NOT_RUNNING = 1
"""``emulator --status`` when none is running."""

_SERVE_DEFAULTS: Final[dict[str, Any]] = {
    "port": None,
    "faults": "",
    "time_scale": 30.0,  # the library's emulator's DEFAULT_TIME_SCALE (a test keeps them equal)
    "manual_clock": False,
    "wrapper": "data",
    "concurrent_renders": 3,
    "max_sessions": 3,
    "render_seconds": 30.0,
}


def add_emulator(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    emulator = commands.add_parser(
        "emulator",
        help="run the LowCodeAPI + HeyGen emulator on 127.0.0.1",
        description="Serve an emulator of LowCodeAPI in front of HeyGen on 127.0.0.1 until interrupted (or, with "
        "--background, until `heygen-async emulator --stop`). The gateway is at <url>/heygen (any at_ token), "
        "HeyGen itself at <url> (any X-Api-Key); the control API is at <url>/_emulator/ (info, stats, log, reset, "
        "advance, faults). A serving emulator records its URL in a state file (in $HEYGEN_ASYNC_RUNTIME_DIR, else "
        "$XDG_RUNTIME_DIR/heygen_async or ~/.cache/heygen_async) where the other commands' --emulator finds it.",
    )
    add_emulator_arguments(emulator)
    where = emulator.add_mutually_exclusive_group()
    where.add_argument(
        "--background", action="store_true", help="start it in the background, say where it listens, and return"
    )
    where.add_argument("--stop", action="store_true", help="stop the running emulator --emulator would find")
    where.add_argument("--status", action="store_true", help="say where the running emulator listens (exit 1: none)")
    # How --background starts the emulator: it serves only if it is the one recorded (else it says which is, and
    # ends), so an emulator started in the background is never left running where no --stop can find it.
    emulator.add_argument("--detached", action="store_true", help=argparse.SUPPRESS)
    refuse_connection_options(emulator, "this command serves the emulator; the other commands take --emulator")
    emulator.set_defaults(handler=_emulator)


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options (shared with ``python -m heygen_async.emulator``)."""
    defaults = _SERVE_DEFAULTS
    parser.add_argument(
        "--port",
        type=int,
        default=defaults["port"],
        help="port on 127.0.0.1 (default 8080; with --background, and 0, a free one)",
    )
    parser.add_argument(
        "--faults",
        default=defaults["faults"],
        metavar="SPEC",
        help="e.g. 'rate=0.2,kinds=500+502+429+drop,retry_after=1,seed=7'",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=defaults["time_scale"],
        help="emulated seconds per real second (default 30: a render takes about a second)",
    )
    parser.add_argument("--manual-clock", action="store_true", help="time moves only via POST /_emulator/advance")
    parser.add_argument(
        "--wrapper", choices=("data", "result"), default=defaults["wrapper"], help="the gateway's success wrapper"
    )
    parser.add_argument(
        "--concurrent-renders",
        type=int,
        default=defaults["concurrent_renders"],
        help="renders at once (the plan's limit)",
    )
    parser.add_argument(
        "--max-sessions", type=int, default=defaults["max_sessions"], help="open streaming sessions allowed"
    )
    parser.add_argument(
        "--render-seconds", type=float, default=defaults["render_seconds"], help="emulated seconds one render takes"
    )


def _serve_flags(args: argparse.Namespace) -> list[str]:
    """The serving options given (not left at their defaults), as command-line flags."""
    flags: list[str] = []
    for name, default in _SERVE_DEFAULTS.items():
        value = getattr(args, name)
        if value == default:
            continue
        flag = "--" + name.replace("_", "-")
        flags += [flag] if value is True else [flag, str(value)]
    return flags


def _emulator(args: argparse.Namespace) -> int:
    if args.stop or args.status:
        given = _serve_flags(args)
        if given:
            raise UsageError(f"--{'stop' if args.stop else 'status'} takes no serving options, got {' '.join(given)}")
        return _emulator_stop() if args.stop else _emulator_status()
    from heygen_async.emulator import EmulatorConfig, Faults, ManualClock, ScaledClock

    if args.port is None:
        args.port = 0 if getattr(args, "background", False) else 8080
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
    if args.background:
        return _emulator_background(args)

    async def serve() -> None:
        from heygen_async.emulator import run_emulator

        async with run_emulator(config, clock=clock, faults=faults, port=args.port) as emulator:
            print(f"HeyGen emulator on {emulator.url} (127.0.0.1 only)", flush=True)
            recorded = await _record(emulator.url, emulator.run_id, required=args.detached)
            try:
                _announce(emulator.url, recorded)
                print(f"  control:  {emulator.url}/_emulator/stats; Ctrl-C stops", flush=True)
                await _until_stopped()
            finally:
                if recorded is not None:
                    from heygen_async.emulator import _discovery

                    _discovery.clear(emulator.run_id)

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return EXIT_OK
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    return EXIT_OK


async def _record(url: str, run_id: str, *, required: bool = False) -> str | None:
    """Record this emulator for the other commands' ``--emulator`` unless another running one is: the state
    file, or None (and why, said). ``required`` (a background emulator): :class:`UsageError` instead of None."""
    from heygen_async.emulator import _discovery

    try:
        running = await _discovery.claim(_discovery.Registration(url=url, pid=os.getpid(), run_id=run_id))
    except _discovery.DiscoveryError as exc:
        if required:
            raise UsageError(f"cannot record a background emulator: {exc}") from None
        print(f"note: not recorded for --emulator: {exc}", flush=True)
        return None
    if running is None:
        return str(_discovery.state_file())
    if required:
        raise UsageError(_already_running(running))
    print(
        f"note: {running.url} (pid {running.pid}) is the emulator --emulator finds; this one is reachable by its "
        "URL only",
        flush=True,
    )
    return None


def _already_running(running: _discovery.Registration) -> str:
    return (
        f"an emulator is already running at {running.url} (pid {running.pid}): use it with --emulator, or stop it "
        f"first with `{PROG} emulator --stop`"
    )


def _announce(url: str, recorded: str | None) -> None:
    """How to point commands and code at the emulator."""
    from ._common import BASE_URL_ENV, EMULATOR_LIVEAVATAR_KEY, EMULATOR_TOKEN

    if recorded is not None:
        print(f"  commands: add --emulator, e.g. `{PROG} avatars --emulator` (it is recorded in {recorded})")
    print(f"  or:       export {BASE_URL_ENV}={url}/heygen LOWCODEAPI_API_TOKEN={EMULATOR_TOKEN}")
    print(f"  gateway:  HeyGenClient(api_token='at_...', base_url='{url}/heygen')")
    print(f"  direct:   HeyGenClient.direct(heygen_api_key='...', base_url='{url}')")
    print(f"  live:     LiveAvatarClient(api_key='...', base_url='{url}/liveavatar') (any key: each is an account)")
    print(
        f"  sessions: `{PROG} sessions list --liveavatar --emulator` (the account of key {EMULATOR_LIVEAVATAR_KEY})",
        flush=True,
    )


async def _until_stopped() -> None:
    """Until SIGTERM or SIGHUP (``--stop``, a closed terminal) or Ctrl-C, so the state file is cleared."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not on this platform
                loop.add_signal_handler(number, stop.set)
    await stop.wait()


def _emulator_background(args: argparse.Namespace) -> int:
    """Start the emulator detached, wait until it is recorded, say where it listens."""
    import subprocess
    import time

    from heygen_async.emulator import _discovery

    try:
        running = asyncio.run(_discovery.find())
        directory = _discovery.prepare_directory()
    except _discovery.DiscoveryError as exc:
        raise UsageError(f"cannot record a background emulator: {exc}") from None
    if running is not None:
        raise UsageError(_already_running(running))
    log = directory / _discovery.LOG_NAME
    command = [sys.executable, "-m", "heygen_async", "emulator", "--detached", *_serve_flags(args)]
    launched = subprocess.run(
        [sys.executable, "-m", "heygen_async.emulator._detach", str(log), *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if launched.returncode != 0 or not launched.stdout.strip().isdigit():
        raise UsageError(f"could not start the emulator: {launched.stderr.strip() or 'no process id came back'}")
    pid = int(launched.stdout.strip())
    deadline = time.monotonic() + 60
    while True:
        found = asyncio.run(_discovery.find())
        if found is not None and found.pid == pid:
            break
        why = _startup_error(log)
        if why is not None or time.monotonic() > deadline:
            raise UsageError(f"the emulator did not start: {why or 'it did not answer within 60 s'} (log: {log})")
        time.sleep(0.1)
    from ._common import BASE_URL_ENV, EMULATOR_TOKEN

    print(f"HeyGen emulator on {found.url} (127.0.0.1 only), in the background (pid {pid}; log: {log})")
    print(f"  commands: add --emulator, e.g. `{PROG} avatars --emulator`")
    print(f"  or:       export {BASE_URL_ENV}={found.base_url} LOWCODEAPI_API_TOKEN={EMULATOR_TOKEN}")
    print(f"  stop it:  {PROG} emulator --stop", flush=True)
    return EXIT_OK


def _startup_error(log: Path) -> str | None:
    """The error line a background emulator wrote before giving up, if any."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    errors = [line for line in text.splitlines() if line.startswith(f"{PROG}: error:") or "Error" in line]
    return errors[-1].removeprefix(f"{PROG}: error: ") if errors else None


def _emulator_status() -> int:
    from heygen_async.emulator import _discovery

    try:
        found = asyncio.run(_discovery.find())
    except _discovery.DiscoveryError as exc:
        raise UsageError(str(exc)) from None
    if found is None:
        print(f"no emulator is running (start one: {PROG} emulator --background)")
        return EXIT_NOT_RUNNING
    print(f"HeyGen emulator on {found.url} (pid {found.pid}); gateway {found.base_url}")
    return EXIT_OK


def _emulator_stop() -> int:
    import signal
    import time

    from heygen_async.emulator import _discovery

    try:
        found = asyncio.run(_discovery.find())
    except _discovery.DiscoveryError as exc:
        raise UsageError(str(exc)) from None
    if found is None:
        print("no emulator is running; nothing to stop")
        return EXIT_OK
    os.kill(found.pid, signal.SIGTERM)  # the pid the emulator itself reported (find() checked it answers)
    deadline = time.monotonic() + 30
    while not asyncio.run(_discovery.stopped(found)):
        if time.monotonic() > deadline:
            raise UsageError(f"the emulator (pid {found.pid}) did not stop within 30 s")
        time.sleep(0.1)
    print(f"stopped the emulator at {found.url} (pid {found.pid})")
    return EXIT_OK
