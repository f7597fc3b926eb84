"""Checking a call's arguments against the endpoint table before anything is sent or spent.

:func:`build_request` turns the keyword arguments of a generated method into path values, query items and a
JSON body, or raises :class:`ValidationError` naming the parameter (dotted for nested values, e.g.
``video_inputs[2].voice.input_text``). Attrs inputs and plain dicts go through the same checks, because
inputs are turned into JSON first and the JSON is what is checked.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, cast

import attrs

from heygen_async._converter import json_ready
from heygen_async._exceptions import ValidationError
from heygen_async._transport._call import NO_BODY
from heygen_async._transport._urls import encode_path_value

from ._schema import ANY_VALUE, check_schema, encodable, short, variant_of
from ._types import AtLeastOneOf, Endpoint, Param, Requires

__all__ = ["RequestParts", "build_request", "check_extra_query", "query_value_problem"]

MIN_DIMENSION: Final = 128
MAX_DIMENSION: Final = 4096
MAX_INPUT_TEXT: Final = 5000  # v3 docs; older pages said 1500, so HeyGen may refuse long texts on some plans
CHARACTER_TYPES: Final = ("avatar", "talking_photo")
AVATAR_STYLES: Final = ("normal", "circle", "closeUp")
VOICE_TYPES: Final = ("text", "audio", "silence")
BACKGROUND_TYPES: Final = ("color", "image", "video")
PLAY_STYLES: Final = ("fit_to_scene", "freeze", "loop", "once")
STREAMING_EMOTIONS: Final = ("Excited", "Serious", "Friendly", "Soothing", "Broadcaster")
"""As HeyGen's docs write them; its own SDK sends them in lower case. Any case is taken and sent like this."""
_EMOTION_BY_CASEFOLD: Final = {emotion.casefold(): emotion for emotion in STREAMING_EMOTIONS}
TEMPLATE_VARIABLE_TYPES: Final = ("text", "image", "video", "audio", "character", "voice")
SDP_TYPES: Final = ("offer", "answer")
_COLOR: Final = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


@attrs.frozen
class RequestParts:
    path_values: dict[str, Any]
    query: list[tuple[str, Any]]
    body: Any


Where = str | tuple["Where", ...]
"""A parameter's dotted name, or its parts (``("video_inputs[0]", ".voice")``): joined only for an error, so
checking a valid nested input builds no names."""


def _name(where: Where) -> str:
    return where if type(where) is str else "".join(map(_name, where))


