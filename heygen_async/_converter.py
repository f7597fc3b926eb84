"""The one cattrs converter: results in (JSON -> models), inputs out (attrs classes -> JSON).

Structuring a :class:`~heygen_async._models.Model` drops ``null`` values, and ``null`` items inside lists
(so a field falls back to its default instead of failing), accepts the item keys HeyGen has used for a list,
and stores the original JSON in ``raw``. Scalars convert only where nothing is lost (``"12.5"`` to a float,
``"true"`` to a bool, an ISO timestamp to epoch seconds); an object where text was expected is an error,
never its repr. Unstructuring an :class:`~heygen_async._inputs.Input` omits unset (``None``) fields, keeps set
defaults, and writes the scene parts' ``type`` discriminator.
"""

from __future__ import annotations

import datetime
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._inputs import Input
from ._models import ListModel, Model, TolerantEnum

__all__ = ["converter", "structure_leniently", "structure_result"]

T = TypeVar("T")

converter: Final = cattrs.Converter(forbid_extra_keys=False)


def _is_model(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Model)


def _structure_model_factory(cls: type[Model]) -> Callable[[Any, Any], Model]:
    build = make_dict_structure_fn(cls, converter, raw=override(omit=True))
    items_key: str | None = getattr(cls, "_items", None) if issubclass(cls, ListModel) else None
    alternatives: tuple[str, ...] = getattr(cls, "_item_keys", ())

    def structure(value: Any, _: Any) -> Model:
        original = value
        if items_key is not None:
            if isinstance(value, list):
                value = {items_key: value}
            elif isinstance(value, Mapping) and value.get(items_key) is None:
                for key in alternatives:
                    if isinstance(value.get(key), list):
                        value = {**value, items_key: value[key]}
                        break
        if type(value) is not dict and not isinstance(value, Mapping):  # JSON objects are dicts: skip the ABC
            raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(value).__name__}")
        cleaned = value
        for item in value.values():  # copy only when there is a null to drop (most answers have some)
            if item is None or (type(item) is list and None in item):
                cleaned = {
                    key: [entry for entry in item if entry is not None] if isinstance(item, list) else item
                    for key, item in value.items()
                    if item is not None
                }
                break
        obj = build(cleaned, cls)
        object.__setattr__(obj, "raw", original)
        return obj

    return structure


def _kind(value: Any) -> str:
    """What ``value`` is, for an error message: never the value itself, which a server may have filled with
    anything (an echoed credential included)."""
    if isinstance(value, str):
        return f"text of {len(value)} characters"
    return "null" if value is None else type(value).__name__


def _structure_str(value: Any, _: Any) -> str:
    # Ids sometimes come as numbers; anything else (an object, a list) is not text and must not become its repr.
    if type(value) is str or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise TypeError(f"expected true or false, got {_kind(value)}")


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected a whole number, got {_kind(value)}")


def _structure_float(value: Any, _: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:  # timestamps sometimes come as ISO 8601 text rather than epoch seconds
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise TypeError(f"expected a number, got {_kind(value)}")


def _structure_status(value: Any, cls: type[TolerantEnum]) -> TolerantEnum:
    if not isinstance(value, str):
        raise TypeError(f"expected a status name, got {_kind(value)}")
    return cls(value)


def _structure_code(value: Any, _: Any) -> int | str | None:
    if value is None or (isinstance(value, (int, str)) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected a code (int or string), got {type(value).__name__}")


def _is_optional(cls: Any) -> bool:
    """``X | None`` (or ``Optional[X]``) for exactly one ``X``."""
    if typing.get_origin(cls) not in (typing.Union, types.UnionType):
        return False
    args = typing.get_args(cls)
    return len(args) == 2 and type(None) in args


def _structure_optional_factory(cls: Any) -> Callable[[Any, Any], Any]:
    """``X | None`` with ``X``'s hook looked up once, not dispatched on every value (the hot path of every
    result: most fields are optional)."""
    (inner_type,) = (arg for arg in typing.get_args(cls) if arg is not type(None))
    if inner_type is str:
        return _structure_optional_str
    inner = converter.get_structure_hook(inner_type)

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, inner_type)

    return structure


def _structure_optional_str(value: Any, _: Any) -> str | None:
    # The commonest field of all (ids, names, URLs): one call, the plain case first.
    if type(value) is str or value is None:
        return value
    return _structure_str(value, str)


def _is_input(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Input)


def _unstructure_input_factory(cls: type[Input]) -> Callable[[Any], Any]:
    to_json = getattr(cls, "to_json", None)
    if to_json is not None:
        return lambda obj: obj.to_json()
    build = make_dict_unstructure_fn(cls, converter)
    kind = cls.kind

    def unstructure(obj: Any) -> dict[str, Any]:
        # Only unset (None) fields are left out: a non-None default such as Sdp.type="answer" is meant.
        data = {key: value for key, value in build(obj).items() if value is not None}
        return {"type": kind, **data} if kind else data

    return unstructure


converter.register_structure_hook_factory(_is_model, _structure_model_factory)
converter.register_structure_hook_factory(_is_optional, _structure_optional_factory)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)
# The status enums are str subclasses: this more specific hook keeps them from being caught by the str hook.
converter.register_structure_hook(TolerantEnum, _structure_status)
converter.register_structure_hook(int | str | None, _structure_code)
converter.register_unstructure_hook_factory(_is_input, _unstructure_input_factory)


def structure_leniently(data: Mapping[str, Any], cls: type[T]) -> tuple[T, list[str]]:
    """``cls`` from the fields of ``data`` that fit it, and the names of those that did not (left at their
    defaults); ``raw`` is ``data``. For an answer whose one important field (a new job's id) must not be lost
    because another one is malformed."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name, value in data.items():
        try:
            converter.structure({name: value}, cls)
        except Exception:  # cattrs raises several types; all mean "this field is not the documented shape"
            dropped.append(str(name))
        else:
            kept[name] = value
    model = converter.structure(kept, cls)
    object.__setattr__(model, "raw", data)
    return model, dropped


def structure_result(data: Any, cls: type[T]) -> T:
    """``data`` (HeyGen's decoded ``data``) as ``cls``; ``null`` becomes an empty model whose ``raw`` is None."""
    if data is None:
        empty = converter.structure({}, cls)
        object.__setattr__(empty, "raw", None)
        return empty
    return converter.structure(data, cls)
