"""README.md's fenced blocks, as the tests that run them read them.

Every fenced block has a marker on the line before it, so that a block nobody runs cannot
slip in (tests/unit/test_readme_blocks.py checks that):

    <!-- snippet NAME: run by PATH -->      PATH runs it (a test that reads snippet("NAME"),
                                            or a script that holds its text verbatim)
    <!-- sample: WHY -->                    text to read, not to run (output, a file map)
    <!-- not run by the tests: WHY -->      a command too long for the suite (minutes of
                                            tox); allowed only for the names in
                                            tests/unit/test_readme_blocks.py

Tests read a snippet by its name here, never a copy: the README cannot drift from what
runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"

SNIPPET_MARKER = re.compile(r"<!-- snippet (?P<name>[a-z0-9-]+): run by (?P<runner>\S+) -->")
SAMPLE_MARKER = re.compile(r"<!-- sample: [^>]+ -->")
NOT_RUN_MARKER = re.compile(r"<!-- not run by the tests: [^>]+ -->")
FENCE = re.compile(r"^(?P<indent> *)```(?P<language>\S*)$")


@dataclass(frozen=True)
class Block:
    """One fenced block: its language, its text (indentation removed) and its marker."""

    line: int  # of the opening fence, 1-based
    language: str
    text: str
    marker: str  # the line before the fence

    @property
    def snippet(self) -> re.Match[str] | None:
        return SNIPPET_MARKER.fullmatch(self.marker.strip())

    @property
    def is_sample(self) -> bool:
        return SAMPLE_MARKER.fullmatch(self.marker.strip()) is not None

    @property
    def is_not_run(self) -> bool:
        return NOT_RUN_MARKER.fullmatch(self.marker.strip()) is not None


@cache
def blocks() -> tuple[Block, ...]:
    lines = README.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = opening["indent"]
        end = lines.index(f"{indent}```", index + 1)
        body = [line.removeprefix(indent) for line in lines[index + 1 : end]]
        marker = lines[index - 1] if index > 0 else ""
        found.append(Block(index + 1, opening["language"], "\n".join(body) + "\n", marker))
        index = end + 1
    return tuple(found)


def snippet(name: str) -> str:
    """The text of the block marked ``<!-- snippet NAME: ... -->``."""
    named = [block for block in blocks() if block.snippet and block.snippet["name"] == name]
    assert len(named) == 1, f"README.md has {len(named)} snippets named {name!r}"
    return named[0].text


def at(text: str, old: str, new: str) -> str:
    """``text`` with the address ``old`` (which it must contain) replaced by ``new``: the
    README's commands name the default address, tests serve on a free port."""
    assert old in text, f"{old!r} is not in the snippet"
    return text.replace(old, new)