class _Check:
    """Raises errors that name the endpoint and the offending parameter."""

    __slots__ = ("endpoint",)

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def fail(self, where: Where, message: str) -> ValidationError:
        name = _name(where)
        return ValidationError(f"{name} {message}", parameter=name, endpoint=self.endpoint.qualname)

    def mapping(self, where: Where, value: Any) -> Mapping[str, Any]:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise self.fail(where, f"must be an object (a dict or an input class), not {type(value).__name__}")
        return value

    def text(self, where: Where, value: Any, *, required: bool = False, max_length: int | None = None) -> None:
        if value is None:
            if required:
                raise self.fail(where, "is required")
            return
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, not {type(value).__name__}")
        if not value.isascii() and not encodable(value):
            raise self.fail(where, "must be valid Unicode text (it holds a lone surrogate)")
        if required and not value.strip():
            raise self.fail(where, "must not be empty")
        if max_length is not None and len(value) > max_length:
            raise self.fail(where, f"must be at most {max_length} characters, got {len(value)}")

    def number(
        self,
        where: Where,
        value: Any,
        *,
        required: bool = False,
        integer: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: float | None = None,
    ) -> None:
        if value is None:
            if required:
                raise self.fail(where, "is required")
            return
        kinds: tuple[type, ...] = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise self.fail(where, f"must be {'an integer' if integer else 'a number'}, not {type(value).__name__}")
        number = cast(float, value)
        if isinstance(number, float) and not math.isfinite(number):  # ints are finite, however large
            raise self.fail(where, "must be a finite number")
        if minimum is not None and number < minimum:
            raise self.fail(where, f"must be >= {minimum:g}, got {short(value)}")
        if maximum is not None and number > maximum:
            raise self.fail(where, f"must be <= {maximum:g}, got {short(value)}")
        if exclusive_minimum is not None and number <= exclusive_minimum:
            raise self.fail(where, f"must be > {exclusive_minimum:g}, got {short(value)}")

    def choice(self, where: Where, value: Any, allowed: Sequence[Any], *, required: bool = False) -> None:
        if value is None:
            if required:
                raise self.fail(where, f"is required (one of {', '.join(map(repr, allowed))})")
            return
        if value not in allowed or isinstance(value, bool) != _has_bool(
            allowed if type(allowed) is tuple else tuple(allowed)
        ):
            raise self.fail(where, f"must be one of {', '.join(map(repr, allowed))}, got {value!r}")

    def flag(self, where: Where, value: Any) -> None:
        if value is not None and not isinstance(value, bool):
            raise self.fail(where, f"must be True or False, not {type(value).__name__}")

    # -- nested inputs ----------------------------------------------------------------------------

    def dimension(self, where: Where, value: Any) -> None:
        dim = self.mapping(where, value)
        for side in ("width", "height"):
            size = dim.get(side)
            self.number(
                (where, ".", side), size, required=True, integer=True, minimum=MIN_DIMENSION, maximum=MAX_DIMENSION
            )
            if isinstance(size, int) and size % 2:
                raise self.fail((where, ".", side), f"must be even, got {size}")

    def video_input(self, where: Where, value: Any) -> None:
        # The hot path of every create: the plain case (dicts, ASCII text, documented choices, optional numbers
        # left out) is recognised inline, and anything else goes to the check that names the problem.
        scene = value if type(value) is dict else self.mapping(where, value)
        character = scene.get("character")
        if type(character) is not dict:
            character = self.mapping((where, ".character"), character)
        kind = character.get("type")
        if not (type(kind) is str and kind in CHARACTER_TYPES):
            self.choice((where, ".character.type"), kind, CHARACTER_TYPES, required=True)
        if kind == "avatar":
            if not _plain_text(character.get("avatar_id")):
                self.text((where, ".character.avatar_id"), character.get("avatar_id"), required=True)
            style = character.get("avatar_style")
            if style is not None and not (type(style) is str and style in AVATAR_STYLES):
                self.choice((where, ".character.avatar_style"), style, AVATAR_STYLES)
        else:
            self.text((where, ".character.talking_photo_id"), character.get("talking_photo_id"), required=True)
        if character.get("scale") is not None:
            self.number((where, ".character.scale"), character["scale"], exclusive_minimum=0)
        if character.get("offset") is not None:
            offset = self.mapping((where, ".character.offset"), character["offset"])
            for axis in ("x", "y"):
                self.number((where, ".character.offset.", axis), offset.get(axis), required=True)

        voice = scene.get("voice")
        if type(voice) is not dict:
            voice = self.mapping((where, ".voice"), voice)
        kind = voice.get("type")
        if not (type(kind) is str and kind in VOICE_TYPES):
            self.choice((where, ".voice.type"), kind, VOICE_TYPES, required=True)
        if kind == "text":
            text: Any = voice.get("input_text")
            if not (_plain_text(text) and len(text) <= MAX_INPUT_TEXT):
                self.text((where, ".voice.input_text"), text, required=True, max_length=MAX_INPUT_TEXT)
            if not _plain_text(voice.get("voice_id")):
                self.text((where, ".voice.voice_id"), voice.get("voice_id"), required=True)
            if voice.get("speed") is not None:
                self.number((where, ".voice.speed"), voice["speed"], minimum=0.5, maximum=1.5)
            if voice.get("pitch") is not None:
                self.number((where, ".voice.pitch"), voice["pitch"], minimum=-50, maximum=50)
        elif kind == "audio":
            self.source((where, ".voice"), voice, ("audio_url", "audio_asset_id"), "audio")
        else:
            self.number((where, ".voice.duration"), voice.get("duration"), required=True, exclusive_minimum=0)

        if scene.get("background") is None:
            return
        background = scene["background"]
        if type(background) is not dict:
            background = self.mapping((where, ".background"), background)
        kind = background.get("type")
        if not (type(kind) is str and kind in BACKGROUND_TYPES):
            self.choice((where, ".background.type"), kind, BACKGROUND_TYPES, required=True)
        if kind == "color":
            if not _plain_text(background.get("value")):
                self.text((where, ".background.value"), background.get("value"), required=True)
            if not _COLOR.match(background["value"]):
                raise self.fail((where, ".background.value"), f"must be a #RRGGBB colour, got {background['value']!r}")
        elif kind == "image":
            self.source((where, ".background"), background, ("url", "image_asset_id"), "image")
        else:
            self.source((where, ".background"), background, ("url", "video_asset_id"), "video")
            self.choice((where, ".background.play_style"), background.get("play_style"), PLAY_STYLES)

    def source(self, where: Where, part: Mapping[str, Any], keys: tuple[str, ...], kind: str) -> None:
        """At least one of ``keys`` is a non-empty string, and none is anything but a string."""
        for key in keys:
            self.text((where, ".", key), part.get(key))
        if not any(isinstance(part.get(key), str) and part[key].strip() for key in keys):
            raise self.fail(where, f"of type {kind!r} needs {' or '.join(keys)}")

    def streaming_voice(self, where: str, value: Any) -> Mapping[str, Any]:
        """The voice to send: ``emotion`` in any case, written as HeyGen's docs do (``"excited"`` -> ``"Excited"``)."""
        voice = self.mapping(where, value)
        self.text(f"{where}.voice_id", voice.get("voice_id"))
        self.number(f"{where}.rate", voice.get("rate"), minimum=0.5, maximum=1.5)
        emotion = voice.get("emotion")
        if emotion is not None:
            canonical = _EMOTION_BY_CASEFOLD.get(emotion.casefold()) if isinstance(emotion, str) else None
            if canonical is None:
                allowed = ", ".join(map(repr, STREAMING_EMOTIONS))
                raise self.fail(f"{where}.emotion", f"must be one of {allowed} (in any case), got {short(emotion)}")
            if canonical != emotion:
                voice = {**voice, "emotion": canonical}
        if voice.get("elevenlabs_settings") is not None:
            self.mapping(f"{where}.elevenlabs_settings", voice["elevenlabs_settings"])
        return voice

    def template_variables(self, where: str, value: Any) -> None:
        variables = self.mapping(where, value)
        if not variables:
            raise self.fail(where, "must name at least one variable")
        for name, variable in variables.items():
            spot = f"{where}[{name!r}]"
            if not isinstance(name, str) or not name:
                raise self.fail(where, "keys must be the variables' names")
            entry = self.mapping(spot, variable)
            kind = entry.get("type")
            self.choice(f"{spot}.type", kind, TEMPLATE_VARIABLE_TYPES, required=True)
            self.text(f"{spot}.name", entry.get("name"))
            properties = self.mapping(f"{spot}.properties", entry.get("properties"))
            if kind == "text":
                self.text(f"{spot}.properties.content", properties.get("content"), required=True)
            elif kind in ("image", "video", "audio"):
                self.source(f"{spot}.properties", properties, ("url", "asset_id"), str(kind))
            elif kind == "character":
                self.text(f"{spot}.properties.character_id", properties.get("character_id"), required=True)
                self.choice(f"{spot}.properties.type", properties.get("type"), CHARACTER_TYPES)
            else:
                self.text(f"{spot}.properties.voice_id", properties.get("voice_id"), required=True)

    def sdp(self, where: str, value: Any) -> None:
        sdp = self.mapping(where, value)
        self.text(f"{where}.sdp", sdp.get("sdp"), required=True)
        self.choice(f"{where}.type", sdp.get("type"), SDP_TYPES, required=True)


