"""The v3 document the generator reads (HeyGen's bundled OpenAPI document plus our overlay) is whole and
matches the notes: the 85 operations of July 2026, every ``$ref`` resolvable, cursor lists with the notes'
bounds, the idempotent creates, the discriminated unions; and the merge does exactly what it promises."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tools.openapi import merge

Schema = dict[str, Any]

# heygen-v3-liveavatar-notes.md, tables A.6 and A.8 (path parameters named as the document names them).
EXPECTED_V3_OPERATIONS = frozenset(
    {
        "POST /v3/videos",
        "GET /v3/videos",
        "GET /v3/videos/{video_id}",
        "DELETE /v3/videos/{video_id}",
        "POST /v3/videos/batches",
        "GET /v3/videos/batches/{batch_id}",
        "GET /v3/videos/statuses",
        "POST /v3/templates/{template_id}",
        "GET /v3/templates",
        "GET /v3/templates/{template_id}",
        "POST /v3/video-translations",
        "GET /v3/video-translations",
        "GET /v3/video-translations/{video_translation_id}",
        "PATCH /v3/video-translations/{video_translation_id}",
        "DELETE /v3/video-translations/{video_translation_id}",
        "GET /v3/video-translations/languages",
        "POST /v3/video-translations/batches",
        "GET /v3/video-translations/batches/{batch_id}",
        "GET /v3/video-translations/statuses",
        "POST /v3/video-translations/proofreads",
        "GET /v3/video-translations/proofreads/{proofread_id}",
        "GET /v3/video-translations/proofreads/{proofread_id}/srt",
        "PUT /v3/video-translations/proofreads/{proofread_id}/srt",
        "POST /v3/video-translations/proofreads/{proofread_id}/generate",
        "POST /v3/lipsyncs",
        "GET /v3/lipsyncs",
        "GET /v3/lipsyncs/{lipsync_id}",
        "PATCH /v3/lipsyncs/{lipsync_id}",
        "DELETE /v3/lipsyncs/{lipsync_id}",
        "POST /v3/lipsyncs/batches",
        "GET /v3/lipsyncs/batches/{batch_id}",
        "GET /v3/lipsyncs/statuses",
        "POST /v3/video-agents",
        "GET /v3/video-agents",
        "GET /v3/video-agents/{session_id}",
        "POST /v3/video-agents/{session_id}",
        "POST /v3/video-agents/{session_id}/stop",
        "GET /v3/video-agents/{session_id}/videos",
        "GET /v3/video-agents/{session_id}/resources/{resource_id}",
        "GET /v3/video-agents/styles",
        "POST /v3/avatars",
        "GET /v3/avatars",
        "GET /v3/avatars/{group_id}",
        "DELETE /v3/avatars/{group_id}",
        "POST /v3/avatars/{group_id}/consent",
        "GET /v3/avatars/looks",
        "GET /v3/avatars/looks/{look_id}",
        "PATCH /v3/avatars/looks/{look_id}",
        "DELETE /v3/avatars/looks/{look_id}",
        "GET /v3/voices",
        "GET /v3/voices/{voice_id}",
        "POST /v3/voices",
        "POST /v3/voices/clone",
        "DELETE /v3/voices/{voice_id}",
        "POST /v3/voices/speech",
        "POST /v3/assets",
        "POST /v3/assets/direct-uploads",
        "POST /v3/assets/{asset_id}/complete",
        "POST /v3/assets/direct-uploads/batches",
        "POST /v3/assets/complete/batches",
        "GET /v3/assets/batches/{batch_id}",
        "GET /v3/assets/statuses",
        "GET /v3/assets",
        "GET /v3/assets/{asset_id}",
        "DELETE /v3/assets/{asset_id}",
        "GET /v3/assets/search",
        "GET /v3/audio/sounds",
        "POST /v3/background-removals",
        "GET /v3/background-removals",
        "GET /v3/background-removals/{job_id}",
        "DELETE /v3/background-removals/{job_id}",
        "POST /v3/ai-clipping",
        "GET /v3/ai-clipping",
        "GET /v3/ai-clipping/{job_id}",
        "DELETE /v3/ai-clipping/{job_id}",
        "GET /v3/brand-kits",
        "GET /v3/brand-glossaries",
        "GET /v3/users/me",
        # A.8
        "POST /v3/webhooks/endpoints",
        "GET /v3/webhooks/endpoints",
        "PATCH /v3/webhooks/endpoints/{endpoint_id}",
        "DELETE /v3/webhooks/endpoints/{endpoint_id}",
        "POST /v3/webhooks/endpoints/{endpoint_id}/rotate-secret",
        "GET /v3/webhooks/event-types",
        "GET /v3/webhooks/events",
    }
)

# A.2: (default, maximum) of `limit` on every cursor list; the batch detail GETs page their items.
CURSOR_LISTS = {
    **dict.fromkeys(
        (
            "/v3/videos",
            "/v3/video-translations",
            "/v3/lipsyncs",
            "/v3/templates",
            "/v3/ai-clipping",
            "/v3/background-removals",
            "/v3/brand-glossaries",
            "/v3/webhooks/endpoints",
            "/v3/webhooks/events",
        ),
        (10, 100),
    ),
    **dict.fromkeys(
        ("/v3/voices", "/v3/video-agents", "/v3/video-agents/styles", "/v3/brand-kits", "/v3/assets"), (20, 100)
    ),
    **dict.fromkeys(("/v3/avatars", "/v3/avatars/looks", "/v3/assets/search"), (20, 50)),
    "/v3/audio/sounds": (10, 50),
}
BATCH_DETAILS = dict.fromkeys(
    (
        "/v3/videos/batches/{batch_id}",
        "/v3/lipsyncs/batches/{batch_id}",
        "/v3/video-translations/batches/{batch_id}",
        "/v3/assets/batches/{batch_id}",
    ),
    (100, 100),
)

# A.4: the May 2026 changelog list; the later ones; and what must not carry the header.
IDEMPOTENT_SINCE_MAY = {
    "POST /v3/assets",
    "POST /v3/avatars",
    "POST /v3/avatars/{group_id}/consent",
    "POST /v3/lipsyncs",
    "POST /v3/video-translations",
    "POST /v3/video-translations/proofreads",
    "POST /v3/video-translations/proofreads/{proofread_id}/generate",
    "POST /v3/videos",
    "POST /v3/webhooks/endpoints",
    "POST /v3/webhooks/endpoints/{endpoint_id}/rotate-secret",
}
IDEMPOTENT_LATER = {
    "POST /v3/assets/direct-uploads",
    "POST /v3/assets/direct-uploads/batches",
    "POST /v3/lipsyncs/batches",
    "POST /v3/video-translations/batches",
    "POST /v3/templates/{template_id}",
}

# A.6/A.7: the status of each job kind, as the operation that reports it returns it.
STATUS_ENUMS = {
    "GET /v3/videos/{video_id}": ["pending", "processing", "completed", "failed"],
    "GET /v3/videos/batches/{batch_id}": ["processing", "completed", "failed"],
    "GET /v3/videos/statuses": ["queued", "processing", "completed", "failed", "not_found"],
    "GET /v3/video-translations/{video_translation_id}": ["pending", "running", "completed", "failed"],
    "GET /v3/video-translations/proofreads/{proofread_id}": ["processing", "completed", "failed"],
    "GET /v3/lipsyncs/{lipsync_id}": ["pending", "running", "completed", "failed"],
    "POST /v3/video-agents": ["generating", "thinking", "completed", "failed"],
    "GET /v3/video-agents/{session_id}": [
        "thinking",
        "waiting_for_input",
        "reviewing",
        "generating",
        "completed",
        "failed",
    ],
    "GET /v3/avatars/{group_id}": ["processing", "pending_consent", "failed", "completed"],
    "GET /v3/avatars/looks/{look_id}": ["processing", "pending_consent", "failed", "completed"],
    "GET /v3/voices/{voice_id}": ["processing", "complete", "failed"],
    "GET /v3/background-removals/{job_id}": ["pending", "processing", "completed", "failed", "deleted"],
    "GET /v3/ai-clipping/{job_id}": ["pending", "running", "completed", "failed", "cancelled"],
}


@pytest.fixture(scope="module")
def document() -> Schema:
    return merge.load_v3_document()


def operations(document: Schema) -> Iterator[tuple[str, Schema]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in merge.HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def operation(document: Schema, key: str) -> Schema:
    method, path = key.split(" ")
    found: Schema = document["paths"][path][method.lower()]
    return found


def resolved(document: Schema, schema: Schema) -> Schema:
    """The schema behind a ``$ref`` or a nullable ``anyOf``, one level deep, as the generator will read it."""
    while True:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema and {"type": "null"} in schema["anyOf"]:
            (schema,) = [branch for branch in schema["anyOf"] if branch != {"type": "null"}]
        else:
            return schema


def success(operation: Schema) -> Schema:
    (code,) = [code for code in operation["responses"] if code.startswith("2")]
    schema: Schema = operation["responses"][code]["content"]["application/json"]["schema"]
    return schema


def query(operation: Schema, name: str) -> Schema:
    parameters: list[Schema] = operation.get("parameters", [])
    (parameter,) = [p for p in parameters if p["in"] == "query" and p["name"] == name]
    return parameter


def every_ref(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key == "mapping" and isinstance(value, dict):
                yield from (target for target in value.values() if isinstance(target, str))
            else:
                yield from every_ref(value)
    elif isinstance(node, list):
        for value in node:
            yield from every_ref(value)


def test_the_bundled_document_is_heygens_file_byte_for_byte() -> None:
    # git's blob id of codegen/external-api.json at heygen-com/heygen-cli@a08e4c5
    content = merge.BASE_FILE.read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()
    assert blob == "f8f3ecbb6b4d2ec3d7f1a1b16d90af64af4a8175"


def test_the_overlay_has_exactly_the_documented_top_level_shape() -> None:
    additions = json.loads(merge.ADDITIONS_FILE.read_text(encoding="utf-8"))
    assert list(additions) == ["info", "remove_paths", "paths", "components", "idempotency_key"]
    assert list(additions["components"]) == ["schemas"]
    assert "CLI-H" in additions["info"]["description"]


def test_the_v3_document_has_exactly_the_operations_of_the_notes(document: Schema) -> None:
    found = [key for key, _ in operations(document)]
    assert len(found) == len(set(found)) == 85
    assert set(found) == EXPECTED_V3_OPERATIONS
    assert all(path.startswith("/v3/") for path in document["paths"])


def test_no_stale_april_path_is_left(document: Schema) -> None:
    assert not [path for path in document["paths"] if path.startswith("/v3/video-agents/sessions")]
    assert "/v3/video-translations/{video_translation_id}/caption" not in document["paths"]


@pytest.mark.parametrize("whole", [False, True], ids=["v3", "whole document"])
def test_every_ref_resolves(document: Schema, whole: bool) -> None:
    checked = (
        merge.merged_document(json.loads(merge.BASE_FILE.read_text()), json.loads(merge.ADDITIONS_FILE.read_text()))
        if whole
        else document
    )
    refs = set(every_ref(checked))
    assert refs, "no $ref at all: the walk is broken"
    schemas = checked["components"]["schemas"]
    unresolved = [
        ref for ref in refs if not ref.startswith("#/components/schemas/") or ref.rsplit("/", 1)[1] not in schemas
    ]
    assert unresolved == []


def test_every_operation_is_identified_summarised_and_answered(document: Schema) -> None:
    ids = []
    for key, op in operations(document):
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", op.get("operationId", "")), key
        assert op.get("summary"), key
        assert op.get("tags"), key
        assert [code for code in op.get("responses", {}) if code.startswith("2")], key
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids))


def test_every_path_parameter_is_declared_and_required(document: Schema) -> None:
    for key, op in operations(document):
        declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
        assert set(declared) == set(re.findall(r"\{(\w+)\}", key)), key
        assert all(p["required"] is True and p["schema"] == {"type": "string"} for p in declared.values()), key


def test_every_request_body_refers_to_a_named_schema(document: Schema) -> None:
    for key, op in operations(document):
        if "requestBody" in op:
            (media_type,) = op["requestBody"]["content"]
            expected = "multipart/form-data" if key == "POST /v3/assets" else "application/json"
            assert media_type == expected, key
            assert "$ref" in op["requestBody"]["content"][media_type]["schema"], key
    upload = resolved(
        document, operation(document, "POST /v3/assets")["requestBody"]["content"]["multipart/form-data"]["schema"]
    )
    assert upload["properties"]["file"] == upload["properties"]["file"] | {"type": "string", "format": "binary"}


def test_cursor_lists_take_limit_and_token_with_the_bounds_of_the_notes(document: Schema) -> None:
    with_token = {
        path
        for key, op in operations(document)
        for path in [key.split(" ")[1]]
        if any(p["in"] == "query" and p["name"] == "token" for p in op.get("parameters", []))
    }
    assert with_token == set(CURSOR_LISTS) | set(BATCH_DETAILS)
    for path, (default, maximum) in (CURSOR_LISTS | BATCH_DETAILS).items():
        op = operation(document, f"GET {path}")
        assert query(op, "limit")["schema"] == {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
        assert query(op, "token")["schema"] == {"type": "string"}
        envelope = success(op)["properties"]
        if path in BATCH_DETAILS:  # the page of items, and its cursor, live inside data
            assert set(envelope) == {"data"}
            data = resolved(document, envelope["data"])
            assert {"items", "has_more", "next_token"} <= set(data["properties"]), path
        else:
            assert envelope["data"]["type"] == "array", path
            assert envelope["has_more"]["type"] == "boolean", path
            assert envelope["next_token"]["type"] == ["string", "null"], path


def test_bulk_statuses_take_comma_separated_id_lists(document: Schema) -> None:
    for path, ids in [
        ("/v3/videos/statuses", "video_ids"),
        ("/v3/lipsyncs/statuses", "lipsync_ids"),
        ("/v3/video-translations/statuses", "video_translation_ids"),
        ("/v3/assets/statuses", "asset_ids"),
    ]:
        op = operation(document, f"GET {path}")
        for name in (ids, "batch_ids"):
            assert query(op, name)["schema"] == {"type": "string"}
            assert "Comma-separated" in query(op, name)["description"]


def test_the_idempotent_creates_and_only_they_take_an_idempotency_key(document: Schema) -> None:
    additions = json.loads(merge.ADDITIONS_FILE.read_text(encoding="utf-8"))
    listed = set(additions["idempotency_key"])
    assert len(listed) == len(additions["idempotency_key"])
    assert listed == IDEMPOTENT_SINCE_MAY | IDEMPOTENT_LATER
    for key, op in operations(document):
        headers = [p for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert headers == ([merge.IDEMPOTENCY_KEY_PARAMETER] if key in listed else []), key
    # background removals deduplicate on the body's request_id instead
    body = operation(document, "POST /v3/background-removals")["requestBody"]["content"]["application/json"]
    assert "request_id" in resolved(document, body["schema"])["properties"]


@pytest.mark.parametrize(("key", "statuses"), STATUS_ENUMS.items(), ids=list(STATUS_ENUMS))
def test_job_statuses_are_the_enums_of_the_notes(document: Schema, key: str, statuses: list[str]) -> None:
    data = resolved(document, success(operation(document, key))["properties"]["data"])
    if data.get("type") == "array":
        data = resolved(document, data["items"])
    assert resolved(document, data["properties"]["status"])["enum"] == statuses


def union(document: Schema, schema: Schema) -> dict[str, Schema]:
    """A discriminated union's branches by discriminator value; each branch's own ``const`` must agree."""
    schema = resolved(document, schema)
    tag = schema["discriminator"]["propertyName"]
    branches = {}
    for value, target in schema["discriminator"]["mapping"].items():
        branch = resolved(document, {"$ref": target})
        assert branch["properties"][tag]["const"] == value
        assert {"$ref": target} in schema["oneOf"]
        branches[value] = branch
    assert len(schema["oneOf"]) == len(branches)
    return branches


def test_video_creation_is_a_union_of_avatar_image_cinematic_and_studio(document: Schema) -> None:
    body = operation(document, "POST /v3/videos")["requestBody"]["content"]["application/json"]["schema"]
    kinds = union(document, body)
    assert set(kinds) == {"avatar", "image", "cinematic_avatar", "studio"}
    assert "avatar_id" in kinds["avatar"]["required"]
    assert set(union(document, kinds["image"]["properties"]["image"])) == {"url", "asset_id", "base64"}
    scenes = kinds["studio"]["properties"]["scenes"]
    assert (scenes["minItems"], scenes["maxItems"]) == (1, 50)
    assert set(union(document, scenes["items"])) == {"avatar_video", "image", "video"}
    batch = operation(document, "POST /v3/videos/batches")["requestBody"]["content"]["application/json"]["schema"]
    videos = resolved(document, batch)["properties"]["videos"]
    assert videos["items"] == body
    assert videos["maxItems"] == 100


def test_avatar_creation_is_a_union_of_photo_digital_twin_and_prompt(document: Schema) -> None:
    body = operation(document, "POST /v3/avatars")["requestBody"]["content"]["application/json"]["schema"]
    kinds = union(document, body)
    assert set(kinds) == {"photo", "digital_twin", "prompt"}
    assert "prompt" in kinds["prompt"]["required"]
    assert set(union(document, kinds["digital_twin"]["properties"]["file"])) == {"url", "asset_id", "base64"}


def test_batch_creates_are_accepted_with_a_batch_id(document: Schema) -> None:
    for path in (
        "/v3/videos/batches",
        "/v3/lipsyncs/batches",
        "/v3/video-translations/batches",
        "/v3/assets/complete/batches",
    ):
        responses = operation(document, f"POST {path}")["responses"]
        assert [code for code in responses if code.startswith("2")] == ["202"], path
        data = resolved(document, success(operation(document, f"POST {path}"))["properties"]["data"])
        assert data["required"] == ["batch_id"], path


# The merge itself, on small documents.

BASE: Schema = {
    "openapi": "3.1.0",
    "paths": {
        "/v3/a": {"get": {"operationId": "getA"}, "post": {"operationId": "createA"}},
        "/v3/a/sessions": {"get": {"operationId": "old"}},
        "/v3/a/sessions/{id}": {"get": {"operationId": "oldToo"}},
        "/v3/a/sessionsfile": {"get": {"operationId": "sibling"}},
        "/v1/legacy": {"get": {"operationId": "legacy"}},
    },
    "components": {"schemas": {"A": {"type": "object"}, "B": {"type": "string"}}},
}


def test_remove_paths_drops_a_path_and_what_is_under_it_only() -> None:
    merged = merge.merged_document(BASE, {"remove_paths": ["/v3/a/sessions"]})
    assert set(merged["paths"]) == {"/v3/a", "/v3/a/sessionsfile", "/v1/legacy"}


def test_an_operation_replaces_its_method_and_path_and_keeps_the_paths_other_methods() -> None:
    merged = merge.merged_document(BASE, {"paths": {"/v3/a": {"post": {"operationId": "createA2"}}}})
    assert merged["paths"]["/v3/a"] == {"get": {"operationId": "getA"}, "post": {"operationId": "createA2"}}


def test_schemas_are_added_or_replaced_by_name() -> None:
    merged = merge.merged_document(BASE, {"components": {"schemas": {"A": {"type": "array"}, "C": {}}}})
    assert merged["components"]["schemas"] == {"A": {"type": "array"}, "B": {"type": "string"}, "C": {}}


def test_listed_operations_get_one_idempotency_key_header_and_the_inputs_stay_untouched() -> None:
    base = copy.deepcopy(BASE)
    additions: Schema = {"idempotency_key": ["POST /v3/a"]}
    snapshot = copy.deepcopy((base, additions))
    once = merge.merged_document(base, additions)
    assert once["paths"]["/v3/a"]["post"]["parameters"] == [merge.IDEMPOTENCY_KEY_PARAMETER]
    assert "parameters" not in once["paths"]["/v3/a"]["get"]
    twice = merge.merged_document(once, additions)
    assert twice["paths"]["/v3/a"]["post"]["parameters"] == [merge.IDEMPOTENCY_KEY_PARAMETER]
    assert (base, additions) == snapshot
    once["paths"]["/v3/a"]["post"]["parameters"][0]["schema"]["maxLength"] = 1
    assert merge.IDEMPOTENCY_KEY_PARAMETER["schema"]["maxLength"] == 255


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ("POST /v3/missing", "names an operation the merged document does not have"),
        ("DELETE /v3/a", "names an operation the merged document does not have"),
        ("GET /v3/a/sessions", "names an operation the merged document does not have"),
        ("/v3/a", "is not 'METHOD /path'"),
        ("post /v3/a", "is not 'METHOD /path'"),
        ("FETCH /v3/a", "is not 'METHOD /path'"),
    ],
)
def test_an_idempotency_entry_that_names_no_operation_is_refused_by_name(entry: str, complaint: str) -> None:
    additions = {"remove_paths": ["/v3/a/sessions"], "idempotency_key": [entry]}
    with pytest.raises(ValueError, match=re.escape(f"{entry!r} {complaint}")):
        merge.merged_document(BASE, additions)


def test_the_v3_document_is_a_fresh_copy_each_time() -> None:
    first = merge.load_v3_document()
    first["paths"].clear()
    assert len(merge.load_v3_document()["paths"]) > 0
