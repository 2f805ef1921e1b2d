"""Variables in scopes: read as seen from a scope, written where Camunda writes them.

Every read and write is a statement built once with bound parameters and run through
Core: building statements and the ORM's unit of work would cost more than the
statements themselves on a small request. Writes lock optimistically: a row changes only
if its revision is the one that was read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    Dialect,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from taskvars.persistence import raw_statements
from taskvars.persistence.binary_contents import BinaryContents
from taskvars.persistence.models import (
    BinaryChunk,
    BinaryContent,
    IdSpace,
    Scope,
    ScopeKind,
    Variable,
)
from taskvars.persistence.postgres_replace import ReplaceInTask
from taskvars.persistence.query_statements import in_batches
from taskvars.persistence.raw_statements import RawStatement
from taskvars.persistence.scope_tree import scope_chain
from taskvars.persistence.tasks import TOUCH_TASK
from taskvars.persistence.values import (
    ConcurrentModificationError,
    NewValue,
    ScopeNotFoundError,
    ScopeRef,
    StoredValue,
)
from taskvars.persistence.variable_statements import (
    VALUE_COLUMNS,
    new_values,
    value_columns,
    versioned_update,
)

if TYPE_CHECKING:
    from taskvars.persistence.history import History

_VARIABLE = cast(Table, Variable.__table__)
_CONTENT = cast(Table, BinaryContent.__table__)
_VARIABLE_ROWS = (
    select(*_VARIABLE.c, _CONTENT.c.size, _CONTENT.c.digest, _CONTENT.c.file_name)
    .select_from(_VARIABLE.outerjoin(_CONTENT, _CONTENT.c.pk == _VARIABLE.c.content_pk))
    .where(_VARIABLE.c.scope_pk.in_(bindparam("scope_pks", expanding=True)))
)
_NAMED_VARIABLE_ROWS = _VARIABLE_ROWS.where(_VARIABLE.c.name == bindparam("name"))
_NAMES_VARIABLE_ROWS = _VARIABLE_ROWS.where(
    _VARIABLE.c.name.in_(bindparam("names", expanding=True))
)


def _names_variable_rows(scopes: int, names: int) -> Select[Any]:
    """:data:`_NAMES_VARIABLE_ROWS` for ``scopes`` scope pks ``scope_pk_0``... and
    ``names`` names ``name_0``..., which runs raw."""
    return (
        select(*_VARIABLE.c, _CONTENT.c.size, _CONTENT.c.digest, _CONTENT.c.file_name)
        .select_from(_VARIABLE.outerjoin(_CONTENT, _CONTENT.c.pk == _VARIABLE.c.content_pk))
        .where(
            _VARIABLE.c.scope_pk.in_(
                raw_statements.numbered_binds(_VARIABLE.c.scope_pk, "scope_pk", scopes)
            ),
            _VARIABLE.c.name.in_(raw_statements.numbered_binds(_VARIABLE.c.name, "name", names)),
        )
    )


def _visible_from_statement() -> Select[Any]:
    """The scope chain of one scope (walked up to ``depth_limit`` levels: 0 for a local
    read), each scope with its variable ``name`` if it has one, nearest first; a small
    binary value's bytes with it (one chunk row, ``inline_bytes`` at most). One
    statement where the chain, the variable and its content took three."""
    chunk = cast(Table, BinaryChunk.__table__)
    chain = scope_chain("visible_chain", limited=True)
    return (
        select(
            chain.c.pk.label("chain_pk"),
            chain.c.kind.label("chain_kind"),
            chain.c.external_id.label("chain_external_id"),
            *_VARIABLE.c,
            _CONTENT.c.size,
            _CONTENT.c.digest,
            _CONTENT.c.file_name,
            chunk.c.data,
        )
        .select_from(
            chain.outerjoin(
                _VARIABLE,
                (_VARIABLE.c.scope_pk == chain.c.pk) & (_VARIABLE.c.name == bindparam("name")),
            )
            .outerjoin(_CONTENT, _CONTENT.c.pk == _VARIABLE.c.content_pk)
            .outerjoin(
                chunk,
                (chunk.c.content_pk == _CONTENT.c.pk)
                & (chunk.c.seq == 0)
                & (_CONTENT.c.size <= bindparam("inline_bytes"))
                & _CONTENT.c.file_name.is_(None),
            )
        )
        .order_by(chain.c.depth)
    )


# Public for the fast path's statement on PostgreSQL (postgres_small_values).
VISIBLE_FROM = _visible_from_statement()
# No chain is this deep: "walk it all".
_WHOLE_CHAIN = 1_000_000


def _task_and_variable_statement() -> Select[Any]:
    """A task's scope, whether it is in a process instance (its history records it) or
    in another scope, and its own variable ``name`` if it has one: what a task-local
    write needs, with no walk up the chain."""
    scope = cast(Table, Scope.__table__)
    return (
        select(
            scope.c.pk.label("task_pk"),
            scope.c.parent_pk,
            scope.c.process_instance_pk,
            _VARIABLE.c.pk,
            _VARIABLE.c.id,
            _VARIABLE.c.content_pk,
            _VARIABLE.c.revision,
        )
        .select_from(
            scope.outerjoin(
                _VARIABLE,
                (_VARIABLE.c.scope_pk == scope.c.pk) & (_VARIABLE.c.name == bindparam("name")),
            )
        )
        .where(scope.c.id_space == IdSpace.TASK, scope.c.external_id == bindparam("task_id"))
    )


# Public, as the next two, for the fast path's raw writes on SQLite (sqlite_small_values).
TASK_AND_VARIABLE = _task_and_variable_statement()
_LOCAL_VARIABLE = select(
    _VARIABLE.c.pk, _VARIABLE.c.id, _VARIABLE.c.content_pk, _VARIABLE.c.revision
).where(_VARIABLE.c.scope_pk == bindparam("scope_pk"), _VARIABLE.c.name == bindparam("name"))
_SCOPE_VARIABLES = select(*_VARIABLE.c).where(_VARIABLE.c.scope_pk == bindparam("scope_pk"))
_MOVE_VARIABLE = (
    update(_VARIABLE)
    .where(_VARIABLE.c.pk == bindparam("variable_pk"))
    .values(scope_pk=bindparam("new_scope_pk"))
)
_REPLACE_IN_TASK = ReplaceInTask()
INSERT_VARIABLE = insert(_VARIABLE)
UPDATE_VARIABLE = versioned_update()
_DELETE_VARIABLE = delete(_VARIABLE).where(
    _VARIABLE.c.pk == bindparam("variable_pk"),
    _VARIABLE.c.revision == bindparam("read_revision"),
)


class Variables:
    def __init__(
        self, session: Session, contents: BinaryContents, history: History | None = None
    ) -> None:
        self.session = session
        self._contents = contents
        # Told of every write, to record the variables of models' process instances.
        self._history = history

    @property
    def _connection(self) -> Connection:
        return self.session.connection()

    def visible(self, chain: list[ScopeRef], name: str) -> StoredValue | None:
        """The variable ``name`` as seen from ``chain[0]``: the nearest scope wins."""
        rows = self._connection.execute(
            _NAMED_VARIABLE_ROWS, {"scope_pks": [scope.pk for scope in chain], "name": name}
        )
        found = {row.scope_pk: stored_value(row) for row in rows}
        return next((found[scope.pk] for scope in chain if scope.pk in found), None)

    def visible_from(
        self, id_space: IdSpace, external_id: str, name: str, *, local: bool
    ) -> StoredValue | None:
        """:meth:`visible` from the scope ``external_id`` (only in it: ``local``), the
        chain found in the same statement, and a small binary value's content with it
        (``StoredValue.inline_content``). Raises ``ScopeNotFoundError``."""
        return self._chain_and_visible(id_space, external_id, name, local=local)[1]

    def chain_and_visible(
        self, id_space: IdSpace, external_id: str, name: str
    ) -> tuple[list[ScopeRef], StoredValue | None]:
        """The chain of ``external_id`` (as ``ScopeTree.chain``) and :meth:`visible` on
        it, in one statement. Raises ``ScopeNotFoundError``."""
        return self._chain_and_visible(id_space, external_id, name, local=False)

    def _chain_and_visible(
        self, id_space: IdSpace, external_id: str, name: str, *, local: bool
    ) -> tuple[list[ScopeRef], StoredValue | None]:
        parameters = visible_from_parameters(
            id_space, external_id, name, local=local, inline_bytes=self._contents.small_value_bytes
        )
        rows = raw_statements.run(self._connection, VISIBLE_FROM, parameters).rows
        return chain_and_visible_in(rows, id_space, external_id)

    def visible_named(self, chain: list[ScopeRef], names: frozenset[str]) -> dict[str, StoredValue]:
        """The variables ``names`` as seen from ``chain[0]``, in one query."""
        if not names or not chain:
            return {}
        scope_pks = [scope.pk for scope in chain]
        statement = raw_statements.sized(_names_variable_rows, len(scope_pks), len(names))
        rows: Any
        if statement is None:
            rows = self._connection.execute(
                _NAMES_VARIABLE_ROWS, {"scope_pks": scope_pks, "names": sorted(names)}
            )
        else:
            parameters = {
                **raw_statements.numbered("scope_pk", scope_pks),
                **raw_statements.numbered("name", sorted(names)),
            }
            rows = raw_statements.run(self._connection, statement, parameters).rows
        depth = {scope.pk: index for index, scope in enumerate(chain)}
        found: dict[str, StoredValue] = {}
        for value in map(stored_value, rows):
            nearest = found.get(value.name)
            if nearest is None or depth[value.scope_pk] < depth[nearest.scope_pk]:
                found[value.name] = value
        return found

    def all_visible(self, chain: list[ScopeRef]) -> dict[str, StoredValue]:
        """Every variable visible from ``chain[0]``; on a name clash the nearest wins."""
        return self.all_visible_from_each({chain[0].pk: chain})[chain[0].pk]

    def all_visible_from_each(
        self, chains: dict[int, list[ScopeRef]]
    ) -> dict[int, dict[str, StoredValue]]:
        """:meth:`all_visible` for several chains (by the pk they start from), in a query
        per thousand scopes."""
        scope_pks = sorted({scope.pk for chain in chains.values() for scope in chain})
        by_scope: dict[int, list[StoredValue]] = {}
        for batch in in_batches(scope_pks):
            rows = self._connection.execute(_VARIABLE_ROWS, {"scope_pks": batch})
            for value in map(stored_value, rows):
                by_scope.setdefault(value.scope_pk, []).append(value)
        visible: dict[int, dict[str, StoredValue]] = {}
        for start_pk, chain in chains.items():
            seen: dict[str, StoredValue] = {}
            for scope in reversed(chain):
                for value in sorted(by_scope.get(scope.pk, []), key=lambda v: v.name):
                    seen[value.name] = value
            visible[start_pk] = seen
        return visible

    def set(self, chain: list[ScopeRef], name: str, value: NewValue, *, local: bool) -> int:
        """Write ``name`` where Camunda would and drop replaced content; returns the pk of
        the scope written to.

        Local: on ``chain[0]``. Otherwise where it is visible from, or, if nowhere,
        in the top-most scope.
        """
        recorded = _in_process_instance(chain)
        if local:
            self.set_local(chain[0].pk, name, value, recorded=recorded)
            return chain[0].pk
        return self.set_seen(chain, name, value, self.visible(chain, name))

    def set_seen(
        self, chain: list[ScopeRef], name: str, value: NewValue, holder: StoredValue | None
    ) -> int:
        """:meth:`set` (not local), ``holder`` being what :meth:`visible` found on
        ``chain`` in this transaction; returns the pk of the scope written to."""
        recorded = _in_process_instance(chain)
        if holder is None:
            # Nowhere in the chain: no row to read again before creating it.
            self._write(chain[-1].pk, name, value, None, recorded=recorded)
            return chain[-1].pk
        self._write(holder.scope_pk, name, value, _Existing.of(holder), recorded=recorded)
        return holder.scope_pk

    def set_in_task(self, task_id: str, name: str, value: NewValue, now: datetime) -> None:
        """:meth:`set_local` on the task ``task_id`` (found in the same statement as its
        variable), and the task changed at ``now`` (Camunda's ``lastUpdated``). Raises
        ``ScopeNotFoundError``."""
        row = raw_statements.run(
            self._connection, TASK_AND_VARIABLE, {"task_id": task_id, "name": name}
        ).first()
        if row is None:
            raise ScopeNotFoundError(IdSpace.TASK, task_id)
        existing = (
            _Existing(row.pk, row.id, row.content_pk, row.revision) if row.pk is not None else None
        )
        # A task of a process instance (or a subtask of one) is in its history.
        recorded = row.process_instance_pk is not None
        self._write(row.task_pk, name, value, existing, recorded=recorded, task_touched_at=now)

    def set_local(
        self, scope_pk: int, name: str, value: NewValue, *, recorded: bool = True
    ) -> None:
        """Create or replace ``name`` in the scope ``scope_pk``; drop replaced content.
        ``recorded=False`` says the scope is outside any process instance, so history
        need not be asked (it records only models' process instances)."""
        existing = self._connection.execute(
            _LOCAL_VARIABLE, {"scope_pk": scope_pk, "name": name}
        ).first()
        self._write(
            scope_pk,
            name,
            value,
            _Existing(existing.pk, existing.id, existing.content_pk, existing.revision)
            if existing is not None
            else None,
            recorded=recorded,
        )

    def _write(
        self,
        scope_pk: int,
        name: str,
        value: NewValue,
        existing: _Existing | None,
        *,
        recorded: bool,
        task_touched_at: datetime | None = None,
    ) -> None:
        """Create ``name`` in ``scope_pk`` (``existing`` is ``None``: it was not there when
        read) or replace the ``existing`` row, if it is still the version read;
        ``task_touched_at``: the scope is a task, which changed then."""
        history = self._history if recorded else None
        connection = self._connection
        content_pk = self._contents.write(value.content) if value.content else None
        values = value_columns(value, content_pk)
        if existing is None:
            variable_id = str(uuid.uuid4())
            try:
                raw_statements.run(
                    connection,
                    INSERT_VARIABLE,
                    {
                        "id": variable_id,
                        "scope_pk": scope_pk,
                        "name": name,
                        "revision": 1,
                        **values,
                    },
                )
            except IntegrityError as error:
                raise ConcurrentModificationError(
                    f"variable {name} was created by another request meanwhile"
                ) from error
            if history is not None:
                history.variable_written(
                    scope_pk, {"id": variable_id, "name": name, **values}, created=True
                )
            self._touch(scope_pk, task_touched_at)
            return
        if (
            task_touched_at is not None
            and history is None
            and self._history is not None
            and connection.dialect.name == "postgresql"
        ):
            still_read, removed_file = _REPLACE_IN_TASK.run(
                connection,
                {
                    "variable_pk": existing.pk,
                    "read_revision": existing.revision,
                    "task_pk": scope_pk,
                    "now": task_touched_at,
                    "old_content_pk": existing.content_pk,
                    **new_values(values),
                },
            )
            if not still_read:
                raise ConcurrentModificationError(
                    f"variable {name} was changed by another request meanwhile"
                )
            self._contents.remove_files_after_commit([removed_file])
            return
        updated = raw_statements.run(
            connection,
            UPDATE_VARIABLE,
            {
                "variable_pk": existing.pk,
                "read_revision": existing.revision,
                **new_values(values),
            },
        )
        if updated.rowcount != 1:
            raise ConcurrentModificationError(
                f"variable {name} was changed by another request meanwhile"
            )
        if history is not None:
            history.variable_written(
                scope_pk, {"id": existing.id, "name": name, **values}, created=False
            )
        self._release(existing.content_pk)
        self._touch(scope_pk, task_touched_at)

    def _touch(self, task_pk: int, now: datetime | None) -> None:
        if now is not None:
            raw_statements.run(self._connection, TOUCH_TASK, {"task_pk": task_pk, "now": now})

    def move_all(self, from_scope_pk: int, to_scope_pk: int) -> None:
        """Every variable of one scope into another, keeping their ids; where the other
        has one of the same name, that one takes the value and this one goes (Camunda's
        ``ExecutionEntity.moveVariablesTo``, when a concurrent execution is compacted)."""
        connection = self._connection
        for row in connection.execute(_SCOPE_VARIABLES, {"scope_pk": from_scope_pk}).all():
            clash = connection.execute(
                _LOCAL_VARIABLE, {"scope_pk": to_scope_pk, "name": row.name}
            ).first()
            if clash is None:
                connection.execute(
                    _MOVE_VARIABLE, {"variable_pk": row.pk, "new_scope_pk": to_scope_pk}
                )
                if self._history is not None:
                    self._history.variable_moved(row.id, to_scope_pk)
                continue
            values = {column: getattr(row, column) for column in VALUE_COLUMNS}
            connection.execute(
                UPDATE_VARIABLE,
                {
                    "variable_pk": clash.pk,
                    "read_revision": clash.revision,
                    **new_values(values),
                },
            )
            # The content now belongs to the other variable: this row lets go of it.
            connection.execute(
                update(_VARIABLE).where(_VARIABLE.c.pk == row.pk).values(content_pk=None)
            )
            connection.execute(delete(_VARIABLE).where(_VARIABLE.c.pk == row.pk))
            if self._history is not None:
                self._history.variable_written(
                    to_scope_pk, {"id": clash.id, "name": row.name, **values}, created=False
                )
            self._release(clash.content_pk)

    def _release(self, content_pk: int | None) -> None:
        """Drop content a runtime variable let go of, unless history still holds it
        (asked even outside a process instance: a subtask may have left one)."""
        if content_pk is None:
            return
        if self._history is None:
            self._contents.delete(content_pk)
        else:
            self._contents.release(content_pk)

    def delete(self, chain: list[ScopeRef], name: str, *, local: bool) -> None:
        """Remove ``name`` from ``chain[0]`` (local) or from the nearest scope that holds it.
        Absent is not an error."""
        if local:
            target_pk = chain[0].pk
        else:
            holder = self.visible(chain, name)
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
            raise ConcurrentModificationError(
                f"variable {name} was changed by another request meanwhile"
            )
        history = self._history if _in_process_instance(chain) else None
        if history is not None:
            history.variable_deleted(existing.id)
        self._release(existing.content_pk)


def visible_from_parameters(
    id_space: IdSpace, external_id: str, name: str, *, local: bool, inline_bytes: int
) -> dict[str, Any]:
    """The parameters of :data:`VISIBLE_FROM`."""
    return {
        "id_space": id_space,
        "external_id": external_id,
        "name": name,
        "depth_limit": 0 if local else _WHOLE_CHAIN,
        "inline_bytes": inline_bytes,
    }


def chain_and_visible_in(
    rows: Sequence[Any], id_space: IdSpace, external_id: str
) -> tuple[list[ScopeRef], StoredValue | None]:
    """The chain and the variable :data:`VISIBLE_FROM` found (its ``rows``, with its
    columns as attributes). Raises ``ScopeNotFoundError``."""
    if not rows:
        raise ScopeNotFoundError(id_space, external_id)
    chain = [
        ScopeRef(row.chain_pk, ScopeKind(row.chain_kind), row.chain_external_id) for row in rows
    ]
    held = next((row for row in rows if row.pk is not None), None)
    if held is None:
        return chain, None
    return chain, stored_value(held, inline_content=held.data)


@dataclass(frozen=True)
class _Existing:
    """The row a write replaces, as it was read."""

    pk: int
    id: str
    content_pk: int | None
    revision: int

    @classmethod
    def of(cls, stored: StoredValue) -> _Existing:
        assert stored.pk is not None
        assert stored.id is not None
        return cls(stored.pk, stored.id, stored.content_pk, stored.revision)


class RawVisibleFrom:
    """:meth:`Variables.visible_from` as one raw statement on a DBAPI cursor, outside
    any transaction: in autocommit the one ``SELECT`` is its own snapshot
    (:mod:`.sqlite_reader`). ``inline_bytes``: the largest content read with its value
    (``BinaryContents.small_value_bytes``)."""

    def __init__(self, dialect: Dialect, inline_bytes: int) -> None:
        self._statement = RawStatement(VISIBLE_FROM, dialect)
        self._inline_bytes = inline_bytes

    def __call__(
        self, cursor: Any, id_space: IdSpace, external_id: str, name: str, *, local: bool
    ) -> StoredValue | None:
        parameters = visible_from_parameters(
            id_space, external_id, name, local=local, inline_bytes=self._inline_bytes
        )
        rows = self._statement.rows(cursor, parameters)
        return chain_and_visible_in(rows, id_space, external_id)[1]


def _in_process_instance(chain: list[ScopeRef]) -> bool:
    return chain[-1].kind is ScopeKind.PROCESS_INSTANCE


def stored_value(row: Any, *, inline_content: bytes | None = None) -> StoredValue:
    """A row of ``_VARIABLE_ROWS`` as a value (with the small content read beside it)."""
    return StoredValue(
        name=row.name,
        scope_pk=row.scope_pk,
        type=row.type,
        text_value=row.text_value,
        content_pk=row.content_pk,
        content_size=row.size,
        content_digest=row.digest,
        content_file=row.file_name,
        filename=row.filename,
        mime_type=row.mime_type,
        encoding=row.encoding,
        object_type_name=row.object_type_name,
        serialization_data_format=row.serialization_data_format,
        revision=row.revision,
        pk=row.pk,
        id=row.id,
        inline_content=inline_content,
    )
