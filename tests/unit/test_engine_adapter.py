"""SpiffWorkflow as this server runs it, without a database: the executions each step of
a run maps onto (:func:`map_step`), the state stored and restored between steps, the
pruning that keeps that state bounded, and conditions reading only the variables they
name."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG

from taskvars.engine.adapter import BpmnRunError, CompiledProcess, WorkflowRun
from taskvars.engine.bpmn_xml import parse_bpmn
from taskvars.engine.executions import Execution, ExecutionState, StepChanges, Token, map_step
from taskvars.engine.tree import SCOPE_MARK, NodeKind
from taskvars.engine.user_tasks import user_task_models

MODELS = Path(__file__).parent.parent / "bpmn"
INSTANCE = "pi"


def compiled(file_name: str, key: str) -> CompiledProcess:
    return CompiledProcess(key, parse_bpmn((MODELS / file_name).read_bytes()), file_name)


class Variables:
    """A reader over fixed values that records what it was asked for."""

    def __init__(self, **values: Any) -> None:
        self.values = values
        self.asked: list[tuple[tuple[str, ...], frozenset[str]]] = []

    def __call__(self, ancestry: Any, names: frozenset[str]) -> dict[str, Any]:
        self.asked.append((tuple(ancestry), names))
        return {name: self.values[name] for name in names if name in self.values}


class Mapped:
    """A run and its executions, mapped after each step and then pruned, as the runtime
    does it."""

    def __init__(self, run: WorkflowRun) -> None:
        self.run = run
        self._ids = itertools.count(1)
        self.state = ExecutionState.initial(INSTANCE)
        self.changes = StepChanges()
        self._map()

    @classmethod
    def start(cls, process: CompiledProcess, variables: Variables | None = None) -> Mapped:
        return cls(WorkflowRun.start(process, variables or Variables()))

    def new_id(self) -> str:
        return f"e{next(self._ids)}"

    def _map(self) -> None:
        snapshot = self.run.snapshot()
        self.state, self.changes = map_step(self.state, snapshot, self.run.completed, self.new_id)
        self.run.prune()

    def waiting(self) -> dict[str, str]:
        """The waiting user tasks' executions, by element id."""
        return {
            token.element_id or "": token.execution_id
            for token in self.state.tokens.values()
            if token.kind is NodeKind.USER_TASK
        }

    def task_id(self, element_id: str) -> str:
        (task_id,) = [
            token.task_id
            for token in self.state.tokens.values()
            if token.element_id == element_id and token.kind is NodeKind.USER_TASK
        ]
        return task_id

    def complete(self, element_id: str) -> None:
        self.run.complete(self.task_id(element_id))
        self._map()

    def execution(self, execution_id: str) -> Execution:
        return self.state.executions[execution_id]


def concurrent_under(mapped: Mapped, execution_id: str, parent_id: str) -> bool:
    return mapped.execution(execution_id) == Execution(execution_id, parent_id, concurrent=True)


def test_one_token_runs_in_the_process_instance_itself() -> None:
    mapped = Mapped.start(compiled("invoice.bpmn", "invoice"))
    assert mapped.waiting() == {"checkInvoice": INSTANCE}
    assert set(mapped.state.executions) == {INSTANCE}
    model = user_task_models(parse_bpmn((MODELS / "invoice.bpmn").read_bytes()))["checkInvoice"]
    assert model.attributes["assignee"] == "${clerk}"
    assert model.documentation == "Attach the scanned invoice and set the amount."


def test_parallel_branches_are_concurrent_executions_until_they_join() -> None:
    mapped = Mapped.start(compiled("parallel-review.bpmn", "parallelReview"))
    branches = mapped.waiting()
    assert set(branches) == {"legalReview", "financeReview"}
    legal, finance = branches["legalReview"], branches["financeReview"]
    assert legal != finance
    assert concurrent_under(mapped, legal, INSTANCE)
    assert concurrent_under(mapped, finance, INSTANCE)
    assert set(mapped.state.executions) == {INSTANCE, legal, finance}

    mapped.complete("legalReview")
    assert set(mapped.waiting()) == {"financeReview"}
    assert legal not in mapped.state.executions
    assert legal in mapped.changes.ended

    mapped.complete("financeReview")
    assert mapped.waiting() == {"decide": INSTANCE}
    assert set(mapped.state.executions) == {INSTANCE}


