"""What the command line prints: tables for people, JSON for machines, progress on stderr.

Results go to stdout (a table, or one JSON document with ``--json``); progress, notes and errors go to stderr,
so ``--json`` output can always be piped. Progress redraws one line on a terminal and prints a line per change
otherwise (logs, CI). Webhook secrets are masked unless asked for; the API token is never printed at all.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from heygen_async._jobs._progress import describe_statuses

if TYPE_CHECKING:
    from heygen_async._jobs._progress import JobProgress

__all__ = ["ByteProgress", "Output", "Progress", "jsonable", "mask"]

_CELL = 48


def mask(secret: str | None) -> str | None:
    """``whsec_...wxyz``: enough to tell secrets apart, not enough to use one."""
    if not secret:
        return secret
    return secret[:6] + "..." + secret[-4:] if len(secret) > 12 else "***"


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: results as their fields (not ``raw``), enums as their values."""
    from heygen_async._models import Model, TolerantEnum  # not at import: ``heygen-async --help`` loads no result model

    if isinstance(value, TolerantEnum):
        return value.value
    if isinstance(value, Model) or attrs.has(type(value)):
        return {
            field.name: jsonable(getattr(value, field.name))
            for field in attrs.fields(type(value))
            if field.name != "raw" and field.repr is not False
        }
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _cell(value: Any) -> str:
    from heygen_async._models import TolerantEnum

    if value is None:
        return "-"
    if isinstance(value, TolerantEnum):
        value = value.value
    if isinstance(value, float):
        text = f"{value:.1f}" if value != int(value) else str(int(value))
    elif isinstance(value, (list, tuple)):
        text = ", ".join(str(item) for item in value)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= _CELL else text[: _CELL - 3] + "..."


class Output:
    """Where a command writes: ``result()`` prints a table or JSON, ``note()`` a line on stderr."""

    def __init__(self, *, json_mode: bool, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr

    def note(self, text: str) -> None:
        """A line for people, on stderr (kept out of ``--json`` output)."""
        print(text, file=self.stderr, flush=True)

    def line(self, text: str = "") -> None:
        """A line of the human result, on stdout (not printed in ``--json`` mode)."""
        if not self.json_mode:
            print(text, file=self.stdout, flush=True)

    def json(self, data: Any) -> None:
        json.dump(jsonable(data), self.stdout, indent=2, ensure_ascii=False)
        self.stdout.write("\n")
        self.stdout.flush()

    def table(self, rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
        cells = [[_cell(value) for value in row] for row in rows]
        widths = [len(header) for header in headers]
        for row in cells:
            widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
        out = self.stdout
        out.write(
            "  ".join(header.upper().ljust(width) for header, width in zip(headers, widths, strict=True)).rstrip()
        )
        out.write("\n")
        for row in cells:
            out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
        out.flush()

    def result(self, data: Any, rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
        """``data`` as JSON in ``--json`` mode, else ``rows`` as a table."""
        if self.json_mode:
            self.json(data)
        else:
            self.table(rows, headers)

    def fields(self, data: Any, pairs: Sequence[tuple[str, Any]]) -> None:
        """``data`` as JSON, or ``name: value`` lines."""
        if self.json_mode:
            self.json(data)
            return
        width = max((len(name) for name, _ in pairs), default=0)
        for name, value in pairs:
            self.stdout.write(f"{name.ljust(width)}  {_cell(value)}\n")
        self.stdout.flush()


class Progress:
    """A progress line on stderr for the jobs a :class:`~heygen_async.JobProgress` counts: a bar of the finished
    ones, the counts by state, the running jobs' last statuses, an ETA.

    ``[######------] 2/4 renders finished: 1 done, 1 failed, 2 running (status processing 2), ETA 3s, 5s``. A job
    whose wait timed out or was interrupted is not finished (it goes on at HeyGen) and never counts as failed.
    On a terminal it redraws in place; elsewhere it prints a line whenever the text (without the times)
    changes, so logs show each step without flooding.
    """

    def __init__(self, label: str, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self._progress: JobProgress | None = None
        self._interrupted = False
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = ""

    def show(self, progress: JobProgress) -> None:
        """Draw ``progress`` (the callback for ``as_completed(on_progress=...)``)."""
        self._progress = progress
        self._draw()

    def interrupted(self) -> None:
        """Say the waiting was interrupted, with the jobs still running."""
        self._interrupted = True
        self._draw()

    def text(self) -> str:
        progress = self._progress
        if progress is None:
            return f"{self.label}: starting"
        total, finished = progress.total, progress.done + progress.failed
        width = 24
        filled = 0 if total <= 0 else round(width * finished / total)
        parts = []
        if progress.done:
            parts.append(f"{progress.done} done")
        if progress.failed:
            parts.append(f"{progress.failed} failed")
        if progress.timed_out:
            last = progress.status_counts("timed_out")
            seen = "no status seen yet" if list(last) == [None] else f"last {describe_statuses(last)}"
            parts.append(f"{progress.timed_out} timed out ({seen})")
        if progress.running:
            statuses = describe_statuses(progress.status_counts("running"))
            still = " still running when interrupted" if self._interrupted else " running"
            parts.append(f"{progress.running}{still} ({statuses})")
        line = f"[{'#' * filled}{'-' * (width - filled)}] {finished}/{total} {self.label} finished"
        if parts:
            line += ": " + ", ".join(parts)
        elapsed = time.monotonic() - self.started
        if 0 < finished < total and progress.running and not self._interrupted:
            line += f", ETA {elapsed / finished * (total - finished):.0f}s"
        return line + f", {elapsed:.0f}s"

    def _draw(self) -> None:
        text = self.text()
        if self._tty:
            self.stream.write("\r" + text.ljust(len(self._last)))
            self.stream.flush()
        elif _steady(text) != _steady(self._last):
            self.stream.write(text + "\n")
            self.stream.flush()
        self._last = text

    def finish(self) -> None:
        if self._tty:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()


def _steady(text: str) -> str:
    """The progress text without what changes by itself (elapsed time, ETA): what makes a new line in a log."""
    return ", ".join(part for part in text.split(", ")[:-1] if not part.startswith("ETA "))


class ByteProgress:
    """A download's progress on stderr: redrawn at most 10 times a second on a terminal, else a line per
    quarter (or per 10 MB when the size is unknown)."""

    def __init__(self, label: str, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._drawn_at = 0.0
        self._step = -1
        self._last = ""
        self.started = time.monotonic()

    def __call__(self, done: int, total: int | None) -> None:
        text = f"{self.label}: {done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total else "")
        if self._tty:
            now = time.monotonic()
            if now - self._drawn_at >= 0.1 or (total is not None and done >= total):
                self._drawn_at = now
                self.stream.write("\r" + text.ljust(len(self._last)))
                self.stream.flush()
                self._last = text
            return
        step = int(done * 4 / total) if total else done // 10_000_000
        if step != self._step:
            self._step = step
            self.stream.write(text + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if self._tty and self._last:
            self.stream.write("\n")
            self.stream.flush()
