"""Tables: the scope tree, variables, and binary content in chunks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 255


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ScopeKind(enum.StrEnum):
    PROCESS_INSTANCE = "process_instance"
    EXECUTION = "execution"
    TASK = "task"

    @property
    def id_space(self) -> IdSpace:
        return IdSpace.TASK if self is ScopeKind.TASK else IdSpace.EXECUTION


class IdSpace(enum.StrEnum):
    """Camunda keeps task ids and execution ids (process instances included) apart."""

    EXECUTION = "execution"
    TASK = "task"


def _string_enum(enum_class: type[enum.StrEnum]) -> Enum:
    """Stored as the member's value in a plain string column."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Scope(Base):
    """A node of the scope tree: process instance -> executions -> tasks (-> subtasks)."""

    __tablename__ = "scope"
    __table_args__ = (
        UniqueConstraint("id_space", "external_id"),
        # A process instance's scopes by kind, with their parents: the task query finds
        # an instance's tasks (or executions) and tells those right under it from the
        # index alone on SQLite (its rowid, the pk, is in every index), without reading
        # each scope's row (migration 0020; the count over 100,000 tasks: -18% CPU).
        Index("ix_scope_process_instance_pk_kind", "process_instance_pk", "kind", "parent_pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    id_space: Mapped[IdSpace] = mapped_column(_string_enum(IdSpace))
    kind: Mapped[ScopeKind] = mapped_column(_string_enum(ScopeKind))
    parent_pk: Mapped[int | None] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), index=True
    )
    # The process instance this scope belongs to (its root); None for a process instance
    # itself and for standalone tasks. Lets task queries filter and describe without
    # walking each task's chain.
    process_instance_pk: Mapped[int | None] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE")
    )


