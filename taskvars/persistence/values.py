"""What the store is given to write and gives back when read: plain values, no rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from taskvars import content_digest
from taskvars.persistence.content_files import UploadFile
from taskvars.persistence.models import IdSpace, ScopeKind

if TYPE_CHECKING:
    from taskvars.persistence.postgres_upload import StreamedContent


@dataclass(frozen=True)
class ScopeRef:
    """One scope of a task's chain, nearest first."""

    pk: int
    kind: ScopeKind
    external_id: str


@dataclass(frozen=True)
class TaskRecord:
    """A task's stored attributes and its place in the tree."""

    id: str
    execution_id: str | None
    parent_task_id: str | None
    process_instance_id: str | None
    name: str | None
    description: str | None
    assignee: str | None
    owner: str | None
    priority: int
    delegation_state: str | None
    due: datetime | None
    follow_up: datetime | None
    created: datetime
    last_updated: datetime | None
    task_definition_key: str | None
    tenant_id: str | None
    case_instance_id: str | None
    # The task's scope, where its own variables live.
    pk: int
    # Set for tasks a deployed model created.
    form_key: str | None = None
    process_definition_id: str | None = None
    # With its process instance (a standalone task never is).
    suspended: bool = False


@dataclass(frozen=True)
class VariableCondition:
    """One ``processVariables`` or ``taskVariables`` entry: a variable of that name
    exists where the query looks and its value compares with ``value`` by ``operator``
    (``eq``, ``neq``, ``gt``, ``gteq``, ``lt``, ``lteq``, ``like``, ``notLike``).

    The value's Python type decides what it is compared with, as Camunda's value's Java
    type does: ``str`` with String values, ``int`` and ``float`` with numbers of any
    numeric type, ``bool`` with Booleans, ``datetime`` with Dates, ``None`` with nulls.
    """

    name: str
    operator: str
    value: str | int | float | bool | datetime | None
    # Task-local variables (``taskVariables``), or the process instance's variables
    # outside tasks (``processVariables``).
    task_local: bool
    ignore_name_case: bool = False
    ignore_value_case: bool = False


@dataclass(frozen=True)
class TaskCriteria:
    """The task query's criteria; ``None`` (or ``False``) means "any". Every criterion
    given must hold, and for each of ``or_queries`` at least one of its criteria."""

    task_id: str | None = None
    task_id_in: list[str] | None = None
    process_instance_id: str | None = None
    process_instance_id_in: list[str] | None = None
    process_instance_business_key: str | None = None
    process_instance_business_key_in: list[str] | None = None
    process_instance_business_key_like: str | None = None
    process_definition_key: str | None = None
    process_definition_key_in: list[str] | None = None
    process_definition_id: str | None = None
    execution_id: str | None = None
    case_instance_id: str | None = None
    tenant_id_in: list[str] | None = None
    without_tenant_id: bool = False
    assignee: str | None = None
    assignee_like: str | None = None
    assignee_in: list[str] | None = None
    assignee_not_in: list[str] | None = None
    owner: str | None = None
    assigned: bool = False
    unassigned: bool = False
    # Candidates (identity links of type ``candidate``), as one condition like Camunda's.
    candidate_user: str | None = None
    candidate_groups: list[str] | None = None
    candidate_group_like: str | None = None
    with_candidate_groups: bool = False
    with_candidate_users: bool = False
    without_candidate_groups: bool = False
    without_candidate_users: bool = False
    include_assigned_tasks: bool = False
    involved_user: str | None = None
    task_definition_key: str | None = None
    task_definition_key_in: list[str] | None = None
    task_definition_key_not_in: list[str] | None = None
    task_definition_key_like: str | None = None
    name: str | None = None
    name_not_equal: str | None = None
    name_like: str | None = None
    name_not_like: str | None = None
    description: str | None = None
    description_like: str | None = None
    priority: int | None = None
    min_priority: int | None = None
    max_priority: int | None = None
    due_date: datetime | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    without_due_date: bool = False
    follow_up_date: datetime | None = None
    follow_up_after: datetime | None = None
    follow_up_before: datetime | None = None
    # ``followUpBeforeOrNotExistent``: tasks without a follow-up date match too.
    follow_up_null_accepted: bool = False
    created_on: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    delegation_state: str | None = None
    parent_task_id: str | None = None
    # A task is suspended with its process instance.
    suspended: bool = False
    active: bool = False
    variables: tuple[VariableCondition, ...] = ()
    or_queries: tuple[TaskCriteria, ...] = ()


@dataclass(frozen=True)
class TaskOrdering:
    """One sorting criterion; ``variable`` and ``value_type`` for the variable sorts
    (``processVariable``, ``executionVariable``, ``taskVariable``)."""

    sort_by: str
    descending: bool = False
    variable: str | None = None
    value_type: str | None = None


@dataclass(frozen=True)
class IdentityLinkRecord:
    type: str
    user_id: str | None
    group_id: str | None


@dataclass(frozen=True)
class ProcessInstanceRecord:
    id: str
    business_key: str | None
    process_definition_key: str | None
    # For one a deployed model runs.
    process_definition_id: str | None = None
    tenant_id: str | None = None
    suspended: bool = False
    # The instance's own scope (its variables, its run).
    pk: int = 0


@dataclass(frozen=True)
class CallerLink:
    """Where a called process instance was called from: the call activity's execution
    (Camunda's ``superExecutionId``), its process instance, and the root of the calls."""

    super_execution_id: str
    super_process_instance_id: str
    root_process_instance_id: str


