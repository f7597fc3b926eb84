"""Text to speech for LiveAvatar's LITE mode, where the caller supplies the avatar's voice as PCM.

A LITE session has no text path (LiveAvatar only renders the audio it is sent), so ``session.speak(text)``
runs the text through a :class:`TextToSpeech`: any callable from text to an async iterable of PCM s16le 24 kHz
mono chunks. :class:`HeyGenSpeech` is a ready one over HeyGen v3's ``POST /v3/voices/speech``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable
from typing import TYPE_CHECKING, Final, Protocol

import aiohttp
import anyio
from yarl import URL

from heygen_async._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    ConfigurationError,
    ValidationError,
)
from heygen_async._redact import Secret

from ._audio import BYTES_PER_SECOND, decode_audio

if TYPE_CHECKING:
    from heygen_async._client import HeyGenClient

__all__ = ["HeyGenSpeech", "TextToSpeech"]

DEFAULT_MAX_BYTES: Final = 32 * 1024 * 1024
"""The largest speech file :class:`HeyGenSpeech` downloads: HeyGen's longest text (5,000 characters) is a few
minutes of speech, a few MB as MP3 and some tens as WAV."""
_AUDIO_ENDPOINT: Final = "GET <speech audio URL>"
"""How errors name the download: the signed URL itself is never shown."""
_MAX_TEXT: Final = 5000


class TextToSpeech(Protocol):
    """Turns text into the avatar's voice: ``tts(text)`` returns an async iterable of PCM s16le 24 kHz mono
    chunks of any size (an async generator function fits). The session runs them through
    :func:`~heygen_async.pcm_frames`, which refuses other formats, so a TTS giving another rate converts
    itself (or yields through ``pcm_frames(..., sample_rate=...)`` with the ``audio`` extra)."""

    def __call__(self, text: str) -> AsyncIterable[bytes]: ...


class HeyGenSpeech:
    """A :class:`TextToSpeech` over HeyGen v3 (``client.v3.voices.speech.create``), for a direct client.

    Each call asks HeyGen for speech of ``voice_id`` (a starfish voice: ``client.v3.voices.list(engine=
    "starfish")``), downloads its ``audio_url`` through the client's own connection pool (no credential is sent
    to the media host; at most ``max_bytes``), decodes it with :func:`~heygen_async.decode_audio` and yields
    the PCM a second at a time. HeyGen does not state the file's format, so decoding needs the ``audio``
    extra (``pip install 'heygen-async[audio]'``) unless it is a 24 kHz mono 16-bit WAV.

    Errors: :class:`ValidationError` for bad arguments (here and per text), :class:`ConfigurationError` for a
    gateway client (v3 is HeyGen's own API), both before anything is sent; then the client's
    :class:`APIError` family, and :class:`AudioFormatError` for audio that cannot be decoded.
    """

    def __init__(
        self,
        client: HeyGenClient,
        *,
        voice_id: str,
        speed: float | None = None,
        language: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        from heygen_async._client import HeyGenClient
        from heygen_async._resources._base import check_v3_served
        from heygen_async._spec._v3_table import V3_ENDPOINTS_BY_NAME

        if not isinstance(client, HeyGenClient):
            raise ValidationError(f"client must be a HeyGenClient, not {type(client).__name__}", parameter="client")
        try:
            check_v3_served(client._transport, V3_ENDPOINTS_BY_NAME["v3.voices.speech.create"])
        except ConfigurationError as exc:
            raise ConfigurationError(f"HeyGenSpeech needs a direct client: {exc}") from None
        if not isinstance(voice_id, str) or not voice_id.strip():
            raise ValidationError(f"voice_id must be a non-empty string, got {voice_id!r}", parameter="voice_id")
        if speed is not None and (
            isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.5 <= speed <= 2.0
        ):
            raise ValidationError(f"speed must be a number within 0.5..2.0 or None, got {speed!r}", parameter="speed")
        if language is not None and (not isinstance(language, str) or not language.strip()):
            raise ValidationError(
                f"language must be a non-empty string or None, got {language!r}", parameter="language"
            )
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValidationError(f"max_bytes must be a whole number >= 1, got {max_bytes!r}", parameter="max_bytes")
        self._client = client
        self.voice_id = voice_id
        self.speed = speed
        self.language = language
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"<HeyGenSpeech voice_id={self.voice_id!r}>"

    def __call__(self, text: str) -> AsyncGenerator[bytes, None]:
        """The speech of ``text`` (1 to 5,000 characters, checked now) as PCM s16le 24 kHz mono chunks."""
        if not isinstance(text, str) or not text.strip() or len(text) > _MAX_TEXT:
            shown = f"a str of {len(text)} characters" if isinstance(text, str) else type(text).__name__
            raise ValidationError(f"text must be 1-{_MAX_TEXT} characters, not blank; got {shown}", parameter="text")
        return self._speak(text)

    async def _speak(self, text: str) -> AsyncGenerator[bytes, None]:
        answer = await self._client.v3.voices.speech.create(
            text=text, voice_id=self.voice_id, speed=self.speed, language=self.language
        )
        # The audio URL is signed (a credential while it lasts): only a Secret of it stays in this frame, which an
        # error tracker capturing locals would record (the answer's repr shows the URL).
        url = Secret(answer.audio_url) if answer.audio_url else None
        del answer
        if url is None:
            raise APIResponseError(
                "POST /v3/voices/speech answered without an audio_url",
                endpoint="POST /v3/voices/speech",
                status_code=200,
                body="",
            )
        data = await self._download(url)
        pcm = await anyio.to_thread.run_sync(decode_audio, data)
        del data
        for start in range(0, len(pcm), BYTES_PER_SECOND):
            yield pcm[start : start + BYTES_PER_SECOND]

    async def _download(self, url: Secret) -> bytes:
        """The file at ``url``, at most ``max_bytes``; errors never show the URL (it is signed)."""
        if not _is_web_url(url):
            raise APIResponseError(
                "POST /v3/voices/speech answered with an audio_url that is not an http(s) URL",
                endpoint="POST /v3/voices/speech",
                status_code=200,
                body="",
            )
        outcome = await self._fetch(url)
        if isinstance(outcome, APIError):
            raise outcome  # raised here, where no response and no aiohttp error is in scope or in its chain
        return outcome

    async def _fetch(self, url: Secret) -> bytes | APIError:
        """The file at ``url``, or the error to raise for it (returned, not raised: the frame holding the response,
        whose repr shows the URL, and aiohttp's errors, which carry it, stay out of the raised error's traceback
        and chain)."""
        transport = self._client._transport
        timeout = transport.options.timeout
        limits = transport._aiohttp_timeout(timeout.attempt, timeout.connect)
        chunks: list[bytes] = []
        try:
            # No credentials on a media host: a plain GET with this request's own headers only.
            async with transport.pool.session().get(
                URL(url.reveal(), encoded=True), headers={"Accept": "*/*"}, timeout=limits
            ) as response:
                if response.status != 200:
                    return APIStatusError(
                        f"downloading the speech audio failed with HTTP {response.status}",
                        endpoint=_AUDIO_ENDPOINT,
                        status_code=response.status,
                    )
                declared = response.content_length
                if declared is not None and declared > self.max_bytes:
                    return self._too_large()
                size = 0
                async for chunk in response.content.iter_any():
                    size += len(chunk)
                    if size > self.max_bytes:
                        return self._too_large()
                    chunks.append(chunk)
        except (OSError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return APIConnectionError(
                f"downloading the speech audio failed: {type(exc).__name__}",
                endpoint=_AUDIO_ENDPOINT,
                maybe_processed=True,
            )
        return b"".join(chunks)

    def _too_large(self) -> APIResponseError:
        return APIResponseError(
            f"the speech audio is over max_bytes ({self.max_bytes} bytes); raise HeyGenSpeech(max_bytes=...) or "
            "speak shorter texts",
            endpoint=_AUDIO_ENDPOINT,
            status_code=200,
            body="",
        )


def _is_web_url(url: Secret) -> bool:
    """Whether ``url`` is an http(s) URL with a host (checked in a frame of its own, gone once it returns)."""
    try:
        target = URL(url.reveal(), encoded=True)
    except ValueError:
        return False
    return target.scheme in ("http", "https") and bool(target.host)
