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
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, override

from ._inputs import Input
from ._models import ListModel, Model, TolerantEnum

__all__ = ["converter", "input_json", "json_ready", "structure_leniently", "structure_result"]

T = TypeVar("T")

converter: Final = cattrs.Converter(forbid_extra_keys=False)


def _is_model(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Model)


def _structure_model_factory(cls: type[Model]) -> Callable[[Any, Any], Model]:
    build = make_dict_structure_fn(cls, converter, raw=override(omit=True))
    items_key: str | None = getattr(cls, "_items", None) if issubclass(cls, ListModel) else None
    alternatives: tuple[str, ...] = getattr(cls, "_item_keys", ())
    # Nulls are dropped (and lists cleaned of them) by copying the answer, but only an answer that needs it
    # is copied: one with a null for a field whose default is not None (it must fall back to that default),
    # or a list holding a null in a field whose hook would take a list. A null for an ``X | None = None`` field
    # structures to None, as its default would; a list in a scalar or model field fails either way; other keys
    # are ignored. So only the ``sensitive`` fields are looked at, in place of every key of every answer.
    fields = [field for field in attrs.fields(attrs.resolve_types(cls)) if field.name != "raw"]
    strict = frozenset(field.name for field in fields if not (_is_optional(field.type) and field.default is None))
    sensitive = tuple(field.name for field in fields if field.name in strict or not _takes_no_list(field.type))
    fast = _fast_structure_fn(cls, fields, sensitive)
    if fast is not None:
        _FAST[cls] = fast

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
        if type(value) is dict and fast is not None:
            try:
                return fast(value, original)
            except Exception:  # the slow path below raises cattrs' detailed error (or succeeds)
                pass
        if type(value) is not dict and not isinstance(value, Mapping):  # JSON objects are dicts: skip the ABC
            raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(value).__name__}")
        cleaned = value
        for key in sensitive:
            item = value.get(key, _ABSENT)
            if (item is None and key in strict) or (type(item) is list and None in item):
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


def _fast_structure_fn(
    cls: type[Model], fields: list[attrs.Attribute[Any]], sensitive: tuple[str, ...]
) -> Callable[[dict[str, Any], Any], Model] | None:
    """What the slow path (the answer's nulls dropped, then cattrs' function) returns, as one function compiled
    for ``cls``: a null or absent field takes its default, a list in a field whose hook would take one loses
    its nulls, and the commonest values (text, a number or a flag already of its type, a documented status, a
    nested model's object) are taken without a call through the converter's hooks.

    It only has to be right when it succeeds: on any exception the caller takes the slow path, which raises
    cattrs' detailed error (what ``transform_error`` reports) as it always did, or succeeds. The instance is
    made as attrs' ``__init__`` would make it, slot by slot (a frozen class's ``__init__`` costs more than the
    rest of the work), so only a plain class qualifies: an attrs class itself (its ``__init__`` is attrs'),
    with slots, without ``__attrs_pre_init__``/``__attrs_post_init__`` or its own ``__new__``, whose fields
    all have a default and none has an alias, a converter, a validator or a ``takes_self`` factory, or holds a
    ``ListModel`` (whose hook takes a list the slow path would not clean). Other classes get None: the slow
    path only.
    """
    slots = {field.name: inspect.getattr_static(cls, field.name, None) for field in attrs.fields(cls)}
    if (
        "__attrs_attrs__" not in cls.__dict__
        or cls.__new__ is not object.__new__
        or hasattr(cls, "__attrs_pre_init__")
        or hasattr(cls, "__attrs_post_init__")
        or not all(type(slot) is types.MemberDescriptorType for slot in slots.values())
        or any(field.validator is not None for field in attrs.fields(cls))
    ):
        return None
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_set_raw": slots["raw"].__set__}
    namespace["_unlisted"] = _unlisted
    lines = [f"def structure_{cls.__name__}(o, raw):", "    get = o.get", "    obj = _new(_cls)"]
    lines.append("    _set_raw(obj, raw)")
    for index, field in enumerate(fields):
        default: Any = field.default
        factory = isinstance(default, _FACTORY)
        if (
            default is attrs.NOTHING
            or (factory and default.takes_self)
            or not field.init
            or field.alias != field.name
            or field.converter is not None
            or _holds_list_model(field.type)
        ):
            return None
        namespace[f"set{index}"] = slots[field.name].__set__
        namespace[f"d{index}"] = default.factory if factory else default
        lines.append(f"    v = get({field.name!r})")
        conversion = _fast_conversion(field, field.name in sensitive, namespace, str(index))
        if default is None:  # a null structures to None, its default
            lines += ["    if v is not None:", *(f"        {line}" for line in conversion)]
        else:
            lines += ["    if v is None:", f"        v = d{index}()" if factory else f"        v = d{index}"]
            lines += ["    else:", *(f"        {line}" for line in conversion)]
        lines.append(f"    set{index}(obj, v)")
    lines.append("    return obj")
    exec(compile("\n".join(lines), f"<heygen_async structure {cls.__qualname__}>", "exec"), namespace)
    fast: Callable[[dict[str, Any], Any], Model] = namespace[f"structure_{cls.__name__}"]
    return fast


