"""LiveAvatar (api.liveavatar.com) on the emulator, under ``/liveavatar``: its REST routes and LITE WebSockets.

A client's base URL is ``<emulator url>/liveavatar`` (``Emulator.liveavatar_url``). Each REST request goes: count
and log it, authenticate (``X-API-KEY``: each key is an account of its own; ``Authorization: Bearer
<session_token>`` on ``POST /v1/sessions/start``, and accepted instead of a key on stop and keep-alive;
``GET /v1/languages`` needs neither), draw a fault (faults name these routes by their row keys, e.g.
``"POST /v1/sessions/stop"``), check the request against its row (a FastAPI 422 ``detail`` listing every
problem), run the handler, and answer ``{"code": 1000, "data": ..., "message": "success"}`` (the code is
``liveavatar_success_code``). Other errors are ``{"code": <status>, "message": ...}``.

A started LITE session's ``ws_url`` leads to ``GET /liveavatar/ws/{session_id}?token=<secret>`` (see
``_liveavatar_ws``). Faults of the WebSocket are methods of :class:`LiveAvatarService`: ``drop_websocket``,
``refuse_websocket``, ``delay_connected`` and ``end_session``. ``GET /_emulator/liveavatar/sessions`` lists every
session of every account. Each request log entry also has ``auth`` (the credentials sent: ``["key"]``,
``["bearer"]``) and the JSON ``body`` (tokens a caller passes in it masked); session tokens, WebSocket secrets and
LiveKit tokens never reach the request log.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from aiohttp import web

from heygen_async._redact import REDACTED

from ._faults import AFTER_PROCESSING, broken_answer
from ._liveavatar_handlers import LIVEAVATAR_HANDLERS, LiveCall, Unprocessable, check_row
from ._liveavatar_state import LiveAvatarState, LiveRefusal, LiveSession
from ._liveavatar_ws import LiteSocket
from ._v3_app import Host
from ._v3_state import owner_of

__all__ = ["PREFIX", "LiveAvatarService"]

logger = logging.getLogger("heygen_async.emulator")

PREFIX: Final = "/liveavatar"
_JSON: Final = "application/json"
_NO_AUTH: Final = frozenset({"GET /v1/languages"})
_BEARER_ONLY: Final = frozenset({"POST /v1/sessions/start"})
_KEY_OR_BEARER: Final = frozenset({"POST /v1/sessions/stop", "POST /v1/sessions/keep-alive"})
_SECRET_QUERY: Final = frozenset({"token", "api_token", "session_token"})
_FAULT_MESSAGES: Final = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}
_MAX_MESSAGE: Final = 8 * 1024 * 1024  # above a 1 MB frame's base64, so an oversized frame gets our own error


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=_dumps(body), content_type=_JSON, headers=headers)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return _json(status, {"code": status, "message": message}, headers)


def _redacted(query: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in _SECRET_QUERY else v) for k, v in query.items()}


def _scrubbed(value: Any) -> Any:
    """A request body for the log: credentials a caller may pass (``livekit_config``'s client token, an Agora
    token, a secret's value) masked, at any depth."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED
            if isinstance(k, str) and ("token" in k.lower() or "secret_value" in k.lower())
            else _scrubbed(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


def _bearer(request: web.Request) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class LiveAvatarService:
    """LiveAvatar's routes on one emulator, its accounts and sessions (:attr:`sessions`), faults and counters."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.config = host.config
        self.state = LiveAvatarState(host.config, host.timeline)
        self.requests: dict[str, int] = {}
        self.sockets: dict[str, LiteSocket] = {}
        self._refusals = 0
        self._connect_delays: deque[float] = deque()

    def reset(self) -> None:
        """Forget every account and session (open WebSockets close with 1001) and the queued WebSocket faults."""
        self.state.reset()
        self.requests.clear()
        self._refusals = 0
        self._connect_delays.clear()

    @property
    def sessions(self) -> dict[str, LiveSession]:
        """Every session of every account, by id: state, mode, sandbox, account, utterances, commands, end
        reason and WebSocket connections, for assertions."""
        return self.state.sessions

    def stats(self) -> dict[str, Any]:
        state = self.state
        counters = state.counters
        return {
            "sessions_minted": counters["sessions_minted"],
            "sessions_started": counters["sessions_started"],
            "sessions_open": len(state.open_sessions()),
            "sessions_ended": dict(state.ended_by),
            "stops": counters["stops"],
            "keep_alives": {"rest": state.keep_alives["rest"], "ws": state.keep_alives["ws"]},
            "ws_connections": counters["ws_connections"],
            "ws_open": counters["ws_open"],
            "ws_refused": counters["ws_refused"],
            "speak_frames": counters["speak_frames"],
            "speak_bytes": counters["speak_bytes"],
            "bad_frames": dict(state.bad_frames),
            "utterances": counters["utterances"],
            "utterances_interrupted": counters["utterances_interrupted"],
            "frames_after_interrupt": counters["frames_after_interrupt"],
            "dropped_before_connected": counters["dropped_before_connected"],
            "unknown_commands": counters["unknown_commands"],
            "invalid_messages": counters["invalid_messages"],
            "requests": sum(self.requests.values()),
            "requests_by_route": dict(self.requests),
        }

    # -- faults of the WebSocket ----------------------------------------------------------------------------------

    async def drop_websocket(self, session_id: str, *, abort: bool = False) -> None:
        """Break the session's WebSocket (close code 1011, or with ``abort`` the TCP connection, unannounced);
        the session stays open, so its ``ws_url`` connects again."""
        socket = self.sockets.get(session_id)
        if socket is None:
            raise KeyError(f"session {session_id} has no open WebSocket")
        if abort and socket.request.transport is not None:
            socket.request.transport.abort()
        else:
            await socket.ws.close(code=1011, message=b"dropped by the emulator")

    def refuse_websocket(self, times: int = 1) -> None:
        """The next ``times`` WebSocket handshakes are refused with a 503."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a whole number >= 1, got {times!r}")
        self._refusals += times

    def delay_connected(self, seconds: float, times: int = 1) -> None:
        """The next ``times`` connections say ``connected`` after ``seconds`` real seconds, not the configured
        ``liveavatar_connect_delay``."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a whole number >= 1, got {times!r}")
        self._connect_delays.extend([float(seconds)] * times)

    def end_session(self, session_id: str, reason: str = "SERVER_ERROR") -> bool:
        """End a session from LiveAvatar's side (its WebSocket says closing, closed); whether it was not ended."""
        session = self.state.sessions.get(session_id)
        if session is None:
            raise KeyError(f"no LiveAvatar session {session_id}")
        return self.state.end(session, reason)

    # -- routes ---------------------------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        # Literal paths first: /v1/avatars/public must win over /v1/avatars/{avatar_id}.
        for key in sorted(LIVEAVATAR_HANDLERS, key=lambda k: k.count("{")):
            method, path = key.split(" ", 1)
            app.router.add_route(method, PREFIX + path, self._route(key))
        app.router.add_get(PREFIX + "/ws/{session_id}", self._websocket)
        app.router.add_get("/_emulator/liveavatar/sessions", self._control_sessions)
        app.router.add_route("*", PREFIX + "/{tail:.*}", self._miss)
        app.on_shutdown.append(self._close_sockets)

    def _route(self, key: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._serve(request, key)

        return handle

    def _entry(self, request: web.Request, route: str) -> dict[str, Any]:
        self.host.requests[f"{route} [direct liveavatar]"] += 1
        self.requests[route] = self.requests.get(route, 0) + 1
        entry: dict[str, Any] = {
            "time": time.time(),
            "endpoint": route,
            "route": route,
            "mode": "direct",
            "format": "liveavatar",
            "path": request.path,
            "query": _redacted(request.query),
            "auth": sorted(
                kind for kind, sent in (("bearer", _bearer(request)), ("key", request.headers.get("X-API-KEY"))) if sent
            ),
        }
        self.host.log.append(entry)
        return entry

    async def _serve(self, request: web.Request, key: str) -> web.StreamResponse:
        host = self.host
        entry = self._entry(request, key)
        host.timeline.run_due()
        try:
            owner, session = self._authenticate(request, key)
        except LiveRefusal as refused:
            return host.finish(entry, _error(refused.status, refused.message))
        fault = host.faults.draw(key)
        if fault is not None:
            entry["fault"] = fault
            host.fault_counts[fault] += 1
            if fault == "slow":
                await asyncio.sleep(host.faults.latency())
            elif fault not in AFTER_PROCESSING:
                return host.finish(entry, self._fault_answer(request, fault))
        response = await self._answer(request, key, owner, session, entry)
        if fault in AFTER_PROCESSING:
            host.finish(entry, response)
            return await host.lose_response(request, response, fault, entry)
        return host.finish(entry, response)

    def _authenticate(self, request: web.Request, key: str) -> tuple[str | None, LiveSession | None]:
        """The account of a valid API key and the session of a valid session token, as the route needs them."""
        if key in _NO_AUTH:
            return None, None
        if key not in _BEARER_ONLY:
            api_key = request.headers.get("X-API-KEY", "")
            allowed = self.config.liveavatar_api_keys
            if api_key and (allowed is None or api_key in allowed):
                return owner_of(api_key), None
            if key not in _KEY_OR_BEARER:
                raise LiveRefusal(401, "Invalid or missing API key: send it in the X-API-KEY header")
        session = self.state.by_bearer(_bearer(request))
        if session is None:
            if key in _BEARER_ONLY:
                raise LiveRefusal(401, "A valid session token is required: send Authorization: Bearer <session_token>")
            raise LiveRefusal(401, "Send a valid X-API-KEY, or the session's token as Authorization: Bearer")
        return None, session

    async def _answer(
        self, request: web.Request, key: str, owner: str | None, session: LiveSession | None, entry: dict[str, Any]
    ) -> web.Response:
        endpoint, handler = LIVEAVATAR_HANDLERS[key]
        try:
            call = LiveCall(
                owner=owner,
                session=session,
                path=dict(request.match_info),
                query={name: request.query[name] for name in request.query},
                body=await self._read_body(request),
                url=request.url,
            )
            if call.body:
                entry["body"] = _scrubbed(call.body)
            check_row(endpoint, call)
            answer = handler(self.state, call)
        except Unprocessable as exc:
            return _json(422, {"detail": exc.errors})
        except LiveRefusal as exc:
            return _error(exc.status, exc.message)
        except Exception:  # an emulator bug: answer as LiveAvatar would, say so in the log, keep serving
            logger.exception("emulator handler for LiveAvatar %s failed", key)
            return _error(500, "Internal server error")
        envelope = {"code": self.config.liveavatar_success_code, "data": answer.data, "message": "success"}
        return _json(answer.status, envelope)

    @staticmethod
    async def _read_body(request: web.Request) -> Mapping[str, Any]:
        if request.method not in ("POST", "PATCH", "PUT") or not request.can_read_body:
            return {}
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            text = raw[:100].decode(errors="replace")
            raise Unprocessable(
                [{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid", "input": text, "ctx": {}}]
            ) from None
        if not isinstance(parsed, dict):
            raise Unprocessable(
                [
                    {
                        "loc": ["body"],
                        "msg": "Input should be a valid dictionary or object to extract fields from",
                        "type": "model_attributes_type",
                        "input": parsed,
                        "ctx": {},
                    }
                ]
            )
        return parsed

    def _fault_answer(self, request: web.Request, fault: str) -> web.StreamResponse:
        if fault in ("500", "502", "503"):
            status = int(fault)
            return _error(status, _FAULT_MESSAGES[status])
        if fault.startswith("429"):
            wait = self.host.faults.faults.retry_after
            value = (
                email.utils.formatdate(time.time() + wait, usegmt=True)
                if fault == "429-date"
                else str(max(0, round(wait)))
            )
            return _error(429, "Too many requests", {"Retry-After": value})
        return broken_answer(request, fault)

    # -- the WebSocket ----------------------------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        host = self.host
        entry = self._entry(request, "GET /ws/{session_id}")
        host.timeline.run_due()
        if self._refusals:
            self._refusals -= 1
            self.state.counters["ws_refused"] += 1
            return host.finish(entry, _error(503, "Service unavailable"))
        session = self.state.sessions.get(request.match_info["session_id"])
        secret = request.query.get("token", "")
        if session is None or session.mode != "LITE" or not secrets.compare_digest(secret, session.ws_secret):
            return host.finish(entry, _error(403, "This WebSocket URL is not valid"))
        if not session.open:
            return host.finish(entry, _error(403, f"Session {session.id} is not running ({session.state})"))
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=_MAX_MESSAGE)
        await ws.prepare(request)
        host.finish(entry, ws)
        previous = self.sockets.get(session.id)
        if previous is not None:
            previous.stop(4001)
        delay = self._connect_delays.popleft() if self._connect_delays else self.config.liveavatar_connect_delay
        socket = LiteSocket(self.state, session, request, ws, connect_delay=delay)
        self.sockets[session.id] = socket
        try:
            await socket.serve()
        finally:
            if self.sockets.get(session.id) is socket:
                del self.sockets[session.id]
        return ws

    async def _close_sockets(self, app: web.Application) -> None:
        """The emulator is going away: close every WebSocket (1001) rather than wait out the shutdown timeout."""
        waiting = [socket.ws.close(code=1001) for socket in list(self.sockets.values())]
        await asyncio.gather(*waiting, return_exceptions=True)

    # -- other routes -----------------------------------------------------------------------------------------------

    async def _miss(self, request: web.Request) -> web.StreamResponse:
        entry = self._entry(request, "route miss")
        return self.host.finish(entry, _error(404, f"Not found: {request.method} {request.path}"))

    async def _control_sessions(self, request: web.Request) -> web.StreamResponse:
        """Every LiveAvatar session of every account (no credentials): for the demo and the CLI."""
        self.host.timeline.run_due()
        sessions = [
            {
                "id": s.id,
                "account": s.account,
                "mode": s.mode,
                "is_sandbox": s.is_sandbox,
                "state": s.state,
                "end_reason": s.end_reason,
                "websocket_open": s.id in self.sockets,
            }
            for s in self.state.sessions.values()
        ]
        return _json(200, sessions)
