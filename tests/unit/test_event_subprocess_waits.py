"""The start events of event sub-processes as a model declares them, and the wait keys
that name them in a run."""

from __future__ import annotations

from pathlib import Path

from taskvars.engine.bpmn_xml import parse_bpmn
from taskvars.engine.catch_events import WaitKind
from taskvars.engine.event_subprocess_waits import (
    event_subprocess_start_models,
    fire_key,
    wait_key,
)
from taskvars.engine.timer_definitions import TimerKind

MODEL = Path(__file__).parent.parent / "bpmn" / "event-subprocess-starts.bpmn"


def test_the_timer_message_and_signal_starts_of_event_sub_processes_are_read() -> None:
    models = event_subprocess_start_models(parse_bpmn(MODEL.read_bytes()))

    assert sorted(models) == [
        "abortStart",
        "cancelStart",
        "noteStart",
        "pingStart",
        "remindStart",
        "timeoutStart",
    ]
    assert (models["noteStart"].kind, models["noteStart"].event_name) == (WaitKind.MESSAGE, "note")
    assert models["noteStart"].activity_type == "messageStartEvent"
    assert not models["noteStart"].interrupting
    assert models["abortStart"].interrupting
    assert (models["remindStart"].timer_kind, models["remindStart"].timer_text) == (
        TimerKind.CYCLE,
        "R2/PT1H",
    )
    assert "start" not in models  # a none start event arms nothing


def test_a_wait_key_names_its_scope_and_start_event() -> None:
    scope = "0b7c3c0e-7c1d-4a8e-9a57-1c2d3e4f5a6b"

    assert fire_key(wait_key(None, "abortStart")) == (None, "abortStart")
    assert fire_key(wait_key(scope, "noteStart")) == (scope, "noteStart")
    assert fire_key(scope) is None  # a SpiffWorkflow task id
