"""Keeping the API token out of everything a user or a log can see.

The token lives in a :class:`Secret`, whose repr and str never show it. Text copied from a response into an
error (a gateway may echo the URL it was called with) passes through :func:`scrub` first.
"""

from __future__ import annotations

import re
from typing import Any, Final

REDACTED: Final = "***"

# ``api_token=...`` in a query string, and the headers that carry credentials.
_TOKEN_IN_QUERY: Final = re.compile(r"(api_token=)[^&\s\"'#]*", re.IGNORECASE)
SECRET_HEADERS: Final = frozenset({"x-api-key", "authorization", "cookie", "set-cookie"})


class Secret:
    """A credential. ``str()`` and ``repr()`` show ``***``; only :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not picklable")


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Text with every secret and every ``api_token=`` value replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    if "api_token" in text.lower():
        text = _TOKEN_IN_QUERY.sub(r"\1" + REDACTED, text)
    return text


def scrub_json(value: Any, secrets: tuple[str, ...]) -> Any:
    """A copy of decoded JSON with secrets scrubbed from every string and credential headers masked."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {
            key: (REDACTED if isinstance(key, str) and key.lower() in SECRET_HEADERS else scrub_json(item, secrets))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(item, secrets) for item in value]
    return value


def scrub_headers(headers: Any, secrets: tuple[str, ...]) -> dict[str, str]:
    """Response headers as a plain dict, credential headers masked and values scrubbed."""
    return {
        str(name): (REDACTED if str(name).lower() in SECRET_HEADERS else scrub(str(value), secrets))
        for name, value in headers.items()
    }
