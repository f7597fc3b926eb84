"""HeyGen v3's request checks, as the emulator makes them: body fields, cursor pages and comma-separated ids.

Every refusal is HeyGen's ``400 invalid_parameter`` naming the offending field in ``param`` (a dotted path
into the body, e.g. ``videos[3].image.url``), so a client sees which value was wrong.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import attrs

__all__ = [
    "MEDIA_KINDS",
    "Body",
    "Page",
    "V3Refusal",
    "check_id_count",
    "check_media",
    "id_list",
    "invalid",
    "page",
    "query_choice",
    "query_number",
]

T = TypeVar("T")

MEDIA_KINDS: Final = ("url", "asset_id", "base64")
"""The three ways a v3 body hands over a file: ``{"type": "url", "url"}``, ``{"type": "asset_id", "asset_id"}``,
``{"type": "base64", "media_type", "data"}``."""
_MAX_IDS: Final = 100


class V3Refusal(Exception):
    """HeyGen v3 says no: HTTP ``status``, error ``code``, ``message``, the ``param`` at fault, extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = dict(headers or {})


def invalid(param: str, message: str) -> V3Refusal:
    """HeyGen's ``400 invalid_parameter`` for ``param``."""
    return V3Refusal(400, "invalid_parameter", f"{param}: {message}", param=param)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Body:
    """A JSON object of a request body (or a nested one), read field by field with HeyGen's checks.

    Each reader returns the value (None when absent or null and not required) or raises the refusal.
    """

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def param(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def _raw(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise invalid(self.param(name), "field required")
        return value

    def text(
        self,
        name: str,
        *,
        required: bool = False,
        choices: Sequence[str] | None = None,
        max_length: int | None = None,
    ) -> str | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise invalid(self.param(name), "expected a string")
        if required and not value.strip():
            raise invalid(self.param(name), "must not be empty")
        if choices is not None and value not in choices:
            raise invalid(self.param(name), f"must be one of {', '.join(choices)}")
        if max_length is not None and len(value) > max_length:
            raise invalid(self.param(name), f"at most {max_length} characters")
        return value

    def required_text(self, name: str, **options: Any) -> str:
        value = self.text(name, required=True, **options)
        assert value is not None  # required: text() raised otherwise
        return value

    def flag(self, name: str) -> bool | None:
        value = self._raw(name, False)
        if value is not None and not isinstance(value, bool):
            raise invalid(self.param(name), "expected true or false")
        return value

    def number(
        self, name: str, *, minimum: float | None = None, maximum: float | None = None, whole: bool = False
    ) -> float | None:
        value = self._raw(name, False)
        if value is None:
            return None
        if not (_is_int(value) if whole else _is_number(value)):
            raise invalid(self.param(name), "expected a whole number" if whole else "expected a number")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise invalid(self.param(name), f"must be within {minimum}..{maximum}")
        return float(value)

    def texts(
        self,
        name: str,
        *,
        required: bool = False,
        choices: Sequence[str] | None = None,
        max_items: int | None = None,
    ) -> list[str] | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise invalid(self.param(name), "expected a list of strings")
        if required and not value:
            raise invalid(self.param(name), "must not be empty")
        if max_items is not None and len(value) > max_items:
            raise invalid(self.param(name), f"at most {max_items} items")
        for index, item in enumerate(value):
            if choices is not None and item not in choices:
                raise invalid(f"{self.param(name)}[{index}]", f"unknown value {item!r}")
        return list(value)

    def obj(self, name: str, *, required: bool = False) -> Body | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid(self.param(name), "expected an object")
        return Body(value, self.param(name))

    def objects(self, name: str, *, required: bool = False, min_items: int = 0, max_items: int) -> list[Body]:
        value = self._raw(name, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise invalid(self.param(name), "expected a list of objects")
        if not min_items <= len(value) <= max_items:
            raise invalid(self.param(name), f"must hold {min_items} to {max_items} items")
        bodies = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise invalid(f"{self.param(name)}[{index}]", "expected an object")
            bodies.append(Body(item, f"{self.param(name)}[{index}]"))
        return bodies

    def media(self, name: str, *, required: bool = False, kinds: Sequence[str] = MEDIA_KINDS) -> dict[str, Any] | None:
        """A file given as ``{"type": "url" | "asset_id" | "base64", ...}``; the checked object."""
        source = self.obj(name, required=required)
        return None if source is None else check_media(source, kinds)

    def media_list(self, name: str, *, max_items: int, kinds: Sequence[str] = MEDIA_KINDS) -> list[dict[str, Any]]:
        return [check_media(item, kinds) for item in self.objects(name, max_items=max_items)]

    def url(self, name: str, *, required: bool = False) -> str | None:
        """An http(s) URL (webhook and callback URLs)."""
        value = self.text(name, required=required, max_length=2048)
        if value is not None and urllib.parse.urlsplit(value).scheme not in ("http", "https"):
            raise invalid(self.param(name), "must be an http(s) URL")
        return value


def check_media(source: Body, kinds: Sequence[str] = MEDIA_KINDS) -> dict[str, Any]:
    """A checked file source. A URL on a host that cannot exist (``.invalid``, RFC 2606) is HeyGen's
    ``400 download_failed``: the emulator's way to show a file it could not fetch."""
    kind = source.required_text("type", choices=kinds)
    if kind == "url":
        url = source.required_text("url", max_length=2048)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid(source.param("url"), "must be an http(s) URL")
        if parts.hostname.endswith(".invalid"):
            raise V3Refusal(
                400,
                "download_failed",
                f"{source.param('url')}: the file could not be downloaded from {parts.hostname}",
                param=source.param("url"),
            )
    elif kind == "asset_id":
        source.required_text("asset_id", max_length=255)
    else:
        source.required_text("media_type", max_length=255)
        data = source.required_text("data")
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise invalid(source.param("data"), "not valid base64") from None
    return dict(source.data)


def query_number(
    query: Mapping[str, str], name: str, *, default: float, minimum: float, maximum: float, whole: bool = True
) -> float:
    """A number from the query string, within ``minimum..maximum``."""
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise invalid(name, f"expected a {'whole ' if whole else ''}number, got {text!r}") from None
    if not minimum <= value <= maximum:
        raise invalid(name, f"must be within {minimum:g}..{maximum:g}, got {text}")
    return value


def query_choice(query: Mapping[str, str], name: str, choices: Sequence[str], *, required: bool = False) -> str | None:
    text = query.get(name)
    if text is None or text == "":
        if required:
            raise invalid(name, "field required")
        return None
    if text not in choices:
        raise invalid(name, f"must be one of {', '.join(choices)}")
    return text


def id_list(query: Mapping[str, str], name: str) -> list[str]:
    """The comma-separated ids of query parameter ``name``, in order, without blanks or repeats."""
    seen: dict[str, None] = {}
    for part in (query.get(name) or "").split(","):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def check_id_count(*lists: tuple[str, list[str]]) -> None:
    """Bulk status takes up to 100 ids in all; naming none at all is refused as well."""
    total = sum(len(ids) for _, ids in lists)
    if total == 0:
        raise invalid(lists[0][0], f"give at least one id in {' or '.join(name for name, _ in lists)}")
    if total > _MAX_IDS:
        raise invalid(lists[0][0], f"at most {_MAX_IDS} ids per request, got {total}")


@attrs.frozen
class Page:
    """One page of a cursor list: its items, whether more follow, and the token that fetches them."""

    items: list[Any]
    has_more: bool
    next_token: str | None


def _token(key: int) -> str:
    return base64.urlsafe_b64encode(f"k{key}".encode()).decode().rstrip("=")


def _key(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise invalid("token", "not a token this list returned") from None
    if re.fullmatch(r"k-?[0-9]{1,18}", text) is None:
        raise invalid("token", "not a token this list returned")
    return int(text[1:])


def page(
    items: Sequence[T],
    query: Mapping[str, str],
    *,
    default: int,
    maximum: int,
    key: Callable[[T], int],
    descending: bool = False,
) -> Page:
    """The page of ``items`` that ``limit`` and ``token`` ask for.

    ``items`` come in the list's order and ``key`` numbers them strictly increasing along it (or decreasing,
    when ``descending``: newest first by creation sequence): the token names the last item returned, so items
    created or deleted between two pages neither repeat nor shift the next page.
    """
    limit = int(query_number(query, "limit", default=default, minimum=1, maximum=maximum))
    start = 0
    token = query.get("token")
    if token:
        after = _key(token)
        start = next(
            (i for i, item in enumerate(items) if (key(item) < after if descending else key(item) > after)),
            len(items),
        )
    chunk = list(items[start : start + limit])
    more = start + limit < len(items)
    return Page(chunk, more, _token(key(chunk[-1])) if more and chunk else None)
