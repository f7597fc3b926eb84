"""Asset upload: bytes, paths and streams; type detection; size limits before sending; both transports."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async._transport._upload import sniff
from tests.support import BASE, TOKEN, ServerFactory, sent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 64
MP3 = b"ID3\x03\x00" + b"\x00" * 64
ASSET = {
    "code": 100,
    "data": {"id": "a1", "name": "upload", "file_type": "image", "url": "https://x/a1.png", "image_key": "image/a1"},
    "message": "Success",
}
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (MP4, "video/mp4"), (WEBM, "video/webm"), (MP3, "audio/mpeg")],
)
def test_content_types_are_detected_from_the_bytes(data: bytes, content_type: str) -> None:
    assert sniff(data[:16]) == content_type


async def test_gateway_upload_is_multipart_with_a_file_field(mocked: aioresponses) -> None:
    mocked.post(re.compile(r"^http://gateway\.test/heygen/v1/asset\?.*$"), payload=ASSET)
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        asset = await client.assets.upload(PNG)
    assert asset.image_key == "image/a1"
    ((method, url, kwargs),) = sent(mocked)
    assert (method, url.path, url.query["api_token"]) == ("POST", "/heygen/v1/asset", TOKEN)
    content_type = kwargs["headers"]["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=")[1].encode()
    body: bytes = kwargs["data"]
    assert body.startswith(b"--" + boundary + b"\r\n")
    assert b'Content-Disposition: form-data; name="file"; filename="upload"' in body
    assert b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--" + boundary + b"--\r\n" in body


async def test_upload_url_is_configurable_for_the_gateway(mocked: aioresponses) -> None:
    mocked.post(re.compile(r"^https://uploads\.example/lowcode/v1/asset\?.*$"), payload=ASSET)
    async with hg.HeyGenClient(TOKEN, base_url=BASE, upload_url="https://uploads.example/lowcode") as client:
        await client.assets.upload(PNG)
    ((_, url, _),) = sent(mocked)
    assert url.host == "uploads.example"


async def test_direct_upload_sends_the_raw_bytes_to_the_upload_host(mocked: aioresponses) -> None:
    mocked.post("https://upload.heygen.com/v1/asset", payload=ASSET)
    async with hg.HeyGenClient.direct(heygen_api_key="hg-key") as client:
        await client.assets.upload(JPEG)
    ((_, url, kwargs),) = sent(mocked)
    assert str(url) == "https://upload.heygen.com/v1/asset"
    assert kwargs["data"] == JPEG
    assert kwargs["headers"]["Content-Type"] == "image/jpeg"
    assert kwargs["headers"]["X-Api-Key"] == "hg-key"


async def test_a_path_upload_uses_its_name_and_extension(mocked: aioresponses, tmp_path: Path) -> None:
    file = tmp_path / "intro clip.mp4"
    file.write_bytes(MP4)
    mocked.post(re.compile(r".*/v1/asset.*"), payload=ASSET)
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        await client.assets.upload(str(file))
    ((_, _, kwargs),) = sent(mocked)
    assert b'filename="intro clip.mp4"' in kwargs["data"]
    assert b"Content-Type: video/mp4" in kwargs["data"]


async def test_an_explicit_content_type_wins(mocked: aioresponses) -> None:
    mocked.post("https://upload.heygen.com/v1/asset", payload=ASSET)
    async with hg.HeyGenClient.direct(heygen_api_key="k") as client:
        await client.assets.upload(b"raw mpeg frames without a header", content_type="audio/mpeg")
    ((_, _, kwargs),) = sent(mocked)
    assert kwargs["headers"]["Content-Type"] == "audio/mpeg"


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize(
    ("make", "kwargs", "parameter", "message"),
    [
        pytest.param(lambda d: b"plain text", {}, "content_type", "could not be detected", id="undetectable"),
        pytest.param(lambda d: PNG, {"content_type": "image/gif"}, "content_type", "must be one of", id="gif"),
        pytest.param(lambda d: b"", {"content_type": "image/png"}, "data_or_path", "is empty", id="empty"),
        pytest.param(lambda d: 42, {}, "data_or_path", "must be bytes, a path", id="not-a-file"),
        pytest.param(lambda d: PNG + b"\x00" * (50 * MB), {}, "data_or_path", "at most 50 MB", id="image-over-50mb"),
        pytest.param(
            lambda d: str(_sparse(d / "big.mp4", 100 * MB + 1)),
            {},
            "data_or_path",
            "at most 100 MB",
            id="video-over-100mb",
        ),
        pytest.param(
            lambda d: str(_sparse(d / "big.mp3", 51 * MB)), {}, "data_or_path", "at most 50 MB", id="audio-over-50mb"
        ),
        pytest.param(lambda d: str(d / "missing.png"), {}, "data_or_path", "cannot be read", id="missing-file"),
        pytest.param(lambda d: str(d), {}, "data_or_path", "not a regular file", id="directory"),
        pytest.param(
            lambda d: str(_write(d / "photo.png", JPEG)),
            {},
            "data_or_path",
            "its bytes are image/jpeg",
            id="name-and-bytes-disagree",
        ),
        pytest.param(
            lambda d: str(_write(d / "notes.txt", b"hello")),
            {},
            "content_type",
            "could not be detected",
            id="unknown-extension",
        ),
    ],
)
async def test_bad_uploads_are_refused_before_sending(
    mocked: aioresponses, tmp_path: Path, make: Any, kwargs: dict[str, Any], parameter: str, message: str
) -> None:
    mocked.post(re.compile(r".*"), payload=ASSET, repeat=True)
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        with pytest.raises(hg.ValidationError, match=message) as caught:
            await client.assets.upload(make(tmp_path), **kwargs)
    assert caught.value.parameter == parameter
    assert sent(mocked) == []


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def _chunks(first: bytes, size: int, count: int) -> AsyncIterator[bytes]:
    yield first
    for _ in range(count):
        yield b"\x00" * size


class UploadSink:
    """A real server that records what each upload delivered."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bodies: list[tuple[str, int, bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.bodies.append((request.headers.get("Content-Type", ""), len(body), body[:200]))
        if self.status != 200:
            return web.json_response({"code": 1, "message": "busy"}, status=self.status)
        return web.json_response(ASSET)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=200 * MB)
        app.router.add_post("/heygen/v1/asset", self.handle)
        app.router.add_post("/v1/asset", self.handle)
        return app


