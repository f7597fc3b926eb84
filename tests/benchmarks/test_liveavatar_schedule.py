"""The LiveAvatar benchmark's yardstick: the frames and schedule it measures arrivals against are the session's."""

from __future__ import annotations

import pytest

import heygen_async as hg
from benchmarks.liveavatar_sessions import FIRST_FRAME, FRAME, arrival_lateness, frame_sizes, schedule, tone


async def test_the_benchmark_cuts_audio_into_the_frames_a_session_sends() -> None:
    pcm = tone(10.0)
    sent = [len(frame) async for frame in hg.pcm_frames(pcm, first_frame=FIRST_FRAME, frame=FRAME)]
    assert frame_sizes(len(pcm)) == sent
    assert sum(sent) == len(pcm) == 480_000


def test_the_schedule_sends_the_lead_at_once_then_keeps_it_ahead_of_playback() -> None:
    due = schedule(frame_sizes(len(tone(10.0))))
    assert len(due) == 11  # 0.6 s, nine of 1 s, 0.4 s
    assert due[:2] == [0.0, 0.0]  # the first 1 s (the lead) goes at once
    assert due[2:] == pytest.approx([0.6 + k for k in range(9)])  # then each once the audio before it, less 1 s, played


def test_arrival_lateness_ignores_a_constant_delay_and_counts_a_late_frame() -> None:
    due = [0.0, 0.0, 0.6, 1.6]
    assert arrival_lateness([5.03, 5.03, 5.63, 6.63], due) == pytest.approx([0, 0, 0, 0])
    assert arrival_lateness([5.0, 5.0, 5.64, 6.6], due) == pytest.approx([0, 0, 0.04, 0])
