"""HeyGen v3 in tests: a call's method on ``client.v3``, and the smallest valid arguments of any operation, made from
the table's own schemas (so a test covers every operation without a hand-written case that could drift)."""

from __future__ import annotations

from typing import Any

import heygen_async as hg
from heygen_async._spec._schema import resolve
from heygen_async._spec._types import Endpoint, Param
from heygen_async._spec._v3_table import V3_ENDPOINTS, V3_SCHEMAS

__all__ = ["openapi_from_table", "sample_arguments", "sample_value", "v3_method"]


def v3_method(client: hg.HeyGenClient, endpoint: Endpoint) -> Any:
    """``client.v3.<namespace>.<method>`` for a v3 row."""
    target: Any = client.v3
    for part in endpoint.namespace.split("."):
        target = getattr(target, part)
    return getattr(target, endpoint.method)


def sample_value(schema: Any, name: str = "x") -> Any:
    """A small value that fits ``schema``: its first enum value, its lower bound, a union's first variant, an
    object with its required fields."""
    schema = resolve(schema, V3_SCHEMAS)
    options = schema.get("anyOf") or (schema.get("oneOf") if "discriminator" not in schema else None)
    if options:
        real = [o for o in options if resolve(o, V3_SCHEMAS).get("type") != "null"]
        return sample_value(real[0], name)
    if "discriminator" in schema:
        value, ref = next(iter(schema["discriminator"]["mapping"].items()))
        sample = sample_value({"$ref": ref}, name)
        sample[schema["discriminator"]["propertyName"]] = value
        return sample
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample_value(schema.get("items") or {"type": "string"}, name) for _ in range(schema.get("minItems", 1))]
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {key: sample_value(properties[key], key) for key in schema.get("required", ()) if key in properties}
    if schema.get("format") == "binary":
        return b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    return f"{name}_1"


def sample_param(param: Param) -> Any:
    if param.type == "schema":
        return sample_value(param.schema, param.name)
    if param.type == "file":
        return b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    if param.enum:
        return param.enum[0]
    if param.type == "int":
        return int(param.minimum if param.minimum is not None else 1)
    if param.type == "number":
        return float(param.minimum if param.minimum is not None else 1)
    if param.type == "bool":
        return True
    if param.type == "list[str]":
        return [f"{param.name}_1"]
    return f"{param.name}_1"


def sample_arguments(endpoint: Endpoint) -> dict[str, Any]:
    """The required arguments of a v3 operation with small valid values (a union body: its first variant)."""
    if endpoint.body_schema is not None:
        body = sample_value(endpoint.body_schema)
        names = {p.name for p in endpoint.params}
        arguments = {key: value for key, value in body.items() if key in names}
    else:
        arguments = {}
    for param in endpoint.params:
        if param.required and param.name not in arguments:
            arguments[param.name] = sample_param(param)
    return arguments


_SCALAR_TYPES = {"str": "string", "int": "integer", "number": "number", "bool": "boolean"}


def _parameter_schema(param: Param) -> dict[str, Any]:
    """The OpenAPI schema a path or query parameter row was read from."""
    if param.type == "schema":
        return dict(param.schema)
    if param.type == "list[str]":
        schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    else:
        schema = {"type": _SCALAR_TYPES[param.type]}
    words = {"minimum": "minimum", "maximum": "maximum", "max_length": "maxLength"}
    words.update(min_items="minItems", max_items="maxItems")
    for fact, word in words.items():
        if getattr(param, fact) is not None:
            schema[word] = getattr(param, fact)
    if param.enum is not None:
        schema["enum"] = list(param.enum)
    return schema


def openapi_from_table(endpoints: tuple[Endpoint, ...] = V3_ENDPOINTS) -> dict[str, Any]:
    """An OpenAPI document that says exactly what the v3 table says: each row's parameters, its
    ``Idempotency-Key`` header, its body schema, and the table's schemas as the components."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        parameters: list[dict[str, Any]] = [
            {"name": p.name, "in": p.location, "required": p.required, "schema": _parameter_schema(p)}
            for p in endpoint.params
            if p.location != "body"
        ]
        if endpoint.idempotency_key:
            parameters.append({"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}})
        operation: dict[str, Any] = {"operationId": endpoint.seed_name, "parameters": parameters}
        if endpoint.body_schema is not None:
            media = "multipart/form-data" if any(p.type == "file" for p in endpoint.params) else "application/json"
            operation["requestBody"] = {"content": {media: {"schema": endpoint.body_schema}}}
        paths.setdefault(endpoint.path, {})[endpoint.http_method.lower()] = operation
    return {"openapi": "3.1.0", "paths": paths, "components": {"schemas": dict(V3_SCHEMAS)}}
