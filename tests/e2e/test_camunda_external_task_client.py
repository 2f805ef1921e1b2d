"""``camunda-external-task-client-python3`` from PyPI (import name ``camunda``): the calls
its ``EngineClient`` and ``ProcessDefinitionClient`` make on process instances and
definitions, run unmodified against a real server process. Its external-task worker
(``fetchAndLock``) runs in test_external_task_workers.py."""

from __future__ import annotations

import base64
import warnings

import httpx
import pytest

from tests.e2e.deployed_models import deploy_model, start_instance
from tests.e2e.server import Server

with warnings.catch_warnings():
    # Its camunda/utils/auth_bearer.py declares a pydantic V1-style validator (pydantic
    # is a dependency it uses without declaring: camunda-client brings it here).
    warnings.filterwarnings("ignore", "Pydantic V1 style", DeprecationWarning)
    from camunda.client.engine_client import EngineClient
    from camunda.process_definition.process_definition_client import ProcessDefinitionClient

pytestmark = pytest.mark.e2e


def test_start_process_then_find_it_by_key_and_variable(server: Server, http: httpx.Client) -> None:
    """``start_process``: ``POST /process-definition/key/{key}/start`` with untyped
    variables (``{"value": ...}``) and ``businessKey``; ``get_process_instance``:
    ``GET /process-instance?processDefinitionKey=..&variables=name_eq_value``."""
    invoice = deploy_model(http, "invoice.bpmn")
    engine = EngineClient(server.base_url)
    anna = engine.start_process("invoice", {"clerk": "anna"}, business_key="INV-1")
    bob = engine.start_process("invoice", {"clerk": "bob"}, business_key="INV-2")
    assert (bob["definitionId"], bob["businessKey"], bob["ended"]) == (
        invoice["id"],
        "INV-2",
        False,
    )

    listed = engine.get_process_instance(process_key="invoice")
    assert sorted(instance["id"] for instance in listed) == sorted([anna["id"], bob["id"]])
    (found,) = engine.get_process_instance(process_key="invoice", variables=["clerk_eq_bob"])
    assert (found["id"], found["businessKey"], found["suspended"]) == (bob["id"], "INV-2", False)
    assert engine.get_process_instance(variables=["clerk_eq_cy"]) == []


def test_a_binary_process_variable_is_read_with_its_data(
    server: Server, http: httpx.Client
) -> None:
    """``get_process_instance_variable``: ``GET /process-instance/{id}/variables/{name}``,
    then ``.../data``, whose bytes it returns base64-encoded (``encodebytes``)."""
    deploy_model(http, "invoice.bpmn")
    engine = EngineClient(server.base_url)
    scan = b"%PDF-1.7 scan\x00\xff"
    started = engine.start_process(
        "invoice",
        {
            "clerk": "anna",
            "scan": {"type": "Bytes", "value": base64.b64encode(scan).decode()},
        },
    )
    value = engine.get_process_instance_variable(started["id"], "scan")
    assert base64.decodebytes(value.encode()) == scan
    with_meta = engine.get_process_instance_variable(started["id"], "scan", with_meta=True)
    assert (with_meta["type"], with_meta["value"]) == ("Bytes", value)


def test_start_process_by_version_starts_the_latest_definition_with_that_tag(
    server: Server, http: httpx.Client
) -> None:
    """``start_process_by_version``: ``GET /process-definition?key=..&versionTagLike=<tag>%
    &sortBy=version&sortOrder=desc&firstResult=0&maxResults=1``, then
    ``POST /process-definition/{id}/start``."""
    deploy_model(http, "invoice.bpmn")
    latest = deploy_model(http, "invoice.bpmn")
    assert latest["version"] == 2
    definitions = ProcessDefinitionClient(server.base_url)
    started = definitions.start_process_by_version(
        "invoice", "1", {"clerk": "anna"}, business_key="INV-5"
    )
    assert (started["definitionId"], started["businessKey"]) == (latest["id"], "INV-5")
    with pytest.raises(Exception, match="no process definitions found"):
        definitions.start_process_by_version("invoice", "2", {})


def test_correlate_message_by_business_key_returns_camundas_result(
    server: Server, http: httpx.Client
) -> None:
    """``correlate_message``: ``POST /message`` with ``resultEnabled``, formatted
    ``processVariables`` and, without a tenant, ``withoutTenantId: true``; it returns
    the JSON list of ``MessageCorrelationResultWithVariableDto``."""
    deploy_model(http, "message-waits.bpmn")
    start_instance(http, "payment", "ORDER-1")
    second = start_instance(http, "payment", "ORDER-2")["id"]
    engine = EngineClient(server.base_url)

    (result,) = engine.correlate_message(
        "paid", business_key="ORDER-2", process_variables={"amount": 30}
    )

    assert result["resultType"] == "Execution"
    assert result["execution"]["processInstanceId"] == second
    amount = http.get(f"/process-instance/{second}/variables/amount").json()
    assert (amount["type"], amount["value"]) == ("Integer", 30)
    (waiting,) = http.get("/event-subscription", params={"processInstanceId": second}).json()
    assert waiting["activityId"] == "Shipped"


def test_correlate_message_to_one_instance_by_id(server: Server, http: httpx.Client) -> None:
    """With ``process_instance_id`` it sends neither ``tenantId`` nor ``withoutTenantId``."""
    deploy_model(http, "message-waits.bpmn")
    first = start_instance(http, "payment", "ORDER-1")["id"]
    engine = EngineClient(server.base_url)
    engine.correlate_message("paid", process_instance_id=first)

    (result,) = engine.correlate_message("shipped", process_instance_id=first)

    assert result["execution"]["processInstanceId"] == first
    (waiting,) = http.get("/event-subscription", params={"processInstanceId": first}).json()
    assert waiting["activityId"] == "Recall"


def test_correlate_message_nothing_waits_for_raises_with_camundas_message(
    server: Server, http: httpx.Client
) -> None:
    engine = EngineClient(server.base_url)

    with pytest.raises(Exception, match="received 400 : RestException"):
        engine.correlate_message("nobody-waits")
