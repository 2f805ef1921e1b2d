"""Which waiting executions a message reaches (``DefaultCorrelationHandler``), over
subscription rows as the engine writes them, on both databases; and POST /message's
refusals (nothing matching, several matching without ``all``, bad requests), which
write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services import message_correlation
from tests.api.incident_sites import Waiting, start_invoice
from tests.api.subscription_rows import subscribe, subscribe_start
from tests.api_client import Api

MISMATCH = "org.camunda.bpm.engine.MismatchingMessageCorrelationException: "


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    opened = Database(db_url)
    yield opened
    opened.dispose()


def matched(database: Database, **dto: Any) -> list[str]:
    """The process instances the message would reach."""
    request = message_correlation.correlation({"messageName": "paid", **dto})

    def work(uow: UnitOfWork) -> list[str]:
        found = message_correlation.matches(uow, request)
        return [str(match.subscription.process_instance_id) for match in found]

    return database.read(work)


def put_variable(api: Api, path: str, name: str, value: Any, value_type: str) -> None:
    response = api.client.put(api.url(f"{path}/{name}"), json={"value": value, "type": value_type})
    assert response.status_code == 204, response.text


def deliver(api: Api, **dto: Any) -> Any:
    return api.client.post(api.url("/message"), json={"messageName": "paid", **dto})


@pytest.fixture
def two_waiting(api: Api, database: Database) -> tuple[Waiting, Waiting]:
    first = start_invoice(api, "INV-1")
    second = start_invoice(api, "INV-2")
    subscribe(database, first, "paid")
    subscribe(database, second, "paid")
    return first, second


def test_a_business_key_picks_its_instance(
    database: Database, two_waiting: tuple[Waiting, Waiting]
) -> None:
    first, second = two_waiting

    assert matched(database, businessKey="INV-2") == [second.instance_id]
    assert matched(database, processInstanceId=first.instance_id) == [first.instance_id]


def test_correlation_keys_compare_typed_values_as_camunda_does(
    api: Api, database: Database, two_waiting: tuple[Waiting, Waiting]
) -> None:
    first, second = two_waiting
    put_variable(api, f"/process-instance/{first.instance_id}/variables", "order", 42, "Long")
    put_variable(api, f"/process-instance/{second.instance_id}/variables", "order", 7, "Integer")

    # An Integer key matches a Long variable of the same number, as Camunda's variable
    # queries compare integer types alike.
    keys = {"order": {"value": 42, "type": "Integer"}}
    assert matched(database, correlationKeys=keys) == [first.instance_id]
    # A String "42" is no number (``all``: no match is no refusal).
    assert matched(database, correlationKeys={"order": {"value": "42"}}, all=True) == []
    # The instance's start variable clerk is "anna" on both.
    both = {"clerk": {"value": "anna", "type": "String"}}
    assert matched(database, correlationKeys=both, all=True) == [
        first.instance_id,
        second.instance_id,
    ]


def test_local_correlation_keys_look_at_the_waiting_execution(
    api: Api, database: Database, two_waiting: tuple[Waiting, Waiting]
) -> None:
    _first, second = two_waiting
    put_variable(api, f"/execution/{second.execution_id}/localVariables", "slot", True, "Boolean")

    local = {"slot": {"value": True, "type": "Boolean"}}
    assert matched(database, localCorrelationKeys=local) == [second.instance_id]
    other = {"slot": {"value": False, "type": "Boolean"}}
    assert matched(database, localCorrelationKeys=other, all=True) == []


def test_all_reaches_every_waiting_execution(
    database: Database, two_waiting: tuple[Waiting, Waiting]
) -> None:
    first, second = two_waiting

    assert matched(database, all=True) == [first.instance_id, second.instance_id]


def test_a_message_nothing_waits_for_is_refused_with_camundas_mismatch(api: Api) -> None:
    response = deliver(api)

    assert response.status_code == 400
    assert (response.json()["type"], response.json()["code"]) == ("RestException", 0)
    assert response.json()["message"] == (
        MISMATCH + "Cannot correlate message 'paid': "
        "No process definition or execution matches the parameters"
    )


def test_two_waiting_executions_without_all_are_refused_and_both_keep_waiting(
    api: Api, two_waiting: tuple[Waiting, Waiting]
) -> None:
    response = deliver(api, processVariables={"paid": {"value": True}})

    assert response.status_code == 400
    assert response.json()["message"] == (
        MISMATCH + "ENGINE-13031 Cannot correlate a message with name 'paid' to a single "
        "execution. 2 executions match the correlation keys: CorrelationSet "
        "[businessKey=null, processInstanceId=null, processDefinitionId=null, "
        "correlationKeys=null, localCorrelationKeys=null, tenantId=null, "
        "isTenantIdSet=false, isExecutionsOnly=false]"
    )
    assert api.get("/event-subscription/count", eventName="paid").json() == {"count": 2}
    first, _ = two_waiting
    variables = api.get(f"/process-instance/{first.instance_id}/variables").json()
    assert "paid" not in variables


@pytest.mark.parametrize(
    ("dto", "message"),
    [
        ({"messageName": None}, "No message name supplied"),
        (
            {"tenantId": "t", "withoutTenantId": True},
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.",
        ),
        (
            {"variablesInResultEnabled": True},
            "Parameter 'variablesInResultEnabled' cannot be used without 'resultEnabled' set "
            "to true.",
        ),
        (
            {"correlationKeys": {"n": {"value": "x", "type": "Integer"}}},
            "Cannot deliver message: Cannot convert value 'x' of type 'Integer' to java type "
            "java.lang.Integer",
        ),
    ],
)
def test_a_malformed_message_is_refused(api: Api, dto: dict[str, Any], message: str) -> None:
    response = deliver(api, **dto)

    assert response.status_code == 400
    assert response.json()["message"] == message
    assert response.json()["type"] == "InvalidRequestException"


def test_a_tenant_with_a_process_instance_id_is_camundas_bad_user_request(api: Api) -> None:
    response = deliver(api, tenantId="t", processInstanceId="x")

    assert response.status_code == 400
    assert response.json()["type"] == "BadUserRequestException"


def test_without_a_waiting_execution_the_start_event_is_chosen(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    subscribe_start(database, at.definition_id, "paid")

    request = message_correlation.correlation({"messageName": "paid", "businessKey": "NEW"})
    (match,) = database.read(lambda uow: message_correlation.matches(uow, request))

    assert not match.is_execution
    assert match.subscription.process_definition_id == at.definition_id


def test_a_waiting_execution_goes_before_a_start_event(api: Api, database: Database) -> None:
    at = start_invoice(api)
    subscribe_start(database, at.definition_id, "paid")
    subscribe(database, at, "paid")

    assert matched(database) == [at.instance_id]
    # all: the execution and the start event alike.
    request = message_correlation.correlation({"messageName": "paid", "all": True})
    found = database.read(lambda uow: message_correlation.matches(uow, request))
    assert [match.is_execution for match in found] == [True, False]


def test_two_start_events_without_all_are_refused(api: Api, database: Database) -> None:
    at = start_invoice(api)
    subscribe_start(database, at.definition_id, "paid", "One")
    subscribe_start(database, at.definition_id, "paid", "Other")

    response = deliver(api, businessKey="B-1")

    assert response.status_code == 400
    assert response.json()["message"] == (
        MISMATCH + "ENGINE-13030 Cannot correlate a message with name 'paid' to a single "
        "process definition. 2 process definitions match the correlations keys: "
        "CorrelationSet [businessKey=B-1, processInstanceId=null, processDefinitionId=null, "
        "correlationKeys=null, localCorrelationKeys=null, tenantId=null, "
        "isTenantIdSet=false, isExecutionsOnly=false]"
    )


def test_a_tenant_narrows_the_waiting_executions(api: Api, database: Database) -> None:
    mine = start_invoice(api, "INV-1")
    untenanted = start_invoice(api, "INV-2")
    subscribe(database, mine, "paid", tenant_id="mine")
    subscribe(database, untenanted, "paid")

    assert matched(database, tenantId="mine") == [mine.instance_id]
    assert matched(database, withoutTenantId=True) == [untenanted.instance_id]
    assert matched(database, tenantId="theirs", all=True) == []