def _plain_text(value: Any) -> bool:
    """Whether ``value`` passes ``_Check.text(..., required=True)`` at a glance: non-blank ASCII text (anything
    else goes through that check, which says what is wrong, if anything)."""
    return type(value) is str and value.isascii() and not value.isspace() and value != ""


def _given(value: Any) -> bool:
    """Whether an argument counts as given for the either-or rules: an empty string does not."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def check_extra_query(endpoint: Endpoint, extra_query: Any, taken: set[str]) -> list[tuple[str, Any]]:
    """``extra_query`` as query items, after checking it cannot clash with, or stand in for, a real parameter
    (the path parameters included: in the old path format their values travel in the query)."""
    check = _Check(endpoint)
    if not isinstance(extra_query, Mapping):
        raise check.fail("extra_query", f"must be a mapping, not {type(extra_query).__name__}")
    blocked = taken | set(endpoint.route.path_params) | {"api_token"}
    items: list[tuple[str, Any]] = []
    for key, value in extra_query.items():
        if not isinstance(key, str) or not key or not encodable(key):
            raise check.fail("extra_query", f"keys must be non-empty strings, got {key!r}")
        if key in blocked or key.lower() == "api_token":
            raise check.fail("extra_query", f"must not repeat {key!r}; pass it as an argument")
        for item in value if isinstance(value, (list, tuple)) else (value,):
            problem = query_value_problem(item)
            if problem:
                raise check.fail(f"extra_query[{key!r}]", problem)
        items.append((key, value))
    return items


def query_value_problem(value: Any) -> str | None:
    """Why a value cannot go in the query string, or None if it can (text, a number, a boolean, None)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return None if encodable(value) else "must be valid Unicode text (it holds a lone surrogate)"
    if isinstance(value, (int, float)):
        try:
            text = str(value)
        except ValueError:  # an int too long to print
            return "is too large"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {text}"
        return None
    return f"must be a string, a number or a boolean, not {type(value).__name__}"


