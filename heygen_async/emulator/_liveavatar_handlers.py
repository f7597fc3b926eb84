"""One handler per LiveAvatar operation, and the request check every operation shares.

:data:`LIVEAVATAR_HANDLERS` is keyed by the rows' route keys (``"POST /v1/sessions/stop"``) of
``LIVEAVATAR_ENDPOINTS``; a test holds the two equal. :func:`check_row` checks a request against its row (FastAPI
style, as LiveAvatar answers): every problem at once, each as ``{"loc", "msg", "type", "input", "ctx"}`` in a 422
``detail``. The request path around the handlers (authentication, envelopes, faults, counters) is
``_liveavatar_app.py``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs
from yarl import URL

from heygen_async._spec._liveavatar_table import LIVEAVATAR_ENDPOINTS_BY_NAME, MODES
from heygen_async._spec._schema import check_schema
from heygen_async._spec._types import Endpoint, Param

from ._liveavatar_fixtures import LANGUAGES, PREVIEW_WAV_BASE64, PUBLIC_AVATARS, PUBLIC_VOICES
from ._liveavatar_state import LiveAvatarState, LiveRefusal, LiveSession, jwt_like

__all__ = ["LIVEAVATAR_HANDLERS", "LiveAnswer", "LiveCall", "Unprocessable", "check_row"]

LIVEKIT_URL: Final = "wss://livekit.liveavatar.invalid"
"""Where a session's LiveKit room would be: nowhere (``.invalid`` never resolves; no LiveKit server here)."""
_DEFAULT_PAGE_SIZE: Final = 20
_LOC_PART: Final = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


class Unprocessable(Exception):
    """A 422: the request does not fit its operation; ``errors`` are FastAPI's ``detail`` entries."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


def problem(loc: Sequence[str | int], msg: str, kind: str, given: Any, **ctx: Any) -> dict[str, Any]:
    """One ``detail`` entry."""
    return {"loc": list(loc), "msg": msg, "type": kind, "input": given, "ctx": ctx}


@attrs.frozen
class LiveCall:
    """One request as a handler sees it: the API key's account (None without a key), the session its bearer
    token stands for (None without one), path values, query (first values), JSON body, and the request's URL."""

    owner: str | None
    session: LiveSession | None
    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Mapping[str, Any]
    url: URL

    @property
    def account(self) -> str:
        """The caller's account: its key's, else its session's."""
        if self.owner is not None:
            return self.owner
        assert self.session is not None  # the app lets no request without either reach a handler
        return self.session.account


@attrs.frozen
class LiveAnswer:
    """A success: the envelope's ``data`` and the HTTP status."""

    data: Any = None
    status: int = 200


# -- the shared check ---------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_BODY_TYPES: Final[dict[str, tuple[Callable[[Any], bool], str, str]]] = {
    "str": (lambda v: isinstance(v, str), "string_type", "Input should be a valid string"),
    "int": (_is_int, "int_type", "Input should be a valid integer"),
    "number": (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "float_type",
        "Input should be a valid number",
    ),
    "bool": (lambda v: isinstance(v, bool), "bool_type", "Input should be a valid boolean"),
    "object": (lambda v: isinstance(v, dict), "dict_type", "Input should be a valid dictionary"),
}


def _query_value(param: Param, text: str, loc: list[str | int], errors: list[dict[str, Any]]) -> Any:
    try:
        if param.type == "int":
            return int(text)
        if param.type == "number":
            return float(text)
    except ValueError:
        kind, what = ("int_parsing", "an integer") if param.type == "int" else ("float_parsing", "a number")
        errors.append(problem(loc, f"Input should be a valid {what}, unable to parse string as {what}", kind, text))
        return None
    return text


def _bounds(param: Param, value: Any, loc: list[str | int], errors: list[dict[str, Any]]) -> None:
    if param.enum is not None and value not in param.enum:
        expected = " or ".join(f"'{choice}'" for choice in param.enum)
        errors.append(problem(loc, f"Input should be {expected}", "enum", value, expected=expected))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if param.minimum is not None and value < param.minimum:
            errors.append(
                problem(
                    loc,
                    f"Input should be greater than or equal to {param.minimum:g}",
                    "greater_than_equal",
                    value,
                    ge=param.minimum,
                )
            )
        if param.maximum is not None and value > param.maximum:
            errors.append(
                problem(
                    loc,
                    f"Input should be less than or equal to {param.maximum:g}",
                    "less_than_equal",
                    value,
                    le=param.maximum,
                )
            )
    if isinstance(value, str) and param.max_length is not None and len(value) > param.max_length:
        errors.append(
            problem(
                loc,
                f"String should have at most {param.max_length} characters",
                "string_too_long",
                value,
                max_length=param.max_length,
            )
        )


