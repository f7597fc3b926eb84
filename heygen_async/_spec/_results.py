"""What an endpoint's answer becomes: its model, or a typed error that never loses what a create created.

:func:`structure` turns HeyGen's decoded data into the endpoint's result model through the one cattrs converter.
A create's answer (an endpoint whose row says what it ``creates``) that does not fit its model still yields
the id of what HeyGen created (a billed job or live session): as the model with the fields that fit, or as
:class:`~heygen_async.CreatedResponseError` carrying the id. Errors show the data only through the handle's
redactor, since a server may have echoed a credential into it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.errors import BaseValidationError

from heygen_async._converter import structure_leniently, structure_result
from heygen_async._exceptions import APIResponseError, CreatedResponseError
from heygen_async._models import Model
from heygen_async._redact import Redactor

from ._types import Creates, Endpoint

__all__ = ["created_elsewhere", "created_ids", "scrubbed", "structure"]

logger = logging.getLogger("heygen_async")
_SEARCH_DEPTH: Final = 3

M = TypeVar("M", bound=Model)


def structure(
    endpoint: Endpoint,
    result: type[M],
    data: Any,
    redactor: Redactor | None = None,
    arguments: Mapping[str, Any] | None = None,
) -> M:
    """``data`` as ``result``, or :class:`APIResponseError`. The error shows the data only through
    ``redactor`` (without one, only its shape), since a server may have echoed a credential into it. A
    create's answer (an endpoint that ``creates``, given a redactor) never loses the id of what it created:
    see :func:`_keep_created`."""
    creates = endpoint.creates if redactor is not None else None
    try:
        model = structure_result(data, result)
    except Exception as exc:  # cattrs raises several types; all mean "not the documented shape"
        problems = "; ".join(cattrs.transform_error(exc, path="data")) if isinstance(exc, BaseValidationError) else ""
        detail = problems or f"{type(exc).__name__}: {exc}"
    else:
        if creates is None or creates.id is None or _id(_field(model, creates.id)) is not None:
            return model
        # It "fits" without its id (every field is optional): the id may be elsewhere in it.
        assert redactor is not None
        created = _search_id(data, creates.id.rpartition(".")[2], _SEARCH_DEPTH) or _top_level_id(data)
        if created is None:
            return model  # no id anywhere: the caller sees none (a batch reports it as ambiguous)
        problem = (
            f"{endpoint.key} answered with data that has none of {result.__name__}'s fields"
            if _another_shape(data, result)
            else f"{endpoint.key} answered without {creates.id}"
        )
        raise created_elsewhere(endpoint, data, created, redactor, problem)
    if endpoint.api == "v3" and creates is None and isinstance(data, Mapping) and not _another_shape(data, result):
        # v3's models are generated from a document that may lag HeyGen: a field whose type changed is left
        # unset (``raw`` keeps it) rather than failing the whole answer.
        model, dropped = structure_leniently(data, result)
        logger.warning(
            "%s: the answer's %s did not fit %s: left unset (the answer is in raw)",
            endpoint.key,
            ", ".join(dropped) or "shape",
            result.__name__,
        )
        return model
    error = APIResponseError(
        f"{endpoint.key} answered with data that does not fit {result.__name__}: "
        f"{(redactor.text(detail) if redactor is not None else detail)[:300]}",
        endpoint=endpoint.key,
        status_code=200,
        body=scrubbed(data, redactor)[1] if redactor is not None else _shape(data),
    )
    if creates is None or redactor is None:
        raise error
    return _keep_created(endpoint, result, data, creates, arguments or {}, error, redactor)


def created_ids(creates: Creates, result: Any, arguments: Mapping[str, Any]) -> list[str]:
    """The ids of what a successful create made: from its answer's model (its ``id`` field, then any listed in
    its ``more`` field), or the call's argument naming it."""
    if creates.argument is not None:
        found = _id(arguments.get(creates.argument))
    else:
        found = None if creates.id is None else _id(_field(result, creates.id))
    ids = [found] if found is not None else []
    if creates.more is not None:
        for value in getattr(result, creates.more, None) or ():
            more = _id(value)
            if more is not None and more not in ids:
                ids.append(more)
    return ids


def _keep_created(
    endpoint: Endpoint,
    result: type[M],
    data: Any,
    creates: Creates,
    arguments: Mapping[str, Any],
    error: APIResponseError,
    redactor: Redactor,
) -> M:
    """A create's answer that does not fit ``result`` (``error``): HeyGen did the work, so its id must not be
    lost.

    The documented object with some malformed fields (its id where it belongs, among the ids it lists, or known
    from the call's arguments) becomes ``result`` with the fields that fit, the others left at their defaults,
    ``raw`` as received, and a warning, provided the id is still in it. An answer of another shape (or whose id
    did not fit, such as a lone id where a list was documented) in which an id is still found raises
    :class:`CreatedResponseError` carrying it; only an answer without any id raises ``error``.
    """
    if creates.argument is not None:
        created = _id(arguments.get(creates.argument))
    elif creates.id is not None:
        created = _id(_key(data, creates.id))
    else:  # only a list of ids (one job per output language); a lone id in its place is one too
        listed = data.get(creates.more) if isinstance(data, Mapping) and creates.more is not None else None
        created = next(
            (found for item in (listed if isinstance(listed, list) else [listed]) if (found := _id(item))), None
        )
    if created is not None and isinstance(data, Mapping) and not _another_shape(data, result):
        model, dropped = structure_leniently(data, result)
        if created in created_ids(creates, model, arguments):  # the caller (and the ledger) finds it there
            logger.warning(
                "%s created %s, but its answer's %s did not fit %s: left unset (the answer is in raw)",
                endpoint.key,
                redactor.text(created),
                ", ".join(dropped) or "shape",
                result.__name__,
            )
            return model
    searched = _search_id(data, creates.id.rpartition(".")[2], _SEARCH_DEPTH) if creates.id is not None else None
    created = created or searched or _top_level_id(data)
    if created is None:
        raise error
    raise created_elsewhere(endpoint, data, created, redactor, str(error))


def created_elsewhere(
    endpoint: Endpoint, data: Any, created: str, redactor: Redactor, problem: str
) -> CreatedResponseError:
    """The error (also logged as a warning) for a create whose answer, as ``problem`` says, is not the object
    it documents, but holds the id ``created``: what the caller needs to follow, or stop, what was created."""
    message = f"{problem}; it created {redactor.text(created)} (see created_id)"
    logger.warning("%s", message)
    raw, body = scrubbed(data, redactor)
    return CreatedResponseError(message, endpoint=endpoint.key, body=body, created_id=created, raw=raw)


def scrubbed(data: Any, redactor: Redactor) -> tuple[Any, str]:
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


def _field(model: Any, dotted: str) -> Any:
    """``model.a.b`` for ``"a.b"`` (None where a step is missing)."""
    for name in dotted.split("."):
        model = getattr(model, name, None)
    return model


def _key(data: Any, dotted: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"`` (None where a step is missing or not an object)."""
    for name in dotted.split("."):
        data = data.get(name) if isinstance(data, Mapping) else None
    return data


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
