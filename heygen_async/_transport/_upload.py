"""Preparing an asset upload: what the file is, whether HeyGen will take it, and how to send it.

HeyGen takes the raw bytes with the file's MIME type at ``https://upload.heygen.com/v1/asset``.
LowCodeAPI's upload route instead takes multipart/form-data with the file in a field named ``file``; that
route is poorly documented, so through the gateway the target (``upload_url`` + ``/v1/asset``) is a client
setting. HeyGen v3's ``POST /v3/assets`` takes multipart too, and other types and limits (:data:`V3_RULES`).
Files over the documented limits are refused before anything is sent; a stream, whose size is unknown up
front, is counted as it is sent and aborted once it passes the limit.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Final

import anyio
import attrs

from heygen_async._exceptions import ValidationError

__all__ = [
    "CONTENT_TYPES",
    "LEGACY_RULES",
    "V3_CONTENT_TYPES",
    "V3_RULES",
    "UploadBody",
    "UploadRules",
    "prepare_upload",
]

MB: Final = 1024 * 1024
CONTENT_TYPES: Final = {
    "image/jpeg": 50 * MB,
    "image/png": 50 * MB,
    "audio/mpeg": 50 * MB,
    "video/mp4": 100 * MB,
    "video/webm": 100 * MB,
}
"""The MIME types HeyGen's legacy upload host accepts, with the documented size limit of each."""
V3_CONTENT_TYPES: Final = dict.fromkeys(
    (
        "image/jpeg",
        "image/png",
        "audio/mpeg",
        "audio/wav",
        "video/mp4",
        "video/webm",
        "application/pdf",
        "application/x-subrip",
    ),
    32 * MB,
)
"""What ``POST /v3/assets`` accepts: png, jpeg, mp4, webm, mp3, wav, pdf and srt, at most 32 MB each."""

_EXTENSIONS: Final = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".wav": "audio/wav",
    ".pdf": "application/pdf",
    ".srt": "application/x-subrip",
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
_SNIFF_BYTES: Final = 64
"""Enough of a file's first bytes to tell its type (an SRT file's first cue takes about 30)."""
_SRT: Final = re.compile(rb"(?:\xef\xbb\xbf)?[0-9]+[ \t]*\r?\n[0-9]{1,2}:[0-9]{2}:[0-9]{2}[,.][0-9]{1,3}[ \t]*-->")
Source = bytes | bytearray | memoryview | str | os.PathLike[str] | AsyncIterable[bytes]


@attrs.frozen
class UploadRules:
    """What an upload endpoint takes (``accepted``: MIME type -> size limit), and the names its errors use."""

    accepted: Mapping[str, int]
    endpoint: str
    parameter: str

    def fail(self, parameter: str | None, message: str) -> ValidationError:
        """The error for the file (``parameter`` None) or another argument."""
        name = parameter or self.parameter
        return ValidationError(f"{name} {message}", parameter=name, endpoint=self.endpoint)


LEGACY_RULES: Final = UploadRules(CONTENT_TYPES, "assets.upload", "data_or_path")
V3_RULES: Final = UploadRules(V3_CONTENT_TYPES, "v3.assets.upload", "file")


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes of a file show, among those HeyGen accepts (legacy or v3)."""
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
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if _SRT.match(head):
        return "application/x-subrip"
    return None


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


def _check_type(rules: UploadRules, content_type: str | None, detected: str | None) -> str:
    chosen = content_type or detected
    if chosen is None:
        raise rules.fail("content_type", f"could not be detected; pass one of {', '.join(rules.accepted)}")
    if chosen not in rules.accepted:
        raise rules.fail("content_type", f"must be one of {', '.join(rules.accepted)}, got {chosen!r}")
    return chosen


def _check_size(rules: UploadRules, size: int, content_type: str) -> None:
    limit = rules.accepted[content_type]
    if size > limit:
        raise rules.fail(None, f"is {size / MB:.1f} MB; HeyGen takes at most {limit // MB} MB of {content_type}")
    if size == 0:
        raise rules.fail(None, "is empty")


async def _head(rules: UploadRules, stream: AsyncIterator[object]) -> bytes:
    """The stream's first chunks, at least enough bytes to tell the file type (empty chunks skipped)."""
    head = b""
    while len(head) < _SNIFF_BYTES:
        chunk = await anext(stream, None)
        if chunk is None:
            break
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise rules.fail(None, f"must yield bytes, not {type(chunk).__name__}")
        head += bytes(chunk)
    return head


