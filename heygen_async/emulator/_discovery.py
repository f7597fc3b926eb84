"""Finding a running emulator from another process: how ``heygen-async ... --emulator`` reaches the one that
``heygen-async emulator`` (in another terminal, or ``--background``) serves.

A serving emulator records itself in ``emulator.json`` in a per-user directory: ``$HEYGEN_ASYNC_RUNTIME_DIR``
if set, else ``$XDG_RUNTIME_DIR/heygen_async``, else ``$XDG_CACHE_HOME/heygen_async`` (``~/.cache/...``).
The file holds only its URL (``http://127.0.0.1:PORT``), its pid and a random run id: no credential (the
emulator takes any ``at_`` token). It is written atomically (a temporary file linked or renamed into place)
with mode 0600, in a directory of mode 0700; a directory or file that another user owns or can write is not
trusted. An emulator records itself with :func:`claim`: only where no running emulator is recorded, and of
several starting at once exactly one is (the link fails for the others, which then find the one that won).

A reader trusts a record only once the emulator at its URL answers ``GET /_emulator/info`` with the same run
id and pid. A record whose process is gone, or whose URL refuses connections or answers another run id, is
stale: it is ignored and deleted (only if the file still holds that record). A slow answer is ignored but
not deleted: the emulator may just be busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, Final

import aiohttp
import attrs

__all__ = [
    "RUNTIME_DIR_ENV",
    "DiscoveryError",
    "Registration",
    "claim",
    "clear",
    "find",
    "prepare_directory",
    "read",
    "record",
    "runtime_dir",
    "state_file",
    "stopped",
]

RUNTIME_DIR_ENV: Final = "HEYGEN_ASYNC_RUNTIME_DIR"
FILE_NAME: Final = "emulator.json"
LOG_NAME: Final = "emulator.log"
"""What a background emulator writes (its announcement, or why it could not start), beside the state file."""
INFO_PATH: Final = "/_emulator/info"
_URL: Final = re.compile(r"http://127\.0\.0\.1:([0-9]{1,5})")
_RUN_ID: Final = re.compile(r"[0-9a-f]{16,64}")
_MAX_SIZE: Final = 4096


class DiscoveryError(Exception):
    """The discovery directory or file cannot be trusted or written (its message says why)."""


@attrs.frozen(kw_only=True)
class Registration:
    """A running emulator as its state file records it."""

    url: str
    pid: int
    run_id: str

    @property
    def base_url(self) -> str:
        """The gateway's base URL (``url`` is HeyGen itself, for direct mode)."""
        return self.url + "/heygen"

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "pid": self.pid, "run_id": self.run_id}

    @classmethod
    def from_json(cls, data: Any) -> Registration:
        """The record in ``data``, or :class:`DiscoveryError` if it is anything but exactly a record."""
        if not isinstance(data, dict) or set(data) != {"url", "pid", "run_id"}:
            raise DiscoveryError("not an emulator record")
        url, pid, run_id = data["url"], data["pid"], data["run_id"]
        match = _URL.fullmatch(url) if isinstance(url, str) else None
        if match is None or not 0 < int(match[1]) < 65536:
            raise DiscoveryError("the record's URL is not http://127.0.0.1:PORT")
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise DiscoveryError("the record's pid is not a process id")
        if not isinstance(run_id, str) or _RUN_ID.fullmatch(run_id) is None:
            raise DiscoveryError("the record's run id is malformed")
        return cls(url=url, pid=pid, run_id=run_id)


def runtime_dir() -> Path:
    """The per-user directory of the state file (not created here)."""
    configured = os.environ.get(RUNTIME_DIR_ENV)
    if configured:
        return Path(configured)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "heygen_async"
    cache = os.environ.get("XDG_CACHE_HOME")
    return (Path(cache) if cache else Path.home() / ".cache") / "heygen_async"


def state_file() -> Path:
    return runtime_dir() / FILE_NAME


_POSIX: Final = os.name == "posix"
"""Owners and mode bits to check (elsewhere the per-user directory is the only protection)."""


def _check_private(info: os.stat_result, what: str, path: Path) -> None:
    """Only this user may own and write ``path``."""
    if not _POSIX:
        return
    if info.st_uid != os.getuid():
        raise DiscoveryError(f"{what} {path} belongs to another user")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise DiscoveryError(f"{what} {path} is writable by other users")


