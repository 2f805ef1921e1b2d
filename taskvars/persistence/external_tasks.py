"""External tasks as the engine and workers change them: created when a token reaches
one, locked by a fetch, failed, unlocked, gone when the token leaves.

A fetch locks the rows it picks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL): two fetches
in two server processes never get the same task, and neither waits for the other; a
command on one task takes its row lock after the run's claim (the order a step that
removes the task takes too)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    delete,
    exists,
    false,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from taskvars.persistence.models import ExternalTask, ProcessInstance, Variable
from taskvars.persistence.statement_shapes import Parameters, Shape, StatementCache
from taskvars.persistence.values import VariableCondition
from taskvars.persistence.variable_conditions import variable_matches


@dataclass(frozen=True)
class TopicCriteria:
    """One topic of a fetch, with the filters that narrow it (all must hold)."""

    topic_name: str
    business_key: str | None = None
    process_definition_ids: Sequence[str] | None = None
    process_definition_keys: Sequence[str] | None = None
    process_definition_version_tag: str | None = None
    tenant_ids: Sequence[str] | None = None
    without_tenant_id: bool = False
    # Any of them holds (Camunda ORs a topic's processVariables).
    process_variables: Sequence[VariableCondition] = field(default_factory=tuple)


@dataclass(frozen=True)
class RemovedTask:
    execution_pk: int  # the task's own execution, to be removed with it
    retries: int | None  # 0: it may have an open incident


class ExternalTasks:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._skip_locked = session.get_bind().dialect.name == "postgresql"

    def add(self, task: ExternalTask) -> None:
        self.session.add(task)
        self.session.flush()

    def get(self, external_task_id: str) -> ExternalTask | None:
        """The task as it stands, not locked (a command reads it to find its instance)."""
        return self.session.scalar(select(ExternalTask).where(ExternalTask.id == external_task_id))

    def lock(self, external_task_id: str) -> ExternalTask | None:
        """The task, its row locked until the transaction ends."""
        return self.session.scalar(
            select(ExternalTask)
            .where(ExternalTask.id == external_task_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def remove(self, external_task_id: str) -> RemovedTask | None:
        """The task's row removed (the token left it), in one statement; ``None`` if it
        was gone already."""
        row = self.session.execute(
            delete(ExternalTask)
            .where(ExternalTask.id == external_task_id)
            .returning(ExternalTask.execution_pk, ExternalTask.retries)
            .execution_options(synchronize_session=False)
        ).first()
        return None if row is None else RemovedTask(row.execution_pk, row.retries)

    def fetchable(
        self,
        topics: Sequence[TopicCriteria],
        now: int,
        limit: int,
        *,
        use_priority: bool,
        create_time_order: str | None,
    ) -> list[ExternalTask]:
        """At most ``limit`` tasks of the topics that a fetch may lock now (unlocked or
        expired, retries left, instance not suspended), their rows locked; rows another
        transaction holds are skipped. Highest priority first if ``use_priority``, then
        by creation time if asked (``asc``/``desc``), as Camunda's fetch orders them."""
        if not topics or limit <= 0:
            return []

        def take_apart(parameters: Parameters) -> tuple[Shape, Fetch]:
            parts = [
                parameters.criteria(_listed(topic), f"topics{index}_")
                for index, topic in enumerate(topics)
            ]
            fetch = Fetch(
                [template for _, template in parts],
                parameters.bind("now", now),
                parameters.bind("limit", limit, Integer()),
                use_priority=use_priority,
                create_time_order=create_time_order,
                skip_locked=self._skip_locked,
            )
            shape = (tuple(part for part, _ in parts), use_priority, create_time_order)
            return (*shape, self._skip_locked), fetch

        statement, parameters = FETCH_STATEMENTS.bound(take_apart)
        return list(self.session.scalars(statement, parameters))

    def next_lock_expiry(self, topic_names: Iterable[str], now: int) -> int | None:
        """When the earliest lock (or retry timeout) of a task of these topics ends after
        ``now``: a parked fetch wakes then."""
        return self.session.scalar(
            select(ExternalTask.lock_expiration_time)
            .where(
                ExternalTask.topic_name.in_(list(topic_names)),
                ExternalTask.lock_expiration_time > now,
                or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
            )
            .order_by(ExternalTask.lock_expiration_time)
            .limit(1)
        )

    def topics_of_instance(self, process_instance_pk: int) -> list[str]:
        """The topics of an instance's tasks (announced when it is activated)."""
        return list(
            self.session.scalars(
                select(ExternalTask.topic_name)
                .where(ExternalTask.process_instance_pk == process_instance_pk)
                .distinct()
            )
        )

    def set_lock(self, task: ExternalTask, worker_id: str | None, expiration: int | None) -> None:
        task.worker_id = worker_id
        task.lock_expiration_time = expiration
        self.session.flush()

    def save(self, task: ExternalTask) -> None:
        self.session.flush()

    def move(self, external_task_id: str, execution_id: str) -> None:
        """The task's execution follows its token (compaction); its own scope execution
        is reparented by the caller."""
        self.session.execute(
            update(ExternalTask)
            .where(ExternalTask.id == external_task_id)
            .values(execution_id=execution_id)
        )


