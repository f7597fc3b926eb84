"""Reading HeyGen's OpenAPI document and comparing its v3 operations with the bundled v3 table: a document that
says what the table says shows no difference, HeyGen's published document shows exactly what the table adds to
it, and an edited document reports exactly what was edited (and nothing for reworded prose)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from heygen_async._spec._definition import DefinitionError
from heygen_async._spec._openapi_diff import (
    OpenAPIDiff,
    OpenAPIError,
    OperationDiff,
    OperationParam,
    diff_openapi,
    is_openapi,
    read_openapi,
    table_operation,
)
from heygen_async._spec._v3_table import V3_ENDPOINTS, V3_ENDPOINTS_BY_NAME
from tests.support import openapi_from_table

Document = dict[str, Any]


@pytest.fixture
def document() -> Document:
    """A fresh, editable document built from the v3 table."""
    return copy.deepcopy(openapi_from_table())


def by_name(param: OperationParam) -> str:
    return param.name


def run_diff(document: Document) -> OpenAPIDiff:
    return diff_openapi(read_openapi(document).operations)


def matched(result: OpenAPIDiff, qualname: str) -> OperationDiff:
    return next(m for m in result.matched if m.endpoint.qualname == qualname)


def described(result: OpenAPIDiff, qualname: str) -> list[str]:
    return [change.describe() for change in matched(result, qualname).changes]


def test_a_document_built_from_the_v3_table_shows_no_difference(document: Document) -> None:
    result = run_diff(document)
    assert not result.has_differences
    assert (result.added, result.removed, result.changed, result.with_extras) == ((), (), (), ())
    assert len(result.matched) == len(V3_ENDPOINTS)
    assert all(m.matched_by == "method and path" for m in result.matched)
    for endpoint in V3_ENDPOINTS:  # each side read into the same record
        read = next(o for o in read_openapi(document).operations if o.key == endpoint.key)
        ours = table_operation(endpoint)
        assert sorted(read.params, key=by_name) == sorted(ours.params, key=by_name), endpoint.qualname
        assert read.idempotency_key == ours.idempotency_key


def test_the_document_the_table_is_generated_from_shows_no_difference() -> None:
    """What tools/v3gen.py reads (HeyGen's document with this project's overlay) is what the table says: the
    diff reads a document exactly as the generator does, so regenerating after a clean diff changes nothing."""
    merge = pytest.importorskip("tools.openapi.merge", reason="the OpenAPI overlay (tools/openapi/) is not here")
    openapi = read_openapi(merge.load_v3_document())
    result = diff_openapi(openapi.operations)
    assert [m.to_json(m.changes) for m in result.changed] == []
    assert (result.added, result.removed, result.with_extras) == ((), (), ())
    assert len(result.matched) == len(V3_ENDPOINTS)


def test_an_operation_only_in_the_document_is_added_and_one_only_in_the_table_is_removed(document: Document) -> None:
    del document["paths"]["/v3/users/me"]
    document["paths"]["/v3/sparkles"] = {"get": {"operationId": "listSparkles", "parameters": []}}
    result = run_diff(document)
    assert [(o.key, o.operation_id) for o in result.added] == [("GET /v3/sparkles", "listSparkles")]
    assert [e.qualname for e in result.removed] == ["v3.users.me"]
    assert result.has_differences


def test_operations_outside_v3_are_counted_and_ignored(document: Document) -> None:
    document["paths"]["/v2/videos"] = {"get": {"operationId": "listVideosV2"}, "post": {"operationId": "x"}}
    openapi = read_openapi(document)
    assert openapi.ignored == 2
    assert "GET /v2/videos" not in {o.key for o in openapi.operations}
    assert not diff_openapi(openapi.operations).has_differences


def test_a_changed_query_parameter_is_reported_by_what_changed(document: Document) -> None:
    listing = document["paths"]["/v3/videos"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    limit["schema"]["maximum"] = 500
    limit["required"] = True
    listing["parameters"].append({"name": "status", "in": "query", "schema": {"type": "string", "enum": ["a"]}})
    listing["parameters"] = [p for p in listing["parameters"] if p["name"] != "title"]
    result = run_diff(document)
    changes = matched(result, "v3.videos.list").changes
    assert {(c.param, c.kind) for c in changes} == {
        ("limit", "required"),
        ("limit", "maximum"),
        ("status", "only_in_document"),
        ("title", "only_in_table"),
    }
    text = described(result, "v3.videos.list")
    assert "param limit required: document yes, table no" in text
    assert "param limit maximum: document 500, table 100" in text
    assert "param status (query, str) is in the document, not in the table" in text
    assert "param title (query, str) is in the table, not in the document" in text
    assert [m.endpoint.qualname for m in result.changed] == ["v3.videos.list"]


def test_an_enum_and_a_type_change_are_reported(document: Document) -> None:
    looks = document["paths"]["/v3/avatars/looks"]["get"]["parameters"]
    next(p for p in looks if p["name"] == "ownership")["schema"]["enum"].append("shared")
    next(p for p in looks if p["name"] == "limit")["schema"] = {"type": "string"}
    text = described(run_diff(document), "v3.avatars.looks.list")
    assert 'param ownership enum: document ["public", "private", "shared"], table ["public", "private"]' in text
    assert "param limit type: document 'str', table 'int'" in text
    assert not any(line.startswith("param limit maximum") for line in text)  # the type change says it all


def test_a_body_schema_change_names_the_place_even_inside_a_referenced_schema(document: Document) -> None:
    """POST /v3/videos's ``background`` is a reference to BackgroundSetting: a new value in that component's
    enum changes the parameter's schema, and the line says where."""
    schemas = document["components"]["schemas"]
    schemas["BackgroundSetting"]["properties"]["type"]["enum"].append("video")
    result = run_diff(document)
    changes = matched(result, "v3.videos.create").changes
    assert [(c.param, c.kind) for c in changes] == [("background", "schema")]
    (line,) = described(result, "v3.videos.create")
    assert line.startswith("param background schema: ")
    assert 'properties.type.enum: document ["color", "image", "video"], table ["color", "image"]' in line