async def test_streams_are_sent_chunk_by_chunk_through_the_gateway(serve: ServerFactory) -> None:
    sink = UploadSink()
    base = await serve(sink.app())
    async with hg.HeyGenClient(TOKEN, base_url=base) as client:
        asset = await client.assets.upload(_chunks(MP4, 64 * 1024, 16))
    assert asset.id == "a1"
    ((content_type, size, head),) = sink.bodies
    assert content_type.startswith("multipart/form-data; boundary=")
    assert b'name="file"' in head
    assert size > 16 * 64 * 1024


async def test_a_stream_over_the_limit_is_aborted_with_a_validation_error(serve: ServerFactory) -> None:
    sink = UploadSink()
    base = await serve(sink.app())
    root = base.removesuffix("/heygen")
    async with hg.HeyGenClient.direct(heygen_api_key="k", upload_url=root) as client:
        with pytest.raises(hg.ValidationError, match="50 MB limit for image/jpeg while streaming") as caught:
            await client.assets.upload(_chunks(JPEG, MB, 51))
    assert caught.value.parameter == "data_or_path"
    assert all(size <= 51 * MB for _, size, _ in sink.bodies)


async def test_a_stream_is_never_retried(serve: ServerFactory) -> None:
    sink = UploadSink(status=503)
    base = await serve(sink.app())
    policy = hg.RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0)
    async with hg.HeyGenClient(TOKEN, base_url=base, retry=policy) as client:
        with pytest.raises(hg.ServerError) as caught:
            await client.assets.upload(_chunks(PNG, 1024, 2))
        assert caught.value.attempts == 1
        with pytest.raises(hg.ServerError) as caught:
            await client.assets.upload(PNG)  # bytes can be sent again: a 503 is retried
        assert caught.value.attempts == 3
    assert len(sink.bodies) == 4


async def _one(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_a_one_chunk_stream_over_the_limit_is_refused_before_sending(mocked: aioresponses) -> None:
    mocked.post(re.compile(r".*"), payload=ASSET, repeat=True)
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        with pytest.raises(hg.ValidationError, match="over HeyGen's 100 MB limit"):
            await client.assets.upload(_one(MP4 + b"\x00" * (100 * MB)))
    assert sent(mocked) == []


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param((PNG[:4], PNG[4:]), id="header-split-across-chunks"),
        pytest.param((b"", PNG[:2], b"", PNG[2:]), id="empty-chunks-skipped"),
    ],
)
async def test_streams_are_sniffed_from_enough_bytes(mocked: aioresponses, chunks: tuple[bytes, ...]) -> None:
    mocked.post("https://upload.heygen.com/v1/asset", payload=ASSET)
    async with hg.HeyGenClient.direct(heygen_api_key="k") as client:
        await client.assets.upload(_one(*chunks))
    ((_, _, kwargs),) = sent(mocked)
    assert kwargs["headers"]["Content-Type"] == "image/png"
    assert kwargs["data"] == PNG