@dataclass(frozen=True)
class Fetch:
    """What a fetch asks for, as its statement is built: with values, or parameters."""

    topics: Sequence[TopicCriteria]
    now: Any
    limit: Any
    use_priority: bool
    create_time_order: str | None
    skip_locked: bool

    def statement(self) -> Select[Any]:
        statement = (
            select(ExternalTask)
            .where(
                or_(*(_topic_matches(topic) for topic in self.topics)),
                or_(
                    ExternalTask.lock_expiration_time.is_(None),
                    ExternalTask.lock_expiration_time <= self.now,
                ),
                or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
                ~_suspended(),
            )
            .limit(self.limit)
        )
        orderings = []
        if self.use_priority:
            orderings.append(ExternalTask.priority.desc())
        if self.create_time_order == "asc":
            orderings.append(ExternalTask.create_time.asc())
        elif self.create_time_order == "desc":
            orderings.append(ExternalTask.create_time.desc())
        orderings.append(ExternalTask.pk.asc())  # one answer for one state
        statement = statement.order_by(*orderings)
        if self.skip_locked:
            statement = statement.with_for_update(skip_locked=True, of=ExternalTask)
        return statement.execution_options(populate_existing=True)


# A fetch's statement, built once per shape of its topics and options.
FETCH_STATEMENTS: StatementCache[Fetch] = StatementCache(Fetch.statement)


def _listed(topic: TopicCriteria) -> TopicCriteria:
    """The topic with its sequences as the toolkit takes them apart: values in lists,
    variable conditions in a tuple."""
    return replace(
        topic,
        process_definition_ids=_list_or_none(topic.process_definition_ids),
        process_definition_keys=_list_or_none(topic.process_definition_keys),
        tenant_ids=_list_or_none(topic.tenant_ids),
        process_variables=tuple(topic.process_variables),
    )


def _list_or_none(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def _topic_matches(topic: TopicCriteria) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [ExternalTask.topic_name == topic.topic_name]
    if topic.business_key is not None:
        conditions.append(ExternalTask.business_key == topic.business_key)
    if topic.process_definition_ids is not None:
        conditions.append(ExternalTask.process_definition_id.in_(topic.process_definition_ids))
    if topic.process_definition_keys is not None:
        conditions.append(ExternalTask.process_definition_key.in_(topic.process_definition_keys))
    if topic.process_definition_version_tag is not None:
        conditions.append(
            ExternalTask.process_definition_version_tag == topic.process_definition_version_tag
        )
    tenants: list[ColumnElement[bool]] = []
    if topic.tenant_ids is not None:
        tenants.append(ExternalTask.tenant_id.in_(topic.tenant_ids))
    if topic.without_tenant_id:
        tenants.append(ExternalTask.tenant_id.is_(None))
    if tenants:
        conditions.append(or_(*tenants))
    if topic.process_variables:
        conditions.append(
            or_(
                *(
                    exists().where(
                        Variable.scope_pk == ExternalTask.process_instance_pk,
                        variable_matches(Variable, condition),
                    )
                    for condition in topic.process_variables
                )
            )
        )
    return and_(*conditions) if len(conditions) > 1 else conditions[0]


def _suspended() -> ColumnElement[bool]:
    return exists().where(
        ProcessInstance.scope_pk == ExternalTask.process_instance_pk,
        ProcessInstance.suspended.is_not(false()),
    )
