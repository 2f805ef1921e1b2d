"""``taskvars check-model``: the README's example prints what the README says; exit codes
0 (every file deploys), 1 (one is refused) and 2 (a file is missing); notes on a model
that deploys are printed by section."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
from lxml import etree

from taskvars import cli
from taskvars.check_model_command import check_model_files
from taskvars.engine import model_notes
from taskvars.engine.model_report import Problem
from tests import readme

MODELS = readme.ROOT / "tests" / "bpmn"


def test_the_readme_example_prints_the_readmes_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(readme.ROOT)
    command = shlex.split(readme.snippet("check-model"))
    assert command[:2] == ["taskvars", "check-model"]
    assert cli.main(command[1:]) == 1
    assert capsys.readouterr().out == readme.snippet("check-model-output")


def test_files_that_all_deploy_exit_0_and_a_missing_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["check-model", str(MODELS / "invoice.bpmn")]) == 0
    assert capsys.readouterr().out == f"{MODELS / 'invoice.bpmn'}: deploys (processes: invoice)\n"
    assert cli.main(["check-model", str(MODELS / "invoice.bpmn"), "missing.bpmn"]) == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == "taskvars: missing.bpmn: no such file\n"


def test_a_note_section_lists_its_elements_under_its_title(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def user_tasks(root: etree._Element) -> list[Problem]:
        return [
            Problem("asks a person", task.sourceline or 0, 0, task.get("id"))
            for task in root.iter("{*}userTask")
        ]

    monkeypatch.setitem(model_notes.NOTE_SECTIONS, "needs stand-ins", user_tasks)
    out = io.StringIO()
    path = MODELS / "invoice.bpmn"
    assert check_model_files([Path(path)], out) == 0
    assert out.getvalue().splitlines()[1:] == [
        "  needs stand-ins:",
        "    line 8    checkInvoice: asks a person",
        "    line 23   approveInvoice: asks a person",
    ]
