"""The account's shared state in Redis: one budget, caps, job and session ledgers for many processes.

Every key lives under ``heygen_async:{<account>}:`` (the braces are a Redis Cluster hash tag, so an account's
keys would share a slot; the scripts build key names themselves, so a single Redis or a Sentinel setup is what
is supported). Each read-modify-write is one Lua script, atomic on the server, and the poll window runs on
Redis's own clock (``TIME``), so sharers with skewed clocks still share one window.

Keys (``P`` the prefix): ``P:polls`` (sorted set of poll grants, scored by grant time in µs), ``P:polls:seq``
(unique grant ids), ``P:pause`` (exists while every poll waits), ``P:lease:<owner>`` (an owner is alive while
this exists; renewed by its heartbeat), ``P:cap:<name>`` (hash slot tag -> owner), ``P:jobs`` (hash job ->
record JSON), ``P:jobs:status`` (hash job -> status JSON), ``P:jobs:owner`` (hash job -> owner, unfinished jobs
only), ``P:jobs:credential`` (hash job -> fingerprint of the credentials that submitted it),
``P:jobs:finished`` (finished jobs by when they finished: the oldest are forgotten past ``keep_finished``),
``P:open:<owner>`` (set of an owner's unfinished jobs), ``P:owners`` (owners with unfinished jobs),
``P:sessions`` (hash session id -> record JSON), ``P:salt`` (the random salt of the credential fingerprints:
HMAC-SHA256 of a client's credentials under it, never the token). A lease holds a random value only its owner
knows, so nobody else renews or deletes it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar

import anyio
import attrs

from heygen_async._exceptions import StateBackendError, ValidationError
from heygen_async._shield import finish

from ._protocol import (
    JobRecord,
    JobUpdate,
    SessionRecord,
    check_cap,
    new_owner_id,
    read_job,
    read_session,
    status_json,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis as AsyncRedis

__all__ = ["RedisState"]

logger = logging.getLogger("heygen_async")
T = TypeVar("T")
_ACCOUNT: Final = re.compile(r"[A-Za-z0-9._-]{1,100}")
MAX_GRANT: Final = 500
"""Grants asked for at once (a script's arguments stay small)."""

_TAKE: Final = """
local wanted, budget, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local kept = math.max(window, tonumber(ARGV[4]))
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return {0, pause * 1000} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local since = string.format('(%.0f', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - kept))
local grant = math.min(wanted, budget - redis.call('ZCOUNT', KEYS[1], since, '+inf'))
if grant > 0 then
  local last = redis.call('INCRBY', KEYS[3], grant)
  local args = {}
  local score = string.format('%.0f', now)
  for i = 1, grant do
    args[2 * i - 1] = score
    args[2 * i] = last - i
  end
  redis.call('ZADD', KEYS[1], unpack(args))
  redis.call('PEXPIRE', KEYS[1], math.ceil(kept / 1000) + 1000)
else
  grant = 0
end
local wait = 0
if grant < wanted then
  local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #oldest > 0 then wait = math.max(0, tonumber(oldest[2]) + window - now) end
end
return {grant, wait}
"""

_PAUSE: Final = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 1
"""

_ACQUIRE: Final = """
local limit, tag, owner, leases = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local fields = redis.call('HGETALL', KEYS[1])
local held = 0
for i = 1, #fields, 2 do
  if redis.call('EXISTS', leases .. fields[i + 1]) == 0 then
    redis.call('HDEL', KEYS[1], fields[i])
  elseif fields[i] == tag then
    return 1
  else
    held = held + 1
  end
end
if held >= limit then return 0 end
redis.call('HSET', KEYS[1], tag, owner)
return 1
"""

_RECORD: Final = """
local p, me, key = ARGV[1], ARGV[2], ARGV[3]
redis.call('HSET', p .. 'jobs', key, ARGV[4])
if ARGV[5] ~= '' then
  redis.call('HSET', p .. 'jobs:credential', key, ARGV[5])
else
  redis.call('HDEL', p .. 'jobs:credential', key)
end
if redis.call('HEXISTS', p .. 'jobs:status', key) == 1 and redis.call('HEXISTS', p .. 'jobs:owner', key) == 0 then
  return 0
end
local before = redis.call('HGET', p .. 'jobs:owner', key)
if before and before ~= me then redis.call('SREM', p .. 'open:' .. before, key) end
redis.call('HSET', p .. 'jobs:owner', key, me)
redis.call('SADD', p .. 'open:' .. me, key)
redis.call('SADD', p .. 'owners', me)
return 1
"""

_UPDATE: Final = """
local p, now, keep = ARGV[1], ARGV[2], tonumber(ARGV[3])
for i = 4, #ARGV, 4 do
  local key, done = ARGV[i], ARGV[i + 2]
  local owner = redis.call('HGET', p .. 'jobs:owner', key)
  if owner and (redis.call('HGET', p .. 'jobs:credential', key) or '') == ARGV[i + 3] then
    redis.call('HSET', p .. 'jobs:status', key, ARGV[i + 1])
    if done == '1' then
      redis.call('SREM', p .. 'open:' .. owner, key)
      redis.call('HDEL', p .. 'jobs:owner', key)
      redis.call('ZADD', p .. 'jobs:finished', now, key)
    end
  end
end
local extra = redis.call('ZCARD', p .. 'jobs:finished') - keep
if extra > 0 then
  for _, key in ipairs(redis.call('ZRANGE', p .. 'jobs:finished', 0, extra - 1)) do
    redis.call('HDEL', p .. 'jobs', key)
    redis.call('HDEL', p .. 'jobs:status', key)
    redis.call('HDEL', p .. 'jobs:credential', key)
  end
  redis.call('ZREMRANGEBYRANK', p .. 'jobs:finished', 0, extra - 1)
end
return 1
"""

_ADOPT: Final = """
local p, me, limit, credential = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local taken = {}
for _, owner in ipairs(redis.call('SMEMBERS', p .. 'owners')) do
  if #taken >= limit then break end
  if owner ~= me and redis.call('EXISTS', p .. 'lease:' .. owner) == 0 then
    local open = p .. 'open:' .. owner
    for _, key in ipairs(redis.call('SMEMBERS', open)) do
      if #taken >= limit then break end
      if (redis.call('HGET', p .. 'jobs:credential', key) or '') == credential then
        redis.call('SREM', open, key)
        redis.call('SADD', p .. 'open:' .. me, key)
        redis.call('HSET', p .. 'jobs:owner', key, me)
        taken[#taken + 1] = key
      end
    end
    if redis.call('SCARD', open) == 0 then redis.call('SREM', p .. 'owners', owner) end
  end
end
if #taken > 0 then redis.call('SADD', p .. 'owners', me) end
return taken
"""


_RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""

_GIVE_UP: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_KEPT: Final = 3.0
"""Seconds of poll grants kept in Redis at least (sharers may ask for windows of different widths)."""


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValidationError(f"{name} must be a number of seconds > 0, got {value!r}", parameter=name)
    return float(value)


class RedisState:
    """A :class:`~heygen_async.StateBackend` in Redis, shared by every process on one HeyGen ``account``.

    ``redis`` is a ``redis.asyncio.Redis`` client or a URL (``redis://127.0.0.1:6379/0``; then this object
    owns the connection). ``account`` names the HeyGen account (letters, digits, ``.``, ``_``, ``-``; never the
    API token): every key lives under it. ``lease_ttl`` is how long this process's jobs, sessions and slots
    stay its own without a heartbeat (renewed every third of it): a process that dies loses them that long
    after its last heartbeat. Use it as ``async with RedisState(...) as state:`` (that keeps the lease alive),
    and pass it to ``HeyGenClient(state=state)``. Needs ``pip install 'heygen_async[redis]'``.
    """

    shared = True

    def __init__(
        self,
        redis: AsyncRedis | str,
        *,
        account: str,
        lease_ttl: float = 30.0,
        keep_finished: int = 100_000,
    ) -> None:
        if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
            raise ValidationError(
                "account must be 1-100 letters, digits, '.', '_' or '-' naming the HeyGen account "
                "(a name you choose, never the API token)",
                parameter="account",
            )
        self.lease_ttl = _positive("lease_ttl", lease_ttl)
        if isinstance(keep_finished, bool) or not isinstance(keep_finished, int) or keep_finished < 0:
            raise ValidationError(
                f"keep_finished must be a whole number >= 0, got {keep_finished!r}", parameter="keep_finished"
            )
        self.keep_finished = keep_finished
        try:
            import redis.asyncio as aioredis
        except ImportError:  # pragma: no cover - the extra is missing
            raise StateBackendError("RedisState needs the redis package: pip install 'heygen_async[redis]'") from None
        if isinstance(redis, str):
            # Timeouts, so a network that drops packets silently cannot hang the heartbeat or the scheduler.
            self._redis: AsyncRedis = aioredis.Redis.from_url(
                redis, decode_responses=True, socket_timeout=10.0, socket_connect_timeout=5.0
            )
            self._owns_connection = True
        elif isinstance(redis, aioredis.Redis):
            self._redis = redis
            self._owns_connection = False
        else:
            raise ValidationError(
                f"redis must be a redis.asyncio.Redis client or a redis:// URL, got {type(redis).__name__}",
                parameter="redis",
            )
        self.account = account
        self._owner = new_owner_id()
        self._prefix = f"heygen_async:{{{account}}}:"
        self._lease = self._prefix + "lease:" + self._owner
        self._lease_value = secrets.token_hex(16)
        self._scripts = {
            name: self._redis.register_script(source)
            for name, source in (
                ("take", _TAKE),
                ("pause", _PAUSE),
                ("acquire", _ACQUIRE),
                ("record", _RECORD),
                ("update", _UPDATE),
                ("adopt", _ADOPT),
                ("renew", _RENEW),
                ("give_up", _GIVE_UP),
            )
        }
        self._beat: asyncio.Task[None] | None = None
        self._entered = False
        # What this owner holds, to put back if its lease ever lapsed (others may have taken it meanwhile),
        # and slots whose release failed, given back at the next heartbeat.
        self._held: dict[tuple[str, str], None] = {}
        self._my_sessions: dict[str, str] = {}
        self._unreleased: set[tuple[str, str]] = set()
        self._salt: bytes | None = None
        self.lapses = 0
        """How often the heartbeat found the lease gone (the process stalled longer than ``lease_ttl``)."""

    def __repr__(self) -> str:
        return f"<RedisState account={self.account!r} owner={self._owner!r}>"

    @property
    def owner(self) -> str:
        return self._owner

    @property
    def ready(self) -> bool:
        """Whether this state may record jobs and sessions (it is in use: ``async with``)."""
        return self._entered

    # -- lifetime: the lease ------------------------------------------------------------------------------------

    async def __aenter__(self) -> RedisState:
        if self._entered:
            raise StateBackendError("this RedisState is already in use ('async with' it once)")
        await self._call(self._redis.set(self._lease, self._lease_value, px=self._ttl_ms()), "taking the lease")
        # A plain task, not a task group: the state is entered and left around other scopes (a client, a
        # server's lifespan), which a task group spanning __aenter__/__aexit__ would forbid.
        self._beat = asyncio.get_running_loop().create_task(self._heartbeat(), name="heygen-redis-lease")
        self._entered = True
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the heartbeat and give the lease up: this owner's slots are free and its unfinished jobs
        adoptable at once. Idempotent; bounded (5 s) and finished even if the caller is cancelled meanwhile
        (the cancellation is raised afterwards)."""
        beat, self._beat = self._beat, None
        was_entered, self._entered = self._entered, False
        if beat is not None:
            beat.cancel()
        task, cancelled = await finish(self._let_go(beat, was_entered), grace=5.0)
        if task.done() and not task.cancelled() and task.exception() is not None:
            logger.warning("RedisState: closing failed (%s)", type(task.exception()).__name__)
        if cancelled:
            raise asyncio.CancelledError

    async def _let_go(self, beat: asyncio.Task[None] | None, was_entered: bool) -> None:
        if beat is not None:
            await asyncio.gather(beat, return_exceptions=True)
        try:
            if was_entered:  # only our own lease: its value is ours alone
                await self._scripts["give_up"](keys=[self._lease], args=[self._lease_value])
        except Exception as exc:
            logger.warning("RedisState: could not give the lease up (%s); it runs out by itself", type(exc).__name__)
        if self._owns_connection:
            await self._redis.aclose()

    def _ttl_ms(self) -> int:
        return max(1, round(self.lease_ttl * 1000))

    async def _heartbeat(self) -> None:
        # Until aclose() lets go of this task: a cancellation that a Redis call turned into an error (redis-py
        # may, when it lands mid-command) must still end the loop, or aclose() would wait for it for ever.
        while self._beat is asyncio.current_task():
            await anyio.sleep(self.lease_ttl / 3)
            try:
                if not await self._scripts["renew"](keys=[self._lease], args=[self._lease_value, self._ttl_ms()]):
                    await self._lapsed()
                for name, tag in list(self._unreleased):
                    await self._redis.hdel(self._prefix + "cap:" + name, tag)
                    self._unreleased.discard((name, tag))
            except Exception as exc:  # Redis away for a moment: try again at the next beat
                logger.warning("RedisState: heartbeat failed (%s)", type(exc).__name__)

    async def _lapsed(self) -> None:
        """The lease had run out (this process stalled longer than ``lease_ttl``, or Redis lost it) and is
        taken again: put back the slots and session records others may have cleared meanwhile. A slot put
        back may take its cap over the limit for a while (another owner took it meanwhile); jobs adopted by
        others stay theirs (both poll them: harmless)."""
        self.lapses += 1
        logger.warning(
            "RedisState: this process's lease had run out (no heartbeat for over %g s); taking back %d slot(s) "
            "and %d session record(s); other processes may have adopted its jobs",
            self.lease_ttl,
            len(self._held),
            len(self._my_sessions),
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            for name, tag in self._held:
                pipe.hset(self._prefix + "cap:" + name, tag, self._owner)
            for session_id, value in self._my_sessions.items():
                pipe.hset(self._prefix + "sessions", session_id, value)
            await pipe.execute()

    def _require_lease(self) -> None:
        if not self._entered:
            raise StateBackendError(
                "RedisState is not in use: enter it with 'async with' first (that keeps this process's lease alive)"
            )

    async def _call(self, awaitable: Awaitable[T], what: str) -> T:
        try:
            return await awaitable
        except Exception as exc:
            import redis.exceptions

            if isinstance(exc, redis.exceptions.RedisError):
                raise StateBackendError(f"Redis failed while {what}: {type(exc).__name__}") from None
            raise

    async def _script(self, name: str, keys: Sequence[str], args: Sequence[Any], what: str) -> Any:
        return await self._call(self._scripts[name](keys=list(keys), args=list(args)), what)

    # -- the poll budget ----------------------------------------------------------------------------------------

    async def take_polls(self, wanted: int, *, budget: int, window: float) -> tuple[int, float]:
        p = self._prefix
        granted, wait_us = await self._script(
            "take",
            [p + "polls", p + "pause", p + "polls:seq"],
            [min(wanted, MAX_GRANT), budget, round(window * 1e6), round(_KEPT * 1e6)],
            "granting polls",
        )
        return int(granted), int(wait_us) / 1e6

    async def pause_polls(self, seconds: float) -> None:
        await self._script("pause", [self._prefix + "pause"], [max(1, round(seconds * 1000))], "pausing polls")

    # -- credential fingerprints --------------------------------------------------------------------------------

    async def credential_salt(self) -> bytes:
        """The account's salt (``P:salt``): made by the first sharer that asks, then read by every other."""
        if self._salt is None:
            key = self._prefix + "salt"
            await self._call(self._redis.set(key, secrets.token_hex(32), nx=True), "making the credential salt")
            value = await self._call(self._redis.get(key), "reading the credential salt")
            if value is None:
                raise StateBackendError("Redis lost the credential salt just after it was made; try again")
            self._salt = _text(value).encode()
        return self._salt

    # -- caps ---------------------------------------------------------------------------------------------------

    async def acquire_slot(self, name: str, *, limit: int, tag: str) -> bool:
        check_cap(name, limit)
        self._require_lease()
        taken = await self._script(
            "acquire",
            [self._prefix + "cap:" + name],
            [limit, tag, self._owner, self._prefix + "lease:"],
            f"taking a {name} slot",
        )
        if taken:
            self._held[(name, tag)] = None
        return bool(taken)

    async def release_slot(self, name: str, *, tag: str) -> None:
        """Give a slot back. If Redis fails, the heartbeat gives it back later (a live owner's slot would
        otherwise be lost to the account until the process ends)."""
        self._held.pop((name, tag), None)
        try:
            await self._call(self._redis.hdel(self._prefix + "cap:" + name, tag), f"releasing a {name} slot")
        except StateBackendError as exc:
            logger.warning("%s; the heartbeat gives it back later", exc)
            self._unreleased.add((name, tag))

    # -- the job ledger -----------------------------------------------------------------------------------------

    async def record_job(self, record: JobRecord) -> None:
        self._require_lease()
        await self._script(
            "record",
            [],
            [self._prefix, self._owner, record.key, record.to_json(), record.credential or ""],
            "recording a job",
        )

    async def update_jobs(self, updates: Sequence[JobUpdate]) -> None:
        if not updates:
            return
        now = time.time()
        args: list[Any] = [self._prefix, repr(now), self.keep_finished]
        for update in updates:
            args += [
                update.key,
                status_json(update, self._owner, now),
                "1" if update.done else "0",
                update.credential or "",
            ]
        await self._script("update", [], args, "updating job statuses")

    async def jobs(self, *, open_only: bool = False) -> list[JobRecord]:
        p = self._prefix
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(p + "jobs")
            pipe.hgetall(p + "jobs:status")
            pipe.hgetall(p + "jobs:owner")
            pipe.hgetall(p + "jobs:credential")
            records, statuses, owners, credentials = map(_texts, await self._call(pipe.execute(), "listing jobs"))
        alive = await self._alive(set(owners.values()))
        found: list[JobRecord] = []
        for key, value in records.items():
            owner = owners.get(key)
            alive_now = alive.get(owner, False) if owner else False
            record = read_job(value, statuses.get(key), owner, alive_now, credentials.get(key))
            if record is not None and not (open_only and record.done):
                found.append(record)
        found.sort(key=lambda r: (r.submitted_at or 0.0, r.key))
        return found

    async def adopt_jobs(self, *, limit: int, credential: str | None = None) -> list[JobRecord]:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError(f"limit must be a whole number >= 1, got {limit!r}", parameter="limit")
        self._require_lease()
        taken = await self._script("adopt", [], [self._prefix, self._owner, limit, credential or ""], "adopting jobs")
        keys = [_text(k) for k in taken]
        if not keys:
            return []
        p = self._prefix
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(p + "jobs", keys)
            pipe.hmget(p + "jobs:status", keys)
            records, statuses = await self._call(pipe.execute(), "reading adopted jobs")
        adopted = [
            read_job(
                _text(r) if r is not None else None, _text(s) if s is not None else None, self._owner, True, credential
            )
            for r, s in zip(records, statuses, strict=True)
        ]
        return [record for record in adopted if record is not None]

    # -- the session ledger -------------------------------------------------------------------------------------

    async def record_session(self, record: SessionRecord) -> None:
        self._require_lease()
        value = attrs.evolve(record, owner=self._owner, owner_alive=True).to_json()
        self._my_sessions[record.id] = value
        await self._call(self._redis.hset(self._prefix + "sessions", record.id, value), "recording a session")

    async def forget_session(self, session_id: str) -> bool:
        self._my_sessions.pop(session_id, None)
        removed = await self._call(self._redis.hdel(self._prefix + "sessions", session_id), "forgetting a session")
        return bool(removed)

    async def sessions(self) -> list[SessionRecord]:
        values = _texts(await self._call(self._redis.hgetall(self._prefix + "sessions"), "listing sessions"))
        parsed = [read_session(value, True) for value in values.values()]
        records = [record for record in parsed if record is not None]
        alive = await self._alive({record.owner for record in records})
        return [attrs.evolve(record, owner_alive=alive.get(record.owner, False)) for record in records]

    async def claim_session(self, session_id: str, *, ttl: float) -> bool:
        self._require_lease()
        claimed = await self._call(
            self._redis.set(self._prefix + "reaping:" + session_id, self._owner, nx=True, px=max(1, round(ttl * 1000))),
            "claiming a session",
        )
        return bool(claimed)

    async def _alive(self, owners: set[str]) -> dict[str, bool]:
        if not owners:
            return {}
        ordered = sorted(owners)
        async with self._redis.pipeline(transaction=False) as pipe:
            for owner in ordered:
                pipe.exists(self._prefix + "lease:" + owner)
            found = await self._call(pipe.execute(), "checking leases")
        return {owner: bool(exists) for owner, exists in zip(ordered, found, strict=True)}

    # -- for tests and operators ---------------------------------------------------------------------------------

    async def held(self, name: str) -> int:
        """Slots of the ``name`` cap held now, counting only live owners."""
        fields = _texts(await self._call(self._redis.hgetall(self._prefix + "cap:" + name), "reading a cap"))
        alive = await self._alive(set(fields.values()))
        return sum(1 for owner in fields.values() if alive.get(owner))

    async def clear(self) -> None:
        """Delete every key of this account (tests, or starting over); the lease is taken again if in use, and
        the credential salt put back if this state knows it (other sharers may hold it already)."""
        keys = [key async for key in self._redis.scan_iter(match=self._escape(self._prefix) + "*", count=1000)]
        if keys:
            await self._call(self._redis.delete(*keys), "clearing the account's keys")
        if self._entered:
            await self._call(self._redis.set(self._lease, self._lease_value, px=self._ttl_ms()), "taking the lease")
        if self._salt is not None:
            await self._call(self._redis.set(self._prefix + "salt", self._salt.decode()), "keeping the credential salt")

    @staticmethod
    def _escape(prefix: str) -> str:
        return re.sub(r"([*?\[\]\\])", r"\\\1", prefix)


def _text(value: Any) -> str:
    """A reply as text, whether the client decodes replies or not."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _texts(mapping: Any) -> dict[str, str]:
    return {_text(key): _text(value) for key, value in mapping.items()}
