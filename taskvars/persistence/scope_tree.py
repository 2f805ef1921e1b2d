"""The scope tree: process instances, executions, tasks and subtasks, nearest first.

"Not found" is ``None`` for lookups and :class:`ScopeNotFoundError` for a chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CTE, Select, Table, bindparam, delete, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningDelete

from taskvars.persistence import raw_statements
from taskvars.persistence.binary_contents import BinaryContents
from taskvars.persistence.history import HELD_BY_HISTORY
from taskvars.persistence.models import BinaryContent, IdSpace, Scope, ScopeKind, Variable
from taskvars.persistence.query_statements import in_batches
from taskvars.persistence.values import ScopeNotFoundError, ScopeRef

if TYPE_CHECKING:
    from taskvars.persistence.history import History


def scope_chain(name: str, *, limited: bool = False) -> CTE:
    """The chain of the scope ``id_space``/``external_id`` up to its root: ``pk``,
    ``parent_pk``, ``kind``, ``external_id`` and ``depth`` (0 for the scope itself).
    ``limited``: no deeper than the parameter ``depth_limit``."""
    scope = cast(Table, Scope.__table__)
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
        .cte(name, recursive=True)
    )
    step = parent.c.pk == start.c.parent_pk
    if limited:
        step = step & (start.c.depth < bindparam("depth_limit"))
    return start.union_all(
        select(
            parent.c.pk, parent.c.parent_pk, parent.c.kind, parent.c.external_id, start.c.depth + 1
        ).where(step)
    )


def _scope_chain_statement() -> Select[Any]:
    """Built once: every request asks this, and building it costs more than running it."""
    chain = scope_chain("chain")
    return select(chain.c.pk, chain.c.kind, chain.c.external_id).order_by(chain.c.depth)


_SCOPE_CHAIN = _scope_chain_statement()


def _scope_chains_statement() -> Select[Any]:
    """The chains of several scopes at once, each row naming the scope it starts from."""
    scope = Scope.__table__
    parent = scope.alias("parent")
    start = (
        select(
            scope.c.pk.label("start_pk"),
            scope.c.pk,
            scope.c.parent_pk,
            scope.c.kind,
            scope.c.external_id,
            literal(0).label("depth"),
        )
        .where(scope.c.pk.in_(bindparam("pks", expanding=True)))
        .cte("chains", recursive=True)
    )
    chains = start.union_all(
        select(
            start.c.start_pk,
            parent.c.pk,
            parent.c.parent_pk,
            parent.c.kind,
            parent.c.external_id,
            start.c.depth + 1,
        ).where(parent.c.pk == start.c.parent_pk)
    )
    return select(chains.c.start_pk, chains.c.pk, chains.c.kind, chains.c.external_id).order_by(
        chains.c.start_pk, chains.c.depth
    )


_SCOPE_CHAINS = _scope_chains_statement()


class ScopeTree:
    def __init__(
        self, session: Session, contents: BinaryContents, history: History | None = None
    ) -> None:
        self.session = session
        self._contents = contents
        # Content a historic variable holds outlives the runtime variable.
        self._history = history
        # The scopes this unit of work added: kind and process instance, by pk (a child
        # added below one needs no lookup). Forgotten when scopes are deleted.
        self._added: dict[int, tuple[ScopeKind, int | None]] = {}
        # How many times this unit of work deleted scopes (rows below them went too).
        self.deletions = 0

    def chain(self, id_space: IdSpace, external_id: str) -> list[ScopeRef]:
        """The scope and all its ancestors, nearest first, in one query."""
        rows = raw_statements.run(
            self.session.connection(),
            _SCOPE_CHAIN,
            {"id_space": id_space, "external_id": external_id},
        ).rows
        if not rows:
            raise ScopeNotFoundError(id_space, external_id)
        return [ScopeRef(pk, ScopeKind(kind), ext) for pk, kind, ext in rows]

    def chains(self, pks: list[int]) -> dict[int, list[ScopeRef]]:
        """The chains of the scopes ``pks`` (nearest first), in a query per thousand."""
        found: dict[int, list[ScopeRef]] = {pk: [] for pk in pks}
        for batch in in_batches(pks):
            rows = self.session.connection().execute(_SCOPE_CHAINS, {"pks": batch})
            for start_pk, pk, kind, external_id in rows:
                found[start_pk].append(ScopeRef(pk, ScopeKind(kind), external_id))
        return found

    def exists(self, id_space: IdSpace, external_id: str) -> bool:
        return self.pk(id_space, external_id) is not None

    def pk(self, id_space: IdSpace, external_id: str) -> int | None:
        return (
            self.session.connection()
            .execute(_PK, {"id_space": id_space, "external_id": external_id})
            .scalar_one_or_none()
        )

    def add(
        self,
        kind: ScopeKind,
        external_id: str,
        parent_pk: int | None,
        *,
        instance_pk: int | None = None,
    ) -> int:
        """A new scope below ``parent_pk``; ``instance_pk``: its process instance, when
        the caller knows it (else it is looked up from the parent)."""
        instance = instance_pk or self._process_instance_below(parent_pk)
        pk: int = raw_statements.run(
            self.session.connection(),
            _ADD,
            {
                "kind": kind,
                "id_space": kind.id_space,
                "external_id": external_id,
                "parent_pk": parent_pk,
                "process_instance_pk": instance,
            },
        ).scalar_one()
        self._added[pk] = (kind, instance)
        return pk

    def added_here(self, pk: int) -> bool:
        """Whether this unit of work added the scope, and deleted no scope since."""
        return pk in self._added

    def move_task(self, task_pk: int, parent_task_pk: int | None) -> None:
        """Make a task a subtask of another, or (``None``) standalone."""
        scope = self.session.get_one(Scope, task_pk)
        scope.parent_pk = parent_task_pk
        scope.process_instance_pk = self._process_instance_below(parent_task_pk)
        self.session.flush()

    def reparent(self, scope_pk: int, parent_pk: int) -> None:
        """Move a scope (and what is below it) under another of the same process instance."""
        self.session.execute(
            update(Scope)
            .where(Scope.pk == scope_pk)
            .values(parent_pk=parent_pk)
            .execution_options(synchronize_session=False)
        )

    def is_ancestor(self, candidate_pk: int, scope_pk: int) -> bool:
        scope = self.session.get_one(Scope, scope_pk)
        return any(
            ancestor.pk == candidate_pk
            for ancestor in self.chain(scope.id_space, scope.external_id)
        )

    def delete_tree(self, scope_pk: int) -> None:
        """The scope, every scope below it, their variables and their binary content
        (but content history still holds)."""
        if self._history is not None:
            self._history.forget_places()
        self._added.clear()
        self.deletions += 1
        connection = self.session.connection()
        removed = raw_statements.run(connection, _DELETE_CONTENTS, {"scope_pk": scope_pk})
        self._contents.remove_files_after_commit(removed.scalars())
        # Executions, tasks, subtasks and variables below go by ON DELETE CASCADE.
        raw_statements.run(connection, _DELETE_SCOPE, {"scope_pk": scope_pk})
        self.session.expunge_all()

    def _process_instance_below(self, parent_pk: int | None) -> int | None:
        """The process instance that a new child of ``parent_pk`` belongs to."""
        if parent_pk is None:
            return None
        added = self._added.get(parent_pk)
        if added is not None:
            kind, instance_pk = added
            return parent_pk if kind is ScopeKind.PROCESS_INSTANCE else instance_pk
        parent = self.session.get_one(Scope, parent_pk)
        if parent.kind is ScopeKind.PROCESS_INSTANCE:
            return parent.pk
        return parent.process_instance_pk


def _delete_contents_statement() -> ReturningDelete[Any]:
    """Built once (a quarter of a step's time went to building it each call): the
    content rows of the variables in a scope's subtree that history does not hold."""
    scope = cast(Table, Scope.__table__)
    child = scope.alias("child")
    start = (
        select(scope.c.pk).where(scope.c.pk == bindparam("scope_pk")).cte("subtree", recursive=True)
    )
    subtree = start.union_all(select(child.c.pk).where(child.c.parent_pk == start.c.pk))
    variable = cast(Table, Variable.__table__)
    contents = select(variable.c.content_pk).where(
        variable.c.scope_pk.in_(select(subtree.c.pk)), variable.c.content_pk.is_not(None)
    )
    return (
        delete(BinaryContent)
        .where(BinaryContent.pk.in_(contents), ~HELD_BY_HISTORY)
        .returning(BinaryContent.file_name)
    )


_DELETE_CONTENTS = _delete_contents_statement()
_SCOPES = cast(Table, Scope.__table__)
_DELETE_SCOPE = delete(_SCOPES).where(_SCOPES.c.pk == bindparam("scope_pk"))
# Built once: the ORM's unit of work (add, flush) cost several times the INSERT itself.
_ADD = insert(_SCOPES).returning(_SCOPES.c.pk)
_PK = select(_SCOPES.c.pk).where(
    _SCOPES.c.id_space == bindparam("id_space"),
    _SCOPES.c.external_id == bindparam("external_id"),
)
