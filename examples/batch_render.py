"""Render a CSV of scripts into videos, a few at a time, and pick up where an interrupted run stopped.

What it shows:

- ``client.jobs.batch(work, submit, kind="video", concurrency=N)``: at most N renders unfinished at once,
  each row yielded as a :class:`heygen_async.BatchItem` when its render ends, and
  ``hg.BatchSummary.of(items)`` counting the outcomes (succeeded, failed, ambiguous, timed out, not
  submitted: they always add up);
- a state file (JSON lines, appended and flushed as things happen) that makes the run resumable. Before a
  render is asked for, its row is written down as ``submitting``; once HeyGen answers, as ``submitted`` with
  the render's resume token; when it ends, with its outcome. Run the same command again and it skips the
  rows already finished, *resumes* the ones submitted but unfinished (``client.jobs.resume(token)``) instead
  of submitting them again, and holds back the ones whose submission may or may not have reached HeyGen
  (``ambiguous``, or ``submitting`` when the run was cut off mid-request): check those in HeyGen (each video
  is titled with its row's name), then delete the row's lines from the state file to submit it again. Rows
  HeyGen refused outright, or that a ``--timeout`` left unsubmitted, are submitted again;
- optionally, each finished video downloaded with ``client.videos.download`` (``--out-dir``) while the rest
  still render.

The CSV has a header row and the columns ``name`` (unique: it keys the state file) and ``script``, and
optionally ``avatar_id`` and ``voice_id`` (empty: a default avatar and voice).

By default it renders the bundled examples/data/scripts.csv against the embedded emulator, started
in-process on 127.0.0.1 (no account, no internet; time runs 100x, so a render takes a third of a second).
One of its rows contains ``#fail``, which the emulator fails in HeyGen's shape (error 40119, "Emulated
failure"). The state file is then temporary, unless ``--state`` names one (each run starts a fresh emulator, so a state
file from an earlier emulator run names renders this one never saw: such rows are reported, not submitted
again). The exit code is 0 when every row has finished (rendered, or failed at HeyGen), 1 when some are
left to resume or to check, 2 for a bad CSV or bad arguments.

Run it with::

    python examples/batch_render.py
    python examples/batch_render.py --csv my.csv --state my.state.jsonl --concurrency 2 --out-dir videos/

Against a real gateway (token from ``LOWCODEAPI_API_TOKEN``; the state file defaults to
``batch_render.state.jsonl`` in the current directory). Interrupt it (Ctrl-C) and run the same command again:
it resumes::

    python examples/batch_render.py --base-url https://api.lowcodeapi.com/heygen --csv my.csv --out-dir videos/
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, TextIO

import anyio

import heygen_async as hg
from heygen_async.emulator import Emulator, ScaledClock

log = logging.getLogger("batch_render")

HERE: Final = Path(__file__).resolve().parent
SAMPLE_CSV: Final = HERE / "data" / "scripts.csv"
DEFAULT_AVATAR: Final = "Angela-inTshirt-20220820"
DEFAULT_VOICE: Final = "1bd001e7e50f421d891986aad5158bc8"
EMULATOR_POLLS: Final = hg.PollPolicy(first_poll=0.1, max_interval=0.3)
"""The emulator's renders take a fraction of a second: poll at that pace, not HeyGen's (5 s, then up to 30 s)."""

FINISHED: Final = frozenset({"succeeded", "failed"})
"""Nothing more to do for the row."""
HELD: Final = frozenset({"submitting", "ambiguous"})
"""The submission may have created a render: never submitted again without a person checking."""
RESUMABLE: Final = frozenset({"submitted", "timed_out"})
"""A render exists: follow it by its resume token. Any other state (or none) means: submit the row."""


# -- the CSV ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    script: str
    avatar_id: str = DEFAULT_AVATAR
    voice_id: str = DEFAULT_VOICE


class CsvError(ValueError):
    """The CSV cannot be used as it is; the message says where and why."""


def read_rows(path: Path) -> list[Row]:
    """The CSV's rows (blank lines skipped); :class:`CsvError` names the first line that is wrong."""
    rows: list[Row] = []
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        missing = {"name", "script"} - set(reader.fieldnames or ())
        if missing:
            raise CsvError(
                f"{path}: the header lacks {', '.join(sorted(missing))} (columns: name,script[,avatar_id,voice_id])"
            )
        names: set[str] = set()
        for record in reader:
            fields = {key: (value or "").strip() for key, value in record.items() if isinstance(value, str)}
            if not any(fields.values()):
                continue
            where = f"{path}:{reader.line_num}"
            name, script = fields.get("name", ""), fields.get("script", "")
            if not name or not script:
                raise CsvError(f"{where}: every row needs a name and a script")
            if name in names:
                raise CsvError(f"{where}: the name {name!r} is used twice (names key the state file)")
            names.add(name)
            avatar_id = fields.get("avatar_id") or DEFAULT_AVATAR
            rows.append(Row(name, script, avatar_id, fields.get("voice_id") or DEFAULT_VOICE))
    if not rows:
        raise CsvError(f"{path}: no rows to render")
    return rows


