"""What a signal throw or end event passes with its signal: its definition's
``camunda:in`` mappings (``source``/``sourceExpression`` to ``target``,
``variables="all"``, ``local``) and ``businessKey``, read as a call activity's are
(Camunda's ``BpmnParse.parseSignalEventDefinition`` gives a throwing definition a
``CallableElement`` payload; ``ThrowSignalEventActivityBehavior`` evaluates it in the
throwing execution and hands it to every subscription it fires, the business key to
instances its signal starts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA
from taskvars.engine.call_activities import (
    CallActivityModel,
    Parameter,
    StoredVariables,
    business_key,
    mapped_values,
    mapping_refusal,
)
from taskvars.engine.executions import StepChanges
from taskvars.engine.expression_context import execution_view
from taskvars.engine.expression_methods import ExecutionView
from taskvars.engine.expressions import ExpressionError, compile_expression
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import NewValue, ScopeRef

if TYPE_CHECKING:
    from taskvars.engine.behaviours import StepContext

_THROWS = (f"{{{BPMN}}}intermediateThrowEvent", f"{{{BPMN}}}endEvent")


def signal_payload_models(root: etree._Element) -> dict[str, CallActivityModel]:
    """By throw or end event id: the payload of its signal, for those that pass one
    (a call activity's model with nothing to call: only its inputs and business key)."""
    found: dict[str, CallActivityModel] = {}
    for event in root.iter(*_THROWS):
        definition = event.find(f"{{{BPMN}}}signalEventDefinition")
        if definition is None:
            continue
        inputs, key = [], None
        for extensions in definition.iterchildren(f"{{{BPMN}}}extensionElements"):
            for mapping in extensions.iterchildren(f"{{{CAMUNDA}}}in"):
                if mapping.get("businessKey"):  # as BpmnParse.parseInputParameter
                    key = mapping.get("businessKey")
                else:
                    inputs.append(
                        Parameter(
                            all_variables=mapping.get("variables") == "all",
                            source=mapping.get("source") or None,
                            source_expression=mapping.get("sourceExpression") or None,
                            target=mapping.get("target"),
                            local=mapping.get("local") == "true",
                        )
                    )
        if inputs or key:
            element_id = str(event.get("id"))
            found[element_id] = CallActivityModel(
                element_id, "", "latest", None, None, None, key, tuple(inputs), ()
            )
    return found


def signal_throw_payload(element: etree._Element) -> bool:
    """Whether ``element`` is the signal definition of a throw or end event (where
    ``camunda:in`` mappings are its payload)."""
    event = element.getparent()
    return (
        element.tag == f"{{{BPMN}}}signalEventDefinition"
        and event is not None
        and event.tag in _THROWS
    )


def refusal(definition: etree._Element) -> str | None:
    """Camunda's parse errors for the payload's mappings (as a call activity's), and
    expressions outside the supported subset."""
    for extensions in definition.iterchildren(f"{{{BPMN}}}extensionElements"):
        for mapping in extensions.iterchildren(f"{{{CAMUNDA}}}in"):
            source = mapping.get("businessKey")
            if not source:
                if (problem := mapping_refusal(mapping)) is not None:
                    return problem
                source = mapping.get("sourceExpression")
            if source:
                try:
                    compile_expression(source)
                except ExpressionError as error:
                    return str(error)
    return None


def signal_payloads_of(
    step: StepContext,
    models: Mapping[str, CallActivityModel],
    changes: StepChanges,
    throwers: list[str],
) -> list[tuple[dict[str, NewValue], str | None]]:
    """For each signal the step threw (by the task that threw it, in order): what it
    passes, evaluated in the throwing execution now, before the step's ended
    executions go (their variables with them)."""
    found: list[tuple[dict[str, NewValue], str | None]] = []
    started = {activity.task_id: activity for activity in changes.activities_started}
    for task_id in throwers:
        activity = started.get(task_id)
        model = None if activity is None else models.get(activity.element_id)
        if activity is None or model is None:
            found.append(({}, None))
            continue
        try:
            chain = step.reader.chain(activity.execution_id)
        except KeyError:  # its execution ended in this step: the instance's variables
            chain = step.reader.chain(step.instance_id)
        execution = execution_view(step, activity.execution_id, activity.element_id, chain)
        found.append(payload(step.uow, model, chain, execution))
    return found


def payload(
    uow: UnitOfWork, model: CallActivityModel, chain: list[ScopeRef], execution: ExecutionView
) -> tuple[dict[str, NewValue], str | None]:
    """The variables and the business key ``model`` passes from the throwing execution
    (``chain``, nearest first)."""
    source = StoredVariables(uow, chain)
    values = mapped_values(model, model.inputs, source, execution)
    return values, business_key(model, source.reader(local=False), execution)
