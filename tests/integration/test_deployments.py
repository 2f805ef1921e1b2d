"""Deployments on a real database: BPMN files checked and stored with their process
definitions, versions numbered per key as Camunda numbers them, duplicates filtered, and
a refused file storing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskvars.errors import InvalidRequestError, ModelParseError, NotFoundError
from taskvars.persistence.deployments import DeploymentCriteria
from taskvars.persistence.unit_of_work import Database
from taskvars.services import deployments
from taskvars.services.deployments import DeploymentFile, DeploymentRequest
from taskvars.services.query_toolkit import StoreQuery

MODELS = Path(__file__).parent.parent / "bpmn"
INVOICE = DeploymentFile("invoice.bpmn", (MODELS / "invoice.bpmn").read_bytes())
PARALLEL = DeploymentFile("parallel-review.bpmn", (MODELS / "parallel-review.bpmn").read_bytes())
FORM = DeploymentFile("forms/check-invoice.html", b"<form></form>")


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def deploy(database: Database, *files: DeploymentFile, **options: Any) -> dict[str, Any]:
    with database.unit_of_work(write=True) as uow:
        return deployments.deploy(uow, DeploymentRequest(list(files), **options))


def definitions(deployed: dict[str, Any]) -> list[tuple[str, int, str]]:
    found = deployed["deployedProcessDefinitions"]
    assert isinstance(found, dict)
    return sorted((d["key"], d["version"], d["resource"]) for d in found.values())


def test_a_deployment_stores_its_files_and_one_definition_per_executable_process(
    database: Database,
) -> None:
    deployed = deploy(database, INVOICE, PARALLEL, FORM, name="invoices", source="test")
    assert definitions(deployed) == [
        ("invoice", 1, "invoice.bpmn"),
        ("parallelReview", 1, "parallel-review.bpmn"),
    ]
    found = deployed["deployedProcessDefinitions"]
    assert isinstance(found, dict)
    invoice = next(d for d in found.values() if d["key"] == "invoice")
    assert invoice["id"].startswith("invoice:1:")
    assert invoice["name"] == "Invoice approval"
    assert invoice["versionTag"] == "1"
    assert invoice["historyTimeToLive"] == 30
    assert invoice["deploymentId"] == deployed["id"]
    assert deployed["deployedCaseDefinitions"] is None
    with database.unit_of_work(write=False) as uow:
        assert deployments.get(uow, str(deployed["id"]))["name"] == "invoices"


def test_each_deployment_of_a_key_is_its_next_version(database: Database) -> None:
    versions = [definitions(deploy(database, INVOICE))[0][1] for _ in range(3)]
    assert versions == [1, 2, 3]
    assert definitions(deploy(database, INVOICE, tenant_id="acme")) == [
        ("invoice", 1, "invoice.bpmn")
    ]


def test_duplicate_filtering_returns_the_deployment_that_has_the_same_files(
    database: Database,
) -> None:
    first = deploy(database, INVOICE, name="invoices", duplicate_filtering=True)
    again = deploy(database, INVOICE, name="invoices", duplicate_filtering=True)
    assert again["id"] == first["id"]
    assert again["deployedProcessDefinitions"] is None
    changed = DeploymentFile("invoice.bpmn", INVOICE.content.replace(b"Check invoice", b"Check"))
    newer = deploy(database, changed, PARALLEL, name="invoices", changed_only=True)
    assert newer["id"] != first["id"]
    # Only the changed file was deployed: parallel-review.bpmn was new, so it is too.
    assert definitions(newer) == [
        ("invoice", 2, "invoice.bpmn"),
        ("parallelReview", 1, "parallel-review.bpmn"),
    ]
    unchanged_only = deploy(database, changed, PARALLEL, name="invoices", changed_only=True)
    assert unchanged_only["id"] == newer["id"]


def test_a_refused_file_refuses_the_whole_deployment_and_stores_nothing(
    database: Database,
) -> None:
    script = DeploymentFile(
        "bad.bpmn",
        INVOICE.content.replace(
            b"  </bpmn:process>", b'<bpmn:transaction id="tax" />\n  </bpmn:process>'
        ),
    )
    with pytest.raises(ModelParseError) as raised:
        deploy(database, INVOICE, script)
    assert raised.value.message.startswith("ENGINE-09005 Could not parse BPMN process. Errors: ")
    assert "\n* transaction is not supported (supported: " in raised.value.message
    assert raised.value.message.endswith("| resource bad.bpmn | line 32 | column 30")
    with database.unit_of_work(write=False) as uow:
        assert deployments.count(uow, StoreQuery(DeploymentCriteria())) == 0
    assert definitions(deploy(database, INVOICE)) == [("invoice", 1, "invoice.bpmn")]


def test_a_deployment_needs_files_each_named_once(database: Database) -> None:
    with pytest.raises(InvalidRequestError, match="No deployment resources"):
        deploy(database)
    with pytest.raises(InvalidRequestError, match=r"'invoice\.bpmn' twice"):
        deploy(database, INVOICE, INVOICE)


def test_deleting_a_deployment_removes_its_definitions(database: Database) -> None:
    deployed = deploy(database, INVOICE)
    with database.unit_of_work(write=True) as uow:
        deployments.delete(uow, str(deployed["id"]), cascade=False)
    with database.unit_of_work(write=False) as uow:
        assert deployments.count(uow, StoreQuery(DeploymentCriteria())) == 0
        with pytest.raises(NotFoundError, match="does not exist"):
            deployments.get(uow, str(deployed["id"]))
    # The key's versions start again: nothing of the deleted deployment is left.
    assert definitions(deploy(database, INVOICE)) == [("invoice", 1, "invoice.bpmn")]
