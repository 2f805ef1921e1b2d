"""Tasks: their attributes, and queries over them with their place in the scope tree."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from taskvars.persistence import raw_statements
from taskvars.persistence.count_reuse import CountReuse
from taskvars.persistence.models import IdentityLink, IdSpace, Scope, ScopeKind, Task
from taskvars.persistence.scope_tree import ScopeTree
from taskvars.persistence.task_query import matching_tasks, task_count, task_page
from taskvars.persistence.values import IdentityLinkRecord, TaskCriteria, TaskOrdering, TaskRecord

_TASK = cast(Table, Task.__table__)
# A Core statement, compiled once: every variable write touches its task, and the ORM's
# bulk UPDATE path costs several times the statement itself.
TOUCH_TASK = (
    update(_TASK)
    .where(_TASK.c.scope_pk == bindparam("task_pk"))
    .values(last_updated=bindparam("now"))
)
# The table's INSERT, not the entity's: a model's every user task adds one, and the
# ORM's flush of a new object costs several times the statement.
_ADD_TASK = insert(_TASK)
# The table, not the entity: the ORM would split the rows by their NULLs; and on the
# connection, not the session, which would route it through its ORM execution first.
_LINKS = cast(Table, IdentityLink.__table__)


class Tasks:
    def __init__(
        self, session: Session, scopes: ScopeTree, counts: CountReuse | None = None
    ) -> None:
        self.session = session
        self._scopes = scopes
        self._counts = counts

    def add(
        self,
        external_id: str,
        parent_pk: int | None,
        attributes: dict[str, Any],
        *,
        instance_pk: int | None = None,
    ) -> int:
        pk = self._scopes.add(ScopeKind.TASK, external_id, parent_pk, instance_pk=instance_pk)
        raw_statements.run(self.session.connection(), _ADD_TASK, {"scope_pk": pk, **attributes})
        return pk

    def as_it_ends(self, external_id: str) -> tuple[int, dict[str, Any]] | None:
        """A task's pk and the attributes history keeps of it at its end, in one
        prebuilt query (the task query's machinery costs more than a step's work)."""
        row = raw_statements.run(
            self.session.connection(), _AS_IT_ENDS, {"task_id": external_id}
        ).first()
        if row is None:
            return None
        pk, *values = row
        return pk, dict(zip(ENDING_ATTRIBUTES, values, strict=True))

    def get(self, external_id: str) -> TaskRecord | None:
        """One task by id, in a statement built once: building the task query's
        statement costs ten times running it."""
        row = self.session.execute(_TASK_BY_ID, {"task_id": external_id}).first()
        return _record_of(row) if row is not None else None

    def lock(self, external_id: str) -> int | None:
        """The task's pk, its row locked until the transaction ends (on PostgreSQL; an
        SQLite writer holds the whole database already), so that what is read of it next
        cannot change before this transaction writes it."""
        return self.session.scalar(
            select(Task.scope_pk)
            .join(Scope, Scope.pk == Task.scope_pk)
            .where(Scope.id_space == IdSpace.TASK, Scope.external_id == external_id)
            .with_for_update(of=Task)
        )

    def query(
        self,
        criteria: TaskCriteria,
        orderings: Sequence[TaskOrdering] = (),
        *,
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[TaskRecord]:
        """Tasks matching ``criteria``, in one statement whatever the criteria."""
        statement, parameters = task_page(criteria, orderings, first_result, max_results)
        rows = self.session.execute(statement, parameters).all()
        return [_record_of(row) for row in rows]

    def count(self, criteria: TaskCriteria) -> int:
        """How many tasks match ``criteria``; on unchanged data, the count kept from
        before (see count_reuse)."""
        if self._counts is None:
            statement, parameters = task_count(criteria)
            return self.session.scalar(statement, parameters) or 0
        # The statement and its parameters follow from the criteria alone, so they stand
        # for both. Their repr, not their equality: ``==`` takes True for 1 and one
        # instant in two zones for the same, and a criterion's Python type decides what
        # it matches (VariableCondition). Its digest: a list of ids can be megabytes.
        key = ("task", hashlib.sha256(repr(criteria).encode()).digest())
        return self._counts.count(self.session, key, lambda: task_count(criteria))

    def touch(self, task_pk: int, now: datetime) -> None:
        """Camunda's ``lastUpdated``: the task changed at ``now``."""
        raw_statements.run(self.session.connection(), TOUCH_TASK, {"task_pk": task_pk, "now": now})

    def identity_links(self, task_pk: int) -> list[IdentityLinkRecord]:
        """The task's stored links, oldest first (its assignee and owner are columns)."""
        rows = self.session.execute(
            select(IdentityLink.type, IdentityLink.user_id, IdentityLink.group_id)
            .where(IdentityLink.task_pk == task_pk)
            .order_by(IdentityLink.pk)
        )
        return [IdentityLinkRecord(*row) for row in rows]

    def add_identity_link(self, task_pk: int, link: IdentityLinkRecord) -> None:
        """Store ``link`` unless the task has it already."""
        if link not in self.identity_links(task_pk):
            self.session.add(
                IdentityLink(
                    task_pk=task_pk, type=link.type, user_id=link.user_id, group_id=link.group_id
                )
            )
            self.session.flush()

    def add_new_identity_links(self, task_pk: int, links: list[IdentityLinkRecord]) -> None:
        """The links of a task just created (it has none to compare with), in one
        statement; a link given twice is stored once."""
        unique = list(dict.fromkeys(links))
        if unique:
            raw_statements.insert_rows(
                self.session.connection(),
                _LINKS,
                [
                    {
                        "task_pk": task_pk,
                        "type": link.type,
                        "user_id": link.user_id,
                        "group_id": link.group_id,
                    }
                    for link in unique
                ],
            )

    def delete_identity_link(self, task_pk: int, link: IdentityLinkRecord) -> None:
        self.session.execute(
            delete(IdentityLink).where(
                IdentityLink.task_pk == task_pk,
                IdentityLink.type == link.type,
                _same(IdentityLink.user_id, link.user_id),
                _same(IdentityLink.group_id, link.group_id),
            )
        )

    def update(self, task_pk: int, attributes: dict[str, Any]) -> None:
        task = self.session.get_one(Task, task_pk)
        for name, value in attributes.items():
            setattr(task, name, value)
        self.session.flush()


