"""What the store is given to write and gives back when read: plain values, no rows."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from taskvars.persistence.content_files import UploadFile
from taskvars.persistence.models import IdSpace, ScopeKind


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
    task_definition_key: str | None
    tenant_id: str | None
    case_instance_id: str | None


@dataclass(frozen=True)
class TaskFilter:
    """``GET /task`` criteria; ``None`` means "any"."""

    task_id: str | None = None
    task_id_in: list[str] | None = None
    process_instance_id: str | None = None
    execution_id: str | None = None
    assignee: str | None = None
    name: str | None = None
    name_like: str | None = None
    task_definition_key: str | None = None
    parent_task_id: str | None = None


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


@dataclass(frozen=True)
class ExecutionRecord:
    id: str
    process_instance_id: str


@dataclass(frozen=True)
class BinarySource:
    """Content to store, read once: ``read(chunk_bytes)`` yields it in chunks (the store
    chooses their size), with its total size and SHA-256."""

    read: Callable[[int], Iterator[bytes]]
    size: int
    sha256: str
    # The file an upload was spooled into as it arrived. If it is one of the database's
    # content files, the store names it in the new row instead of copying the bytes.
    file: UploadFile | None = None

    @classmethod
    def of_bytes(cls, data: bytes) -> BinarySource:
        def read(chunk_bytes: int) -> Iterator[bytes]:
            for offset in range(0, len(data), chunk_bytes):
                yield data[offset : offset + chunk_bytes]

        return cls(read, len(data), hashlib.sha256(data).hexdigest())

    def read_all(self) -> bytes:
        return b"".join(self.read(1024 * 1024))


@dataclass(frozen=True)
class NewValue:
    """A typed value as the store writes it."""

    type: str
    text_value: str | None = None
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
    content_sha256: str | None
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


@dataclass(frozen=True)
class VariableInstanceFilter:
    """``GET /variable-instance`` criteria; ``None`` means "any"."""

    variable_name: str | None = None
    variable_name_like: str | None = None
    process_instance_id_in: list[str] | None = None
    execution_id_in: list[str] | None = None
    task_id_in: list[str] | None = None
    variable_scope_id_in: list[str] | None = None
    pk: int | None = None


@dataclass(frozen=True)
class VariableInstance:
    """A variable with the ids of where it lives, as Camunda's ``VariableInstanceDto``."""

    value: StoredValue
    process_instance_id: str | None
    execution_id: str | None
    task_id: str | None


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


class DatabaseUnreachableError(RuntimeError):
    """The database did not answer, or has no schema; the message says which."""
