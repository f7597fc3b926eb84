"""A server in its own process for a benchmark, so its CPU never counts as the client's."""

from __future__ import annotations

import multiprocessing
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from typing import Any

ServeFunction = Callable[[int, Any], None]
"""``serve(port, ready)``: bind 127.0.0.1:port, call ``ready.set()``, then serve until terminated."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(serve: ServeFunction) -> Iterator[tuple[int, BaseProcess]]:
    """Start ``serve`` in a spawned process on a free port; yield ``(port, process)``; stop it afterwards."""
    ctx = multiprocessing.get_context("spawn")
    port = free_port()
    ready = ctx.Event()
    process = ctx.Process(target=serve, args=(port, ready), daemon=True)
    process.start()
    try:
        if not ready.wait(30):
            raise RuntimeError(f"benchmark server {getattr(serve, '__name__', serve)!r} did not start")
        yield port, process
    finally:
        process.terminate()
        process.join(10)
