"""Reading README.md the way a new user does: a section by its heading, and the code blocks in it, as printed."""

from __future__ import annotations

import re

from ._paths import README


def section(heading: str) -> str:
    """The text under ``## heading`` (or ``### heading``), up to the next heading of that level or above."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^(#+) {re.escape(heading)}$", text, re.M)
    assert match is not None, f"README.md has no section {heading!r}"
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{len(match[1])}}} ", rest, re.M)
    return rest if end is None else rest[: end.start()]


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced ``language`` blocks in ``text``, exactly as printed (indented ones dedented)."""
    blocks = []
    for indent, body in re.findall(rf"^( *)```{language}\n(.*?)^\1```$", text, re.M | re.S):
        lines = body.splitlines(keepends=True)
        blocks.append("".join(line[len(indent) :] if line.startswith(indent) else line for line in lines))
    return blocks
