"""Camunda's task query, from its query parameters (``GET /task``) or its JSON
``TaskQueryDto`` (``POST /task``), as the store's criteria and ordering: the task
resource's filter table on :mod:`.query_toolkit`, with what only tasks have (candidate
groups accumulated, ``followUpBeforeOrNotExistent``, the variable sorts, the flags that
shape the returned tasks). A ``candidateUser`` also finds the tasks of the user's groups,
as Camunda's ``TaskQueryImpl.getCandidateGroups`` asks its identity service for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import inflection

from taskvars.errors import InvalidRequestError
from taskvars.persistence.task_query import SORT_COLUMN_BY_TYPE, VARIABLE_SORTS
from taskvars.persistence.values import TaskCriteria, TaskOrdering
from taskvars.services.memberships import GroupsOf, no_groups
from taskvars.services.query_toolkit import (
    Converter,
    Ordering,
    Parameter,
    ParsedQuery,
    QueryShape,
    VariableParameter,
    as_date,
    as_date_expression,
    as_is,
    as_list,
    as_literal,
    as_true,
)

# Declared (clients generated from Camunda's spec send them) but asking for what this
# server does not model: refused unless false or empty.
NOT_MODELLED = frozenset(
    {
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
_WITH_VARIABLES = "withTaskVariablesInReturn"
_WITH_LOCAL_VARIABLES = "withTaskLocalVariablesInReturn"
_WITH_COMMENT_ATTACHMENT_INFO = "withCommentAttachmentInfo"


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


def from_parameters(parameters: dict[str, Any], groups_of: GroupsOf = no_groups) -> TaskQuery:
    """The query from ``GET /task`` parameters, by connexion's Python names;
    ``groups_of(user)``: the groups a ``candidateUser`` is in."""
    return _task_query(SHAPE.from_parameters(parameters), groups_of)


def from_body(body: dict[str, Any], groups_of: GroupsOf = no_groups) -> TaskQuery:
    """The query from a ``TaskQueryDto``; ``sorting`` is a list of criteria."""
    return _task_query(SHAPE.from_body(body), groups_of)


def _task_query(parsed: ParsedQuery, groups_of: GroupsOf) -> TaskQuery:
    variables_in_return: Literal["visible", "local"] | None = None
    if _WITH_VARIABLES in parsed.flags:
        variables_in_return = "visible"
    elif _WITH_LOCAL_VARIABLES in parsed.flags:
        variables_in_return = "local"
    return TaskQuery(
        _criteria(parsed, groups_of),
        [_ordering(ordering) for ordering in parsed.orderings],
        with_comment_attachment_info=_WITH_COMMENT_ATTACHMENT_INFO in parsed.flags,
        variables_in_return=variables_in_return,
    )


def _criteria(parsed: ParsedQuery, groups_of: GroupsOf) -> TaskCriteria:
    fields = parsed.fields
    user = fields.get("candidate_user")
    # As getCandidateGroups: groups given (candidateGroup, candidateGroups) come first;
    # else a candidate user's groups, each link to one of them a match as the user's own.
    if user is not None and fields.get("candidate_groups") is None:
        groups = sorted(groups_of(user))
        if groups:
            fields = {**fields, "candidate_groups": groups}
    return TaskCriteria(
        **fields,
        variables=parsed.variables,
        or_queries=tuple(_criteria(nested, groups_of) for nested in parsed.or_queries),
    )


def _merge(values: dict[str, Any], target: str, value: Any) -> None:
    if target == "candidate_groups" and target in values:
        values[target] = [*values[target], *value]
    elif target == "follow_up_before_or_not_existent":
        values["follow_up_before"] = value
        values["follow_up_null_accepted"] = True
    else:
        values[target] = value


def _as_delegation_state(parameter: Parameter) -> str:
    state = str(parameter.value).upper()
    if state not in ("PENDING", "RESOLVED"):
        raise parameter.refused(
            "Valid values for property 'delegationState' are 'PENDING' or 'RESOLVED'"
        )
    return state


def _candidate_group(parameter: Parameter) -> list[str]:
    return [parameter.value]


def _refused_collection_expression(parameter: Parameter) -> list[str]:
    """candidateGroupsExpression names a collection, which no literal text is."""
    raise parameter.refused("this server evaluates expressions only in the date parameters")


def _filters() -> dict[str, tuple[str, Converter]]:
    """Camunda's parameter name -> (criterion, conversion)."""
    table: dict[str, tuple[str, Converter]] = {}
    for name in (
        "taskId",
        "processInstanceId",
        "processInstanceBusinessKey",
        "processInstanceBusinessKeyLike",
        "processDefinitionKey",
        "processDefinitionId",
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
        table[name] = (inflection.underscore(name), as_is)
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
        table[name] = (inflection.underscore(name), as_list)
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
        "active",
    ):
        table[name] = (inflection.underscore(name), as_true)
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
        table[name] = (inflection.underscore(name), as_date)
        table[f"{name}Expression"] = (inflection.underscore(name), as_date_expression)
    for name in (
        "processInstanceBusinessKey",
        "processInstanceBusinessKeyLike",
        "assignee",
        "assigneeLike",
        "owner",
        "candidateUser",
        "involvedUser",
    ):
        table[f"{name}Expression"] = (table[name][0], as_literal)
    table["candidateGroup"] = ("candidate_groups", _candidate_group)
    table["candidateGroupExpression"] = ("candidate_groups", lambda p: [as_literal(p)])
    table["candidateGroupsExpression"] = ("candidate_groups", _refused_collection_expression)
    table["delegationState"] = ("delegation_state", _as_delegation_state)
    return table


SHAPE = QueryShape(
    noun="task",
    filters=_filters(),
    not_modelled=NOT_MODELLED,
    variable_parameters={
        "processVariables": VariableParameter("process variable"),
        "taskVariables": VariableParameter("task variable", local=True),
    },
    flags=frozenset({_WITH_VARIABLES, _WITH_LOCAL_VARIABLES, _WITH_COMMENT_ATTACHMENT_INFO}),
    or_queries=True,
    merge=_merge,
)


def _ordering(ordering: Ordering) -> TaskOrdering:
    sort_by = ordering.sort_by
    if sort_by in ("caseInstanceVariable", "caseExecutionVariable"):
        raise InvalidRequestError(f"Sorting by {sort_by} is not supported by this server")
    if sort_by not in VARIABLE_SORTS:
        return TaskOrdering(sort_by, ordering.descending)
    variable, value_type = ordering.parameters.get("variable"), ordering.parameters.get("type")
    value_type = value_type[:1].upper() + value_type[1:] if value_type else value_type
    if not variable or value_type not in SORT_COLUMN_BY_TYPE:
        raise InvalidRequestError(
            f"Sorting by {sort_by} needs parameters.variable and parameters.type, one of "
            + ", ".join(SORT_COLUMN_BY_TYPE)
        )
    return TaskOrdering(sort_by, ordering.descending, variable, value_type)
