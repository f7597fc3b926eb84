"""Every v3 operation refuses bad arguments before anything is sent: a missing path id, an unsafe one, a wrong
type for each query parameter and each required body field; and a union's field given for the wrong variant."""

from __future__ import annotations

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