def test_reworded_prose_is_no_difference(document: Document) -> None:
    for schema in document["components"]["schemas"].values():
        schema["description"] = "Reworded by HeyGen."
        schema["title"] = "Renamed"
        for field in (schema.get("properties") or {}).values():
            field["description"] = "Reworded too."
            field["x-mint"] = {"anything": 1}
    assert not run_diff(document).has_differences


def test_a_field_named_like_a_prose_keyword_is_still_compared(document: Document) -> None:
    """``title`` is a field of several bodies: taking prose out must not take it out of ``properties``."""
    create = document["paths"]["/v3/webhooks/endpoints"]["post"]["requestBody"]["content"]["application/json"]
    schema = document["components"]["schemas"]
    name = create["schema"]["$ref"].rsplit("/", 1)[1]
    schema[name]["properties"]["description"] = {"type": "string"}
    text = described(run_diff(document), "v3.webhooks.endpoints.create")
    assert "param description (body, schema) is in the document, not in the table" in text


def test_a_required_body_field_and_a_new_variant_of_a_union(document: Document) -> None:
    schemas = document["components"]["schemas"]
    union = schemas["CreateVideoV3RequestBody"]
    schemas["CreateVideoFromHyperframes"] = {
        "type": "object",
        "properties": {"type": {"const": "hyperframes", "type": "string"}, "frames": {"type": "array"}},
        "required": ["type", "frames"],
    }
    union["oneOf"].append({"$ref": "#/components/schemas/CreateVideoFromHyperframes"})
    union["discriminator"]["mapping"]["hyperframes"] = "#/components/schemas/CreateVideoFromHyperframes"
    changes = matched(run_diff(document), "v3.videos.create").changes
    assert ("frames", "only_in_document") in {(c.param, c.kind) for c in changes}
    assert ("type", "schema") in {(c.param, c.kind) for c in changes}  # "hyperframes" is one more of its values
    for variant in union["oneOf"]:
        schemas[variant["$ref"].rsplit("/", 1)[1]].setdefault("required", []).append("title")
    changes = matched(run_diff(document), "v3.videos.create").changes
    assert ("title", "required") in {(c.param, c.kind) for c in changes}


def test_an_idempotency_key_the_document_offers_and_the_table_does_not_send_is_a_change(document: Document) -> None:
    speech = document["paths"]["/v3/voices/speech"]["post"]
    assert not V3_ENDPOINTS_BY_NAME["v3.voices.speech.create"].idempotency_key
    speech["parameters"].append({"name": "idempotency-key", "in": "header", "schema": {"type": "string"}})
    result = run_diff(document)
    assert described(result, "v3.voices.speech.create") == [
        "Idempotency-Key header: document takes it, table does not send one"
    ]
    assert result.has_differences