# -- the state file -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RowState:
    """Where a row stood at the end of the state file."""

    state: str
    video_id: str | None = None
    resume_token: str | None = None
    detail: str | None = None


class StateFile:
    """One JSON object per line, appended and flushed as things happen, so a crash loses nothing already
    written (flushed to the OS: it survives the process being killed; add ``os.fsync`` for power loss). The
    last line about a row says where it stands; a video id and resume token, once known, are kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO | None = None

    def load(self) -> dict[str, RowState]:
        states: dict[str, RowState] = {}
        if not self.path.exists():
            return states
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                entry = json.loads(line) if line.strip() else None
            except ValueError:  # a line cut short by a crash mid-write: it said nothing
                log.warning("%s:%d is not JSON; ignored", self.path, number)
                continue
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            before = states.get(entry["name"], RowState(""))
            states[entry["name"]] = RowState(
                state=str(entry.get("state", "")),
                video_id=entry.get("video_id") or before.video_id,
                resume_token=entry.get("resume_token") or before.resume_token,
                detail=entry.get("detail"),
            )
        return states

    def __enter__(self) -> StateFile:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        torn = self._ends_mid_line()
        self._file = self.path.open("a", encoding="utf-8")
        if torn:  # end the half-written line, so the next one is whole
            self._file.write("\n")
        return self

    def _ends_mid_line(self) -> bool:
        try:
            with self.path.open("rb") as file:
                if file.seek(0, os.SEEK_END) == 0:
                    return False
                file.seek(-1, os.SEEK_END)
                return file.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(self, name: str, state: str, **fields: Any) -> None:
        if self._file is None:
            raise RuntimeError("the state file is not open: use it in a with block")
        entry = {"time": round(time.time(), 3), "name": name, "state": state, **fields}
        self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self._file.flush()


# -- the batch --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Work:
    """One row for the batch: ``job`` is the render an earlier run submitted (resumed), or None (submit it)."""

    row: Row
    job: hg.Job[Any] | None = None


@dataclasses.dataclass
class Report:
    """What a run did. ``states`` is where every row stands afterwards (as the state file now says)."""

    items: list[hg.BatchItem[Work]] = dataclasses.field(default_factory=list)
    states: dict[str, str] = dataclasses.field(default_factory=dict)
    submitted: int = 0
    """Renders this run asked HeyGen for."""
    resumed: list[str] = dataclasses.field(default_factory=list)
    finished_before: list[str] = dataclasses.field(default_factory=list)
    held: list[str] = dataclasses.field(default_factory=list)
    unresumable: dict[str, str] = dataclasses.field(default_factory=dict)
    downloaded: list[Path] = dataclasses.field(default_factory=list)

    @property
    def summary(self) -> hg.BatchSummary:
        """This run's batch: the rows submitted or resumed in it."""
        return hg.BatchSummary.of(self.items)

    @property
    def complete(self) -> bool:
        """Every row has finished: rendered, or failed at HeyGen."""
        return all(state in FINISHED for state in self.states.values())