@pytest.mark.parametrize("brand", [b"heic", b"M4A ", b"qt  ", b"mif1"])
def test_other_iso_media_files_are_not_taken_for_mp4(brand: bytes) -> None:
    assert sniff(b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 8) is None


async def test_a_nul_byte_in_a_path_is_a_validation_error(mocked: aioresponses) -> None:
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        with pytest.raises(hg.ValidationError, match="cannot be read"):
            await client.assets.upload("photo\x00.png")
    assert sent(mocked) == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("we\\ird.png", 'filename="we%5Cird.png"'),
        ("trailing\\.png", 'filename="trailing%5C.png"'),
        ('q"uote.png', 'filename="q%22uote.png"'),
        ("café ☃.png", 'filename="café ☃.png"'),
    ],
)
async def test_multipart_file_names_cannot_break_their_quotes(
    mocked: aioresponses, tmp_path: Path, name: str, shown: str
) -> None:
    file = tmp_path / name
    file.write_bytes(PNG)
    mocked.post(re.compile(r".*/v1/asset.*"), payload=ASSET)
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        await client.assets.upload(file)
    ((_, _, kwargs),) = sent(mocked)
    head = kwargs["data"].split(b"\r\n\r\n", 1)[0].decode()
    assert shown in head


# -- HeyGen v3 (POST /v3/assets): png, jpeg, mp4, webm, mp3, wav, pdf and srt, at most 32 MB ------------------

V3_ASSETS = re.compile(r"^https://api\.heygen\.com/v3/assets$")
V3_ASSET = {"data": {"asset_id": "as_1", "url": "https://x/as_1", "mime_type": "audio/wav", "size_bytes": 72}}
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 64
SRT = b"1\r\n00:00:01,000 --> 00:00:02,500\r\nHello there\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nBye\r\n"


def part_type(kwargs: dict[str, Any]) -> bytes:
    """The Content-Type of the multipart body's one part."""
    body: bytes = kwargs["data"]
    return body.split(b"Content-Type: ", 1)[1].split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(WAV, b"audio/wav"), (PDF, b"application/pdf"), (SRT, b"application/x-subrip"), (PNG, b"image/png")],
    ids=["wav", "pdf", "srt", "png"],
)
async def test_a_v3_upload_takes_what_heygen_v3_takes(data: bytes, content_type: bytes) -> None:
    with aioresponses() as m:
        m.post(V3_ASSETS, payload=V3_ASSET)
        async with hg.HeyGenClient.direct("k") as client:
            uploaded = await client.v3.assets.upload(data)
        ((_, _, kwargs),) = sent(m)
    assert uploaded.asset_id == "as_1"
    assert part_type(kwargs) == content_type
    assert data in kwargs["data"]


async def test_a_v3_upload_of_subtitles_is_known_by_its_name_or_its_content_type(tmp_path: Path) -> None:
    untidy = b"\r\n" + SRT  # a blank line first: not recognisable from its bytes
    path = tmp_path / "captions.srt"
    path.write_bytes(untidy)
    with aioresponses() as m:
        m.post(V3_ASSETS, payload=V3_ASSET, repeat=True)
        async with hg.HeyGenClient.direct("k") as client:
            await client.v3.assets.upload(path)
            await client.v3.assets.upload(untidy, content_type="application/x-subrip")
        by_name, by_type = sent(m)
    assert part_type(by_name[2]) == part_type(by_type[2]) == b"application/x-subrip"
    assert b'filename="captions.srt"' in by_name[2]["data"]


@pytest.mark.parametrize("data", [PNG + b"\x00" * (32 * MB), WAV + b"\x00" * (32 * MB)], ids=["png", "wav"])
async def test_a_v3_upload_over_32_mb_is_refused_before_sending(data: bytes) -> None:
    """HeyGen v3 takes at most 32 MB (the legacy upload host took 50 MB of images, 100 MB of video)."""
    with aioresponses() as m:
        async with hg.HeyGenClient.direct("k") as client:
            with pytest.raises(hg.ValidationError, match="32 MB") as caught:
                await client.v3.assets.upload(data)
        assert sent(m) == []
    assert caught.value.parameter == "file"
    assert caught.value.endpoint == "v3.assets.upload"


async def test_the_legacy_upload_still_refuses_what_its_host_does_not_take(mocked: aioresponses) -> None:
    async with hg.HeyGenClient(TOKEN, base_url=BASE) as client:
        for data in (WAV, PDF):
            with pytest.raises(hg.ValidationError, match="content_type"):
                await client.assets.upload(data)
    assert sent(mocked) == []
