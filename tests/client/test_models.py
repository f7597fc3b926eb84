"""Typed results: unknown fields kept, unknown statuses tolerated, raw JSON kept, credentials out of reprs; the
compiled structuring path gives exactly what the slow, detailed one gives, errors included."""

from __future__ import annotations

import itertools
import re
from typing import Any

import attrs
import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async import _models as m
from heygen_async._converter import _FAST, converter, structure_result
from heygen_async._spec._results import structure
from heygen_async._spec._table import ENDPOINTS
from tests.support import outcome, slowly


def test_unknown_fields_are_kept_in_raw_and_never_fatal() -> None:
    data = {"id": "v1", "status": "completed", "brand_new_field": {"nested": [1, 2]}, "duration": 12.5}
    video = structure_result(data, m.Video)
    assert video.id == "v1"
    assert video.video_id == "v1"
    assert video.duration == 12.5
    assert video.raw == data
    assert video.raw["brand_new_field"] == {"nested": [1, 2]}


@pytest.mark.parametrize(
    ("enum", "value", "member"),
    [
        (m.VideoStatus, "completed", m.VideoStatus.COMPLETED),
        (m.VideoStatus, "COMPLETED", m.VideoStatus.COMPLETED),
        (m.VideoStatus, "Waiting", m.VideoStatus.WAITING),
        (m.TranslationStatus, "success", m.TranslationStatus.SUCCESS),
        (m.GenerationStatus, "IN_PROGRESS", m.GenerationStatus.IN_PROGRESS),
        (m.StreamingAvatarStatus, "active", m.StreamingAvatarStatus.ACTIVE),
    ],
)
def test_statuses_match_case_insensitively(enum: type[m.TolerantEnum], value: str, member: m.TolerantEnum) -> None:
    assert enum(value) is member
    assert enum(value).is_known


def test_unknown_statuses_become_tolerant_values() -> None:
    status = m.VideoStatus("rendering_in_4k")
    assert not status.is_known
    assert status.value == "rendering_in_4k"
    assert status == "rendering_in_4k"
    assert str(status) == "rendering_in_4k"
    assert status is not m.VideoStatus.PROCESSING
    video = structure_result({"id": "v", "status": "rendering_in_4k"}, m.Video)
    assert video.status is not None
    assert not video.status.is_known


def test_nulls_fall_back_to_defaults() -> None:
    avatars = structure_result({"avatars": None, "talking_photos": None}, m.AvatarList)
    assert avatars.avatars == []
    assert len(avatars) == 0
    video = structure_result({"id": "v", "error": None, "video_url": None}, m.Video)
    assert video.error is None


def test_failed_video_carries_heygen_error_object() -> None:
    video = structure_result(
        {
            "id": "v",
            "status": "failed",
            "error": {"code": 40119, "message": "Video is too long", "detail": "Video is too long (> 3600.0s)."},
        },
        m.Video,
    )
    assert video.status is m.VideoStatus.FAILED
    assert video.error == m.VideoError(code=40119, message="Video is too long", detail="Video is too long (> 3600.0s).")


def test_list_results_iterate_index_and_accept_bare_arrays_and_other_keys() -> None:
    voices = structure_result({"voices": [{"voice_id": "a"}, {"voice_id": "b"}]}, m.VoiceList)
    assert [v.voice_id for v in voices] == ["a", "b"]
    assert voices[1].voice_id == "b"
    assert len(voices) == 2
    endpoints = structure_result([{"endpoint_id": "e1", "secret": "whsec_x"}], m.WebhookEndpointList)
    assert endpoints[0].endpoint_id == "e1"
    assert endpoints.raw == [{"endpoint_id": "e1", "secret": "whsec_x"}]
    page = structure_result({"list": [{"id": "b1", "name": "Brand"}], "token": "next"}, m.BrandVoicePage)
    assert [v.name for v in page] == ["Brand"]
    assert page.token == "next"
    events = structure_result(["avatar_video.success", "avatar_video.fail"], m.WebhookEventList)
    assert list(events) == ["avatar_video.success", "avatar_video.fail"]


