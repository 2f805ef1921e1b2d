"""Deployments, the files they hold, and the process definitions deployed from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from taskvars.persistence import raw_statements
from taskvars.persistence.incident_conditions import runtime_incident
from taskvars.persistence.models import (
    Deployment,
    DeploymentResource,
    Incident,
    ProcessDefinition,
    ProcessDefinitionStarter,
)
from taskvars.persistence.query_statements import ConditionTable, SortKey, like, ordered, paged


@dataclass(frozen=True)
class DeploymentRecord:
    pk: int
    id: str
    name: str | None
    source: str | None
    tenant_id: str | None
    deployment_time: datetime


@dataclass(frozen=True)
class DeploymentCriteria:
    """``GET /deployment`` filters; ``None`` (or ``False``) filters nothing."""

    id: str | None = None
    name: str | None = None
    name_like: str | None = None
    source: str | None = None
    without_source: bool = False
    tenant_id_in: list[str] | None = None
    without_tenant_id: bool = False
    # With ``tenant_id_in``: deployments without a tenant match too.
    include_deployments_without_tenant_id: bool = False
    after: datetime | None = None
    before: datetime | None = None


# Stored "" for none (see models.Deployment); sorted as Camunda's NULL.
_TENANT = func.nullif(Deployment.tenant_id, "")
DEPLOYMENT_SORTS: dict[str, SortKey] = {
    "id": Deployment.id,
    "name": Deployment.name,
    "deploymentTime": Deployment.deployment_time,
    "tenantId": _TENANT,
}
_DEPLOYMENT_CONDITIONS: ConditionTable[None] = ConditionTable(
    {
        "id": lambda _, v: Deployment.id == v,
        "name": lambda _, v: Deployment.name == v,
        "name_like": lambda _, v: like(Deployment.name, v),
        "source": lambda _, v: Deployment.source == v,
        "without_source": lambda _, v: Deployment.source.is_(None),
        "without_tenant_id": lambda _, v: Deployment.tenant_id == "",
        # Camunda's bounds exclude the instant (``DEPLOY_TIME_ > #{deploymentAfter}``).
        "after": lambda _, v: Deployment.deployment_time > v,
        "before": lambda _, v: Deployment.deployment_time < v,
    }
)


def _matching_deployments(criteria: DeploymentCriteria) -> Select[Deployment]:
    statement = select(Deployment).where(*_DEPLOYMENT_CONDITIONS.conditions(criteria, None))
    if criteria.tenant_id_in is not None:
        tenants: ColumnElement[bool] = Deployment.tenant_id.in_(criteria.tenant_id_in)
        if criteria.include_deployments_without_tenant_id:
            tenants = tenants | (Deployment.tenant_id == "")
        statement = statement.where(tenants)
    return statement


@dataclass(frozen=True)
class ProcessDefinitionRecord:
    id: str
    key: str
    version: int
    tenant_id: str | None
    name: str | None
    category: str | None
    version_tag: str | None
    history_time_to_live: int | None
    deployment_id: str
    resource_name: str
    startable_in_tasklist: bool = True
    # camunda:candidateStarterUsers / candidateStarterGroups, as written.
    candidate_starter_users: tuple[str, ...] = ()
    candidate_starter_groups: tuple[str, ...] = ()


class Deployments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        deployment_id: str,
        name: str | None,
        source: str | None,
        tenant_id: str | None,
        deployment_time: datetime,
    ) -> int:
        row = Deployment(
            id=deployment_id,
            name=name,
            source=source,
            tenant_id=tenant_id or "",
            deployment_time=deployment_time,
        )
        self.session.add(row)
        self.session.flush()
        return row.pk

    def add_resource(self, deployment_pk: int, resource_id: str, name: str, content: bytes) -> None:
        self.session.add(
            DeploymentResource(
                id=resource_id, deployment_pk=deployment_pk, name=name, content=content
            )
        )

    def add_definition(self, deployment_pk: int, definition: ProcessDefinitionRecord) -> None:
        self.session.add(
            ProcessDefinition(
                id=definition.id,
                key=definition.key,
                version=definition.version,
                tenant_id=definition.tenant_id or "",
                name=definition.name,
                category=definition.category,
                version_tag=definition.version_tag,
                history_time_to_live=definition.history_time_to_live,
                startable_in_tasklist=definition.startable_in_tasklist,
                deployment_pk=deployment_pk,
                resource_name=definition.resource_name,
            )
        )
        # Flushed now: the next definition of the same key counts this version.
        self.session.flush()
        self._add_starters(definition)

    def _add_starters(self, definition: ProcessDefinitionRecord) -> None:
        starters = [
            *({"user_id": user} for user in definition.candidate_starter_users),
            *({"group_id": group} for group in definition.candidate_starter_groups),
        ]
        if not starters:
            return
        definition_pk = self.session.scalar(
            select(ProcessDefinition.pk).where(ProcessDefinition.id == definition.id)
        )
        self.session.add_all(
            ProcessDefinitionStarter(definition_pk=definition_pk, **starter) for starter in starters
        )

    def latest_version(self, key: str, tenant_id: str | None) -> int:
        """The highest version deployed of ``key`` for the tenant; 0 for none."""
        latest = self.session.scalar(
            select(func.max(ProcessDefinition.version)).where(
                ProcessDefinition.key == key, ProcessDefinition.tenant_id == (tenant_id or "")
            )
        )
        return int(latest or 0)

    def get(self, deployment_id: str) -> DeploymentRecord | None:
        row = self.session.scalar(select(Deployment).where(Deployment.id == deployment_id))
        return None if row is None else _deployment(row)

    def latest_named(self, name: str | None, tenant_id: str | None) -> DeploymentRecord | None:
        """The newest deployment of this name and tenant (duplicate filtering)."""
        row = self.session.scalar(
            select(Deployment)
            .where(Deployment.name == name, Deployment.tenant_id == (tenant_id or ""))
            .order_by(Deployment.deployment_time.desc(), Deployment.pk.desc())
            .limit(1)
        )
        return None if row is None else _deployment(row)

    def resources(self, deployment_pk: int) -> dict[str, bytes]:
        rows = self.session.execute(
            select(DeploymentResource.name, DeploymentResource.content).where(
                DeploymentResource.deployment_pk == deployment_pk
            )
        )
        return {name: bytes(content) for name, content in rows}

    def definitions(self, deployment_pk: int) -> list[ProcessDefinitionRecord]:
        rows = self.session.execute(
            select(ProcessDefinition, Deployment.id)
            .join(Deployment, Deployment.pk == ProcessDefinition.deployment_pk)
            .where(ProcessDefinition.deployment_pk == deployment_pk)
            .order_by(ProcessDefinition.pk)
        )
        return [_definition(definition, deployment_id) for definition, deployment_id in rows]

    def query(
        self,
        criteria: DeploymentCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[DeploymentRecord]:
        """Matching deployments sorted by ``(sortBy, descending)`` pairs; unsorted, and
        ties, oldest first."""
        keys = [(DEPLOYMENT_SORTS[sort_by], descending) for sort_by, descending in orderings]
        statement = ordered(_matching_deployments(criteria), keys, Deployment.deployment_time)
        statement = paged(statement.order_by(Deployment.pk), first_result, max_results)
        return [_deployment(row) for row in self.session.scalars(statement)]

    def count(self, criteria: DeploymentCriteria) -> int:
        statement = _matching_deployments(criteria).with_only_columns(func.count(Deployment.pk))
        return int(self.session.scalar(statement) or 0)

    def delete(self, deployment_pk: int) -> None:
        """The deployment, its files and its process definitions."""
        self.session.execute(delete(Deployment).where(Deployment.pk == deployment_pk))


def _deployment(row: Deployment) -> DeploymentRecord:
    return DeploymentRecord(
        row.pk, row.id, row.name, row.source, row.tenant_id or None, row.deployment_time
    )


def _definition(row: Any, deployment_id: str) -> ProcessDefinitionRecord:
    """``row``: a :class:`ProcessDefinition` or a row of its table's columns."""
    return ProcessDefinitionRecord(
        id=row.id,
        key=row.key,
        version=row.version,
        tenant_id=row.tenant_id or None,
        name=row.name,
        category=row.category,
        version_tag=row.version_tag,
        history_time_to_live=row.history_time_to_live,
        deployment_id=deployment_id,
        resource_name=row.resource_name,
        startable_in_tasklist=row.startable_in_tasklist,
    )


