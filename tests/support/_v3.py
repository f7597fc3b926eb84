"""HeyGen v3 in tests: raw HTTP against the emulator's v3 routes (an emulator on a manual clock, a caller holding
an API key, the bodies HeyGen v3 accepts), a call's method on ``client.v3``, and the smallest valid arguments of
any operation, made from the table's own schemas (so a test covers every operation without a hand-written case
that could drift)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import attrs
from multidict import CIMultiDictProxy

import heygen_async as hg
from heygen_async._spec._schema import resolve
from heygen_async._spec._types import Endpoint, Param
from heygen_async._spec._v3_table import V3_ENDPOINTS, V3_SCHEMAS
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock

LOOK_ID = "Angela-inTshirt-20220820"
"""A public look of the v3 catalogue (its ``avatar_id`` for videos); its group's default voice is Sara."""
SARA = "1bd001e7e50f421d891986aad5158bc8"
"""A public starfish (TTS-capable) voice."""
VIDEO_URL = "https://example.com/source.mp4"
AUDIO_URL = "https://example.com/voice.mp3"


def avatar_video(script: str = "Hello from v3.", **fields: Any) -> dict[str, Any]:
    """A ``POST /v3/videos`` body of type ``avatar`` HeyGen accepts."""
    return {"type": "avatar", "avatar_id": LOOK_ID, "script": script, "voice_id": SARA, **fields}


@attrs.frozen
class Reply:
    """One v3 answer: status, parsed JSON body (None if not JSON) and headers."""

    status: int
    body: Any
    headers: CIMultiDictProxy[str]

    @property
    def data(self) -> Any:
        assert self.status < 300, f"expected a success, got {self.status}: {self.body}"
        return self.body["data"]

    @property
    def error(self) -> dict[str, Any]:
        assert self.status >= 400, f"expected an error, got {self.status}: {self.body}"
        error: dict[str, Any] = self.body["error"]
        return error


@attrs.define
class V3Caller:
    """Sends requests to one emulator's v3 routes with one API key (``api_key=None``: the emulator's own)."""

    emulator: Emulator
    session: aiohttp.ClientSession
    api_key: str | None = None

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
    ) -> Reply:
        sent = {"X-Api-Key": self.api_key or self.emulator.api_key, **(headers or {})}
        if key is not None:
            sent["Idempotency-Key"] = key
        async with self.session.request(
            method, self.emulator.url + path, json=body, params=params, headers=sent, data=data
        ) as response:
            raw = await response.read()
            try:
                parsed = await response.json(content_type=None) if raw else None
            except ValueError:
                parsed = None
            return Reply(response.status, parsed, response.headers)

    def as_account(self, api_key: str) -> V3Caller:
        """The same emulator through another API key: another account."""
        return V3Caller(self.emulator, self.session, api_key)

    async def walk(self, path: str, *, limit: int, params: Mapping[str, str] | None = None) -> list[Any]:
        """Every item of a cursor list, page by page; asserts the envelope of each page."""
        items: list[Any] = []
        token: str | None = None
        while True:
            query = {**(params or {}), "limit": str(limit), **({"token": token} if token else {})}
            reply = await self.call("GET", path, params=query)
            assert set(reply.body) == {"data", "has_more", "next_token"}, reply.body
            assert len(reply.data) <= limit
            items.extend(reply.data)
            if not reply.body["has_more"]:
                assert reply.body["next_token"] is None
                return items
            token = reply.body["next_token"]

    async def video_status(self, video_id: str) -> str:
        status: str = (await self.call("GET", f"/v3/videos/{video_id}")).data["status"]
        return status


@contextlib.asynccontextmanager
async def v3_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[V3Caller]:
    """An emulator with ``config`` on a manual clock and a raw v3 caller, for the block."""
    async with (
        Emulator(config, clock=ManualClock()) as emulator,
        aiohttp.ClientSession() as session,
    ):
        yield V3Caller(emulator, session)


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
