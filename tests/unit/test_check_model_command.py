"""``taskvars check-model``: the README's example prints what the README says; exit codes
0 (every file deploys), 1 (one is refused) and 2 (a file is missing, a stand-ins file
unusable); notes on a model that deploys are printed by section, the code it calls with
what stands in for it."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
from lxml import etree

from taskvars import cli
from taskvars.check_model_command import check_model_files
from taskvars.engine import model_notes, stand_ins
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


def test_code_a_model_calls_is_listed_with_what_stands_in_for_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    stand_ins.install(stand_ins.NONE)
    model = str(MODELS / "stood-in-order.bpmn")
    assert cli.main(["check-model", model]) == 0
    bare = capsys.readouterr().out.splitlines()
    assert bare[1] == "  needs stand-ins:"
    assert all(line.endswith(": no stand-in") for line in bare[2:])
    assert any("delegateExpression ${paymentAdapter}" in line for line in bare[2:])

    toml = tmp_path / "stand-ins.toml"
    toml.write_text(readme.snippet("stand-ins-toml"))
    try:
        assert cli.main(["check-model", "--stand-ins", str(toml), model]) == 0
    finally:
        stand_ins.install(stand_ins.NONE)
    covered = capsys.readouterr().out.splitlines()[2:]
    assert len(covered) == len(bare) - 2
    # The README's file stands in for four of the seven; the others still have none.
    assert sum(": stood in by " in line for line in covered) == 4
    assert any(
        line.endswith(
            'delegateExpression ${paymentAdapter}: stood in by expression."${paymentAdapter}"'
        )
        for line in covered
    ), covered


def test_a_stand_ins_file_that_cannot_be_used_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "stand-ins.ini"
    bad.write_text("x")
    assert cli.main(["check-model", "--stand-ins", str(bad), str(MODELS / "invoice.bpmn")]) == 2
    assert "the file must end in .toml, .yaml or .yml" in capsys.readouterr().err


def test_continuations_this_server_does_not_hold_are_noted(tmp_path: Path) -> None:
    model = (MODELS / "async-branches.bpmn").read_text()
    model = model.replace(
        '<bpmn:subProcess id="sub">', '<bpmn:subProcess id="sub" camunda:asyncAfter="true">'
    )
    path = tmp_path / "async-sub.bpmn"
    path.write_text(model)
    out = io.StringIO()
    assert check_model_files([path], out) == 0
    assert out.getvalue().splitlines()[1:] == [
        "  continuations not held:",
        "    line 14   sub: camunda:asyncAfter is not held here: runs on at once",
    ]
