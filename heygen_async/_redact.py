"""Keeping credentials out of everything a user or a log can see.

A credential lives in a :class:`Secret`, whose repr and str never show it. Text copied from a response or a
setting into an error, a log line, a repr or CLI output passes through a :class:`Redactor` first. A server may
echo a secret in many forms, so the Redactor masks each of them: plain, percent-encoded (once or twice, either
hex case, ``+`` for a space), JSON-escaped (``\\/``, ``\\u002f``), HTML-escaped and base64 (at any alignment,
as inside a Basic ``Authorization`` value). An encoder may also escape any character, letters included, or
only some, and mix kinds (``%61%74``, ``\\u0061t``, ``&#97;%74``): the Redactor also searches the text with every
escape undone (escapes of escapes too), and masks what it finds where it stood in the text. It masks every run
of :data:`MIN_RUN` or more consecutive characters of one of those forms, so a secret cut short is masked too;
matching ignores case. That costs some false positives (an innocent 8-character run that happens to match is
masked too), accepted for secrets.

A URL's userinfo is a credential as well: :func:`mask_userinfo` shows ``https://user:***@host/...`` (``***@``
when there is no password), and :func:`url_credentials` gives the part to scrub from text.

Only error and log text is scrubbed, never a successful answer; a Redactor works out the forms of its secrets
the first time it scrubs, so one made per handle (a tenant's token) costs nothing while calls succeed.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote, quote_plus, unquote

REDACTED: Final = "***"
MIN_RUN: Final = 8
"""A run of this many consecutive characters of a secret (in one of its forms) is masked wherever it appears."""

SECRET_HEADERS: Final = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"})
# Keys whose values are credentials wherever they appear in decoded JSON: an error body echoing a request, or
# an answer that did not fit its model holding a live session's LiveKit ``access_token`` or ``session_token``, a
# webhook endpoint's signing ``secret``, or a v3 presigned upload slot (``upload_url``, ``upload_headers``: they
# let anyone write the asset until they expire), all of which the models keep out of their reprs.
_SECRET_KEYS: Final = SECRET_HEADERS | {
    "api_token",
    "api_key",
    "apikey",
    "password",
    "access_token",
    "session_token",
    "secret",
    "upload_url",
    "upload_headers",
}
# ``api_token=...`` in a query string, also with its ``=`` percent-encoded (once or twice).
_TOKEN_IN_QUERY: Final = re.compile(r"(api_token(?:=|%3d|%253d))[^&\s\"'#<>]*", re.IGNORECASE)
# The password of a URL's userinfo, wherever a URL appears in text.
_URL_PASSWORD: Final = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/?#@\s:]*:)[^/?#@\s]*@", re.IGNORECASE)
_AUTHORITY: Final = re.compile(r"^([a-z][a-z0-9+.-]*://)([^/?#]*)", re.IGNORECASE)
# One escaped character: percent (``%2B``), JSON (``\u002b``, ``\/``), HTML (``&#43;``, ``&#x2b;``, ``&amp;``).
_ESCAPE: Final = re.compile(
    r"%([0-9a-f]{2})|\\u([0-9a-f]{4})|\\([\\/\"'])|&#x([0-9a-f]{1,6});?|&#([0-9]{1,7});?|&(amp|lt|gt|quot|apos);",
    re.IGNORECASE,
)
_ENTITIES: Final = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ESCAPE_ROUNDS: Final = 3
"""How often escapes are undone in a row: an escape escaped again (``%252B``, ``&#37;2B``) is undone too."""


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


def _split_userinfo(url: str) -> tuple[str, str, str] | None:
    """``(scheme://, userinfo, rest)`` for a URL with a userinfo (the authority's last ``@`` ends it)."""
    match = _AUTHORITY.match(url)
    if match is None or "@" not in match.group(2):
        return None
    userinfo, _, host = match.group(2).rpartition("@")
    return match.group(1), userinfo, host + url[match.end() :]


def mask_userinfo(url: str) -> str:
    """``url`` as it may be shown: ``https://user:***@host/...``, or ``https://***@host/...`` when the userinfo
    has no password (then the user name is the credential, as with a token used as a user name)."""
    parts = _split_userinfo(url)
    if parts is None:
        return url
    scheme, userinfo, rest = parts
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}{user}:{REDACTED}@{rest}" if colon else f"{scheme}{REDACTED}@{rest}"


def url_credentials(url: object) -> tuple[str, ...]:
    """The credential in ``url``'s userinfo (the password, or a lone user name), as written and decoded."""
    parts = _split_userinfo(url) if isinstance(url, str) else None
    if parts is None:
        return ()
    user, colon, password = parts[1].partition(":")
    credential = password if colon else user
    return tuple(dict.fromkeys(value for value in (credential, unquote(credential)) if value))


