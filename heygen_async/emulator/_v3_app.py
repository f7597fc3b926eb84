"""HeyGen v3 on the emulator: its routes in direct mode (``x-api-key``), around the handlers of ``_v3_handlers``.

Only HeyGen itself serves v3: LowCodeAPI's gateway defines no v3 route, so ``/heygen/v3/...`` is the gateway's
own 404. Each request goes: count and log it, authenticate the key (its account), draw a fault (one that
fails before processing answers now), check an ``Idempotency-Key`` (replay a kept answer, or 409 while the
first request runs), wait ``create_latency`` emulated seconds on a POST, read the body, run the handler, keep
a success for the key, then lose the answer if the fault says so. Every answer carries ``X-Request-Id``;
successes are ``{"data": ...}`` (cursor lists add ``has_more`` and ``next_token``), errors
``{"error": {"code", "message", "param", "doc_url"}}``.

Also here: the presigned upload URL of direct uploads (``PUT /uploads/{asset_id}``, an S3 stand-in), the
consent page of digital twins (``GET /_emulator/v3/consent/{group_id}``) and ``GET /_emulator/v3/videos``.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import logging
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Protocol

import aiohttp
from aiohttp import web

from ._config import EmulatorConfig
from ._faults import AFTER_PROCESSING, FaultPlan, broken_answer
from ._state import Account
from ._timeline import Timeline
from ._v3_checks import Body, V3Refusal
from ._v3_handlers import IDEMPOTENT_ROUTES, V3_HANDLERS, Answer, Upload, V3Call
from ._v3_idempotency import HEADER, IdempotencyStore, Scope
from ._v3_state import V3Account, owner_of
from ._webhooks import WebhookDispatcher

__all__ = ["REQUEST_ID_HEADER", "Host", "V3Service"]

logger = logging.getLogger("heygen_async.emulator")

REQUEST_ID_HEADER: Final = "X-Request-Id"
_JSON: Final = "application/json"
_CHUNK: Final = 1 << 16
_FAULT_CODES: Final = {500: "internal_error", 502: "bad_gateway", 503: "service_unavailable"}
_FAULT_MESSAGES: Final = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _template_path(key: str) -> str:
    return key.split(" ", 1)[1]


class Host(Protocol):
    """What the v3 routes share with the emulator's application (``_app.EmulatorApp``): settings, clock, the
    legacy account (its signed media URLs), webhook deliveries, faults, the request log and its counters."""

    config: EmulatorConfig
    timeline: Timeline
    account: Account
    webhooks: WebhookDispatcher
    faults: FaultPlan
    requests: Counter[str]
    fault_counts: Counter[str]
    log: deque[dict[str, Any]]

    def finish(self, entry: dict[str, Any], response: web.StreamResponse) -> web.StreamResponse: ...

    async def lose_response(
        self, request: web.Request, response: web.StreamResponse, fault: str, entry: dict[str, Any]
    ) -> web.StreamResponse: ...

    @staticmethod
    def redacted(query: Mapping[str, str]) -> dict[str, str]: ...


class V3Service:
    """The v3 routes of one emulator, its v3 accounts, idempotency keys and counters."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.config = host.config
        self.state = V3Account(host.config, host.timeline, host.account, host.webhooks.enqueue)
        self.idempotency = IdempotencyStore(host.config.idempotency_ttl, host.timeline.now)
        self.requests: Counter[str] = Counter()
        self._processing: set[asyncio.Future[None]] = set()

    def reset(self) -> None:
        self.state.reset()
        self.idempotency.reset()
        self.requests.clear()
        for waiting in self._processing:  # the clock's events are gone: let requests in processing finish
            if not waiting.done():
                waiting.set_result(None)

    @property
    def processing(self) -> int:
        """Requests inside their ``create_latency`` right now (with or without an ``Idempotency-Key``)."""
        return len(self._processing)

    def stats(self) -> dict[str, Any]:
        return {
            **self.state.stats(),
            "requests": sum(self.requests.values()),
            "requests_by_route": dict(self.requests),
            "idempotent_replays": self.idempotency.replays,
            "in_progress_conflicts": self.idempotency.conflicts,
            "idempotency_keys": len(self.idempotency),
            "requests_processing": self.processing,
        }

    # -- routes -----------------------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        # Literal paths first: /v3/videos/statuses must win over /v3/videos/{video_id}.
        for key in sorted(V3_HANDLERS, key=lambda k: _template_path(k).count("{")):
            method, path = key.split(" ", 1)
            app.router.add_route(method, path, self._route(key))
        app.router.add_put("/uploads/{asset_id}", self._upload_bytes)
        app.router.add_get("/_emulator/v3/videos", self._control_videos)
        app.router.add_get("/_emulator/v3/consent/{group_id}", self._consent_page)
        app.router.add_route("*", "/v3/{tail:.*}", self._miss)

    def _route(self, key: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._serve(request, key)

        return handle

    # -- the request path ---------------------------------------------------------------------------------------

    async def _serve(self, request: web.Request, key: str) -> web.StreamResponse:
        host = self.host
        host.requests[f"{key} [direct v3]"] += 1
        self.requests[key] += 1
        request_id = "req_" + secrets.token_hex(12)
        entry: dict[str, Any] = {
            "time": time.time(),
            "endpoint": key,
            "route": key,
            "mode": "direct",
            "format": "v3",
            "path": request.path,
            "query": host.redacted(request.query),
            "request_id": request_id,
        }
        host.log.append(entry)
        api_key = request.headers.get("X-Api-Key", "")
        allowed = self.config.api_keys
        if not api_key or (allowed is not None and api_key not in allowed):
            refusal = V3Refusal(
                401, "authentication_failed", "Invalid or expired API key. Verify your x-api-key header."
            )
            return self._finish(entry, self._refusal(refusal), request_id)
        owner = owner_of(api_key)

        fault = host.faults.draw(key)
        if fault is not None:
            entry["fault"] = fault
            host.fault_counts[fault] += 1
            if fault == "slow":
                await asyncio.sleep(host.faults.latency())
            elif fault not in AFTER_PROCESSING:
                return self._finish(entry, self._fault_answer(request, fault), request_id)

        host.timeline.run_due()
        try:
            response = await self._answer(request, key, owner, entry)
        except V3Refusal as exc:
            response = self._refusal(exc)
        if fault in AFTER_PROCESSING:
            self._finish(entry, response, request_id)
            return await host.lose_response(request, response, fault, entry)
        return self._finish(entry, response, request_id)

    async def _answer(self, request: web.Request, key: str, owner: str, entry: dict[str, Any]) -> web.Response:
        """The answer to one authenticated request: replayed, refused (409) or freshly processed."""
        scope: Scope | None = None
        idempotency_key = request.headers.get(HEADER)
        if idempotency_key is not None and key in IDEMPOTENT_ROUTES:
            scope = self.idempotency.scope(owner, key, request.match_info, idempotency_key)
            entry["idempotency_key"] = idempotency_key
            stored = self.idempotency.begin(scope)
            if stored is not None:
                entry["replayed"] = True
                assert stored.body is not None  # begin() hands back finished requests only
                return web.Response(status=stored.status, body=stored.body, content_type=stored.content_type)
        try:
            response, body = await self._process(request, key, owner, entry)
        except BaseException:  # cancelled, or broken: nothing to keep, the key is free again
            if scope is not None:
                self.idempotency.abandon(scope)
            raise
        if scope is not None:
            self.idempotency.finish(scope, response.status, body, _JSON)
        return response

    async def _process(
        self, request: web.Request, key: str, owner: str, entry: dict[str, Any]
    ) -> tuple[web.Response, bytes]:
        try:
            if request.method == "POST" and self.config.create_latency > 0:
                await self._take_time(self.config.create_latency)
                self.host.timeline.run_due()
            call = await self._read_call(request, key, owner)
            if call.body.data:  # the JSON body as received, for tests that check what a client sent
                entry["body"] = dict(call.body.data)
            answer = V3_HANDLERS[key](self.state, call)
            return self._success(answer)
        except V3Refusal as exc:
            response = self._refusal(exc)
        except Exception:  # an emulator bug: answer as HeyGen would, say so in the log, keep serving
            logger.exception("emulator handler for %s failed", key)
            response = self._refusal(V3Refusal(500, "internal_error", "Internal server error"))
        return response, b""

    async def _take_time(self, seconds: float) -> None:
        """Wait ``seconds`` of emulated time (a ManualClock: until a test advances it)."""
        waiting: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def done(_when: float) -> None:
            if not waiting.done():
                waiting.set_result(None)

        self._processing.add(waiting)
        try:
            self.host.timeline.after(seconds, done)
            await waiting
        finally:
            self._processing.discard(waiting)

    async def _read_call(self, request: web.Request, key: str, owner: str) -> V3Call:
        query: dict[str, str] = {}
        for name, value in request.query.items():
            query.setdefault(name, value)
        upload = None
        body: dict[str, Any] = {}
        if key == "POST /v3/assets":
            upload = await self._read_upload(request)
        elif request.method in ("POST", "PUT", "PATCH") and request.can_read_body:
            raw = await request.read()
            if raw.strip():
                try:
                    parsed = json.loads(raw)
                except (ValueError, RecursionError):
                    raise V3Refusal(400, "invalid_parameter", "The request body is not valid JSON") from None
                if not isinstance(parsed, dict):
                    raise V3Refusal(400, "invalid_parameter", "The request body must be a JSON object")
                body = parsed
        return V3Call(owner=owner, path=dict(request.match_info), query=query, body=Body(body), upload=upload)

    @staticmethod
    async def _read_upload(request: web.Request) -> Upload | None:
        """The multipart ``file`` part, counted as it streams by (nothing is kept: the emulator only needs
        its size, type and name)."""
        if not request.content_type.startswith("multipart/"):
            raise V3Refusal(
                400, "invalid_parameter", "file: send a multipart/form-data body with a 'file' part", param="file"
            )
        try:
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    return None
                if isinstance(part, aiohttp.BodyPartReader) and part.name == "file":
                    size = 0
                    while chunk := await part.read_chunk(_CHUNK):
                        size += len(chunk)
                    content_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "application/octet-stream")
                    return Upload(size=size, content_type=content_type, filename=part.filename or "upload")
                await part.release()
        except (ValueError, AssertionError, RuntimeError, aiohttp.ClientPayloadError) as exc:
            raise V3Refusal(
                400,
                "invalid_parameter",
                f"file: the multipart body cannot be read ({type(exc).__name__})",
                param="file",
            ) from None

    # -- answers ------------------------------------------------------------------------------------------------

    @staticmethod
    def _success(answer: Answer) -> tuple[web.Response, bytes]:
        if answer.page is not None:
            envelope: dict[str, Any] = {
                "data": answer.page.items,
                "has_more": answer.page.has_more,
                "next_token": answer.page.next_token,
            }
        else:
            envelope = {"data": answer.data}
        body = _dumps(envelope)
        return web.Response(status=answer.status, body=body, content_type=_JSON), body

    @staticmethod
    def _refusal(refusal: V3Refusal) -> web.Response:
        error = {"code": refusal.code, "message": refusal.message, "param": refusal.param, "doc_url": None}
        return web.Response(
            status=refusal.status, body=_dumps({"error": error}), content_type=_JSON, headers=refusal.headers
        )

    def _finish(self, entry: dict[str, Any], response: web.StreamResponse, request_id: str) -> web.StreamResponse:
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = request_id
        return self.host.finish(entry, response)

    def _fault_answer(self, request: web.Request, fault: str) -> web.StreamResponse:
        if fault in ("500", "502", "503"):
            status = int(fault)
            return self._refusal(V3Refusal(status, _FAULT_CODES[status], _FAULT_MESSAGES[status]))
        if fault.startswith("429"):
            wait = self.host.faults.faults.retry_after
            value = (
                email.utils.formatdate(time.time() + wait, usegmt=True)
                if fault == "429-date"
                else str(max(0, round(wait)))
            )
            refusal = V3Refusal(
                429,
                "rate_limit_exceeded",
                "Too many requests. Retry after the duration specified in the Retry-After header.",
                headers={"Retry-After": value},
            )
            return self._refusal(refusal)
        return broken_answer(request, fault)

    # -- other routes -------------------------------------------------------------------------------------------

    async def _miss(self, request: web.Request) -> web.StreamResponse:
        host = self.host
        host.requests["route miss [direct v3]"] += 1
        request_id = "req_" + secrets.token_hex(12)
        entry: dict[str, Any] = {
            "time": time.time(),
            "endpoint": None,
            "route": "route miss",
            "mode": "direct",
            "format": "v3",
            "path": request.path,
            "query": host.redacted(request.query),
            "request_id": request_id,
        }
        host.log.append(entry)
        refusal = V3Refusal(404, "not_found", f"No such operation: {request.method} {request.path}")
        return self._finish(entry, self._refusal(refusal), request_id)

    async def _upload_bytes(self, request: web.Request) -> web.StreamResponse:
        """The presigned URL of a direct upload: the bytes are counted and hashed, S3-style errors otherwise."""
        asset_id = request.match_info["asset_id"]
        expires, signature = request.query.get("Expires", ""), request.query.get("Signature", "")
        asset = self.state.assets.get(asset_id)
        if not self.host.account.media_valid("upload", asset_id, expires, signature) or asset is None:
            return self._s3_error(403, "AccessDenied", "Request has expired or the signature does not match")
        if asset.status != "pending_upload":
            return self._s3_error(409, "InvalidObjectState", "The upload was completed already")
        digest = hashlib.sha256()
        size = 0
        while chunk := await request.content.read(_CHUNK):
            size += len(chunk)
            digest.update(chunk)
            if size > asset.size:
                return self._s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        asset.uploaded_size, asset.uploaded_checksum = size, digest.hexdigest()
        return web.Response(status=200, headers={"ETag": f'"{digest.hexdigest()[:32]}"'})

    @staticmethod
    def _s3_error(status: int, code: str, message: str) -> web.Response:
        page = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        return web.Response(status=status, text=page, content_type="application/xml")

    async def _consent_page(self, request: web.Request) -> web.StreamResponse:
        """Where ``POST /v3/avatars/{group_id}/consent`` sends the person filmed: opening it gives consent."""
        self.host.timeline.run_due()
        group = self.state.groups.get(request.match_info["group_id"])
        if group is None:
            return web.Response(status=404, text="No such avatar group")
        self.state.approve_consent(group)
        return web.Response(text=f"Consent recorded for {group.name}; training has started.")

    async def _control_videos(self, request: web.Request) -> web.StreamResponse:
        """Every v3 video of every account: what a test compares with the ids its client was given."""
        self.host.timeline.run_due()
        videos = [
            {
                "id": video.id,
                "status": video.status,
                "source": video.source,
                "batch_id": video.batch_id,
                "finished_at": video.finished_wall,
            }
            for video in self.state.videos.values()
        ]
        return web.json_response(videos)