async def _counted(
    rules: UploadRules, chunks: AsyncIterator[object], first: bytes, content_type: str, refusals: list[ValidationError]
) -> AsyncIterator[bytes]:
    limit = rules.accepted[content_type]
    sent = len(first)
    if first:
        yield first
    async for chunk in chunks:
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            refusals.append(rules.fail(None, f"must yield bytes, not {type(chunk).__name__}"))
            raise refusals[-1]
        sent += len(chunk)
        if sent > limit:
            refusals.append(
                rules.fail(None, f"passed HeyGen's {limit // MB} MB limit for {content_type} while streaming")
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


async def prepare_upload(
    source: Source, content_type: str | None, *, multipart: bool, rules: UploadRules = LEGACY_RULES
) -> UploadBody:
    """Check and package ``source`` for sending by ``rules``; raises :class:`ValidationError` before anything is
    sent."""
    if content_type is not None and not isinstance(content_type, str):
        raise rules.fail("content_type", f"must be a string, not {type(content_type).__name__}")
    filename = "upload"
    stream: AsyncIterator[bytes] | None = None
    first = b""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        chosen = _check_type(rules, content_type, sniff(data[:_SNIFF_BYTES]))
        _check_size(rules, len(data), chosen)
    elif isinstance(source, (str, os.PathLike)):
        file = Path(source)
        try:
            info = await anyio.Path(file).stat()
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            raise rules.fail(None, f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
        if not stat.S_ISREG(info.st_mode):
            raise rules.fail(None, "is not a regular file")
        size = info.st_size
        by_name = _EXTENSIONS.get(file.suffix.lower())
        chosen = _check_type(rules, content_type, by_name)
        _check_size(rules, size, chosen)
        data = await anyio.Path(file).read_bytes()
        filename = file.name
        if content_type is None and by_name is not None and sniff(data[:_SNIFF_BYTES]) not in (None, by_name):
            raise rules.fail(None, f"is named {file.name!r} but its bytes are {sniff(data[:_SNIFF_BYTES])}")
    elif isinstance(source, AsyncIterable):
        stream = aiter(source)
        first = await _head(rules, stream)
        if not first:
            raise rules.fail(None, "is empty")
        chosen = _check_type(rules, content_type, sniff(first[:_SNIFF_BYTES]))
        if len(first) > rules.accepted[chosen]:
            raise rules.fail(None, f"is over HeyGen's {rules.accepted[chosen] // MB} MB limit for {chosen}")
        data = b""
    else:
        raise rules.fail(None, f"must be bytes, a path or an async iterable of bytes, not {type(source).__name__}")

    if stream is None:
        if not multipart:
            return UploadBody(data, chosen, {"Content-Type": chosen}, replayable=True)
        boundary = secrets.token_hex(16)
        payload = _multipart_head(chosen, filename, boundary) + data + _multipart_tail(boundary)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return UploadBody(payload, chosen, headers, replayable=True)
    refusals: list[ValidationError] = []
    counted = _counted(rules, stream, first, chosen, refusals)
    if not multipart:
        return UploadBody(counted, chosen, {"Content-Type": chosen}, replayable=False, refusals=refusals)
    boundary = secrets.token_hex(16)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return UploadBody(
        _multipart(counted, chosen, filename, boundary), chosen, headers, replayable=False, refusals=refusals
    )
