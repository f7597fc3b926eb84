"""Finishing work that must not be cut short by cancellation (creating or stopping a billed session).

``anyio.CancelScope(shield=True)`` protects against anyio's own cancel scopes, but in a plain asyncio task a
second ``task.cancel()`` still lands inside it. :func:`finish` runs the work in its own task and waits for it
whatever happens to the waiting task, within a bounded grace period, then tells the caller whether a
cancellation arrived meanwhile so the caller can re-raise it once the work is accounted for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Final, TypeVar

import anyio

__all__ = ["finish", "first_of"]

T = TypeVar("T")
_ABANDONED: set[asyncio.Future[Any]] = set()
SETTLE: Final = 1.0
"""Seconds a task that was cancelled at the end of its grace period gets to wind down before we stop waiting."""


async def finish(work: Awaitable[T] | asyncio.Future[T], *, grace: float | None) -> tuple[asyncio.Future[T], bool]:
    """Run ``work`` to its end despite cancellation of the caller, and return ``(its task, cancelled)``.

    Without a cancellation there is no limit (``work`` carries its own timeouts). After the first
    cancellation, ``work`` gets ``grace`` more seconds (``None``: as long as it takes); then it is cancelled too.
    The caller reads the outcome from the returned task (``task.result()`` raises its error; a task that is
    not done was abandoned, as it would not even wind down) and re-raises :class:`asyncio.CancelledError`
    when ``cancelled`` is true.
    """
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    cancelled = False
    deadline: float | None = None
    with anyio.CancelScope(shield=True):
        while not task.done():
            wait = None if deadline is None else max(0.0, deadline - loop.time())
            if wait == 0.0:
                task.cancel()
                deadline = loop.time() + SETTLE
                wait = SETTLE
                finished, interrupted = await _wait(task, wait)
                cancelled = cancelled or interrupted
                if not finished:
                    # It did not wind down: abandoned (the returned task is not done). Keep a reference so
                    # it is not destroyed while pending; what it made is logged by the caller.
                    _ABANDONED.add(task)
                    task.add_done_callback(_ABANDONED.discard)
                    break
                continue
            try:
                await asyncio.wait({task}, timeout=wait)
            except asyncio.CancelledError:
                cancelled = True
                if deadline is None and grace is not None:
                    deadline = loop.time() + grace
    return task, cancelled


async def _wait(task: asyncio.Future[T], seconds: float) -> tuple[bool, bool]:
    """Wait up to ``seconds`` for ``task``, noting but not obeying cancellation: ``(finished, cancelled)``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    cancelled = False
    while not task.done() and loop.time() < deadline:
        try:
            await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
        except asyncio.CancelledError:
            cancelled = True
    return task.done(), cancelled


async def first_of(*waits: asyncio.Future[Any], timeout: float | None = None) -> None:
    """Wait until one of ``waits`` is done (or ``timeout`` seconds pass), then cancel the others and let them
    end, also when the caller is cancelled meanwhile: nothing started here outlives the call."""
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        pending = [wait for wait in waits if not wait.done()]
        for wait in pending:
            wait.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
