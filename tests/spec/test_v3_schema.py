"""v3 request bodies are checked against HeyGen's schemas before sending: unions by their discriminator, nested
objects, enums, bounds and required fields, each error naming the value by its dotted path."""

from __future__ import annotations

from typing import Any

import pytest

from heygen_async import ValidationError
from heygen_async._spec._schema import check_schema, variant_of

SCHEMAS: dict[str, Any] = {
    "Url": {
        "properties": {"type": {"enum": ["url"], "type": "string"}, "url": {"type": "string"}},
        "required": ["type", "url"],
    },
    "Asset": {
        "properties": {
            "type": {"enum": ["asset_id"], "type": "string"},
            "asset_id": {"type": "string", "minLength": 1},
        },
        "required": ["type", "asset_id"],
    },
    "Source": {
        "oneOf": [{"$ref": "#/components/schemas/Url"}, {"$ref": "#/components/schemas/Asset"}],
        "discriminator": {
            "propertyName": "type",
            "mapping": {"url": "#/components/schemas/Url", "asset_id": "#/components/schemas/Asset"},
        },
    },
    "Scene": {
        "type": "object",
        "properties": {
            "script": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}]},
            "speed": {"anyOf": [{"type": "number", "minimum": 0.5, "maximum": 2}, {"type": "null"}]},
            "source": {"$ref": "#/components/schemas/Source"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
            "fit": {"type": "string", "enum": ["cover", "contain"]},
        },
        "required": ["source"],
    },
    "Body": {
        "type": "object",
        "properties": {"scenes": {"type": "array", "items": {"$ref": "#/components/schemas/Scene"}, "minItems": 1}},
        "required": ["scenes"],
        "additionalProperties": False,
    },
}
BODY = {"$ref": "#/components/schemas/Body"}


def fail(where: str, message: str) -> ValidationError:
    return ValidationError(f"{where} {message}", parameter=where)


def check(value: Any) -> None:
    check_schema(fail, "", value, BODY, SCHEMAS)


def good() -> dict[str, Any]:
    return {"scenes": [{"source": {"type": "url", "url": "https://x"}, "script": "hi", "speed": 1, "tags": ["a"]}]}


def test_a_body_that_fits_passes() -> None:
    check(good())


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (lambda b: b.pop("scenes"), "scenes", "is required"),
        (lambda b: b.update(scenes=[]), "scenes", "at least 1"),
        (lambda b: b.update(extra=1), "extra", "not a field"),
        (lambda b: b["scenes"][0].update(script="x" * 11), "scenes[0].script", "at most 10"),
        (lambda b: b["scenes"][0].update(speed=3), "scenes[0].speed", "<= 2"),
        (lambda b: b["scenes"][0].update(speed=True), "scenes[0].speed", "a number"),
        (lambda b: b["scenes"][0].update(speed=float("nan")), "scenes[0].speed", "finite"),
        (lambda b: b["scenes"][0].update(tags=["a", "b", "c"]), "scenes[0].tags", "at most 2"),
        (lambda b: b["scenes"][0].update(tags=[1]), "scenes[0].tags[0]", "a string"),
        (lambda b: b["scenes"][0].update(fit="stretch"), "scenes[0].fit", "one of 'cover', 'contain'"),
        (lambda b: b["scenes"][0].update(source={"type": "file"}), "scenes[0].source.type", "one of 'url', 'asset_id'"),
        (lambda b: b["scenes"][0].update(source={"url": "x"}), "scenes[0].source.type", "is required"),
        (
            lambda b: b["scenes"][0].update(source={"type": "asset_id", "asset_id": ""}),
            "scenes[0].source.asset_id",
            "empty",
        ),
        (lambda b: b["scenes"][0].update(source="https://x"), "scenes[0].source", "an object"),
    ],
)
def test_each_break_is_named_by_its_path(change: Any, where: str, words: str) -> None:
    body = good()
    change(body)
    with pytest.raises(ValidationError) as caught:
        check(body)
    assert caught.value.parameter == where
    assert words in str(caught.value)


def test_an_optional_field_given_as_none_is_left_to_heygen() -> None:
    body = good()
    body["scenes"][0]["script"] = None
    check(body)


def test_the_union_variant_is_chosen_by_its_discriminator() -> None:
    chosen = variant_of(SCHEMAS["Source"], {"type": "asset_id"}, SCHEMAS)
    assert chosen is not None
    assert chosen[0] == "type"
    assert chosen[1] is SCHEMAS["Asset"]
    assert variant_of(SCHEMAS["Source"], {"type": "nope"}, SCHEMAS) is None
    assert variant_of(SCHEMAS["Scene"], {"type": "url"}, SCHEMAS) is None
