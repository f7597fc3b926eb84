"""parse_event: one typed class per HeyGen event, UnknownEvent for the rest, typed errors for non-events."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import heygen_async as hg
from heygen_async import webhooks

CASES: list[tuple[str, dict[str, Any], type[webhooks.WebhookEvent], dict[str, Any]]] = [
    (
        "avatar_video.success",
        {
            "video_id": "v1",
            "url": "https://r/v1.mp4",
            "callback_id": "mine",
            "video_share_page_url": "https://s/v1",
            "gif_download_url": "https://g/v1.gif",
            "folder_id": "f1",
        },
        webhooks.AvatarVideoSuccess,
        {"video_id": "v1", "url": "https://r/v1.mp4", "callback_id": "mine", "folder_id": "f1", "job_id": "v1"},
    ),
    (
        "avatar_video.fail",
        {"video_id": "v2", "msg": "Not enough credits", "callback_id": None},
        webhooks.AvatarVideoFail,
        {"video_id": "v2", "reason": "Not enough credits", "callback_id": None, "succeeded": False},
    ),
    ("avatar_video_gif.success", {"video_id": "v3", "url": "u"}, webhooks.AvatarVideoGifSuccess, {"job_id": "v3"}),
    ("avatar_video_gif.fail", {"video_id": "v4", "msg": "x"}, webhooks.AvatarVideoGifFail, {"succeeded": False}),
    (
        "video_translate.success",
        {"video_translate_id": "t1", "url": "https://r/t1.mp4", "callback_id": "c", "output_language": "French"},
        webhooks.VideoTranslateSuccess,
        {"video_translate_id": "t1", "output_language": "French", "job_id": "t1", "succeeded": True},
    ),
    (
        "video_translate.fail",
        {"video_translate_id": "t2", "message": "bad source", "output_language": "German"},
        webhooks.VideoTranslateFail,
        {"reason": "bad source", "job_id": "t2"},
    ),
    (
        "photo_avatar_generation.success",
        {"generation_id": "g1"},
        webhooks.PhotoAvatarGenerationSuccess,
        {"job_id": "g1"},
    ),
    ("photo_avatar_generation.fail", {"generation_id": "g2"}, webhooks.PhotoAvatarGenerationFail, {"job_id": "g2"}),
    ("photo_avatar_train.success", {"group_id": "pg1"}, webhooks.PhotoAvatarTrainSuccess, {"job_id": "pg1"}),
    (
        "photo_avatar_train.fail",
        {"group_id": "pg2", "msg": "blurry"},
        webhooks.PhotoAvatarTrainFail,
        {"reason": "blurry"},
    ),
    ("photo_avatar_add_motion.success", {"id": "l1"}, webhooks.PhotoAvatarAddMotionSuccess, {"job_id": "l1"}),
    ("photo_avatar_add_motion.fail", {"id": "l2"}, webhooks.PhotoAvatarAddMotionFail, {"succeeded": False}),
    (
        "personalized_video",
        {
            "project_id": "p1",
            "video_id": "pv1",
            "video_url": "https://r/pv1.mp4",
            "landing_page_url": "https://l/pv1",
            "gif_url": "https://g/pv1.gif",
            "gif_html": "<img>",
            "contact_info": {"email": "a@b.c"},
        },
        webhooks.PersonalizedVideo,
        {"project_id": "p1", "contact_info": {"email": "a@b.c"}, "succeeded": None, "job_id": "pv1"},
    ),
    # The events v3 added: HeyGen documents no payload, so each case gives its id under every key its class reads.
    (
        "avatar_video_caption.success",
        {"video_id": "vc1", "url": "https://r/vc1.mp4"},
        webhooks.AvatarVideoCaptionSuccess,
        {"job_id": "vc1", "url": "https://r/vc1.mp4"},
    ),
    (
        "avatar_video_caption.fail",
        {"video_id": "vc2", "failure_code": "caption_error", "failure_message": "no speech found"},
        webhooks.AvatarVideoCaptionFail,
        {"job_id": "vc2", "failure_code": "caption_error", "reason": "no speech found"},
    ),
    (
        "video_translate.preflight.validation_failed",
        {"video_translation_id": "t3", "message": "the video is over 3 hours"},
        webhooks.VideoTranslatePreflightValidationFailed,
        {"job_id": "t3", "reason": "the video is over 3 hours", "succeeded": False},
    ),
    (
        "video_translate.preflight.download_failed",
        {"video_translate_id": "t4", "video_translation_id": "t4-v3", "failure_message": "403 from the URL"},
        webhooks.VideoTranslatePreflightDownloadFailed,
        {"job_id": "t4", "reason": "403 from the URL", "succeeded": False},
    ),
    ("instant_avatar.success", {"avatar_id": "ia1", "id": "other"}, webhooks.InstantAvatarSuccess, {"job_id": "ia1"}),
    (
        "instant_avatar.fail",
        {"id": "ia2", "msg": "consent video missing"},
        webhooks.InstantAvatarFail,
        {"job_id": "ia2", "reason": "consent video missing"},
    ),
    ("proofread_creation.success", {"proofread_id": "pr1"}, webhooks.ProofreadCreationSuccess, {"job_id": "pr1"}),
    ("proofread_creation.fail", {"id": "pr2"}, webhooks.ProofreadCreationFail, {"job_id": "pr2"}),
    ("live_avatar.success", {"avatar_id": "la1"}, webhooks.LiveAvatarSuccess, {"job_id": "la1"}),
    ("live_avatar.fail", {"id": "la2", "message": "bad footage"}, webhooks.LiveAvatarFail, {"reason": "bad footage"}),
    (
        "video_agent.success",
        {"video_id": "va1", "session_id": "s1", "url": "https://r/va1.mp4"},
        webhooks.VideoAgentSuccess,
        {"job_id": "va1", "session_id": "s1", "url": "https://r/va1.mp4"},
    ),
    ("video_agent.fail", {"session_id": "s2"}, webhooks.VideoAgentFail, {"job_id": "s2", "video_id": None}),
    (
        "hyperframes_video.success",
        {"video_id": "hf1", "url": "https://r/hf1.mp4"},
        webhooks.HyperframesVideoSuccess,
        {"job_id": "hf1"},
    ),
    ("hyperframes_video.fail", {"id": "hf2"}, webhooks.HyperframesVideoFail, {"job_id": "hf2"}),
    ("ai_clipping.success", {"ai_clipping_id": "ac1"}, webhooks.AIClippingSuccess, {"job_id": "ac1"}),
    ("ai_clipping.fail", {"id": "ac2", "msg": "no speech"}, webhooks.AIClippingFail, {"job_id": "ac2"}),
    (
        "batch.finished",
        {"batch_id": "b1", "status": "completed"},
        webhooks.BatchFinished,
        {"job_id": "b1", "status": "completed", "succeeded": True},
    ),
]


@pytest.mark.parametrize(("event_type", "data", "cls", "expected"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("key", ["event_type", "event"])
def test_each_documented_event_parses_into_its_class(
    event_type: str, data: dict[str, Any], cls: type[webhooks.WebhookEvent], expected: dict[str, Any], key: str
) -> None:
    payload = {key: event_type, "event_data": data}
    body = json.dumps(payload).encode()
    for source in (body, body.decode(), payload):
        event = webhooks.parse_event(source)
        assert type(event) is cls
        assert event.event_type == event_type
        assert event.raw == payload
        assert dict(event.event_data) == data
        assert event.verified is False
        assert event.job_id is not None
        for name, value in expected.items():
            assert getattr(event, name) == value, name
        if "succeeded" not in expected:
            assert event.succeeded is event_type.endswith(".success")


def test_each_of_the_30_v3_event_names_has_a_class_of_its_own() -> None:
    assert len(webhooks.V3_EVENT_TYPES) == len(set(webhooks.V3_EVENT_TYPES)) == 30
    assert {case[0] for case in CASES} == set(webhooks.V3_EVENT_TYPES) == set(webhooks.EVENT_CLASSES)
    assert set(webhooks.V3_EVENT_TYPES) == webhooks.KNOWN_EVENT_TYPES
    for name, cls in webhooks.EVENT_CLASSES.items():
        assert cls.event_types == (name,)  # one class per name: endpoints subscribe to exactly what a class names
        assert cls.job_id_keys, name
    assert issubclass(webhooks.AvatarVideoGifFail, webhooks.AvatarVideoEvent)
    assert issubclass(webhooks.AvatarVideoCaptionFail, webhooks.AvatarVideoEvent)
    assert issubclass(webhooks.VideoTranslateFail, webhooks.VideoTranslateEvent)
    assert issubclass(webhooks.VideoTranslatePreflightDownloadFailed, webhooks.VideoTranslateEvent)


@pytest.mark.parametrize(
    ("status", "succeeded"), [("completed", True), ("FAILED", False), ("partial", None), (None, None)]
)
def test_a_finished_batch_succeeded_as_its_status_says(status: str | None, succeeded: bool | None) -> None:
    event = webhooks.parse_event({"event_type": "batch.finished", "event_data": {"batch_id": "b1", "status": status}})
    assert isinstance(event, webhooks.BatchFinished)
    assert (event.job_id, event.succeeded) == ("b1", succeeded)


def test_the_delivery_id_is_the_bodys_top_level_event_id_only() -> None:
    data = {"video_id": "v1", "event_id": "inside-the-data"}
    event = webhooks.parse_event({"event_id": "evt_1", "event_type": "avatar_video.success", "event_data": data})
    assert (event.event_id, event.job_id, event.event_data["event_id"]) == ("evt_1", "v1", "inside-the-data")
    assert webhooks.parse_event({"event_type": "avatar_video.success", "event_data": data}).event_id is None
    for odd in (12, "", "x" * 257, ["evt_1"]):
        payload = {"event_id": odd, "event_type": "avatar_video.success", "event_data": data}
        assert webhooks.parse_event(payload).event_id is None


@pytest.mark.parametrize("event_type", ["avatar_video.started", "brand_new.event"])
def test_other_events_are_unknown_events_that_keep_their_payload(event_type: str) -> None:
    payload = {"event_type": event_type, "event_data": {"id": "x", "nested": {"a": [1, 2]}}, "extra": True}
    event = webhooks.parse_event(json.dumps(payload).encode())
    assert type(event) is webhooks.UnknownEvent
    assert event.event_type == event_type
    assert event.raw == payload
    assert event.event_data == {"id": "x", "nested": {"a": [1, 2]}}
    assert event.job_id is None


def test_a_field_of_an_undocumented_type_is_left_unset_and_the_event_keeps_its_class(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One odd field must not hide a success from its class's handlers or its job from the waiters."""
    data = {"video_id": "v1", "msg": {"odd": 1}, "url": ["x"], "callback_id": "c"}
    payload = {"event_type": "avatar_video.success", "event_data": data}
    with caplog.at_level(logging.WARNING, logger="heygen_async.webhooks"):
        first = webhooks.parse_event(payload)
        second = webhooks.parse_event(payload)
    for event in (first, second):
        assert isinstance(event, webhooks.AvatarVideoSuccess)
        assert (event.video_id, event.job_id, event.callback_id) == ("v1", "v1", "c")
        assert (event.url, event.msg) == (None, None)
        assert event.raw == payload
    warnings = [r.getMessage() for r in caplog.records if "did not fit" in r.getMessage()]
    assert len(warnings) <= 1  # once per event type (another test may have logged this type already)
    if warnings:
        assert "msg, url" in warnings[0]


