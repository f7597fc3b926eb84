"""A real redis-server on 127.0.0.1 for tests and benchmarks: started on a free port, stopped after.

Nothing here is a mock: it runs Debian's ``redis-server`` binary (``.ci/ensure-redis`` installs it when it is
missing), in a temporary directory, with persistence off. Tests and benchmarks share this one launcher.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RedisServerMissing", "redis_server"]


class RedisServerMissing(RuntimeError):
    """``redis-server`` is not installed: run ``.ci/ensure-redis`` (``make test`` does)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(*, attempts: int = 3) -> Iterator[str]:
    """Start ``redis-server`` on 127.0.0.1 and yield its ``redis://`` URL; stop it (and delete its directory)
    on exit. A port taken between probing and binding is retried on another."""
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if binary is None:
        raise RedisServerMissing("redis-server is not installed: run .ci/ensure-redis (make test does it)")
    with tempfile.TemporaryDirectory(prefix="heygen-redis-") as directory:
        for _ in range(attempts):
            port = _free_port()
            process = subprocess.Popen(
                [
                    binary,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    directory,
                    "--protected-mode",
                    "yes",
                    "--loglevel",
                    "warning",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10.0
            while time.monotonic() < deadline and process.poll() is None and not _ping(port):
                time.sleep(0.02)
            if process.poll() is None and _ping(port):
                break
            process.kill()
            process.wait()
        else:
            raise RuntimeError(f"redis-server did not start on 127.0.0.1 after {attempts} attempts")
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
