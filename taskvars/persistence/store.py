"""The questions handlers ask of the database, answered with 2.0-style statements.

"Not found" is ``None`` for lookups and :class:`ScopeNotFoundError` for a missing scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from sqlalchemy import (
    Connection,
    Row,
    Select,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from taskvars.persistence.content_files import ContentFiles
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
    ExecutionRecord,
    NewValue,
    ProcessInstanceRecord,
    ScopeNotFoundError,
    ScopeRef,
    StoredValue,
    TaskFilter,
    TaskRecord,
)


def _scope_chain_statement() -> Select[Any]:
    """Built once: every request asks this, and building it cost a third of a small
    upload's CPU (py-spy)."""
    scope = Scope.__table__
    parent = scope.alias("parent")
    start = (
        select(
            scope.c.pk,
            scope.c.parent_pk,
            scope.c.kind,
            scope.c.external_id,
            literal(0).label("depth"),
        )
        .where(
            scope.c.id_space == bindparam("id_space"),
            scope.c.external_id == bindparam("external_id"),
        )
        .cte("chain", recursive=True)
    )
    chain = start.union_all(
        select(
            parent.c.pk, parent.c.parent_pk, parent.c.kind, parent.c.external_id, start.c.depth + 1
        ).where(parent.c.pk == start.c.parent_pk)
    )
    return select(chain.c.pk, chain.c.kind, chain.c.external_id).order_by(chain.c.depth)


_SCOPE_CHAIN = _scope_chain_statement()

# The statements of every variable read and write, built once with bound parameters and
# run through Core: building statements and the ORM's unit of work were two thirds of a
# small upload's 2.8 ms transaction (cProfile over 1,000 uploads).
_VARIABLE = Variable.__table__
_CONTENT = BinaryContent.__table__
_CHUNK = BinaryChunk.__table__
_VARIABLE_ROWS = (
    select(*_VARIABLE.c, _CONTENT.c.size, _CONTENT.c.sha256, _CONTENT.c.file_name)
    .select_from(_VARIABLE.outerjoin(_CONTENT, _CONTENT.c.pk == _VARIABLE.c.content_pk))
    .where(_VARIABLE.c.scope_pk.in_(bindparam("scope_pks", expanding=True)))
)
_NAMED_VARIABLE_ROWS = _VARIABLE_ROWS.where(_VARIABLE.c.name == bindparam("name"))
_LOCAL_VARIABLE = select(_VARIABLE.c.pk, _VARIABLE.c.content_pk, _VARIABLE.c.revision).where(
    _VARIABLE.c.scope_pk == bindparam("scope_pk"), _VARIABLE.c.name == bindparam("name")
)
_VALUE_COLUMNS = (
    "type",
    "text_value",
    "content_pk",
    "filename",
    "mime_type",
    "encoding",
    "object_type_name",
    "serialization_data_format",
)
_INSERT_VARIABLE = insert(_VARIABLE)
# Optimistic locking: the row changes only if nobody changed it since it was read.
_UPDATE_VARIABLE = (
    update(_VARIABLE)
    .where(
        _VARIABLE.c.pk == bindparam("variable_pk"),
        _VARIABLE.c.revision == bindparam("read_revision"),
    )
    .values(
        revision=_VARIABLE.c.revision + 1,
        **{column: bindparam(f"new_{column}") for column in _VALUE_COLUMNS},
    )
)
_DELETE_VARIABLE = delete(_VARIABLE).where(
    _VARIABLE.c.pk == bindparam("variable_pk"),
    _VARIABLE.c.revision == bindparam("read_revision"),
)
_INSERT_CONTENT = insert(_CONTENT).returning(_CONTENT.c.pk)
_INSERT_CHUNK = insert(_CHUNK)
_DELETE_CONTENT = (
    delete(_CONTENT).where(_CONTENT.c.pk == bindparam("content_pk")).returning(_CONTENT.c.file_name)
)


# Session.info key: callables to run once the session's transaction has committed.
AFTER_COMMIT = "taskvars_after_commit"


