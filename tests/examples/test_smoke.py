"""examples/smoke.py (a short tour of the endpoint layer) runs to completion against the embedded emulator."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support import EXAMPLES


def test_smoke_demo_runs_and_tells_its_story() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "smoke.py")], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(48 endpoints)" in out
    assert "quota: 36000 seconds = 600 credits" in out
    assert "(1 retry after a 503)" in out
    assert "rendered: completed" in out
    assert (
        "failed in HeyGen's shape: VideoFailed (code 40119: Emulated failure: the script contains the emulator's "
        "#fail marker)" in out
    )
    polls = re.search(r"waited with the job waiters: (\d+) status polls, none by hand", out)
    assert polls is not None
    assert int(polls[1]) >= 2  # the waiters polled both renders (it was a hand-written loop of status calls)
    assert "'GET /v2/video_translate/{video_translate_id}': 'old'" in out
    assert "caught before sending: photo_avatars.get" in out
    assert "dimension.width must be even" in out
    assert "2 videos created (1 completed, 1 failed)" in out
    assert not re.search(r"at_[0-9a-f]{24}", out + result.stderr), "the emulator's token is never printed"
