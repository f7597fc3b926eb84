"""The emulator's aiohttp application: LowCodeAPI's gateway at ``/heygen/...``, HeyGen itself at ``/...``.

Every route comes from the client's endpoint table: the gateway serves each endpoint in the new path format
(unless ``old_format_only`` names it: then that format answers the gateway's 404) and in the old one,
requires an ``at_`` ``api_token`` and wraps answers as the hosted (``{"data": ...}``) or the open-source
(``{"message", "provider", "result", ...}``) gateway does; the direct routes take ``X-Api-Key`` and answer
HeyGen's envelopes bare. HeyGen v3 (``/v3/...``, direct only) is ``_v3_app.py``'s, LiveAvatar (``/liveavatar/...``,
its REST API and LITE WebSockets) ``_liveavatar_app.py``'s. Around the handlers sit
fault injection, counters, a request log with tokens redacted, signed expiring media URLs, and a small control
API under ``/_emulator/`` (``info``, ``stats``, ``log``, ``videos``, ``reset``, ``advance``, ``faults``, and
``v3/videos``: every v3 video with its status, to compare with the ids a client was given;
``liveavatar/sessions``: every LiveAvatar session).

``stats`` has a ``v3`` section: ``videos_created`` (distinct v3 videos, from every source), ``videos_completed``,
``videos_failed``, the other job kinds' ``*_created``, ``jobs_running`` (slots held under the concurrency cap),
``jobs_queued`` (batch items waiting for one), ``cap_refusals`` (429s of the cap), ``events`` (webhook events),
``requests`` and ``requests_by_route`` (by ``"POST /v3/videos"``), ``idempotent_replays`` (answers replayed for
an ``Idempotency-Key``), ``in_progress_conflicts`` (its 409s), ``idempotency_keys`` (kept) and
``requests_processing`` (inside ``create_latency`` now). ``stats`` has a ``liveavatar`` section too (see
``LiveAvatarService.stats``): ``sessions_open`` there is the number of LiveAvatar sessions left open. While the
clock runs on its own, every answer says how fast
(``X-HeyGen-Emulator-Time-Scale``: emulated seconds per real second), so a client polls at the pace of emulated
time rather than of real time.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import logging
import math
import os
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Literal

from aiohttp import web

from heygen_async._redact import REDACTED
from heygen_async._spec._table import ENDPOINTS
from heygen_async._spec._types import Endpoint
from heygen_async._transport._pool import TIME_SCALE_HEADER

from ._config import EmulatorConfig
from ._faults import AFTER_PROCESSING, FaultPlan, Faults, broken_answer
from ._handlers import HANDLERS, Call, keep_alive
from ._liveavatar_app import LiveAvatarService
from ._state import Account, Refusal
from ._timeline import ManualClock, Timeline
from ._v3_app import V3Service
from ._webhooks import WebhookDispatcher

__all__ = ["EmulatorApp"]

logger = logging.getLogger("heygen_async.emulator")

GATEWAY_PREFIX: Final = "/heygen"
Mode = Literal["gateway", "direct"]
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_JSON: Final = "application/json"


_V2_ON_V1_PATHS: Final = frozenset({"streaming.create_token", "folders.restore"})
# HeyGen's v1 envelope carries numeric codes, v2 string ones; refusals are written once and rendered per envelope.
_V1_CODES: Final = {
    "invalid_parameter": 400175,
    "not_found": 404,
    "insufficient_credit": 402,
    "rate_limit_exceeded": 429,
}
_V2_CODES: Final = {400: "invalid_parameter", 404: "not_found", 402: "insufficient_credit", 429: "rate_limit_exceeded"}
_DIGITS: Final = re.compile(r"[0-9]+")


def _v2(endpoint: Endpoint) -> bool:
    """Which of HeyGen's two envelopes this endpoint answers in (v2 paths, and a few v1 ones, per its docs)."""
    return endpoint.path.startswith("/v2/") or endpoint.qualname in _V2_ON_V1_PATHS


def _code_for(endpoint: Endpoint, code: int | str) -> int | str:
    if _v2(endpoint):
        return _V2_CODES.get(code, "invalid_parameter") if isinstance(code, int) and code < 1000 else code
    return _V1_CODES.get(code, 400) if isinstance(code, str) else code


