"""Webhook deliveries, as HeyGen makes them.

Each event goes to every registered endpoint that subscribed to it (no list means all; ``entity_id`` narrows
to one job) as ``POST {"event_type", "event_data"}`` with ``Signature: <hex HMAC-SHA256 of the raw body, keyed
with the endpoint's secret>`` (v3's endpoints: ``Heygen-Signature``, with ``Heygen-Timestamp`` and
``Heygen-Event-Id``), and to the job's own ``callback_url`` unsigned (HeyGen signs only registered
endpoints). A delivery that does not get a 2xx is tried again a few times. Deliveries run concurrently (a few
at a time), so one slow or dead receiver does not hold up the others. Registering an endpoint first probes its
URL with OPTIONS, which must answer 200 within a second.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any, Final

import aiohttp
import attrs

from ._state import Account, Refusal

__all__ = ["Delivery", "WebhookDispatcher", "check_webhook_url", "sign"]

logger = logging.getLogger("heygen_async.emulator")
CONCURRENT_DELIVERIES: Final = 16


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_webhook_url(url: Any, what: str = "url") -> str:
    """``url`` if it is an http(s) URL, else the Refusal HeyGen would answer (checked before it is stored)."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2048:
        raise Refusal(400, "invalid_parameter", f"{what} must be an http(s) URL")
    return url


@attrs.define
class Delivery:
    """One event to one URL, and how it went."""

    event_type: str
    url: str
    body: bytes
    signature: str | None
    signature_header: str = "Signature"
    headers: dict[str, str] = attrs.Factory(dict)
    """More headers to send (v3's ``Heygen-Timestamp`` and ``Heygen-Event-Id``)."""
    attempts: int = 0
    status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookDispatcher:
    def __init__(self, account: Account, *, attempts: int, probe_timeout: float, timeout: float = 5.0) -> None:
        self.account = account
        self.attempts = attempts
        self.probe_timeout = probe_timeout
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _http(self) -> aiohttp.ClientSession:
        if self._closed:
            raise Refusal(503, 503, "The emulator is shutting down")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    def clear(self) -> None:
        """Forget past and queued deliveries (what is already being sent finishes)."""
        self.deliveries.clear()
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    def emit(
        self, event_type: str, event_data: dict[str, Any], callback_url: str | None, entities: tuple[str, ...]
    ) -> None:
        """Queue ``event_type`` for every matching endpoint and the job's callback URL (called from the timeline)."""
        body = json.dumps({"event_type": event_type, "event_data": event_data}, separators=(",", ":")).encode()
        for endpoint in self.account.endpoints.values():
            if endpoint.status != "enabled":
                continue
            if endpoint.events is not None and event_type not in endpoint.events:
                continue
            if endpoint.entity_id is not None and endpoint.entity_id not in entities:
                continue
            self.enqueue(Delivery(event_type, endpoint.url, body, sign(endpoint.secret, body)))
        if callback_url:
            self.enqueue(Delivery(event_type, callback_url, body, None))

    def enqueue(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        self._queue.put_nowait(delivery)

    async def run(self) -> None:
        """Deliver queued events, a few at a time, until cancelled."""
        slots = asyncio.Semaphore(CONCURRENT_DELIVERIES)
        running: set[asyncio.Task[None]] = set()

        async def deliver(delivery: Delivery) -> None:
            try:
                await self._deliver(delivery)
            except Exception as exc:  # one broken delivery must never stop the others
                delivery.error = f"{type(exc).__name__}: {exc}"
                logger.warning("webhook %s to %s failed: %s", delivery.event_type, delivery.url, delivery.error)
            finally:
                slots.release()
                self._queue.task_done()

        try:
            while True:
                delivery = await self._queue.get()
                await slots.acquire()
                task = asyncio.create_task(deliver(delivery))
                running.add(task)
                task.add_done_callback(running.discard)
        finally:
            for task in list(running):
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def drain(self) -> None:
        """Wait until every queued delivery has been made or given up."""
        await self._queue.join()

    async def _deliver(self, delivery: Delivery) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "HeyGen-Webhooks (emulated)"}
        headers.update(delivery.headers)
        if delivery.signature is not None:
            headers[delivery.signature_header] = delivery.signature
        for attempt in range(1, self.attempts + 1):
            delivery.attempts = attempt
            try:
                async with self._http().post(delivery.url, data=delivery.body, headers=headers) as response:
                    delivery.status = response.status
                    await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                delivery.status, delivery.error = None, f"{type(exc).__name__}: {exc}"
            if delivery.delivered:
                return
            if attempt < self.attempts:
                await asyncio.sleep(0.05 * 2**attempt)
        logger.info(
            "webhook %s to %s not delivered after %d attempts", delivery.event_type, delivery.url, self.attempts
        )

    async def probe(self, url: Any) -> None:
        """HeyGen's check of a new endpoint URL: OPTIONS must answer 200 within ``probe_timeout``."""
        url = check_webhook_url(url)
        try:
            timeout = aiohttp.ClientTimeout(total=self.probe_timeout)
            async with self._http().options(url, timeout=timeout) as response:
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise Refusal(400, 400, f"Webhook URL did not answer the OPTIONS probe: {type(exc).__name__}") from None
        if status != 200:
            raise Refusal(400, 400, f"Webhook URL answered the OPTIONS probe with {status}, not 200")
