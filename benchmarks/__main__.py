"""Run every benchmark scenario and print a Markdown report (``python -m benchmarks [--quick]``)."""

from __future__ import annotations

import argparse
import platform
import sys

import aiohttp

import heygen_async

from . import (
    emulator_throughput,
    hot_path,
    idle_memory,
    import_time,
    job_polling,
    liveavatar_sessions,
    multi_worker,
    per_call,
    streaming_sessions,
    v3_bulk_polling,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the benchmarks still run")
    args = parser.parse_args(argv)
    total, rounds = (200, 1) if args.quick else (3000, 5)
    print(f"# heygen_async {heygen_async.__version__} benchmarks")
    print()
    print(f"Python {platform.python_version()} on {platform.machine()}, aiohttp {aiohttp.__version__}, ")
    print(f"`python -m benchmarks{' --quick' if args.quick else ''}`")
    print()
    print("## Per-call cost: reads against the emulator")
    print()
    print(per_call.run_reads(total=total, rounds=rounds))
    print()
    print("## Per-call cost: creates against the emulator")
    print()
    print(per_call.run_creates(total=total, rounds=rounds))
    print()
    print("## Idle memory: a client after one call")
    print()
    print(idle_memory.run(rounds=rounds))
    print()
    print("## Import time")
    print()
    print(import_time.run(rounds=3 if args.quick else 15))
    print()
    print("## Hot path: the client's own steps, in isolation")
    print()
    print(hot_path.run(number=1000 if args.quick else 20_000))
    print()
    print("## Emulator throughput")
    print()
    print(emulator_throughput.run(seconds=0.5 if args.quick else 3.0, rounds=1 if args.quick else 3))
    print()
    print("## Job polling: many concurrent renders under one polls-per-second budget")
    print()
    if args.quick:
        print(job_polling.run(jobs=300, budget=200.0, render_seconds=4.0))
    else:
        print(job_polling.run())
    print()
    print("## HeyGen v3: many renders tracked with bulk status beside per-job polling, one budget")
    print()
    if args.quick:
        print(
            v3_bulk_polling.run(
                jobs=200, budget=500.0, pending_seconds=0.5, render_seconds=1.5, policy=v3_bulk_polling.QUICK_CADENCE
            )
        )
    else:
        print(v3_bulk_polling.run())
    print()
    print("## Streaming sessions: many live sessions at once, the session layer against raw calls")
    print()
    print(streaming_sessions.run(sessions=50, rounds=1) if args.quick else streaming_sessions.run())
    print()
    print("## LiveAvatar LITE sessions: many at once, each speaking PCM, the session layer against a bare loop")
    print()
    if args.quick:
        print(liveavatar_sessions.run(sessions=20, seconds=2.0, spreads=(0.0,)))
    else:
        print(liveavatar_sessions.run())
    print()
    print("## Many worker processes on one account: shared state on Redis, one worker killed")
    print()
    if args.quick:
        print(
            multi_worker.run(jobs=200, budget=100.0, render_seconds=3.0, lease_ttl=1.5, adopt_every=0.5, kill_after=1.0)
        )
    else:
        print(multi_worker.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
