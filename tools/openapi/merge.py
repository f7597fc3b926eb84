"""Brings HeyGen's bundled OpenAPI document (April 2026) up to the v3 API of July 2026 with an overlay.

``heygen-openapi.json`` beside this module is HeyGen's own document, copied byte for byte (see README.md);
``heygen-v3-additions.json`` holds what changed since, in the same OpenAPI 3.1 style: paths to drop, operations
to add or replace, schemas to add or replace, and the operations that accept an ``Idempotency-Key`` header.
Keeping the two apart lets the bundled document be refreshed from HeyGen without losing (or hiding) the edits.
The v3 code generator reads :func:`load_v3_document`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Final

__all__ = [
    "ADDITIONS_FILE",
    "BASE_FILE",
    "IDEMPOTENCY_KEY_PARAMETER",
    "load_v3_document",
    "merged_document",
]

HERE: Final = Path(__file__).resolve().parent
BASE_FILE: Final = HERE / "heygen-openapi.json"
ADDITIONS_FILE: Final = HERE / "heygen-v3-additions.json"
V3_PREFIX: Final = "/v3/"
HTTP_METHODS: Final = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

# HeyGen's documented key format: 1-255 characters from [A-Za-z0-9_-:.]; optional, a UUID is recommended.
IDEMPOTENCY_KEY_PARAMETER: Final[dict[str, Any]] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[A-Za-z0-9_\\-:.]+$"},
}


def merged_document(base: dict[str, Any], additions: dict[str, Any]) -> dict[str, Any]:
    """The base document with the overlay applied; neither argument is modified.

    In order: each ``remove_paths`` entry drops that path and every path under it; each operation under
    ``paths`` is added, or replaces the base's operation with the same method and path (the base's other
    operations on that path stay); each schema under ``components.schemas`` is added or replaces the base's
    schema of that name; each ``idempotency_key`` entry (``"POST /v3/videos"``) gives that operation an optional
    ``Idempotency-Key`` header parameter. Raises ``ValueError`` naming an entry that is malformed or names an
    operation the merged document does not have.
    """
    document = copy.deepcopy(base)
    paths: dict[str, Any] = document.setdefault("paths", {})
    for prefix in additions.get("remove_paths", []):
        for path in [path for path in paths if _is_at_or_under(path, prefix)]:
            del paths[path]
    for path, item in additions.get("paths", {}).items():
        paths.setdefault(path, {}).update(copy.deepcopy(item))
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(copy.deepcopy(additions.get("components", {}).get("schemas", {})))
    for entry in additions.get("idempotency_key", []):
        parameters = _operation(paths, entry).setdefault("parameters", [])
        if not any(_is_idempotency_key(parameter) for parameter in parameters):
            parameters.append(copy.deepcopy(IDEMPOTENCY_KEY_PARAMETER))
    return document


def load_v3_document() -> dict[str, Any]:
    """The merged document of the two files beside this module, restricted to the ``/v3/`` paths.

    Everything else (``info``, ``servers``, security schemes, all component schemas) is kept, so every ``$ref``
    still resolves. A fresh copy on each call: callers may change it.
    """
    document = merged_document(_read(BASE_FILE), _read(ADDITIONS_FILE))
    document["paths"] = {path: item for path, item in document["paths"].items() if path.startswith(V3_PREFIX)}
    return document


def _is_at_or_under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def _operation(paths: dict[str, Any], entry: str) -> dict[str, Any]:
    method, _, path = entry.partition(" ")
    if method.lower() not in HTTP_METHODS or not method.isupper() or not path.startswith("/"):
        raise ValueError(f"idempotency_key entry {entry!r} is not 'METHOD /path'")
    operation = paths.get(path, {}).get(method.lower())
    if not isinstance(operation, dict):
        raise ValueError(f"idempotency_key entry {entry!r} names an operation the merged document does not have")
    return operation


def _is_idempotency_key(parameter: dict[str, Any]) -> bool:
    return parameter.get("in") == "header" and str(parameter.get("name", "")).lower() == "idempotency-key"


def _read(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path.name} does not hold a JSON object")
    return document