def outcome(item: hg.BatchItem[Work]) -> tuple[str, str | None]:
    """The state a finished batch item leaves its row in, and a few words on why."""
    error = item.error
    if error is None:
        return "succeeded", None
    if item.ambiguous:
        return "ambiguous", f"{type(error).__name__}: {error}"
    if isinstance(error, hg.PollTimeout):
        return "timed_out", f"still {error.last_status or 'unknown'} at the deadline"
    if isinstance(error, hg.NotSubmitted):
        return "not_submitted", "the deadline passed before it was submitted"
    if isinstance(error, hg.JobFailed):
        return "failed", error.reason
    if item.job_id is None:  # the submission was refused: no render exists, so a rerun may submit it again
        return "refused", f"{type(error).__name__}: {error}"
    return "failed", f"{type(error).__name__}: {error}"  # e.g. HeyGen no longer knows the render


def file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "video"


async def render_batch(
    client: hg.HeyGenClient,
    rows: Sequence[Row],
    state_path: Path,
    *,
    concurrency: int = 3,
    timeout: float | None = None,
    out_dir: Path | None = None,
) -> Report:
    """Render ``rows``, at most ``concurrency`` at once, recording progress in ``state_path`` and resuming what
    an earlier run with the same state file left unfinished. ``timeout`` bounds the whole batch (rows still
    rendering then are resumed by the next run)."""
    state = StateFile(state_path)
    earlier = state.load()
    report = Report()
    resumed: list[Work] = []
    fresh: list[Work] = []
    for row in rows:
        before = earlier.get(row.name)
        if before is None or not before.state:
            fresh.append(Work(row))
        elif before.state in FINISHED:
            report.finished_before.append(row.name)
        elif before.state in RESUMABLE and before.resume_token:
            try:
                resumed.append(Work(row, client.jobs.resume(before.resume_token)))
            except hg.ValidationError as exc:  # e.g. the token is for another server than this client's
                report.unresumable[row.name] = str(exc)
        elif before.state in HELD or before.state in RESUMABLE:  # a render may exist, and no token to follow it
            report.held.append(row.name)
        else:
            fresh.append(Work(row))
        report.states[row.name] = before.state if before is not None and before.state else "new"
    report.resumed = [work.row.name for work in resumed]

    with state:

        async def submit(work: Work) -> str:
            if work.job is not None:
                return work.job.id  # submitted by an earlier run: follow it, do not submit it again
            row = work.row
            state.write(row.name, "submitting")
            report.submitted += 1
            scene = hg.VideoInput(
                character=hg.AvatarCharacter(avatar_id=row.avatar_id),
                voice=hg.TextVoice(input_text=row.script, voice_id=row.voice_id),
            )
            job = await client.videos.generate([scene], title=row.name)
            if not job.video_id:
                return ""  # an answer without an id: the batch reports the row ambiguous (a render may exist)
            token = client.videos.job(job.video_id).resume_token
            state.write(row.name, "submitted", video_id=job.video_id, resume_token=token)
            log.info("%s: submitted as video %s", row.name, job.video_id)
            return job.video_id

        limiter = anyio.CapacityLimiter(concurrency)

        async def download(name: str, video: hg.Video, target: Path) -> None:
            async with limiter:
                try:
                    await client.videos.download(video, target)
                except (hg.HeyGenError, OSError) as exc:
                    log.warning("%s: rendered, but the download failed: %s", name, exc)
                    return
            report.downloaded.append(target)
            log.info("%s: downloaded to %s", name, target)

        batch = client.jobs.batch([*resumed, *fresh], submit, kind="video", concurrency=concurrency, timeout=timeout)
        async with anyio.create_task_group() as downloads, contextlib.aclosing(batch) as items:
            async for item in items:
                name = item.input.row.name
                result, detail = outcome(item)
                fields: dict[str, Any] = {"video_id": item.job_id, "detail": detail}
                if isinstance(item.result, hg.Video):
                    fields["video_url"] = item.result.video_url
                state.write(name, result, **fields)
                report.items.append(item)
                report.states[name] = result
                log.info("%s: %s%s", name, result, f" ({detail})" if detail else "")
                if out_dir is not None and isinstance(item.result, hg.Video):
                    downloads.start_soon(download, name, item.result, out_dir / f"{file_name(name)}.mp4")
    return report


