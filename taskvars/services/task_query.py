"""Camunda's task query, from its query parameters (``GET /task``) or its JSON
``TaskQueryDto`` (``POST /task``), as the store's criteria and ordering.

Both forms go through one table of parameters by Camunda's names. What the spec cannot
say is checked here, each refusal a 400 that names the parameter: dates (Camunda's
format, or ISO 8601 as clients generated from Camunda's spec send them), the date
expressions (:mod:`.date_expressions`), ``processVariables`` / ``taskVariables``
entries, the sorting pair, and the parameters this server does not model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import inflection

from taskvars.errors import InvalidRequestError
from taskvars.persistence.task_query import SORT_COLUMN_BY_TYPE, VARIABLE_SORTS
from taskvars.persistence.values import TaskCriteria, TaskOrdering, VariableCondition
from taskvars.services import date_expressions, variable_criteria
from taskvars.services.query_parameters import (
    date_parameter,
    refuse_unmodelled,
    require_sort_pair,
)

# Declared (clients generated from Camunda's spec send them) but asking for what this
# server does not model: refused unless false or empty.
NOT_MODELLED = frozenset(
    {
        "processDefinitionId",
        "processDefinitionName",
        "processDefinitionNameLike",
        "caseInstanceBusinessKey",
        "caseInstanceBusinessKeyLike",
        "caseDefinitionId",
        "caseDefinitionKey",
        "caseDefinitionName",
        "caseDefinitionNameLike",
        "caseExecutionId",
        "caseInstanceVariables",
        "activityInstanceIdIn",
    }
)


@dataclass(frozen=True)
class TaskQuery:
    criteria: TaskCriteria
    orderings: list[TaskOrdering] = field(default_factory=list)
    # ``withCommentAttachmentInfo``: each task says whether it has comments and
    # attachments.
    with_comment_attachment_info: bool = False
    # ``withTaskVariablesInReturn`` ("visible": every variable visible from the task) or
    # ``withTaskLocalVariablesInReturn`` ("local"); the first wins, as in Camunda.
    variables_in_return: Literal["visible", "local"] | None = None


def from_parameters(parameters: dict[str, Any]) -> TaskQuery:
    """The query from ``GET /task`` parameters, by connexion's Python names; lists are
    comma-separated and variable criteria are ``name_operator_value`` texts."""
    named = {inflection.camelize(name, False): value for name, value in parameters.items()}
    sort_by, sort_order = named.pop("sortBy", None), named.pop("sortOrder", None)
    require_sort_pair(sort_by, sort_order)
    query = _query(named, from_text=True, in_or_query=False)
    if sort_by is None:
        return query
    return replace(query, orderings=[TaskOrdering(sort_by, descending=sort_order == "desc")])


def from_body(body: dict[str, Any]) -> TaskQuery:
    """The query from a ``TaskQueryDto``; ``sorting`` is a list of criteria."""
    query = _query(body, from_text=False, in_or_query=False)
    orderings = [
        _ordering(entry)
        for entry in body.get("sorting") or []
        if entry.get("sortBy") is not None or entry.get("sortOrder") is not None
    ]
    return replace(query, orderings=orderings)


def _query(named: dict[str, Any], *, from_text: bool, in_or_query: bool) -> TaskQuery:
    values: dict[str, Any] = {}
    conditions: list[VariableCondition] = []
    or_queries: list[TaskCriteria] = []
    now = datetime.now().astimezone()
    for name, value in named.items():
        # Every task here is active: ``active=true`` narrows nothing.
        if value is None or value is False or name in ("sorting", "active"):
            continue
        if name in NOT_MODELLED:
            refuse_unmodelled("task", name, value)
            continue
        if name == "orQueries":
            if in_or_query:
                raise InvalidRequestError(
                    "Invalid query usage: cannot set orQueries within 'or' query"
                )
            or_queries.extend(
                _query(nested, from_text=False, in_or_query=True).criteria for nested in value
            )
        elif name in ("processVariables", "taskVariables"):
            conditions.extend(
                variable_criteria.conditions(
                    name,
                    value,
                    from_text=from_text,
                    noun="task variable" if name == "taskVariables" else "process variable",
                    task_local=name == "taskVariables",
                    ignore_name_case=named.get("variableNamesIgnoreCase") is True,
                    ignore_value_case=named.get("variableValuesIgnoreCase") is True,
                )
            )
        elif name in _PARAMETERS:
            target, convert = _PARAMETERS[name]
            _merge(values, target, convert(_Parameter(name, value, now)))
        # Anything else is not a criterion (the ignore-case flags, read with the
        # variable criteria) or unknown, and unknown names are ignored as Camunda does.
    variables_in_return: Literal["visible", "local"] | None = None
    if named.get("withTaskVariablesInReturn") is True:
        variables_in_return = "visible"
    elif named.get("withTaskLocalVariablesInReturn") is True:
        variables_in_return = "local"
    return TaskQuery(
        TaskCriteria(**values, variables=tuple(conditions), or_queries=tuple(or_queries)),
        with_comment_attachment_info=named.get("withCommentAttachmentInfo") is True,
        variables_in_return=variables_in_return,
    )


def _merge(values: dict[str, Any], target: str, value: Any) -> None:
    if target == "candidate_groups" and target in values:
        values[target] = [*values[target], *value]
    elif target == "follow_up_before_or_not_existent":
        values["follow_up_before"] = value
        values["follow_up_null_accepted"] = True
    else:
        values[target] = value


@dataclass(frozen=True)
class _Parameter:
    name: str
    value: Any
    now: datetime

    def refused(self, reason: str) -> InvalidRequestError:
        return InvalidRequestError(
            f"Cannot set query parameter '{self.name}' to value '{self.value}': {reason}"
        )


def _as_is(parameter: _Parameter) -> Any:
    return parameter.value


def _as_list(parameter: _Parameter) -> list[str]:
    value = parameter.value
    return value.split(",") if isinstance(value, str) else list(value)


def _as_true(parameter: _Parameter) -> bool:
    return True


def _as_date(parameter: _Parameter) -> datetime:
    return date_parameter(parameter.name, parameter.value)


def _as_date_expression(parameter: _Parameter) -> datetime:
    try:
        instant = date_expressions.evaluate_date(parameter.value, parameter.now)
    except (ValueError, OverflowError):
        raise parameter.refused(
            f"this server evaluates only the date expressions {date_expressions.SUPPORTED}"
        ) from None
    return instant.astimezone(UTC)


def _as_literal(parameter: _Parameter) -> str:
    """A non-date ``*Expression``: JUEL takes text without ``${`` as it is; expressions
    need Camunda's identity service (``currentUser()``), which this server has not."""
    if date_expressions.is_expression(parameter.value):
        raise parameter.refused(
            "this server evaluates expressions only in the date parameters; "
            "here it takes literal text"
        )
    return str(parameter.value)


def _as_delegation_state(parameter: _Parameter) -> str:
    state = str(parameter.value).upper()
    if state not in ("PENDING", "RESOLVED"):
        raise parameter.refused(
            "Valid values for property 'delegationState' are 'PENDING' or 'RESOLVED'"
        )
    return state


def _candidate_group(parameter: _Parameter) -> list[str]:
    return [parameter.value]


_Converter = Callable[[_Parameter], Any]


def _parameters() -> dict[str, tuple[str, _Converter]]:
    """Camunda's parameter name -> (criterion, conversion)."""
    table: dict[str, tuple[str, _Converter]] = {}
    for name in (
        "taskId",
        "processInstanceId",
        "processInstanceBusinessKey",
        "processInstanceBusinessKeyLike",
        "processDefinitionKey",
        "executionId",
        "caseInstanceId",
        "assignee",
        "assigneeLike",
        "owner",
        "candidateUser",
        "candidateGroupLike",
        "involvedUser",
        "taskDefinitionKey",
        "taskDefinitionKeyLike",
        "name",
        "nameNotEqual",
        "nameLike",
        "nameNotLike",
        "description",
        "descriptionLike",
        "priority",
        "minPriority",
        "maxPriority",
        "parentTaskId",
    ):
        table[name] = (inflection.underscore(name), _as_is)
    for name in (
        "taskIdIn",
        "processInstanceIdIn",
        "processInstanceBusinessKeyIn",
        "processDefinitionKeyIn",
        "tenantIdIn",
        "assigneeIn",
        "assigneeNotIn",
        "candidateGroups",
        "taskDefinitionKeyIn",
        "taskDefinitionKeyNotIn",
    ):
        table[name] = (inflection.underscore(name), _as_list)
    for name in (
        "withoutTenantId",
        "assigned",
        "unassigned",
        "withCandidateGroups",
        "withoutCandidateGroups",
        "withCandidateUsers",
        "withoutCandidateUsers",
        "includeAssignedTasks",
        "withoutDueDate",
        "suspended",
    ):
        table[name] = (inflection.underscore(name), _as_true)
    for name in (
        "dueDate",
        "dueAfter",
        "dueBefore",
        "followUpDate",
        "followUpAfter",
        "followUpBefore",
        "followUpBeforeOrNotExistent",
        "createdOn",
        "createdAfter",
        "createdBefore",
        "updatedAfter",
    ):
        table[name] = (inflection.underscore(name), _as_date)
        table[f"{name}Expression"] = (inflection.underscore(name), _as_date_expression)
    for name in (
        "processInstanceBusinessKey",
        "processInstanceBusinessKeyLike",
        "assignee",
        "assigneeLike",
        "owner",
        "candidateUser",
        "involvedUser",
    ):
        table[f"{name}Expression"] = (table[name][0], _as_literal)
    table["candidateGroup"] = ("candidate_groups", _candidate_group)
    table["candidateGroupExpression"] = ("candidate_groups", lambda p: [_as_literal(p)])
    # candidateGroupsExpression names a collection, which no literal text is.
    table["candidateGroupsExpression"] = ("candidate_groups", _refused_collection_expression)
    table["delegationState"] = ("delegation_state", _as_delegation_state)
    return table


def _refused_collection_expression(parameter: _Parameter) -> list[str]:
    raise parameter.refused("this server evaluates expressions only in the date parameters")


_PARAMETERS = _parameters()


def _ordering(entry: dict[str, Any]) -> TaskOrdering:
    require_sort_pair(entry.get("sortBy"), entry.get("sortOrder"))
    sort_by: str = entry["sortBy"]
    descending = entry["sortOrder"] == "desc"
    if sort_by in ("caseInstanceVariable", "caseExecutionVariable"):
        raise InvalidRequestError(f"Sorting by {sort_by} is not supported by this server")
    if sort_by not in VARIABLE_SORTS:
        return TaskOrdering(sort_by, descending)
    parameters = entry.get("parameters") or {}
    variable, value_type = parameters.get("variable"), parameters.get("type")
    value_type = value_type[:1].upper() + value_type[1:] if value_type else value_type
    if not variable or value_type not in SORT_COLUMN_BY_TYPE:
        raise InvalidRequestError(
            f"Sorting by {sort_by} needs parameters.variable and parameters.type, one of "
            + ", ".join(SORT_COLUMN_BY_TYPE)
        )
    return TaskOrdering(sort_by, descending, variable, value_type)
