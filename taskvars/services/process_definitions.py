"""Process definitions as Camunda's ``/process-definition`` resource reads them: the
query with its filters, one definition by id or by key (its newest version), and the
deployed XML (Camunda's ``ProcessDefinitionRestServiceImpl`` and
``ProcessDefinitionResourceImpl``, whose messages these are)."""

from __future__ import annotations

from typing import Any

import inflection

from taskvars.errors import InvalidRequestError, NotFoundError, RestNotFoundError
from taskvars.persistence.deployments import DefinitionCriteria, ProcessDefinitionRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.deployments import process_definition_dto
from taskvars.services.query_parameters import (
    date_parameter,
    refuse_unmodelled,
    require_sort_pair,
)

# Declared (clients generated from Camunda's spec send them), asking for what this server
# does not model (authorizations, incidents): refused unless false or empty.
NOT_MODELLED = frozenset(
    {"startableBy", "incidentId", "incidentType", "incidentMessage", "incidentMessageLike"}
)
# Every definition here is active, none suspended: these ask for all of them (True) or
# none.
ALL_OF_THEM = frozenset({"active", "startablePermissionCheck"})
NONE_OF_THEM = frozenset({"suspended"})
# Only those camunda:isStartableInTasklist makes startable, or not, when true; false
# filters nothing (ProcessDefinitionQueryDto.applyFilters).
_STARTABLE = {"startableInTasklist": True, "notStartableInTasklist": False}
# Query parameter -> DefinitionCriteria field, for those taken as they come.
_AS_IS = {
    "processDefinitionId": "ids",
    "key": "key",
    "keyLike": "key_like",
    "name": "name",
    "nameLike": "name_like",
    "category": "category",
    "categoryLike": "category_like",
    "version": "version",
    "latestVersion": "latest_version",
    "deploymentId": "deployment_id",
    "resourceName": "resource_name",
    "resourceNameLike": "resource_name_like",
    "versionTag": "version_tag",
    "versionTagLike": "version_tag_like",
    "withoutVersionTag": "without_version_tag",
    "withoutTenantId": "without_tenant",
    "includeProcessDefinitionsWithoutTenantId": "include_without_tenant",
}
_LISTS = {"processDefinitionIdIn": "ids", "keysIn": "keys", "tenantIdIn": "tenant_ids"}
_DATES = {"deployedAfter": "deployed_after", "deployedAt": "deployed_at"}


def criteria_from_parameters(parameters: dict[str, Any]) -> DefinitionCriteria:
    """The criteria from ``GET /process-definition`` parameters, by connexion's Python
    names (sorting and paging taken out)."""
    fields: dict[str, Any] = {}
    for python_name, value in parameters.items():
        name = inflection.camelize(python_name, False)
        if value is None:
            continue
        if name in NOT_MODELLED:
            refuse_unmodelled("process definition", name, value)
        elif name in NONE_OF_THEM:
            fields["none"] = fields.get("none", False) or value is True
        elif name in ALL_OF_THEM:
            fields["none"] = fields.get("none", False) or value is False
        elif name in _STARTABLE:
            if value is True:
                wanted = _STARTABLE[name]
                if fields.get("startable_in_tasklist", wanted) != wanted:
                    fields["none"] = True  # both asked for
                fields["startable_in_tasklist"] = wanted
        elif name == "processDefinitionId":
            fields["ids"] = sorted({value} & set(fields["ids"])) if "ids" in fields else [value]
        elif name in _AS_IS:
            if value is not False:
                fields[_AS_IS[name]] = value
        elif name in _LISTS:
            items = [item for item in value.split(",") if item]
            field = _LISTS[name]
            fields[field] = sorted(set(items) & set(fields[field])) if field in fields else items
        elif name in _DATES:
            fields[_DATES[name]] = date_parameter(name, value)
    return DefinitionCriteria(**fields)


def query(
    uow: UnitOfWork,
    criteria: DefinitionCriteria,
    *,
    sort_by: str | None,
    sort_order: str | None,
    first_result: int,
    max_results: int | None,
) -> list[dict[str, Any]]:
    require_sort_pair(sort_by, sort_order)
    records = uow.store.definitions.matching(
        criteria,
        sort_by=sort_by,
        descending=sort_order == "desc",
        first_result=first_result,
        max_results=max_results,
    )
    return [process_definition_dto(record) for record in records]


def count(uow: UnitOfWork, criteria: DefinitionCriteria) -> int:
    return uow.store.definitions.count(criteria)


def by_id(uow: UnitOfWork, definition_id: str) -> ProcessDefinitionRecord:
    record = uow.store.definitions.get(definition_id)
    if record is None:
        raise NotFoundError(f"No matching definition with id {definition_id}")
    return record


def by_key(uow: UnitOfWork, key: str) -> ProcessDefinitionRecord:
    """The newest version of ``key`` that belongs to no tenant."""
    record = uow.store.definitions.latest(key, None)
    if record is None:
        raise RestNotFoundError(f"No matching process definition with key: {key} and no tenant-id")
    return record


def dto(record: ProcessDefinitionRecord) -> dict[str, Any]:
    return process_definition_dto(record)


def xml(uow: UnitOfWork, record: ProcessDefinitionRecord) -> dict[str, Any]:
    """``ProcessDefinitionDiagramDto``: the deployed file, as text."""
    content = uow.store.definitions.xml(record.id)
    if content is None:
        raise NotFoundError(f"No matching definition with id {record.id}")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(f"The resource of {record.id} is not UTF-8") from None
    return {"id": record.id, "bpmn20Xml": text}