def test_credentials_in_results_stay_out_of_reprs() -> None:
    info = structure_result({"session_id": "s", "access_token": "lk-SECRET", "url": "wss://x"}, m.StreamingSessionInfo)
    assert info.access_token == "lk-SECRET"
    assert "lk-SECRET" not in repr(info)
    endpoint = structure_result({"endpoint_id": "e", "secret": "whsec_SECRET"}, m.WebhookEndpoint)
    assert "whsec_SECRET" not in repr(endpoint)
    token = structure_result({"token": "tok-SECRET"}, m.StreamingToken)
    assert "tok-SECRET" not in repr(token)


def test_a_null_answer_is_an_empty_model_whose_raw_is_none() -> None:
    ack = structure_result(None, m.Ack)
    assert ack.raw is None
    assert structure_result(None, m.VoiceList).voices == []


def test_scalars_convert_only_where_nothing_is_lost() -> None:
    avatar = structure_result({"avatar_id": 123, "premium": "false", "tags": ["a", None, "b"]}, m.Avatar)
    assert avatar.avatar_id == "123"
    assert avatar.premium is False
    assert avatar.tags == ["a", "b"]  # a null item is dropped, not fatal
    group = structure_result({"id": "g", "num_looks": 3.0, "created_at": "2026-01-02T03:04:05Z"}, m.AvatarGroup)
    assert group.num_looks == 3
    assert group.created_at == 1767323045.0
    page = structure_result({"videos": [{"video_id": "a"}, None, {"video_id": "b"}], "token": None}, m.VideoPage)
    assert [v.video_id for v in page] == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "model"),
    [
        pytest.param({"avatar_id": {"nested": 1}}, m.Avatar, id="object-for-text"),
        pytest.param({"premium": "maybe"}, m.Avatar, id="text-for-bool"),
        pytest.param({"num_looks": 2.9}, m.AvatarGroup, id="fraction-for-int"),
        pytest.param({"num_looks": True}, m.AvatarGroup, id="bool-for-int"),
        pytest.param({"created_at": "yesterday"}, m.AvatarGroup, id="text-for-time"),
    ],
)
def test_lossy_conversions_are_refused(data: dict[str, Any], model: type[m.Model]) -> None:
    endpoint = next(e for e in ENDPOINTS if e.result == "AvatarList")
    with pytest.raises(hg.APIResponseError, match=r"expected .* @ data\.") as caught:
        structure(endpoint, model, data)
    assert model.__name__ in str(caught.value)


def test_helpers_on_results() -> None:
    assert structure_result({"remaining_quota": 3600}, m.Quota).credits == 60.0
    assert structure_result({"task_id": "t", "duration_ms": 1500}, m.StreamingTask).duration == 1.5
    assert structure_result({}, m.Quota).credits is None


def test_results_are_frozen() -> None:
    video = structure_result({"id": "v"}, m.Video)
    with pytest.raises(AttributeError):
        video.id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("just a string", id="string"),
        pytest.param({"id": "v", "duration": "long"}, id="text-for-number"),
        pytest.param({"id": "v", "error": "oops"}, id="text-for-object"),
        pytest.param({"id": "v", "status": 7}, id="number-for-status"),
    ],
)
async def test_answers_of_the_wrong_shape_are_a_typed_error(data: Any) -> None:
    with aioresponses() as mocked:
        mocked.get(re.compile(r".*"), payload={"code": 100, "data": data, "message": "ok"})
        async with hg.HeyGenClient("at_x", base_url="http://gateway.test/heygen") as client:
            with pytest.raises(hg.APIResponseError) as caught:
                await client.videos.status("v")
    assert "Video" in str(caught.value)
    assert caught.value.endpoint == "GET /v1/video_status.get"


def test_models_are_exported_from_the_package() -> None:
    for name in (
        "Video",
        "VideoStatus",
        "Avatar",
        "TalkingPhoto",
        "Voice",
        "AvatarGroup",
        "PhotoAvatar",
        "Template",
        "TemplateDetails",
        "Quota",
        "User",
        "Translation",
        "StreamingSessionInfo",
        "StreamingAvatar",
        "WebhookEndpoint",
        "Folder",
        "Asset",
        "VideoInput",
        "Dimension",
    ):
        assert hasattr(hg, name), name


# -- the compiled structuring path gives what the slow, detailed one gives ------------------------------------------

