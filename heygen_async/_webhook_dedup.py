"""Which deliveries a receiver has already handed to the application, so a retried or replayed one is not.

A delivery is known by its event (type and job id: HeyGen finishes a job once) or, for events without a job
id, by the SHA-256 of its raw body. The log is a protocol so a fleet of receivers can share one (Redis, a
database); :class:`MemoryDeliveryLog` serves a single process.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Final, Protocol, runtime_checkable

from ._exceptions import ValidationError
from ._webhook_events import WebhookEvent

__all__ = ["DeliveryLog", "MemoryDeliveryLog", "delivery_key"]

_DEFAULT_TTL: Final = 3 * 24 * 3600.0


def delivery_key(event: WebhookEvent, raw_body: bytes) -> str:
    """What makes two deliveries the same: the event and its job, else the exact body."""
    job_id = event.job_id
    if job_id is not None:
        return f"event:{event.event_type}:{job_id}"
    return "body:" + hashlib.sha256(raw_body).hexdigest()


@runtime_checkable
class DeliveryLog(Protocol):
    """Claims delivery keys. ``claim`` is atomic: of two concurrent claims of one key, one wins."""

    async def claim(self, key: str) -> bool:
        """Record ``key``; True if it was not recorded yet (the caller hands the event on), else False."""
        ...

    async def release(self, key: str) -> None:
        """Forget ``key`` (the application failed on it: the sender's retry must get through)."""
        ...


class MemoryDeliveryLog:
    """Keys in this process's memory: the newest ``max_entries``, each for ``ttl`` seconds."""

    def __init__(self, *, max_entries: int = 100_000, ttl: float = _DEFAULT_TTL) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValidationError("must be a positive int", parameter="max_entries")
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
            raise ValidationError("must be a positive number of seconds", parameter="ttl")
        self.max_entries = max_entries
        self.ttl = float(ttl)
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def __repr__(self) -> str:
        return f"<MemoryDeliveryLog {len(self._seen)} of {self.max_entries} keys>"

    async def claim(self, key: str) -> bool:
        now = time.monotonic()
        self._expire(now)
        if key in self._seen:
            return False
        self._seen[key] = now + self.ttl
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True

    async def release(self, key: str) -> None:
        self._seen.pop(key, None)

    def _expire(self, now: float) -> None:
        seen = self._seen
        while seen:
            key, expires = next(iter(seen.items()))
            if expires > now:
                return
            del seen[key]
