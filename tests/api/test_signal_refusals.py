"""POST /signal's refusals, as Camunda answers them: no name, a tenant with an
execution, an execution that does not exist or does not wait for the signal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.persistence.unit_of_work import Database
from tests.api.incident_sites import start_invoice
from tests.api.subscription_rows import subscribe
from tests.api_client import Api


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    opened = Database(db_url)
    yield opened
    opened.dispose()


def throw(api: Api, **dto: Any) -> Any:
    return api.client.post(api.url("/signal"), json=dto)


def test_a_signal_without_a_name_is_refused(api: Api) -> None:
    response = throw(api, executionId="x")

    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "No signal name given",
        "code": None,
    }


def test_a_tenant_with_an_execution_is_camundas_bad_user_request(api: Api) -> None:
    response = throw(api, name="alarm", executionId="x", withoutTenantId=True)

    assert response.status_code == 400
    assert response.json()["type"] == "BadUserRequestException"
    assert response.json()["message"] == (
        "ENGINE-13027 Cannot specify a tenant-id when deliver a signal to a single execution."
    )


def test_a_signal_to_a_missing_execution_is_camundas_500(api: Api) -> None:
    response = throw(api, name="alarm", executionId="missing")

    assert response.status_code == 500
    assert response.json()["type"] == "NullValueException"
    assert response.json()["message"] == (
        "Cannot find execution with id 'missing': execution is null"
    )


def test_a_signal_to_an_execution_waiting_for_another_is_camundas_500(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    subscribe(database, at, "alarm", event_type="signal")
    subscribe(database, at, "other", event_type="message")

    response = throw(api, name="other", executionId=at.execution_id)

    assert response.status_code == 500
    assert (response.json()["type"], response.json()["code"]) == ("RestException", 0)
    assert response.json()["message"] == (
        f"Execution '{at.execution_id}' has not subscribed to a signal event with name 'other'."
    )