class ProcessInstance(Base):
    __tablename__ = "process_instance"

    scope_pk: Mapped[int] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), primary_key=True
    )
    business_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    process_definition_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Camunda's suspension state of the instance, its executions and its tasks: a
    # suspended instance's tasks refuse the commands that would move it on.
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An instance a call activity started: the call activity's execution in the calling
    # instance, that instance, and the instance at the top of the calls (None: itself).
    super_execution_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    super_process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    root_process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class Task(Base):
    """Task attributes beyond its place in the tree (Camunda's ``TaskDto``)."""

    __tablename__ = "task"

    scope_pk: Mapped[int] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    description: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    delegation_state: Mapped[str | None] = mapped_column(String(16))
    due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Indexed: the task lists people look at most come newest first, a page at a time.
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # Camunda's ``lastUpdated``: set by every change Camunda counts as a task update
    # (attributes, claims, delegation, identity links, task-local variables).
    last_updated: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    task_definition_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    tenant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    case_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Set for tasks a deployed model created (camunda:formKey, the definition run).
    form_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    process_definition_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class IdentityLink(Base):
    """A candidate user or group of a task, or a link of another type; a task's assignee
    and owner are its own columns and shown as links (as Camunda shows them)."""

    __tablename__ = "identity_link"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_pk: Mapped[int] = mapped_column(ForeignKey("scope.pk", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(ID_LENGTH))
    user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    group_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class Variable(Base):
    """A named value in one scope; its binary content, if any, lives in ``binary_content``."""

    __tablename__ = "variable"
    __table_args__ = (UniqueConstraint("scope_pk", "name"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Camunda's variable id: a UUID made when the variable is created, kept for its life
    # (moves between scopes included) and by its history; never reused, unlike ``pk``.
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    scope_pk: Mapped[int] = mapped_column(ForeignKey("scope.pk", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(ID_LENGTH))
    type: Mapped[str] = mapped_column(String(32))
    # Serialized form of non-binary values (an Object's JSON text, for instance).
    text_value: Mapped[str | None] = mapped_column(Text)
    # The value as a number, as Camunda keeps it beside the text, so that queries compare
    # and sort values by their type: Short/Integer/Long, Boolean (1/0) and Date (epoch
    # milliseconds) in ``long_value``, Double in ``double_value``.
    long_value: Mapped[int | None] = mapped_column(BigInteger)
    double_value: Mapped[float | None] = mapped_column(Double)
    content_pk: Mapped[int | None] = mapped_column(
        ForeignKey("binary_content.pk", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str | None] = mapped_column(Text)
    mime_type: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    encoding: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    object_type_name: Mapped[str | None] = mapped_column(Text)
    serialization_data_format: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    revision: Mapped[int] = mapped_column(Integer)

    __mapper_args__: Any = {"version_id_col": revision}  # noqa: RUF012 (SQLAlchemy's name)


class BinaryContent(Base):
    """The bytes of one binary value: split over ``binary_chunk`` rows, or, on SQLite
    for values past the in-memory spool size, in the content file ``file_name``."""

    __tablename__ = "binary_content"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # "algorithm:hex" (content_digest); unbounded, as SQLite keeps the declared VARCHAR(64)
    # it had as sha256 (its lengths are not enforced, and changing one copies the table)
    digest: Mapped[str] = mapped_column(String())
    file_name: Mapped[str | None] = mapped_column(String(64), unique=True)


class BinaryChunk(Base):
    __tablename__ = "binary_chunk"

    content_pk: Mapped[int] = mapped_column(
        ForeignKey("binary_content.pk", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Deployment(Base):
    """A set of BPMN files deployed together (``POST /deployment/create``)."""

    __tablename__ = "deployment"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    source: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # "" for none: uniqueness of (key, version, tenant) must hold without a tenant too,
    # and NULLs are all distinct to a unique constraint.
    tenant_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    deployment_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class DeploymentResource(Base):
    """One file of a deployment, as it was uploaded."""

    __tablename__ = "deployment_resource"
    __table_args__ = (UniqueConstraint("deployment_pk", "name"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    deployment_pk: Mapped[int] = mapped_column(ForeignKey("deployment.pk", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(ID_LENGTH))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ProcessDefinition(Base):
    """One executable process of a deployed file, in its version."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "tenant_id", "version"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    key: Mapped[str] = mapped_column(String(ID_LENGTH))
    version: Mapped[int] = mapped_column(Integer)
    tenant_id: Mapped[str] = mapped_column(String(ID_LENGTH))  # "" for none, as above
    name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    category: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    version_tag: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    history_time_to_live: Mapped[int | None] = mapped_column(Integer)
    # camunda:isStartableInTasklist (true unless the model says otherwise)
    startable_in_tasklist: Mapped[bool] = mapped_column(Boolean, server_default=true())
    deployment_pk: Mapped[int] = mapped_column(
        ForeignKey("deployment.pk", ondelete="CASCADE"), index=True
    )
    resource_name: Mapped[str] = mapped_column(String(ID_LENGTH))


class ProcessDefinitionStarter(Base):
    """A candidate starter user or group of a process definition (Camunda's candidate
    identity link of a definition): what ``startableBy`` asks about."""

    __tablename__ = "process_definition_starter"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_pk: Mapped[int] = mapped_column(
        ForeignKey("process_definition.pk", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    group_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)


class ProcessRun(Base):
    """A process instance the BPMN engine runs: where its tokens are (SpiffWorkflow's
    serialised state, without the model), and the revision that serialises changes to
    it (optimistic locking, as for variables)."""

    __tablename__ = "process_run"

    scope_pk: Mapped[int] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), primary_key=True
    )
    process_definition_pk: Mapped[int] = mapped_column(
        ForeignKey("process_definition.pk"), index=True
    )
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)


class HistoricProcessInstance(Base):
    """A process instance a deployed model ran, kept after it ended (Camunda's history,
    as far as clients read it)."""

    __tablename__ = "history_process_instance"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    business_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Copied, not referenced: history outlives a deployment deleted without cascade.
    process_definition_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    process_definition_key: Mapped[str] = mapped_column(String(ID_LENGTH))
    process_definition_name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    process_definition_version: Mapped[int] = mapped_column(Integer)
    tenant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    start_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # ACTIVE, SUSPENDED, COMPLETED or EXTERNALLY_TERMINATED, as Camunda names them.
    state: Mapped[str] = mapped_column(String(32))
    delete_reason: Mapped[str | None] = mapped_column(Text)
    start_activity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Started by a call activity of this instance (None: by a client).
    super_process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    root_process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class HistoricActivityInstance(Base):
    """An activity instance (an element a token passed or waits in), recorded when it
    starts and when it ends (Camunda's ``HistoricActivityInstance``)."""

    __tablename__ = "history_activity_instance"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    process_instance_pk: Mapped[int] = mapped_column(
        ForeignKey("history_process_instance.pk", ondelete="CASCADE"), index=True
    )
    parent_activity_instance_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    execution_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    activity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    activity_name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    activity_type: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    start_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    canceled: Mapped[bool] = mapped_column(Boolean, default=False)
    # A call activity's: the process instance it started.
    called_process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class HistoricTaskInstance(Base):
    """A user task a model created, recorded when it is created and when it ends, with
    Camunda's ``deleteReason`` (``completed``, ``deleted`` or the instance's reason)."""

    __tablename__ = "history_task_instance"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    process_instance_pk: Mapped[int] = mapped_column(
        ForeignKey("history_process_instance.pk", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    activity_instance_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    task_definition_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    description: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    priority: Mapped[int] = mapped_column(Integer)
    due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    start_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delete_reason: Mapped[str | None] = mapped_column(Text)


class HistoricVariable(Base):
    """A variable of a model's process instance as last written, recorded when it is
    created and kept up to date (Camunda's default history level); its id is the runtime
    variable's. A binary value shares its content row (and file) with the runtime
    variable while both hold it; the content goes when neither does."""

    __tablename__ = "history_variable"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    process_instance_pk: Mapped[int] = mapped_column(
        ForeignKey("history_process_instance.pk", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    task_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    name: Mapped[str] = mapped_column(String(ID_LENGTH))
    type: Mapped[str] = mapped_column(String(32))
    text_value: Mapped[str | None] = mapped_column(Text)
    long_value: Mapped[int | None] = mapped_column(BigInteger)
    double_value: Mapped[float | None] = mapped_column(Double)
    content_pk: Mapped[int | None] = mapped_column(ForeignKey("binary_content.pk"), index=True)
    filename: Mapped[str | None] = mapped_column(Text)
    mime_type: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    encoding: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    object_type_name: Mapped[str | None] = mapped_column(Text)
    serialization_data_format: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # CREATED, or DELETED once someone removed the variable (Camunda's states; a
    # variable whose scope ended stays CREATED).
    state: Mapped[str] = mapped_column(String(16), default="CREATED")


class TaskComment(Base):
    """A comment on a task (Camunda's ``ACT_HI_COMMENT``, a history table): kept by the
    task's id, not tied to its row, so that it outlives the task."""

    __tablename__ = "task_comment"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    task_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    # As the client gave it (Camunda stores it unchecked).
    process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # The process instance of the task when the comment was made; None for a standalone
    # task or one that had ended. History's deletion of an instance takes its comments.
    root_process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    message: Mapped[str] = mapped_column(Text)


class TaskAttachment(Base):
    """An attachment of a task (Camunda's ``ACT_HI_ATTACHMENT``): a link (``url``) or
    content in the binary store, which it holds alone and takes with it when deleted."""

    __tablename__ = "task_attachment"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    task_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    root_process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    url: Mapped[str | None] = mapped_column(Text)
    content_pk: Mapped[int | None] = mapped_column(ForeignKey("binary_content.pk"), index=True)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExternalTask(Base):
    """A service task waiting for a worker (Camunda's ``ExternalTaskEntity``): created when
    a token reaches it, locked by one worker at a time, gone when the token leaves.

    Times are epoch milliseconds: a lock's expiry is compared with the clock in SQL on
    both databases alike. The instance's suspension is read from ``process_instance``."""

    __tablename__ = "external_task"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    execution_pk: Mapped[int] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), index=True
    )
    process_instance_pk: Mapped[int] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    process_instance_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    business_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    activity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    activity_instance_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    process_definition_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    process_definition_key: Mapped[str] = mapped_column(String(ID_LENGTH))
    process_definition_version_tag: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    tenant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Indexed with the expiry: a fetch looks for a topic's unlocked or expired tasks.
    topic_name: Mapped[str] = mapped_column(String(ID_LENGTH))
    worker_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    lock_expiration_time: Mapped[int | None] = mapped_column(BigInteger)
    # None: never failed (Camunda's null retries); 0: an incident, not fetched.
    retries: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(BigInteger, default=0)
    create_time: Mapped[int] = mapped_column(BigInteger)
    # camunda:properties of the element, as JSON (``includeExtensionProperties``).
    extension_properties: Mapped[str | None] = mapped_column(Text)


Index(
    "ix_external_task_topic_name_lock_expiration_time",
    ExternalTask.topic_name,
    ExternalTask.lock_expiration_time,
)


class Incident(Base):
    """Something in a process instance that needs a person (Camunda's ``IncidentEntity``):
    an external task out of retries, say. Opened, then resolved or deleted, and gone
    from here either way; ``history_incident`` keeps its story."""

    __tablename__ = "incident"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    # The instance's deletion takes its incidents (history marks them deleted first).
    process_instance_pk: Mapped[int] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), index=True
    )
    process_instance_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    execution_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    process_definition_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    tenant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    incident_timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    incident_type: Mapped[str] = mapped_column(String(ID_LENGTH))
    activity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    failed_activity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    cause_incident_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    root_cause_incident_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # What the incident is about, for its type (an external task's id): resolving and
    # deleting find incidents by it.
    configuration: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    incident_message: Mapped[str | None] = mapped_column(Text)
    job_definition_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    annotation: Mapped[str | None] = mapped_column(Text)


Index("ix_incident_configuration_incident_type", Incident.configuration, Incident.incident_type)


class HistoricIncident(Base):
    """An incident of a model's process instance as it was opened, and how it ended
    (Camunda's ``HistoricIncidentEntity``); its id is the runtime incident's."""

    __tablename__ = "history_incident"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    process_instance_pk: Mapped[int] = mapped_column(
        ForeignKey("history_process_instance.pk", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    process_definition_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    process_definition_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    tenant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    incident_type: Mapped[str] = mapped_column(String(ID_LENGTH))
    activity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    failed_activity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    cause_incident_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    root_cause_incident_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    configuration: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    history_configuration: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    incident_message: Mapped[str | None] = mapped_column(Text)
    job_definition_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    annotation: Mapped[str | None] = mapped_column(Text)
    # Camunda's IncidentState codes, which its sort by incidentState orders:
    # 0 open, 1 resolved, 2 deleted.
    incident_state: Mapped[int] = mapped_column(Integer, default=0)


class Job(Base):
    """Work the job executor runs when it is due (Camunda's ``JobEntity``): a timer
    (``type`` "timer") or an asynchronous continuation ("message", as Camunda calls it).

    A job of a running instance hangs on an execution and goes with it (``ON DELETE
    CASCADE``); a timer start event's job hangs on its process definition instead.
    ``wait_key`` names what the job fires in the instance's run (the SpiffWorkflow task
    of a timer event or of a continuation); ``handler_type`` and
    ``handler_configuration`` say what to do (Camunda's ``JobHandler`` types, such as
    "timer-intermediate-transition" or "async-continuation"). Times are epoch
    milliseconds; a locked job has a ``lock_owner`` (one server process's executor)
    until ``lock_expiration_time``, after which any executor may take it."""

    __tablename__ = "job"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    handler_type: Mapped[str] = mapped_column(String(64))
    handler_configuration: Mapped[str | None] = mapped_column(Text)
    execution_pk: Mapped[int | None] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), index=True
    )
    process_instance_pk: Mapped[int | None] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), index=True
    )
    definition_pk: Mapped[int | None] = mapped_column(
        ForeignKey("process_definition.pk", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    process_definition_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    process_definition_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    deployment_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    activity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    wait_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    job_definition_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    due_date: Mapped[int | None] = mapped_column(BigInteger)
    # A timer cycle's repetition (Camunda's ``repeat``), as the model gives it.
    repeat: Mapped[str | None] = mapped_column(Text)
    # camunda:failedJobRetryTimeCycle of the element, when it has one.
    retry_time_cycle: Mapped[str | None] = mapped_column(Text)
    retries: Mapped[int] = mapped_column(Integer, default=3)
    exception_message: Mapped[str | None] = mapped_column(Text)
    exception_stacktrace: Mapped[str | None] = mapped_column(Text)
    failed_activity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    lock_owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    lock_expiration_time: Mapped[int | None] = mapped_column(BigInteger)
    suspended: Mapped[bool] = mapped_column(Boolean, server_default=false())
    priority: Mapped[int] = mapped_column(BigInteger, default=0)
    tenant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    create_time: Mapped[int] = mapped_column(BigInteger)


# An executor looks for due, unlocked (or expired) jobs with retries left.
Index("ix_job_due_date_lock_expiration_time", Job.due_date, Job.lock_expiration_time)
Index("ix_job_process_instance_pk_wait_key", Job.process_instance_pk, Job.wait_key)


class EventSubscription(Base):
    """Something a process waits to be told (Camunda's ``EventSubscriptionEntity``): a
    message or a signal by name, for a waiting catch event, receive task, boundary event
    or event sub-process of a running instance, or for a message or signal start event
    of a process definition (``definition_pk``, no instance).

    ``wait_key`` names the SpiffWorkflow task that catches it in the instance's run;
    instance subscriptions go with their execution (``ON DELETE CASCADE``)."""

    __tablename__ = "event_subscription"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))  # message, signal, conditional
    event_name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    execution_pk: Mapped[int | None] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), index=True
    )
    process_instance_pk: Mapped[int | None] = mapped_column(
        ForeignKey("scope.pk", ondelete="CASCADE"), index=True
    )
    definition_pk: Mapped[int | None] = mapped_column(
        ForeignKey("process_definition.pk", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    process_instance_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    process_definition_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    activity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    wait_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    configuration: Mapped[str | None] = mapped_column(Text)
    tenant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    created: Mapped[int] = mapped_column(BigInteger)


Index(
    "ix_event_subscription_event_type_event_name",
    EventSubscription.event_type,
    EventSubscription.event_name,
)
Index(
    "ix_event_subscription_process_instance_pk_wait_key",
    EventSubscription.process_instance_pk,
    EventSubscription.wait_key,
)