def encoded_forms(secret: str) -> frozenset[str]:
    """The forms in which a server might echo ``secret``, lower-cased (matching ignores case)."""
    once = quote(secret, safe="")
    every = "".join(ch if ch.isalnum() and ch.isascii() else quote(ch, safe="") for ch in secret)
    escaped = json.dumps(secret)[1:-1]
    forms = {
        secret,
        once,
        every,  # unreserved characters encoded too, as some encoders do
        quote(secret),  # "/" left alone, as in a path
        quote(secret, safe="-_.!~*'()"),  # JavaScript's encodeURIComponent
        quote_plus(secret),
        quote(once, safe=""),  # encoded twice
        quote(every, safe=""),
        escaped,
        escaped.replace("/", "\\/"),
        "".join(ch if ch.isalnum() else f"\\u{ord(ch):04x}" for ch in secret if ord(ch) < 0x10000),
        html.escape(secret),
        "".join(ch if ch.isalnum() else f"&#{ord(ch)};" for ch in secret),
        "".join(ch if ch.isalnum() else f"&#x{ord(ch):x};" for ch in secret),
    }
    raw = secret.encode()
    forms.add(raw.decode("latin-1"))  # percent-escapes undone byte by byte (see _unescaped) read as Latin-1
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset, mixed in enumerate((0, 2, 3)):
            # After ``offset`` unknown bytes, the first ``mixed`` characters depend on them, and the last one
            # depends on what follows unless the secret ends a 3-byte group: keep only what the secret decides.
            text = encode(b"\0" * offset + raw).decode("ascii").rstrip("=")[mixed:]
            text = text[:-1] if (offset + len(raw)) % 3 else text
            if len(text) >= MIN_RUN:  # a shorter fragment says nothing about the secret: it would mask noise
                forms.add(text)
    return frozenset(form.lower() for form in forms if form)


class _Needles:
    """What a Redactor looks for: every ``MIN_RUN``-character window of every form, and the forms too short to
    have one, plus a pattern that finds the runs of characters that could hold a window."""

    __slots__ = ("forms", "runs", "short", "windows")

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = set().union(*(encoded_forms(secret) for secret in secrets))
        self.forms = tuple(sorted(forms, key=len, reverse=True))
        self.short = tuple(form for form in self.forms if len(form) < MIN_RUN)
        self.windows = frozenset(
            form[i : i + MIN_RUN] for form in forms if len(form) >= MIN_RUN for i in range(len(form) - MIN_RUN + 1)
        )
        alphabet = "".join(sorted(set().union(*self.windows))) if self.windows else ""
        self.runs = re.compile(f"[{re.escape(alphabet)}]{{{MIN_RUN},}}") if alphabet else None


def _unescape(match: re.Match[str]) -> str | None:
    """The character one :data:`_ESCAPE` stands for (a percent-escape's byte as Latin-1), or None if none."""
    percent, unicode, backslashed, hexadecimal, decimal, entity = match.groups()
    if percent is not None:
        return chr(int(percent, 16))
    if unicode is not None:
        return chr(int(unicode, 16))
    if backslashed is not None:
        return backslashed
    if entity is not None:
        return _ENTITIES[entity.lower()]
    code = int(hexadecimal, 16) if hexadecimal is not None else int(decimal)
    return chr(code) if code <= 0x10FFFF else None


def _unescaped_once(text: str) -> tuple[str, list[int], list[int]] | None:
    """``text`` with each escape replaced by its character, and where each character came from (``text``'s
    span ``starts[i]:ends[i]``); None if ``text`` holds no escape."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    kept = 0  # text[:kept] is dealt with
    for match in _ESCAPE.finditer(text):
        char = _unescape(match)
        if char is None:
            continue
        start, end = match.span()
        pieces += (text[kept:start], char)
        starts += (*range(kept, start), start)
        ends += (*range(kept + 1, start + 1), end)
        kept = end
    if not pieces:
        return None
    pieces.append(text[kept:])
    starts += range(kept, len(text))
    ends += range(kept + 1, len(text) + 1)
    return "".join(pieces), starts, ends


def _unescaped(text: str) -> tuple[str, list[int], list[int]] | None:
    """``text`` with its escapes undone, up to :data:`_ESCAPE_ROUNDS` times over, and for each character the
    span of ``text`` it stands for (see :func:`_unescaped_once`); None if ``text`` holds no escape."""
    view: tuple[str, list[int], list[int]] | None = None
    for _ in range(_ESCAPE_ROUNDS):
        current = text if view is None else view[0]
        if "%" not in current and "\\" not in current and "&" not in current:
            break
        once = _unescaped_once(current)
        if once is None:
            break
        if view is not None:  # spans of the previous round's text: make them spans of ``text``
            _, starts, ends = view
            once = (once[0], [starts[i] for i in once[1]], [ends[i - 1] for i in once[2]])
        view = once
    return view


def _lower(text: str) -> str:
    """``text`` lower-cased, character for character (so positions still match the original)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


