"""The one cattrs converter: results in (JSON -> models), inputs out (attrs classes -> JSON).

Structuring a :class:`~heygen_async._models.Model` drops ``null`` values (so a field falls back to its
default instead of failing), accepts the item keys HeyGen has used for a list, and stores the original JSON
in ``raw``. Unstructuring an :class:`~heygen_async._inputs.Input` omits unset (``None``) fields, keeps set
defaults, and writes the scene parts' ``type`` discriminator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._inputs import Input
from ._models import ListModel, Model

__all__ = ["converter", "structure_result"]

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
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(value).__name__}")
        obj = build({key: item for key, item in value.items() if item is not None}, cls)
        object.__setattr__(obj, "raw", original)
        return obj

    return structure


def _structure_code(value: Any, _: Any) -> int | str | None:
    if value is None or (isinstance(value, (int, str)) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected a code (int or string), got {type(value).__name__}")


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
converter.register_structure_hook(int | str | None, _structure_code)
converter.register_unstructure_hook_factory(_is_input, _unstructure_input_factory)


def structure_result(data: Any, cls: type[T]) -> T:
    """``data`` (HeyGen's decoded ``data``) as ``cls``; ``null`` becomes an empty model whose ``raw`` is None."""
    if data is None:
        empty = converter.structure({}, cls)
        object.__setattr__(empty, "raw", None)
        return empty
    return converter.structure(data, cls)
