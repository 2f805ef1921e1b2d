"""Every fenced block of README.md is run by something, or says it is only to be read."""

from __future__ import annotations

import pytest

from tests import readme

BLOCKS = readme.blocks()
# Commands of minutes that the suite does not run (the first one here ran by hand from a
# fresh clone); nothing else may say so.
NOT_RUN = {
    ".venv/bin/pip install tox && .venv/bin/tox -e fast\n",
    "python3 -m venv .venv && .venv/bin/pip install tox && .venv/bin/tox -e bench\n",
}


def test_the_readme_has_blocks_to_check() -> None:
    assert len(BLOCKS) > 20
    assert sum(block.snippet is not None for block in BLOCKS) > 20


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: f"line-{block.line}")
def test_every_block_is_a_snippet_something_runs_or_a_sample(block: readme.Block) -> None:
    if block.is_sample:
        return
    if block.is_not_run:
        assert block.text in NOT_RUN, f"README.md line {block.line}: this block must run"
        return
    marker = block.snippet
    assert marker is not None, (
        f"README.md line {block.line}: a fenced block without a marker on the line before "
        "it (<!-- snippet NAME: run by PATH --> or <!-- sample: WHY -->)"
    )
    runner = readme.ROOT / marker["runner"]
    assert runner.is_file(), f"README.md line {block.line}: {marker['runner']} does not exist"
    source = runner.read_text(encoding="utf-8")
    if runner.suffix == ".py":
        # A test reads the snippet by its name, so that what it runs is the README's text.
        assert f'snippet("{marker["name"]}")' in source, (
            f"{marker['runner']} does not read snippet({marker['name']!r})"
        )
    else:
        # A script (CI's) holds the command itself, verbatim.
        assert block.text.strip() in source, f"{marker['runner']} does not run {block.text!r}"


def test_snippet_names_are_unique() -> None:
    names = [block.snippet["name"] for block in BLOCKS if block.snippet]
    assert len(names) == len(set(names))