@dataclass(frozen=True)
class ProcessInstanceCriteria:
    """Camunda's process-instance query, as far as this server keeps what it asks for;
    ``None`` and ``False`` ask for nothing."""

    process_instance_ids: list[str] | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    process_definition_key_in: list[str] | None = None
    process_definition_key_not_in: list[str] | None = None
    deployment_id: str | None = None
    root_process_instance_id: str | None = None
    active: bool = False
    suspended: bool = False
    tenant_id_in: list[str] | None = None
    without_tenant_id: bool = False
    process_definition_without_tenant_id: bool = False
    activity_id_in: list[str] | None = None
    with_incident: bool = False
    incident_id: str | None = None
    incident_type: str | None = None
    incident_message: str | None = None
    incident_message_like: str | None = None
    # Call activities: instances called from this one / the one that called this one.
    super_process_instance: str | None = None
    sub_process_instance: str | None = None
    root_process_instances: bool = False
    leaf_process_instances: bool = False
    variables: tuple[VariableCondition, ...] = ()
    or_queries: tuple[ProcessInstanceCriteria, ...] = ()


@dataclass(frozen=True)
class ExecutionRecord:
    id: str
    process_instance_id: str


@dataclass(frozen=True)
class FileSpan:
    """``count`` bytes from ``offset`` of a content file, opened in the reader's snapshot:
    what the server can send without reading it (zero-copy). The receiver closes it."""

    file: BinaryIO
    offset: int
    count: int


@dataclass(frozen=True)
class BinarySource:
    """Content to store: ``read(chunk_bytes)`` yields it in chunks (the store chooses
    their size), from the start each time it is called (a write that lost a lock runs
    again), with its total size and digest (``content_digest``)."""

    read: Callable[[int], Iterator[bytes]]
    size: int
    digest: str
    # The file an upload was spooled into as it arrived. If it is one of the database's
    # content files, the store names it in the new row instead of copying the bytes.
    file: UploadFile | None = None
    # Content stored already as it arrived (PostgreSQL), in a transaction the write joins.
    streamed: StreamedContent | None = None

    @classmethod
    def of_bytes(cls, data: bytes) -> BinarySource:
        def read(chunk_bytes: int) -> Iterator[bytes]:
            for offset in range(0, len(data), chunk_bytes):
                yield data[offset : offset + chunk_bytes]

        return cls(read, len(data), content_digest.digest_of(data))

    def read_all(self) -> bytes:
        return b"".join(self.read(1024 * 1024))


@dataclass(frozen=True)
class NewValue:
    """A typed value as the store writes it."""

    type: str
    text_value: str | None = None
    # The value as a number for queries (see models.Variable).
    long_value: int | None = None
    double_value: float | None = None
    content: BinarySource | None = None
    filename: str | None = None
    mime_type: str | None = None
    encoding: str | None = None
    object_type_name: str | None = None
    serialization_data_format: str | None = None


@dataclass(frozen=True)
class StoredValue:
    """A variable as read back; binary content is fetched separately by ``content_pk``."""

    name: str
    scope_pk: int
    type: str
    text_value: str | None
    content_pk: int | None
    content_size: int | None
    content_digest: str | None
    # Set when the content is in a content file rather than in chunk rows.
    content_file: str | None
    filename: str | None
    mime_type: str | None
    encoding: str | None
    object_type_name: str | None
    serialization_data_format: str | None
    revision: int
    # The variable's own id, stable for its life (an update keeps the row).
    pk: int | None = None
    # Camunda's variable id (a UUID); None for values read from elsewhere.
    id: str | None = None
    # The whole content, when the read that found the value fetched it too (a small
    # one, in one chunk row): nothing more to read for it.
    inline_content: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class VariableInstanceFilter:
    """``GET /variable-instance`` criteria; ``None`` means "any"."""

    variable_name: str | None = None
    variable_name_like: str | None = None
    process_instance_id_in: list[str] | None = None
    execution_id_in: list[str] | None = None
    task_id_in: list[str] | None = None
    variable_scope_id_in: list[str] | None = None
    id: str | None = None
    # ``variableValues``: each names the variable itself and compares its value.
    values: tuple[VariableCondition, ...] = ()


@dataclass(frozen=True)
class VariableInstance:
    """A variable with the ids of where it lives, as Camunda's ``VariableInstanceDto``."""

    value: StoredValue
    process_instance_id: str | None
    execution_id: str | None
    task_id: str | None
    # The definition a deployed model's instance runs; None outside one.
    process_definition_id: str | None = None


class ScopeNotFoundError(LookupError):
    """Camunda's engine message, e.g. ``task t1 doesn't exist: task is null``."""

    def __init__(self, id_space: IdSpace, external_id: str) -> None:
        noun = id_space.value
        super().__init__(f"{noun} {external_id} doesn't exist: {noun} is null")
        self.id_space = id_space
        self.external_id = external_id


class ConcurrentModificationError(RuntimeError):
    """Another transaction changed or created the same data first, or kept the database
    busy too long; nothing of this one was written. The message says which."""


class LockConflictError(ConcurrentModificationError):
    """PostgreSQL failed this write to break a deadlock, or because a row it needed stayed
    locked too long; nothing of it was written, and the same work run again may well
    succeed (unlike a stale version, which it would meet again)."""


class DatabaseUnreachableError(RuntimeError):
    """The database did not answer, or has no schema; the message says which."""
