"""A webhook receiver: answers HeyGen's probe, verifies, parses, de-duplicates and hands events on.

The logic is framework-free (:meth:`WebhookReceiver.preflight` and :meth:`WebhookReceiver.deliver` return a
:class:`Reply`); the receiver is also a plain ASGI app (``receiver`` itself) and an aiohttp handler
(``receiver.aiohttp_handler``, or ``receiver.aiohttp_app()`` to mount as a sub-application). Answers:

- ``OPTIONS`` → 200 (HeyGen probes a URL with it, with a 1-second timeout, before registering it);
- a body over ``max_body_size`` → 413, refused on its ``Content-Length`` before reading, or as soon as a
  chunked body passes the limit;
- no secret set yet → 503 (HeyGen tries again later); a missing, malformed or wrong signature, or a timestamp
  outside a timestamped scheme's window → 401, and no handler runs;
- a body not read within ``read_timeout`` → 408;
- a body that is not an event → 400; a delivery already handed on → 200, not handed on again; another copy
  of it still being handled → 409, so the sender tries again later (if that handling fails, the retry is
  what gets the event through); the delivery log failing → 503;
- the application's handler failed → 500 and the delivery is forgotten, so HeyGen's retry gets through;
- otherwise 200, after the client's job waiters were fed (:meth:`JobManager.feed`) and the handlers ran.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import anyio
import attrs

from heygen_async._exceptions import InvalidSignatureError, ValidationError, WebhookPayloadError

from ._dedup import DeliveryLog, MemoryDeliveryLog, delivery_key
from ._events import KNOWN_EVENT_TYPES, WebhookEvent, parse_event
from ._signature import Headers, Secret, SignatureScheme, header_values, scheme_of, secrets_of, signed_event_id

if TYPE_CHECKING:
    from aiohttp import web

    from heygen_async._client import HeyGenClient

__all__ = ["DEFAULT_MAX_BODY_SIZE", "Handler", "ReceiverStats", "Reply", "WebhookReceiver"]

logger = logging.getLogger("heygen_async.webhooks")

DEFAULT_MAX_BODY_SIZE: Final = 1024 * 1024
_CHUNK: Final = 64 * 1024
_RELEASE_TIMEOUT: Final = 5.0
_JSON: Final = (("Content-Type", "application/json"),)

Handler = Callable[[WebhookEvent], "Awaitable[None] | None"]
H = TypeVar("H", bound=Callable[..., Any])  # a handler may take a narrower event class than WebhookEvent
ASGIScope = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[MutableMapping[str, Any]]]
ASGISend = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@attrs.frozen
class Reply:
    """What to answer: status, JSON body, headers, and the event when one was parsed."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = _JSON
    event: WebhookEvent | None = attrs.field(default=None, repr=False)

    @classmethod
    def of(cls, status: int, event: WebhookEvent | None = None, **fields: Any) -> Reply:
        body = json.dumps({"ok": 200 <= status < 300, **fields}, separators=(",", ":")).encode()
        return cls(status, body, _JSON, event)


@attrs.define
class ReceiverStats:
    """Counts of what the receiver answered, by outcome."""

    probes: int = 0
    handled: int = 0
    duplicates: int = 0
    unauthorized: int = 0
    too_large: int = 0
    bad_requests: int = 0
    failed: int = 0
    not_ready: int = 0
    in_progress: int = 0
    timed_out: int = 0
    disconnects: int = 0
    log_errors: int = 0


class _Disconnected(Exception):
    """The ASGI client went away before its body was read."""


