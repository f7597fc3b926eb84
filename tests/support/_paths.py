"""Where things are in the repository, for tests that read its files or run its scripts."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root (commands that need it run there)."""
README = ROOT / "README.md"
EXAMPLES = ROOT / "examples"
DATA = ROOT / "tests" / "data"
"""Reference documents the tests compare against (the design page's methods, LowCodeAPI's definition)."""
