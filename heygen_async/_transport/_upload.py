"""Preparing an asset upload: what the file is, whether HeyGen will take it, and how to send it.

HeyGen takes the raw bytes with the file's MIME type at ``https://upload.heygen.com/v1/asset``.
LowCodeAPI's upload route instead takes multipart/form-data with the file in a field named ``file``; that
route is poorly documented, so through the gateway the target (``upload_url`` + ``/v1/asset``) is a client
setting. Files over HeyGen's documented limits are refused before anything is sent; a stream, whose size is
unknown up front, is counted as it is sent and aborted once it passes the limit.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Any, Final

import anyio
import attrs

from heygen_async._exceptions import ValidationError

__all__ = ["CONTENT_TYPES", "UploadBody", "prepare_upload"]

MB: Final = 1024 * 1024
CONTENT_TYPES: Final = {
    "image/jpeg": 50 * MB,
    "image/png": 50 * MB,
    "audio/mpeg": 50 * MB,
    "video/mp4": 100 * MB,
    "video/webm": 100 * MB,
}
"""The MIME types HeyGen accepts, with the documented size limit of each."""

_EXTENSIONS: Final = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
}
# ISO base media files all say "ftyp"; only these brands are MP4 video (HEIC images, M4A audio and QuickTime
# files share the box and must not be sent as video/mp4).
_MP4_BRANDS: Final = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"dash",
        b"MSNV",
        b"f4v ",
        b"mmp4",
    }
)
_SNIFF_BYTES: Final = 16
_ENDPOINT: Final = "assets.upload"
Source = bytes | bytearray | memoryview | str | os.PathLike[str] | AsyncIterable[bytes]


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes of a file show, among those HeyGen accepts."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
        return "video/mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def _fail(parameter: str, message: str) -> ValidationError:
    return ValidationError(f"{parameter} {message}", parameter=parameter, endpoint=_ENDPOINT)


@attrs.frozen
class UploadBody:
    """What to send: ``data`` (bytes, or an async iterator when streaming) and its headers.

    ``refusals`` receives the :class:`ValidationError` a stream raised mid-send (aiohttp reports it as a
    connection failure; the caller raises this instead).
    """

    data: Any
    content_type: str
    headers: dict[str, str]
    replayable: bool
    refusals: list[ValidationError] = attrs.Factory(list)


def _check_type(content_type: str | None, detected: str | None) -> str:
    chosen = content_type or detected
    if chosen is None:
        raise _fail("content_type", f"could not be detected; pass one of {', '.join(CONTENT_TYPES)}")
    if chosen not in CONTENT_TYPES:
        raise _fail("content_type", f"must be one of {', '.join(CONTENT_TYPES)}, got {chosen!r}")
    return chosen


def _check_size(size: int, content_type: str) -> None:
    limit = CONTENT_TYPES[content_type]
    if size > limit:
        raise _fail("data_or_path", f"is {size / MB:.1f} MB; HeyGen takes at most {limit // MB} MB of {content_type}")
    if size == 0:
        raise _fail("data_or_path", "is empty")


async def _head(stream: AsyncIterator[object]) -> bytes:
    """The stream's first chunks, at least enough bytes to tell the file type (empty chunks skipped)."""
    head = b""
    while len(head) < _SNIFF_BYTES:
        chunk = await anext(stream, None)
        if chunk is None:
            break
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise _fail("data_or_path", f"must yield bytes, not {type(chunk).__name__}")
        head += bytes(chunk)
    return head


async def _counted(
    chunks: AsyncIterator[object], first: bytes, content_type: str, refusals: list[ValidationError]
) -> AsyncIterator[bytes]:
    limit = CONTENT_TYPES[content_type]
    sent = len(first)
    if first:
        yield first
    async for chunk in chunks:
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            refusals.append(_fail("data_or_path", f"must yield bytes, not {type(chunk).__name__}"))
            raise refusals[-1]
        sent += len(chunk)
        if sent > limit:
            refusals.append(
                _fail("data_or_path", f"passed HeyGen's {limit // MB} MB limit for {content_type} while streaming")
            )
            raise refusals[-1]
        yield bytes(chunk)


async def _multipart(
    chunks: AsyncIterable[bytes], content_type: str, filename: str, boundary: str
) -> AsyncIterator[bytes]:
    yield _multipart_head(content_type, filename, boundary)
    async for chunk in chunks:
        yield chunk
    yield _multipart_tail(boundary)


def _multipart_head(content_type: str, filename: str, boundary: str) -> bytes:
    # Percent-encode what would end or escape the quoted string, as browsers do (HTML's form encoding).
    safe_name = filename.replace("\\", "%5C").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A") or "upload"
    return (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()


def _multipart_tail(boundary: str) -> bytes:
    return f"\r\n--{boundary}--\r\n".encode()


async def prepare_upload(source: Source, content_type: str | None, *, multipart: bool) -> UploadBody:
    """Check and package ``source`` for sending; raises :class:`ValidationError` before anything is sent."""
    if content_type is not None and not isinstance(content_type, str):
        raise _fail("content_type", f"must be a string, not {type(content_type).__name__}")
    filename = "upload"
    stream: AsyncIterator[bytes] | None = None
    first = b""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        chosen = _check_type(content_type, sniff(data[:16]))
        _check_size(len(data), chosen)
    elif isinstance(source, (str, os.PathLike)):
        file = Path(source)
        try:
            info = await anyio.Path(file).stat()
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            raise _fail("data_or_path", f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
        if not stat.S_ISREG(info.st_mode):
            raise _fail("data_or_path", "is not a regular file")
        size = info.st_size
        by_name = _EXTENSIONS.get(file.suffix.lower())
        chosen = _check_type(content_type, by_name)
        _check_size(size, chosen)
        data = await anyio.Path(file).read_bytes()
        filename = file.name
        if content_type is None and by_name is not None and sniff(data[:16]) not in (None, by_name):
            raise _fail("data_or_path", f"is named {file.name!r} but its bytes are {sniff(data[:16])}")
    elif isinstance(source, AsyncIterable):
        stream = aiter(source)
        first = await _head(stream)
        if not first:
            raise _fail("data_or_path", "is empty")
        chosen = _check_type(content_type, sniff(first[:_SNIFF_BYTES]))
        if len(first) > CONTENT_TYPES[chosen]:
            raise _fail("data_or_path", f"is over HeyGen's {CONTENT_TYPES[chosen] // MB} MB limit for {chosen}")
        data = b""
    else:
        raise _fail("data_or_path", f"must be bytes, a path or an async iterable of bytes, not {type(source).__name__}")

    if stream is None:
        if not multipart:
            return UploadBody(data, chosen, {"Content-Type": chosen}, replayable=True)
        boundary = secrets.token_hex(16)
        payload = _multipart_head(chosen, filename, boundary) + data + _multipart_tail(boundary)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return UploadBody(payload, chosen, headers, replayable=True)
    refusals: list[ValidationError] = []
    counted = _counted(stream, first, chosen, refusals)
    if not multipart:
        return UploadBody(counted, chosen, {"Content-Type": chosen}, replayable=False, refusals=refusals)
    boundary = secrets.token_hex(16)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return UploadBody(
        _multipart(counted, chosen, filename, boundary), chosen, headers, replayable=False, refusals=refusals
    )
