"""examples/batch_render.py: the sample renders (its #fail row fails), downloads land, and the state file makes a
rerun submit nothing twice: finished rows are skipped, an interrupted or timed-out run's renders are resumed by
their tokens, and a submission that may have reached HeyGen is held back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import heygen_async as hg
from heygen_async.emulator import Emulator
from tests.support import fast_client, load_example, requests_to, run_script, ticking, wait_until

batch = load_example("batch_render")
ROWS = batch.read_rows(batch.SAMPLE_CSV)
NAMES = [row.name for row in ROWS]
FAILING = "all-hands"
SAMPLE_DONE = hg.BatchSummary(total=6, succeeded=5, failed=1, ambiguous=0)


def states(path: Path) -> dict[str, str]:
    return {name: state.state for name, state in batch.StateFile(path).load().items()}


def test_the_sample_has_one_row_the_emulator_fails() -> None:
    assert len(ROWS) == 6
    assert [row.name for row in ROWS if "#fail" in row.script] == [FAILING]
    assert {row.avatar_id for row in ROWS} > {batch.DEFAULT_AVATAR}  # a row picks its own avatar


async def test_the_default_run_renders_the_sample_and_a_rerun_has_nothing_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, out_dir = tmp_path / "state.jsonl", tmp_path / "videos"
    assert await batch.main(["--state", str(state), "--out-dir", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "this run: 6 submitted, 0 resumed; 5 succeeded, 1 failed, 0 ambiguous, 0 timed out, 0 not submitted" in out
    assert f"  {FAILING}: failed: 40119 Emulated failure: the script contains" in out
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(f"{n}.mp4" for n in NAMES if n != FAILING)
    assert all(p.stat().st_size > 0 for p in out_dir.iterdir())
    assert states(state) == {name: "failed" if name == FAILING else "succeeded" for name in NAMES}

    assert await batch.main(["--state", str(state)]) == 0  # a fresh emulator, but nothing is left to do
    out = capsys.readouterr().out
    assert "this run: 0 submitted, 0 resumed; 0 succeeded" in out
    assert "earlier runs: 6 finished, 0 held back, 0 not resumable" in out


async def test_a_rerun_with_the_same_state_file_sends_nothing(tmp_path: Path, heygen_emulator: Emulator) -> None:
    state = tmp_path / "state.jsonl"
    async with fast_client(heygen_emulator) as client, ticking(heygen_emulator, step=5):
        first = await batch.render_batch(client, ROWS, state, concurrency=2)
    assert first.summary == SAMPLE_DONE
    assert (first.submitted, first.complete) == (6, True)
    assert requests_to(heygen_emulator, "videos.generate") == 6
    seen = len(heygen_emulator.request_log)

    async with fast_client(heygen_emulator) as client:
        second = await batch.render_batch(client, ROWS, state, concurrency=2)
    assert (second.submitted, second.items, second.resumed) == (0, [], [])
    assert second.finished_before == NAMES
    assert second.complete
    assert len(heygen_emulator.request_log) == seen  # not one request: no submission, no status poll
    assert heygen_emulator.stats()["videos_created"] == 6


async def test_an_interrupted_run_is_resumed_by_token_without_submitting_twice(
    tmp_path: Path, heygen_emulator: Emulator
) -> None:
    state = tmp_path / "state.jsonl"
    async with fast_client(heygen_emulator) as client:  # the clock stands still: nothing finishes
        run = asyncio.create_task(batch.render_batch(client, ROWS, state, concurrency=2))
        await wait_until(lambda: list(states(state).values()).count("submitted") == 2, what="two submissions")
        run.cancel()  # Ctrl-C, a deploy, a crash: the state file is all that is left
        with pytest.raises(asyncio.CancelledError):
            await run
    assert states(state) == {NAMES[0]: "submitted", NAMES[1]: "submitted"}
    first_ids = {name: s.video_id for name, s in batch.StateFile(state).load().items()}
    assert requests_to(heygen_emulator, "videos.generate") == 2

    async with fast_client(heygen_emulator) as client, ticking(heygen_emulator, step=5):
        second = await batch.render_batch(client, ROWS, state, concurrency=2)
    assert second.resumed == NAMES[:2]
    assert second.submitted == 4
    assert second.summary == SAMPLE_DONE
    assert second.complete
    assert requests_to(heygen_emulator, "videos.generate") == 6  # 2 + 4: the resumed two were not sent again
    assert heygen_emulator.stats()["videos_created"] == 6
    ended = {item.input.row.name: item.job_id for item in second.items}
    assert {name: ended[name] for name in first_ids} == first_ids  # the very renders the first run started


async def test_a_batch_deadline_leaves_renders_to_resume_and_rows_to_submit(
    tmp_path: Path, heygen_emulator: Emulator
) -> None:
    state = tmp_path / "state.jsonl"
    async with fast_client(heygen_emulator) as client:  # the clock stands still: the deadline comes first
        first = await batch.render_batch(client, ROWS, state, concurrency=2, timeout=0.3)
    assert first.summary == hg.BatchSummary(total=6, succeeded=0, failed=0, ambiguous=0, timed_out=2, not_submitted=4)
    assert not first.complete
    assert states(state) == {**dict.fromkeys(NAMES[:2], "timed_out"), **dict.fromkeys(NAMES[2:], "not_submitted")}

    async with fast_client(heygen_emulator) as client, ticking(heygen_emulator, step=5):
        second = await batch.render_batch(client, ROWS, state, concurrency=2)
    assert (second.resumed, second.submitted, second.summary) == (NAMES[:2], 4, SAMPLE_DONE)
    assert requests_to(heygen_emulator, "videos.generate") == 6


async def test_a_submission_that_may_have_reached_heygen_is_held_back(
    tmp_path: Path, heygen_emulator: Emulator
) -> None:
    state = tmp_path / "state.jsonl"
    heygen_emulator.inject("lost", endpoint="videos.generate")  # the render is made, its answer never arrives
    async with fast_client(heygen_emulator) as client, ticking(heygen_emulator, step=5):
        first = await batch.render_batch(client, ROWS, state, concurrency=2)
    assert first.summary == hg.BatchSummary(total=6, succeeded=4, failed=1, ambiguous=1)
    assert states(state)[NAMES[0]] == "ambiguous"
    assert heygen_emulator.stats()["videos_created"] == 6  # the lost answer's render exists

    async with fast_client(heygen_emulator) as client:
        second = await batch.render_batch(client, ROWS, state, concurrency=2)
    assert (second.held, second.submitted, second.items) == ([NAMES[0]], 0, [])
    assert not second.complete  # a person has to look: the main() exit code is 1
    assert requests_to(heygen_emulator, "videos.generate") == 6


async def test_a_run_cut_off_mid_submission_holds_that_row_back(tmp_path: Path, heygen_emulator: Emulator) -> None:
    state = tmp_path / "state.jsonl"
    line = {"time": 0, "name": NAMES[0], "state": "submitting"}
    state.write_text(json.dumps(line) + "\n" + '{"time": 1, "name": "' + NAMES[1])  # and a line torn by the crash
    async with fast_client(heygen_emulator) as client, ticking(heygen_emulator, step=5):
        report = await batch.render_batch(client, ROWS, state, concurrency=3)
    assert report.held == [NAMES[0]]
    assert report.submitted == 5
    assert requests_to(heygen_emulator, "videos.generate") == 5
    assert states(state)[NAMES[1]] == "succeeded"  # the torn line was ended before the next one was written


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("name,script\na,Hello\na,Again\n", "the name 'a' is used twice"),
        ("title,script\na,Hello\n", "the header lacks name"),
        ("name,script\na,\n", ":2: every row needs a name and a script"),
    ],
    ids=["duplicate-name", "no-name-column", "empty-script"],
)
async def test_a_bad_csv_is_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], csv_text: str, message: str
) -> None:
    path = tmp_path / "scripts.csv"
    path.write_text(csv_text)
    assert await batch.main(["--csv", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_the_script_renders_the_sample_and_exits_0() -> None:
    result = run_script("batch_render")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 succeeded, 1 failed, 0 ambiguous, 0 timed out, 0 not submitted" in result.stdout
    assert "Traceback" not in result.stderr
