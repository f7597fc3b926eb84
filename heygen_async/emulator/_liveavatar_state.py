"""LiveAvatar's state on the emulator: accounts (one per API key), their sessions and what each session did.

A session is minted (``POST /v1/sessions/token``: an id and a session token), started once with that token
(billing, the per-account concurrency cap and the timers begin), and ended exactly once: by a stop, its idle
timeout, its maximum duration or a test (``end_session``). Timers run on the emulator's :class:`Timeline`, so a
:class:`ManualClock` ends sessions when a test advances it. What happened on a session's WebSocket (utterances,
commands, connections) is recorded here too, for assertions; ``_liveavatar_ws`` does the talking.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import secrets
import time
import uuid
from collections import Counter
from typing import Any, Final

import attrs

from heygen_async._spec._liveavatar_table import SANDBOX_AVATAR_ID

from ._config import EmulatorConfig
from ._liveavatar_fixtures import PUBLIC_AVATARS, PUBLIC_VOICES, own_avatars, own_voices
from ._timeline import Timeline

__all__ = [
    "CREDITS_PER_MINUTE",
    "Command",
    "Connection",
    "LiveAccount",
    "LiveAvatarState",
    "LiveRefusal",
    "LiveSession",
    "Utterance",
    "jwt_like",
]

CREDITS_PER_MINUTE: Final = {"LITE": 1, "FULL": 2}
"""What a started minute costs, per mode (LiveAvatar's pricing FAQ)."""
MAX_RECORDED: Final = 10_000
"""Frame arrival times and commands kept per session at most (a long session must not grow without bound)."""


class LiveRefusal(Exception):
    """LiveAvatar says no: HTTP ``status`` and ``message`` (answered as ``{"code": status, "message": ...}``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_like(claims: dict[str, Any]) -> str:
    """A random token shaped like a JWT (header, claims, signature): a credential, unguessable by its signature."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{body}.{_b64url(secrets.token_bytes(32))}"


@attrs.frozen
class Command:
    """One WebSocket command a session took (after ``connected``): its type and event id."""

    type: str
    event_id: str | None


@attrs.define(kw_only=True, eq=False)
class Utterance:
    """One ``event_id``'s audio: frames and bytes received, when it played (monotonic real seconds), how it ended.

    ``frame_arrivals`` are the monotonic times its frames arrived (while the session has recorded fewer than
    :data:`MAX_RECORDED`), for measuring a client's pacing.
    """

    event_id: str
    task_id: str
    frames: int = 0
    bytes: int = 0
    first_frame_at: float = 0.0
    speak_end_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    interrupted: bool = False
    ended_by_speak_end: bool = False
    frame_arrivals: list[float] = attrs.field(factory=list)

    @property
    def seconds(self) -> float:
        """The audio's length: 24 kHz mono s16le is 48,000 bytes a second."""
        return self.bytes / 48_000


@attrs.define(kw_only=True, eq=False)
class Connection:
    """One WebSocket connection to a session: when it opened and closed, with which code, whether it got to
    ``connected``, and how many commands it dropped before that."""

    number: int
    opened_at: float
    connected: bool = False
    closed_at: float | None = None
    close_code: int | None = None
    dropped_before_connected: int = 0


@attrs.define(kw_only=True, eq=False)
class LiveSession:
    """A LiveAvatar session: ``state`` is ``minted``, ``started`` or ``ended`` (times are emulated seconds)."""

    id: str
    account: str
    mode: str
    is_sandbox: bool
    avatar_id: str
    context_id: str | None
    token: str = attrs.field(repr=False)
    """The session token (a credential: kept out of the repr, as is the WebSocket secret)."""
    ws_secret: str = attrs.field(repr=False)
    max_duration: float
    created_at: float
    state: str = "minted"
    started_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None
    last_activity: float = 0.0
    credits_charged: float = 0.0
    utterances: list[Utterance] = attrs.field(factory=list)
    commands: list[Command] = attrs.field(factory=list)
    connections: list[Connection] = attrs.field(factory=list)
    recorded: int = 0
    ended: asyncio.Event = attrs.field(factory=asyncio.Event, repr=False)
    """Set once the session ends: its open WebSocket says ``closing``, ``closed`` and closes."""

    @property
    def open(self) -> bool:
        """Started and not ended: billed, counted under the concurrency cap, listed as active."""
        return self.state == "started"

    def record(self, command: Command) -> None:
        if len(self.commands) < MAX_RECORDED:
            self.commands.append(command)


@attrs.define(kw_only=True, eq=False)
class LiveAccount:
    """What one API key owns: credits, avatars, voices and contexts (sessions are kept by the state)."""

    id: str
    credits: float
    avatars: dict[str, dict[str, Any]]
    voices: dict[str, dict[str, Any]]
    contexts: dict[str, dict[str, Any]] = attrs.field(factory=dict)


class LiveAvatarState:
    """Every LiveAvatar account and session of one emulator, on its timeline."""

    def __init__(self, config: EmulatorConfig, timeline: Timeline) -> None:
        self.config = config
        self.timeline = timeline
        self.epoch = time.time() - timeline.now()
        self.reset()

    def reset(self) -> None:
        for session in getattr(self, "sessions", {}).values():
            session.ended.set()  # open WebSockets close; the timeline's events are cleared with the legacy state
        self.accounts: dict[str, LiveAccount] = {}
        self.sessions: dict[str, LiveSession] = {}
        self.by_token: dict[str, LiveSession] = {}
        self.counters: Counter[str] = Counter()
        self.ended_by: Counter[str] = Counter()
        self.keep_alives: Counter[str] = Counter()
        self.bad_frames: Counter[str] = Counter()

    @property
    def now(self) -> float:
        return self.timeline.now()

    def iso(self, when: float | None) -> str | None:
        if when is None:
            return None
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.epoch + when))

    # -- accounts ----------------------------------------------------------------------------------------------

    def account(self, owner: str) -> LiveAccount:
        account = self.accounts.get(owner)
        if account is None:
            account = LiveAccount(
                id=owner,
                credits=self.config.liveavatar_credits,
                avatars={a["id"]: a for a in own_avatars(owner)},
                voices={v["id"]: v for v in own_voices(owner)},
            )
            self.accounts[owner] = account
        return account

    def avatar(self, owner: str, avatar_id: str, *, own: bool = False) -> dict[str, Any]:
        """One of the account's avatars, or (unless ``own``) a public one; 404 otherwise."""
        found = self.account(owner).avatars.get(avatar_id)
        if found is None and not own:
            found = next((a for a in PUBLIC_AVATARS if a["id"] == avatar_id), None)
        if found is None:
            raise LiveRefusal(404, f"Avatar {avatar_id} not found")
        return found

    def voice(self, owner: str, voice_id: str, *, own: bool = False) -> dict[str, Any]:
        found = self.account(owner).voices.get(voice_id)
        if found is None and not own:
            found = next((v for v in PUBLIC_VOICES if v["id"] == voice_id), None)
        if found is None:
            raise LiveRefusal(404, f"Voice {voice_id} not found")
        return found

    def context(self, owner: str, context_id: str) -> dict[str, Any]:
        found = self.account(owner).contexts.get(context_id)
        if found is None:
            raise LiveRefusal(404, f"Context {context_id} not found")
        return found

    # -- sessions ----------------------------------------------------------------------------------------------

    def session(self, owner: str, session_id: str) -> LiveSession:
        """The account's session (another account's is as unknown as a made-up id)."""
        session = self.sessions.get(session_id)
        if session is None or session.account != owner:
            raise LiveRefusal(404, f"Session {session_id} not found")
        return session

    def open_sessions(self, owner: str | None = None) -> list[LiveSession]:
        return [s for s in self.sessions.values() if s.open and (owner is None or s.account == owner)]

    def mint(
        self,
        owner: str,
        *,
        mode: str,
        avatar_id: str,
        is_sandbox: bool,
        max_duration: float | None,
        context_id: str | None,
    ) -> LiveSession:
        config = self.config
        if is_sandbox:
            if avatar_id != SANDBOX_AVATAR_ID:
                raise LiveRefusal(
                    400,
                    f"A sandbox session may only use the sandbox avatar {SANDBOX_AVATAR_ID}, not {avatar_id}",
                )
            limit = config.liveavatar_sandbox_max_duration
        else:
            self.avatar(owner, avatar_id)
            limit = config.liveavatar_max_session_duration
            if max_duration is not None and max_duration > limit:
                raise LiveRefusal(400, f"max_session_duration {max_duration:g} is above your tier's limit, {limit:g} s")
        session_id = str(uuid.uuid4())
        session = LiveSession(
            id=session_id,
            account=owner,
            mode=mode,
            is_sandbox=is_sandbox,
            avatar_id=avatar_id,
            context_id=context_id,
            token=jwt_like({"sid": session_id, "mode": mode, "iat": int(self.epoch + self.now)}),
            ws_secret=secrets.token_urlsafe(24),
            max_duration=min(max_duration or limit, limit),
            created_at=self.now,
        )
        self.sessions[session_id] = session
        self.by_token[session.token] = session
        self.counters["sessions_minted"] += 1
        return session

    def by_bearer(self, token: str) -> LiveSession | None:
        """The session a session token stands for (None for an unknown one); compared in constant time."""
        session = self.by_token.get(token)
        if session is None or not secrets.compare_digest(session.token, token):
            return None
        return session

    def start(self, session: LiveSession) -> None:
        if session.state != "minted":
            raise LiveRefusal(401, "This session token was already used")
        if self.now > session.created_at + self.config.liveavatar_token_ttl:
            raise LiveRefusal(401, "This session token has expired")
        if len(self.open_sessions(session.account)) >= self.config.liveavatar_max_concurrent:
            raise LiveRefusal(
                400, f"concurrent limit reached: {self.config.liveavatar_max_concurrent} sessions are open already"
            )
        rate = 0 if session.is_sandbox else CREDITS_PER_MINUTE[session.mode]
        account = self.account(session.account)
        if account.credits < rate:  # one minute is escrowed at start
            left = account.credits
            raise LiveRefusal(402, f"Not enough credits: {session.mode} costs {rate} a minute, {left:g} left")
        account.credits -= rate
        session.credits_charged = rate
        session.state = "started"
        session.started_at = session.last_activity = self.now
        self.counters["sessions_started"] += 1
        self._watch_idle(session)
        self.timeline.after(session.max_duration, lambda _t: self._end_quietly(session, "MAX_DURATION_REACHED"))

    def _end_quietly(self, session: LiveSession, reason: str) -> None:
        self.end(session, reason)

    def _watch_idle(self, session: LiveSession) -> None:
        def check(_t: float) -> None:
            if not session.open:
                return
            due = session.last_activity + self.config.liveavatar_idle_timeout
            if due <= self.now:
                self.end(session, "IDLE_TIMEOUT")
            else:
                self.timeline.at(due, check)

        self.timeline.at(session.last_activity + self.config.liveavatar_idle_timeout, check)

    def touch(self, session: LiveSession) -> None:
        """Activity: the idle timer starts again."""
        session.last_activity = self.now

    def end(self, session: LiveSession, reason: str) -> bool:
        """End a minted or started session once (later calls do nothing): charge the minutes it ran beyond the
        escrowed one, and let its WebSocket close. Whether this call ended it."""
        if session.state == "ended" or self.sessions.get(session.id) is not session:
            return False
        if session.started_at is not None and not session.is_sandbox:
            minutes = max(1, math.ceil((self.now - session.started_at) / 60))
            due = minutes * CREDITS_PER_MINUTE[session.mode] - session.credits_charged
            self.account(session.account).credits -= due
            session.credits_charged += due
        was_open = session.open
        session.state = "ended"
        session.ended_at = self.now
        session.end_reason = reason
        if was_open:
            self.ended_by[reason] += 1
        session.ended.set()
        return True

    def summary(self, session: LiveSession) -> dict[str, Any]:
        """A session as ``GET /v1/sessions`` lists it."""
        until = session.ended_at if session.ended_at is not None else self.now
        duration = 0 if session.started_at is None else int(until - session.started_at)
        return {
            "id": session.id,
            "created_at": self.iso(session.created_at),
            "updated_at": self.iso(session.ended_at or session.started_at or session.created_at),
            "duration": duration,
            "source": "API",
            "mode": session.mode,
            "is_sandbox": session.is_sandbox,
            "credits_consumed": session.credits_charged,
            "end_at": self.iso(session.ended_at),
            "end_reason": session.end_reason,
        }
