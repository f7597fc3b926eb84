"""Checking a v3 request value against the JSON schema HeyGen's OpenAPI document gives for it.

HeyGen v3's schemas use a small part of JSON Schema (types, ``enum``, ``required``, ``properties``,
``items``, bounds, ``anyOf`` with ``null`` for optional fields, ``oneOf`` with a ``discriminator`` for the
unions such as ``POST /v3/videos``'s ``type``, and ``$ref`` to named schemas); :func:`check_schema` checks
exactly that part, naming the offending value by its dotted path (``background.type``,
``scenes[2].voice_id``) in the same words as the legacy checks. Anything else a schema says (``format``,
``pattern`` aside) is left to HeyGen, which names the parameter in its own 400. What JSON cannot carry (a lone
surrogate, a number too long to write, NaN) is named too, also where the schema says nothing (a free-form
object), so no request ever fails later, in the encoder, without a parameter's name.
"""

from __future__ import annotations

import functools
import math
import re
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

__all__ = ["ANY_VALUE", "check_schema", "encodable", "short", "variant_of"]

Fail = Callable[[str, str], Exception]
"""Makes the error for a value at a dotted path: ``fail("background.type", "must be ...")``."""

_REF_PREFIX: Final = "#/components/schemas/"
ANY_VALUE: Final[Mapping[str, Any]] = types.MappingProxyType({})
"""The schema of a value left free (by the document, or sent as given): any JSON value, so only what JSON
cannot carry is refused."""
_TYPE_NAMES: Final = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "True or False",
    "array": "a list",
    "object": "an object (a dict)",
    "null": "None",
}


def resolve(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with its ``$ref`` followed (to the end of a chain)."""
    seen = 0
    while "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith(_REF_PREFIX) or seen > 32:
            raise ValueError(f"unsupported schema reference {ref!r}")
        schema = schemas[ref[len(_REF_PREFIX) :]]
        seen += 1
    return schema


def _is_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, (list, tuple))
    if kind == "object":
        return isinstance(value, Mapping)
    if kind == "null":
        return value is None
    return True


def short(value: Any) -> str:
    """``value`` for an error message, cut to 60 characters (a huge int by its size: it has no text)."""
    if isinstance(value, int) and abs(value) >= 10**30:  # str() of a huge int is slow, then refused outright
        return f"a number of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def encodable(text: str) -> bool:
    """Whether ``text`` can be sent (as UTF-8): no lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _writable(value: int) -> bool:
    """Whether an int can be written out (JSON, like ``str()``, refuses more digits than Python's limit)."""
    if value.bit_length() <= 64:
        return True
    try:
        str(value)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def variant_of(
    schema: Mapping[str, Any], value: Mapping[str, Any], schemas: Mapping[str, Any]
) -> tuple[str, Mapping[str, Any]] | None:
    """For a discriminated union and an object, ``(property, the chosen variant's schema)``; None when
    ``schema`` is not such a union or ``value`` names no variant of it."""
    schema = resolve(schema, schemas)
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, Mapping):
        return None
    name = discriminator["propertyName"]
    target = discriminator.get("mapping", {}).get(value.get(name)) if isinstance(value.get(name), str) else None
    if target is None:
        return None
    return name, resolve({"$ref": target}, schemas)


def check_schema(fail: Fail, where: str, value: Any, schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> None:
    """Raise ``fail(path, problem)`` for the first way ``value`` breaks ``schema``; return if it fits."""
    schema = resolve(schema, schemas)
    if "anyOf" in schema or ("oneOf" in schema and "discriminator" not in schema):
        _check_any(fail, where, value, schema.get("anyOf") or schema["oneOf"], schemas)
        return
    if "oneOf" in schema:
        _check_union(fail, where, value, schema, schemas)
        return
    for part in schema.get("allOf", ()):
        check_schema(fail, where, value, part, schemas)
    if "const" in schema and value != schema["const"]:
        raise fail(where, f"must be {schema['const']!r}, got {short(value)}")
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or ())
    if kinds and not any(_is_type(value, k) for k in kinds):
        wanted = " or ".join(_TYPE_NAMES.get(k, k) for k in kinds)
        raise fail(where, f"must be {wanted}, not {type(value).__name__}")
    enum = schema.get("enum")
    if enum is not None and (value not in enum or isinstance(value, bool) != any(isinstance(e, bool) for e in enum)):
        raise fail(where, f"must be one of {', '.join(map(repr, enum))}, got {short(value)}")
    if isinstance(value, str):
        _check_text(fail, where, value, schema)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(fail, where, value, schema)
    elif isinstance(value, (list, tuple)):
        _check_list(fail, where, value, schema, schemas)
    elif isinstance(value, Mapping):
        _check_object(fail, where, value, schema, schemas)
    elif value is not None and not isinstance(value, bool):
        raise fail(where, f"cannot be sent as JSON (it is a {type(value).__name__})")


