"""``GET``/``POST /job`` and their counts: Camunda's job query criteria, sorting, paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.persistence.unit_of_work import Database
from tests.api_client import Api
from tests.job_probes import add_jobs, new_job

HOUR = 3_600_000


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    opened = Database(db_url)
    yield opened
    opened.dispose()


@pytest.fixture
def three(database: Database) -> list[str]:
    """A timer in an hour, a continuation in two with 0 retries, a suspended timer in 3."""
    return add_jobs(
        database,
        new_job(due_in_millis=HOUR, priority=5, tenant_id="a"),
        new_job(due_in_millis=2 * HOUR, type="message", retries=0, exception_message="x"),
        new_job(due_in_millis=3 * HOUR, suspended=True, process_instance_id="pi-1"),
    )


def ids(api: Api, **query: Any) -> list[str]:
    response = api.get("/job", **query)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


def posted(api: Api, body: dict[str, Any]) -> list[str]:
    response = api.client.post(api.url("/job"), json=body)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


def test_criteria_narrow_the_jobs(api: Api, three: list[str]) -> None:
    first, second, third = three
    assert ids(api, timers="true", sortBy="jobDueDate", sortOrder="asc") == [first, third]
    assert ids(api, messages="true") == [second]
    assert ids(api, noRetriesLeft="true") == [second]
    assert ids(api, withException="true") == [second]
    assert ids(api, suspended="true") == [third]
    assert ids(api, active="true", withRetriesLeft="true") == [first]
    assert ids(api, processInstanceId="pi-1") == [third]
    assert ids(api, tenantIdIn="a") == [first]
    assert ids(api, priorityHigherThanOrEquals="5") == [first]
    assert ids(api, jobIds=f"{first},{third}", sortBy="jobId", sortOrder="asc") == sorted(
        [first, third]
    )
    assert ids(api, executable="true") == []


def test_due_date_conditions_and_sorting_in_a_json_query(api: Api, three: list[str]) -> None:
    first, second, third = three
    job = api.get(f"/job/{second}").json()
    due = job["dueDate"]
    assert posted(api, {"dueDates": [{"operator": "lt", "value": due}]}) == [first]
    assert posted(
        api,
        {
            "dueDates": [{"operator": "gt", "value": due}],
            "sorting": [{"sortBy": "jobDueDate", "sortOrder": "desc"}],
        },
    ) == [third]
    assert posted(api, {"sorting": [{"sortBy": "jobDueDate", "sortOrder": "desc"}]}) == [
        third,
        second,
        first,
    ]
    count = api.client.post(api.url("/job/count"), json={"timers": True})
    assert count.json() == {"count": 2}
    assert api.get("/job/count", dueDates=f"lt_{due}").json() == {"count": 1}


def test_paging_and_the_dto(api: Api, three: list[str]) -> None:
    assert len(ids(api, firstResult=1, maxResults=1)) == 1
    job = api.get(f"/job/{three[0]}").json()
    assert set(job) == {
        "id", "jobDefinitionId", "processInstanceId", "executionId", "processDefinitionId",
        "processDefinitionKey", "exceptionMessage", "failedActivityId", "retries", "dueDate",
        "suspended", "priority", "tenantId", "createTime", "batchId",
    }  # fmt: skip
    assert job["batchId"] is None
    assert job["priority"] == 5


def test_timers_and_messages_together_are_refused(api: Api) -> None:
    response = api.get("/job", timers="true", messages="true")
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"


def test_an_unknown_job_is_a_404(api: Api) -> None:
    response = api.get("/job/nope")
    assert response.status_code == 404
    assert response.json()["message"] == "Job with id nope does not exist"
    assert api.get("/job/nope/stacktrace").status_code == 404


def test_the_test_clock_is_refused_when_the_server_runs_without_it(api: Api) -> None:
    response = api.get("/test-clock")
    assert response.status_code == 403
    assert "--test-clock" in response.json()["message"]
    advanced = api.client.post(api.url("/test-clock/advance"), json={"milliseconds": 1})
    assert advanced.status_code == 403
