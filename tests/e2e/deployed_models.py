"""The models of tests/bpmn deployed over plain HTTP, for e2e tests of clients that have
no deployment call of their own (or whose own call is not what the test is about)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

MODELS = Path(__file__).parent.parent / "bpmn"


def deploy_model(http: httpx.Client, file_name: str) -> dict[str, Any]:
    """Deploys ``tests/bpmn/<file_name>`` as a deployment of its own; the one process
    definition it created (``ProcessDefinitionDto``)."""
    content = (MODELS / file_name).read_bytes()
    response = http.post("/deployment/create", files={"data": (file_name, content)})
    assert response.status_code == 200, response.text
    (definition,) = response.json()["deployedProcessDefinitions"].values()
    return dict(definition)


def start_instance(
    http: httpx.Client, key: str, business_key: str, **variables: Any
) -> dict[str, Any]:
    """Starts the latest definition of ``key`` with String (or untyped) variables; the
    ``ProcessInstanceWithVariablesDto``."""
    body = {
        "businessKey": business_key,
        "variables": {name: {"value": value} for name, value in variables.items()},
    }
    response = http.post(f"/process-definition/key/{key}/start", json=body)
    assert response.status_code == 200, response.text
    started: dict[str, Any] = response.json()
    return started
