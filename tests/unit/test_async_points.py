"""What a model declares for asynchronous continuations, read as Camunda's BpmnParse
reads it: the flags (exactly "true"), the old camunda:async, the retry cycle, the job
priority (the element's, else its process's), and what this server does not hold."""

from __future__ import annotations

from lxml import etree

from taskvars.engine.async_points import async_points, runs_on_at_once

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <process id="p" isExecutable="true" camunda:jobPriority="5">
    <startEvent id="s" camunda:asyncAfter="true"><outgoing>f1</outgoing></startEvent>
    <userTask id="old" camunda:async="true" camunda:jobPriority="9">
      <extensionElements>
        <camunda:failedJobRetryTimeCycle> R3/PT5M </camunda:failedJobRetryTimeCycle>
      </extensionElements>
    </userTask>
    <userTask id="upper" camunda:asyncBefore="TRUE" />
    <subProcess id="sub" camunda:asyncBefore="true">
      <startEvent id="inner" camunda:asyncBefore="true" />
    </subProcess>
    <intermediateThrowEvent id="signal">
      <signalEventDefinition id="sd" camunda:async="true" />
    </intermediateThrowEvent>
  </process>
</definitions>"""


def test_flags_retry_cycle_and_priority_are_read_as_camunda_reads_them() -> None:
    points = async_points(etree.fromstring(MODEL))
    assert set(points) == {"s", "old", "sub", "inner"}
    start, old = points["s"], points["old"]
    assert (start.before, start.after, start.process_start, start.outgoing) == (
        False,
        True,
        True,
        ("f1",),
    )
    assert (start.priority, old.priority) == (5, 9)
    assert (old.before, old.after, old.retry_time_cycle, old.exclusive) == (
        True,
        False,
        "R3/PT5M",
        True,
    )
    assert points["inner"].process_start is False


def test_continuations_on_a_sub_process_and_its_start_event_run_on_at_once() -> None:
    found = [
        (element.get("id"), said) for element, said in runs_on_at_once(etree.fromstring(MODEL))
    ]
    assert found == [
        ("sub", "camunda:asyncBefore is not held here: runs on at once"),
        ("inner", "camunda:asyncBefore is not held here: runs on at once"),
    ]
