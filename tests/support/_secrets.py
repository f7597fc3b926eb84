"""Where a leaked credential would show: every piece of text an error exposes to a user, a log or an error
tracker, down to the local variables of the library's frames in its traceback."""

from __future__ import annotations

import os
import traceback


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
