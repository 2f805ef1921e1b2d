"""Deployments, the files they hold, and the process definitions deployed from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from taskvars.persistence.models import Deployment, DeploymentResource, ProcessDefinition


@dataclass(frozen=True)
class DeploymentRecord:
    pk: int
    id: str
    name: str | None
    source: str | None
    tenant_id: str | None
    deployment_time: datetime


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
                deployment_pk=deployment_pk,
                resource_name=definition.resource_name,
            )
        )
        # Flushed now: the next definition of the same key counts this version.
        self.session.flush()

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

    def all(self) -> list[DeploymentRecord]:
        rows = self.session.scalars(
            select(Deployment).order_by(Deployment.deployment_time, Deployment.pk)
        )
        return [_deployment(row) for row in rows]

    def delete(self, deployment_pk: int) -> None:
        """The deployment, its files and its process definitions."""
        self.session.execute(delete(Deployment).where(Deployment.pk == deployment_pk))


def _deployment(row: Deployment) -> DeploymentRecord:
    return DeploymentRecord(
        row.pk, row.id, row.name, row.source, row.tenant_id or None, row.deployment_time
    )


def _definition(row: ProcessDefinition, deployment_id: str) -> ProcessDefinitionRecord:
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
    )