def _schema_problems(param: Param, value: Any, loc: list[str | int], errors: list[dict[str, Any]]) -> None:
    class _Failed(Exception):
        def __init__(self, where: str, message: str) -> None:
            super().__init__(message)
            self.where = where
            self.message = message

    try:
        check_schema(_Failed, param.name, value, param.schema, {})
    except _Failed as failed:
        parts: list[str | int] = [int(index) if index else name for index, name in _LOC_PART.findall(failed.where)]
        errors.append(problem([loc[0], *parts], failed.message, "value_error", value))


def check_row(endpoint: Endpoint, call: LiveCall) -> None:
    """Every way the request breaks its row (required, type, enum, bounds, nested schema), as one 422."""
    errors: list[dict[str, Any]] = []
    for param in endpoint.params:
        if param.location == "path":
            continue
        source = call.query if param.location == "query" else call.body
        loc: list[str | int] = [param.location, param.name]
        value = source.get(param.name)
        if value is None:
            if param.required:
                errors.append(problem(loc, "Field required", "missing", dict(source)))
            continue
        if param.location == "query":
            value = _query_value(param, value, loc, errors)
            if value is None:
                continue
        elif param.type == "schema":
            _schema_problems(param, value, loc, errors)
            continue
        else:
            valid, kind, message = _BODY_TYPES[param.type]
            if not valid(value):
                errors.append(problem(loc, message, kind, value))
                continue
        _bounds(param, value, loc, errors)
    if errors:
        raise Unprocessable(errors)


def page_of(items: Sequence[Any], call: LiveCall) -> dict[str, Any]:
    """A page of ``items`` as ``page`` and ``page_size`` ask, with full URLs to the next and previous pages."""
    number = int(call.query.get("page") or 1)
    size = int(call.query.get("page_size") or _DEFAULT_PAGE_SIZE)
    start = (number - 1) * size

    def link(to: int) -> str:
        return str(call.url.update_query(page=str(to), page_size=str(size)))

    return {
        "count": len(items),
        "next": link(number + 1) if start + size < len(items) else None,
        "previous": link(number - 1) if number > 1 else None,
        "results": list(items[start : start + size]),
    }


