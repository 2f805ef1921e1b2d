"""Variables of tasks, process instances and executions, by Camunda's rules.

Camunda's variable resources differ only in three things, held by
:class:`VariableResource`: the noun in their messages, which id space their ``{id}``
names, and whether they are local (read and write the scope itself only). Every
function takes an open unit of work and plain values, returns plain values, and raises
:mod:`taskvars.errors`; writes commit, so a failure writes nothing.

Messages are Camunda's without the operation's prefix ("Cannot put task variable x: "),
which the spec declares per operation and the HTTP layer puts before them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from taskvars.engine import conditional_events
from taskvars.errors import (
    EngineError,
    InvalidRequestError,
    InvalidValueError,
    NotFoundError,
    NullValueError,
)
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import (
    FileSpan,
    NewValue,
    ScopeNotFoundError,
    ScopeRef,
    StoredValue,
)
from taskvars.services.binary_upload import BinaryUpload
from taskvars.services.dates import now_millis
from taskvars.services.typed_values import (
    ValueConversionError,
    is_transient,
    value_from_dto,
    value_to_dto,
)

BINARY_TYPES = frozenset({"Bytes", "File"})


@dataclass(frozen=True)
class VariableResource:
    noun: str
    id_space: IdSpace
    local: bool


TASK_VARIABLES = VariableResource("task", IdSpace.TASK, local=False)
TASK_LOCAL_VARIABLES = VariableResource("task", IdSpace.TASK, local=True)
PROCESS_INSTANCE_VARIABLES = VariableResource("process instance", IdSpace.EXECUTION, local=False)
EXECUTION_LOCAL_VARIABLES = VariableResource("execution", IdSpace.EXECUTION, local=True)


def put(uow: UnitOfWork, resource: VariableResource, scope_id: str, name: str, dto: Any) -> None:
    """Set one variable from a ``VariableValueDto``; a transient one is checked, not kept."""
    value = _converted(dto)
    if resource == TASK_LOCAL_VARIABLES and not is_transient(dto):
        _set_in_task(uow, scope_id, name, value)
        uow.commit()
        return
    if not resource.local and not is_transient(dto):
        try:
            chain, holder = uow.store.variables.chain_and_visible(resource.id_space, scope_id, name)
        except ScopeNotFoundError as error:
            raise EngineError(str(error)) from None
        _set_seen(uow, chain, name, value, holder)
        uow.commit()
        return
    scopes = _chain(uow, resource, scope_id, whole=True)
    if is_transient(dto):
        return
    _set(uow, scopes, name, value, local=resource.local)
    uow.commit()


def set_upload(
    uow: UnitOfWork, resource: VariableResource, scope_id: str, name: str, upload: BinaryUpload
) -> None:
    """Store what a ``.../data`` upload means (see :mod:`.binary_upload`)."""
    if upload.value is None:
        return  # a JSON null: Camunda stores nothing and asks nothing
    if resource == TASK_LOCAL_VARIABLES and not upload.transient and not upload.serialized:
        _set_in_task(uow, scope_id, name, upload.value)
        uow.commit()
        return
    if not resource.local and not upload.transient:
        # As put: the chain and the value it sees in one statement.
        try:
            chain, holder = uow.store.variables.chain_and_visible(resource.id_space, scope_id, name)
        except ScopeNotFoundError as error:
            raise _missing_scope(error, serialized=upload.serialized) from None
        _set_seen(uow, chain, name, upload.value, holder)
        uow.commit()
        return
    try:
        scopes = uow.store.scopes.chain(resource.id_space, scope_id)
    except ScopeNotFoundError as error:
        raise _missing_scope(error, serialized=upload.serialized) from None
    if upload.transient:
        return
    _set(uow, scopes, name, upload.value, local=resource.local)
    uow.commit()


def _missing_scope(error: ScopeNotFoundError, *, serialized: bool) -> EngineError:
    """What an upload to a scope that does not exist answers: :func:`_chain`'s error,
    but a serialized object's upload answers Camunda's bare ``NullValueException``."""
    if serialized:
        return NullValueError(str(error))
    return EngineError(str(error))


def delete(uow: UnitOfWork, resource: VariableResource, scope_id: str, name: str) -> None:
    """Remove a variable; one that does not exist is no error."""
    scopes = _chain(uow, resource, scope_id, whole=True)
    _delete(uow, scopes, name, local=resource.local)
    uow.commit()


def modify(
    uow: UnitOfWork,
    resource: VariableResource,
    scope_id: str,
    modifications: dict[str, Any] | None,
    deletions: list[str] | None,
) -> None:
    """Modifications first, then deletions, in one transaction."""
    values = convert_values(modifications)
    scopes = _chain(uow, resource, scope_id, whole=True)
    write_values(uow, scopes, values, local=resource.local)
    for name in deletions or []:
        _delete(uow, scopes, name, local=resource.local)
    uow.commit()


def get(
    uow: UnitOfWork,
    resource: VariableResource,
    scope_id: str,
    name: str,
    *,
    deserialize: bool,
    found: StoredValue | None = None,
) -> dict[str, Any]:
    """One variable as a ``VariableValueDto``; ``found``: see :func:`_visible_again`."""
    stored = _visible_again(uow, resource, scope_id, name, found)
    dto = dto_of_inline(stored, deserialize=deserialize)
    if dto is None:
        assert stored.content_pk is not None
        content = uow.store.contents.whole([stored])[stored.content_pk]
        dto = value_to_dto(stored, deserialize=deserialize, content=content)
    return dto


def dto_of_inline(stored: StoredValue, *, deserialize: bool) -> dict[str, Any] | None:
    """:func:`get`'s answer for ``stored`` when it needs no more of the database: its
    bytes (a ``Bytes`` value's) came with it; ``None`` when they did not."""
    content = None
    if stored.type == "Bytes" and stored.content_pk is not None:
        if stored.inline_content is None:
            return None
        content = stored.inline_content
    return value_to_dto(stored, deserialize=deserialize, content=content)


def get_all(
    uow: UnitOfWork, resource: VariableResource, scope_id: str, *, deserialize: bool
) -> dict[str, Any]:
    """Every variable the resource sees, as ``{name: VariableValueDto}``."""
    try:
        chain = _resource_chain(uow, resource, scope_id)
    except ScopeNotFoundError as error:
        raise NullValueError(str(error)) from None
    return variable_map(uow, chain, deserialize=deserialize)


def binary(
    uow: UnitOfWork,
    resource: VariableResource,
    scope_id: str,
    name: str,
    *,
    found: StoredValue | None = None,
) -> StoredValue:
    """A ``Bytes`` or ``File`` variable, whose content :func:`content` reads; ``found``:
    see :func:`_visible_again`."""
    return binary_value(scope_id, _visible_again(uow, resource, scope_id, name, found))


def binary_value(scope_id: str, stored: StoredValue) -> StoredValue:
    """``stored``, if it is a ``Bytes`` or ``File`` variable (:func:`binary`)."""
    if stored.type not in BINARY_TYPES:
        raise InvalidRequestError(f"Value of variable with id {scope_id} is not a binary value.")
    return stored


def content(
    uow: UnitOfWork, stored: StoredValue, byte_range: tuple[int, int] | None = None
) -> Iterator[bytes]:
    """The bytes of a binary value, all of them or ``(first, last)`` inclusive, in chunks."""
    if byte_range is None:
        return uow.store.contents.chunks(stored)
    return uow.store.contents.slice(stored, *byte_range)


def content_file_span(
    uow: UnitOfWork, stored: StoredValue, byte_range: tuple[int, int] | None = None
) -> FileSpan | None:
    """The bytes :func:`content` would give, as a span of an open content file that can
    be sent without reading it; ``None`` where the content is not in a file."""
    first, last = byte_range or (0, (stored.content_size or 0) - 1)
    return uow.store.contents.file_span(stored, first, last)


def variable_map(uow: UnitOfWork, chain: list[ScopeRef], *, deserialize: bool) -> dict[str, Any]:
    """Every variable visible from ``chain[0]``, as Camunda's ``{name: VariableValueDto}``,
    in a number of queries that does not grow with the number of variables."""
    return variable_maps(uow, {chain[0].pk: chain}, deserialize=deserialize)[chain[0].pk]


def variable_maps(
    uow: UnitOfWork, chains: dict[int, list[ScopeRef]], *, deserialize: bool
) -> dict[int, dict[str, Any]]:
    """:func:`variable_map` for several chains (by the pk they start from), in a number
    of queries that grows with neither the chains nor their variables."""
    visible = uow.store.variables.all_visible_from_each(chains)
    contents = uow.store.contents.whole(
        v for values in visible.values() for v in values.values() if v.type == "Bytes"
    )
    return {
        start_pk: {
            name: value_to_dto(
                stored,
                deserialize=deserialize,
                content=contents.get(stored.content_pk) if stored.content_pk is not None else None,
            )
            for name, stored in values.items()
        }
        for start_pk, values in visible.items()
    }


def convert_values(dtos: dict[str, Any] | None) -> dict[str, NewValue]:
    """``{name: VariableValueDto}`` as values to store, transient ones left out."""
    return {name: _converted(dto) for name, dto in (dtos or {}).items() if not is_transient(dto)}


def write_values(
    uow: UnitOfWork, chain: list[ScopeRef], values: dict[str, NewValue], *, local: bool
) -> None:
    for name, value in values.items():
        _set(uow, chain, name, value, local=local)


def write_new_values(uow: UnitOfWork, scope: ScopeRef, values: dict[str, NewValue]) -> None:
    """:func:`write_values` (local) into ``scope``, a scope this unit of work has just
    added and nothing has written to yet: there is no variable to look for first."""
    for name, value in values.items():
        _set_seen(uow, [scope], name, value, None)


def _set(
    uow: UnitOfWork,
    chain: list[ScopeRef],
    name: str,
    value: NewValue,
    *,
    local: bool,
) -> None:
    """Write the variable (``local``: on ``chain[0]``, the whole chain given all the
    same, so that the history and the conditional events of its instance hear of it);
    one written on a task itself updates the task, as Camunda's SetTaskVariablesCmd
    counts it (its ``lastUpdated``). A conditional event of its instance hears of it
    (Camunda's ``VariableEvent``)."""
    if not local:
        _set_seen(uow, chain, name, value, uow.store.variables.visible(chain, name))
        return
    instance_pk = _watching(uow, chain, local=local)
    seen = None
    if instance_pk is not None:
        seen = uow.store.variables.visible(chain[:1], name)
    target_pk = uow.store.variables.set(chain, name, value, local=local)
    if instance_pk is not None:
        event = conditional_events.CREATE if seen is None else conditional_events.UPDATE
        conditional_events.note_variable(uow, instance_pk, target_pk, name, event)
    if target_pk == chain[0].pk and chain[0].kind is ScopeKind.TASK:
        uow.store.tasks.touch(target_pk, now_millis())


def _set_seen(
    uow: UnitOfWork, chain: list[ScopeRef], name: str, value: NewValue, holder: StoredValue | None
) -> None:
    """:func:`_set` (not local), ``holder`` being the variable as seen from ``chain[0]``
    in this transaction: read once, for the write and its conditional event both."""
    instance_pk = _watching(uow, chain, local=False)
    target_pk = uow.store.variables.set_seen(chain, name, value, holder)
    if instance_pk is not None:
        event = conditional_events.CREATE if holder is None else conditional_events.UPDATE
        conditional_events.note_variable(uow, instance_pk, target_pk, name, event)
    if target_pk == chain[0].pk and chain[0].kind is ScopeKind.TASK:
        uow.store.tasks.touch(target_pk, now_millis())


def _set_in_task(uow: UnitOfWork, task_id: str, name: str, value: NewValue) -> None:
    """:func:`_set` of a task's own variable, without its chain: no conditional event
    hears of a task's own variables (Camunda's ``TaskEntity.dispatchEvent``), and its
    history needs to know only whether the task is in a process instance."""
    try:
        uow.store.variables.set_in_task(task_id, name, value, now_millis())
    except ScopeNotFoundError as error:
        raise EngineError(str(error)) from None


def _delete(
    uow: UnitOfWork,
    chain: list[ScopeRef],
    name: str,
    *,
    local: bool,
) -> None:
    instance_pk = _watching(uow, chain, local=local)
    seen = None
    if instance_pk is not None:
        seen = uow.store.variables.visible(chain[:1] if local else chain, name)
    if instance_pk is not None and seen is not None:
        event = conditional_events.DELETE
        conditional_events.note_variable(uow, instance_pk, seen.scope_pk, name, event)
    uow.store.variables.delete(chain, name, local=local)


def _watching(uow: UnitOfWork, chain: list[ScopeRef], *, local: bool) -> int | None:
    """The instance whose conditional events a write on ``chain`` concerns: none for a
    task's own variables (Camunda's ``TaskEntity.dispatchEvent``), not even a query."""
    if local and chain[0].kind is ScopeKind.TASK:
        return None
    return conditional_events.watches(uow, chain)


def _converted(dto: Any) -> NewValue:
    try:
        return value_from_dto(dto)
    except ValueConversionError as error:
        raise InvalidValueError(str(error)) from None


def _resource_chain(uow: UnitOfWork, resource: VariableResource, scope_id: str) -> list[ScopeRef]:
    """The scopes whose variables ``resource`` sees, nearest first."""
    chain = uow.store.scopes.chain(resource.id_space, scope_id)
    return chain[:1] if resource.local else chain


def _chain(
    uow: UnitOfWork, resource: VariableResource, scope_id: str, *, whole: bool = False
) -> list[ScopeRef]:
    """As :func:`_resource_chain` (``whole``: not cut for a local resource); a missing
    scope is the engine's error."""
    try:
        if whole:
            return uow.store.scopes.chain(resource.id_space, scope_id)
        return _resource_chain(uow, resource, scope_id)
    except ScopeNotFoundError as error:
        raise EngineError(str(error)) from None


def _visible(uow: UnitOfWork, resource: VariableResource, scope_id: str, name: str) -> StoredValue:
    """The variable, its scope chain found in the same statement (and a small binary
    value's bytes with it)."""
    return visible_found(
        resource,
        scope_id,
        name,
        lambda: uow.store.variables.visible_from(
            resource.id_space, scope_id, name, local=resource.local
        ),
    )


def _visible_again(
    uow: UnitOfWork,
    resource: VariableResource,
    scope_id: str,
    name: str,
    found: StoredValue | None,
) -> StoredValue:
    """``found`` (the variable as a read of its own found it just before this snapshot,
    whose answer needed more of the database) if its content is still there in this
    snapshot; else the variable as this snapshot sees it. A content never changes once
    committed (every value written gets a new one), so ``found`` with its content is the
    variable as it was at that read, during the request: a consistent answer, without
    looking the variable up twice. A content released meanwhile (its pk maybe taken again
    by a new one, on SQLite) is not: look again."""
    if found is not None and (
        found.content_pk is None
        or uow.store.contents.present(
            found.content_pk, found.content_digest, found.content_size, found.content_file
        )
    ):
        return found
    return _visible(uow, resource, scope_id, name)


def visible_found(
    resource: VariableResource,
    scope_id: str,
    name: str,
    look_up: Callable[[], StoredValue | None],
) -> StoredValue:
    """What ``look_up`` (``Variables.visible_from``, or its raw twin) found, or the
    error Camunda answers when it found no scope or no variable."""
    try:
        stored = look_up()
    except ScopeNotFoundError as error:
        raise EngineError(str(error)) from None
    return found_variable(resource, name, stored)


def found_variable(
    resource: VariableResource, name: str, stored: StoredValue | None
) -> StoredValue:
    """What a read of the variable ``name`` found; a 404 when nothing."""
    if stored is None:
        raise NotFoundError(f"{resource.noun} variable with name {name} does not exist")
    return stored