def _directory(*, create: bool) -> Path:
    directory = runtime_dir()
    if create:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DiscoveryError(f"cannot create {directory}: {exc.strerror or exc}") from None
    try:
        info = directory.stat()
    except FileNotFoundError:
        return directory
    except OSError as exc:
        raise DiscoveryError(f"cannot use {directory}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise DiscoveryError(f"{directory} is not a directory")
    _check_private(info, "the directory", directory)
    return directory


def prepare_directory() -> Path:
    """The discovery directory, created (mode 0700) if missing; :class:`DiscoveryError` if it is not private."""
    return _directory(create=True)


def record(registration: Registration) -> Path:
    """Write ``registration`` as the state file, atomically and readable by this user only, in place of any
    record there (an emulator records itself with :func:`claim`)."""
    return _write(registration, exclusive=False)


async def claim(registration: Registration, *, attempts: int = 3) -> Registration | None:
    """Record ``registration`` unless a running emulator is recorded already: None once recorded, else that
    emulator. A stale record is replaced. The record is published with a hard link, which fails if a record
    is there, so of emulators claiming at once exactly one is recorded and the others get it.
    :class:`DiscoveryError` if the file is not trusted, or names an emulator that does not answer
    (``attempts`` times)."""
    for _ in range(attempts):
        try:
            _write(registration, exclusive=True)
            return None
        except FileExistsError:
            pass
        running = await find()  # deletes a stale record, so the next link can succeed
        if running is not None:
            return running
    raise DiscoveryError(f"{state_file()} names an emulator that did not answer; it was left in place")


def _write(registration: Registration, *, exclusive: bool) -> Path:
    """Write the state file from a private temporary file: linked into place (``exclusive``:
    :class:`FileExistsError` if a record is there) or renamed over any record."""
    directory = _directory(create=True)
    target = directory / FILE_NAME
    data = json.dumps(registration.to_json()).encode()
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".emulator.", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            if exclusive:
                os.link(temporary, target)
            else:
                os.replace(temporary, target)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)  # gone already once renamed; the link's other name once linked
    except FileExistsError:
        raise
    except OSError as exc:
        raise DiscoveryError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def _read_raw() -> bytes | None:
    """The state file's bytes, or None when there is none; :class:`DiscoveryError` if it is not trusted."""
    path = _directory(create=False) / FILE_NAME
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DiscoveryError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DiscoveryError(f"{path} is not a regular file")
        _check_private(info, "the file", path)
        if _POSIX and info.st_mode & 0o077:
            raise DiscoveryError(f"{path} is readable by other users (it should be mode 0600)")
        return file.read(_MAX_SIZE + 1)


def read() -> Registration | None:
    """The recorded emulator, unverified; None when there is none. A malformed file is stale: deleted."""
    loaded = _load()
    return None if loaded is None else loaded[0]


def _load() -> tuple[Registration, bytes] | None:
    raw = _read_raw()
    if raw is None:
        return None
    try:
        if len(raw) > _MAX_SIZE:
            raise DiscoveryError("the file is too large")
        return Registration.from_json(json.loads(raw)), raw
    except (ValueError, DiscoveryError):
        _delete_if_unchanged(raw)
        return None


def clear(run_id: str) -> None:
    """Delete the state file if it records run ``run_id`` (an emulator leaving); anything else stays."""
    try:
        raw = _read_raw()
    except DiscoveryError:
        return
    if raw is None:
        return
    try:
        current = Registration.from_json(json.loads(raw))
    except (ValueError, DiscoveryError):
        return
    if current.run_id == run_id:
        _delete_if_unchanged(raw)


def _delete_if_unchanged(raw: bytes) -> None:
    """Delete the state file if it still holds ``raw``: a newer emulator's record is never deleted."""
    path = runtime_dir() / FILE_NAME
    with contextlib.suppress(OSError, DiscoveryError):
        if _read_raw() == raw:
            path.unlink()


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):  # it exists (another user's), or this platform cannot tell
        return False
    return False


async def find(*, timeout: float = 2.0) -> Registration | None:
    """The running emulator the state file records, verified through its control API; None if there is
    none (a stale record is deleted). :class:`DiscoveryError` if the directory or file is not trusted."""
    loaded = _load()
    if loaded is None:
        return None
    registration, raw = loaded
    if _process_gone(registration.pid):
        _delete_if_unchanged(raw)
        return None
    try:
        info = await _info(registration.url, timeout)
    except asyncio.TimeoutError:  # busy, perhaps: not proof that it is gone (checked before ClientError, which
        return None  # aiohttp's ServerTimeoutError also is)
    except (aiohttp.ClientError, ValueError):  # not listening, or not an emulator answering
        info = None
    if not isinstance(info, dict) or info.get("run_id") != registration.run_id or info.get("pid") != registration.pid:
        _delete_if_unchanged(raw)
        return None
    return registration


async def stopped(registration: Registration, *, timeout: float = 2.0) -> bool:
    """Whether the emulator ``registration`` records has gone: its process ended, or it no longer answers
    and its record is cleared."""
    if _process_gone(registration.pid):
        return True
    current = read()
    if current is not None and current.run_id == registration.run_id:
        return False
    try:
        await _info(registration.url, timeout)
    except asyncio.TimeoutError:
        return False
    except (aiohttp.ClientError, ValueError):
        return True
    return False


async def _info(url: str, timeout: float) -> Any:
    limits = aiohttp.ClientTimeout(total=timeout)
    async with (
        aiohttp.ClientSession(timeout=limits, trust_env=False) as session,
        session.get(url + INFO_PATH, allow_redirects=False) as response,
    ):
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        return await response.json(content_type=None)