class Redactor:
    """Scrubs the secrets it was given, in all their forms, from text and JSON. Its repr never shows them, so
    a traceback that captures local variables (Sentry, ``pytest --showlocals``) cannot reveal them."""

    __slots__ = ("_needles", "_secrets")

    def __init__(self, *secrets: str) -> None:
        self._secrets = tuple(dict.fromkeys(s for s in secrets if s))
        self._needles: _Needles | None = None

    def __repr__(self) -> str:
        return f"Redactor({REDACTED})"

    def __reduce__(self) -> Any:
        raise TypeError("a Redactor is not picklable")

    def learn(self, secret: str) -> None:
        """Scrub ``secret`` from now on too: a credential an answer handed over (a webhook endpoint's signing
        secret), which a later error may echo. The first 64 learnt are kept (the token always is)."""
        if secret and secret not in self._secrets and len(self._secrets) < 65:
            self._secrets = (*self._secrets, secret)
            self._needles = None

    def _find(self) -> _Needles:
        if self._needles is None:
            self._needles = _Needles(self._secrets)
        return self._needles

    def text(self, text: str) -> str:
        """``text`` with every form of every secret, every ``api_token=`` value and every URL password masked."""
        if self._secrets and text:
            text = self._mask(text)
        if "api_token" in text.lower():
            text = _TOKEN_IN_QUERY.sub(r"\1" + REDACTED, text)
        if "@" in text and "://" in text:
            text = _URL_PASSWORD.sub(r"\1" + REDACTED + "@", text)
        return text

    def _mask(self, text: str) -> str:
        needles = self._find()
        spans = self._spans(needles, _lower(text))
        view = _unescaped(text)
        if view is not None:  # the same search with every escape undone, mapped back onto the text
            unescaped, starts, ends = view
            spans += [(starts[start], ends[end - 1]) for start, end in self._spans(needles, _lower(unescaped))]
        if not spans:
            return text
        spans.sort()
        out: list[str] = []
        kept = 0  # text[:kept] is dealt with
        start, end = spans[0]
        for next_start, next_end in spans[1:]:
            if next_start <= end:  # overlapping or touching: one mask
                end = max(end, next_end)
                continue
            out += (text[kept:start], REDACTED)
            kept, start, end = end, next_start, next_end
        out += (text[kept:start], REDACTED, text[end:])
        return "".join(out)

    @staticmethod
    def _spans(needles: _Needles, lowered: str) -> list[tuple[int, int]]:
        """Where ``lowered`` holds a window of a secret's form, or a whole form too short to have one."""
        spans: list[tuple[int, int]] = []
        if needles.runs is not None and len(lowered) >= MIN_RUN:
            windows = needles.windows
            for run in needles.runs.finditer(lowered):
                start, end = run.span()
                for i in range(start, end - MIN_RUN + 1):
                    if lowered[i : i + MIN_RUN] in windows:
                        spans.append((i, i + MIN_RUN))
        for form in needles.short:
            at = lowered.find(form)
            while at >= 0:
                spans.append((at, at + len(form)))
                at = lowered.find(form, at + 1)
        return spans

    def json(self, value: Any) -> Any:
        """A copy of decoded JSON with every string (keys too) scrubbed and credential fields masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                (self.text(key) if isinstance(key, str) else key): (
                    REDACTED if isinstance(key, str) and key.lower() in _SECRET_KEYS else self.json(item)
                )
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return value

    def headers(self, headers: Any) -> dict[str, str]:
        """Response headers as a plain dict, credential headers masked, names and values scrubbed."""
        return {
            self.text(str(name)): (REDACTED if str(name).lower() in SECRET_HEADERS else self.text(str(value)))
            for name, value in headers.items()
        }

    def excerpt(self, raw: bytes, limit: int) -> str:
        """A short, whitespace-collapsed, scrubbed excerpt of a body (see :meth:`cut`)."""
        return self.cut(raw[:65536].decode("utf-8", "replace"), limit)

    def cut(self, text: str, limit: int) -> str:
        """``text`` scrubbed, whitespace collapsed and cut to ``limit`` characters (then ``...``).

        Scrubbing happens before cutting, and the start of a secret (in any form) left dangling at the cut
        is masked too, from its fourth character on.
        """
        text = " ".join(self.text(text).split())
        if len(text) <= limit:
            return text
        text = text[:limit]
        prefixes = (*self._find().forms, "api_token=") if self._secrets else ("api_token=",)
        dangling = _dangling(_lower(text), prefixes)
        view = _unescaped(text)
        if view is not None and view[2][-1] == len(text):  # the same, escapes undone (when none is cut in two)
            unescaped, starts, _ = view
            size = _dangling(_lower(unescaped), prefixes)
            if size:
                dangling = max(dangling, len(text) - starts[len(unescaped) - size])
        return text[:-dangling] + REDACTED + "..." if dangling else text + "..."


def _dangling(lowered: str, prefixes: Iterable[str]) -> int:
    """How many of the last characters of ``lowered`` are the start (4 characters or more) of one of
    ``prefixes``; 0 if none."""
    for form in prefixes:
        for size in range(min(len(form), len(lowered)), 3, -1):
            if lowered.endswith(form[:size]):
                return size
    return 0