_JSON_TYPES: Final[dict[str, Callable[[Any], bool]]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "object": lambda v: isinstance(v, dict),
    "Dimension": lambda v: isinstance(v, dict),
    "StreamingVoice": lambda v: isinstance(v, dict),
    "Sdp": lambda v: isinstance(v, dict),
    "list[VideoInput]": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
    "TemplateVariables": lambda v: isinstance(v, dict) and all(isinstance(i, dict) for i in v.values()),
}
_QUERY_TYPES: Final[dict[str, Callable[[str], bool]]] = {
    "int": lambda v: _DIGITS.fullmatch(v) is not None,
    "bool": lambda v: v.lower() in ("true", "false"),
}


async def _announce_scale(scale: str, request: web.Request, response: web.StreamResponse) -> None:
    response.headers[TIME_SCALE_HEADER] = scale


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class EmulatorApp:
    """State, behaviour and routes of one emulator; ``build()`` gives the aiohttp application."""

    def __init__(self, config: EmulatorConfig, timeline: Timeline, faults: Faults | None = None) -> None:
        self.config = config
        self.timeline = timeline
        self.faults = FaultPlan(faults)
        self.account = Account(config, timeline, lambda *event: self.webhooks.emit(*event))
        self.webhooks = WebhookDispatcher(
            self.account,
            attempts=config.webhook_attempts,
            probe_timeout=config.webhook_probe_timeout,
            timeout=config.webhook_timeout,
        )
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.fault_counts: Counter[str] = Counter()
        self.log: deque[dict[str, Any]] = deque(maxlen=config.request_log_size)
        self.run_id = secrets.token_hex(8)
        """Names this emulator's run, not a secret: other processes check it before trusting a record of it."""
        self.v3 = V3Service(self)
        self.liveavatar = LiveAvatarService(self)

    def reset(self) -> None:
        """Forget every job, session, endpoint, counter, logged request and queued delivery; faults go back to
        the emulator's starting ones."""
        self.account.reset()
        self.requests.clear()
        self.statuses.clear()
        self.fault_counts.clear()
        self.log.clear()
        self.faults.reset()
        self.webhooks.clear()
        self.v3.reset()
        self.liveavatar.reset()

    def stats(self) -> dict[str, Any]:
        account = self.account
        return {
            "requests": sum(self.requests.values()),
            "requests_by_route": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "faults": dict(self.fault_counts),
            "videos_created": account.counters["videos_created"],
            "videos_completed": account.counters["videos_completed"],
            "videos_failed": account.counters["videos_failed"],
            "videos_rendering": len(account.rendering),
            "videos_queued": len(account.render_queue),
            "translations_created": account.counters["translations_created"],
            "sessions_created": account.counters["sessions_created"],
            "sessions_open": len(account.open_sessions()),
            "webhook_deliveries": len(self.webhooks.deliveries),
            "webhooks_delivered": sum(d.delivered for d in self.webhooks.deliveries),
            "clock": self.timeline.clock.now(),
            "v3": self.v3.stats(),
            "liveavatar": self.liveavatar.stats(),
        }

    # -- building ------------------------------------------------------------------------------------------

    def build(self) -> web.Application:
        app = web.Application(client_max_size=200 * 1024 * 1024)
        second = self.timeline.clock.real_seconds(1.0)
        if 0 < second < math.inf:  # a clock that moves only when told (a ManualClock) has no pace to announce
            app.on_response_prepare.append(functools.partial(_announce_scale, f"{1.0 / second:g}"))
        plain = [e for e in ENDPOINTS if not e.route.path_params]
        with_params = [e for e in ENDPOINTS if e.route.path_params]
        # Literal paths first: the old format's ``/v2/photo_avatar/id`` and ``/v1/folders/create`` must win
        # over ``/v2/photo_avatar/{id}`` and ``/v1/folders/{folder_id}``. Without placeholders both formats are
        # the same path, served (and counted) once as "new".
        for endpoint in plain:
            self._add(app, endpoint, "gateway", "new")
        for endpoint in with_params:
            self._add(app, endpoint, "gateway", "old")
        for endpoint in with_params:
            if endpoint.qualname not in self.config.old_format_only:
                self._add(app, endpoint, "gateway", "new")
        for endpoint in plain + with_params:
            self._add(app, endpoint, "direct", "new")
        app.router.add_post("/v1/streaming.keep_alive", self._keep_alive)
        app.router.add_get("/media/{kind}/{name}", self._media)
        app.router.add_get("/_emulator/info", self._control_info)
        app.router.add_get("/_emulator/stats", self._control_stats)
        app.router.add_get("/_emulator/log", self._control_log)
        app.router.add_get("/_emulator/videos", self._control_videos)
        app.router.add_post("/_emulator/reset", self._control_reset)
        app.router.add_post("/_emulator/advance", self._control_advance)
        app.router.add_post("/_emulator/faults", self._control_faults)
        self.v3.add_routes(app)
        self.liveavatar.add_routes(app)
        app.router.add_route("*", GATEWAY_PREFIX + "/{tail:.*}", self._gateway_miss)
        app.router.add_route("*", "/{tail:.*}", self._direct_miss)
        return app

    def _add(self, app: web.Application, endpoint: Endpoint, mode: Mode, style: Literal["new", "old"]) -> None:
        path = endpoint.path if style == "new" else endpoint.route.old_path
        if mode == "gateway":
            path = GATEWAY_PREFIX + path

        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._serve(request, endpoint, mode, style)

        app.router.add_route(endpoint.http_method, path, handle)

    # -- the request path ---------------------------------------------------------------------------------------

    async def _serve(
        self, request: web.Request, endpoint: Endpoint, mode: Mode, style: Literal["new", "old"]
    ) -> web.StreamResponse:
        name = endpoint.qualname
        self.requests[f"{endpoint.key} [{mode} {style}]"] += 1
        entry: dict[str, Any] = {
            "time": time.time(),
            "endpoint": name,
            "route": endpoint.key,
            "mode": mode,
            "format": style,
            "query": self.redacted(request.query),
        }
        self.log.append(entry)
        refusal = self._authenticate(request, mode)
        if refusal is not None:
            return self.finish(entry, self._gateway_auth_error() if mode == "gateway" else refusal)

        fault = self.faults.draw(name)
        if fault is not None:
            entry["fault"] = fault
            self.fault_counts[fault] += 1
            if fault == "slow":
                await asyncio.sleep(self.faults.latency())
            elif fault not in AFTER_PROCESSING:
                return self.finish(entry, self._fault_response(request, fault, mode))

        self.timeline.run_due()
        try:
            call = await self._read_call(request, endpoint, style)
            self._check_params(endpoint, call)
            if name == "webhooks.add_endpoint" or (name == "webhooks.update_endpoint" and call.body.get("url")):
                await self.webhooks.probe(call.body.get("url"))
            data = HANDLERS[name](self.account, call)
            response = self._success(endpoint, mode, data)
        except Refusal as exc:
            response = self._refusal(endpoint, mode, exc)
        except Exception:  # an emulator bug: answer as HeyGen would, say so in the log, keep serving
            logger.exception("emulator handler for %s failed", name)
            response = self._refusal(endpoint, mode, Refusal(500, 500, "Internal server error"))
        if fault in AFTER_PROCESSING:
            self.finish(entry, response)
            return await self.lose_response(request, response, fault, entry)
        return self.finish(entry, response)

    def finish(self, entry: dict[str, Any], response: web.StreamResponse) -> web.StreamResponse:
        """Note how a logged request was answered (its entry and the count by status); the answer."""
        entry["status"] = response.status
        self.statuses[response.status] += 1
        return response

    def _authenticate(self, request: web.Request, mode: Mode) -> web.Response | None:
        if mode == "gateway":
            token = request.query.get("api_token", "")
            allowed = self.config.api_tokens
            ok = token.startswith("at_") and (allowed is None or token in allowed)
            return None if ok else self._gateway_auth_error()
        key = request.headers.get("X-Api-Key", "")
        allowed = self.config.api_keys
        if key and (allowed is None or key in allowed):
            return None
        return self._json(401, {"code": 40009, "message": "Invalid credentials: X-Api-Key is missing or wrong"})

    def _gateway_auth_error(self) -> web.Response:
        message = "A valid API token is required to access this API."
        if self.config.wrapper == "data":
            return self._json(401, {"data": {"error": {"message": message, "code": 401}}})
        return self._json(401, {"message": message, "provider": "heygen", "error": {}, "headers": {}})

    async def _read_call(self, request: web.Request, endpoint: Endpoint, style: Literal["new", "old"]) -> Call:
        query = {k: v for k, v in request.query.items() if k != "api_token"}
        names = endpoint.route.path_params
        if style == "old":
            path = {n: query.pop(n) for n in names if n in query}
        else:
            path = {n: request.match_info[n] for n in names}
        upload = None
        body: Mapping[str, Any] = {}
        if endpoint.qualname == "assets.upload":
            upload = await self._read_upload(request)
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    parsed = json.loads(raw)
                except (ValueError, RecursionError):
                    raise Refusal(400, "invalid_parameter", "The request body is not valid JSON") from None
                if not isinstance(parsed, dict):
                    raise Refusal(400, "invalid_parameter", "The request body must be a JSON object")
                body = parsed
        return Call(path=path, query=query, body=body, upload=upload)

    async def _read_upload(self, request: web.Request) -> tuple[bytes, str, str] | None:
        content_type = request.content_type
        if content_type.startswith("multipart/"):
            try:
                form = await request.post()
            except (ValueError, AssertionError, RuntimeError) as exc:  # what aiohttp raises for a broken body
                raise Refusal(400, 400, f"The multipart body cannot be read: {type(exc).__name__}") from None
            field = form.get("file")
            if not isinstance(field, web.FileField):
                raise Refusal(400, 400, "No 'file' field in the multipart body")
            return field.file.read(), field.content_type, field.filename
        data = await request.read()
        return data, content_type, "upload"

    @staticmethod
    def _check_params(endpoint: Endpoint, call: Call) -> None:
        """HeyGen's own checks: required parameters present, and each of the JSON type the table says."""
        for param in endpoint.params:
            if param.type == "file":
                continue
            source: Mapping[str, Any] = {"path": call.path, "query": call.query, "body": call.body}[param.location]
            value = source.get(param.name)
            if param.also_in_body and value is None:
                value = call.body.get(param.name)
            if value is None or value == "":
                if param.required:
                    raise Refusal(400, "invalid_parameter", f"{param.name} is invalid: field required")
                continue
            if param.location == "body" or (param.also_in_body and not isinstance(value, str)):
                valid = _JSON_TYPES[param.type](value)
            else:
                query_check = _QUERY_TYPES.get(param.type)
                valid = isinstance(value, str) and (query_check is None or query_check(value))
            if not valid:
                raise Refusal(400, "invalid_parameter", f"{param.name} is invalid: expected {param.type}")
            if param.enum is not None and param.type == "str" and value not in param.enum:
                raise Refusal(400, "invalid_parameter", f"{param.name} is invalid: not one of {list(param.enum)}")

    # -- answers ----------------------------------------------------------------------------------------------

    @staticmethod
    def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
        return web.Response(status=status, body=_dumps(body), content_type=_JSON, headers=headers)

    def _success(self, endpoint: Endpoint, mode: Mode, data: Any) -> web.Response:
        heygen = {"error": None, "data": data} if _v2(endpoint) else {"code": 100, "data": data, "message": "Success"}
        if mode == "direct":
            return self._json(200, heygen)
        if self.config.wrapper == "data":
            return self._json(200, {"data": heygen})
        wrapped = {"message": "Request completed", "provider": "heygen", "result": heygen, "response_headers": {}}
        return self._json(200, wrapped)

    def _refusal(self, endpoint: Endpoint, mode: Mode, refusal: Refusal) -> web.Response:
        code = _code_for(endpoint, refusal.code)
        if _v2(endpoint):
            heygen: dict[str, Any] = {"data": None, "error": {"code": code, "message": refusal.message}}
        else:
            heygen = {"code": code, "message": refusal.message}
        return self._error(mode, refusal.status, heygen, code, refusal.message)

    def _error(
        self,
        mode: Mode,
        status: int,
        heygen: Any,
        code: int | str,
        message: str,
        heygen_headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """HeyGen's error answer as it reaches the client: bare directly, in the chosen gateway's error shape
        otherwise (the open-source gateway copies HeyGen's headers into its body rather than its own headers)."""
        if mode == "direct":
            return self._json(status, heygen, heygen_headers)
        if self.config.wrapper == "data":
            return self._json(status, {"data": {"error": {"message": message, "code": code}}}, heygen_headers)
        # The open-source gateway (axios) hands HeyGen's headers on with lower-case names.
        headers = {name.lower(): value for name, value in (heygen_headers or {}).items()}
        wrapped = {"message": message, "provider": "heygen", "error": heygen, "headers": headers}
        return self._json(status, wrapped)

    def _fault_response(self, request: web.Request, fault: str, mode: Mode) -> web.StreamResponse:
        wait = self.faults.faults.retry_after
        if fault in ("500", "502", "503"):
            status = int(fault)
            message = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}[status]
            return self._error(mode, status, {"code": status, "message": message}, status, message)
        if fault.startswith("429"):
            heygen = {"error": {"code": "rate_limit_exceeded", "message": "Too many requests"}}
            seconds = str(max(0, round(wait)))
            if fault == "429-body" and mode == "gateway":  # the open-source gateway's way, whatever the wrapper
                wrapped = {
                    "message": "Too many requests",
                    "provider": "heygen",
                    "error": heygen,
                    "headers": {"retry-after": seconds},
                }
                return self._json(429, wrapped)
            value = email.utils.formatdate(time.time() + wait, usegmt=True) if fault == "429-date" else seconds
            return self._error(mode, 429, heygen, "rate_limit_exceeded", "Too many requests", {"Retry-After": value})
        return broken_answer(request, fault)

    async def lose_response(
        self, request: web.Request, response: web.StreamResponse, fault: str, entry: dict[str, Any]
    ) -> web.StreamResponse:
        """The work is done; the answer does not arrive whole (``lost``: not at all; ``truncate``: half)."""
        entry["status"] = f"{response.status} ({fault})"
        body = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
        if fault == "truncate" and body:
            stream = web.StreamResponse(status=response.status, headers={"Content-Type": _JSON})
            stream.content_length = len(body)
            await stream.prepare(request)
            await stream.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)

    # -- other routes ---------------------------------------------------------------------------------------

    async def _keep_alive(self, request: web.Request) -> web.StreamResponse:
        route = "POST /v1/streaming.keep_alive"
        self.requests[f"{route} [direct new]"] += 1
        entry: dict[str, Any] = {
            "time": time.time(),
            "endpoint": "streaming.keep_alive",
            "route": route,
            "mode": "direct",
            "format": "new",
            "query": self.redacted(request.query),
        }
        self.log.append(entry)
        return self.finish(entry, await self._keep_alive_answer(request))

    async def _keep_alive_answer(self, request: web.Request) -> web.Response:
        refusal = self._authenticate(request, "direct")
        if refusal is not None:
            return refusal
        self.timeline.run_due()
        try:
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict) or not isinstance(body.get("session_id"), str):
                raise Refusal(400, 400175, "session_id is invalid: field required")
            data = keep_alive(self.account, Call(path={}, query={}, body=body))
        except Refusal as exc:
            return self._json(exc.status, {"code": exc.code, "message": exc.message})
        except (ValueError, RecursionError):
            return self._json(400, {"code": 400175, "message": "The request body is not valid JSON"})
        return self._json(200, {"code": 100, "data": data, "message": "Success"})

    async def _media(self, request: web.Request) -> web.StreamResponse:
        kind, name = request.match_info["kind"], request.match_info["name"]
        expires, signature = request.query.get("Expires", ""), request.query.get("Signature", "")
        if not self.account.media_valid(kind, name, expires, signature):
            page = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            return web.Response(status=403, text=page, content_type="application/xml")
        if kind == "speech":  # real audio, so clients can decode what v3's text-to-speech answered
            audio = self.v3.state.speech_audio(name)
            if audio is None:
                page = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
                return web.Response(status=404, text=page, content_type="application/xml")
            return web.Response(body=audio, content_type="audio/wav")
        payload = {"video": b"\x00\x00\x00\x18ftypmp42", "gif": b"GIF89a", "thumbnail": b"\xff\xd8\xff\xe0"}
        data = payload.get(kind, b"\x00\x00\x00\x18ftypmp42") + name.encode() * 64
        types = {
            "gif": "image/gif",
            "thumbnail": "image/jpeg",
            "photo": "image/png",
            "audio": "audio/mpeg",
            "caption": "text/plain",
        }
        return web.Response(body=data, content_type=types.get(kind, "video/mp4"))

    def _miss(self, request: web.Request, mode: Mode, body: Any) -> web.StreamResponse:
        self.requests[f"route miss [{mode}]"] += 1
        entry = {
            "time": time.time(),
            "endpoint": None,
            "route": "route miss",
            "mode": mode,
            "format": None,
            "path": request.path,
            "query": self.redacted(request.query),
        }
        self.log.append(entry)
        return self.finish(entry, self._json(404, body))

    async def _gateway_miss(self, request: web.Request) -> web.StreamResponse:
        # What the gateway says for a route it does not serve: not HeyGen's answer (no "provider").
        return self._miss(request, "gateway", {"message": f"Cannot {request.method} {request.path}"})

    async def _direct_miss(self, request: web.Request) -> web.StreamResponse:
        return self._miss(request, "direct", {"code": 404, "message": f"Not found: {request.method} {request.path}"})

    @staticmethod
    def redacted(query: Mapping[str, str]) -> dict[str, str]:
        return {k: (REDACTED if k.lower() == "api_token" else v) for k, v in query.items()}

    async def _control_info(self, request: web.Request) -> web.StreamResponse:
        """Who is answering: the run id and process, so a record of this emulator can be checked."""
        return self._json(200, {"emulator": "heygen_async", "run_id": self.run_id, "pid": os.getpid()})

    async def _control_stats(self, request: web.Request) -> web.StreamResponse:
        self.timeline.run_due()
        return self._json(200, self.stats())

    async def _control_log(self, request: web.Request) -> web.StreamResponse:
        text = request.query.get("limit", "100")
        if _DIGITS.fullmatch(text) is None:
            return self._json(400, {"message": f"limit must be a whole number >= 0, got {text!r}"})
        limit = int(text)
        return self._json(200, list(self.log)[-limit:] if limit else [])

    async def _control_videos(self, request: web.Request) -> web.StreamResponse:
        self.timeline.run_due()
        videos = [
            {"id": v.id, "status": v.status, "finished_at": v.finished_wall} for v in self.account.videos.values()
        ]
        return self._json(200, videos)

    async def _control_reset(self, request: web.Request) -> web.StreamResponse:
        self.reset()
        return self._json(200, {"reset": True})

    async def _control_advance(self, request: web.Request) -> web.StreamResponse:
        clock = self.timeline.clock
        if not isinstance(clock, ManualClock):
            return self._json(409, {"message": "the emulator's clock is not manual"})
        try:
            seconds = float(request.query.get("seconds", "0"))
            if not 0 <= seconds < float("inf"):
                raise ValueError(f"seconds must be a finite number >= 0, got {seconds}")
        except ValueError as exc:
            return self._json(400, {"message": str(exc)})
        clock.move_to(clock.now() + seconds)
        self.timeline.run_due()
        await self.webhooks.drain()
        return self._json(200, {"clock": clock.now()})

    async def _control_faults(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object with 'inject' and/or 'spec'")
            if "inject" in body:
                self.faults.inject(body["inject"], endpoint=body.get("endpoint"), times=int(body.get("times", 1)))
            if "spec" in body:
                if not isinstance(body["spec"], str):
                    raise ValueError("'spec' must be text such as 'rate=0.2,kinds=500+429'")
                self.faults.set(Faults.parse(body["spec"]))
        except (TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            return self._json(400, {"message": str(exc)})
        return self._json(200, {"faults": str(self.faults.faults), "queued": len(self.faults.queued)})