def test_a_numeric_id_is_read_as_text() -> None:
    event = webhooks.parse_event({"event_type": "avatar_video.success", "event_data": {"video_id": 12345}})
    assert isinstance(event, webhooks.AvatarVideoSuccess)
    assert event.video_id == "12345"


def test_a_missing_event_data_is_an_empty_object() -> None:
    event = webhooks.parse_event(b'{"event_type":"avatar_video.success"}')
    assert isinstance(event, webhooks.AvatarVideoSuccess)
    assert event.video_id is None
    assert event.job_id is None


def test_the_payload_cannot_claim_to_be_verified() -> None:
    event = webhooks.parse_event({"event_type": "avatar_video.success", "event_data": {"verified": True}})
    assert event.verified is False


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "JSON list, not an object"),
        (b'"text"', "JSON str, not an object"),
        (b"{}", "names no event"),
        (b'{"event_type": 5}', "names no event"),
        (b'{"event_type": ""}', "names no event"),
        (b'{"event_type": "avatar_video.success", "event_data": [1]}', "event_data is a JSON list"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
    ids=["garbage", "not-utf8", "list", "string", "empty", "number-type", "empty-type", "data-list", "deep"],
)
def test_a_body_that_is_not_an_event_is_a_payload_error(body: bytes, words: str) -> None:
    with pytest.raises(hg.WebhookPayloadError) as caught:
        webhooks.parse_event(body)
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_event_reprs_are_readable_and_omit_the_raw_payload() -> None:
    event = webhooks.parse_event({"event_type": "avatar_video.success", "event_data": {"video_id": "v1"}})
    text = repr(event)
    assert "AvatarVideoSuccess" in text
    assert "video_id='v1'" in text
    assert "raw=" not in text
