"""What every generated endpoint method does: validate, send through the handle's transport, structure.

Resources hold the transport, not the client, so a client and its namespaces form no reference cycle and
an unclosed client is reported as soon as the last reference to it goes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.errors import BaseValidationError

from heygen_async._config import USE_CLIENT_DEFAULT, OrDefault, RetryPolicy, Timeout
from heygen_async._converter import structure_leniently, structure_result
from heygen_async._exceptions import (
    APIConnectionError,
    APIResponseError,
    ClientClosedError,
    CreatedResponseError,
    StateBackendError,
    ValidationError,
)
from heygen_async._models import ListModel, Model
from heygen_async._redact import Redactor
from heygen_async._spec._types import Endpoint
from heygen_async._spec._validation import build_request, check_extra_query
from heygen_async._transport._call import Transport
from heygen_async._transport._upload import Source, prepare_upload

__all__ = ["CREATES", "SUBMITTING", "Resource"]

logger = logging.getLogger("heygen_async")

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

CREATES: Final[Mapping[str, str]] = {
    **{endpoint: where for endpoint, (_, where) in SUBMITTING.items()},
    "streaming.new": "session_id",
}
"""The endpoints whose success means HeyGen created something billed (a job, a live session), and where its id
is. An answer of theirs that does not fit its model still gives the caller that id (see ``_keep_created``)."""
_SEARCH_DEPTH: Final = 3

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
        try:
            structured = self._structure(endpoint, result, data, self._transport.redactor, arguments)
        except APIResponseError as exc:
            # Raised without the frames (and this one's data) that held the answer as received: a traceback
            # that captures locals must not show what a server echoed into it.
            error = exc.with_traceback(None)
            del data, exc
            if isinstance(error, CreatedResponseError) and state is not None and endpoint.qualname in SUBMITTING:
                from heygen_async._jobs._handle import record_submission  # the job exists: the ledger gets it

                where = SUBMITTING[endpoint.qualname][1]
                found = structure_result({} if where.startswith("arg:") else {where: error.created_id}, result)
                await record_submission(self._transport, endpoint.qualname, arguments, found)
            raise error from None
        if state is not None and endpoint.qualname in SUBMITTING:
            from heygen_async._jobs._handle import (
                record_submission,  # only with a shared state: most clients never load it
            )

            await record_submission(self._transport, endpoint.qualname, arguments, structured)
        return structured

    @staticmethod
    def _structure(
        endpoint: Endpoint,
        result: type[M],
        data: Any,
        redactor: Redactor | None = None,
        arguments: Mapping[str, Any] | None = None,
    ) -> M:
        """``data`` as ``result``, or :class:`APIResponseError`. The error shows the data only through
        ``redactor`` (without one, only its shape), since a server may have echoed a credential into it. A
        create's answer (:data:`CREATES`, given a redactor) never loses the id of what it created: see
        :func:`_keep_created`."""
        where = CREATES.get(endpoint.qualname) if redactor is not None else None
        try:
            model = structure_result(data, result)
        except Exception as exc:  # cattrs raises several types; all mean "not the documented shape"
            problems = (
                "; ".join(cattrs.transform_error(exc, path="data")) if isinstance(exc, BaseValidationError) else ""
            )
            detail = problems or f"{type(exc).__name__}: {exc}"
        else:
            if where is None or where.startswith("arg:") or _id(getattr(model, where, None)) is not None:
                return model
            # It "fits" without its id (every field is optional): the id may be elsewhere in it.
            assert redactor is not None
            created = _search_id(data, where, _SEARCH_DEPTH) or _top_level_id(data)
            if created is None:
                return model  # no id anywhere: the caller sees none (a batch reports it as ambiguous)
            problem = (
                f"{endpoint.key} answered with data that has none of {result.__name__}'s fields"
                if _another_shape(data, result)
                else f"{endpoint.key} answered without {where}"
            )
            raise _created_elsewhere(endpoint, data, created, redactor, problem)
        error = APIResponseError(
            f"{endpoint.key} answered with data that does not fit {result.__name__}: "
            f"{(redactor.text(detail) if redactor is not None else detail)[:300]}",
            endpoint=endpoint.key,
            status_code=200,
            body=_scrubbed(data, redactor)[1] if redactor is not None else _shape(data),
        )
        if where is None or redactor is None:
            raise error
        return _keep_created(endpoint, result, data, where, arguments or {}, error, redactor)

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
        return self._structure(endpoint, result, data, self._transport.redactor)


def _keep_created(
    endpoint: Endpoint,
    result: type[M],
    data: Any,
    where: str,
    arguments: Mapping[str, Any],
    error: APIResponseError,
    redactor: Redactor,
) -> M:
    """A create's answer that does not fit ``result`` (``error``): HeyGen did the work, so its id must not be
    lost.

    The documented object with some malformed fields (its id where it belongs, or known from the call's
    arguments) becomes ``result`` with the fields that fit, the others left at their defaults, ``raw`` as
    received, and a warning. An answer of another shape in which an id is still found raises
    :class:`CreatedResponseError` carrying it; only an answer without any id raises ``error``.
    """
    if where.startswith("arg:"):
        created = _id(arguments.get(where[4:]))
    else:
        created = _id(data.get(where)) if isinstance(data, Mapping) else None
    if created is not None and isinstance(data, Mapping) and not _another_shape(data, result):
        model, dropped = structure_leniently(data, result)
        logger.warning(
            "%s created %s, but its answer's %s did not fit %s: left unset (the answer is in raw)",
            endpoint.key,
            redactor.text(created),
            ", ".join(dropped) or "shape",
            result.__name__,
        )
        return model
    created = created or _search_id(data, where, _SEARCH_DEPTH) or _top_level_id(data)
    if created is None:
        raise error
    raise _created_elsewhere(endpoint, data, created, redactor, str(error))


def _created_elsewhere(
    endpoint: Endpoint, data: Any, created: str, redactor: Redactor, problem: str
) -> CreatedResponseError:
    """The error (also logged as a warning) for a create whose answer, as ``problem`` says, is not the object
    it documents, but holds the id ``created``: what the caller needs to follow, or stop, what was created."""
    message = f"{problem}; it created {redactor.text(created)} (see created_id)"
    logger.warning("%s", message)
    raw, body = _scrubbed(data, redactor)
    return CreatedResponseError(message, endpoint=endpoint.key, body=body, created_id=created, raw=raw)


def _scrubbed(data: Any, redactor: Redactor) -> tuple[Any, str]:
    """``data`` for an error: a copy with every string scrubbed and credential fields (a live session's access
    token) masked, and a short excerpt of it; None and its shape if it is nested too deep to walk."""
    try:
        clean = redactor.json(data)
    except RecursionError:
        return None, _shape(data)
    return clean, redactor.cut(repr(clean), 200)


def _another_shape(data: Any, result: type[Model]) -> bool:
    """Whether ``data`` is not the object ``result`` documents: not a JSON object, or one without any of its
    fields (``{"result": {"video_id": ...}}`` for a ``VideoJob``)."""
    if not isinstance(data, Mapping):
        return True
    return not any(field.name in data for field in attrs.fields(result) if field.name != "raw")


def _id(value: Any) -> str | None:
    """``value`` as an id: non-empty text, or a whole number (ids sometimes come as numbers)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _search_id(data: Any, name: str, depth: int) -> str | None:
    """The first id under the key ``name`` in nested objects and lists, at most ``depth`` levels down; also an
    id of the wrong type there, an object with an ``id`` or a list of one id (``{"video_id": {"id": ...}}``)."""
    if depth < 0:
        return None
    if isinstance(data, Mapping):
        value = data.get(name)
        found = _id(value)
        if isinstance(value, Mapping):
            found = _id(value.get("id"))
        elif isinstance(value, list) and len(value) == 1:
            found = _id(value[0])
        if found is not None:
            return found
        children: Any = data.values()
    elif isinstance(data, list):
        children = data
    else:
        return None
    for child in children:
        if isinstance(child, (Mapping, list)):
            found = _search_id(child, name, depth - 1)
            if found is not None:
                return found
    return None


def _top_level_id(data: Any) -> str | None:
    """An answer's own ``id``: what a create's answer most likely names the created thing by, when it does not
    use the documented field (only at the top: an ``id`` deeper in may be the avatar's or the voice's)."""
    return _id(data.get("id")) if isinstance(data, Mapping) else None


def _shape(data: Any) -> str:
    """What ``data`` is, without any of its text: for an error no redactor can scrub."""
    if isinstance(data, (Mapping, list)):
        return f"<a JSON {'object' if isinstance(data, Mapping) else 'array'} of {len(data)} items>"
    return f"<{type(data).__name__}>"