RESULT_MODELS = [
    cls
    for cls in vars(m).values()
    if isinstance(cls, type) and issubclass(cls, m.Model) and cls not in (m.Model, m.ListModel)
]

# Values of every JSON kind, and the ones a hook converts or refuses: text for numbers and flags, whole and
# fractional numbers, flags for numbers, statuses known, in another case or unknown, objects and lists with nulls.
ODD_VALUES: list[Any] = [
    None,
    "text",
    "",
    0,
    1,
    7,
    12.5,
    3.0,
    "12.5",
    "7",
    "true",
    "FALSE",
    True,
    False,
    1700000000,
    "2026-01-02T03:04:05Z",
    "completed",
    "COMPLETED",
    "rendering_in_4k",
    {},
    {"code": 40119, "message": "m"},
    {"code": True},
    {"available": True, "reason": None},
    {"name": "n", "type": "t", "properties": None},
    {"v": {"name": 1}},
    [],
    [None],
    ["a", None, "b"],
    [1, 2],
    [[None]],
    [{"avatar_id": "a"}, None],
    [{"avatar_id": {}}],
]


def _field_names(model: type[m.Model]) -> list[str]:
    return [field.name for field in attrs.fields(model) if field.name != "raw"]


def _odd_answers(model: type[m.Model]) -> list[Any]:
    names = _field_names(model)
    answers: list[Any] = [{}, None, [], "text", 5, [None, {}], {"raw": 5, "not_a_field": None}]
    for name in names:
        for value in ODD_VALUES:
            answers += [{name: value}, {**dict.fromkeys(names), name: value}]
    for first, second in itertools.combinations(names, 2):
        for one, other in [(None, {}), ([None], "x"), ("x", [None, "y"]), (1.5, None)]:
            answers.append({first: one, second: other})
    if issubclass(model, m.ListModel):
        for key in (model._items, *model._item_keys):
            answers += [{key: [{}, None]}, {key: [{"id": {}}]}, {model._items: None, key: [None, {"name": "n"}]}]
        answers += [[{}, None, {"id": 3}], [{"avatar_id": []}]]
    return answers


def test_every_result_model_has_a_compiled_structure_function() -> None:
    """Else the comparison below would compare the slow path with itself."""
    for model in RESULT_MODELS:
        converter.get_structure_hook(model)
    assert [model for model in RESULT_MODELS if model not in _FAST] == []


@pytest.mark.parametrize("model", RESULT_MODELS, ids=lambda model: model.__name__)
def test_compiled_structuring_gives_what_the_detailed_path_gives(model: type[m.Model]) -> None:
    """For well-formed and malformed answers alike: the same values of the same types (raw included), or the
    same error with the same ``transform_error`` text."""
    for data in _odd_answers(model):
        assert outcome(data, model) == outcome(slowly(data), model), data


def test_a_null_for_a_field_with_a_non_none_default_takes_the_default() -> None:
    generation = structure_result({"id": "g", "image_url_list": None, "image_key_list": ["k"]}, m.PhotoGeneration)
    assert generation.image_url_list == []
    assert generation.image_key_list == ["k"]
    other = structure_result({"image_url_list": None}, m.PhotoGeneration)
    assert other.image_url_list is not generation.image_url_list  # a new list each time, as attrs makes it
    assert structure_result({"variables": None}, m.TemplateDetails).variables == {}
    assert structure_result({"avatars": None, "talking_photos": None}, m.AvatarList).talking_photos == []


def test_null_items_are_dropped_from_lists_at_the_top_of_a_field_only() -> None:
    avatars = structure_result(
        {"avatars": [None, {"avatar_id": "a", "tags": [None, "new"]}, None], "talking_photos": [None]}, m.AvatarList
    )
    assert [avatar.avatar_id for avatar in avatars] == ["a"]
    assert avatars[0].tags == ["new"]
    assert avatars.talking_photos == []
    info = structure_result({"ice_servers": [None, {"urls": "stun:x"}, [None]]}, m.StreamingSessionInfo)
    assert info.ice_servers == [{"urls": "stun:x"}, [None]]  # a field of any type too; not inside its items


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param({"id": 123}, ("id", "123"), id="number-for-text"),
        pytest.param({"duration": "12.5"}, ("duration", 12.5), id="text-for-float"),
        pytest.param({"created_at": 1700000000}, ("created_at", 1700000000.0), id="int-for-float"),
        pytest.param({"status": "COMPLETED"}, ("status", m.VideoStatus.COMPLETED), id="status-in-capitals"),
        pytest.param({"error": {"code": "E1"}}, ("error", m.VideoError(code="E1")), id="text-code"),
    ],
)
def test_values_a_hook_converts_are_converted_as_before(data: dict[str, Any], expected: tuple[str, Any]) -> None:
    name, value = expected
    video = structure_result(data, m.Video)
    assert getattr(video, name) == value
    assert type(getattr(video, name)) is type(value)
    assert outcome(data, m.Video) == outcome(slowly(data), m.Video)


