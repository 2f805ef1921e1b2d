"""Camunda's task query as one SQL statement: criteria, or-queries and sorting.

Conditions follow Camunda's ``Task.xml`` mapping (the facts, not its shape): names and
descriptions compare case-insensitively, ``LIKE`` escapes with a backslash, candidate
criteria are one condition over one identity link, and a variable criterion is an
``EXISTS`` over the variables where the query looks. Identity links and variables are
``EXISTS`` subqueries rather than joins, so that a task is never listed twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    inspect,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import KeyedColumnElement

from taskvars.persistence.models import (
    IdentityLink,
    IdSpace,
    ProcessInstance,
    Scope,
    ScopeKind,
    Task,
    Variable,
)
from taskvars.persistence.query_statements import (
    ConditionTable,
    any_of_each,
    equal_ignoring_case,
    like,
    like_ignoring_case,
    ordered,
    tables_referred_to,
)
from taskvars.persistence.statement_shapes import (
    Bound,
    Paging,
    Parameters,
    Shape,
    StatementCache,
    given,
)
from taskvars.persistence.values import TaskCriteria, TaskOrdering, VariableCondition
from taskvars.persistence.variable_conditions import INTEGER_TYPES, variable_matches

CANDIDATE = "candidate"
# The column a variable sort reads, by the sort's value type.
SORT_COLUMN_BY_TYPE = {
    "String": "text_value",
    **dict.fromkeys((*INTEGER_TYPES, "Boolean", "Date"), "long_value"),
    "Double": "double_value",
}
VARIABLE_SORTS = ("processVariable", "executionVariable", "taskVariable")


@dataclass(frozen=True)
class _Rows:
    """The aliases one task row is read with: its scope, parent scope, process instance."""

    task_scope: Any
    parent: Any
    root: Any
    process_instance: Any
    # For a count (see counted_tasks): process-variable conditions correlated with the
    # process instance's row rather than the task's (see _variable_condition; in a
    # sorted page PostgreSQL then hashed the whole variable table instead of probing a
    # few tasks), and the parent's kind read without joining it (see on_execution).
    counting: bool = False

    @property
    def process_instance_pk(self) -> ColumnElement[Any]:
        """The key process-variable conditions are correlated with."""
        if self.counting:
            return self.process_instance.scope_pk  # type: ignore[no-any-return]
        return self.task_scope.process_instance_pk  # type: ignore[no-any-return]

    @property
    def on_execution(self) -> ColumnElement[bool]:
        """The task belongs to a process instance (a subtask does not)."""
        kinds = [ScopeKind.EXECUTION, ScopeKind.PROCESS_INSTANCE]
        if not self.counting:
            joined: ColumnElement[bool] = self.parent.kind.in_(kinds)
            return joined
        # A count asks without the parent's join: PostgreSQL estimates the tasks whose
        # parent is of these kinds as one per parent (10,061 of 100,000), drives the
        # count from every task and checks each one's variables (3.4x the buffers). A
        # task right under its instance needs no look at its parent; NULL rather than
        # false where the join's answer was false (no instance) changes no count: it
        # is only ever negated inside ``suspended``, false without an instance anyway.
        parent = aliased(Scope)
        return or_(
            self.task_scope.parent_pk == self.task_scope.process_instance_pk,
            exists().where(parent.pk == self.task_scope.parent_pk, parent.kind.in_(kinds)),
        )

    @property
    def suspended(self) -> ColumnElement[bool]:
        """With its process instance; a subtask or a standalone task never is."""
        suspended: ColumnElement[bool] = and_(
            self.on_execution, self.process_instance.suspended.is_(True)
        )
        return suspended

    @property
    def execution_id(self) -> ColumnElement[Any]:
        return case((self.on_execution, self.parent.external_id), else_=None)

    @property
    def process_instance_id(self) -> ColumnElement[Any]:
        return case((self.on_execution, self.root.external_id), else_=None)


def matching_tasks(
    criteria: TaskCriteria, orderings: Sequence[TaskOrdering] | None = None
) -> Select[Any]:
    """Tasks matching ``criteria`` with their place in the tree; in the order asked for
    if ``orderings`` is given (ties, and an empty list, in creation order). Nulls come
    last ascending and first descending on both databases (PostgreSQL's own rule)."""
    rows = _new_rows()
    statement = (
        select(
            Task,
            rows.task_scope.pk.label("task_pk"),
            rows.task_scope.external_id.label("task_id"),
            rows.parent.kind.label("parent_kind"),
            rows.parent.external_id.label("parent_id"),
            rows.root.external_id.label("process_instance_id"),
            rows.suspended.label("suspended"),
        )
        .join(rows.task_scope, rows.task_scope.pk == Task.scope_pk)
        .outerjoin(rows.parent, rows.parent.pk == rows.task_scope.parent_pk)
        .outerjoin(rows.root, rows.root.pk == rows.task_scope.process_instance_pk)
        .outerjoin(
            rows.process_instance,
            rows.process_instance.scope_pk == rows.task_scope.process_instance_pk,
        )
    )
    statement = statement.where(*_all_conditions(criteria, rows))
    if orderings is None:
        return statement
    keys = [
        (key, ordering.descending)
        for ordering in orderings
        if (key := _sort_key(ordering, rows)) is not None
    ]
    return ordered(statement, keys, rows.task_scope.pk)


def counted_tasks(criteria: TaskCriteria) -> Select[Any]:
    """``SELECT count(*)`` of the tasks matching ``criteria``: the task table with the
    same conditions, joined only to the rows those conditions read. Every task has its
    scope, and the other rows are joined by a unique key (at most one each), so leaving
    one out changes no count; the planner then has only the tables that filter to order.
    """
    rows = _new_rows(counting=True)
    conditions = _all_conditions(criteria, rows)
    aliases = {name: inspect(getattr(rows, name)).selectable for name in _JOINED_BY_COUNT}
    task_table = inspect(Task).local_table
    read = tables_referred_to(conditions, [*aliases.values(), task_table])
    used = {name for name, alias in aliases.items() if alias in read}
    if not used:
        statement = select(func.count()).select_from(Task)
    elif task_table in read:
        statement = (
            select(func.count())
            .select_from(Task)
            .join(rows.task_scope, rows.task_scope.pk == Task.scope_pk)
        )
    else:
        # Nothing of the task's own row asked for: its scope stands for it. A task's
        # scope and its row are written together and go together (the row by ON DELETE
        # CASCADE), so the task scopes are the tasks; this saves a primary-key probe per
        # candidate task (PostgreSQL: 20,000 in the bench's count, a quarter of its time).
        statement = (
            select(func.count())
            .select_from(rows.task_scope)
            .where(rows.task_scope.kind == ScopeKind.TASK)
        )
    if "parent" in used:
        statement = statement.outerjoin(rows.parent, rows.parent.pk == rows.task_scope.parent_pk)
    if "root" in used:
        statement = statement.outerjoin(
            rows.root, rows.root.pk == rows.task_scope.process_instance_pk
        )
    if "process_instance" in used:
        statement = statement.outerjoin(
            rows.process_instance,
            rows.process_instance.scope_pk == rows.task_scope.process_instance_pk,
        )
    return statement.where(*conditions)


def task_page(
    criteria: TaskCriteria,
    orderings: Sequence[TaskOrdering],
    first_result: int,
    max_results: int | None,
) -> Bound:
    """A page of :func:`matching_tasks`, its statement built once per shape."""

    def take_apart(parameters: Parameters) -> tuple[Shape, _Page]:
        criteria_shape, criteria_template = parameters.criteria(criteria)
        sortings = [
            _taken_apart(ordering, index, parameters) for index, ordering in enumerate(orderings)
        ]
        paging = parameters.paging(first_result, max_results)
        shape = (criteria_shape, tuple(shape for shape, _ in sortings), paging.shape)
        return shape, _Page(criteria_template, [template for _, template in sortings], paging)

    return PAGE_STATEMENTS.bound(take_apart)


def task_count(criteria: TaskCriteria) -> Bound:
    """:func:`counted_tasks`, its statement built once per shape."""
    return COUNT_STATEMENTS.bound(lambda parameters: parameters.criteria(criteria))


@dataclass(frozen=True)
class _Page:
    """A page of the task query with parameters for its values."""

    criteria: TaskCriteria
    orderings: list[TaskOrdering]
    paging: Paging

    def statement(self) -> Select[Any]:
        return self.paging.applied(matching_tasks(self.criteria, self.orderings))


def _taken_apart(
    ordering: TaskOrdering, index: int, parameters: Parameters
) -> tuple[Shape, TaskOrdering]:
    """A sorting's shape, the name of the variable it sorts by bound."""
    shape = (ordering.sort_by, ordering.descending, ordering.value_type, ordering.variable is None)
    if ordering.variable is None:
        return shape, ordering
    variable = parameters.bind(f"sorting{index}_variable", ordering.variable)
    return shape, replace(ordering, variable=variable)


PAGE_STATEMENTS: StatementCache[_Page] = StatementCache(_Page.statement)
COUNT_STATEMENTS: StatementCache[TaskCriteria] = StatementCache(counted_tasks)


# The aliases a count may leave out, in the order they are joined.
_JOINED_BY_COUNT = ("task_scope", "parent", "root", "process_instance")


def _new_rows(*, counting: bool = False) -> _Rows:
    return _Rows(aliased(Scope), aliased(Scope), aliased(Scope), aliased(ProcessInstance), counting)


def _all_conditions(criteria: TaskCriteria, rows: _Rows) -> list[ColumnElement[bool]]:
    """The criteria's conditions and one per or-query, all to be ANDed."""
    return [
        *_conditions(criteria, rows),
        *any_of_each(_conditions(q, rows) for q in criteria.or_queries),
    ]


def _conditions(criteria: TaskCriteria, rows: _Rows) -> Iterator[ColumnElement[bool]]:
    """One condition per criterion given (Camunda ORs them inside an or-query); the
    candidate, follow-up and variable criteria are combined conditions of their own."""
    yield from _CONDITIONS.conditions(criteria, rows)
    if _asks_for_candidates(criteria):
        yield _candidates(criteria, rows)
    if criteria.without_candidate_groups or criteria.without_candidate_users:
        yield _without_candidates(criteria, rows)
    if criteria.follow_up_before is not None:
        yield _follow_up_before(criteria, rows)
    for condition in criteria.variables:
        yield _variable_condition(condition, rows)


_CONDITIONS: ConditionTable[_Rows] = ConditionTable(
    {
        # With the id space, so that the unique index on (id_space, external_id) finds them.
        "task_id": lambda r, v: (
            (r.task_scope.id_space == IdSpace.TASK) & (r.task_scope.external_id == v)
        ),
        "task_id_in": lambda r, v: (
            (r.task_scope.id_space == IdSpace.TASK) & r.task_scope.external_id.in_(v)
        ),
        "process_instance_id": lambda r, v: (
            (r.root.id_space == IdSpace.EXECUTION) & (r.root.external_id == v) & r.on_execution
        ),
        "process_instance_id_in": lambda r, v: (
            (r.root.id_space == IdSpace.EXECUTION) & r.root.external_id.in_(v) & r.on_execution
        ),
        "process_instance_business_key": lambda r, v: r.process_instance.business_key == v,
        "process_instance_business_key_in": lambda r, v: r.process_instance.business_key.in_(v),
        "process_instance_business_key_like": lambda r, v: like(r.process_instance.business_key, v),
        "process_definition_key": lambda r, v: r.process_instance.process_definition_key == v,
        "process_definition_id": lambda r, v: Task.process_definition_id == v,
        "process_definition_key_in": lambda r, v: r.process_instance.process_definition_key.in_(v),
        "execution_id": lambda r, v: (
            (r.parent.id_space == IdSpace.EXECUTION) & (r.parent.external_id == v) & r.on_execution
        ),
        "case_instance_id": lambda r, v: Task.case_instance_id == v,
        "tenant_id_in": lambda r, v: Task.tenant_id.in_(v),
        "without_tenant_id": lambda r, v: Task.tenant_id.is_(None),
        "assignee": lambda r, v: Task.assignee == v,
        "assignee_like": lambda r, v: like(Task.assignee, v),
        "assignee_in": lambda r, v: Task.assignee.in_(v),
        "assignee_not_in": lambda r, v: Task.assignee.not_in(v),
        "owner": lambda r, v: Task.owner == v,
        "assigned": lambda r, v: Task.assignee.is_not(None),
        "unassigned": lambda r, v: Task.assignee.is_(None),
        "involved_user": lambda r, v: _involved(r, v),
        "task_definition_key": lambda r, v: Task.task_definition_key == v,
        "task_definition_key_in": lambda r, v: Task.task_definition_key.in_(v),
        "task_definition_key_not_in": lambda r, v: Task.task_definition_key.not_in(v),
        "task_definition_key_like": lambda r, v: like(Task.task_definition_key, v),
        # Camunda compares names and descriptions ignoring case (CAM-6363, CAM-12186).
        "name": lambda r, v: equal_ignoring_case(Task.name, v),
        "name_not_equal": lambda r, v: not_(equal_ignoring_case(Task.name, v)),
        "name_like": lambda r, v: like_ignoring_case(Task.name, v),
        "name_not_like": lambda r, v: not_(like_ignoring_case(Task.name, v)),
        "description": lambda r, v: equal_ignoring_case(Task.description, v),
        "description_like": lambda r, v: like_ignoring_case(Task.description, v),
        "priority": lambda r, v: Task.priority == v,
        "min_priority": lambda r, v: Task.priority >= v,
        "max_priority": lambda r, v: Task.priority <= v,
        "due_date": lambda r, v: Task.due == v,
        "due_after": lambda r, v: Task.due > v,
        "due_before": lambda r, v: Task.due < v,
        "without_due_date": lambda r, v: Task.due.is_(None),
        "follow_up_date": lambda r, v: Task.follow_up == v,
        "follow_up_after": lambda r, v: Task.follow_up > v,
        "created_on": lambda r, v: Task.created == v,
        "created_after": lambda r, v: Task.created > v,
        "created_before": lambda r, v: Task.created < v,
        # A task never updated counts as updated when it was created.
        "updated_after": lambda r, v: (
            (Task.last_updated > v) | (Task.last_updated.is_(None) & (Task.created > v))
        ),
        "delegation_state": lambda r, v: Task.delegation_state == v,
        "parent_task_id": lambda r, v: (
            (r.parent.id_space == IdSpace.TASK) & (r.parent.external_id == v)
        ),
        "suspended": lambda r, v: r.suspended,
        "active": lambda r, v: not_(r.suspended),
    }
)


def _involved(rows: _Rows, user_id: str) -> ColumnElement[bool]:
    link = aliased(IdentityLink)
    linked = exists().where(link.task_pk == rows.task_scope.pk, link.user_id == user_id)
    return linked | (Task.assignee == user_id) | (Task.owner == user_id)


def _asks_for_candidates(criteria: TaskCriteria) -> bool:
    return any(
        given(value)
        for value in (
            criteria.candidate_user,
            criteria.candidate_groups,
            criteria.candidate_group_like,
            criteria.with_candidate_groups,
            criteria.with_candidate_users,
        )
    )


def _candidates(criteria: TaskCriteria, rows: _Rows) -> ColumnElement[bool]:
    """One candidate link satisfies every candidate criterion given; the task is
    unassigned unless ``includeAssignedTasks``."""
    link = aliased(IdentityLink)
    who: list[ColumnElement[bool]] = []
    if criteria.candidate_user is not None:
        who.append(link.user_id == criteria.candidate_user)
    if criteria.candidate_groups is not None and given(criteria.candidate_groups):
        who.append(link.group_id.in_(criteria.candidate_groups))
    if criteria.candidate_group_like is not None:
        who.append(like(link.group_id, criteria.candidate_group_like))
    conditions = [link.task_pk == rows.task_scope.pk, link.type == CANDIDATE]
    if who:
        conditions.append(or_(*who))
    if criteria.with_candidate_groups:
        conditions.append(link.group_id.is_not(None))
    if criteria.with_candidate_users:
        conditions.append(link.user_id.is_not(None))
    linked = exists().where(*conditions)
    if criteria.include_assigned_tasks:
        return linked
    return linked & Task.assignee.is_(None)


def _without_candidates(criteria: TaskCriteria, rows: _Rows) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if not criteria.include_assigned_tasks:
        parts.append(Task.assignee.is_(None))
    for asked, column in (
        (criteria.without_candidate_groups, "group_id"),
        (criteria.without_candidate_users, "user_id"),
    ):
        if asked:
            link = aliased(IdentityLink)
            parts.append(
                ~exists().where(
                    link.task_pk == rows.task_scope.pk,
                    link.type == CANDIDATE,
                    getattr(link, column).is_not(None),
                )
            )
    return and_(*parts)


def _follow_up_before(criteria: TaskCriteria, rows: _Rows) -> ColumnElement[bool]:
    before = Task.follow_up < criteria.follow_up_before
    return Task.follow_up.is_(None) | before if criteria.follow_up_null_accepted else before


def _variable_condition(condition: VariableCondition, rows: _Rows) -> ColumnElement[bool]:
    """A variable of the name exists where the condition looks, and its value matches
    (``neq`` and ``notLike``: does not match)."""
    variable = aliased(Variable)
    if condition.task_local:
        return exists().where(
            variable.scope_pk == rows.task_scope.pk, variable_matches(variable, condition)
        )
    # Camunda's process variables: any variable of the task's process instance that is
    # not a task's own: on the process instance itself, or on one of its executions. Two
    # EXISTS, each an index lookup; one joined on "pk OR process_instance_pk" cannot be
    # hashed, and PostgreSQL fell back to a nested loop over every variable. A count
    # correlates them with the process instance's row (every instance has one, and a
    # task on an execution has its instance): a planner driving from the instances (a
    # definition key asked for) evaluates them once per instance, not once per task.
    instance_pk = rows.process_instance_pk
    on_execution = aliased(Variable)
    execution = aliased(Scope)
    on_process_instance = select(literal(1)).where(
        variable.scope_pk == instance_pk,
        variable_matches(variable, condition),
    )
    on_an_execution = select(literal(1)).where(
        execution.process_instance_pk == instance_pk,
        execution.kind == ScopeKind.EXECUTION,
        on_execution.scope_pk == execution.pk,
        variable_matches(on_execution, condition),
    )
    if rows.counting:
        # One EXISTS over both lookups: PostgreSQL turns each EXISTS of an OR into a
        # hashed subplan over every variable of the name (a parallel scan of the whole
        # table, then one of every scope for the executions) where a count from the
        # instances asked for needs one index lookup per instance; a UNION ALL is never
        # hashed, and stops at the first variable found.
        either = union_all(on_process_instance, on_an_execution).exists()
        return rows.on_execution & either
    return rows.on_execution & (on_process_instance.exists() | on_an_execution.exists())


def _sort_key(ordering: TaskOrdering, rows: _Rows) -> KeyedColumnElement[Any] | Any:
    if ordering.sort_by in VARIABLE_SORTS:
        return _variable_sort_key(ordering, rows)
    keys: dict[str, Any] = {
        "instanceId": rows.process_instance_id,
        "caseInstanceId": Task.case_instance_id,
        "dueDate": Task.due,
        "followUpDate": Task.follow_up,
        "executionId": rows.execution_id,
        # Case executions are not modelled: every task's is null, which orders nothing
        # (and PostgreSQL refuses a constant in ORDER BY).
        "caseExecutionId": None,
        "assignee": Task.assignee,
        "created": Task.created,
        "lastUpdated": Task.last_updated,
        "description": Task.description,
        "id": rows.task_scope.external_id,
        "name": Task.name,
        "nameCaseInsensitive": func.lower(Task.name),
        "priority": Task.priority,
        "tenantId": Task.tenant_id,
    }
    return keys[ordering.sort_by]


def _variable_sort_key(ordering: TaskOrdering, rows: _Rows) -> Any:
    """The value of the variable sorted by, where Camunda looks for it: on the process
    instance itself, on the task's execution, or on the task."""
    variable = aliased(Variable)
    holder_pk = {
        "processVariable": case((rows.on_execution, rows.task_scope.process_instance_pk)),
        "executionVariable": case((rows.on_execution, rows.parent.pk)),
        "taskVariable": rows.task_scope.pk,
    }[ordering.sort_by]
    column = getattr(variable, SORT_COLUMN_BY_TYPE[ordering.value_type or ""])
    return (
        select(column)
        .where(
            variable.scope_pk == holder_pk,
            variable.name == ordering.variable,
            variable.type == ordering.value_type,
        )
        .scalar_subquery()
    )
