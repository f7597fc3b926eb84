"""What a v3 answer becomes when part of it does not fit its model (the document may lag HeyGen): the parts that
fit are kept, down to a nested object's fields and a list's items, so no created job's id and no page of a
list is lost because one field beside it is malformed; ``raw`` keeps the answer as received."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async._spec._results import created_ids
from heygen_async._spec._v3_table import V3_ENDPOINTS_BY_NAME
from tests.support import FAST

DIRECT = "https://api.heygen.com"


def answering(m: aioresponses, method: str, path: str, data: Any, **more: Any) -> None:
    m.add(re.compile(rf"^{re.escape(DIRECT + path)}(\?.*)?$"), method, payload={"data": data, **more})


async def test_a_created_looks_id_survives_a_malformed_field_beside_it(caplog: pytest.LogCaptureFixture) -> None:
    answer = {"avatar_item": {"id": "look_1", "status": 5}, "avatar_group": {"id": "group_1"}}
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            answering(m, "POST", "/v3/avatars", answer)
            created = await client.v3.avatars.create(type="photo", name="Lina", file={"type": "url", "url": "u"})
    assert created.avatar_item is not None
    assert created.avatar_item.id == "look_1"
    assert created.avatar_item.status is None  # the field that did not fit keeps its default
    assert created.raw == answer
    creates = V3_ENDPOINTS_BY_NAME["v3.avatars.create"].creates
    assert creates is not None
    assert created_ids(creates, created, {}) == ["look_1"]  # what the job ledger records
    assert any("avatar_item.status" in record.getMessage() for record in caplog.records)


async def test_the_ids_a_create_lists_survive_a_malformed_field_beside_them() -> None:
    answer = {"proofread_ids": ["p_1", "p_2"], "status": 5}
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            answering(m, "POST", "/v3/video-translations/proofreads", answer)
            created = await client.v3.video_translations.proofreads.create(
                video={"type": "url", "url": "u"}, output_languages=["German"], title="Check"
            )
    assert created.proofread_ids == ["p_1", "p_2"]
    assert created.status is None


async def test_a_page_keeps_the_items_that_fit_and_its_cursor() -> None:
    page = [{"id": "v_1"}, {"id": "v_2", "duration": "long"}, "not an object", {"id": "v_3"}]
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            answering(m, "GET", "/v3/videos", page, has_more=True, next_token="t_2")
            answering(m, "GET", "/v3/videos", [{"id": "v_4"}], has_more=False, next_token=None)
            seen = [video.id async for video in client.v3.videos.iter_all()]
    assert seen == ["v_1", "v_2", "v_3", "v_4"]


async def test_what_did_not_fit_is_named_by_its_path_in_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    page = [{"id": "v_1"}, {"id": "v_2", "duration": "long"}]
    with caplog.at_level(logging.WARNING, logger="heygen_async"):
        async with hg.HeyGenClient.direct("k", retry=FAST) as client:
            with aioresponses() as m:
                answering(m, "GET", "/v3/videos", page, has_more=False)
                listed = await client.v3.videos.list()
    assert [video.id for video in listed] == ["v_1", "v_2"]
    (warning,) = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert "data[1].duration" in warning


async def test_a_list_of_ids_answered_as_one_string_is_that_id_not_its_characters() -> None:
    """``{"video_translation_ids": "t_abc"}`` once became the jobs "t", "_", "a", "b", "c": five ids HeyGen never
    made, and the real one lost. It is one id, raised with the error that says the answer had another shape."""
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            answering(m, "POST", "/v3/video-translations", {"video_translation_ids": "t_abc"})
            with pytest.raises(hg.CreatedResponseError) as caught:
                await client.v3.video_translations.create(video={"type": "url", "url": "u"}, output_languages=["es"])
    assert caught.value.created_id == "t_abc"


@pytest.mark.parametrize("value", ["abc", {"a": 1}, b"abc"], ids=["text", "object", "bytes"])
def test_a_value_that_is_not_a_list_never_structures_as_one(value: Any) -> None:
    from heygen_async._converter import converter

    with pytest.raises(TypeError, match="expected a list"):
        converter.structure(value, list[str])


async def test_an_answer_that_does_not_fit_never_shows_a_presigned_upload_slot() -> None:
    """A presigned upload URL and its headers let anyone write the asset until they expire: the models keep them
    out of their reprs, and an error showing an answer that did not fit masks them too."""
    signature = "X-Amz-Signature=9f3c0ffee4d1c3b2a1"
    security = "IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQ"
    slot = {"asset_id": "as_1", "upload_url": f"https://s3.example/as_1?{signature}"}
    answer = [{"batch_id": "b_1", "items": [{**slot, "upload_headers": {"x-amz-security-token": security}}]}]
    async with hg.HeyGenClient.direct("k", retry=FAST) as client:
        with aioresponses() as m:
            answering(m, "POST", "/v3/assets/direct-uploads/batches", answer)
            with pytest.raises(hg.CreatedResponseError) as caught:
                await client.v3.assets.direct_uploads.create_batch(
                    files=[{"filename": "a.png", "content_type": "image/png", "size_bytes": 10}]
                )
    error = caught.value
    assert error.created_id == "b_1"
    shown = f"{error} {error!r} {error.body!r} {error.raw!r}"
    assert signature not in shown
    assert security not in shown
