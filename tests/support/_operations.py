"""Checking one operation's round trip against the emulator's request log: the path with the call's ids in place,
query values as they read in a URL, and a result model's fields against the JSON it was made from. Shared by the
per-operation tests of HeyGen v3 and LiveAvatar."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from heygen_async._spec._types import Endpoint


def expected_path(endpoint: Endpoint, positional: tuple[Any, ...], prefix: str = "") -> str:
    """The path with the call's ids in place (path parameters are the methods' positional arguments), after
    ``prefix`` (where the emulator serves the API: ``/liveavatar``)."""
    path = endpoint.path
    names = [p for p in endpoint.params if p.location == "path"]
    for param, value in zip(names, positional[: len(names)], strict=True):
        path = path.replace("{" + param.name + "}", str(value))
    return prefix + path


def shown(value: Any) -> Any:
    """A query value as it reads in the URL."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def fields_match(model: Any, raw: Any) -> None:
    """Every scalar field the server answered is the model's value (an enum's value, in any case), and nested
    objects recurse."""
    if not isinstance(raw, Mapping):
        return
    for field in attrs.fields(type(model)):
        if field.name == "raw" or field.name not in raw:
            continue
        value, answered = getattr(model, field.name), raw[field.name]
        if isinstance(answered, (str, int, float, bool)):
            if isinstance(value, enum.Enum):  # statuses match in any case
                assert str(value.value).lower() == str(answered).lower(), (type(model).__name__, field.name)
            else:
                assert value == answered, (type(model).__name__, field.name)
        elif isinstance(answered, Mapping) and attrs.has(type(value)):
            fields_match(value, answered)
