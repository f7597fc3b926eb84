"""Typed results: unknown fields kept, unknown statuses tolerated, raw JSON kept, credentials out of reprs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async import _models as m
from heygen_async._converter import structure_result
from heygen_async._spec._results import structure
from heygen_async._spec._table import ENDPOINTS


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