def _fast_conversion(field: attrs.Attribute[Any], sensitive: bool, namespace: dict[str, Any], suffix: str) -> list[str]:
    """Lines turning ``v`` (not None) into ``field``'s value."""
    kind = field.type
    if _is_optional(kind):
        (kind,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
    namespace[f"h{suffix}"] = converter.get_structure_hook(field.type)
    namespace[f"t{suffix}"] = field.type
    if typing.get_origin(kind) is list and len(typing.get_args(kind)) == 1:  # its nulls dropped
        (item_kind,) = typing.get_args(kind)
        item = _fast_value("x", item_kind, namespace, f"i{suffix}")
        return [
            "if type(v) is list:",
            f"    v = [{item} for x in v if x is not None]",
            "else:",
            f"    v = _unlisted(v, h{suffix}, t{suffix})",
        ]
    if sensitive:  # a list in it loses its nulls (in a field of type Any, say)
        return [
            "if type(v) is list:",
            "    v = [x for x in v if x is not None]",
            f"v = _unlisted(v, h{suffix}, t{suffix})",
        ]
    return [f"v = {_fast_value('v', kind, namespace, suffix)}"]


def _fast_value(value: str, kind: Any, namespace: dict[str, Any], suffix: str) -> str:
    """An expression for the not-None ``value`` as ``kind``: the value itself where its hook would return it
    unchanged, a dict look-up for a documented status, a nested model's compiled function for an object, else
    a call to the converter's hook."""
    namespace[f"k{suffix}"] = converter.get_structure_hook(kind)  # made first: it compiles a nested model's
    namespace[f"c{suffix}"] = kind
    hook = f"k{suffix}({value}, c{suffix})"
    if kind is float:  # timestamps come as whole numbers: the hook's float(), without the call
        return f"{value} if type({value}) is float else float({value}) if type({value}) is int else {hook}"
    if kind in (str, int, bool):
        return f"{value} if type({value}) is c{suffix} else {hook}"
    if isinstance(kind, type) and issubclass(kind, TolerantEnum):
        namespace[f"m{suffix}"] = kind._value2member_map_
        return f"(type({value}) is str and m{suffix}.get({value})) or {hook}"
    nested = _FAST.get(kind)
    if nested is not None and not issubclass(kind, ListModel):  # its raw is the object itself, no item aliases
        namespace[f"f{suffix}"] = nested
        return f"f{suffix}({value}, {value}) if type({value}) is dict else {hook}"
    return hook


def _unlisted(value: Any, hook: Callable[[Any, Any], Any], kind: Any) -> Any:
    # A list subclass would be cleaned by the slow path's ``isinstance``: leave it to that path.
    if isinstance(value, list) and type(value) is not list:
        raise TypeError("not a plain list")
    return hook(value, kind)


def _holds_list_model(cls: Any) -> bool:
    if _is_optional(cls):
        (cls,) = (arg for arg in typing.get_args(cls) if arg is not type(None))
    return isinstance(cls, type) and issubclass(cls, ListModel)


_FACTORY: Final[type[Any]] = type(attrs.Factory(list))
"""The class of ``attrs.Factory(...)`` (typed as a function, so not usable in ``isinstance`` as it is)."""

_FAST: Final[dict[type[Model], Callable[[dict[str, Any], Any], Model]]] = {}


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


_ABSENT: Final = object()


def _is_list(cls: Any) -> bool:
    return typing.get_origin(cls) is list


def _structure_list_factory(cls: Any) -> Callable[[Any, Any], list[Any]]:
    """``list[X]`` from a JSON array only: cattrs' own hook takes any iterable, so text became a list of its
    characters (``"t_abc"`` five ids) and an object the list of its keys. Item errors are reported as cattrs
    reports them (``transform_error`` names ``data.ids[2]``)."""
    (item_kind,) = typing.get_args(cls) or (Any,)
    item_hook = converter.get_structure_hook(item_kind)

    def structure(value: Any, _: Any) -> list[Any]:
        if type(value) is not list and not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {_kind(value)}")
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(item_hook(item, item_kind))
            except Exception as exc:
                note = IterableValidationNote(f"Structuring {cls} @ index {index}", index, item_kind)
                vars(exc)["__notes__"] = [*getattr(exc, "__notes__", []), note]  # add_note() is 3.11+
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {cls!r}", errors, cls)
        return items

    return structure


def _takes_no_list(cls: Any) -> bool:
    """Whether a field of type ``cls`` refuses a list whatever it holds: a scalar, a status or a model, or
    one of those or None."""
    if _is_optional(cls):
        (cls,) = (arg for arg in typing.get_args(cls) if arg is not type(None))
    return cls in (str, int, float, bool) or (isinstance(cls, type) and issubclass(cls, (TolerantEnum, Model)))


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
    if inner_type in (int, float, bool):
        # The value already of the type (what JSON gives) is what the hook would return: no call.
        def structure_scalar(value: Any, _: Any) -> Any:
            if value is None or type(value) is inner_type:
                return value
            return inner(value, inner_type)

        return structure_scalar
    if isinstance(inner_type, type) and issubclass(inner_type, TolerantEnum):
        members = inner_type._value2member_map_  # a documented status: a dict look-up, not Enum's call

        def structure_status(value: Any, _: Any) -> Any:
            if value is None:
                return None
            return (type(value) is str and members.get(value)) or inner(value, inner_type)

        return structure_status

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


_PLAIN: Final = frozenset({str, int, float, bool, type(None)})


_WRITERS: Final[dict[type[Any], Callable[[Any], dict[str, Any]]]] = {}


def _input_writer(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    """How ``cls`` turns into JSON, straight to JSON-ready values (no second walk over cattrs' output)."""
    writer = _WRITERS.get(cls)
    if writer is None:
        writer = _WRITERS[cls] = _make_input_writer(cls)
    return writer


def _make_input_writer(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    to_json = getattr(cls, "to_json", None)
    if to_json is not None:
        return lambda obj: json_ready(obj.to_json())
    # One straight-line function per class (as attrs and cattrs generate theirs): no loop, no getattr call
    # per field. Only unset (None) fields are left out: a non-None default such as Sdp.type="answer" is meant.
    # Field names are Python identifiers (attrs fields), so the source below is built from safe parts only; the
    # ``kind`` is a value in the namespace (its repr need not be a literal: a member of the user's own enum).
    lines = ["def write(obj):", "    data = {'type': kind}" if cls.kind else "    data = {}"]
    for field in attrs.fields(cls):
        lines += [
            f"    value = obj.{field.name}",
            "    if value is not None:",
            f"        data[{field.name!r}] = value if type(value) in plain else json_value(value)",
        ]
    lines.append("    return data")
    namespace: dict[str, Any] = {"plain": _PLAIN, "json_value": json_ready, "kind": cls.kind}
    exec(compile("\n".join(lines), f"<heygen_async input writer for {cls.__qualname__}>", "exec"), namespace)
    writer: Callable[[Any], dict[str, Any]] = namespace["write"]
    return writer


def json_ready(value: Any) -> Any:
    """``value`` as JSON-ready data: input classes as HeyGen's JSON, mappings and sequences walked, anything
    else as the converter unstructures it (exact types first: JSON-shaped data skips the ABC checks)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {key: json_ready(item) for key, item in value.items()}
    if kind is list:
        return [json_ready(item) for item in value]
    if isinstance(value, Input):  # before the (slow) ABC check below: nested inputs are the common case
        return input_json(value)
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    unstructured = converter.unstructure(value)
    return unstructured if type(unstructured) is kind else json_ready(unstructured)


def input_json(obj: Input) -> dict[str, Any]:
    """``obj`` as HeyGen's JSON (what ``converter.unstructure`` gives for it), every value JSON-ready."""
    cls: type[Any] = type(obj)
    return _input_writer(cls)(obj)


converter.register_structure_hook_factory(_is_model, _structure_model_factory)
converter.register_structure_hook_factory(_is_optional, _structure_optional_factory)
converter.register_structure_hook_factory(_is_list, _structure_list_factory)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)
# The status enums are str subclasses: this more specific hook keeps them from being caught by the str hook.
converter.register_structure_hook(TolerantEnum, _structure_status)
converter.register_structure_hook(int | str | None, _structure_code)
converter.register_unstructure_hook_factory(_is_input, _input_writer)


def structure_leniently(data: Mapping[str, Any], cls: type[T]) -> tuple[T, list[str]]:
    """``cls`` from the parts of ``data`` that fit it, and the paths of those that did not (left at their
    defaults: ``avatar_item.status``, ``data[3]``); ``raw`` is ``data``. For an answer whose one important
    field (a new job's id, even inside a nested object) or whose other items (a page of a list) must not be lost
    because something beside them is malformed: a nested object keeps its fields that fit, a list of objects or
    of values its items that fit."""
    kept: dict[str, Any] = {}
    salvaged: dict[str, Any] = {}
    dropped: list[str] = []
    model_class: Any = cls
    kinds = {field.name: field.type for field in attrs.fields(attrs.resolve_types(model_class))}
    for name, value in data.items():
        try:
            converter.structure({name: value}, cls)
        except Exception:  # cattrs raises several types; all mean "this field is not the documented shape"
            part = _salvage(value, kinds.get(name), str(name), dropped) if name != "raw" else _NOTHING
            if part is _NOTHING:
                dropped.append(str(name))
            else:
                salvaged[name] = part
        else:
            kept[name] = value
    model: Any = converter.structure(kept, cls)
    if salvaged:
        model = attrs.evolve(model, **salvaged)
    object.__setattr__(model, "raw", data)
    built: T = model
    return built, dropped


_NOTHING: Final = object()


def _salvage(value: Any, kind: Any, where: str, dropped: list[str]) -> Any:
    """What of ``value`` fits ``kind`` (a field's type), or ``_NOTHING``: a model from an object's fields that fit,
    a list of the items that fit; what did not is added to ``dropped`` by its path."""
    if _is_optional(kind):
        (kind,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
    if _is_model(kind) and isinstance(value, Mapping) and not issubclass(kind, ListModel):
        model, inner = structure_leniently(value, kind)
        dropped.extend(f"{where}.{name}" for name in inner)
        return model
    if typing.get_origin(kind) is list and isinstance(value, list):
        (item_kind,) = typing.get_args(kind) or (Any,)
        items: list[Any] = []
        for index, item in enumerate(value):
            if item is None:
                continue  # nulls in lists are dropped, as when the whole answer fits
            try:
                items.append(converter.structure(item, item_kind))
            except Exception:
                part = _salvage(item, item_kind, f"{where}[{index}]", dropped)
                if part is _NOTHING:
                    dropped.append(f"{where}[{index}]")
                else:
                    items.append(part)
        return items
    return _NOTHING


def structure_result(data: Any, cls: type[T]) -> T:
    """``data`` (HeyGen's decoded ``data``) as ``cls``; ``null`` becomes an empty model whose ``raw`` is None."""
    hook = _RESULT_HOOKS.get(cls)
    if hook is None:  # the converter's dispatch, once per result class (its hooks are all registered above)
        hook = _RESULT_HOOKS[cls] = converter.get_structure_hook(cls)
    if data is None:
        empty: T = hook({}, cls)
        object.__setattr__(empty, "raw", None)
        return empty
    result: T = hook(data, cls)
    return result


_RESULT_HOOKS: Final[dict[Any, Callable[[Any, Any], Any]]] = {}
