"""Which deliveries a receiver has already handed to the application, so a retried or replayed one is not.

A delivery is known by its own id when it has an authenticated one (v3's ``event_id``: every attempt at one
event carries the same id, and two events of one job different ones), else by its event (type and job id:
HeyGen finishes a job once) or, for events without a job id, by the SHA-256 of its raw body. The log is a
protocol so a fleet of receivers can share one (Redis, a database); :class:`MemoryDeliveryLog` serves a single
process.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Final, Literal, Protocol, runtime_checkable

from heygen_async._exceptions import ValidationError

from ._events import WebhookEvent

__all__ = ["Claim", "DeliveryLog", "MemoryDeliveryLog", "delivery_key"]

_DEFAULT_TTL: Final = 3 * 24 * 3600.0


def delivery_key(event: WebhookEvent, raw_body: bytes) -> str:
    """What makes two deliveries the same: the delivery's id (``event.event_id``, which is only ever one its
    signature covers), else the event and its job, else the exact body. Unverified deliveries have keys of
    their own, so an unsigned forgery can never shadow the signed delivery of the same job."""
    prefix = "" if event.verified else "unsigned:"
    if event.event_id is not None:
        return f"{prefix}id:{event.event_id}"
    job_id = event.job_id
    if job_id is not None:
        return f"{prefix}event:{event.event_type}:{job_id}"
    return f"{prefix}body:" + hashlib.sha256(raw_body).hexdigest()


Claim = Literal["new", "in_progress", "done"]
"""What :meth:`DeliveryLog.claim` found: the key was free (now claimed), is being handled, or was handled."""


@runtime_checkable
class DeliveryLog(Protocol):
    """Claims delivery keys. ``claim`` is atomic: of two concurrent claims of one key, one gets ``"new"``."""

    async def claim(self, key: str) -> Claim:
        """Claim ``key`` for handling: ``"new"`` (the caller hands the event on, then calls :meth:`complete`
        or :meth:`release`), ``"in_progress"`` (another copy is being handled: the sender must try again
        later) or ``"done"`` (handed on already)."""
        ...

    async def complete(self, key: str) -> None:
        """The application took the event: later copies are ``"done"``."""
        ...

    async def release(self, key: str) -> None:
        """Forget ``key`` (the application failed on it: the sender's retry must get through)."""
        ...


class MemoryDeliveryLog:
    """Keys in this process's memory: the newest ``max_entries``, each for ``ttl`` seconds once handled. A
    claim still in progress after ``lease`` seconds (its handler hung or its task died) is free again."""

    def __init__(self, *, max_entries: int = 100_000, ttl: float = _DEFAULT_TTL, lease: float = 600.0) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValidationError("must be a positive int", parameter="max_entries")
        for name, value in (("ttl", ttl), ("lease", lease)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise ValidationError("must be a positive number of seconds", parameter=name)
        self.max_entries = max_entries
        self.ttl = float(ttl)
        self.lease = float(lease)
        self._seen: OrderedDict[str, tuple[float, bool]] = OrderedDict()  # key -> (expires, done)

    def __len__(self) -> int:
        return len(self._seen)

    def __repr__(self) -> str:
        return f"<MemoryDeliveryLog {len(self._seen)} of {self.max_entries} keys>"

    async def claim(self, key: str) -> Claim:
        now = time.monotonic()
        self._expire(now)
        entry = self._seen.get(key)
        if entry is not None and entry[0] > now:
            return "done" if entry[1] else "in_progress"
        self._seen.pop(key, None)
        self._seen[key] = (now + self.lease, False)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return "new"

    async def complete(self, key: str) -> None:
        if key in self._seen:
            del self._seen[key]
        self._seen[key] = (time.monotonic() + self.ttl, True)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)

    async def release(self, key: str) -> None:
        self._seen.pop(key, None)

    def _expire(self, now: float) -> None:
        seen = self._seen
        while seen:
            key, (expires, _) = next(iter(seen.items()))
            if expires > now:
                return
            del seen[key]
