"""User tasks as a model declares them, and the task a reached one becomes: Camunda's
attributes (``camunda:assignee``, candidates, dates, priority, form key) read from the
XML, their expressions evaluated over the variables visible from the task's execution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA, USER_TASK_ATTRIBUTES
from taskvars.engine.expression_context import new_task_view
from taskvars.engine.expressions import (
    ExecutionView,
    ExpressionError,
    TaskView,
    as_text,
    compile_expression,
)
from taskvars.errors import InvalidRequestError, ModelRunError
from taskvars.persistence.values import IdentityLinkRecord
from taskvars.services.dates import now_millis, parse_any_date
from taskvars.services.task_defaults import CANDIDATE, DEFAULT_PRIORITY

# TaskDecorator's names of the dates in its errors.
_DATE_NAMES = {"dueDate": "Due date", "followUpDate": "Follow up date"}
# ``name -> value`` of a variable visible from the task; KeyError when there is none.
ReadOne = Callable[[str], Any]


@dataclass(frozen=True)
class UserTaskModel:
    """A user task as the model declares it: its name, documentation and Camunda
    attributes as written (expressions not yet evaluated)."""

    element_id: str
    name: str | None
    documentation: str | None
    attributes: dict[str, str]


def user_task_models(root: etree._Element) -> dict[str, UserTaskModel]:
    """Every user task of a deployed file (its parsed root), by element id."""
    tasks = {}
    for element in root.iter(f"{{{BPMN}}}userTask"):
        documentation = element.find(f"{{{BPMN}}}documentation")
        attributes = {
            name: element.get(f"{{{CAMUNDA}}}{name}")
            for name in USER_TASK_ATTRIBUTES
            if element.get(f"{{{CAMUNDA}}}{name}") is not None
        }
        tasks[element.get("id")] = UserTaskModel(
            element_id=element.get("id"),
            name=element.get("name"),
            documentation=documentation.text if documentation is not None else None,
            attributes=attributes,
        )
    return tasks


def task_attributes(
    model: UserTaskModel,
    read: ReadOne,
    execution: ExecutionView | None = None,
    task_id: str | None = None,
) -> tuple[dict[str, Any], list[IdentityLinkRecord]]:
    """The store's task columns and candidate links, from the model's attributes, with
    their expressions evaluated over the variables ``read`` gives, ``execution`` being
    the task's execution (as Camunda's ``TaskDecorator`` evaluates them, in the
    execution's scope) and, in the form key, ``task`` the task ``task_id`` (Camunda's
    ``TaskEntity.initializeFormKey`` evaluates it in the task's scope)."""
    declared = model.attributes

    def text(value: str | None, task: TaskView | None = None) -> Any:
        if value is None:
            return None
        try:
            return compile_expression(value).evaluate(read, execution=execution, task=task)
        except ExpressionError as error:
            raise ModelRunError(f"{model.element_id}: {error}") from None

    def names(value: str | None) -> list[str]:
        evaluated = text(value)
        items = evaluated if isinstance(evaluated, list) else str(evaluated or "").split(",")
        return [str(item).strip() for item in items if str(item).strip()]

    priority = text(declared.get("priority"))
    attributes: dict[str, Any] = {
        "name": as_text(text(model.name)),
        "description": model.documentation,
        "assignee": as_text(text(declared.get("assignee"))),
        "owner": None,
        "delegation_state": None,
        "task_definition_key": model.element_id,
        "case_instance_id": None,
        "due": _as_date(text(declared.get("dueDate")), model.element_id, "dueDate"),
        "follow_up": _as_date(text(declared.get("followUpDate")), model.element_id, "followUpDate"),
        "priority": DEFAULT_PRIORITY
        if priority in (None, "")
        else _as_priority(priority, model.element_id),
        "created": now_millis(),
    }
    task = (
        new_task_view(task_id, execution, attributes)
        if task_id is not None and execution is not None
        else None
    )
    # Evaluated, as Camunda's TaskEntity.initializeFormKey does (here once, at creation).
    attributes["form_key"] = as_text(text(declared.get("formKey"), task))
    candidates = [
        *(
            IdentityLinkRecord(CANDIDATE, user, None)
            for user in names(declared.get("candidateUsers"))
        ),
        *(
            IdentityLinkRecord(CANDIDATE, None, group)
            for group in names(declared.get("candidateGroups"))
        ),
    ]
    return attributes, candidates


def _as_date(value: Any, element_id: str, attribute: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if not isinstance(value, str):
        # TaskDecorator: a Date or a date string; a Joda DateTime wants its toDate().
        raise ModelRunError(
            f"{element_id}: {_DATE_NAMES[attribute]} expression does not resolve to a Date or "
            f"Date string: {value!r}"
        )
    try:
        return parse_any_date(str(value))
    except ValueError:
        raise InvalidRequestError(
            f"{element_id}: camunda:{attribute} '{value}' is not a date"
        ) from None


def _as_priority(value: Any, element_id: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ModelRunError(f"{element_id}: camunda:priority '{value}' is not a number") from None