def test_an_unknown_status_is_a_tolerant_value_on_either_path() -> None:
    for data in ({"status": "rendering_in_4k"}, slowly({"status": "rendering_in_4k"})):
        status = structure_result(data, m.Video).status
        assert status == "rendering_in_4k"
        assert status is not None
        assert not status.is_known


@pytest.mark.parametrize(
    ("model", "data", "problems"),
    [
        pytest.param(
            m.AvatarList,
            {
                "avatars": [{"avatar_id": "a"}, {"avatar_id": "b", "avatar_name": {"x": 1}}],
                "talking_photos": [None, {"talking_photo_id": []}],
            },
            "invalid value for type, expected str | None @ data.avatars[1].avatar_name; "
            "invalid value for type, expected str | None @ data.talking_photos[0].talking_photo_id",
            id="nested-in-lists",
        ),
        pytest.param(
            m.Video,
            {"id": "v", "status": 5, "error": {"code": True, "message": "m"}, "duration": "long"},
            "invalid value for type, expected heygen_async._models.VideoStatus | None @ data.status; "
            "invalid value for type, expected float | None @ data.duration; "
            "invalid value for type, expected int | str | None @ data.error.code",
            id="nested-object",
        ),
        pytest.param(
            m.Video,
            {"id": "v", "error": "boom"},
            "invalid value for type, expected heygen_async._models.VideoError | None @ data.error",
            id="text-for-object",
        ),
        pytest.param(
            m.AvatarList,
            {"avatars": "abc"},
            "invalid value for type, expected list @ data.avatars",  # text is not a list of its characters
            id="text-for-list",
        ),
        pytest.param(
            m.AvatarGroup,
            {"num_looks": True, "created_at": {}},
            "invalid value for type, expected int | None @ data.num_looks; "
            "invalid value for type, expected float | None @ data.created_at",
            id="flag-for-int",
        ),
    ],
)
def test_an_error_names_every_failing_field_as_before(model: type[m.Model], data: Any, problems: str) -> None:
    endpoint = next(e for e in ENDPOINTS if e.result == "AvatarList")
    with pytest.raises(hg.APIResponseError) as caught:
        structure(endpoint, model, data)
    assert str(caught.value) == f"{endpoint.key} answered with data that does not fit {model.__name__}: {problems}"


@pytest.mark.parametrize("data", ["text", [1], 5], ids=["text", "list", "number"])
def test_an_answer_that_is_not_an_object_is_a_type_error(data: Any) -> None:
    with pytest.raises(TypeError, match=f"^expected a JSON object for Video, got {type(data).__name__}$"):
        structure_result(data, m.Video)


def test_raw_is_the_json_as_received_at_every_level() -> None:
    error = {"code": 40119, "message": "too long", "extra": [None]}
    data = {"id": "v", "status": "failed", "error": error, "caption_url": None, "unknown": 1}
    video = structure_result(data, m.Video)
    assert video.raw is data
    assert video.error is not None
    assert video.error.raw is error
    avatar = {"avatar_id": "a", "tags": ["x", None]}
    items = [avatar, None]
    avatars = structure_result(items, m.AvatarList)
    assert avatars.raw is items  # a bare array: raw is the array, not the object made of it
    assert avatars[0].raw is avatar
    assert avatar == {"avatar_id": "a", "tags": ["x", None]}  # nothing cleaned in place
    aliased = {"groups": [{"id": "g"}], "total_count": 1}
    assert structure_result(aliased, m.AvatarGroupList).raw is aliased
