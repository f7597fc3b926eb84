"""mypy --strict rejects wrong calls: every line marked ``# E: <code>`` in the misuse file errors with that code,
and no other line does. (The correct-usage files are part of the normal ``mypy`` run of ``make test``.)"""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support import ROOT

MISUSE = ROOT / "tests" / "typing" / "endpoints_misuse.py"


def test_mypy_rejects_each_wrong_call() -> None:
    expected = {
        number: match.group(1)
        for number, line in enumerate(MISUSE.read_text().splitlines(), start=1)
        if (match := re.search(r"# E: ([a-z-]+)$", line))
    }
    assert len(expected) >= 15
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--show-error-codes", str(MISUSE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    reported: dict[int, set[str]] = {}
    for match in re.finditer(r"^[^:]+:(\d+): error: .*\[([a-z-]+)\]$", result.stdout, re.M):
        reported.setdefault(int(match.group(1)), set()).add(match.group(2))
    assert set(reported) == set(expected), result.stdout
    for number, code in expected.items():
        assert code in reported[number], f"line {number}: expected [{code}], got {reported[number]}"


def test_mypy_accepts_the_correct_usage_files() -> None:
    files = [
        str(ROOT / "tests" / "typing" / name)
        for name in ("endpoints_usage.py", "client_usage.py", "v3_usage.py", "liveavatar_usage.py")
    ]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *files], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
