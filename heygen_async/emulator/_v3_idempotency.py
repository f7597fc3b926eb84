"""HeyGen v3's ``Idempotency-Key``: the first answer to a key is kept and replayed, a retry while the first
request still runs gets ``409 request_in_progress``.

The scope is the account, the route template, its path values and the key: the same key on another route
or another path value (another endpoint's ``rotate-secret``) is another request. An answer is replayed for
``ttl`` emulated seconds (HeyGen: 24 hours) even if the retry's body differs. Only successes are kept: a
request refused (bad input, the concurrency cap, no credit) or lost to a fault before it was processed can
be sent again with the same key and be processed then.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Final

import attrs

from ._v3_checks import V3Refusal

__all__ = ["HEADER", "IdempotencyStore", "Scope", "Stored"]

HEADER: Final = "Idempotency-Key"
_KEY: Final = re.compile(r"[A-Za-z0-9_\-:.]{1,255}")

Scope = tuple[str, str, tuple[tuple[str, str], ...], str]
"""(account, route template, path values, key)."""


@attrs.define
class Stored:
    """A key's request: still running (``body`` None), or its answer as first sent."""

    started: float
    status: int = 0
    body: bytes | None = None
    content_type: str = "application/json"
    stored_at: float = 0.0


class IdempotencyStore:
    def __init__(self, ttl: float, now: Callable[[], float]) -> None:
        self.ttl = ttl
        self.now = now
        self._records: OrderedDict[Scope, Stored] = OrderedDict()
        self.replays = 0
        self.conflicts = 0

    def reset(self) -> None:
        self._records.clear()
        self.replays = self.conflicts = 0

    @staticmethod
    def scope(owner: str, route: str, path: Mapping[str, str], key: str) -> Scope:
        """The request a key names; a key HeyGen would refuse is its ``400 invalid_parameter``."""
        if _KEY.fullmatch(key) is None:
            raise V3Refusal(
                400,
                "invalid_parameter",
                f"{HEADER}: 1 to 255 characters of letters, digits, '_', '-', ':' and '.'",
                param=HEADER,
            )
        return owner, route, tuple(sorted(path.items())), key

    def begin(self, scope: Scope) -> Stored | None:
        """The stored answer to replay, or None after marking the request as running; 409 if it runs."""
        self._forget_expired()
        record = self._records.get(scope)
        if record is not None and record.body is None:
            self.conflicts += 1
            raise V3Refusal(
                409,
                "request_in_progress",
                f"A request with this {HEADER} is still being processed; retry once it has finished",
            )
        if record is not None:
            self.replays += 1
            return record
        self._records[scope] = Stored(started=self.now())
        return None

    def finish(self, scope: Scope, status: int, body: bytes, content_type: str) -> None:
        """Keep a success for replay; forget the key after anything else."""
        record = self._records.get(scope)
        if record is None or record.body is not None:
            return
        if 200 <= status < 300:
            record.status, record.body, record.content_type = status, body, content_type
            record.stored_at = self.now()
            self._records.move_to_end(scope)
        else:
            del self._records[scope]

    def abandon(self, scope: Scope) -> None:
        """The request ended without an answer to keep (cancelled, or broke): its key is free again."""
        record = self._records.get(scope)
        if record is not None and record.body is None:
            del self._records[scope]

    def in_flight(self) -> int:
        return sum(record.body is None for record in self._records.values())

    def __len__(self) -> int:
        return len(self._records)

    def _forget_expired(self) -> None:
        # Kept answers are in the order they were stored (running requests sit among them), so the expired
        # ones come first.
        now = self.now()
        expired = []
        for scope, record in self._records.items():
            if record.body is None:
                continue
            if record.stored_at + self.ttl > now:
                break
            expired.append(scope)
        for scope in expired:
            del self._records[scope]
