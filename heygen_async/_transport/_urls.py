"""Routes and URLs: path templates, LowCodeAPI's two path formats, and safe encoding of every value.

LowCodeAPI serves a path parameter in two ways. The *new* format keeps the value in the path
(``/v2/photo_avatar/abc``); the *old* format keeps the placeholder's name in the path and moves the value
to the query (``/v2/photo_avatar/id?id=abc``). ``path_style="auto"`` tries new first, falls back to old on
a gateway 404, and remembers per route which one worked (:class:`PathStyleMemory`).

Every value is percent-encoded as one path segment or one query value. Path values are also refused when
they hold ``/ \\ ? # %``, whitespace or control characters, or are only dots: the gateway decodes a value
before splicing it into HeyGen's URL, so encoding alone could not keep ``../v1/user/me`` or ``a?b=c`` on its
own route.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal
from urllib.parse import quote

import attrs

from heygen_async._exceptions import ValidationError

__all__ = ["PathStyle", "PathStyleMemory", "Route", "encode_query"]

logger = logging.getLogger("heygen_async")

PathStyle = Literal["new", "old", "auto"]
PATH_STYLES: Final = ("new", "old", "auto")
_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
HTTP_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})


_NEEDS_NO_QUOTING: Final = re.compile(r"[A-Za-z0-9_.~-]*")


def _quote_component(value: str) -> str:
    # Ids and keys are almost always plain: a C-level match is cheaper than urllib's quote on every request.
    if _NEEDS_NO_QUOTING.fullmatch(value):
        return value
    return quote(value, safe="")


# The gateway decodes a path value and splices it, unencoded, into HeyGen's URL, so percent-encoding only
# protects the first hop. Characters that could change the route after that splice are refused outright.
_UNSAFE_IN_ID: Final = re.compile(r"[/\\?#%\s\x00-\x1f\x7f]")


def encode_path_value(name: str, value: Any, endpoint: str) -> str:
    """``value`` as one percent-encoded path segment; refuses what could never be a valid id.

    Refused: empty values, ``.``/``..``, and ``/ \\ ? # %``, whitespace or control characters, none of which
    appear in HeyGen ids and any of which could steer the request to another route once the gateway decodes
    the value and splices it into HeyGen's URL.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(
            f"path parameter {name!r} must be a string, not {type(value).__name__}",
            parameter=name,
            endpoint=endpoint,
        )
    text = str(value)
    if not text:
        raise ValidationError(f"path parameter {name!r} must not be empty", parameter=name, endpoint=endpoint)
    if text.strip(".") == "":
        raise ValidationError(f"path parameter {name!r} must not be {text!r}", parameter=name, endpoint=endpoint)
    bad = _UNSAFE_IN_ID.search(text)
    if bad:
        raise ValidationError(
            f"path parameter {name!r} must not contain {bad.group()!r} (ids never do, and the gateway would "
            "splice it into HeyGen's URL)",
            parameter=name,
            endpoint=endpoint,
        )
    return _quote_component(text)


def _query_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _quote_component(str(value))


def encode_query(params: Iterable[tuple[str, Any]]) -> str:
    """A query string; ``None`` values are left out, booleans are ``true``/``false``, lists repeat the key."""
    parts: list[str] = []
    for key, value in params:
        if type(value) is str:  # the commonest value (an id): no type dispatch
            parts.append(f"{_quote_component(key)}={_quote_component(value)}")
            continue
        if value is None:
            continue
        qkey = _quote_component(key)
        if isinstance(value, (list, tuple)):
            parts.extend(f"{qkey}={_query_value(item)}" for item in value if item is not None)
        else:
            parts.append(f"{qkey}={_query_value(value)}")
    return "&".join(parts)


@attrs.frozen
class Route:
    """One API route: method, HeyGen path template and whether repeating it is harmless.

    ``host`` is ``"api"`` for ``api.heygen.com`` (through the gateway: the gateway's base URL) or
    ``"upload"`` for ``upload.heygen.com``.
    """

    method: str
    path: str
    idempotent: bool
    host: Literal["api", "upload"] = "api"
    key: str = attrs.field(init=False)
    path_params: tuple[str, ...] = attrs.field(init=False)
    old_path: str = attrs.field(init=False)
    _pieces: tuple[tuple[bool, str], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.method not in HTTP_METHODS:
            raise ValueError(f"unknown HTTP method {self.method!r}")
        if not self.path.startswith("/"):
            raise ValueError(f"route path must start with '/': {self.path!r}")
        names = tuple(_PLACEHOLDER.findall(self.path))
        pieces: list[tuple[bool, str]] = []
        position = 0
        for match in _PLACEHOLDER.finditer(self.path):
            pieces.append((False, self.path[position : match.start()]))
            pieces.append((True, match.group(1)))
            position = match.end()
        pieces.append((False, self.path[position:]))
        object.__setattr__(self, "key", f"{self.method} {self.path}")
        object.__setattr__(self, "path_params", names)
        object.__setattr__(self, "old_path", _PLACEHOLDER.sub(r"\1", self.path))
        object.__setattr__(self, "_pieces", tuple(pieces))

    def new_path(self, values: Mapping[str, Any]) -> str:
        """The path with each value percent-encoded in place of its placeholder."""
        if not self.path_params:
            return self.path
        out: list[str] = []
        for is_param, text in self._pieces:
            if is_param:
                out.append(encode_path_value(text, values.get(text), self.key))
            else:
                out.append(text)
        return "".join(out)

    def check_path_values(self, values: Mapping[str, Any]) -> None:
        """Raise :class:`ValidationError` unless every placeholder has a valid value."""
        for name in self.path_params:
            encode_path_value(name, values.get(name), self.key)


class PathStyleMemory:
    """Which path format (``"new"`` or ``"old"``) each route was found to work with.

    Shared by every handle on one connection pool; export it to keep what was learnt across restarts and
    pass it back with ``HeyGenClient(path_style_memory=...)``.
    """

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        self._known: dict[str, Literal["new", "old"]] = {}
        if known:
            self.load(known)

    def get(self, route_key: str) -> Literal["new", "old"] | None:
        return self._known.get(route_key)

    def remember(self, route_key: str, style: Literal["new", "old"]) -> None:
        if self._known.get(route_key) == style:
            return
        self._known[route_key] = style
        logger.info("LowCodeAPI serves %s in the %s path format; remembering it", route_key, style)

    def export(self) -> dict[str, str]:
        """A JSON-ready copy: route key (``"GET /v2/photo_avatar/{id}"``) -> ``"new"`` or ``"old"``."""
        return dict(self._known)

    def load(self, known: Mapping[str, str]) -> None:
        """Merge a mapping produced by :meth:`export`."""
        checked: dict[str, Literal["new", "old"]] = {}
        for key, style in known.items():
            if style == "new":
                checked[str(key)] = "new"
            elif style == "old":
                checked[str(key)] = "old"
            else:
                raise ValueError(f"path style for {key!r} must be 'new' or 'old', got {style!r}")
        self._known.update(checked)

    def __repr__(self) -> str:
        return f"PathStyleMemory({self.export()!r})"