# -- running it ---------------------------------------------------------------------------------------------------


def describe(rows: Sequence[Row], report: Report) -> Iterator[str]:
    """The report, a line at a time."""
    ended = {item.input.row.name: item for item in report.items}
    for row in rows:
        item = ended.get(row.name)
        if item is not None:
            result, detail = outcome(item)
            how = " (resumed)" if row.name in report.resumed else ""
            yield f"  {row.name}: {result}{how}" + (f": {detail}" if detail else "")
        elif row.name in report.finished_before:
            yield f"  {row.name}: {report.states[row.name]} in an earlier run"
        elif row.name in report.held:
            yield f"  {row.name}: held back: an earlier submission may have created a render; check HeyGen for a "
            yield f"    video titled {row.name!r}, then delete this row's lines from the state file to submit it again"
        elif row.name in report.unresumable:
            yield f"  {row.name}: cannot be resumed here: {report.unresumable[row.name]}"
    s = report.summary
    yield (
        f"this run: {report.submitted} submitted, {len(report.resumed)} resumed; {s.succeeded} succeeded, "
        f"{s.failed} failed, {s.ambiguous} ambiguous, {s.timed_out} timed out, {s.not_submitted} not submitted"
    )
    yield (
        f"earlier runs: {len(report.finished_before)} finished, {len(report.held)} held back, "
        f"{len(report.unresumable)} not resumable"
    )
    if report.downloaded:
        yield f"downloaded: {len(report.downloaded)} video(s) to {report.downloaded[0].parent}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--csv", type=Path, default=SAMPLE_CSV, help="name,script[,avatar_id,voice_id] (default: the sample)"
    )
    parser.add_argument("--state", type=Path, help="the state file (JSON lines); rerun with the same one to resume")
    parser.add_argument("--concurrency", type=int, default=3, help="renders unfinished at once (default 3)")
    parser.add_argument("--out-dir", type=Path, help="download each finished video here, as <name>.mp4")
    parser.add_argument("--timeout", type=float, help="seconds for the whole batch (default: no limit)")
    parser.add_argument("--time-scale", type=_speed, default=100.0, help="the emulator's speed-up (default 100)")
    parser.add_argument("--base-url", help="a real gateway (token from LOWCODEAPI_API_TOKEN); default: the emulator")
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    return args


def _speed(text: str) -> float:
    """A positive, finite speed-up for the emulator's clock (argparse reports anything else as a usage error)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a speed-up > 0, got {text!r}")
    return value


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        rows = read_rows(args.csv)
    except (OSError, CsvError) as exc:
        print(f"batch_render: {exc}", file=sys.stderr)
        return 2
    async with contextlib.AsyncExitStack() as stack:
        if args.base_url is None:
            emulator = await stack.enter_async_context(Emulator(clock=ScaledClock(args.time_scale)))
            client = emulator.client(poll_policy=EMULATOR_POLLS)
            print(f"emulator: {emulator.base_url} (time runs {args.time_scale:g}x)", flush=True)
            state_path = args.state or Path(stack.enter_context(tempfile.TemporaryDirectory())) / "state.jsonl"
        else:
            try:
                client = hg.HeyGenClient(base_url=args.base_url)
            except hg.ConfigurationError as exc:  # no token in the environment, a malformed URL, ...
                print(f"batch_render: {exc}", file=sys.stderr)
                return 2
            state_path = args.state or Path("batch_render.state.jsonl")
        await stack.enter_async_context(client)
        if args.out_dir is not None:
            args.out_dir.mkdir(parents=True, exist_ok=True)
        print(
            f"{len(rows)} row(s) from {args.csv}, at most {args.concurrency} at once; state: {state_path}", flush=True
        )
        report = await render_batch(
            client, rows, state_path, concurrency=args.concurrency, timeout=args.timeout, out_dir=args.out_dir
        )
    for line in describe(rows, report):
        print(line)
    return 0 if report.complete else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)7.0f ms  %(message)s", stream=sys.stdout)
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        print("interrupted: the state file says where each row stands; run again with the same --state to resume")
        sys.exit(130)
