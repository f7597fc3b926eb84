"""``HeyGenSpeech``: text to LiveAvatar's PCM over HeyGen v3's ``POST /v3/voices/speech``, against the emulator
(which serves real WAV speech) and a local server for the download's failures."""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async.emulator import Emulator, EmulatorConfig, ManualClock
from tests.support import (
    NO_WAIT_RETRY,
    SARA,
    ServerFactory,
    assert_clean,
    error_text,
    hide_miniaudio,
    library_locals,
    zero_crossings,
)

TEXT = "Hello there, this is the emulated voice speaking"


async def spoken(tts: hg.HeyGenSpeech, text: str = TEXT) -> list[bytes]:
    return [chunk async for chunk in tts(text)]


async def reported_duration(client: hg.HeyGenClient, text: str = TEXT) -> float:
    answer = await client.v3.voices.speech.create(text=text, voice_id=SARA)
    assert answer.duration is not None
    return answer.duration


@pytest.mark.parametrize(
    ("config", "extra"),
    [
        pytest.param(EmulatorConfig(), False, id="24 kHz mono WAV, no extra needed"),
        pytest.param(EmulatorConfig(speech_sample_rate=44100, speech_channels=2), True, id="44.1 kHz stereo WAV"),
    ],
)
async def test_speech_is_pcm_24khz_mono_as_long_as_heygen_says(
    config: EmulatorConfig, extra: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not extra:
        hide_miniaudio(monkeypatch)
    async with Emulator(config, clock=ManualClock()) as emulator, emulator.direct_client() as client:
        chunks = await spoken(hg.HeyGenSpeech(client, voice_id=SARA))
        duration = await reported_duration(client)
    pcm = b"".join(chunks)
    assert len(pcm) == pytest.approx(duration * 48000, abs=4)
    assert all(0 < len(chunk) <= 48000 for chunk in chunks)
    assert zero_crossings(pcm) > 2 * 200 * duration * 0.5  # tones (220-440 Hz) over most of it, not silence


async def test_speech_goes_straight_into_pcm_frames(heygen_emulator: Emulator) -> None:
    async with heygen_emulator.direct_client() as client:
        tts = hg.HeyGenSpeech(client, voice_id=SARA, speed=1.5, language="en")
        frames = [frame async for frame in hg.pcm_frames(tts(TEXT))]
    assert len(frames[0]) == 28800
    assert all(len(frame) == 48000 for frame in frames[1:-1])


async def test_a_gateway_client_is_refused_with_nothing_sent(heygen_emulator: Emulator) -> None:
    async with heygen_emulator.client() as gateway:
        with pytest.raises(hg.ConfigurationError, match=r"HeyGenSpeech needs a direct client.*nothing was sent"):
            hg.HeyGenSpeech(gateway, voice_id=SARA)
    assert heygen_emulator.stats()["requests"] == 0
    assert heygen_emulator.stats()["v3"]["requests"] == 0


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"voice_id": ""}, "voice_id"),
        ({"voice_id": None}, "voice_id"),
        ({"voice_id": SARA, "speed": 3}, "speed"),
        ({"voice_id": SARA, "language": ""}, "language"),
        ({"voice_id": SARA, "max_bytes": 0}, "max_bytes"),
    ],
)
async def test_bad_settings_are_refused_when_made(
    heygen_emulator: Emulator, options: dict[str, Any], named: str
) -> None:
    async with heygen_emulator.direct_client() as client:
        with pytest.raises(hg.ValidationError) as caught:
            hg.HeyGenSpeech(client, **options)
    assert caught.value.parameter == named


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001, None])
async def test_a_bad_text_is_refused_by_the_call_with_nothing_sent(heygen_emulator: Emulator, text: Any) -> None:
    async with heygen_emulator.direct_client() as client:
        tts = hg.HeyGenSpeech(client, voice_id=SARA)
        with pytest.raises(hg.ValidationError) as caught:
            tts(text)
    assert caught.value.parameter == "text"
    assert heygen_emulator.stats()["v3"]["requests"] == 0


SIGNATURE = "sig-SECRET-123-do-not-show"
SIGNED = f"Signature={SIGNATURE}&Expires=1"
Media = web.Response | Callable[[web.Request], Awaitable[web.StreamResponse]]


def speech_server(media: Media) -> web.Application:
    """HeyGen's speech route answering with a signed audio URL on the same server, whose GET answers ``media``
    (a response, or a handler)."""

    async def speech(request: web.Request) -> web.Response:
        url = request.url.with_path("/media/speech.mp3").with_query(SIGNED)
        return web.json_response({"data": {"audio_url": str(url), "duration": 1.0}})

    async def audio(request: web.Request) -> web.StreamResponse:
        return media if isinstance(media, web.StreamResponse) else await media(request)

    app = web.Application()
    app.router.add_post("/v3/voices/speech", speech)
    app.router.add_get("/media/speech.mp3", audio)
    return app


async def cut_off(request: web.Request) -> web.StreamResponse:
    """Promises 10,000 bytes, sends 100 and hangs up: the client's read fails inside aiohttp."""
    response = web.StreamResponse(headers={"Content-Length": "10000"})
    await response.prepare(request)
    await response.write(bytes(100))
    assert request.transport is not None
    request.transport.close()
    return response


def chain(error: BaseException | None) -> list[BaseException]:
    """``error`` and every error linked to it (``__cause__`` and ``__context__``, shown or not)."""
    linked: list[BaseException] = []
    while error is not None and error not in linked:
        linked.append(error)
        error = error.__cause__ or error.__context__
    return linked


@pytest.mark.parametrize(
    ("media", "max_bytes", "error", "said"),
    [
        (web.Response(status=403, text="denied"), 10_000, hg.APIStatusError, "failed with HTTP 403"),
        (web.Response(body=bytes(5000)), 1000, hg.APIResponseError, "over max_bytes (1000 bytes)"),
        (web.Response(body=b"garbage, not audio " * 100), 10_000, hg.AudioFormatError, "could not be decoded"),
        (cut_off, 10_000, hg.APIConnectionError, "downloading the speech audio failed: "),
    ],
)
async def test_a_failed_download_is_a_typed_error_that_never_shows_the_signed_url(
    serve: ServerFactory, media: Media, max_bytes: int, error: type[Exception], said: str
) -> None:
    """Not in the error's text, nor in any error chained to it (aiohttp's carry the request's URL), nor in the
    local variables of the library's frames in their tracebacks, as an error tracker capturing locals records
    them (the speech answer's repr and aiohttp's response's both show the URL)."""
    base = (await serve(speech_server(media))).removesuffix("/heygen")
    async with hg.HeyGenClient.direct("key-1", base_url=base, retry=NO_WAIT_RETRY) as client:
        tts = hg.HeyGenSpeech(client, voice_id=SARA, max_bytes=max_bytes)
        with pytest.raises(error) as caught:
            await spoken(tts)
    assert said in str(caught.value)
    linked = chain(caught.value)
    seen = [error_text(each) for each in linked]
    captured = [
        "".join(traceback.TracebackException.from_exception(each, capture_locals=True).format()) for each in linked
    ]
    assert library_locals(caught.value), "the library's frames are in the traceback, their locals looked at"
    for what, texts in (("the errors' text", seen), ("the tracebacks' locals", captured)):
        for text in texts:
            assert_clean(what, text, SIGNATURE)
            assert "/media/" not in text, what