class WebhookReceiver:
    """Receives HeyGen's webhook deliveries for one endpoint (or several sharing the listed secrets).

    ``secret`` is the endpoint's secret (``str``/``bytes``, or a list of them while rotating); it may be set
    later with :meth:`set_secret`, for the usual order of things: start the receiver, register its URL
    (HeyGen probes it), then keep the secret that registration returned. ``scheme`` says how deliveries are
    signed (:class:`BodySignature` by default; ``signature_header`` is the short way to rename its header;
    ``clock`` is the Unix time a timestamped scheme's window is measured from). ``handler`` (and handlers
    added with :meth:`on`) get each verified event once; ``client`` gets its job waiters fed, so
    ``client.videos.wait(...)`` returns as soon as the delivery arrives. ``allow_unsigned`` accepts
    deliveries that carry no signature at all (HeyGen does not sign deliveries to a job's own
    ``callback_url``) with ``event.verified`` False; a signature that is present is always checked.
    ``deliveries`` is the log of deliveries already handed on (this process's memory by default; share one
    across processes so a fleet de-duplicates together), or ``None`` to hand on every delivery.
    """

    def __init__(
        self,
        secret: Secret | None = None,
        handler: Handler | None = None,
        *,
        client: HeyGenClient | None = None,
        signature_header: str | Sequence[str] | None = None,
        scheme: SignatureScheme | None = None,
        clock: Callable[[], float] = time.time,
        allow_unsigned: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        read_timeout: float = 30.0,
        deliveries: DeliveryLog | Literal["memory"] | None = "memory",
    ) -> None:
        self._secrets: tuple[bytes, ...] = () if secret is None else secrets_of(secret)
        self.scheme = scheme_of(scheme, signature_header, "signature_header")
        if not callable(clock):
            raise ValidationError("must be a callable returning the Unix time in seconds", parameter="clock")
        if isinstance(max_body_size, bool) or not isinstance(max_body_size, int) or max_body_size < 1:
            raise ValidationError("must be a positive number of bytes", parameter="max_body_size")
        if isinstance(read_timeout, bool) or not isinstance(read_timeout, (int, float)) or not 0 < read_timeout < 1e9:
            raise ValidationError("must be a positive number of seconds", parameter="read_timeout")
        if handler is not None and not callable(handler):
            raise ValidationError("must be a callable taking the event", parameter="handler")
        if client is not None and not hasattr(client, "jobs"):
            raise ValidationError("must be a HeyGenClient (its job waiters are fed)", parameter="client")
        if isinstance(deliveries, str) and deliveries == "memory":
            deliveries = MemoryDeliveryLog()
        elif deliveries is not None and not isinstance(deliveries, DeliveryLog):
            raise ValidationError(
                "must have async claim(key), complete(key) and release(key), or be None", parameter="deliveries"
            )
        self.clock = clock
        self.allow_unsigned = bool(allow_unsigned)
        self.max_body_size = max_body_size
        self.read_timeout = float(read_timeout)
        self.client = client
        self.deliveries: DeliveryLog | None = deliveries
        self.stats = ReceiverStats()
        self._handlers: list[tuple[Callable[[WebhookEvent], bool], Handler]] = []
        if handler is not None:
            self._handlers.append((_every, handler))

    def __repr__(self) -> str:
        secret = "set" if self._secrets else "not set"
        return f"<WebhookReceiver secret {secret}, {len(self._handlers)} handler(s)>"

    # -- configuration ------------------------------------------------------------------------------------

    @property
    def has_secret(self) -> bool:
        return bool(self._secrets)

    def set_secret(self, secret: Secret) -> None:
        """Verify from now on with ``secret`` (or any of a list of them)."""
        self._secrets = secrets_of(secret)

    def on(self, *selectors: str | type[WebhookEvent], allow_unknown: bool = False) -> Callable[[H], H]:
        """Decorator: call the function for events of these types (names such as ``"avatar_video.success"``,
        or event classes, subclasses included); with no selector, for every event. A name HeyGen does not
        document is refused (a typo would never fire) unless ``allow_unknown``."""
        names: set[str] = set()
        classes: list[type[WebhookEvent]] = []
        for selector in selectors:
            if isinstance(selector, str) and selector:
                if selector not in KNOWN_EVENT_TYPES and not allow_unknown:
                    raise ValidationError(
                        f"unknown event {selector!r} (pass allow_unknown=True for one HeyGen added since)",
                        parameter="selectors",
                    )
                names.add(selector)
            elif isinstance(selector, type) and issubclass(selector, WebhookEvent):
                classes.append(selector)
            else:
                raise ValidationError("expected event names or WebhookEvent classes", parameter="selectors")
        types = tuple(classes)

        def matches(event: WebhookEvent) -> bool:
            return not selectors or event.event_type in names or isinstance(event, types)

        def register(handler: H) -> H:
            if not callable(handler):
                raise ValidationError("must be a callable taking the event", parameter="handler")
            self._handlers.append((matches, handler))
            return handler

        return register

    # -- the framework-free core -----------------------------------------------------------------------------

    def preflight(self, method: str, headers: Headers) -> Reply | None:
        """The answer decided before the body is read, or None to read it and call :meth:`deliver`."""
        if method == "OPTIONS":
            self.stats.probes += 1
            return Reply(200, b"", (("Allow", "OPTIONS, POST"),))
        if method != "POST":
            self.stats.bad_requests += 1
            return Reply(405, Reply.of(405, error="method not allowed").body, (*_JSON, ("Allow", "OPTIONS, POST")))
        lengths = header_values(headers, ("Content-Length",))
        if lengths:
            try:
                length = int(lengths[0])
            except ValueError:
                length = -1
            if length < 0:
                self.stats.bad_requests += 1
                return Reply.of(400, error="bad Content-Length")
            if length > self.max_body_size:
                return self.too_large()
        return None

    def too_large(self) -> Reply:
        self.stats.too_large += 1
        return Reply.of(413, error=f"body over {self.max_body_size} bytes")

    async def deliver(self, raw_body: bytes, headers: Headers) -> Reply:
        """Verify, parse, de-duplicate and hand on one delivery; the answer to give."""
        if not isinstance(headers, (Mapping, list, tuple)):
            headers = list(headers)  # read more than once below: a generator would be used up
        verified = True
        if not header_values(headers, self.scheme.signature_headers) and self.allow_unsigned:
            verified = False
        elif not self._secrets:
            self.stats.not_ready += 1
            logger.warning("webhook delivery refused: the receiver has no secret yet")
            return Reply.of(503, error="receiver not ready")
        else:
            try:
                self.scheme.verify(raw_body, headers, self._secrets, self.clock())
            except InvalidSignatureError as exc:
                self.stats.unauthorized += 1
                logger.info("webhook delivery refused: %s", exc)
                return Reply.of(401, error="invalid signature", reason=exc.reason)
        try:
            event = parse_event(raw_body)
        except WebhookPayloadError as exc:
            self.stats.bad_requests += 1
            logger.info("webhook delivery refused: %s", exc)
            return Reply.of(400, error=str(exc))
        event = attrs.evolve(event, verified=verified)
        if verified and event.event_id is None:
            event = attrs.evolve(event, event_id=signed_event_id(self.scheme, headers))
        key = delivery_key(event, raw_body)
        if self.deliveries is not None:
            try:
                claim = await self.deliveries.claim(key)
            except Exception:
                self.stats.log_errors += 1
                logger.exception("webhook delivery log failed on %s; asking the sender to retry", key)
                return Reply.of(503, event, error="delivery log unavailable")
            if claim == "done":
                self.stats.duplicates += 1
                logger.debug("webhook %s for %s already handed on", event.event_type, event.job_id)
                return Reply.of(200, event, duplicate=True)
            if claim != "new":
                self.stats.in_progress += 1
                return Reply.of(409, event, error="another copy of this delivery is being handled; retry later")
        try:
            self._feed(event)
            for matches, handler in self._handlers:
                if matches(event):
                    outcome = handler(event)
                    if inspect.isawaitable(outcome):
                        await outcome
        except Exception:
            await self._release(key)
            self.stats.failed += 1
            logger.exception("webhook handler failed on %s for %s", event.event_type, event.job_id)
            return Reply.of(500, event, error="handler failed")
        except BaseException:
            await self._release(key)
            raise
        self.stats.handled += 1
        await self._complete(key)
        return Reply.of(200, event)

    def _feed(self, event: WebhookEvent) -> None:
        if self.client is None or event.job_id is None:
            return
        try:
            self.client.jobs.feed(event)
        except Exception as exc:  # a closed client must not turn a good delivery into a retry storm
            logger.warning("webhook %s not fed to the client: %s", event.event_type, type(exc).__name__)

    async def _complete(self, key: str) -> None:
        if self.deliveries is None:
            return
        with anyio.move_on_after(_RELEASE_TIMEOUT, shield=True):
            try:
                await self.deliveries.complete(key)
            except Exception:  # the event was handled: answer 200 all the same
                self.stats.log_errors += 1
                logger.exception("could not record webhook delivery %s as handled; a copy may be handed on", key)

    async def _release(self, key: str) -> None:
        if self.deliveries is None:
            return
        with anyio.move_on_after(_RELEASE_TIMEOUT, shield=True):
            try:
                await self.deliveries.release(key)
            except Exception:
                logger.exception("could not forget webhook delivery %s; a retry of it will be dropped", key)

    async def _read(self, chunks: AsyncIterator[bytes]) -> bytes | Reply:
        """The body, or the answer when it is too large (413) or too slow (408)."""
        body: bytes | None = b""
        with anyio.move_on_after(self.read_timeout) as scope:
            body = await _read_limited(chunks, self.max_body_size)
        if scope.cancelled_caught:
            self.stats.timed_out += 1
            return Reply.of(408, error=f"body not received within {self.read_timeout:g} s")
        return self.too_large() if body is None else body

    # -- aiohttp --------------------------------------------------------------------------------------------

    async def aiohttp_handler(self, request: web.Request) -> web.Response:
        """An aiohttp.web handler: ``app.router.add_route("*", "/webhooks/heygen", receiver.aiohttp_handler)``."""
        from aiohttp import web  # imported when used: aiohttp.web is not needed to call the API

        reply = self.preflight(request.method, request.headers)
        if reply is None:
            body = await self._read(request.content.iter_chunked(_CHUNK))
            reply = body if isinstance(body, Reply) else await self.deliver(body, request.headers)
        return web.Response(status=reply.status, body=reply.body, headers=dict(reply.headers))

    def aiohttp_app(self) -> web.Application:
        """An aiohttp application answering at its root, to run or mount:
        ``app.add_subapp("/webhooks/heygen", receiver.aiohttp_app())``."""
        from aiohttp import web

        app = web.Application(client_max_size=self.max_body_size)
        app.router.add_route("*", "/", self.aiohttp_handler)
        return app

    # -- ASGI -------------------------------------------------------------------------------------------------

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """The receiver as an ASGI 3 app (no framework needed): mount it at the webhook URL's path."""
        kind = scope.get("type")
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind != "http":
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        headers = scope.get("headers") or []
        reply = self.preflight(str(scope.get("method", "")), headers)
        if reply is None:
            try:
                body = await self._read(_asgi_chunks(receive))
            except _Disconnected:
                self.stats.disconnects += 1
                return
            reply = body if isinstance(body, Reply) else await self.deliver(body, headers)
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(name.lower().encode(), value.encode()) for name, value in reply.headers],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})


def _every(_: WebhookEvent) -> bool:
    return True


async def _read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (the rest is not read)."""
    body = bytearray()
    try:
        async for chunk in chunks:
            body += chunk
            if len(body) > limit:
                return None
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
    return bytes(body)


async def _asgi_chunks(receive: ASGIReceive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            raise _Disconnected
        yield bytes(message.get("body", b""))
        if not message.get("more_body"):
            return


async def _lifespan(receive: ASGIReceive, send: ASGISend) -> None:
    while True:
        message = await receive()
        if message.get("type") == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message.get("type") == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
