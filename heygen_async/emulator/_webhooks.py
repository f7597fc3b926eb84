"""Webhook deliveries, as HeyGen makes them.

Each event goes to every registered endpoint that subscribed to it (no list means all; ``entity_id`` narrows
to one job) as ``POST {"event_type", "event_data"}`` with ``Signature: <hex HMAC-SHA256 of the raw body, keyed
with the endpoint's secret>``, and to the job's own ``callback_url`` unsigned (HeyGen signs only registered
endpoints). A delivery that does not get a 2xx is tried again a few times. Registering an endpoint first
probes its URL with OPTIONS, which must answer 200 within a second.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any

import aiohttp
import attrs

from ._state import Account, Refusal

__all__ = ["Delivery", "WebhookDispatcher", "sign"]

logger = logging.getLogger("heygen_async.emulator")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@attrs.define
class Delivery:
    """One event to one URL, and how it went."""

    event_type: str
    url: str
    body: bytes
    signature: str | None
    attempts: int = 0
    status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookDispatcher:
    def __init__(self, account: Account, *, attempts: int, probe_timeout: float) -> None:
        self.account = account
        self.attempts = attempts
        self.probe_timeout = probe_timeout
        self.deliveries: list[Delivery] = []
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

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
            self._enqueue(Delivery(event_type, endpoint.url, body, sign(endpoint.secret, body)))
        if callback_url:
            self._enqueue(Delivery(event_type, callback_url, body, None))

    def _enqueue(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        self._queue.put_nowait(delivery)

    async def run(self) -> None:
        """Deliver queued events until cancelled."""
        while True:
            delivery = await self._queue.get()
            try:
                await self._deliver(delivery)
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued delivery has been made or given up."""
        await self._queue.join()

    async def _deliver(self, delivery: Delivery) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "HeyGen-Webhooks (emulated)"}
        if delivery.signature is not None:
            headers["Signature"] = delivery.signature
        for attempt in range(1, self.attempts + 1):
            delivery.attempts = attempt
            try:
                async with self._http().post(delivery.url, data=delivery.body, headers=headers) as response:
                    delivery.status = response.status
                    await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                delivery.status, delivery.error = None, f"{type(exc).__name__}: {exc}"
            if delivery.delivered:
                return
            if attempt < self.attempts:
                await asyncio.sleep(0.05 * 2**attempt)
        logger.info("webhook %s to %s not delivered after %d attempts", delivery.event_type, delivery.url, attempt)

    async def probe(self, url: str) -> None:
        """HeyGen's check of a new endpoint: OPTIONS must answer 200 within ``probe_timeout``."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Refusal(400, 400, f"Invalid webhook URL: {url!r}")
        try:
            timeout = aiohttp.ClientTimeout(total=self.probe_timeout)
            async with self._http().options(url, timeout=timeout) as response:
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise Refusal(400, 400, f"Webhook URL did not answer the OPTIONS probe: {type(exc).__name__}") from None
        if status != 200:
            raise Refusal(400, 400, f"Webhook URL answered the OPTIONS probe with {status}, not 200")
