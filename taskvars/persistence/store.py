"""The questions handlers ask of the database, answered with 2.0-style statements.

"Not found" is ``None`` for lookups and :class:`ScopeNotFoundError` for a missing scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import delete, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from taskvars.persistence.models import (
    BinaryChunk,
    BinaryContent,
    IdSpace,
    ProcessInstance,
    Scope,
    ScopeKind,
    Task,
    Variable,
)
from taskvars.persistence.values import (
    BinarySource,
    ConcurrentModificationError,
    NewValue,
    ScopeNotFoundError,
    ScopeRef,
    StoredValue,
    TaskRecord,
)


class Store:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Scopes

    def scope_chain(self, id_space: IdSpace, external_id: str) -> list[ScopeRef]:
        """The scope and all its ancestors, nearest first, in one query."""
        parent = aliased(Scope)
        start = (
            select(
                Scope.pk, Scope.parent_pk, Scope.kind, Scope.external_id, literal(0).label("depth")
            )
            .where(Scope.id_space == id_space, Scope.external_id == external_id)
            .cte("chain", recursive=True)
        )
        chain = start.union_all(
            select(
                parent.pk, parent.parent_pk, parent.kind, parent.external_id, start.c.depth + 1
            ).where(parent.pk == start.c.parent_pk)
        )
        rows = self.session.execute(
            select(chain.c.pk, chain.c.kind, chain.c.external_id).order_by(chain.c.depth)
        ).all()
        if not rows:
            raise ScopeNotFoundError(id_space, external_id)
        return [ScopeRef(pk, ScopeKind(kind), ext) for pk, kind, ext in rows]

    def scope_exists(self, id_space: IdSpace, external_id: str) -> bool:
        return self._scope_pk(id_space, external_id) is not None

    def _scope_pk(self, id_space: IdSpace, external_id: str) -> int | None:
        return self.session.scalar(
            select(Scope.pk).where(Scope.id_space == id_space, Scope.external_id == external_id)
        )

    def add_scope(self, kind: ScopeKind, external_id: str, parent_pk: int | None) -> int:
        scope = Scope(
            kind=kind, id_space=kind.id_space, external_id=external_id, parent_pk=parent_pk
        )
        self.session.add(scope)
        self.session.flush()
        return scope.pk

    def add_process_instance(
        self, external_id: str, business_key: str | None, process_definition_key: str | None
    ) -> int:
        pk = self.add_scope(ScopeKind.PROCESS_INSTANCE, external_id, None)
        self.session.add(
            ProcessInstance(
                scope_pk=pk,
                business_key=business_key,
                process_definition_key=process_definition_key,
            )
        )
        return pk

    def add_task(self, external_id: str, parent_pk: int | None, attributes: dict[str, Any]) -> int:
        pk = self.add_scope(ScopeKind.TASK, external_id, parent_pk)
        self.session.add(Task(scope_pk=pk, **attributes))
        self.session.flush()
        return pk

    def task(self, external_id: str) -> TaskRecord | None:
        """The task's attributes and its scope chain, or ``None``."""
        try:
            chain = self.scope_chain(IdSpace.TASK, external_id)
        except ScopeNotFoundError:
            return None
        task = self.session.get_one(Task, chain[0].pk)
        return TaskRecord(
            chain=chain,
            name=task.name,
            description=task.description,
            assignee=task.assignee,
            owner=task.owner,
            priority=task.priority,
            delegation_state=task.delegation_state,
            due=task.due,
            follow_up=task.follow_up,
            created=task.created,
            task_definition_key=task.task_definition_key,
            tenant_id=task.tenant_id,
            case_instance_id=task.case_instance_id,
        )

    def scope_pk(self, id_space: IdSpace, external_id: str) -> int | None:
        return self._scope_pk(id_space, external_id)

    # Variables

    def visible_variable(self, chain: list[ScopeRef], name: str) -> StoredValue | None:
        """The variable ``name`` as seen from ``chain[0]``: the nearest scope wins."""
        found = {v.scope_pk: v for v in self._variables(chain, names=[name])}
        return next((found[scope.pk] for scope in chain if scope.pk in found), None)

    def visible_variables(self, chain: list[ScopeRef]) -> dict[str, StoredValue]:
        """Every variable visible from ``chain[0]``; on a name clash the nearest wins."""
        by_scope: dict[int, list[StoredValue]] = {}
        for value in self._variables(chain):
            by_scope.setdefault(value.scope_pk, []).append(value)
        visible: dict[str, StoredValue] = {}
        for scope in reversed(chain):
            for value in sorted(by_scope.get(scope.pk, []), key=lambda v: v.name):
                visible[value.name] = value
        return visible

    def _variables(
        self, chain: list[ScopeRef], names: Iterable[str] | None = None
    ) -> list[StoredValue]:
        statement = (
            select(Variable, BinaryContent.size, BinaryContent.sha256)
            .outerjoin(BinaryContent, BinaryContent.pk == Variable.content_pk)
            .where(Variable.scope_pk.in_([scope.pk for scope in chain]))
        )
        if names is not None:
            statement = statement.where(Variable.name.in_(list(names)))
        return [
            _stored(variable, size, sha256)
            for variable, size, sha256 in self.session.execute(statement).all()
        ]

    def set_variable(
        self, chain: list[ScopeRef], name: str, value: NewValue, *, local: bool
    ) -> None:
        """Write ``name`` where Camunda would (compat §5) and drop replaced content.

        Local: on ``chain[0]``. Otherwise where it is visible from, or, if nowhere,
        in the top-most scope.
        """
        if local:
            target_pk = chain[0].pk
        else:
            holder = self.visible_variable(chain, name)
            target_pk = holder.scope_pk if holder else chain[-1].pk
        self.set_local_variable(target_pk, name, value)

    def set_local_variable(self, scope_pk: int, name: str, value: NewValue) -> None:
        """Create or replace ``name`` in the scope ``scope_pk``; drop replaced content."""
        content_pk = self._write_content(value.content) if value.content else None
        variable = self.session.scalar(
            select(Variable).where(Variable.scope_pk == scope_pk, Variable.name == name)
        )
        replaced_content_pk = variable.content_pk if variable else None
        if variable is None:
            variable = Variable(scope_pk=scope_pk, name=name)
            self.session.add(variable)
        variable.type = value.type
        variable.text_value = value.text_value
        variable.content_pk = content_pk
        variable.filename = value.filename
        variable.mime_type = value.mime_type
        variable.encoding = value.encoding
        variable.object_type_name = value.object_type_name
        variable.serialization_data_format = value.serialization_data_format
        try:
            self.session.flush()
        except (IntegrityError, StaleDataError) as error:
            # Another transaction created or changed this variable since we looked.
            raise ConcurrentModificationError(str(error)) from error
        if replaced_content_pk is not None:
            self._delete_content(replaced_content_pk)

    # Binary content

    def _write_content(self, source: BinarySource) -> int:
        content_pk = self.session.execute(
            insert(BinaryContent)
            .values(size=source.size, sha256=source.sha256)
            .returning(BinaryContent.pk)
        ).scalar_one()
        connection = self.session.connection()
        chunk_table = BinaryChunk.__table__
        # One statement per chunk keeps memory at one chunk, whatever the value's size.
        for seq, chunk in enumerate(source.chunks):
            connection.execute(
                chunk_table.insert(), {"content_pk": content_pk, "seq": seq, "data": chunk}
            )
        return content_pk

    def _delete_content(self, content_pk: int) -> None:
        self.session.execute(delete(BinaryContent).where(BinaryContent.pk == content_pk))

    def content_chunks(self, content_pk: int) -> Iterator[bytes]:
        """The content's chunks in order, fetched one at a time."""
        result = self.session.execute(
            select(BinaryChunk.data)
            .where(BinaryChunk.content_pk == content_pk)
            .order_by(BinaryChunk.seq)
            .execution_options(yield_per=1)
        )
        for (data,) in result:
            yield data


def _stored(variable: Variable, size: int | None, sha256: str | None) -> StoredValue:
    return StoredValue(
        name=variable.name,
        scope_pk=variable.scope_pk,
        type=variable.type,
        text_value=variable.text_value,
        content_pk=variable.content_pk,
        content_size=size,
        content_sha256=sha256,
        filename=variable.filename,
        mime_type=variable.mime_type,
        encoding=variable.encoding,
        object_type_name=variable.object_type_name,
        serialization_data_format=variable.serialization_data_format,
        revision=variable.revision,
    )