def _same(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    """``column = value``, where ``None`` matches NULL."""
    return column.is_(None) if value is None else column == value


def _record_of(row: Row[Any]) -> TaskRecord:
    """A row of :func:`matching_tasks` as a record."""
    return _task_record(
        row.Task,
        row.task_pk,
        row.task_id,
        row.parent_kind,
        row.parent_id,
        row.process_instance_id,
        suspended=bool(row.suspended),
    )


def _task_record(
    task: Task,
    task_pk: int,
    task_id: str,
    parent_kind: ScopeKind | None,
    parent_id: str | None,
    process_instance_id: str | None,
    *,
    suspended: bool,
) -> TaskRecord:
    on_execution = parent_kind in (ScopeKind.EXECUTION, ScopeKind.PROCESS_INSTANCE)
    return TaskRecord(
        id=task_id,
        execution_id=parent_id if on_execution else None,
        parent_task_id=parent_id if parent_kind is ScopeKind.TASK else None,
        process_instance_id=process_instance_id if on_execution else None,
        name=task.name,
        description=task.description,
        assignee=task.assignee,
        owner=task.owner,
        priority=task.priority,
        delegation_state=task.delegation_state,
        due=task.due,
        follow_up=task.follow_up,
        created=task.created,
        last_updated=task.last_updated,
        task_definition_key=task.task_definition_key,
        tenant_id=task.tenant_id,
        case_instance_id=task.case_instance_id,
        pk=task_pk,
        form_key=task.form_key,
        process_definition_id=task.process_definition_id,
        suspended=suspended,
    )


# The task query for one id, the id bound at each call.
_TASK_BY_ID = matching_tasks(TaskCriteria(task_id=cast(str, bindparam("task_id"))))

# The attributes of a task history records again when it ends (they may have changed).
ENDING_ATTRIBUTES = ("name", "assignee", "owner", "priority", "due", "follow_up")
_AS_IT_ENDS = (
    select(Task.scope_pk, *(getattr(Task, name) for name in ENDING_ATTRIBUTES))
    .join(Scope, Scope.pk == Task.scope_pk)
    .where(Scope.id_space == IdSpace.TASK, Scope.external_id == bindparam("task_id"))
)