@dataclass(frozen=True)
class DefinitionCriteria:
    """What ``GET /process-definition`` filters by; ``None`` filters nothing. ``*_like``
    are SQL ``LIKE`` patterns as the client wrote them (``%`` and ``_``), as in Camunda."""

    ids: list[str] | None = None
    key: str | None = None
    keys: list[str] | None = None
    key_like: str | None = None
    name: str | None = None
    name_like: str | None = None
    category: str | None = None
    category_like: str | None = None
    version: int | None = None
    latest_version: bool = False
    deployment_id: str | None = None
    deployed_after: datetime | None = None
    deployed_at: datetime | None = None
    resource_name: str | None = None
    resource_name_like: str | None = None
    version_tag: str | None = None
    version_tag_like: str | None = None
    without_version_tag: bool = False
    # Tenants: ``tenant_ids`` (plus those without one if ``include_without_tenant``), or
    # only those without one (``without_tenant``).
    tenant_ids: list[str] | None = None
    without_tenant: bool = False
    include_without_tenant: bool = False
    # camunda:isStartableInTasklist: only those that are (True) or are not (False).
    startable_in_tasklist: bool | None = None
    # Only those this user is a candidate starter of, as a user or through one of
    # ``startable_by_groups`` (the user's).
    startable_by: str | None = None
    startable_by_groups: tuple[str, ...] = ()
    # Every definition here is active: asking for suspended ones finds none.
    none: bool = False
    # An incident of one of its process instances matches (ProcessDefinition.xml).
    incident_id: str | None = None
    incident_type: str | None = None
    incident_message: str | None = None
    incident_message_like: str | None = None


