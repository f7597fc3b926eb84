"""Bad input gets a ValidationError naming the parameter, and not one request is sent."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import attrs
import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async import _inputs as i
from heygen_async._spec._table import ENDPOINTS_BY_NAME
from heygen_async._spec._types import Param
from heygen_async._spec._validation import build_request
from tests.support import BASE, FAST, PHOTO, TOKEN, sent, sent_json

Call = Callable[[hg.HeyGenClient], Awaitable[Any]]

AVATAR: dict[str, Any] = {"type": "avatar", "avatar_id": "Angela-inTshirt-20220820"}
TEXT: dict[str, Any] = {"type": "text", "input_text": "Hello", "voice_id": "1bd001e7e50f421d891986aad5158bc8"}
SCENE: dict[str, Any] = {"character": AVATAR, "voice": TEXT}
LOOKS: dict[str, Any] = {
    "group_id": "g1",
    "prompt": "in a suit",
    "orientation": "square",
    "pose": "close_up",
    "style": "Pixar",
}


def scene(**changes: Any) -> dict[str, Any]:
    return {**SCENE, **changes}


def generate(*scenes: Any, **kwargs: Any) -> Call:
    return lambda c: c.videos.generate(list(scenes), **kwargs)


BAD: list[Any] = [
    # missing or empty required values
    pytest.param(lambda c: c.videos.status(None), "video_id", id="missing-query-param"),
    pytest.param(lambda c: c.videos.status(""), "video_id", id="empty-required-string"),
    pytest.param(lambda c: c.streaming.task("s-1", None), "text", id="missing-body-param"),
    pytest.param(
        lambda c: c.photo_avatars.generate_photos(**{**PHOTO, "appearance": None}),
        "appearance",
        id="missing-one-of-eight",
    ),
    pytest.param(lambda c: c.webhooks.delete_endpoint(None), "endpoint_id", id="missing-query-and-body-param"),
    # wrong types
    pytest.param(lambda c: c.videos.status(123), "video_id", id="int-for-string"),
    pytest.param(lambda c: c.videos.list(limit="10"), "limit", id="string-for-int"),
    pytest.param(lambda c: c.videos.list(limit=1.5), "limit", id="float-for-int"),
    pytest.param(lambda c: c.videos.list(limit=True), "limit", id="bool-for-int"),
    pytest.param(lambda c: c.avatar_groups.list(include_public="yes"), "include_public", id="string-for-bool"),
    pytest.param(lambda c: c.photo_avatars.add_looks("g1", "key"), "image_keys", id="string-for-list"),
    pytest.param(lambda c: c.photo_avatars.add_looks("g1", [1, 2]), "image_keys[0]", id="ints-in-list"),
    pytest.param(generate(SCENE, dimension=[1280, 720]), "dimension", id="list-for-dimension"),
    pytest.param(lambda c: c.videos.generate(SCENE), "video_inputs", id="dict-for-scene-list"),
    pytest.param(lambda c: c.streaming.new(activity_idle_timeout=True), "activity_idle_timeout", id="bool-for-int2"),
    pytest.param(lambda c: c.streaming.new(stt_settings="deepgram"), "stt_settings", id="string-for-object"),
    pytest.param(generate(SCENE, title=["t"]), "title", id="list-for-string"),
    # values outside an enum
    pytest.param(lambda c: c.photo_avatars.generate_photos(**{**PHOTO, "pose": "sideways"}), "pose", id="pose"),
    pytest.param(lambda c: c.photo_avatars.generate_photos(**{**PHOTO, "style": "Anime"}), "style", id="style"),
    pytest.param(
        lambda c: c.photo_avatars.generate_photos(**{**PHOTO, "orientation": "round"}), "orientation", id="orientation"
    ),
    pytest.param(
        lambda c: c.photo_avatars.generate_photos(**{**PHOTO, "age": "young adult"}), "age", id="enum-is-case-sensitive"
    ),
    pytest.param(
        lambda c: c.photo_avatars.generate_photos(**{**PHOTO, "ethnicity": "Martian"}), "ethnicity", id="ethnicity"
    ),
    pytest.param(lambda c: c.photo_avatars.generate_looks(**{**LOOKS, "pose": "lying"}), "pose", id="looks-pose"),
    pytest.param(lambda c: c.streaming.new(quality="ultra"), "quality", id="quality"),
    pytest.param(lambda c: c.streaming.new(video_encoding="AV1"), "video_encoding", id="video-encoding"),
    pytest.param(lambda c: c.streaming.task("s-1", "hi", task_type="sing"), "task_type", id="task-type"),
    pytest.param(lambda c: c.streaming.task("s-1", "hi", task_mode="later"), "task_mode", id="task-mode"),
    pytest.param(
        lambda c: c.videos.generate_webm("a", input_audio="u", avatar_style="circle"), "avatar_style", id="webm-style"
    ),
    pytest.param(lambda c: c.folders.create("f", project_type="music"), "project_type", id="project-type"),
    pytest.param(
        lambda c: c.translations.create("https://x/v.mp4", output_language="French", mode="slow"),
        "mode",
        id="translate-mode",
    ),
    # documented limits
    pytest.param(
        lambda c: c.photo_avatars.add_looks("g1", ["k1", "k2", "k3", "k4", "k5"]), "image_keys", id="five-image-keys"
    ),
    pytest.param(lambda c: c.photo_avatars.add_looks("g1", []), "image_keys", id="no-image-keys"),
    pytest.param(
        lambda c: c.photo_avatars.generate_photos(**{**PHOTO, "appearance": "x" * 1001}),
        "appearance",
        id="appearance-1001-chars",
    ),
    pytest.param(generate(SCENE, dimension={"width": 1281, "height": 720}), "dimension.width", id="odd-width"),
    pytest.param(generate(SCENE, dimension=i.Dimension(1280, 4098)), "dimension.height", id="height-over-4096"),
    pytest.param(generate(SCENE, dimension={"width": 126, "height": 720}), "dimension.width", id="width-under-128"),
    pytest.param(generate(SCENE, dimension={"width": 1280}), "dimension.height", id="missing-height"),
    pytest.param(generate(), "video_inputs", id="no-scenes"),
    pytest.param(generate(*[SCENE] * 51), "video_inputs", id="51-scenes"),
    pytest.param(lambda c: c.videos.list(limit=101), "limit", id="limit-over-100"),
    pytest.param(lambda c: c.folders.list(limit=-1), "limit", id="negative-limit"),
    pytest.param(lambda c: c.streaming.new(activity_idle_timeout=29), "activity_idle_timeout", id="idle-under-30"),
    pytest.param(lambda c: c.streaming.new(activity_idle_timeout=3601), "activity_idle_timeout", id="idle-over-3600"),
    pytest.param(
        lambda c: c.translations.create("https://x/v.mp4", output_language="French", speaker_num=0),
        "speaker_num",
        id="zero-speakers",
    ),
    pytest.param(
        lambda c: c.videos.generate_webm("a", input_text="x" * 5001, voice_id="v"),
        "input_text",
        id="webm-text-too-long",
    ),
    # nested scene checks
    pytest.param(generate({"character": AVATAR}), "video_inputs[0].voice", id="scene-without-voice"),
    pytest.param(
        generate(SCENE, scene(character={"type": "robot"})), "video_inputs[1].character.type", id="unknown-character"
    ),
    pytest.param(
        generate(scene(character={"type": "avatar"})), "video_inputs[0].character.avatar_id", id="avatar-without-id"
    ),
    pytest.param(
        generate(scene(character={"type": "talking_photo"})),
        "video_inputs[0].character.talking_photo_id",
        id="talking-photo-without-id",
    ),
    pytest.param(
        generate(scene(character={**AVATAR, "avatar_style": "square"})),
        "video_inputs[0].character.avatar_style",
        id="avatar-style",
    ),
    pytest.param(
        generate(scene(character={**AVATAR, "offset": {"x": 0.1}})),
        "video_inputs[0].character.offset.y",
        id="offset-without-y",
    ),
    pytest.param(generate(scene(voice={**TEXT, "speed": 2.0})), "video_inputs[0].voice.speed", id="voice-speed"),
    pytest.param(generate(scene(voice={**TEXT, "pitch": -51})), "video_inputs[0].voice.pitch", id="voice-pitch"),
    pytest.param(
        generate(scene(voice={**TEXT, "input_text": "x" * 5001})),
        "video_inputs[0].voice.input_text",
        id="voice-text-too-long",
    ),
    pytest.param(
        generate(scene(voice={"type": "text", "input_text": "hi"})),
        "video_inputs[0].voice.voice_id",
        id="text-voice-without-voice-id",
    ),
    pytest.param(generate(scene(voice={"type": "audio"})), "video_inputs[0].voice", id="audio-without-source"),
    pytest.param(
        generate(scene(voice={"type": "silence", "duration": 0})), "video_inputs[0].voice.duration", id="zero-silence"
    ),
    pytest.param(
        generate(scene(background={"type": "color", "value": "red"})),
        "video_inputs[0].background.value",
        id="colour-not-hex",
    ),
    pytest.param(
        generate(scene(background={"type": "image"})),
        "video_inputs[0].background",
        id="image-background-without-source",
    ),
    pytest.param(
        generate(scene(background={"type": "video", "url": "u", "play_style": "bounce"})),
        "video_inputs[0].background.play_style",
        id="play-style",
    ),
    pytest.param(generate(scene(voice={**TEXT, "speed": float("nan")})), "video_inputs[0].voice.speed", id="nan"),
    pytest.param(
        generate(scene(character={**AVATAR, "scale": float("inf")})), "video_inputs[0].character.scale", id="infinite"
    ),
    # other nested inputs
    pytest.param(lambda c: c.streaming.new(voice={"emotion": "Angry"}), "voice.emotion", id="streaming-emotion"),
    pytest.param(lambda c: c.streaming.new(voice=i.StreamingVoice(rate=3.0)), "voice.rate", id="streaming-rate"),
    pytest.param(lambda c: c.streaming.start("s-1", sdp={"sdp": "v=0", "type": "pranswer"}), "sdp.type", id="sdp"),
    pytest.param(
        lambda c: c.templates.generate("t1", {"name": {"type": "gif", "properties": {}}}),
        "variables['name'].type",
        id="template-variable-type",
    ),
    pytest.param(
        lambda c: c.templates.generate("t1", {"name": "Hello"}), "variables['name']", id="template-variable-not-object"
    ),
    # rules across parameters
    pytest.param(lambda c: c.videos.generate_webm("a"), "input_text", id="webm-needs-text-or-audio"),
    pytest.param(lambda c: c.videos.generate_webm("a", input_text="hi"), "voice_id", id="webm-text-needs-voice"),
    pytest.param(lambda c: c.translations.create("https://x/v.mp4"), "output_language", id="translate-needs-language"),
    # path values
    pytest.param(lambda c: c.photo_avatars.get("../../v1/user/me"), "id", id="path-traversal"),
    pytest.param(lambda c: c.templates.get("t?x=1"), "template_id", id="query-injection"),
    pytest.param(lambda c: c.folders.rename("a/b", "new name"), "folder_id", id="slash-in-id"),
    pytest.param(lambda c: c.translations.status(".."), "video_translate_id", id="dot-dot"),
    # odd Python values
    pytest.param(lambda c: c.videos.list(limit=10**400), "limit", id="huge-int"),
    pytest.param(lambda c: c.videos.list(limit=10**5000), "limit", id="int-too-long-to-print"),
    pytest.param(generate(SCENE, dimension={"width": 10**400, "height": 720}), "dimension.width", id="huge-width"),
    pytest.param(lambda c: c.videos.status("\ud800"), "video_id", id="lone-surrogate-in-query"),
    pytest.param(lambda c: c.photo_avatars.get("a\udcff"), "id", id="lone-surrogate-in-path"),
    pytest.param(lambda c: c.folders.list(name_filter="\ud800"), "name_filter", id="lone-surrogate-in-filter"),
    pytest.param(lambda c: c.videos.status(b"v1"), "video_id", id="bytes-for-string"),
    pytest.param(lambda c: c.photo_avatars.add_looks("g1", ["k1", None]), "image_keys[1]", id="none-in-list"),
    # nested values of the wrong type
    pytest.param(
        generate(scene(voice={"type": "audio", "audio_url": 123})),
        "video_inputs[0].voice.audio_url",
        id="audio-url-not-text",
    ),
    pytest.param(
        generate(scene(voice={"type": "audio", "audio_asset_id": ["x"]})),
        "video_inputs[0].voice.audio_asset_id",
        id="audio-asset-not-text",
    ),
    pytest.param(
        generate(scene(background={"type": "image", "url": True})),
        "video_inputs[0].background.url",
        id="image-url-not-text",
    ),
    pytest.param(
        generate(scene(background={"type": "video", "video_asset_id": {"id": 1}})),
        "video_inputs[0].background.video_asset_id",
        id="video-asset-not-text",
    ),
    pytest.param(
        generate(scene(voice={"type": "audio", "audio_url": "  "})), "video_inputs[0].voice", id="audio-url-blank"
    ),
    pytest.param(lambda c: c.templates.generate("t1", {}), "variables", id="no-template-variables"),
    pytest.param(
        lambda c: c.templates.generate("t1", {"n": {"type": "text", "properties": {}}}),
        "variables['n'].properties.content",
        id="text-variable-without-content",
    ),
    pytest.param(
        lambda c: c.templates.generate("t1", {"n": {"type": "text", "properties": {"content": 123}}}),
        "variables['n'].properties.content",
        id="text-variable-content-not-text",
    ),
    pytest.param(
        lambda c: c.templates.generate("t1", {"n": {"type": "character", "properties": {}}}),
        "variables['n'].properties.character_id",
        id="character-variable-without-id",
    ),
    pytest.param(
        lambda c: c.templates.generate("t1", {"n": {"type": "image", "properties": {"fit": "cover"}}}),
        "variables['n'].properties",
        id="image-variable-without-source",
    ),
    pytest.param(
        lambda c: c.templates.generate("t1", {"n": {"type": "voice", "properties": {"voice_id": ""}}}),
        "variables['n'].properties.voice_id",
        id="voice-variable-blank",
    ),
    # an empty string does not count as given for either-or rules
    pytest.param(
        lambda c: c.videos.generate_webm("a", input_text="", voice_id="v"), "input_text", id="webm-empty-text"
    ),
    pytest.param(
        lambda c: c.videos.generate_webm("a", input_text="hi", voice_id=""), "voice_id", id="webm-empty-voice"
    ),
    pytest.param(
        lambda c: c.translations.create("https://x/v.mp4", output_language=""),
        "output_language",
        id="translate-empty-language",
    ),
    # per-call options
    pytest.param(lambda c: c.avatars.list(timeout="5"), "timeout", id="timeout-text"),
    pytest.param(lambda c: c.avatars.list(timeout=float("inf")), "timeout", id="timeout-infinite"),
    pytest.param(lambda c: c.avatars.list(timeout=-1), "timeout", id="timeout-negative"),
    pytest.param(lambda c: c.avatars.list(timeout=10**400), "timeout", id="timeout-huge"),
    pytest.param(lambda c: c.avatars.list(max_retries=-1), "max_retries", id="max-retries-negative"),
    pytest.param(lambda c: c.avatars.list(max_retries="2"), "max_retries", id="max-retries-text"),
    pytest.param(lambda c: c.request("GET", "/v2/avatars", retry="fast"), "retry", id="retry-not-a-policy"),
    # escape hatches
    pytest.param(
        lambda c: c.videos.status("v1", extra_query={"video_id": "v2"}), "extra_query", id="extra-query-repeats-a-param"
    ),
    pytest.param(
        lambda c: c.avatars.list(extra_query={"api_token": "at_other"}), "extra_query", id="extra-query-sets-the-token"
    ),
    pytest.param(generate(SCENE, title="t", extra_body={"title": "u"}), "extra_body", id="extra-body-repeats"),
    pytest.param(generate(SCENE, extra_body={"title": "u"}), "extra_body", id="extra-body-stands-in-for-a-param"),
    pytest.param(
        lambda c: c.photo_avatars.get("look1", extra_query={"id": "../../v1/user/me"}),
        "extra_query",
        id="extra-query-smuggles-a-path-value",
    ),
    pytest.param(lambda c: c.avatars.list(extra_query=[("a", 1)]), "extra_query", id="extra-query-not-a-mapping"),
    pytest.param(lambda c: c.avatars.list(extra_query="a=1"), "extra_query", id="extra-query-a-string"),
    pytest.param(lambda c: c.avatars.list(extra_query={1: "x"}), "extra_query", id="extra-query-int-key"),
    pytest.param(lambda c: c.avatars.list(extra_query={"n": 10**5000}), "extra_query['n']", id="extra-query-huge-int"),
    pytest.param(
        lambda c: c.avatars.list(extra_query={"n": {"a": 1}}), "extra_query['n']", id="extra-query-object-value"
    ),
    pytest.param(lambda c: c.avatars.list(extra_query={"n": float("nan")}), "extra_query['n']", id="extra-query-nan"),
    pytest.param(generate(SCENE, extra_body=["x"]), "extra_body", id="extra-body-not-a-mapping"),
    pytest.param(
        lambda c: c.assets.upload(b"\x89PNG\r\n\x1a\n" + b"0" * 10, extra_query={"api_token": "at_x"}),
        "extra_query",
        id="upload-extra-query-sets-the-token",
    ),
    pytest.param(lambda c: c.request("GET", "/v2/avatars", params={"n": object()}), "params", id="params-object"),
    pytest.param(lambda c: c.request("GET", "/v2/avatars", params={"n": "\ud800"}), "params", id="params-surrogate"),
    pytest.param(lambda c: c.request("GET", "/v2/avatars", params={2: "x"}), "params", id="params-int-key"),
    pytest.param(
        lambda c: c.assets.upload(b"\x89PNG\r\n\x1a\n" + b"0" * 10, extra_body={"x": 1}),
        "extra_body",
        id="extra-body-on-upload",
    ),
]


@pytest.fixture(params=["new", "old"])
async def guarded(request: pytest.FixtureRequest) -> AsyncIterator[tuple[hg.HeyGenClient, aioresponses]]:
    with aioresponses() as mocked:
        for method in ("get", "post", "patch", "delete"):
            getattr(mocked, method)(re.compile(r".*"), payload={"error": None, "data": {}}, repeat=True)
        async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=FAST, path_style=request.param) as client:
            yield client, mocked


@pytest.mark.parametrize(("call", "parameter"), BAD)
async def test_bad_input_is_refused_before_anything_is_sent(
    guarded: tuple[hg.HeyGenClient, aioresponses], call: Call, parameter: str
) -> None:
    client, mocked = guarded
    with pytest.raises(hg.ValidationError) as caught:
        await call(client)
    assert caught.value.parameter == parameter
    assert parameter.split("[")[0].split(".")[0] in str(caught.value)
    assert sent(mocked) == []


async def test_the_good_twins_of_the_bad_inputs_are_sent(guarded: tuple[hg.HeyGenClient, aioresponses]) -> None:
    """The same calls with valid values go through, so the refusals above are about the values alone."""
    client, mocked = guarded
    await client.photo_avatars.generate_photos(**PHOTO)
    await client.photo_avatars.add_looks("g1", ["k1", "k2", "k3", "k4"])
    await client.photo_avatars.generate_photos(**{**PHOTO, "appearance": "x" * 1000})
    await client.videos.generate([SCENE] * 50, dimension={"width": 4096, "height": 128})
    await client.videos.list(limit=100)
    await client.videos.list(limit=0)
    await client.streaming.new(activity_idle_timeout=30, quality="low", video_encoding="H264")
    await client.streaming.task("s-1", "hi", task_type="talk", task_mode="async")
    await client.videos.generate_webm("a", input_audio="https://x/a.mp3")
    await client.translations.create("https://x/v.mp4", output_languages=["French", "German"])
    await client.photo_avatars.get("Angela-inTshirt-20220820")
    assert len(sent(mocked)) == 11


async def test_attrs_inputs_and_dicts_send_the_same_json(guarded: tuple[hg.HeyGenClient, aioresponses]) -> None:
    client, mocked = guarded
    typed = i.VideoInput(
        character=i.AvatarCharacter(
            avatar_id="Angela-inTshirt-20220820", avatar_style="normal", offset=i.Offset(0, 0.1)
        ),
        voice=i.TextVoice(input_text="Hello", voice_id="v1", speed=1.1),
        background=i.ColorBackground("#FAFAFA"),
    )
    plain = {
        "character": {
            "type": "avatar",
            "avatar_id": "Angela-inTshirt-20220820",
            "avatar_style": "normal",
            "offset": {"x": 0, "y": 0.1},
        },
        "voice": {"type": "text", "input_text": "Hello", "voice_id": "v1", "speed": 1.1},
        "background": {"type": "color", "value": "#FAFAFA"},
    }
    await client.videos.generate([typed], dimension=i.Dimension(1280, 720))
    await client.videos.generate([plain], dimension={"width": 1280, "height": 720})
    first, second = (sent_json(kwargs) for _, _, kwargs in sent(mocked))
    assert first == second
    assert first["video_inputs"] == [plain]


class _Part(str, enum.Enum):
    COLOR = "color"


@attrs.frozen
class _BrandBackground(i.ColorBackground):
    """A user's own scene part: its ``kind`` a member of the user's enum of part types."""

    kind: ClassVar[str | None] = _Part.COLOR


def test_an_input_class_of_the_users_own_writes_its_kind_whatever_its_repr() -> None:
    """The input writer is compiled per class: ``kind`` must reach it as a value, not pasted into the source as
    its repr (``<_Part.COLOR: 'color'>`` is no Python literal: the body could not be built at all)."""
    scene = {**SCENE, "background": _BrandBackground("#FAFAFA")}
    parts = build_request(ENDPOINTS_BY_NAME["videos.generate"], {"video_inputs": [scene]})
    assert parts.body["video_inputs"][0]["background"] == {"type": "color", "value": "#FAFAFA"}
    assert '"background":{"type":"color","value":"#FAFAFA"}' in json.dumps(parts.body, separators=(",", ":"))


async def test_validation_errors_name_the_endpoint(guarded: tuple[hg.HeyGenClient, aioresponses]) -> None:
    client, _ = guarded
    with pytest.raises(hg.ValidationError, match=r"^photo_avatars\.generate_photos: pose must be one of"):
        await client.photo_avatars.generate_photos(**{**PHOTO, "pose": "sideways"})


@pytest.mark.parametrize(
    ("voice", "sent_as"),
    [
        ({"emotion": "excited"}, "Excited"),  # what HeyGen's own SDK sends
        ({"emotion": "SERIOUS", "rate": 1.0}, "Serious"),
        ({"emotion": "Friendly"}, "Friendly"),
        (i.StreamingVoice(voice_id="v1", emotion="soothing"), "Soothing"),
        (i.StreamingVoice(emotion="bRoAdCaStEr"), "Broadcaster"),
    ],
)
async def test_a_streaming_emotion_in_any_case_is_sent_as_heygens_docs_write_it(
    guarded: tuple[hg.HeyGenClient, aioresponses], voice: Any, sent_as: str
) -> None:
    client, mocked = guarded
    await client.streaming.new(avatar_id="Wayne_20240711", voice=voice)
    ((_, _, kwargs),) = sent(mocked)
    assert sent_json(kwargs)["voice"]["emotion"] == sent_as


async def test_an_unknown_streaming_emotion_is_still_refused_naming_the_choices(
    guarded: tuple[hg.HeyGenClient, aioresponses],
) -> None:
    client, mocked = guarded
    with pytest.raises(
        hg.ValidationError, match=r"voice\.emotion must be one of 'Excited', .* \(in any case\)"
    ) as caught:
        await client.streaming.new(voice={"emotion": "angry"})
    assert caught.value.parameter == "voice.emotion"
    assert sent(mocked) == []


async def test_streaming_new_asks_for_the_livekit_transport_unless_told_otherwise(
    guarded: tuple[hg.HeyGenClient, aioresponses],
) -> None:
    """Without ``version`` HeyGen opens a session on its retired v1 (raw WebRTC) transport; HeyGen's SDK always
    sends "v2", and so does the client unless given another value (``None`` leaves it out)."""
    client, mocked = guarded
    await client.streaming.new(avatar_id="Wayne_20240711")
    await client.streaming.new(avatar_id="Wayne_20240711", version="v3")
    await client.streaming.new(avatar_id="Wayne_20240711", version=None)
    versions = [sent_json(kwargs).get("version", "(not sent)") for _, _, kwargs in sent(mocked)]
    assert versions == ["v2", "v3", "(not sent)"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "video_id must not be empty"),
        ("   ", "video_id must not be empty"),
        ("\t\n", "video_id must not be empty"),
        ("\u3000", "video_id must not be empty"),  # non-ASCII whitespace: past the plain-text shortcut
        ("v\ud800", "video_id must be valid Unicode text (it holds a lone surrogate)"),
        (12, "video_id must be a string, not int"),
        (b"v1", "video_id must be a string, not bytes"),
    ],
)
def test_an_id_that_is_not_plain_text_is_refused_naming_the_problem(value: Any, problem: str) -> None:
    """Each way an id can fail to be text is refused with the message that names it."""
    with pytest.raises(hg.ValidationError, match=f": {re.escape(problem)}$"):
        build_request(ENDPOINTS_BY_NAME["videos.status"], {"video_id": value})


def test_plain_text_ids_pass_as_given() -> None:
    for value in ("v1", "a b", " v1 ", "\u00e9t\u00e9"):
        parts = build_request(ENDPOINTS_BY_NAME["videos.status"], {"video_id": value})
        assert parts.query == [("video_id", value)]


def test_a_text_over_its_length_limit_is_refused() -> None:
    endpoint = ENDPOINTS_BY_NAME["photo_avatars.generate_photos"]
    (limit,) = {p.max_length for p in endpoint.params if p.name == "appearance"}
    assert limit is not None
    arguments = {p.name: (p.enum[0] if p.enum else "x") for p in endpoint.params if p.required}
    build_request(endpoint, {**arguments, "appearance": "a" * limit})
    with pytest.raises(hg.ValidationError, match=f"appearance must be at most {limit} characters"):
        build_request(endpoint, {**arguments, "appearance": "a" * (limit + 1)})


def test_item_bounds_on_a_parameter_that_is_not_a_list_are_refused_by_the_table() -> None:
    with pytest.raises(ValueError, match="min_items and max_items bound lists only"):
        Param(name="name", location="body", type="str", min_items=1)


class _Tone(enum.Enum):
    WARM = "warm"


def test_free_form_values_become_json_as_inputs_do() -> None:
    """Nested inputs, tuples, mappings and enum members in an extra body are sent as their JSON, by the same
    walk that writes input classes; something with no JSON form is refused before anything is sent."""
    endpoint = ENDPOINTS_BY_NAME["videos.generate"]
    extra = {"meta": {"tone": _Tone.WARM, "size": hg.Dimension(1280, 720), "tags": ("a", "b")}}
    parts = build_request(endpoint, {"video_inputs": [SCENE]}, extra_body=extra)
    assert parts.body["meta"] == {"tone": "warm", "size": {"width": 1280, "height": 720}, "tags": ["a", "b"]}


async def test_a_value_with_no_json_form_is_refused_before_anything_is_sent(mocked: aioresponses) -> None:
    async with hg.HeyGenClient(TOKEN, base_url=BASE, retry=FAST) as client:
        with pytest.raises(hg.ValidationError, match="cannot be sent as JSON"):
            await client.videos.generate([SCENE], extra_body={"meta": {1, 2}})
    assert sent(mocked) == []
