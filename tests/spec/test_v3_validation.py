"""Every v3 operation refuses bad arguments before anything is sent: a missing path id, an unsafe one, a wrong
type for each query parameter and each required body field; and a union's field given for the wrong variant."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async._spec._types import Endpoint, Param
from heygen_async._spec._v3_table import V3_ENDPOINTS, V3_ENDPOINTS_BY_NAME
from tests.support import FAST, sample_arguments, sent, v3_method as method_of


def path_values(endpoint: Endpoint) -> dict[str, Any]:
    return sample_arguments(endpoint)


def wrong_value(param: Param) -> Any:
    """A value of the wrong type for ``param``."""
    return (
        12.5 if param.type in ("str", "list[str]", "bool") else "not-a-number" if param.type in ("int", "number") else 7
    )


CASES = [
    pytest.param(endpoint, param, id=f"{endpoint.qualname}.{param.name}")
    for endpoint in V3_ENDPOINTS
    for param in endpoint.params
    if param.location != "path" and param.type not in ("file", "schema")
]


@pytest.mark.parametrize(("endpoint", "param"), CASES)
async def test_a_wrong_type_is_refused_naming_the_parameter_and_nothing_is_sent(
    endpoint: Endpoint, param: Param
) -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ValidationError) as caught:
                await method_of(client, endpoint)(**(path_values(endpoint) | {param.name: wrong_value(param)}))
            assert sent(m) == []
    assert caught.value.parameter == param.name


WITH_PATH = [pytest.param(e, id=e.qualname) for e in V3_ENDPOINTS if any(p.location == "path" for p in e.params)]


@pytest.mark.parametrize("endpoint", WITH_PATH)
@pytest.mark.parametrize("bad", ["", "../users/me", "a/b", "a?b=c"])
async def test_an_unsafe_or_empty_id_is_refused_before_sending(endpoint: Endpoint, bad: str) -> None:
    values = path_values(endpoint) | {p.name: bad for p in endpoint.params if p.location == "path"}
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ValidationError):
                await method_of(client, endpoint)(**values)
            assert sent(m) == []


REQUIRED_BODY = [
    pytest.param(e, p, id=f"{e.qualname}.{p.name}")
    for e in V3_ENDPOINTS
    for p in e.params
    if p.location == "body" and p.required and p.type != "file"
]


@pytest.mark.parametrize(("endpoint", "param"), REQUIRED_BODY)
async def test_a_missing_required_body_field_is_refused_before_sending(endpoint: Endpoint, param: Param) -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            arguments = path_values(endpoint)
            del arguments[param.name]
            with pytest.raises((hg.ValidationError, TypeError)) as caught:
                await method_of(client, endpoint)(**arguments)
            assert sent(m) == []
    if isinstance(caught.value, hg.ValidationError):  # a union's field: required by its variant, not by Python
        assert caught.value.parameter == param.name


async def test_a_field_of_another_variant_is_named_before_sending() -> None:
    endpoint = V3_ENDPOINTS_BY_NAME["v3.videos.create"]
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ValidationError, match="is not a field of type='image'") as caught:
                await method_of(client, endpoint)(
                    type="image", image={"type": "url", "url": "https://x"}, avatar_id="a"
                )
            assert sent(m) == []
    assert caught.value.parameter == "avatar_id"


async def test_a_nested_field_is_named_by_its_path() -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ValidationError) as caught:
                await client.v3.videos.create(type="avatar", avatar_id="a", script="hi", voice_id="v", background={})
            assert sent(m) == []
    assert caught.value.parameter == "background.type"


def deeply_nested(levels: int) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for _ in range(levels):
        nested = {"a": nested}
    return nested


AVATAR_VIDEO: dict[str, Any] = {"type": "avatar", "avatar_id": "a", "script": "hi", "voice_id": "v"}
LONE = "\udc00"
HUGE = 10**5000  # more digits than Python turns into text (or JSON) by default


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        pytest.param({**AVATAR_VIDEO, "script": "hi \ud800"}, "script", id="lone-surrogate"),
        pytest.param({**AVATAR_VIDEO, "voice_settings": {"\udc00": 1}}, "voice_settings", id="surrogate-key"),
        pytest.param({**AVATAR_VIDEO, "voice_settings": {"speed": HUGE}}, "voice_settings.speed", id="huge-bounded"),
        pytest.param(
            {"type": "cinematic_avatar", "avatar_id": ["a"], "prompt": "p", "duration": HUGE}, "duration", id="huge-int"
        ),
        pytest.param(
            {"type": "studio", "scenes": [{"type": "avatar_video", "input": {"type": "avatar", "avatar_id": LONE}}]},
            "scenes[0].input.avatar_id",
            id="surrogate-in-a-scene",
        ),
        pytest.param({**AVATAR_VIDEO, "voice_settings": deeply_nested(5000)}, "voice_settings", id="nested-too-deep"),
        pytest.param({**AVATAR_VIDEO, "extra_body": {"note": float("nan")}}, "extra_body['note']", id="extra-nan"),
        pytest.param({**AVATAR_VIDEO, "extra_body": {"note": ["\ud800"]}}, "extra_body['note'][0]", id="extra-text"),
        pytest.param({**AVATAR_VIDEO, "extra_body": {"note": HUGE}}, "extra_body['note']", id="extra-huge"),
        pytest.param({**AVATAR_VIDEO, "extra_body": {"note": deeply_nested(5000)}}, "extra_body", id="extra-deep"),
    ],
)
async def test_a_value_json_cannot_carry_is_refused_naming_where_it_is_before_sending(
    arguments: dict[str, Any], parameter: str
) -> None:
    """A lone surrogate, a number with more digits than can be written, NaN or nesting too deep to encode: each
    is a ValidationError naming the parameter (not a bare ValueError or RecursionError, nor an error naming no
    parameter), and nothing is sent."""
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ValidationError) as caught:
                await client.v3.videos.create(**arguments)
            assert sent(m) == []
    assert caught.value.parameter == parameter


async def test_free_form_values_are_checked_too() -> None:
    """A template's variables are free-form objects (no schema below them): a lone surrogate inside one is named."""
    variables = {"headline": {"name": "headline", "type": "text", "properties": {"content": "x\ud800"}}}
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ValidationError) as caught:
                await client.v3.templates.generate("t_1", variables=variables)
            assert sent(m) == []
    assert caught.value.parameter == "variables.headline.properties.content"


@pytest.mark.parametrize(
    ("ids", "words"),
    [
        (",".join(f"v{i}" for i in range(101)), "at most 100 ids, got 101"),
        ("v1,,v2", "none of them empty"),
        ("v1,", "none of them empty"),
    ],
)
async def test_a_statuses_id_list_over_100_or_with_a_gap_is_refused_before_sending(ids: str, words: str) -> None:
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            with pytest.raises(hg.ValidationError, match=words) as caught:
                await client.v3.videos.statuses(video_ids=ids)
            assert sent(m) == []
    assert caught.value.parameter == "video_ids"


async def test_a_statuses_id_list_of_100_is_sent() -> None:
    ids = ",".join(f"v{i}" for i in range(100))
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            m.get(
                re.compile(r"^https://api\.heygen\.com/v3/videos/statuses\?.*$"),
                payload={"data": [], "has_more": False},
            )
            page = await client.v3.videos.statuses(video_ids=ids)
            assert len(sent(m)) == 1
    assert len(page) == 0
