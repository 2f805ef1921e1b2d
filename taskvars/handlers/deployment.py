"""Operations tagged `Deployment`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.links import with_self_link
from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.variable_operations import NO_CONTENT
from taskvars.services import deployments
from taskvars.services.deployments import DeploymentFile, DeploymentRequest
from taskvars.services.query_toolkit import Page
from taskvars.web.multipart import BinaryPart, MultipartForm, TextPart

# The form's settings; every other part is a file.
_SETTINGS = {
    "deployment-name": "name",
    "deployment-source": "source",
    "tenant-id": "tenant_id",
}
_FLAGS = {
    "enable-duplicate-filtering": "duplicate_filtering",
    "deploy-changed-only": "changed_only",
}


def create_deployment(multipart_form: MultipartForm) -> dict[str, Any]:
    with multipart_form:
        settings: dict[str, Any] = {}
        files: list[DeploymentFile] = []
        for name, part in multipart_form.parts.items():
            if isinstance(part, TextPart) and name in _SETTINGS:
                settings[_SETTINGS[name]] = part.text
            elif isinstance(part, TextPart) and name in _FLAGS:
                settings[_FLAGS[name]] = part.java_boolean
            elif isinstance(part, BinaryPart):
                # Held whole (a model is parsed whole, and kept in one row): bounded.
                deployments.require_resource_size(part.filename or name, part.size)
                # Named by the part's filename, else (only `data` can lack one) by its name.
                files.append(DeploymentFile(part.filename or name, part.spool.read_all()))
    request = DeploymentRequest(files, **settings)
    deployed = database().write(lambda uow: deployments.deploy(uow, request))
    # DeploymentRestServiceImpl.createDeployment: a self link to the deployment.
    return with_self_link(deployed, f"/deployment/{deployed['id']}")


def get_deployments(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = deployments.deployment_query(deployments.QUERY_SHAPE.from_parameters(parameters))
    page = Page(first_result, max_results)
    return database().read(lambda uow: deployments.query(uow, query, page))


def get_deployments_count(**parameters: Any) -> dict[str, int]:
    query = deployments.deployment_query(deployments.QUERY_SHAPE.from_parameters(parameters))
    return {"count": database().read(lambda uow: deployments.count(uow, query))}


def get_deployment(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: deployments.get(uow, id_))


def delete_deployment(
    id_: str,
    cascade: bool = False,
    skip_custom_listeners: bool = False,
    skip_io_mappings: bool = False,
) -> tuple[Any, int]:
    database().write(lambda uow: deployments.delete(uow, id_, cascade=cascade))
    return NO_CONTENT
