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


class Redactor:
    """Scrubs the secrets it was given from text and JSON. Its repr never shows them, so a traceback that
    captures local variables (Sentry, ``pytest --showlocals``) cannot reveal the token through it."""

    __slots__ = ("_secrets",)

    def __init__(self, *secrets: str) -> None:
        self._secrets = tuple(s for s in secrets if s)

    def __repr__(self) -> str:
        return f"Redactor({REDACTED})"

    def __reduce__(self) -> Any:
        raise TypeError("a Redactor is not picklable")

    def text(self, text: str) -> str:
        return scrub(text, self._secrets)

    def json(self, value: Any) -> Any:
        return scrub_json(value, self._secrets)

    def headers(self, headers: Any) -> dict[str, str]:
        return scrub_headers(headers, self._secrets)

    def excerpt(self, raw: bytes, limit: int) -> str:
        """A short, whitespace-collapsed, scrubbed excerpt of a body.

        Scrubbing happens before cutting, and a secret's prefix left dangling at the cut is masked too.
        """
        text = scrub(raw[:65536].decode("utf-8", "replace"), self._secrets)
        text = " ".join(text.split())
        if len(text) <= limit:
            return text
        text = text[:limit]
        for secret in (*self._secrets, "api_token="):
            for size in range(min(len(secret), len(text)), 3, -1):
                if text.endswith(secret[:size]):
                    text = text[:-size] + REDACTED
                    break
        return text + "..."


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