def test_a_branch_keeps_its_execution_while_its_sibling_waits_at_the_join() -> None:
    """Camunda keeps the arrived token's execution (inactive) until the join fires, so
    the waiting sibling is not compacted into the process instance."""
    mapped = Mapped.start(compiled("parallel-review.bpmn", "parallelReview"))
    finance = mapped.waiting()["financeReview"]
    mapped.complete("legalReview")
    assert mapped.waiting() == {"financeReview": finance}
    assert mapped.changes.compacted == []


def test_a_sub_process_is_a_scope_execution_below_the_one_that_entered_it() -> None:
    mapped = Mapped.start(compiled("onboarding.bpmn", "onboarding"))
    scope = mapped.waiting()["uploadContract"]
    assert mapped.execution(scope) == Execution(scope, INSTANCE, concurrent=False)
    assert list(mapped.state.scopes.values()) == [scope]
    mapped.complete("uploadContract")
    assert mapped.waiting() == {"welcome": INSTANCE}
    assert set(mapped.state.executions) == {INSTANCE}
    assert mapped.state.scopes == {}


def test_a_gateway_that_joins_and_splits_gives_each_new_branch_its_own_execution() -> None:
    mapped = Mapped.start(compiled("join-and-split.bpmn", "joinAndSplit"))
    first = mapped.waiting()
    mapped.complete("taskA")
    mapped.complete("taskB")
    second = mapped.waiting()
    assert set(second) == {"taskC", "taskD"}
    assert second["taskC"] != second["taskD"]
    assert not {second["taskC"], second["taskD"]} & {INSTANCE, *first.values()}
    assert concurrent_under(mapped, second["taskC"], INSTANCE)
    assert concurrent_under(mapped, second["taskD"], INSTANCE)
    assert set(mapped.state.executions) == {INSTANCE, *second.values()}
    mapped.complete("taskC")
    mapped.complete("taskD")
    assert mapped.waiting() == {"taskE": INSTANCE}
    assert set(mapped.state.executions) == {INSTANCE}


def test_a_sub_process_on_a_branch_is_a_scope_below_its_own_concurrent_execution() -> None:
    mapped = Mapped.start(compiled("subprocess-after-split.bpmn", "subProcessAfterSplit"))
    x, y = mapped.waiting()["taskX"], mapped.waiting()["taskY"]
    assert x != y
    assert concurrent_under(mapped, x, INSTANCE)
    scope = mapped.execution(y)
    assert not scope.concurrent
    assert scope.parent_id not in (None, INSTANCE, x)
    assert concurrent_under(mapped, scope.parent_id or "", INSTANCE)
    assert mapped.state.path(y) == [y, scope.parent_id, INSTANCE]
    mapped.complete("taskY")
    assert set(mapped.waiting()) == {"taskX"}
    assert y not in mapped.state.executions
    mapped.complete("taskX")
    assert mapped.run.finished
    assert mapped.state.tokens == {}


def test_a_nested_sub_process_is_a_scope_below_the_outer_one_and_the_outer_goes_on() -> None:
    mapped = Mapped.start(compiled("nested-subprocesses.bpmn", "nestedSubProcesses"))
    outer = mapped.waiting()["taskO1"]
    assert mapped.execution(outer) == Execution(outer, INSTANCE, concurrent=False)
    mapped.complete("taskO1")
    inner = mapped.waiting()["taskI1"]
    assert inner != outer
    assert mapped.execution(inner) == Execution(inner, outer, concurrent=False)
    mapped.complete("taskI1")
    assert mapped.waiting() == {"taskO2": outer}
    assert set(mapped.state.executions) == {INSTANCE, outer}
    mapped.complete("taskO2")
    assert mapped.run.finished


