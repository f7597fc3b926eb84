"""What the command-line tests share: the token they set, and a reader of progress lines that checks each one
says something true (its counts add up, nothing finished is shown running, no "None")."""

from __future__ import annotations

import re

import attrs

CLI_TOKEN = "at_cli-test-Sup3rSecret-token"
"""The token the command-line tests put in ``LOWCODEAPI_API_TOKEN`` (the ``cli_token`` fixture)."""

_LINE = re.compile(r"\[[#-]+\] (\d+)/(\d+) ([\w ]+?) finished(?:: (.*?))?(?:, ETA \d+s)?, \d+s")


@attrs.frozen
class ProgressLine:
    text: str
    finished: int
    total: int
    done: int
    failed: int
    timed_out: int
    running: int
    interrupted: bool


def _count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    return int(found[1]) if found else 0


def progress_lines(err: str) -> list[ProgressLine]:
    """Every progress line in ``err``, each checked to be consistent; at least one must be there."""
    lines = []
    for text in err.splitlines():
        match = _LINE.fullmatch(text.strip())
        if match is None:
            assert "finished:" not in text, f"a progress line in an unexpected form: {text!r}"
            continue
        detail = match[4] or ""
        line = ProgressLine(
            text=text,
            finished=int(match[1]),
            total=int(match[2]),
            done=_count(r"(\d+) done", detail),
            failed=_count(r"(\d+) failed", detail),
            timed_out=_count(r"(\d+) timed out", detail),
            running=_count(r"(\d+) (?:still )?running", detail),
            interrupted="interrupted" in detail,
        )
        assert line.done + line.failed == line.finished, text
        assert line.done + line.failed + line.timed_out + line.running == line.total, text
        assert "None" not in text, text
        running = re.search(r"running(?: when interrupted)? \(([^)]*)\)", detail)
        if running is not None and re.search(r"\b(completed|success|failed)\b", running[1]):
            raise AssertionError(f"a finished status shown as running: {text!r}")
        lines.append(line)
    assert lines, f"no progress line in {err!r}"
    return lines