def _check_any(fail: Fail, where: str, value: Any, options: Sequence[Any], schemas: Mapping[str, Any]) -> None:
    """``anyOf``: one option must fit. With one non-null option (HeyGen's optional fields), its own error is
    the clearest; with several, the error of the option of the value's type, or a list of what is accepted."""
    real = [o for o in options if resolve(o, schemas).get("type") != "null"]
    if value is None and len(real) < len(options):
        return
    errors: list[Exception] = []
    for option in real:
        try:
            check_schema(fail, where, value, option, schemas)
        except Exception as exc:
            errors.append(exc)
        else:
            return
    if len(errors) == 1:
        raise errors[0]
    for option, error in zip(real, errors, strict=True):
        kind = resolve(option, schemas).get("type")
        if isinstance(kind, str) and _is_type(value, kind):
            raise error
    raise errors[0] if errors else fail(where, "matches none of the accepted shapes")


def _check_union(fail: Fail, where: str, value: Any, schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> None:
    if not isinstance(value, Mapping):
        raise fail(where, f"must be an object (a dict), not {type(value).__name__}")
    name = schema["discriminator"]["propertyName"]
    mapping: Mapping[str, str] = schema["discriminator"].get("mapping", {})
    spot = f"{where}.{name}" if where else name
    choice = value.get(name)
    if choice is None:
        raise fail(spot, f"is required (one of {', '.join(map(repr, mapping))})")
    if not isinstance(choice, str) or choice not in mapping:
        raise fail(spot, f"must be one of {', '.join(map(repr, mapping))}, got {short(choice)}")
    check_schema(fail, where, value, {"$ref": mapping[choice]}, schemas)


def _check_text(fail: Fail, where: str, value: str, schema: Mapping[str, Any]) -> None:
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None and len(value) < low:
        raise fail(where, "must not be empty" if low == 1 else f"must be at least {low} characters, got {len(value)}")
    if high is not None and len(value) > high:
        raise fail(where, f"must be at most {high} characters, got {len(value)}")
    if not value.isascii() and not encodable(value):
        raise fail(where, "must be valid Unicode text (it holds a lone surrogate)")
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _pattern(pattern).search(value):
        raise fail(where, f"must match {pattern!r}, got {short(value)}")


def _check_number(fail: Fail, where: str, value: float, schema: Mapping[str, Any]) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(where, "must be a finite number")
    if isinstance(value, int) and not _writable(value):
        raise fail(where, f"is too large to send ({short(value)})")
    if (low := schema.get("minimum")) is not None and value < low:
        raise fail(where, f"must be >= {low:g}, got {short(value)}")
    if (high := schema.get("maximum")) is not None and value > high:
        raise fail(where, f"must be <= {high:g}, got {short(value)}")
    if (low := schema.get("exclusiveMinimum")) is not None and value <= low:
        raise fail(where, f"must be > {low:g}, got {short(value)}")
    if (high := schema.get("exclusiveMaximum")) is not None and value >= high:
        raise fail(where, f"must be < {high:g}, got {short(value)}")


def _check_list(
    fail: Fail, where: str, value: Sequence[Any], schema: Mapping[str, Any], schemas: Mapping[str, Any]
) -> None:
    low, high = schema.get("minItems"), schema.get("maxItems")
    if low is not None and len(value) < low:
        raise fail(where, f"must have at least {low} item(s), got {len(value)}")
    if high is not None and len(value) > high:
        raise fail(where, f"must have at most {high} item(s), got {len(value)}")
    items = schema.get("items")
    for index, item in enumerate(value):  # items of no schema are still checked for what JSON cannot carry
        check_schema(fail, f"{where}[{index}]", item, items if isinstance(items, Mapping) else ANY_VALUE, schemas)


def _check_object(
    fail: Fail, where: str, value: Mapping[str, Any], schema: Mapping[str, Any], schemas: Mapping[str, Any]
) -> None:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    prefix = f"{where}." if where else ""
    for name in schema.get("required", ()):
        if value.get(name) is None:
            raise fail(prefix + name, "is required")
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if not isinstance(key, str) or (not key.isascii() and not encodable(key)):
            raise fail(where or "body", f"keys must be strings of valid Unicode text, got {short(key)}")
        sub = properties.get(key)
        if sub is not None:
            if item is not None:  # a null for an optional field is left out, as HeyGen reads it
                check_schema(fail, prefix + key, item, sub, schemas)
        elif extra is False:
            allowed = ", ".join(properties) or "nothing"
            raise fail(prefix + key, f"is not a field the API accepts here (it takes {allowed})")
        else:  # a free-form field: still nothing JSON cannot carry
            check_schema(fail, prefix + key, item, extra if isinstance(extra, Mapping) else ANY_VALUE, schemas)
