"""External tasks as a model declares them: a service, send or business rule task with
``camunda:type="external"``, its ``camunda:topic`` and ``camunda:taskPriority`` (both may
be expressions, evaluated when a token reaches the task, as Camunda's
``ExternalTaskActivityBehavior`` does) and its ``camunda:properties``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA
from taskvars.engine.expressions import (
    ExecutionView,
    ExpressionError,
    as_text,
    compile_expression,
)
from taskvars.engine.message_throws import THROWING_EVENTS, external_definition
from taskvars.errors import ModelRunError

# The elements that may be external tasks (Camunda's BpmnParse parses each the same way).
EXTERNAL_TASK_ELEMENTS = ("serviceTask", "sendTask", "businessRuleTask")
# The external_task table's topic column (Camunda's TOPIC_NAME_ is varchar(255) too).
MAX_TOPIC_LENGTH = 255
# Camunda's priorities are Java longs.
_LONG_RANGE = range(-(2**63), 2**63)

# ``name -> value`` of a variable visible from the task; KeyError when there is none.
ReadOne = Callable[[str], Any]


@dataclass(frozen=True)
class ExternalTaskModel:
    element_id: str
    topic: str  # as written: text or an expression
    # The element's camunda:taskPriority, else its process's; None: priority 0.
    priority: str | None
    properties: dict[str, str]


@dataclass(frozen=True)
class ExternalTaskAttributes:
    topic: str
    priority: int


def is_external_task(element: etree._Element) -> bool:
    return (
        etree.QName(element).localname in EXTERNAL_TASK_ELEMENTS
        and element.get(f"{{{CAMUNDA}}}type") == "external"
    )


def external_task_models(root: etree._Element) -> dict[str, ExternalTaskModel]:
    """Every external task of a deployed file (its parsed root), by element id."""
    models = {}
    for process in root.iterchildren(f"{{{BPMN}}}process"):
        process_priority = process.get(f"{{{CAMUNDA}}}taskPriority")
        for element in process.iter(*(f"{{{BPMN}}}{name}" for name in EXTERNAL_TASK_ELEMENTS)):
            if not is_external_task(element):
                continue
            element_id = str(element.get("id"))
            models[element_id] = ExternalTaskModel(
                element_id=element_id,
                topic=element.get(f"{{{CAMUNDA}}}topic") or "",
                priority=element.get(f"{{{CAMUNDA}}}taskPriority") or process_priority,
                properties=_properties(element),
            )
        for event in process.iter(*(f"{{{BPMN}}}{name}" for name in THROWING_EVENTS)):
            definition = external_definition(event)
            if definition is None:
                continue
            element_id = str(event.get("id"))
            models[element_id] = ExternalTaskModel(
                element_id=element_id,
                topic=definition.get(f"{{{CAMUNDA}}}topic") or "",
                priority=definition.get(f"{{{CAMUNDA}}}taskPriority") or process_priority,
                properties=_properties(event),
            )
    return models


def _properties(element: etree._Element) -> dict[str, str]:
    """``camunda:property`` name/value pairs of the element's own extension elements."""
    found: dict[str, str] = {}
    for extensions in element.iterchildren(f"{{{BPMN}}}extensionElements"):
        for properties in extensions.iterchildren(f"{{{CAMUNDA}}}properties"):
            for prop in properties.iterchildren(f"{{{CAMUNDA}}}property"):
                name = prop.get("name")
                if name is not None:
                    found[name] = prop.get("value") or ""
    return found


def evaluate(
    model: ExternalTaskModel, read: ReadOne, execution: ExecutionView | None = None
) -> ExternalTaskAttributes:
    """Topic and priority, their expressions evaluated over the variables ``read`` gives,
    ``execution`` being the task's execution."""

    def value(source: str) -> Any:
        try:
            return compile_expression(source).evaluate(read, execution=execution)
        except ExpressionError as error:
            raise ModelRunError(f"{model.element_id}: {error}") from None

    topic = as_text(value(model.topic))
    if not topic:
        raise ModelRunError(f"{model.element_id}: camunda:topic '{model.topic}' gave no topic")
    if len(topic) > MAX_TOPIC_LENGTH:
        raise ModelRunError(
            f"{model.element_id}: camunda:topic '{model.topic}' gave a topic longer than "
            f"{MAX_TOPIC_LENGTH} characters"
        )
    priority = 0 if model.priority is None else _as_priority(value(model.priority), model)
    return ExternalTaskAttributes(topic, priority)


def _as_priority(value: Any, model: ExternalTaskModel) -> int:
    """A whole number in Java's long range (Camunda's ``DefaultPriorityProvider`` refuses
    anything else)."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        number = int(value)
    if number is None or number not in _LONG_RANGE:
        raise ModelRunError(
            f"{model.element_id}: camunda:taskPriority '{model.priority}' gave {value!r}, "
            "not a whole number"
        )
    return number
