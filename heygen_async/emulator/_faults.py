"""Fault injection: which answers go wrong, and how.

Kinds that fail *before* the request is processed (nothing is created): ``500``, ``502``, ``503``, ``429``
(Retry-After in seconds, in the header), ``429-date`` (an HTTP-date), ``429-body`` (inside the gateway's error
body, as LowCodeAPI forwards HeyGen's headers), ``html`` (an HTML 502 page), ``drop`` (the connection closes
with no answer). Kinds that fail *after* processing (the job exists, the answer is lost): ``lost`` (the
connection closes once the work is done) and ``truncate`` (half the body, then the connection closes).
``slow`` adds up to ``max_latency`` real seconds and then answers normally.

Legacy endpoints are named as the client names them (``videos.generate``), v3 and LiveAvatar operations by
route, as their table's rows key them (``POST /v3/videos``; ``POST /v1/sessions/stop``, without the emulator's
``/liveavatar`` prefix: no legacy or v3 name looks like that); v3 and LiveAvatar answer faults in their own
error shapes.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Mapping
from typing import Any, Final

import attrs
from aiohttp import web

from heygen_async._spec._liveavatar_table import LIVEAVATAR_ENDPOINTS
from heygen_async._spec._table import ENDPOINTS

from ._v3_handlers import V3_HANDLERS

__all__ = ["AFTER_PROCESSING", "BEFORE_PROCESSING", "FAULT_KINDS", "FaultPlan", "Faults"]

BEFORE_PROCESSING: Final = frozenset({"500", "502", "503", "429", "429-date", "429-body", "html", "drop"})
AFTER_PROCESSING: Final = frozenset({"lost", "truncate"})
FAULT_KINDS: Final = BEFORE_PROCESSING | AFTER_PROCESSING | {"slow"}
ENDPOINT_NAMES: Final = (
    frozenset(e.qualname for e in ENDPOINTS) | frozenset(V3_HANDLERS) | frozenset(e.key for e in LIVEAVATAR_ENDPOINTS)
)
_NAMES_LOOK: Final = "names look like 'videos.generate', 'POST /v3/videos' or 'POST /v1/sessions/stop'"
"""Legacy endpoints by name (``videos.generate``), v3 and LiveAvatar operations by route (``POST /v3/videos``,
``POST /v1/sessions/stop``)."""


def _check_kinds(instance: object, attribute: attrs.Attribute[Mapping[str, float]], value: Mapping[str, float]) -> None:
    unknown = set(value) - FAULT_KINDS
    if unknown:
        raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {sorted(FAULT_KINDS)}")
    if any(weight < 0 for weight in value.values()) or not any(value.values()):
        raise ValueError("fault weights must be >= 0, at least one positive")


def _check_rate(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"rate must be within 0..1, got {value!r}")


def _check_seconds(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a finite number of seconds >= 0, got {value!r}")


def _check_endpoints(
    instance: object, attribute: attrs.Attribute[frozenset[str] | None], value: frozenset[str] | None
) -> None:
    unknown = sorted(set(value or ()) - ENDPOINT_NAMES)
    if unknown:
        raise ValueError(f"unknown endpoints {unknown}; {_NAMES_LOOK}")


@attrs.frozen(kw_only=True)
class Faults:
    """A share ``rate`` of answers (to ``endpoints``, or all) goes wrong, the kind drawn by ``kinds`` weight.

    ``retry_after`` is the wait a 429 asks for; ``max_latency`` bounds ``slow``; ``seed`` makes a run
    repeatable.
    """

    rate: float = attrs.field(default=0.0, validator=_check_rate)
    kinds: Mapping[str, float] = attrs.field(
        factory=lambda: dict.fromkeys(sorted(FAULT_KINDS), 1.0), validator=_check_kinds
    )
    retry_after: float = attrs.field(default=1.0, validator=_check_seconds)
    max_latency: float = attrs.field(default=2.0, validator=_check_seconds)
    endpoints: frozenset[str] | None = attrs.field(default=None, validator=_check_endpoints)
    seed: int | None = None

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """From ``"rate=0.2,kinds=500+502+429,retry_after=1,max_latency=2,seed=7"`` (the CLI's ``--faults``)."""
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, _, value = part.partition("=")
            if key == "rate":
                values["rate"] = float(value)
            elif key == "kinds":
                values["kinds"] = dict.fromkeys(value.split("+"), 1.0)
            elif key in ("retry_after", "max_latency"):
                values[key] = float(value)
            elif key == "seed":
                values["seed"] = int(value)
            elif key == "endpoints":
                values["endpoints"] = frozenset(value.split("+"))
            else:
                raise ValueError(f"unknown fault setting {key!r} in {spec!r}")
        return cls(**values)


class FaultPlan:
    """Decides, request by request, whether and how to misbehave: queued one-shot faults first, then the rate."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.queued: deque[tuple[str, str | None]] = deque()
        self.initial = faults or Faults()
        self.set(self.initial)

    def reset(self) -> None:
        """Back to the faults the emulator started with (and their random sequence), nothing queued."""
        self.queued.clear()
        self.set(self.initial)

    def set(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._kinds = list(faults.kinds)
        self._weights = list(faults.kinds.values())

    def inject(self, kind: str, *, endpoint: str | None = None, times: int = 1) -> None:
        """The next ``times`` requests (to ``endpoint``, or any) fail with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a whole number >= 1, got {times!r}")
        if endpoint is not None and endpoint not in ENDPOINT_NAMES:
            raise ValueError(f"unknown endpoint {endpoint!r}; {_NAMES_LOOK}")
        self.queued.extend([(kind, endpoint)] * times)

    def draw(self, endpoint: str) -> str | None:
        for index, (kind, target) in enumerate(self.queued):
            if target is None or target == endpoint:
                del self.queued[index]
                return kind
        faults = self.faults
        if not faults.rate or (faults.endpoints is not None and endpoint not in faults.endpoints):
            return None
        if self._random.random() >= faults.rate:
            return None
        return self._random.choices(self._kinds, self._weights)[0]

    def latency(self) -> float:
        return self._random.uniform(0.0, self.faults.max_latency)


def broken_answer(request: web.Request, fault: str) -> web.StreamResponse:
    """The answer of a fault that breaks the exchange itself: an HTML 502 page (``html``), or the connection
    closed without an answer (``drop``)."""
    if fault == "html":
        page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        return web.Response(status=502, text=page, content_type="text/html")
    if request.transport is not None:  # "drop": close the connection without answering
        request.transport.abort()
    return web.Response(status=499)
