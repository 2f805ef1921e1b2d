"""SpiffWorkflow as this server runs it, without a database: the executions a ready user
task belongs to, the state stored and restored between steps, and conditions reading
only the variables they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taskvars.services.bpmn_engine import BpmnRunError, CompiledProcess, ProcessRun

MODELS = Path(__file__).parent.parent / "bpmn"


def compiled(file_name: str, key: str) -> CompiledProcess:
    return CompiledProcess(key, (MODELS / file_name).read_bytes(), file_name)


class Variables:
    """A lookup over fixed values that records what it was asked for."""

    def __init__(self, **values: Any) -> None:
        self.values = values
        self.asked: list[tuple[tuple[str, ...], frozenset[str]]] = []

    def __call__(self, executions: tuple[str, ...], names: frozenset[str]) -> dict[str, Any]:
        self.asked.append((executions, names))
        return {name: self.values[name] for name in names if name in self.values}


def ready(run: ProcessRun) -> dict[str, tuple[str, ...]]:
    return {task.model.element_id: task.executions for task in run.ready_user_tasks()}


def test_one_token_runs_in_the_process_instance_itself() -> None:
    run = ProcessRun.start(compiled("invoice.bpmn", "invoice"), Variables())
    assert ready(run) == {"checkInvoice": ()}
    (task,) = run.ready_user_tasks()
    assert task.model.attributes["assignee"] == "${clerk}"
    assert task.model.documentation == "Attach the scanned invoice and set the amount."


def test_parallel_branches_are_executions_until_they_join() -> None:
    run = ProcessRun.start(compiled("parallel-review.bpmn", "parallelReview"), Variables())
    branches = ready(run)
    assert set(branches) == {"legalReview", "financeReview"}
    assert all(len(path) == 1 for path in branches.values())
    assert branches["legalReview"] != branches["financeReview"]
    assert run.executions() == set(branches.values())
    legal = next(t for t in run.ready_user_tasks() if t.model.element_id == "legalReview")
    run.complete(legal.id)
    assert ready(run) == {"financeReview": branches["financeReview"]}
    run.complete(run.ready_user_tasks()[0].id)
    assert ready(run) == {"decide": ()}
    assert run.executions() == set()


def test_a_sub_process_is_an_execution_named_by_its_task() -> None:
    run = ProcessRun.start(compiled("onboarding.bpmn", "onboarding"), Variables())
    ((element, path),) = ready(run).items()
    assert element == "uploadContract"
    assert len(path) == 1
    run.complete(run.ready_user_tasks()[0].id)
    assert ready(run) == {"welcome": ()}


def test_a_restored_run_goes_on_where_the_stored_one_stood() -> None:
    process = compiled("parallel-review.bpmn", "parallelReview")
    first = ProcessRun.start(process, Variables())
    state = first.state()
    assert '"spec"' not in state  # the model comes from the deployed file, not the state
    restored = ProcessRun.restore(process, state, Variables())
    assert ready(restored) == ready(first)
    restored.complete(restored.ready_user_tasks()[0].id)
    assert len(restored.ready_user_tasks()) == 1


def test_a_condition_reads_only_the_variables_it_names_from_the_gateways_execution() -> None:
    variables = Variables(amount=1500, scan=b"never read")
    run = ProcessRun.start(compiled("invoice.bpmn", "invoice"), variables)
    run.complete(run.ready_user_tasks()[0].id)
    assert ready(run) == {"approveInvoice": ()}
    assert variables.asked == [((), frozenset({"amount"}))]


def test_a_condition_over_a_variable_nobody_set_stops_the_step() -> None:
    run = ProcessRun.start(compiled("invoice.bpmn", "invoice"), Variables())
    with pytest.raises(BpmnRunError, match="Cannot resolve identifier 'amount'"):
        run.complete(run.ready_user_tasks()[0].id)


def test_completing_a_task_that_is_not_waiting_is_refused() -> None:
    run = ProcessRun.start(compiled("invoice.bpmn", "invoice"), Variables())
    with pytest.raises(BpmnRunError, match="is not waiting"):
        run.complete("00000000-0000-0000-0000-000000000000")


def test_of_several_true_conditions_the_first_in_the_model_wins_wherever_it_is_drawn() -> None:
    """Camunda takes the first outgoing flow whose condition holds, in the model's order;
    SpiffWorkflow's own order is where the targets are drawn (top first). Here the flow
    listed first leads to a task drawn below the other."""
    xml = (MODELS / "invoice.bpmn").read_text()
    both_true = xml.replace(' default="Flow_small"', "").replace(
        '<bpmn:sequenceFlow id="Flow_small" sourceRef="AmountDecision" targetRef="InvoicePaid" />',
        '<bpmn:sequenceFlow id="Flow_small" sourceRef="AmountDecision" targetRef="InvoicePaid">'
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${amount &gt; 0}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    # approveInvoice (first flow's target) is drawn at y=180, InvoicePaid at y=102.
    assert 'bpmnElement="approveInvoice"><dc:Bounds x="500" y="180"' in both_true
    process = CompiledProcess("invoice", both_true.encode(), "invoice.bpmn")
    run = ProcessRun.start(process, Variables(amount=1500))
    run.complete(run.ready_user_tasks()[0].id)
    assert ready(run) == {"approveInvoice": ()}


NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="nested" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="P1" />
    <bpmn:parallelGateway id="P1" />
    <bpmn:sequenceFlow id="f2" sourceRef="P1" targetRef="t1" />
    <bpmn:sequenceFlow id="f3" sourceRef="P1" targetRef="tB" />
    <bpmn:userTask id="t1" />
    <bpmn:sequenceFlow id="f4" sourceRef="t1" targetRef="I1" />
    <bpmn:inclusiveGateway id="I1" />
    <bpmn:sequenceFlow id="f5" sourceRef="I1" targetRef="tX">
      <bpmn:conditionExpression>${x == 1}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f6" sourceRef="I1" targetRef="tY">
      <bpmn:conditionExpression>${x == 2}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:userTask id="tX" />
    <bpmn:userTask id="tY" />
    <bpmn:sequenceFlow id="f7" sourceRef="tX" targetRef="I2" />
    <bpmn:sequenceFlow id="f8" sourceRef="tY" targetRef="I2" />
    <bpmn:inclusiveGateway id="I2" />
    <bpmn:sequenceFlow id="f9" sourceRef="I2" targetRef="t2" />
    <bpmn:userTask id="t2" />
    <bpmn:sequenceFlow id="f10" sourceRef="t2" targetRef="P2" />
    <bpmn:userTask id="tB" />
    <bpmn:sequenceFlow id="f11" sourceRef="tB" targetRef="P2" />
    <bpmn:parallelGateway id="P2" />
    <bpmn:sequenceFlow id="f12" sourceRef="P2" targetRef="e" />
    <bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_branch_keeps_its_execution_past_a_nested_gateway_that_took_one_path() -> None:
    run = ProcessRun.start(CompiledProcess("nested", NESTED.encode(), "n.bpmn"), Variables(x=1))
    branch = ready(run)["t1"]
    assert len(branch) == 1
    run.complete(next(t.id for t in run.ready_user_tasks() if t.model.element_id == "t1"))
    assert ready(run)["tX"] == branch
    run.complete(next(t.id for t in run.ready_user_tasks() if t.model.element_id == "tX"))
    assert ready(run)["t2"] == branch  # still the parallel branch: tB runs beside it
