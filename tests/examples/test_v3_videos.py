"""examples/v3_videos.py on the embedded emulator: a v3 render created, created again with its Idempotency-Key
(the same video), waited for, downloaded or its URL printed; then a create_many batch whose lost answer is
recovered: as many renders made as ids returned, none ambiguous, the #fail one failed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import load_example, run_script

example = load_example("v3_videos")


def test_the_script_renders_replays_and_batches_on_the_emulator() -> None:
    result = run_script("v3_videos", limit=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    created = re.search(r"created video (\S+) with Idempotency-Key ([0-9a-f]{32})", out)
    assert created is not None
    assert f"the same create sent again with its key: video {created[1]} (the same video, no second render)" in out
    assert re.search(rf"video {created[1]}: completed, [\d.]+ s of video", out)
    assert re.search(r"video_url: http://127\.0\.0\.1:\d+/", out)
    assert "create_many: 3 rendered, 1 failed, 0 ambiguous, 0 timed out" in out
    assert "made to fail: VideoFailed:" in out
    assert (
        "renders made on the emulator: 4 for 4 video ids returned (none twice); "
        "1 create answered again from its key after its answer was lost"
    ) in out
    assert "Traceback" not in result.stderr


async def test_out_dir_downloads_the_first_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await example.main(["--out-dir", str(tmp_path / "videos"), "--videos", "1"]) == 0
    out = capsys.readouterr().out
    (saved,) = (tmp_path / "videos").iterdir()
    assert saved.suffix == ".mp4"
    assert saved.stat().st_size > 0
    assert f"downloaded to {saved} ({saved.stat().st_size} bytes)" in out
    assert "video_url:" not in out
    assert "create_many: 1 rendered, 1 failed, 0 ambiguous" in out


def test_direct_without_a_key_says_so_and_exits_2() -> None:
    result = run_script("v3_videos", "--direct")
    assert result.returncode == 2
    assert result.stderr.startswith("v3_videos: ")
    assert "HEYGEN_API_KEY" in result.stderr