def test_every_pass_of_a_loop_around_a_parallel_block_gets_new_branch_executions() -> None:
    variables = Variables(again=True)
    mapped = Mapped.start(compiled("parallel-loop.bpmn", "parallelLoop"), variables)
    seen: set[str] = {INSTANCE}
    for round_number in range(3):
        branches = mapped.waiting()
        assert set(branches) == {"taskP", "taskQ"}
        assert len(set(branches.values())) == 2
        assert not set(branches.values()) & seen, round_number
        assert set(mapped.state.executions) == {INSTANCE, *branches.values()}
        seen |= set(branches.values())
        variables.values["again"] = round_number < 2
        mapped.complete("taskP")
        mapped.complete("taskQ")
    assert mapped.run.finished
    assert mapped.state.tokens == {}


def test_a_branch_left_alone_after_its_sibling_ended_is_compacted_into_the_instance() -> None:
    mapped = Mapped.start(compiled("branches-end-apart.bpmn", "branchesEndApart"))
    t1, t2 = mapped.waiting()["taskT1"], mapped.waiting()["taskT2"]
    mapped.complete("taskT1")
    assert mapped.waiting() == {"taskT2": INSTANCE}
    assert mapped.changes.compacted == [(t2, INSTANCE)]
    assert set(mapped.changes.ended) == {t1, t2}
    assert set(mapped.state.executions) == {INSTANCE}


def test_a_branch_keeps_its_execution_past_a_nested_gateway_that_took_one_path() -> None:
    run = WorkflowRun.start(
        CompiledProcess("nested", parse_bpmn(NESTED.encode()), "n.bpmn"), Variables(x=1)
    )
    mapped = Mapped(run)
    branch = mapped.waiting()["t1"]
    assert concurrent_under(mapped, branch, INSTANCE)
    mapped.complete("t1")
    assert mapped.waiting()["tX"] == branch
    mapped.complete("tX")
    assert mapped.waiting()["t2"] == branch  # still the parallel branch: tB runs beside it


def test_a_restored_run_goes_on_where_the_stored_one_stood() -> None:
    process = compiled("parallel-review.bpmn", "parallelReview")
    first = Mapped.start(process)
    state = first.run.state()
    assert "spec" not in state  # the model comes from the deployed file, not the state
    assert "subprocess_specs" not in state
    stored = json.loads(json.dumps(state))
    restored = WorkflowRun.restore(process, stored, Variables())
    assert restored.state() == state
    again = Mapped(restored)
    again.state = first.state
    assert {n.id for n in restored.snapshot().workflows[None].live()} == set(first.state.tokens)
    again.complete("legalReview")
    assert set(again.waiting()) == {"financeReview"}
    again.complete("financeReview")
    assert again.waiting() == {"decide": INSTANCE}


def test_a_condition_reads_only_the_variables_it_names_from_the_gateways_execution() -> None:
    variables = Variables(amount=1500, scan=b"never read")
    mapped = Mapped.start(compiled("invoice.bpmn", "invoice"), variables)
    before = mapped.state
    mapped.complete("checkInvoice")
    assert mapped.waiting() == {"approveInvoice": INSTANCE}
    ((ancestry, names),) = variables.asked
    assert names == frozenset({"amount"})
    assert ancestry  # the gateway's task and its ancestors
    assert before.reading_from(ancestry) == INSTANCE


def test_a_condition_over_a_variable_nobody_set_stops_the_step() -> None:
    mapped = Mapped.start(compiled("invoice.bpmn", "invoice"))
    with pytest.raises(BpmnRunError, match="Cannot resolve identifier 'amount'"):
        mapped.complete("checkInvoice")


