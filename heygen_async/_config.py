"""Client settings as small frozen values: timeouts, retries, connection-pool limits, the poll cadence.

``USE_CLIENT_DEFAULT`` marks a per-call argument the caller left alone, so that ``timeout=None`` can keep
its own meaning ("no timeout at all").
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, TypeVar

import attrs

from ._exceptions import ValidationError

if TYPE_CHECKING:
    from ._exceptions import APIError

__all__ = [
    "USE_CLIENT_DEFAULT",
    "Limits",
    "PollPolicy",
    "RetryEvent",
    "RetryPolicy",
    "Timeout",
    "UseClientDefault",
]


class UseClientDefault(enum.Enum):
    """Type of :data:`USE_CLIENT_DEFAULT`."""

    USE_CLIENT_DEFAULT = "USE_CLIENT_DEFAULT"

    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"


USE_CLIENT_DEFAULT: Final = UseClientDefault.USE_CLIENT_DEFAULT
"""Sentinel for "use the client's setting"; distinct from ``None``, which means "no limit"."""

_T = TypeVar("_T")
OrDefault: TypeAlias = "_T | Literal[UseClientDefault.USE_CLIENT_DEFAULT]"


def _non_negative_or_none(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a finite number of seconds >= 0, or None; got {value!r}")


@attrs.frozen(kw_only=True)
class Timeout:
    """How long a call may take, in seconds; ``None`` switches a limit off.

    ``total`` bounds the whole call, retries and waits between them included; ``attempt`` bounds each
    single request/response; ``connect`` bounds opening a connection (a connect timeout is known not to
    have reached the server, so even a create may be retried after it).
    """

    total: float | None = attrs.field(default=300.0, validator=_non_negative_or_none)
    attempt: float | None = attrs.field(default=60.0, validator=_non_negative_or_none)
    connect: float | None = attrs.field(default=10.0, validator=_non_negative_or_none)

    @classmethod
    def coerce(cls, value: Timeout | float | None) -> Timeout:
        """A number bounds both the whole call and each attempt; ``None`` means no limits at all."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return _NO_TIMEOUT
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"timeout must be a Timeout, a number of seconds or None, not {type(value).__name__}")
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError(f"timeout is too large: {value!r}") from None
        return cls(total=seconds, attempt=seconds, connect=min(seconds, 10.0))


_NO_TIMEOUT: Final = Timeout(total=None, attempt=None, connect=None)
DEFAULT_TIMEOUT: Final = Timeout()


@attrs.frozen(kw_only=True)
class RetryEvent:
    """What the ``on_retry`` hook is told before the client waits and tries again."""

    endpoint: str
    attempt: int
    """The attempt that just failed, counting from 1."""
    wait: float
    """Seconds the client will wait before the next attempt."""
    error: APIError