@functools.lru_cache(maxsize=256)
def _has_bool(allowed: tuple[Any, ...]) -> bool:
    """Whether a choice allows booleans (so ``True`` never passes for ``1``, nor ``1`` for ``True``)."""
    return any(isinstance(choice, bool) for choice in allowed)


def _check_param(check: _Check, param: Param, value: Any) -> Any:
    """The JSON-ready value of one given (non-None) argument, after its checks."""
    name = param.name
    kind = param.type
    if kind == "str":
        check.text(name, value, required=param.required, max_length=param.max_length)
        if param.max_ids is not None:
            ids = value.split(",")
            if any(not part.strip() for part in ids):
                raise check.fail(name, "must be ids separated by commas, none of them empty")
            if len(ids) > param.max_ids:
                raise check.fail(name, f"must name at most {param.max_ids} ids, got {len(ids)}")
    elif kind in ("int", "number"):
        check.number(name, value, integer=kind == "int", minimum=param.minimum, maximum=param.maximum)
    elif kind == "bool":
        check.flag(name, value)
    elif kind == "list[str]":
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise check.fail(name, f"must be a list of strings, not {type(value).__name__}")
        for index, item in enumerate(value):
            check.text(f"{name}[{index}]", item, required=True)
        value = list(value)
    elif kind == "object":
        value = json_ready(check.mapping(name, value))
    elif kind == "schema":
        value = json_ready(value)
        if param.location != "body" or check.endpoint.body_schema is None:  # else the whole body is checked
            check_schema(check.fail, name, value, param.schema, _v3_schemas())
    else:
        value = json_ready(value)
        if kind == "list[VideoInput]":
            if type(value) is not list and (
                isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence)
            ):
                raise check.fail(name, f"must be a list of scenes, not {type(value).__name__}")
            for index, scene in enumerate(value):
                check.video_input(f"{name}[{index}]", scene)
        elif kind == "StreamingVoice":
            value = check.streaming_voice(name, value)
        else:
            _NESTED[kind](check, name, value)
    if param.enum is not None:
        check.choice(name, value, param.enum)
    if param.min_items is not None and len(value) < param.min_items:
        raise check.fail(name, f"must have at least {param.min_items} item(s), got {len(value)}")
    if param.max_items is not None and len(value) > param.max_items:
        raise check.fail(name, f"must have at most {param.max_items} item(s), got {len(value)}")
    return value


@functools.cache
def _v3_schemas() -> Mapping[str, Any]:
    """The v3 table's named schemas, loaded with the first v3 call (legacy-only programs never load them)."""
    from ._v3_table import V3_SCHEMAS

    return V3_SCHEMAS


