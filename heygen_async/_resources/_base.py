"""What every generated endpoint method does: validate, send through the handle's transport, structure.

Resources hold the handle's transport and the pool's runtime, not the client, so a client and its namespaces
form no reference cycle and an unclosed client is reported as soon as the last reference to it goes. Hand-
written helpers call endpoints through :meth:`Resource._call` with the endpoint's table row, never through a
method only the generated subclass has.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

from heygen_async._config import USE_CLIENT_DEFAULT, OrDefault, RetryPolicy, Timeout
from heygen_async._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    ClientClosedError,
    ConfigurationError,
    CreatedResponseError,
    StateBackendError,
    ValidationError,
)
from heygen_async._models import ListModel, Model
from heygen_async._spec._results import created_ids, structure
from heygen_async._spec._types import Endpoint
from heygen_async._spec._validation import build_request, check_extra_query
from heygen_async._transport._upload import LEGACY_RULES, V3_RULES, Source, prepare_upload

if TYPE_CHECKING:
    from heygen_async._runtime import Runtime
    from heygen_async._state._protocol import StateBackend
    from heygen_async._transport._call import Transport

__all__ = ["CALL_OPTIONS", "Resource", "check_v3_served", "idempotency_key_for"]

CALL_OPTIONS: Final = ("extra_query", "extra_body", "timeout", "max_retries", "retry", "idempotency_key")
"""The per-call options endpoint methods take beside the endpoint's own parameters (``idempotency_key``: the
v3 creates that HeyGen takes an ``Idempotency-Key`` on)."""
_IDEMPOTENCY_KEY: Final = re.compile(r"[A-Za-z0-9_\-:.]{1,255}")


def idempotency_key_for(endpoint: Endpoint, given: Any) -> str | None:
    """The ``Idempotency-Key`` a call sends: ``given`` once checked (HeyGen takes 1-255 characters of
    ``A-Za-z0-9_-:.``), a new random one when not given, None for an endpoint that takes none."""
    if not endpoint.idempotency_key:
        if given is not None:
            raise ValidationError(
                f"{endpoint.key} takes no Idempotency-Key", parameter="idempotency_key", endpoint=endpoint.qualname
            )
        return None
    if given is None:
        return uuid.uuid4().hex
    if not isinstance(given, str) or not _IDEMPOTENCY_KEY.fullmatch(given):
        raise ValidationError(
            "idempotency_key must be 1-255 characters of A-Z, a-z, 0-9, '_', '-', ':' and '.'",
            parameter="idempotency_key",
            endpoint=endpoint.qualname,
        )
    return given


@functools.cache
def _gateway_routes() -> frozenset[str]:
    """The routes the gateway's definition lists: the legacy table's, route for route."""
    from heygen_async._spec._table import ENDPOINTS

    return frozenset(endpoint.key for endpoint in ENDPOINTS)


def check_v3_served(transport: Transport, endpoint: Endpoint) -> None:
    """v3 is HeyGen's own API: a gateway client sends a v3 call (or polls a v3 job) only if the gateway's
    definition (which the legacy table mirrors route for route) lists its route; today it lists none, so every
    one is refused before sending."""
    if transport.options.mode == "gateway" and endpoint.key not in _gateway_routes():
        raise ConfigurationError(
            f"{endpoint.qualname} ({endpoint.key}) is HeyGen v3, which the LowCodeAPI gateway does not serve: "
            "use HeyGenClient.direct(heygen_api_key=...) (or HEYGEN_API_KEY); nothing was sent"
        )


_MAX_PAGES: Final = 10_000
"""The most pages a page-numbered walk follows."""
M = TypeVar("M", bound=Model)
T = TypeVar("T")


class Resource:
    """Base of the generated namespaces (``client.videos``, ``client.avatars``, ...)."""

    __slots__ = ("_runtime", "_transport")

    def __init__(self, transport: Transport, runtime: Runtime) -> None:
        self._transport = transport
        self._runtime = runtime

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _call(
        self,
        endpoint: Endpoint,
        result: type[M],
        arguments: Mapping[str, Any],
        *,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: OrDefault[Timeout | float | None] = USE_CLIENT_DEFAULT,
        max_retries: OrDefault[int] = USE_CLIENT_DEFAULT,
        retry: OrDefault[RetryPolicy] = USE_CLIENT_DEFAULT,
        idempotency_key: str | None = None,
    ) -> M:
        field = endpoint.idempotency_field
        if field is not None and arguments.get(field) is None:  # HeyGen de-duplicates on it: always send one
            arguments = {**arguments, field: uuid.uuid4().hex}
        parts = build_request(endpoint, arguments, extra_query=extra_query, extra_body=extra_body)
        key = idempotency_key_for(endpoint, idempotency_key)
        resend_with = key if field is None else arguments[field]  # what an error tells the caller to resend with
        self._ready(endpoint)
        creates = endpoint.creates
        state = self._runtime.state if creates is not None and creates.job is not None else None
        if state is not None and not state.ready:
            raise StateBackendError(
                f"{endpoint.qualname} would start a job the ledger cannot record: enter the client's state "
                "('async with RedisState(...) as state') before submitting; nothing was sent"
            )
        try:
            data = await self._transport.call(
                endpoint.route,
                path_values=parts.path_values,
                query=parts.query,
                json=parts.body,
                headers=None if key is None else {"Idempotency-Key": key},
                # HeyGen replays the first answer to the same key (or de-duplicates on the field): retry freely
                idempotent=None if key is None and field is None else True,
                timeout=timeout,
                max_retries=max_retries,
                retry=retry,
            )
        except APIError as exc:
            exc.idempotency_key = resend_with
            raise
        try:
            structured = structure(endpoint, result, data, self._transport.redactor, arguments)
        except APIResponseError as exc:
            # Raised without the frames (and this one's data) that held the answer as received: a traceback
            # that captures locals must not show what a server echoed into it.
            error = exc.with_traceback(None)
            error.idempotency_key = resend_with
            del data, exc
            if isinstance(error, CreatedResponseError) and state is not None:  # the job exists: the ledger gets it
                await self._record(state, endpoint, [error.created_id])
            raise error from None
        secret = getattr(structured, "secret", None)
        if type(secret) is str:  # a webhook endpoint's signing secret: never shown in a later error either
            self._transport.redactor.learn(secret)
        if state is not None:  # only with a shared state: most clients never load the ledger's code
            assert creates is not None
            await self._record(state, endpoint, created_ids(creates, structured, arguments))
        return structured

    def _ready(self, endpoint: Endpoint) -> None:
        """Refuse, before sending, a call this handle cannot make: it is closed, or it is v3 through the
        gateway."""
        if self._transport.closed:
            raise ClientClosedError("this client handle is closed")
        if endpoint.api == "v3":
            check_v3_served(self._transport, endpoint)
        if (endpoint.api == "liveavatar") != (self._transport.options.api == "liveavatar"):
            raise ConfigurationError(
                f"{endpoint.qualname} is {'LiveAvatar' if endpoint.api == 'liveavatar' else 'HeyGen'}'s, and this "
                f"handle calls {'LiveAvatar' if self._transport.options.api == 'liveavatar' else 'HeyGen'}; "
                "nothing was sent"
            )

    async def _call_kwargs(self, endpoint: Endpoint, result: type[M], kwargs: Mapping[str, Any]) -> M:
        """:meth:`_call` with a generated method's keyword arguments as one mapping (a helper's input, such as
        a batch's request): the endpoint's parameters, plus the per-call options. A name that is neither is a
        :class:`ValidationError`, before anything is sent."""
        unknown = sorted(set(kwargs) - {p.name for p in endpoint.params} - set(CALL_OPTIONS))
        if unknown:
            raise ValidationError(
                f"no argument {unknown[0]!r}: it takes "
                f"{', '.join(p.name for p in endpoint.params)} and {', '.join(CALL_OPTIONS)}",
                parameter=unknown[0],
                endpoint=endpoint.qualname,
            )
        options = {name: kwargs[name] for name in CALL_OPTIONS if name in kwargs}
        arguments = {name: value for name, value in kwargs.items() if name not in CALL_OPTIONS}
        return await self._call(endpoint, result, arguments, **options)

    async def _record(self, state: StateBackend, endpoint: Endpoint, ids: list[str]) -> None:
        from heygen_async._jobs._ledger import record_submission

        assert endpoint.creates is not None
        assert endpoint.creates.job is not None
        await record_submission(self._transport, state, endpoint.creates.job, ids)

    async def _iterate(
        self,
        endpoint: Endpoint,
        page: type[ListModel[T]],
        arguments: Mapping[str, Any],
        *,
        extra_query: Mapping[str, Any] | None = None,
        timeout: OrDefault[Timeout | float | None] = USE_CLIENT_DEFAULT,
        max_retries: OrDefault[int] = USE_CLIENT_DEFAULT,
    ) -> AsyncIterator[T]:
        """Every item across pages, following ``token`` until HeyGen returns an empty one (a v3 list: its
        ``next_token``, until ``has_more`` is false).

        A token seen before ends the walk too, so a server that repeats itself cannot loop it forever.
        """
        arguments = dict(arguments)
        seen: set[str] = set()
        if endpoint.pagination == "page":  # LiveAvatar: page numbers, while the page says there is a ``next``
            number = 1
            while True:
                arguments["page"] = number
                current = await self._call(
                    endpoint, page, arguments, extra_query=extra_query, timeout=timeout, max_retries=max_retries
                )
                for item in current:
                    yield item
                if not getattr(current, "next", None) or not len(current) or number >= _MAX_PAGES:
                    return  # the last page (or a server that never says so: bounded)
                number += 1
        while True:
            current = await self._call(
                endpoint, page, arguments, extra_query=extra_query, timeout=timeout, max_retries=max_retries
            )
            for item in current:
                yield item
            if endpoint.api == "v3":  # a v3 page says whether there is more, and hands back ``next_token``
                token = (
                    getattr(current, "next_token", None) if getattr(current, "has_more", True) is not False else None
                )
            else:
                token = getattr(current, "token", None)
            if not token or token in seen:
                return
            seen.add(token)
            arguments["token"] = token

    async def _upload(
        self,
        endpoint: Endpoint,
        result: type[M],
        source: Source,
        content_type: str | None,
        *,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: OrDefault[Timeout | float | None] = USE_CLIENT_DEFAULT,
        max_retries: OrDefault[int] = USE_CLIENT_DEFAULT,
        idempotency_key: str | None = None,
    ) -> M:
        """Upload a file: raw bytes to HeyGen's legacy upload host, multipart field ``file`` through the gateway
        and to v3 (``POST /v3/assets``, which also takes an ``Idempotency-Key``)."""
        if extra_body:
            raise ValidationError(
                "extra_body cannot be sent with an upload (the body is the file)",
                parameter="extra_body",
                endpoint=endpoint.qualname,
            )
        key = idempotency_key_for(endpoint, idempotency_key)
        self._ready(endpoint)
        query = check_extra_query(endpoint, extra_query, set()) if extra_query is not None else []
        multipart = self._transport.options.mode == "gateway" or endpoint.api == "v3"
        rules = V3_RULES if endpoint.api == "v3" else LEGACY_RULES  # v3 takes other types, and 32 MB at most
        body = await prepare_upload(source, content_type, multipart=multipart, rules=rules)
        headers = dict(body.headers or {})
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            data = await self._transport.call(
                endpoint.route,
                query=query,
                data=body.data,
                headers=headers or None,
                idempotent=None if key is None else True,
                replayable=body.replayable,
                timeout=timeout,
                max_retries=max_retries,
            )
        except APIError as exc:
            if isinstance(exc, APIConnectionError) and body.refusals:  # the stream refused to go on (too large)
                raise body.refusals[0] from None
            exc.idempotency_key = key
            raise
        return structure(endpoint, result, data, self._transport.redactor)