class Store:
    def __init__(self, session: Session, content_files: ContentFiles | None = None) -> None:
        self.session = session
        # SQLite keeps large content in files beside the database; PostgreSQL in rows.
        self._files = content_files

    def _after_commit(self, action: Callable[[], None]) -> None:
        self.session.info.setdefault(AFTER_COMMIT, []).append(action)

    def _remove_files_after_commit(self, names: Iterable[str | None]) -> None:
        names = [name for name in names if name is not None]
        if names and self._files is not None:
            files = self._files
            self._after_commit(lambda: files.remove(names))

    # Scopes

    @property
    def _connection(self) -> Connection:
        return self.session.connection()

    def scope_chain(self, id_space: IdSpace, external_id: str) -> list[ScopeRef]:
        """The scope and all its ancestors, nearest first, in one query."""
        rows = self._connection.execute(
            _SCOPE_CHAIN, {"id_space": id_space, "external_id": external_id}
        ).all()
        if not rows:
            raise ScopeNotFoundError(id_space, external_id)
        return [ScopeRef(pk, ScopeKind(kind), ext) for pk, kind, ext in rows]

    def scope_exists(self, id_space: IdSpace, external_id: str) -> bool:
        return self.scope_pk(id_space, external_id) is not None

    def scope_pk(self, id_space: IdSpace, external_id: str) -> int | None:
        return self.session.scalar(
            select(Scope.pk).where(Scope.id_space == id_space, Scope.external_id == external_id)
        )

    def add_scope(self, kind: ScopeKind, external_id: str, parent_pk: int | None) -> int:
        scope = Scope(
            kind=kind,
            id_space=kind.id_space,
            external_id=external_id,
            parent_pk=parent_pk,
            process_instance_pk=self._process_instance_below(parent_pk),
        )
        self.session.add(scope)
        self.session.flush()
        return scope.pk

    def _process_instance_below(self, parent_pk: int | None) -> int | None:
        """The process instance that a new child of ``parent_pk`` belongs to."""
        if parent_pk is None:
            return None
        parent = self.session.get_one(Scope, parent_pk)
        if parent.kind is ScopeKind.PROCESS_INSTANCE:
            return parent.pk
        return parent.process_instance_pk

    def move_task(self, task_pk: int, parent_task_pk: int | None) -> None:
        """Make a task a subtask of another, or (``None``) standalone."""
        scope = self.session.get_one(Scope, task_pk)
        scope.parent_pk = parent_task_pk
        scope.process_instance_pk = self._process_instance_below(parent_task_pk)
        self.session.flush()

    def is_ancestor(self, candidate_pk: int, scope_pk: int) -> bool:
        scope = self.session.get_one(Scope, scope_pk)
        chain = self.scope_chain(scope.id_space, scope.external_id)
        return any(ancestor.pk == candidate_pk for ancestor in chain)

    def delete_scope_tree(self, scope_pk: int) -> None:
        """The scope, every scope below it, their variables and their binary content."""
        child = aliased(Scope)
        start = select(Scope.pk).where(Scope.pk == scope_pk).cte("subtree", recursive=True)
        subtree = start.union_all(select(child.pk).where(child.parent_pk == start.c.pk))
        contents = select(Variable.content_pk).where(
            Variable.scope_pk.in_(select(subtree.c.pk)), Variable.content_pk.is_not(None)
        )
        removed = self.session.execute(
            delete(BinaryContent)
            .where(BinaryContent.pk.in_(contents))
            .returning(BinaryContent.file_name),
            execution_options={"synchronize_session": False},
        ).scalars()
        self._remove_files_after_commit(removed)
        # Executions, tasks, subtasks and variables below go by ON DELETE CASCADE.
        self.session.execute(
            delete(Scope).where(Scope.pk == scope_pk),
            execution_options={"synchronize_session": False},
        )
        self.session.expunge_all()

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
        records = self.tasks(TaskFilter(task_id=external_id))
        return records[0] if records else None

    def tasks(
        self,
        criteria: TaskFilter,
        *,
        first_result: int = 0,
        max_results: int | None = None,
        sort_by: str | None = None,
        descending: bool = False,
    ) -> list[TaskRecord]:
        """Tasks matching ``criteria``, in one query whatever their number."""
        statement = _matching_tasks(criteria)
        columns = statement.selected_columns
        order = {"name": Task.name, "created": Task.created, "id": columns.task_id}.get(
            sort_by or "", columns.task_pk
        )
        statement = statement.order_by(order.desc() if descending else order.asc(), columns.task_pk)
        rows = self.session.execute(statement.offset(first_result).limit(max_results)).all()
        return [
            _task_record(
                row.Task, row.task_id, row.parent_kind, row.parent_id, row.process_instance_id
            )
            for row in rows
        ]

    def count_tasks(self, criteria: TaskFilter) -> int:
        matching = _matching_tasks(criteria).subquery()
        return self.session.scalar(select(func.count()).select_from(matching)) or 0

    def update_task(self, task_pk: int, attributes: dict[str, Any]) -> None:
        task = self.session.get_one(Task, task_pk)
        for name, value in attributes.items():
            setattr(task, name, value)
        self.session.flush()

    def process_instance(self, external_id: str) -> ProcessInstanceRecord | None:
        row = self.session.execute(
            select(ProcessInstance.business_key, ProcessInstance.process_definition_key)
            .join(Scope, Scope.pk == ProcessInstance.scope_pk)
            .where(Scope.id_space == IdSpace.EXECUTION, Scope.external_id == external_id)
        ).first()
        return None if row is None else ProcessInstanceRecord(external_id, *row)

    def execution(self, external_id: str) -> ExecutionRecord | None:
        """An execution, or a process instance seen as its own root execution."""
        root = aliased(Scope)
        row = self.session.execute(
            select(Scope.pk, root.external_id)
            .outerjoin(root, root.pk == Scope.process_instance_pk)
            .where(Scope.id_space == IdSpace.EXECUTION, Scope.external_id == external_id)
        ).first()
        if row is None:
            return None
        # A process instance has no process instance above it: it is its own.
        return ExecutionRecord(external_id, row.external_id or external_id)

    # Variables

    def visible_variable(self, chain: list[ScopeRef], name: str) -> StoredValue | None:
        """The variable ``name`` as seen from ``chain[0]``: the nearest scope wins."""
        rows = self._connection.execute(
            _NAMED_VARIABLE_ROWS, {"scope_pks": [scope.pk for scope in chain], "name": name}
        )
        found = {row.scope_pk: _stored(row) for row in rows}
        return next((found[scope.pk] for scope in chain if scope.pk in found), None)

    def visible_variables(self, chain: list[ScopeRef]) -> dict[str, StoredValue]:
        """Every variable visible from ``chain[0]``; on a name clash the nearest wins."""
        by_scope: dict[int, list[StoredValue]] = {}
        rows = self._connection.execute(
            _VARIABLE_ROWS, {"scope_pks": [scope.pk for scope in chain]}
        )
        for value in map(_stored, rows):
            by_scope.setdefault(value.scope_pk, []).append(value)
        visible: dict[str, StoredValue] = {}
        for scope in reversed(chain):
            for value in sorted(by_scope.get(scope.pk, []), key=lambda v: v.name):
                visible[value.name] = value
        return visible

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
        connection = self._connection
        content_pk = self._write_content(value.content) if value.content else None
        values = {
            "type": value.type,
            "text_value": value.text_value,
            "content_pk": content_pk,
            "filename": value.filename,
            "mime_type": value.mime_type,
            "encoding": value.encoding,
            "object_type_name": value.object_type_name,
            "serialization_data_format": value.serialization_data_format,
        }
        existing = connection.execute(_LOCAL_VARIABLE, {"scope_pk": scope_pk, "name": name}).first()
        if existing is None:
            try:
                connection.execute(
                    _INSERT_VARIABLE, {"scope_pk": scope_pk, "name": name, "revision": 1, **values}
                )
            except IntegrityError as error:
                # Another transaction created this variable since we looked.
                raise ConcurrentModificationError(str(error)) from error
            return
        updated = connection.execute(
            _UPDATE_VARIABLE,
            {
                "variable_pk": existing.pk,
                "read_revision": existing.revision,
                **{f"new_{column}": values[column] for column in _VALUE_COLUMNS},
            },
        )
        if updated.rowcount != 1:
            raise ConcurrentModificationError(f"variable {name} was changed meanwhile")
        if existing.content_pk is not None:
            self._delete_content(existing.content_pk)

    def delete_variable(self, chain: list[ScopeRef], name: str, *, local: bool) -> None:
        """Remove ``name`` from ``chain[0]`` (local) or from the nearest scope that holds it.
        Absent is not an error."""
        if local:
            target_pk = chain[0].pk
        else:
            holder = self.visible_variable(chain, name)
            if holder is None:
                return
            target_pk = holder.scope_pk
        connection = self._connection
        existing = connection.execute(
            _LOCAL_VARIABLE, {"scope_pk": target_pk, "name": name}
        ).first()
        if existing is None:
            return
        deleted = connection.execute(
            _DELETE_VARIABLE, {"variable_pk": existing.pk, "read_revision": existing.revision}
        )
        if deleted.rowcount != 1:
            raise ConcurrentModificationError(f"variable {name} was changed meanwhile")
        if existing.content_pk is not None:
            self._delete_content(existing.content_pk)

    # Binary content

    def _write_content(self, source: BinarySource) -> int:
        spooled_path = source.spooled.path if source.spooled is not None else None
        if self._files is not None and spooled_path is not None and self._files.holds(spooled_path):
            # Already in a content file (see content_files): only the row is new.
            assert source.spooled is not None
            self._after_commit(source.spooled.keep)
            file_name: str | None = spooled_path.name
        else:
            file_name = None
        connection = self._connection
        content_pk: int = connection.execute(
            _INSERT_CONTENT, {"size": source.size, "sha256": source.sha256, "file_name": file_name}
        ).scalar_one()
        if file_name is None:
            # One statement per chunk keeps memory at one chunk, whatever the value's size.
            for seq, chunk in enumerate(source.chunks):
                connection.execute(
                    _INSERT_CHUNK, {"content_pk": content_pk, "seq": seq, "data": chunk}
                )
        return content_pk

    def _delete_content(self, content_pk: int) -> None:
        removed = self._connection.execute(_DELETE_CONTENT, {"content_pk": content_pk}).scalars()
        self._remove_files_after_commit(removed)

    def _open_file(self, name: str) -> BinaryIO:
        """Raises ``ContentReplacedError`` if the file went after this snapshot began."""
        if self._files is None:
            raise RuntimeError(f"content file {name} named, but this database keeps none")
        return self._files.open(name)

    def referenced_content_files(self) -> set[str]:
        return set(
            self.session.scalars(
                select(BinaryContent.file_name).where(BinaryContent.file_name.is_not(None))
            )
        )

    def content_slice(self, stored: StoredValue, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (inclusive) of ``stored``'s content, reading only
        what holds them. A content file is opened before this returns."""
        assert stored.content_pk is not None
        if stored.content_file is not None:
            return _file_chunks(self._open_file(stored.content_file), start, end + 1)
        return self._chunk_rows_slice(stored.content_pk, start, end)

    def _chunk_rows_slice(self, content_pk: int, start: int, end: int) -> Iterator[bytes]:
        lengths = self.session.execute(
            select(BinaryChunk.seq, func.length(BinaryChunk.data))
            .where(BinaryChunk.content_pk == content_pk)
            .order_by(BinaryChunk.seq)
        ).all()
        offset, wanted = 0, []
        for seq, length in lengths:
            if offset + length > start and offset <= end:
                wanted.append((seq, offset))
            offset += length
        if not wanted:
            return
        offsets = dict(wanted)
        result = self.session.execute(
            select(BinaryChunk.seq, BinaryChunk.data)
            .where(
                BinaryChunk.content_pk == content_pk,
                BinaryChunk.seq.between(wanted[0][0], wanted[-1][0]),
            )
            .order_by(BinaryChunk.seq)
            .execution_options(yield_per=1)
        )
        for seq, data in result:
            chunk_start = offsets[seq]
            yield bytes(data[max(start - chunk_start, 0) : end - chunk_start + 1])

    def contents(self, values: Iterable[StoredValue]) -> dict[int, bytes]:
        """Whole contents of several values, by content pk, for JSON answers: the rows of
        all of them in one query, then any content files."""
        joined: dict[int, bytearray] = {}
        files: dict[int, str] = {}
        for value in values:
            if value.content_pk is None:
                continue
            joined[value.content_pk] = bytearray()
            if value.content_file is not None:
                files[value.content_pk] = value.content_file
        in_rows = [pk for pk in joined if pk not in files]
        if in_rows:
            rows = self.session.execute(
                select(BinaryChunk.content_pk, BinaryChunk.data)
                .where(BinaryChunk.content_pk.in_(in_rows))
                .order_by(BinaryChunk.content_pk, BinaryChunk.seq)
            )
            for content_pk, data in rows:
                joined[content_pk] += data
        for content_pk, name in files.items():
            with self._open_file(name) as file:
                joined[content_pk] += file.read()
        return {pk: bytes(data) for pk, data in joined.items()}

    def content_chunks(self, stored: StoredValue, chunk_bytes: int) -> Iterator[bytes]:
        """``stored``'s content in order, a chunk at a time. A content file is opened
        before this returns."""
        assert stored.content_pk is not None
        if stored.content_file is not None:
            return _file_chunks(self._open_file(stored.content_file), 0, None, chunk_bytes)
        return self._chunk_rows(stored.content_pk)

    def _chunk_rows(self, content_pk: int) -> Iterator[bytes]:
        result = self.session.execute(
            select(BinaryChunk.data)
            .where(BinaryChunk.content_pk == content_pk)
            .order_by(BinaryChunk.seq)
            .execution_options(yield_per=1)
        )
        for (data,) in result:
            yield data


def _file_chunks(
    file: BinaryIO, start: int, end: int | None, chunk_bytes: int = 1024 * 1024
) -> Iterator[bytes]:
    """Bytes ``start`` up to ``end`` (exclusive; ``None``: to the end) of ``file``, which
    is closed when they have been read."""
    with file:
        file.seek(start)
        remaining = end - start if end is not None else None
        while remaining is None or remaining > 0:
            chunk = file.read(chunk_bytes if remaining is None else min(chunk_bytes, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def _matching_tasks(criteria: TaskFilter) -> Select[Any]:
    """Tasks with their place in the tree: their own, parent and process-instance scopes."""
    task_scope, parent, root = (aliased(Scope) for _ in range(3))
    statement = (
        select(
            Task,
            task_scope.pk.label("task_pk"),
            task_scope.external_id.label("task_id"),
            parent.kind.label("parent_kind"),
            parent.external_id.label("parent_id"),
            root.external_id.label("process_instance_id"),
        )
        .join(task_scope, task_scope.pk == Task.scope_pk)
        .outerjoin(parent, parent.pk == task_scope.parent_pk)
        .outerjoin(root, root.pk == task_scope.process_instance_pk)
    )
    on_execution = parent.kind.in_([ScopeKind.EXECUTION, ScopeKind.PROCESS_INSTANCE])
    conditions = {
        "task_id": lambda v: task_scope.external_id == v,
        "task_id_in": lambda v: task_scope.external_id.in_(v),
        "process_instance_id": lambda v: (root.external_id == v) & on_execution,
        "execution_id": lambda v: (parent.external_id == v) & on_execution,
        "assignee": lambda v: Task.assignee == v,
        "name": lambda v: Task.name == v,
        "name_like": lambda v: Task.name.like(v),
        "task_definition_key": lambda v: Task.task_definition_key == v,
        "parent_task_id": lambda v: (parent.external_id == v) & (parent.kind == ScopeKind.TASK),
    }
    for field, condition in conditions.items():
        value = getattr(criteria, field)
        if value is not None:
            statement = statement.where(condition(value))
    return statement


def _task_record(
    task: Task,
    task_id: str,
    parent_kind: ScopeKind | None,
    parent_id: str | None,
    process_instance_id: str | None,
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
        task_definition_key=task.task_definition_key,
        tenant_id=task.tenant_id,
        case_instance_id=task.case_instance_id,
    )


def _stored(row: Row[Any]) -> StoredValue:
    """A row of ``_VARIABLE_ROWS`` as a value."""
    return StoredValue(
        name=row.name,
        scope_pk=row.scope_pk,
        type=row.type,
        text_value=row.text_value,
        content_pk=row.content_pk,
        content_size=row.size,
        content_sha256=row.sha256,
        content_file=row.file_name,
        filename=row.filename,
        mime_type=row.mime_type,
        encoding=row.encoding,
        object_type_name=row.object_type_name,
        serialization_data_format=row.serialization_data_format,
        revision=row.revision,
    )
