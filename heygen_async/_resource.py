"""What every generated endpoint method does: validate, send through the handle's transport, structure.

Resources hold the transport, not the client, so a client and its namespaces form no reference cycle and
an unclosed client is reported as soon as the last reference to it goes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Final, TypeVar

import cattrs
from cattrs.errors import BaseValidationError

from ._config import USE_CLIENT_DEFAULT, OrDefault, RetryPolicy, Timeout
from ._converter import structure_result
from ._exceptions import (
    APIConnectionError,
    APIResponseError,
    ClientClosedError,
    StateBackendError,
    ValidationError,
)
from ._http import Transport
from ._models import ListModel, Model
from ._spec import Endpoint
from ._upload import Source, prepare_upload
from ._validation import build_request, check_extra_query

__all__ = ["SUBMITTING", "Resource"]

SUBMITTING: Final[Mapping[str, tuple[str, str]]] = {
    "videos.generate": ("video", "video_id"),
    "videos.generate_webm": ("video", "video_id"),
    "templates.generate": ("video", "video_id"),
    "translations.create": ("translation", "video_translate_id"),
    "photo_avatars.generate_photos": ("photo_generation", "generation_id"),
    "photo_avatars.generate_looks": ("photo_generation", "generation_id"),
    "photo_avatars.train": ("training", "arg:group_id"),
    "photo_avatars.add_motion": ("photo_avatar", "id"),
    "photo_avatars.upscale": ("photo_avatar", "id"),
}
"""The endpoints that start a job: its kind, and where the new job's id is (an attribute of the result, or
``arg:<name>``, a call argument). With a shared state, each such job goes into the job ledger."""

M = TypeVar("M", bound=Model)
T = TypeVar("T")


class Resource:
    """Base of the generated namespaces (``client.videos``, ``client.avatars``, ...)."""

    __slots__ = ("_transport",)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

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
    ) -> M:
        parts = build_request(endpoint, arguments, extra_query=extra_query, extra_body=extra_body)
        if self._transport.closed:
            raise ClientClosedError("this client handle is closed")
        state = self._transport.pool.state
        if state is not None and not state.ready and endpoint.qualname in SUBMITTING:
            raise StateBackendError(
                f"{endpoint.qualname} would start a job the ledger cannot record: enter the client's state "
                "('async with RedisState(...) as state') before submitting; nothing was sent"
            )
        data = await self._transport.call(
            endpoint.route,
            path_values=parts.path_values,
            query=parts.query,
            json=parts.body,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
        )
        structured = self._structure(endpoint, result, data)
        if state is not None and endpoint.qualname in SUBMITTING:
            from ._jobs import record_submission  # only with a shared state: most clients never load it

            await record_submission(self._transport, endpoint.qualname, arguments, structured)
        return structured

    @staticmethod
    def _structure(endpoint: Endpoint, result: type[M], data: Any) -> M:
        try:
            return structure_result(data, result)
        except Exception as exc:  # cattrs raises several types; all mean "not the documented shape"
            problems = (
                "; ".join(cattrs.transform_error(exc, path="data")) if isinstance(exc, BaseValidationError) else ""
            )
            raise APIResponseError(
                f"{endpoint.key} answered with data that does not fit {result.__name__}: "
                f"{(problems or f'{type(exc).__name__}: {exc}')[:300]}",
                endpoint=endpoint.key,
                status_code=200,
                body=repr(data)[:200],
            ) from None

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
        """Every item across pages, following ``token`` until HeyGen returns an empty one.

        A token seen before ends the walk too, so a server that repeats itself cannot loop it forever.
        """
        arguments = dict(arguments)
        seen: set[str] = set()
        while True:
            current = await self._call(
                endpoint, page, arguments, extra_query=extra_query, timeout=timeout, max_retries=max_retries
            )
            for item in current:
                yield item
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
    ) -> M:
        """Upload a file: raw bytes to HeyGen directly, multipart field ``file`` through the gateway."""
        if extra_body:
            raise ValidationError(
                "extra_body cannot be sent with an upload (the body is the file)",
                parameter="extra_body",
                endpoint=endpoint.qualname,
            )
        if self._transport.closed:
            raise ClientClosedError("this client handle is closed")
        query = check_extra_query(endpoint, extra_query, set()) if extra_query is not None else []
        body = await prepare_upload(source, content_type, multipart=self._transport.options.mode == "gateway")
        try:
            data = await self._transport.call(
                endpoint.route,
                query=query,
                data=body.data,
                headers=body.headers,
                replayable=body.replayable,
                timeout=timeout,
                max_retries=max_retries,
            )
        except APIConnectionError:
            if body.refusals:  # the stream itself refused to go on (too large, not bytes)
                raise body.refusals[0] from None
            raise
        return self._structure(endpoint, result, data)
