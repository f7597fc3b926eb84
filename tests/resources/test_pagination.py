"""Token pagination: ``iter_all`` walks every page of videos, brand voices and folders, and stops."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aioresponses import aioresponses

import heygen_async as hg
from tests.support import BASE, FAST, TOKEN, sent


def page(items_key: str, items: list[dict[str, Any]], token: str | None, envelope: str = "v1") -> dict[str, Any]:
    data = {items_key: items, "token": token}
    return {"code": 100, "data": data, "message": "Success"} if envelope == "v1" else {"error": None, "data": data}


@pytest.mark.parametrize(
    ("namespace", "path", "items_key", "item_key", "kwargs", "forwarded"),
    [
        (
            "videos",
            "/v1/video.list",
            "videos",
            "video_id",
            {"limit": 2, "folder_id": "f1"},
            {"limit": "2", "folder_id": "f1"},
        ),
        (
            "brand_voices",
            "/v1/brand_voice/list",
            "list",
            "id",
            {"limit": 2, "name_only": True},
            {"limit": "2", "name_only": "true"},
        ),
        (
            "folders",
            "/v1/folders",
            "folders",
            "id",
            {"limit": 2, "is_trash": False},
            {"limit": "2", "is_trash": "false"},
        ),
    ],
)
async def test_iter_all_follows_tokens_until_the_last_page(
    mocked: aioresponses,
    sleeps: list[float],
    namespace: str,
    path: str,
    items_key: str,
    item_key: str,
    kwargs: dict[str, Any],
    forwarded: dict[str, str],
) -> None:
    url = re.compile(rf"^http://gateway\.test/heygen{re.escape(path)}\?.*$")
    mocked.get(url, payload=page(items_key, [{item_key: "a"}, {item_key: "b"}], "t-2"))
    mocked.get(url, payload=page(items_key, [{item_key: "c"}, {item_key: "d"}], "t-3", envelope="v2"))
    mocked.get(url, payload=page(items_key, [{item_key: "e"}], ""))
    async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=FAST) as client:
        seen = [getattr(item, item_key) async for item in getattr(client, namespace).iter_all(**kwargs)]
    assert seen == ["a", "b", "c", "d", "e"]
    queries = [dict(u.query) for _, u, _ in sent(mocked)]
    assert len(queries) == 3
    for query, token in zip(queries, (None, "t-2", "t-3"), strict=True):
        assert query.pop("api_token") == TOKEN
        assert query.pop("token", None) == token
        assert query == forwarded


async def test_a_null_token_ends_the_walk_and_so_does_a_repeated_one(mocked: aioresponses) -> None:
    url = re.compile(r"^http://gateway\.test/heygen/v1/video\.list\?.*$")
    mocked.get(url, payload=page("videos", [{"video_id": "a"}], None))
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        assert [v.video_id async for v in client.videos.iter_all()] == ["a"]
        mocked.get(url, payload=page("videos", [{"video_id": "b"}], "same"))
        mocked.get(url, payload=page("videos", [{"video_id": "c"}], "same"))
        mocked.get(url, payload=page("videos", [{"video_id": "never"}], None))
        assert [v.video_id async for v in client.videos.iter_all()] == ["b", "c"]
    assert len(sent(mocked)) == 3


async def test_list_returns_one_page_with_its_token(mocked: aioresponses) -> None:
    mocked.get(re.compile(r".*/v1/folders\?.*"), payload=page("folders", [{"id": "f1", "name": "Q3"}], "next"))
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        folders = await client.folders.list(limit=1)
    assert [f.name for f in folders] == ["Q3"]
    assert folders.token == "next"
    assert isinstance(folders, hg.FolderPage)


async def test_stopping_early_sends_no_more_requests(mocked: aioresponses) -> None:
    url = re.compile(r"^http://gateway\.test/heygen/v1/video\.list\?.*$")
    mocked.get(url, payload=page("videos", [{"video_id": "a"}, {"video_id": "b"}], "t-2"), repeat=True)
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        async for video in client.videos.iter_all():
            assert video.video_id == "a"
            break
    assert len(sent(mocked)) == 1