def test_completing_a_task_that_is_not_waiting_is_refused() -> None:
    run = WorkflowRun.start(compiled("invoice.bpmn", "invoice"), Variables())
    with pytest.raises(BpmnRunError, match="is not waiting"):
        run.complete("00000000-0000-0000-0000-000000000000")
    with pytest.raises(BpmnRunError, match="is not waiting"):
        run.complete("not a task id")


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
    assert "${amount &gt; 0}" in both_true
    process = CompiledProcess("invoice", parse_bpmn(both_true.encode()), "invoice.bpmn")
    mapped = Mapped.start(process, Variables(amount=1500))
    mapped.complete("checkInvoice")
    assert mapped.waiting() == {"approveInvoice": INSTANCE}


def test_pruning_keeps_the_state_of_a_long_loop_bounded() -> None:
    variables = Variables(done=False)
    mapped = Mapped.start(compiled("long-loop.bpmn", "longLoop"), variables)
    sizes: dict[int, int] = {}
    for number in range(1, 201):
        mapped.complete("work")
        assert mapped.waiting() == {"work": INSTANCE}
        sizes[number] = len(json.dumps(mapped.run.state()))
    assert sizes[200] <= 2 * sizes[2], (sizes[2], sizes[200])
    variables.values["done"] = True
    mapped.complete("work")
    assert mapped.run.finished


def test_runs_never_change_the_compiled_spec() -> None:
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))

    def specs(process: CompiledProcess) -> str:
        converted = {
            "spec": serializer.registry.convert(process.spec),
            "subprocess_specs": {
                name: serializer.registry.convert(spec)
                for name, spec in process.subprocess_specs.items()
            },
        }
        return json.dumps(converted, sort_keys=True, default=str)

    process = compiled("subprocess-after-split.bpmn", "subProcessAfterSplit")
    before = specs(process)
    for _ in range(2):
        mapped = Mapped.start(process)
        mapped.complete("taskY")
        state = mapped.run.state()
        restored = Mapped(WorkflowRun.restore(process, state, Variables()))
        restored.state = mapped.state
        restored.complete("taskX")
        assert restored.run.finished
    assert specs(process) == before


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


def test_a_task_after_a_sub_process_reads_the_enclosing_execution_not_the_sub_processes() -> None:
    """A sub-process task holds a token outside and has a scope inside: only a task
    inside it (its ancestry marks the step out of the sub-process) reads the scope."""
    sub = Token("S", "Sub", None, NodeKind.SUB_PROCESS, "outer")
    state = ExecutionState(
        "pi",
        {
            "pi": Execution("pi", None, False),
            "outer": Execution("outer", "pi", True),
            "inner": Execution("inner", "outer", False),
        },
        {"S": sub},
        {"S": "inner"},
    )
    assert state.reading_from(["gateway", "S", "start"]) == "outer"
    assert state.reading_from(["task", "innerStart", f"{SCOPE_MARK}S", "S"]) == "inner"
    assert state.reading_from(["new", "start"]) == "pi"


def test_event_sub_processes_are_listed_by_scope_and_started_by_their_start_event() -> None:
    """The seam for timer, message and signal starts: the engine-events side arms what
    :meth:`WorkflowRun.event_subprocess_starts` lists and starts one when it fires."""
    run = WorkflowRun.start(compiled("event-subprocesses.bpmn", "eventSubprocesses"), Variables())
    starts = run.event_subprocess_starts()
    (work,) = [scope for scope, start in starts if start == "brokenStart"]
    assert sorted(start for scope, start in starts if scope is None) == [
        "fatalStart",
        "helpStart",
    ]
    assert work is not None
    run.start_event_subprocess(work, "brokenStart")
    waiting = sorted(
        node.element_id or ""
        for tree in run.snapshot().workflows.values()
        for node in tree.live()
        if node.kind is NodeKind.USER_TASK
    )
    assert waiting == ["help", "repair"]
    with pytest.raises(BpmnRunError):
        run.start_event_subprocess(None, "brokenStart")