# sortBy values of Camunda's process definition query, and the columns they sort.
DEFINITION_SORTS = {
    "id": ProcessDefinition.id,
    "key": ProcessDefinition.key,
    "name": ProcessDefinition.name,
    "category": ProcessDefinition.category,
    "version": ProcessDefinition.version,
    "deploymentId": Deployment.id,
    "deployTime": Deployment.deployment_time,
    "tenantId": ProcessDefinition.tenant_id,
    "versionTag": ProcessDefinition.version_tag,
}


class ProcessDefinitions:
    """Process definitions as Camunda's query finds them, with the deployed XML."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def matching(
        self,
        criteria: DefinitionCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[ProcessDefinitionRecord]:
        """Matching definitions sorted by ``(sortBy, descending)`` pairs; unsorted by id,
        ties in the order they were deployed."""
        keys = [(DEFINITION_SORTS[sort_by], descending) for sort_by, descending in orderings]
        statement = cast(
            "Select[Any]",
            select(ProcessDefinition, Deployment.id)
            .join(Deployment, Deployment.pk == ProcessDefinition.deployment_pk)
            .where(*_conditions(criteria)),
        )
        tiebreak = ProcessDefinition.pk if keys else ProcessDefinition.id
        statement = paged(ordered(statement, keys, tiebreak), first_result, max_results)
        rows = self.session.execute(statement)
        return [_definition(definition, deployment_id) for definition, deployment_id in rows]

    def count(self, criteria: DefinitionCriteria) -> int:
        statement = (
            select(func.count(ProcessDefinition.pk))
            .join(Deployment, Deployment.pk == ProcessDefinition.deployment_pk)
            .where(*_conditions(criteria))
        )
        return int(self.session.scalar(statement) or 0)

    def get(self, definition_id: str) -> ProcessDefinitionRecord | None:
        row = raw_statements.run(
            self.session.connection(), _BY_ID, {"definition_id": definition_id}
        ).first()
        return None if row is None else _definition(row, row.deployment_id)

    def latest(self, key: str, tenant_id: str | None) -> ProcessDefinitionRecord | None:
        """The newest version of ``key`` of the tenant (``None``: of no tenant)."""
        if tenant_id != "":  # (an empty tenant filters nothing, below)
            found_row = raw_statements.run(
                self.session.connection(), _LATEST, {"key": key, "tenant_id": tenant_id or ""}
            ).first()
            return None if found_row is None else _definition(found_row, found_row.deployment_id)
        tenants = DefinitionCriteria(
            key=key,
            latest_version=True,
            tenant_ids=[tenant_id] if tenant_id else None,
            without_tenant=tenant_id is None,
        )
        found = self.matching(tenants)
        return found[0] if found else None

    def xml(self, definition_id: str) -> bytes | None:
        """The deployed file the definition was parsed from."""
        content = self.session.scalar(
            select(DeploymentResource.content)
            .join(
                ProcessDefinition,
                ProcessDefinition.deployment_pk == DeploymentResource.deployment_pk,
            )
            .where(
                ProcessDefinition.id == definition_id,
                DeploymentResource.name == ProcessDefinition.resource_name,
            )
        )
        return None if content is None else bytes(content)


def _incident_of(field: str) -> Callable[[None, Any], ColumnElement[bool]]:
    return lambda _, value: runtime_incident(
        field, value, Incident.process_definition_id == ProcessDefinition.id
    )


_DEFINITION_CONDITIONS: ConditionTable[None] = ConditionTable(
    {
        "none": lambda _, v: false(),
        "ids": lambda _, v: ProcessDefinition.id.in_(v),
        "key": lambda _, v: ProcessDefinition.key == v,
        "keys": lambda _, v: ProcessDefinition.key.in_(v),
        "key_like": lambda _, v: like(ProcessDefinition.key, v),
        "name": lambda _, v: ProcessDefinition.name == v,
        "name_like": lambda _, v: like(ProcessDefinition.name, v),
        "category": lambda _, v: ProcessDefinition.category == v,
        "category_like": lambda _, v: like(ProcessDefinition.category, v),
        "version": lambda _, v: ProcessDefinition.version == v,
        "deployment_id": lambda _, v: Deployment.id == v,
        "deployed_after": lambda _, v: Deployment.deployment_time > v,
        "deployed_at": lambda _, v: Deployment.deployment_time == v,
        "resource_name": lambda _, v: ProcessDefinition.resource_name == v,
        "resource_name_like": lambda _, v: like(ProcessDefinition.resource_name, v),
        "version_tag": lambda _, v: ProcessDefinition.version_tag == v,
        "version_tag_like": lambda _, v: like(ProcessDefinition.version_tag, v),
        "without_version_tag": lambda _, v: ProcessDefinition.version_tag.is_(None),
        "latest_version": lambda _, v: _latest_version(),
        **{
            field: _incident_of(field)
            for field in (
                "incident_id",
                "incident_type",
                "incident_message",
                "incident_message_like",
            )
        },
    }
)


def _latest_version() -> ColumnElement[bool]:
    """The highest version of the same key and tenant (Camunda's latestVersion)."""
    newer = aliased(ProcessDefinition)
    return ProcessDefinition.version == (
        select(func.max(newer.version))
        .where(newer.key == ProcessDefinition.key, newer.tenant_id == ProcessDefinition.tenant_id)
        .scalar_subquery()
    )


def _conditions(criteria: DefinitionCriteria) -> list[ColumnElement[bool]]:
    """The criteria, on process definitions joined with their deployments."""
    conditions = list(_DEFINITION_CONDITIONS.conditions(criteria, None))
    if criteria.startable_in_tasklist is not None:
        conditions.append(
            ProcessDefinition.startable_in_tasklist.is_(criteria.startable_in_tasklist)
        )
    if criteria.startable_by is not None:
        # ProcessDefinitionQueryImpl.startableByUser: a candidate starter link to the user
        # or to one of the user's groups.
        starter = ProcessDefinitionStarter.user_id == criteria.startable_by
        if criteria.startable_by_groups:
            groups = ProcessDefinitionStarter.group_id.in_(criteria.startable_by_groups)
            starter = or_(starter, groups)
        conditions.append(
            exists().where(ProcessDefinitionStarter.definition_pk == ProcessDefinition.pk, starter)
        )
    if criteria.without_tenant:
        conditions.append(ProcessDefinition.tenant_id == "")
    elif criteria.tenant_ids is not None:
        tenants: ColumnElement[bool] = ProcessDefinition.tenant_id.in_(criteria.tenant_ids)
        if criteria.include_without_tenant:
            tenants = or_(tenants, ProcessDefinition.tenant_id == "")
        conditions.append(tenants)
    return conditions


def _definition_statement() -> Select[Any]:
    definitions = cast(Table, ProcessDefinition.__table__)
    deployments = cast(Table, Deployment.__table__)
    return select(*definitions.c, deployments.c.id.label("deployment_id")).join(
        deployments, deployments.c.pk == definitions.c.deployment_pk
    )


# Built once: every start asks one of them, and the query's machinery (criteria,
# sorting, the ORM) cost ten times running it.
_DEFINITIONS = cast(Table, ProcessDefinition.__table__)
_BY_ID = _definition_statement().where(_DEFINITIONS.c.id == bindparam("definition_id"))
# The newest version of a key and tenant ("" for none): versions are unique per both.
_LATEST = (
    _definition_statement()
    .where(
        _DEFINITIONS.c.key == bindparam("key"), _DEFINITIONS.c.tenant_id == bindparam("tenant_id")
    )
    .order_by(_DEFINITIONS.c.version.desc())
    .limit(1)
)