def _changed(record: dict[str, Any], body: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    record.update({name: body[name] for name in names if body.get(name) is not None})
    return record


# -- sessions -------------------------------------------------------------------------------------------------------


def create_token(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    body = call.body
    mode = body.get("mode") or MODES[0]
    persona = body.get("avatar_persona")
    if mode == "FULL" and persona is None and body.get("voice_agent") is None:
        raise Unprocessable(
            [problem(["body", "avatar_persona"], "Field required in FULL mode (or voice_agent)", "missing", None)]
        )
    session = state.mint(
        call.account,
        mode=mode,
        avatar_id=body["avatar_id"],
        is_sandbox=bool(body.get("is_sandbox")),
        max_duration=body.get("max_session_duration"),
        context_id=persona.get("context_id") if isinstance(persona, dict) else None,
    )
    return LiveAnswer({"session_id": session.id, "session_token": session.token})


def start_session(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    session = call.session
    assert session is not None  # the app serves start to a session token only
    state.start(session)
    data: dict[str, Any] = {
        "session_id": session.id,
        "livekit_url": LIVEKIT_URL,
        "livekit_client_token": jwt_token(session, "client"),
        "livekit_agent_token": jwt_token(session, "agent"),
        "max_session_duration": int(session.max_duration),
        "ws_url": None,
    }
    if session.mode == "LITE":
        url = call.url.with_scheme("ws").with_path(f"/liveavatar/ws/{session.id}").with_query(token=session.ws_secret)
        data["ws_url"] = str(url)
    return LiveAnswer(data, 201)


def jwt_token(session: LiveSession, role: str) -> str:
    """A LiveKit access token for the session's room (LiveKit's are JWTs; this one opens nothing)."""
    return jwt_like({"room": session.id, "role": role})


def _own_session(state: LiveAvatarState, call: LiveCall) -> LiveSession:
    """The session a stop or keep-alive names: by its bearer, the bearer's own; by key, one of the account's."""
    session_id = str(call.body["session_id"])
    if call.owner is None and call.session is not None and call.session.id != session_id:
        raise LiveRefusal(403, "This session token is for another session")
    return state.session(call.account, session_id)


def stop_session(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    session = _own_session(state, call)
    state.counters["stops"] += 1
    state.end(session, call.body.get("reason") or "USER_CLOSED")
    return LiveAnswer()


def keep_alive(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    session = _own_session(state, call)
    if session.state == "ended":
        raise LiveRefusal(400, f"Session {session.id} has ended ({session.end_reason})")
    state.keep_alives["rest"] += 1
    state.touch(session)
    return LiveAnswer()


def list_sessions(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    wanted = "started" if call.query["type"] == "active" else "ended"
    avatar_id, context_id = call.query.get("avatar_id"), call.query.get("context_id")
    found = [
        state.summary(s)
        for s in state.sessions.values()
        if s.account == call.account
        and s.state == wanted
        and avatar_id in (None, s.avatar_id)
        and context_id in (None, s.context_id)
        and call.query.get("embed_id") is None  # the emulator makes no embeds
    ]
    return LiveAnswer(page_of(found, call))


def get_session(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer(state.summary(state.session(call.account, call.path["session_id"])))


def transcript(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    session = state.session(call.account, call.path["session_id"])
    return LiveAnswer({"session_active": session.open, "next_timestamp": None, "transcript_data": []})


# -- avatars, voices, contexts, languages, credits ---------------------------------------------------------------------


def list_avatars(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer(page_of(list(state.account(call.account).avatars.values()), call))


def list_public_avatars(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer(page_of(PUBLIC_AVATARS, call))


def get_avatar(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer(state.avatar(call.account, call.path["avatar_id"]))


def update_avatar(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    avatar = state.avatar(call.account, call.path["avatar_id"], own=True)
    if call.body.get("default_voice_id") is not None:
        voice = state.voice(call.account, call.body["default_voice_id"])
        avatar["default_voice"] = {"id": voice["id"], "name": voice["name"]}
    return LiveAnswer(_changed(avatar, call.body, ("name",)))


def delete_avatar(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    state.avatar(call.account, call.path["avatar_id"], own=True)
    del state.account(call.account).avatars[call.path["avatar_id"]]
    return LiveAnswer()


def list_voices(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    if call.query.get("voice_type") == "private":
        return LiveAnswer(page_of(list(state.account(call.account).voices.values()), call))
    return LiveAnswer(page_of(PUBLIC_VOICES, call))


def get_voice(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer(state.voice(call.account, call.path["voice_id"]))


def update_voice(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    voice = state.voice(call.account, call.path["voice_id"], own=True)
    return LiveAnswer(_changed(voice, call.body, ("name",)))


def delete_voice(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    state.voice(call.account, call.path["voice_id"], own=True)
    del state.account(call.account).voices[call.path["voice_id"]]
    return LiveAnswer()


def preview_voice(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    state.voice(call.account, call.path["voice_id"])
    return LiveAnswer({"audio_base64": PREVIEW_WAV_BASE64})


_CONTEXT_FIELDS: Final = ("name", "prompt", "opening_text", "links")


def list_contexts(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer(page_of(list(state.account(call.account).contexts.values()), call))


def create_context(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    now = state.iso(state.now)
    context_id = str(uuid.uuid4())
    context: dict[str, Any] = {
        "id": context_id,
        "links": [],
        "required_dynamic_variables": [],
        "created_at": now,
        "updated_at": now,
    }
    _changed(context, call.body, _CONTEXT_FIELDS)
    state.account(call.account).contexts[context_id] = context
    return LiveAnswer(context)


def get_context(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer(state.context(call.account, call.path["context_id"]))


def update_context(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    context = _changed(state.context(call.account, call.path["context_id"]), call.body, _CONTEXT_FIELDS)
    context["updated_at"] = state.iso(state.now)
    return LiveAnswer(context)


def delete_context(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    state.context(call.account, call.path["context_id"])
    del state.account(call.account).contexts[call.path["context_id"]]
    return LiveAnswer()


def list_languages(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer(list(LANGUAGES))


def credits(state: LiveAvatarState, call: LiveCall) -> LiveAnswer:
    return LiveAnswer({"credits_left": f"{state.account(call.account).credits:.1f}"})


Handler = Callable[[LiveAvatarState, LiveCall], LiveAnswer]

_BY_NAME: Final[dict[str, Handler]] = {
    "sessions.token": create_token,
    "sessions.start": start_session,
    "sessions.stop": stop_session,
    "sessions.keep_alive": keep_alive,
    "sessions.list": list_sessions,
    "sessions.get": get_session,
    "sessions.transcript": transcript,
    "avatars.list": list_avatars,
    "avatars.list_public": list_public_avatars,
    "avatars.get": get_avatar,
    "avatars.update": update_avatar,
    "avatars.delete": delete_avatar,
    "voices.list": list_voices,
    "voices.get": get_voice,
    "voices.update": update_voice,
    "voices.delete": delete_voice,
    "voices.preview": preview_voice,
    "contexts.list": list_contexts,
    "contexts.create": create_context,
    "contexts.get": get_context,
    "contexts.update": update_context,
    "contexts.delete": delete_context,
    "languages.list": list_languages,
    "users.credits": credits,
}
LIVEAVATAR_HANDLERS: Final[dict[str, tuple[Endpoint, Handler]]] = {
    LIVEAVATAR_ENDPOINTS_BY_NAME[name].key: (LIVEAVATAR_ENDPOINTS_BY_NAME[name], handler)
    for name, handler in _BY_NAME.items()
}
"""Each row's route key -> its row and its handler."""