def test_an_idempotency_key_the_table_sends_and_the_document_leaves_unsaid_is_an_extra(document: Document) -> None:
    create = document["paths"]["/v3/videos"]["post"]
    create["parameters"] = [p for p in create["parameters"] if p["in"] != "header"]
    result = run_diff(document)
    assert not result.has_differences
    (extra,) = matched(result, "v3.videos.create").extras
    assert extra.describe() == "Idempotency-Key header: document does not take it, table sends one"


def test_a_moved_route_is_matched_by_its_operation_id(document: Document) -> None:
    document["paths"]["/v3/user/me"] = document["paths"].pop("/v3/users/me")
    result = run_diff(document)
    pair = matched(result, "v3.users.me")
    assert pair.matched_by == "operation id"
    assert [c.describe() for c in pair.changes] == ["path: document '/v3/user/me', table '/v3/users/me'"]
    assert (result.added, result.removed) == ((), ())


def test_a_renamed_placeholder_still_matches_and_shows(document: Document) -> None:
    item = document["paths"].pop("/v3/videos/{video_id}")
    for operation in item.values():
        for parameter in operation["parameters"]:
            if parameter["name"] == "video_id":
                parameter["name"] = "id"
    document["paths"]["/v3/videos/{id}"] = item
    text = described(run_diff(document), "v3.videos.get")
    assert "path: document '/v3/videos/{id}', table '/v3/videos/{video_id}'" in text
    assert "param id (path, str, required) is in the document, not in the table" in text


def test_shared_and_referenced_parameters_and_bodies_are_read() -> None:
    """Path-level parameters apply to every operation of the path; ``$ref``\\ s into components.parameters and
    components.requestBodies are followed."""
    document = {
        "openapi": "3.0.3",
        "paths": {
            "/v3/things/{thing_id}": {
                "parameters": [{"$ref": "#/components/parameters/ThingId"}],
                "patch": {
                    "operationId": "updateThing",
                    "parameters": [{"name": "Idempotency-Key", "in": "header"}],
                    "requestBody": {"$ref": "#/components/requestBodies/Rename"},
                },
            }
        },
        "components": {
            "parameters": {"ThingId": {"name": "thing_id", "in": "path", "schema": {"type": "string"}}},
            "requestBodies": {
                "Rename": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"name": {"type": "string"}},
                                "required": ["name"],
                            }
                        }
                    }
                }
            },
        },
    }
    (operation,) = read_openapi(document).operations
    assert (operation.key, operation.operation_id, operation.idempotency_key) == (
        "PATCH /v3/things/{thing_id}",
        "updateThing",
        True,
    )
    assert [(p.name, p.location, p.type, p.required) for p in operation.params] == [
        ("thing_id", "path", "str", True),
        ("name", "body", "schema", True),
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"openapi": "3.1.0"}, "'paths' should be an object, found missing"),
        ({"openapi": "3.1.0", "paths": []}, "'paths' should be an object, found a list"),
        ({"openapi": "3.1.0", "paths": {"/v3/x": 3}}, "path '/v3/x' should be an object of operations"),
        ({"openapi": "3.1.0", "paths": {"/v3/x": {"get": "list"}}}, "GET /v3/x should be an object"),
        ({"openapi": "3.1.0", "paths": {"/v3/x": {"get": {"parameters": {}}}}}, "'parameters' should be a list"),
        ({"openapi": "3.1.0", "paths": {"/v3/x": {"get": {"parameters": [{"in": "query"}]}}}}, "without a name"),
        (
            {"openapi": "3.1.0", "paths": {"/v3/x": {"get": {"parameters": [{"name": "a", "in": "body"}]}}}},
            "parameter 'a' has 'in' 'body'",
        ),
        (
            {"openapi": "3.1.0", "paths": {"/v3/x": {"get": {"parameters": [{"$ref": "#/components/parameters/N"}]}}}},
            "refers to '#/components/parameters/N', which the document does not define",
        ),
        ({"swagger": "2.0", "paths": {}}, "it has no 'openapi' key"),
    ],
)
def test_malformed_documents_say_what_is_wrong(document: Document, message: str) -> None:
    with pytest.raises(OpenAPIError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_openapi(document, source="doc.json")
    assert issubclass(OpenAPIError, DefinitionError)  # spec diff reports both kinds of document alike


def test_is_openapi_looks_for_the_openapi_key() -> None:
    assert is_openapi({"openapi": "3.1.0"})
    assert not is_openapi({"routes": []})
    assert not is_openapi([{"openapi": "3.1.0"}])
