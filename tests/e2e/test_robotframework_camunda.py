"""``robotframework-camunda`` from PyPI: the keywords of its ``CamundaLibrary``, called
from Python on an instance as a Robot suite would call them (not through Robot's
runner), against a real server process. The library runs on ``generic-camunda-client``
and appends ``/engine-rest`` to the host it is given."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from CamundaLibrary import CamundaLibrary

from tests.e2e.deployed_models import MODELS
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


@pytest.fixture
def library(server: Server) -> CamundaLibrary:
    host = server.base_url.removesuffix("/engine-rest")
    return CamundaLibrary(host)


def test_deploy_sends_its_flags_as_python_spells_them_and_filters_duplicates(
    library: CamundaLibrary,
) -> None:
    """``deploy``: a multipart ``POST /deployment/create`` with ``deploy-changed-only`` and
    ``enable-duplicate-filtering`` as ``True`` (Python's ``str(True)``), the file's name
    as ``deployment-name`` and the file in a part named ``data``."""
    model = str(MODELS / "invoice.bpmn")
    first: dict[str, Any] = library.deploy(model)
    assert first["name"] == "invoice.bpmn"
    (definition,) = first["deployed_process_definitions"].values()
    assert (definition["key"], definition["version"], definition["name"]) == (
        "invoice",
        1,
        "Invoice approval",
    )
    assert definition["deployment_id"] == first["id"]
    again = library.deploy(model)
    assert again["id"] == first["id"]
    assert again["deployed_process_definitions"] is None
    (listed,) = library.get_process_definitions(key="invoice")
    assert listed.id == definition["id"]


def test_get_process_instances_filters_and_sorts(
    library: CamundaLibrary, http: httpx.Client
) -> None:
    """``get_process_instances``: ``GET /process-instance`` with the keyword's arguments
    as query parameters (booleans as the strings the caller passes)."""
    response = http.post(
        "/deployment/create",
        files={"data": ("invoice.bpmn", (MODELS / "invoice.bpmn").read_bytes())},
    )
    assert response.status_code == 200, response.text
    started = {
        key: library.start_process("invoice", variables={"clerk": "anna"}, business_key=key)
        for key in ["INV-1", "INV-2", "INV-3"]
    }
    listed = library.get_process_instances(
        process_definition_key="invoice", sort_by="businessKey", sort_order="desc"
    )
    assert [instance["business_key"] for instance in listed] == ["INV-3", "INV-2", "INV-1"]
    newest = listed[0]
    assert newest["id"] == started["INV-3"]["id"]
    assert newest["definition_id"] == started["INV-3"]["definition_id"]
    assert (newest["suspended"], newest["tenant_id"], newest["links"]) == (False, None, [])
    (by_key,) = library.get_process_instances(business_key="INV-2")
    assert by_key["id"] == started["INV-2"]["id"]
    active = library.get_all_active_process_instances("invoice")
    assert sorted(instance["business_key"] for instance in active) == ["INV-1", "INV-2", "INV-3"]
    assert library.get_process_instances(process_definition_key="nothing") == []


def test_get_version_names_a_camunda_7_version(library: CamundaLibrary) -> None:
    """``get_version``: ``GET /version``, read as ``VersionDto``."""
    version = library.get_version()
    assert re.fullmatch(r"7\.\d+\.\d+(-\w+)?", version.version), version
