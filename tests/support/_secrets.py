"""Where a leaked credential would show: every piece of text an error exposes to a user, a log or an error
tracker, down to the local variables of the library's frames in its traceback; the forms a server may echo a secret
in, and the check that none of them shows. "Shows" means any run of 8 characters of any encoding of the secret
(percent-escapes in either hex case), escaped or not, or base64 of it at any alignment."""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
import traceback
from urllib.parse import quote, quote_plus, unquote


def library_locals(error: BaseException | None) -> list[str]:
    """The reprs of the local variables of heygen_async's frames in the error's traceback (and chain), as an
    error tracker capturing locals would record them. The test's own frames and the emulator's are left out:
    they hold the token on purpose."""
    found: list[str] = []
    while error is not None:
        tb = error.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            # The emulator's package, not any path holding the word (a checkout may be named after it).
            filename = frame.f_code.co_filename
            if "heygen_async" in filename and os.path.join("heygen_async", "emulator") not in filename:
                found += [f"{name}={value!r}" for name, value in frame.f_locals.items()]
            tb = tb.tb_next
        error = error.__cause__ or error.__context__
    return found


def error_text(error: BaseException) -> str:
    """All the text a user, a log or an error tracker could get from an error (and its chain)."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error)), *library_locals(error)]
    parts += [f"{name}={value!r}" for name, value in vars(error).items()]
    return "\n".join(parts)


def encodings(secret: str) -> dict[str, str]:
    """The forms in which a server may echo ``secret``, by name: also with every character escaped (letters
    too), with only some escaped, and with kinds of escape mixed."""
    once = quote(secret, safe="")
    every_byte = "".join(f"%{byte:02X}" for byte in secret.encode())
    return {
        "plain": secret,
        "percent": once,
        "percent-lower-hex": re.sub(r"%[0-9A-F]{2}", lambda escape: escape.group().lower(), once),
        "percent-path": quote(secret),
        "percent-twice": quote(once, safe=""),
        "form": quote_plus(secret),
        "json": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "json-unicode": "".join(ch if ch.isalnum() else f"\\u{ord(ch):04x}" for ch in secret),
        "html": html.escape(secret),
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64-url": base64.urlsafe_b64encode(secret.encode()).decode(),
        "percent-every-byte": every_byte,
        "percent-every-byte-twice": every_byte.replace("%", "%25"),
        "json-unicode-every-char": "".join(f"\\u{ord(ch):04X}" for ch in secret),
        "html-every-char": "".join(f"&#{ord(ch)};" for ch in secret),
        "percent-some": "".join(f"%{ord(ch):02x}" if n % 3 == 0 else ch for n, ch in enumerate(secret)),
        "mixed-escapes": "".join(
            (f"\\u{ord(ch):04x}", f"&#x{ord(ch):x};", f"%{ord(ch):02X}", ch)[n % 4] for n, ch in enumerate(secret)
        ),
        "html-of-percent": once.replace("%", "&#37;"),
    }


def windows(secret: str) -> set[str]:
    """Every run of 8 characters of every encoding of ``secret``."""
    return {form[i : i + 8] for form in encodings(secret).values() for i in range(max(1, len(form) - 7))}


def base64_leak(text: str, secret: str) -> str | None:
    """A run of base64 in ``text`` that decodes (at any alignment) to 8 bytes of ``secret`` in a row, if any:
    the encoding's windows alone miss a secret encoded after a prefix (``Basic base64(user:secret)``)."""
    raw = secret.encode()
    chunks = {raw[i : i + 8] for i in range(len(raw) - 7)}
    for match in re.finditer(r"[A-Za-z0-9+/_-]{11,}", text):
        run = match.group().replace("-", "+").replace("_", "/")
        for start in range(4):
            piece = run[start:]
            decoded = base64.b64decode(piece[: len(piece) // 4 * 4])
            if any(chunk in decoded for chunk in chunks):
                return run
    return None


def unescaped(text: str) -> str:
    """``text`` with its HTML, JSON (``\\uXXXX``) and percent escapes undone, escapes of escapes too."""
    for _ in range(3):
        text = html.unescape(text)
        text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda escape: chr(int(escape.group(1), 16)), text)
        text = unquote(text)
    return text


def assert_clean(what: str, text: str, secret: str) -> None:
    for window in windows(secret):
        assert window not in text, f"the secret leaked into {what} (as {window!r})"
    plain = unescaped(text)
    for i in range(len(secret) - 7):
        assert secret[i : i + 8] not in plain, f"the secret leaked into {what}, escaped ({secret[i : i + 8]!r})"
    leak = base64_leak(text, secret)
    assert leak is None, f"the secret leaked into {what}, base64-encoded ({leak!r})"


def record_text(record: logging.LogRecord) -> str:
    """A record as any handler could render it: the formatted message, the raw msg and args, the traceback."""
    parts = [logging.Formatter("%(name)s %(levelname)s %(message)s").format(record), str(record.msg)]
    parts.append(repr(record.args))
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(error_text(record.exc_info[1]))
    parts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in ("msg", "args", "exc_info")]
    return "\n".join(parts)


def echo(secret: str) -> str:
    """Everything a hostile server might say back: every encoding of the secret, whole and cut short, and the
    Basic credentials a client sends for a URL's userinfo."""
    pieces = [secret, secret[:8], secret[:13], secret[-9:], secret[5:17]]
    forms = [form for piece in pieces for form in encodings(piece).values()]
    basic = base64.b64encode(f"user:{secret}".encode()).decode()
    return " | ".join([*forms, f"Authorization: Basic {basic}", f"GET /v1/user/me?api_token={quote(secret)}"])