OnRetry = Callable[[RetryEvent], Awaitable[None] | None]


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be an int >= 1, got {value!r}")


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how a failed attempt is tried again.

    ``attempts`` counts every try, the first included. Waits grow as ``wait_initial * wait_exp_base ** n``
    up to ``wait_max``, plus up to ``wait_jitter`` seconds of random jitter. A ``Retry-After`` the API sends
    is honoured instead when it is at most ``retry_after_max``; a longer one raises
    :class:`~heygen_async.RateLimitError` carrying it rather than retrying early. ``on_retry`` (sync or
    async) is called before each wait.

    What is retried: connection failures, timeouts, 408, 429 and 5xx for idempotent calls; for calls that
    create something only what surely did not reach processing (connection refused, connect timeout, 429,
    503).
    """

    attempts: int = attrs.field(default=3, validator=_positive_int)
    wait_initial: float = attrs.field(default=0.5, validator=_non_negative)
    wait_max: float = attrs.field(default=8.0, validator=_non_negative)
    wait_jitter: float = attrs.field(default=0.5, validator=_non_negative)
    wait_exp_base: float = attrs.field(default=2.0, validator=_non_negative)
    retry_after_max: float = attrs.field(default=60.0, validator=_non_negative)
    on_retry: OnRetry | None = attrs.field(default=None, eq=False)

    @property
    def max_retries(self) -> int:
        return self.attempts - 1

    def with_max_retries(self, max_retries: int) -> RetryPolicy:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")
        if max_retries + 1 == self.attempts:
            return self
        return attrs.evolve(self, attempts=max_retries + 1)

    def backoff(self, failed_attempt: int, jitter: float) -> float:
        """The wait after attempt ``failed_attempt`` (from 1) fails; ``jitter`` is a draw from [0, 1)."""
        base = self.wait_initial * self.wait_exp_base ** (failed_attempt - 1)
        return min(base, self.wait_max) + jitter * self.wait_jitter


NO_RETRIES: Final = RetryPolicy(attempts=1)


def _positive_int_or_none(instance: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{attribute.name} must be an int >= 1 or None, got {value!r}")


DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024


@attrs.frozen(kw_only=True)
class Limits:
    """The connection pool's size and keep-alive, and how large an answer may be.

    ``max_connections`` bounds open connections across all hosts (0 = unbounded);
    ``max_connections_per_host`` bounds them per host (0 = only the global bound);
    ``keepalive_expiry`` is how long an idle connection is kept for reuse, in seconds.
    ``max_response_bytes`` bounds one response body (16 MiB by default; ``None`` = unbounded): a larger
    ``Content-Length`` is refused before the body is read, and a body without one (chunked, or decompressed
    past the limit) is cut as soon as it passes the limit. Either way the call raises
    :class:`~heygen_async.APIResponseError` (not retried: the same answer would come back) and the connection
    is closed, so a hostile or broken server cannot make the client buffer an unbounded body.
    """

    max_connections: int = 100
    max_connections_per_host: int = 0
    keepalive_expiry: float = 30.0
    max_response_bytes: int | None = attrs.field(default=DEFAULT_MAX_RESPONSE_BYTES, validator=_positive_int_or_none)


DEFAULT_LIMITS: Final = Limits()


def _poll_seconds(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValidationError(
            f"PollPolicy.{attribute.name} must be a finite number >= 0, got {value!r}", parameter=attribute.name
        )


def _check_policy(policy: PollPolicy) -> None:
    if policy.backoff < 1:
        raise ValidationError(
            f"PollPolicy.backoff must be >= 1 (intervals never shrink), got {policy.backoff!r}", parameter="backoff"
        )
    if policy.jitter >= 1:
        raise ValidationError(
            f"PollPolicy.jitter must be a fraction below 1, got {policy.jitter!r}", parameter="jitter"
        )
    if policy.retry_after_floor > policy.retry_after_ceiling:
        raise ValidationError(
            f"PollPolicy.retry_after_floor ({policy.retry_after_floor!r}) is above retry_after_ceiling "
            f"({policy.retry_after_ceiling!r})",
            parameter="retry_after_floor",
        )


@attrs.frozen(kw_only=True)
class PollPolicy:
    """When a job is polled: ``first_poll`` seconds after waiting starts, then each interval ``backoff`` times
    the last (>= 1), up to ``max_interval``, each varied by up to ``jitter`` (a fraction below 1) either way.

    A ``Retry-After`` on a status call pauses every poll for that long, kept within
    ``retry_after_floor``..``retry_after_ceiling``. While webhooks are fed to the client, the cadence drops to
    ``webhook_interval`` after the first poll: the webhook wakes the job, polling is only the fallback.
    A value that cannot work raises :class:`~heygen_async.ValidationError` naming it.
    """

    first_poll: float = attrs.field(default=5.0, validator=_poll_seconds)
    backoff: float = attrs.field(default=1.5, validator=_poll_seconds)
    max_interval: float = attrs.field(default=30.0, validator=_poll_seconds)
    jitter: float = attrs.field(default=0.2, validator=_poll_seconds)
    retry_after_floor: float = attrs.field(default=1.0, validator=_poll_seconds)
    retry_after_ceiling: float = attrs.field(default=120.0, validator=_poll_seconds)
    webhook_interval: float = attrs.field(default=300.0, validator=_poll_seconds)

    def __attrs_post_init__(self) -> None:
        _check_policy(self)

    def interval(self, previous: float | None, rng: random.Random) -> float:
        """The next wait: ``first_poll`` for the first, then backed off; jittered either way."""
        base = self.first_poll if previous is None else min(self.max_interval, max(previous, 1e-3) * self.backoff)
        return max(0.0, base * (1.0 + self.jitter * (2.0 * rng.random() - 1.0)))
