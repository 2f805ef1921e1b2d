"""Process definitions as Camunda's ``/process-definition`` resource reads them: the
query with its filters, one definition by id or by key (its newest version), and the
deployed XML (Camunda's ``ProcessDefinitionRestServiceImpl`` and
``ProcessDefinitionResourceImpl``, whose messages these are)."""

from __future__ import annotations

from typing import Any

from taskvars.errors import InvalidRequestError, NotFoundError, RestNotFoundError
from taskvars.persistence.deployments import (
    DEFINITION_SORTS,
    DefinitionCriteria,
    ProcessDefinitionRecord,
)
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.deployments import process_definition_dto
from taskvars.services.memberships import GroupsOf, no_groups
from taskvars.services.query_toolkit import (
    Page,
    ParsedQuery,
    QueryShape,
    StoreQuery,
    as_date,
    as_is,
    as_list,
    as_true,
    narrow,
    sort_pairs,
)


def _merge(fields: dict[str, Any], target: str, value: Any) -> None:
    """Two criteria on one field narrow together: ``processDefinitionId`` and
    ``processDefinitionIdIn`` both ask for ids, ``startableInTasklist`` and
    ``notStartableInTasklist`` for opposite answers (none then)."""
    if target not in fields:
        fields[target] = value
    elif target == "startable_in_tasklist":
        if fields[target] != value:
            fields["none"] = True
    else:
        narrow(fields, target, value)


SHAPE = QueryShape(
    noun="process definition",
    filters={
        "processDefinitionId": ("ids", lambda parameter: [parameter.value]),
        "processDefinitionIdIn": ("ids", as_list),
        "key": ("key", as_is),
        "keysIn": ("keys", as_list),
        "keyLike": ("key_like", as_is),
        "name": ("name", as_is),
        "nameLike": ("name_like", as_is),
        "category": ("category", as_is),
        "categoryLike": ("category_like", as_is),
        "version": ("version", as_is),
        "latestVersion": ("latest_version", as_true),
        "deploymentId": ("deployment_id", as_is),
        "deployedAfter": ("deployed_after", as_date),
        "deployedAt": ("deployed_at", as_date),
        "resourceName": ("resource_name", as_is),
        "resourceNameLike": ("resource_name_like", as_is),
        "versionTag": ("version_tag", as_is),
        "versionTagLike": ("version_tag_like", as_is),
        "withoutVersionTag": ("without_version_tag", as_true),
        "tenantIdIn": ("tenant_ids", as_list),
        "withoutTenantId": ("without_tenant", as_true),
        "includeProcessDefinitionsWithoutTenantId": ("include_without_tenant", as_true),
        # camunda:isStartableInTasklist: only those it makes startable, or not, when
        # true; false filters nothing (ProcessDefinitionQueryDto.applyFilters).
        "startableInTasklist": ("startable_in_tasklist", lambda parameter: True),
        "notStartableInTasklist": ("startable_in_tasklist", lambda parameter: False),
        # camunda:candidateStarterUsers, and candidateStarterGroups of the user's groups.
        "startableBy": ("startable_by", as_is),
        # No definition here is suspended.
        "suspended": ("none", as_true),
        "incidentId": ("incident_id", as_is),
        "incidentType": ("incident_type", as_is),
        "incidentMessage": ("incident_message", as_is),
        "incidentMessageLike": ("incident_message_like", as_is),
    },
    # Every definition here is active, and anyone may start it: true asks for all of
    # them, false (as everywhere in Camunda's DTOs) for nothing.
    flags=frozenset({"active", "startablePermissionCheck"}),
    merge=_merge,
)


def definition_query(
    parsed: ParsedQuery, groups_of: GroupsOf = no_groups
) -> StoreQuery[DefinitionCriteria]:
    """``GET /process-definition``'s criteria (Camunda's ``ProcessDefinitionQueryDto``);
    ``groups_of(user)``: the groups a ``startableBy`` user is in, whose candidate starter
    links count as the user's own (``ProcessDefinitionQueryImpl.startableByUser``)."""
    fields = parsed.fields
    user = fields.get("startable_by")
    if user is not None:
        fields = {**fields, "startable_by_groups": tuple(sorted(groups_of(user)))}
    return StoreQuery(DefinitionCriteria(**fields), sort_pairs(parsed, frozenset(DEFINITION_SORTS)))


def query(
    uow: UnitOfWork, definitions: StoreQuery[DefinitionCriteria], page: Page
) -> list[dict[str, Any]]:
    records = uow.store.definitions.matching(definitions.criteria, definitions.orderings, *page)
    return [process_definition_dto(record) for record in records]


def count(uow: UnitOfWork, definitions: StoreQuery[DefinitionCriteria]) -> int:
    return uow.store.definitions.count(definitions.criteria)


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
