"""The two paths a result model is structured by, side by side: the compiled one every plain JSON object takes,
and cattrs' detailed one it falls back to (and which raises the errors users see). A test compares them."""

from __future__ import annotations

from typing import Any

import attrs
import cattrs
from cattrs.errors import BaseValidationError

from heygen_async._converter import structure_result

# Named ``dict`` so that error texts naming the value's type read as they do for a decoded answer.
_SlowDict: Any = type("dict", (dict,), {})


def slowly(data: Any) -> Any:
    """``data`` with every JSON object a dict subclass: only an exact dict takes the compiled path, so every
    model in it is structured by the slow, detailed one."""
    if isinstance(data, dict):
        return _SlowDict({key: slowly(value) for key, value in data.items()})
    if isinstance(data, list):
        return [slowly(item) for item in data]
    return data


def snapshot(value: Any) -> Any:
    """``value`` with every type spelled out (``1.0`` and ``1`` compare equal; their snapshots do not), models
    field by field, ``raw`` included."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (type(value), tuple((field.name, snapshot(getattr(value, field.name))) for field in fields))
    if isinstance(value, dict):  # the slow path's raw is a _SlowDict
        return ("object", tuple((key, snapshot(item)) for key, item in value.items()))
    if isinstance(value, list):
        return (type(value), tuple(snapshot(item) for item in value))
    return (type(value), repr(value), getattr(value, "name", None))


def outcome(data: Any, cls: type[Any]) -> tuple[Any, ...]:
    """What structuring ``data`` as ``cls`` gives: the result's snapshot, or the error's type, text and what
    ``cattrs.transform_error`` (the text in an APIResponseError) says of it."""
    try:
        result = structure_result(data, cls)
    except Exception as exc:
        problems = cattrs.transform_error(exc, path="data") if isinstance(exc, BaseValidationError) else None
        return ("error", type(exc).__name__, str(exc), problems)
    return ("ok", snapshot(result))
