"""Deployments: BPMN files checked, stored and turned into versioned process definitions,
as ``POST /deployment/create`` and its neighbours describe them (Camunda's
``DeploymentRestServiceImpl`` and ``DeployCmd``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from taskvars.engine import runtime
from taskvars.engine.model_check import ProcessModel, inspect_model
from taskvars.engine.model_report import parse_exception_message
from taskvars.engine.start_events import arm_start_events
from taskvars.errors import (
    DefinitionInUseError,
    InvalidRequestError,
    ModelParseError,
    NotFoundError,
)
from taskvars.persistence.deployments import (
    DEPLOYMENT_SORTS,
    DeploymentCriteria,
    DeploymentRecord,
    ProcessDefinitionRecord,
)
from taskvars.persistence.models import ID_LENGTH, IdSpace
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services import task_notes
from taskvars.services.dates import format_date, now_millis
from taskvars.services.query_toolkit import (
    Page,
    ParsedQuery,
    QueryShape,
    StoreQuery,
    as_date,
    as_is,
    as_list,
    as_true,
    sort_pairs,
    without_tenant_wins,
)

# Files Camunda's BPMN deployer parses; others are stored as they are.
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")
# A deployed file's largest size: BPMN models are kilobytes; this leaves room for forms.
MAX_RESOURCE_BYTES = 16 * 1024 * 1024
# As long as the column that keeps it (models.ID_LENGTH).
MAX_RESOURCE_NAME = ID_LENGTH


@dataclass(frozen=True)
class DeploymentFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class DeploymentRequest:
    files: list[DeploymentFile]
    name: str | None = None
    source: str | None = None
    tenant_id: str | None = None
    # Another deployment of this name with the same files: return it, deploy nothing.
    duplicate_filtering: bool = False
    # Deploy only the files that changed since the last deployment of this name.
    changed_only: bool = False


def deploy(uow: UnitOfWork, request: DeploymentRequest) -> dict[str, Any]:
    """Check every file, then store the deployment and its process definitions in one
    transaction; a refused file stores nothing. Returns ``DeploymentWithDefinitionsDto``."""
    files = _checked_names(request.files)
    models = _models_of([file for file in files if _is_bpmn(file.name)])
    store = uow.store.deployments
    if request.duplicate_filtering or request.changed_only:
        previous = store.latest_named(request.name, request.tenant_id)
        if previous is not None:
            deployed = store.resources(previous.pk)
            changed = [file for file in files if deployed.get(file.name) != file.content]
            if not changed:
                return deployment_dto(previous) | _no_definitions()
            if request.changed_only:
                files = changed
    deployment_id = str(uuid.uuid4())
    deployment = DeploymentRecord(
        0, deployment_id, request.name, request.source, request.tenant_id, now_millis()
    )
    pk = store.add(
        deployment_id, request.name, request.source, request.tenant_id, deployment.deployment_time
    )
    definitions: dict[str, Any] = {}
    for file in files:
        store.add_resource(pk, str(uuid.uuid4()), file.name, file.content)
        for model in models.get(file.name, []):
            definition = _definition(
                store.latest_version(model.key, request.tenant_id) + 1,
                model,
                file.name,
                deployment_id,
                request.tenant_id,
            )
            store.add_definition(pk, definition)
            arm_start_events(uow, definition, file.content)
            definitions[definition.id] = process_definition_dto(definition)
    uow.commit()
    return (
        deployment_dto(deployment)
        | _no_definitions()
        | {"deployedProcessDefinitions": definitions or None}
    )


def require_resource_size(name: str, size: int) -> None:
    """Deployed files are read whole (a model is parsed whole) and kept in one row, so
    their size is bounded, unlike binary variables, which are streamed."""
    if size > MAX_RESOURCE_BYTES:
        raise InvalidRequestError(
            f"The resource '{name[:100]}' has {size} bytes; a deployed file may have at most "
            f"{MAX_RESOURCE_BYTES}"
        )


def get(uow: UnitOfWork, deployment_id: str) -> dict[str, Any]:
    return deployment_dto(_existing(uow, deployment_id))


QUERY_SHAPE = QueryShape(
    noun="deployment",
    filters={
        "id": ("id", as_is),
        "name": ("name", as_is),
        "nameLike": ("name_like", as_is),
        "source": ("source", as_is),
        "withoutSource": ("without_source", as_true),
        "tenantIdIn": ("tenant_id_in", as_list),
        "withoutTenantId": ("without_tenant_id", as_true),
        "includeDeploymentsWithoutTenantId": ("include_deployments_without_tenant_id", as_true),
        "after": ("after", as_date),
        "before": ("before", as_date),
    },
)


def deployment_query(parsed: ParsedQuery) -> StoreQuery[DeploymentCriteria]:
    """``GET /deployment``'s criteria (Camunda's ``DeploymentQueryDto``)."""
    if parsed.fields.get("without_source") and parsed.fields.get("source") is not None:
        raise InvalidRequestError(
            'The query parameters "withoutSource" and "source" cannot be used in combination.'
        )
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_id_in", without_tenant="without_tenant_id"
    )
    return StoreQuery(DeploymentCriteria(**fields), sort_pairs(parsed, frozenset(DEPLOYMENT_SORTS)))


def query(
    uow: UnitOfWork, deployments: StoreQuery[DeploymentCriteria], page: Page
) -> list[dict[str, Any]]:
    found = uow.store.deployments.query(deployments.criteria, deployments.orderings, *page)
    return [deployment_dto(record) for record in found]


def count(uow: UnitOfWork, deployments: StoreQuery[DeploymentCriteria]) -> int:
    return uow.store.deployments.count(deployments.criteria)


def delete(uow: UnitOfWork, deployment_id: str, *, cascade: bool) -> None:
    """The deployment, its files and its process definitions; with ``cascade``, the
    process instances running them too (with their tasks and variables), else none may
    run (Camunda's ``ProcessDefinitionManager.deleteProcessDefinition``)."""
    store = uow.store
    record = store.deployments.get(deployment_id)
    if record is None:  # sic: Camunda's DeploymentResourceImpl.deleteDeployment
        raise NotFoundError(f"Deployment with id '{deployment_id}' do not exist")
    running = store.process_runs.instances_of_deployment(record.pk)
    if running and not cascade:
        definitions = store.deployments.definitions(record.pk)
        counts = {d.id: store.process_runs.count_of_definition(d.id) for d in definitions}
        # (Counted again: an instance may have ended since the first look.)
        definition_id, count = next(
            ((i, n) for i, n in counts.items() if n), (definitions[0].id, len(running))
        )
        raise DefinitionInUseError(
            "ENGINE-03076 Deletion of process definition without cascading failed. Process "
            f"definition with id: {definition_id} can't be deleted, because there are "
            f"{count} dependent process instances."
        )
    for scope_pk, instance_id in running:
        if not store.scopes.exists(IdSpace.EXECUTION, instance_id):
            continue  # called by another instance deleted before it: gone with it
        # Each run is claimed first: a step racing the deletion is a 409, never a half.
        # A called instance leaves its caller waiting, as Camunda's deleteCascade does.
        runtime.terminate(uow, scope_pk, instance_id, cancel_caller=False)
    if cascade:  # Camunda's cascade takes the history of the definitions' instances too
        forgotten = store.history.delete_of_definitions(
            [d.id for d in store.deployments.definitions(record.pk)]
        )
        # As Camunda's HistoricTaskInstanceManager, with the tasks' history.
        task_notes.forget(uow, forgotten.instance_ids, forgotten.task_ids)
    latest = [
        (d.key, d.tenant_id)
        for d in store.deployments.definitions(record.pk)
        if (newest := store.definitions.latest(d.key, d.tenant_id)) is not None
        and newest.id == d.id
    ]
    store.deployments.delete(record.pk)
    _rearm_previous_versions(uow, latest)
    uow.commit()


def _rearm_previous_versions(uow: UnitOfWork, keys: list[tuple[str, str | None]]) -> None:
    """The latest versions deleted: the version now latest of each key gets its start
    events back (Camunda's ``DeleteProcessDefinitionsByIdsCmd``: the new latest
    definition's ``addEventSubscriptions`` and ``addTimerDeclarations``)."""
    store = uow.store
    for key, tenant_id in keys:
        previous = store.definitions.latest(key, tenant_id)
        xml = None if previous is None else store.definitions.xml(previous.id)
        if previous is not None and xml is not None:
            arm_start_events(uow, previous, xml)


def deployment_dto(record: DeploymentRecord) -> dict[str, Any]:
    """``DeploymentDto``."""
    return {
        "links": [],
        "id": record.id,
        "name": record.name,
        "source": record.source,
        "deploymentTime": format_date(record.deployment_time),
        "tenantId": record.tenant_id,
    }


def process_definition_dto(record: ProcessDefinitionRecord) -> dict[str, Any]:
    """``ProcessDefinitionDto``."""
    return {
        "id": record.id,
        "key": record.key,
        "category": record.category,
        "description": None,
        "name": record.name,
        "version": record.version,
        "resource": record.resource_name,
        "deploymentId": record.deployment_id,
        "diagram": None,
        "suspended": False,
        "tenantId": record.tenant_id,
        "versionTag": record.version_tag,
        "historyTimeToLive": record.history_time_to_live,
        "startableInTasklist": record.startable_in_tasklist,
    }


def _no_definitions() -> dict[str, Any]:
    return {
        "deployedProcessDefinitions": None,
        "deployedCaseDefinitions": None,
        "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    }


def _checked_names(files: list[DeploymentFile]) -> list[DeploymentFile]:
    if not files:
        raise InvalidRequestError("No deployment resources contained in the form upload.")
    names = [file.name for file in files]
    too_long = next((name for name in names if len(name) > MAX_RESOURCE_NAME), None)
    if too_long is not None:
        raise InvalidRequestError(
            f"The resource name '{too_long[:40]}...' is longer than {MAX_RESOURCE_NAME} characters"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InvalidRequestError(f"The deployment contains the resource '{twice[0]}' twice")
    return files


def _models_of(files: list[DeploymentFile]) -> dict[str, list[ProcessModel]]:
    """The processes of every file, or Camunda's ParseException with every problem of
    every refused file (Camunda stops at the first refused file; every one is named here,
    so a deployment of several files is fixed in one go)."""
    reports = [inspect_model(file.name, file.content) for file in files]
    refused = [report for report in reports if report.refused]
    if refused:
        raise ModelParseError(
            parse_exception_message(refused),
            details={report.resource: report.details() for report in refused},
        )
    return {report.resource: report.processes for report in reports}


def _definition(
    version: int,
    model: ProcessModel,
    resource_name: str,
    deployment_id: str,
    tenant_id: str | None,
) -> ProcessDefinitionRecord:
    return ProcessDefinitionRecord(
        # Camunda's form: key:version:generated id.
        id=f"{model.key}:{version}:{uuid.uuid4()}",
        key=model.key,
        version=version,
        tenant_id=tenant_id,
        name=model.name,
        category=model.category,
        version_tag=model.version_tag,
        history_time_to_live=model.history_time_to_live,
        deployment_id=deployment_id,
        resource_name=resource_name,
        startable_in_tasklist=model.startable_in_tasklist,
        candidate_starter_users=model.candidate_starter_users,
        candidate_starter_groups=model.candidate_starter_groups,
    )


def _existing(uow: UnitOfWork, deployment_id: str) -> DeploymentRecord:
    record = uow.store.deployments.get(deployment_id)
    if record is None:
        raise NotFoundError(f"Deployment with id '{deployment_id}' does not exist")
    return record


def _is_bpmn(name: str) -> bool:
    return name.lower().endswith(BPMN_SUFFIXES)
