"""``client.webhooks.register/ensure/find/remove``: endpoint management on top of the generated endpoint methods.

Event lists are checked before anything is sent: a misspelt event name would register an endpoint that never
fires, so names HeyGen does not document are refused unless ``allow_unknown_events`` says they are meant.
``ensure`` is idempotent within a process (concurrent calls on one client handle run one at a time) and
across runs (it looks the URL up first). URLs are compared in canonical form (scheme and host case, default
ports, percent-encoding of unreserved characters).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
import yarl

from heygen_async._exceptions import ClientClosedError, ValidationError
from heygen_async._models import Ack, WebhookEndpoint, WebhookEndpointList
from heygen_async._resources._base import Resource
from heygen_async._spec._results import structure
from heygen_async._spec._table import ENDPOINTS_BY_NAME
from heygen_async._spec._validation import build_request

from ._events import KNOWN_EVENT_TYPES, WebhookEvent

if TYPE_CHECKING:
    from heygen_async._transport._call import Transport

__all__ = ["WebhookEndpoints"]

EventSelector = str | type[WebhookEvent]
_ADD = ENDPOINTS_BY_NAME["webhooks.add_endpoint"]
_LIST = ENDPOINTS_BY_NAME["webhooks.list_endpoints"]
_UPDATE = ENDPOINTS_BY_NAME["webhooks.update_endpoint"]
_DELETE = ENDPOINTS_BY_NAME["webhooks.delete_endpoint"]
_locks: weakref.WeakKeyDictionary[Transport, asyncio.Lock] = weakref.WeakKeyDictionary()


def _url(url: Any, method: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("expected the endpoint's absolute http(s) URL", parameter="url", endpoint=method)
    text: str = url.strip()
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValidationError("the URL contains whitespace or control characters", parameter="url", endpoint=method)
    try:
        parsed = yarl.URL(text)
        port = parsed.port
    except (TypeError, ValueError):
        parsed, port = yarl.URL(), None
    if parsed.scheme not in ("http", "https") or not parsed.host or port is None:
        raise ValidationError(
            "expected an absolute http(s) URL (HeyGen requires https for real endpoints)",
            parameter="url",
            endpoint=method,
        )
    return text


def _canonical(url: str) -> tuple[Any, ...] | str:
    try:
        parsed = yarl.URL(url)
        return (parsed.scheme.lower(), (parsed.host or "").lower(), parsed.port, parsed.path, parsed.query_string)
    except (TypeError, ValueError):
        return url


def _same_url(a: str | None, b: str) -> bool:
    return a is not None and (a == b or _canonical(a) == _canonical(b))


def _events(events: Iterable[EventSelector] | None, allow_unknown: bool, method: str) -> list[str] | None:
    """Event names from names or event classes, in order, without repeats; None means every event."""
    if events is None:
        return None
    if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
        raise ValidationError(
            "expected a list of event names or event classes (a single name still goes in a list)",
            parameter="events",
            endpoint=method,
        )
    names: list[str] = []
    for index, item in enumerate(events):
        if isinstance(item, type) and issubclass(item, WebhookEvent) and item.event_types:
            candidates: tuple[str, ...] = item.event_types
        elif isinstance(item, str) and item:
            candidates = (item,)
        else:
            raise ValidationError(
                f"expected an event name or a WebhookEvent class with event types, got {type(item).__name__}",
                parameter=f"events[{index}]",
                endpoint=method,
            )
        for name in candidates:
            if name not in KNOWN_EVENT_TYPES and not allow_unknown:
                raise ValidationError(
                    f"unknown event {name!r}; known: {', '.join(sorted(KNOWN_EVENT_TYPES))} "
                    "(pass allow_unknown_events=True for one HeyGen added since)",
                    parameter=f"events[{index}]",
                    endpoint=method,
                )
            if name not in names:
                names.append(name)
    if not names:
        raise ValidationError(
            "an empty list subscribes to nothing; pass None for every event", parameter="events", endpoint=method
        )
    return names


class WebhookEndpoints(Resource):
    """The hand-written half of ``client.webhooks`` (the generated class inherits it)."""

    __slots__ = ()

    async def register(
        self,
        url: str,
        events: Iterable[EventSelector] | None = None,
        *,
        entity_id: str | None = None,
        allow_unknown_events: bool = False,
    ) -> WebhookEndpoint:
        """Register ``url`` for ``events`` (names or event classes; None: all) and return the endpoint with its
        ``secret``: keep it, it verifies the deliveries. HeyGen first probes the URL with OPTIONS (1 s)."""
        url = _url(url, "webhooks.register")
        names = _events(events, allow_unknown_events, "webhooks.register")
        return await self._call(_ADD, WebhookEndpoint, {"url": url, "events": names, "entity_id": entity_id})

    async def find(self, url: str) -> WebhookEndpoint | None:
        """The registered endpoint for ``url`` (the first, if several), or None."""
        url = _url(url, "webhooks.find")
        for endpoint in await self._call(_LIST, WebhookEndpointList, {}):
            if _same_url(endpoint.url, url):
                return endpoint
        return None

    async def ensure(
        self,
        url: str,
        events: Iterable[EventSelector] | None = None,
        *,
        entity_id: str | None = None,
        allow_unknown_events: bool = False,
    ) -> WebhookEndpoint:
        """The endpoint for ``url``, registered only if it is not yet; its events are brought in line with
        ``events`` (None: all) if they differ. Returns it with its ``secret``. ``entity_id`` applies when the
        endpoint is created (HeyGen's update cannot change it)."""
        url = _url(url, "webhooks.ensure")
        names = _events(events, allow_unknown_events, "webhooks.ensure")
        lock = _locks.setdefault(self._transport, asyncio.Lock())
        async with lock:  # one ensure at a time per handle: rare calls, and no per-URL key to get wrong
            found = await self.find(url)
            if found is None:
                return await self._call(_ADD, WebhookEndpoint, {"url": url, "events": names, "entity_id": entity_id})
            if _same_events(found.events, names) or found.endpoint_id is None:
                return found
            updated = await self._update_events(found.endpoint_id, names)
            # The update's answer may leave out the secret (and fields it did not change): keep the listing's.
            merged = {
                field.name: getattr(updated, field.name)
                for field in attrs.fields(WebhookEndpoint)
                if field.name != "raw" and getattr(updated, field.name) not in (None, "")
            }
            merged["events"] = names
            result = attrs.evolve(found, **merged)
            object.__setattr__(result, "raw", updated.raw)
            return result

    async def _update_events(self, endpoint_id: str, names: list[str] | None) -> WebhookEndpoint:
        """``endpoint.update`` with only the events (the URL unchanged, so HeyGen does not probe it again);
        ``None`` is sent as JSON null, HeyGen's "every event", not left out."""
        parts = build_request(_UPDATE, {"endpoint_id": endpoint_id, "events": names})
        if self._transport.closed:
            raise ClientClosedError("this client handle is closed")
        body = {**(parts.body or {}), "events": names}
        data = await self._transport.call(_UPDATE.route, path_values=parts.path_values, query=parts.query, json=body)
        return structure(_UPDATE, WebhookEndpoint, data, self._transport.redactor)

    async def remove(self, url: str) -> int:
        """Delete every endpoint registered for ``url``; how many there were."""
        url = _url(url, "webhooks.remove")
        removed = 0
        for endpoint in await self._call(_LIST, WebhookEndpointList, {}):
            if _same_url(endpoint.url, url) and endpoint.endpoint_id:
                await self._call(_DELETE, Ack, {"endpoint_id": endpoint.endpoint_id})
                removed += 1
        return removed


def _same_events(current: list[str] | None, wanted: list[str] | None) -> bool:
    if current is None or wanted is None:
        return current is None and wanted is None
    return set(current) == set(wanted)
