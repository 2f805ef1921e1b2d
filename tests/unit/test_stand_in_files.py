"""Stand-ins files an operator gets wrong in ways the formats allow: each refused with a
StandInsError saying where and why (serve prints it and exits), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskvars.engine.stand_ins import StandInsError, load


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        # TOML's own dates are no JSON value: a Date is written as text with its type
        (
            "dates.toml",
            "[element.review]\nset = { due = 2030-01-01T00:00:00Z }\n",
            "set.due: not a JSON value",
        ),
        ("names.yaml", "element:\n  review:\n    set:\n      1: 5\n", "a variable's name"),
        (
            "infos.yaml",
            "element:\n  review:\n    set:\n      x: {value: 1, type: Long, valueInfo: 5}\n",
            "set.x: valueInfo must be a table",
        ),
        (
            "deep.yaml",
            "element:\n  review:\n    set:\n      x: " + "[" * 3000 + "]" * 3000 + "\n",
            "nested too deeply",
        ),
        (
            "deep.toml",
            "[element.review]\nset = { x = " + "[" * 3000 + "]" * 3000 + " }\n",
            "nested too deeply",
        ),
    ],
    ids=["toml-date", "number-as-name", "value-info-not-a-table", "deep-yaml", "deep-toml"],
)
def test_a_value_the_rest_api_could_not_take_is_refused_naming_where(
    tmp_path: Path, name: str, content: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(StandInsError) as refused:
        load(path)
    assert str(refused.value).startswith(f"--stand-ins {path}: ")
    assert reason in str(refused.value)