def _check_v3_body(check: _Check, body: dict[str, Any], given: set[str]) -> None:
    """A v3 body against its schema; with a union (``POST /v3/videos``'s ``type``), the fields given as
    arguments must be the chosen variant's: a field of another variant is named, not silently sent."""
    schema = check.endpoint.body_schema
    schemas = _v3_schemas()
    chosen = variant_of(schema, body, schemas)
    if chosen is not None:
        name, variant = chosen
        fields = variant.get("properties") or {}
        for key in sorted(given - set(fields)):
            raise check.fail(key, f"is not a field of {name}={body[name]!r} (it takes {', '.join(fields)})")
    check_schema(check.fail, "", body, schema, schemas)


def _deepest(body: Mapping[str, Any]) -> str:
    """The field of ``body`` nested deepest: the one to name when checking the body ran out of stack."""

    def depth(value: Any) -> int:
        deepest, stack = 0, [(value, 1)]
        while stack:  # no recursion: the value is known to be deeper than the stack allows
            item, level = stack.pop()
            deepest = max(deepest, level)
            if isinstance(item, Mapping):
                stack.extend((child, level + 1) for child in item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend((child, level + 1) for child in item)
        return deepest

    return max(body, key=lambda name: depth(body[name]))


_NESTED: Final[dict[str, Callable[[_Check, str, Any], None]]] = {
    "Dimension": _Check.dimension,
    "TemplateVariables": _Check.template_variables,
    "Sdp": _Check.sdp,
}


def build_request(
    endpoint: Endpoint,
    arguments: Mapping[str, Any],
    *,
    extra_query: Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> RequestParts:
    """Validate ``arguments`` (``None`` = not given) and split them into path values, query and body. A
    parameter missing from ``arguments`` takes its table default (the generated methods pass every parameter,
    their defaults included; a hand-written helper may leave some out)."""
    check = _Check(endpoint)
    path_values: dict[str, Any] = {}
    query: list[tuple[str, Any]] = []
    body: dict[str, Any] = {}
    for param in endpoint.params:
        value = arguments.get(param.name, param.default)
        if value is None:
            if param.required:
                raise check.fail(param.name, "is required")
            continue
        try:
            value = _check_param(check, param, value)
        except RecursionError:
            raise check.fail(param.name, "is nested too deeply to be sent") from None
        if param.location == "path":
            encode_path_value(param.name, value, endpoint.qualname)
            path_values[param.name] = value
        elif param.location == "query":
            query.append((param.name, value))
            if param.also_in_body:
                body[param.name] = value
        else:
            body[param.name] = value
    for rule in endpoint.rules:
        if isinstance(rule, AtLeastOneOf):
            if not any(_given(arguments.get(name)) for name in rule.names):
                raise check.fail(rule.names[0], f"or {' or '.join(rule.names[1:])} is required")
        elif isinstance(rule, Requires) and _given(arguments.get(rule.name)):
            for needed in rule.needs:
                if not _given(arguments.get(needed)):
                    raise check.fail(needed, f"is required when {rule.name} is given")
    if extra_query is not None:
        query.extend(check_extra_query(endpoint, extra_query, {p.name for p in endpoint.params}))
    if extra_body is not None:
        if not isinstance(extra_body, Mapping):
            raise check.fail("extra_body", f"must be a mapping, not {type(extra_body).__name__}")
        for key in extra_body:
            if not isinstance(key, str) or not key:
                raise check.fail("extra_body", f"keys must be non-empty strings, got {key!r}")
        clash = sorted(set(extra_body) & ({p.name for p in endpoint.params} | set(body)))
        if clash:
            raise check.fail("extra_body", f"must not repeat {clash}; pass them as arguments")
        try:
            extra = json_ready(dict(extra_body))
            for key, item in extra.items():  # sent as given, but never what JSON cannot carry
                check_schema(check.fail, f"extra_body[{key!r}]", item, ANY_VALUE, {})
        except RecursionError:
            raise check.fail("extra_body", "is nested too deeply to be sent") from None
    if endpoint.body_schema is not None:
        try:
            _check_v3_body(check, body, set(body))
        except RecursionError:
            raise check.fail(_deepest(body), "is nested too deeply to be sent") from None
    if extra_body is not None:
        body.update(extra)
    sends_body = endpoint.http_method in ("POST", "PATCH", "PUT") or bool(body)
    return RequestParts(path_values, query, body if sends_body else NO_BODY)
