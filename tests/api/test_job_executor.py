"""The job executor of the server process: due jobs run once, failures count down the
retries (with Camunda's retry time cycles) to a ``failedJob`` incident, suspended and
locked jobs wait; driven by the test clock, which answers once the due jobs ran."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import Database
from taskvars.services import test_clock
from taskvars.settings import Settings
from tests import job_probes
from tests.api.incident_sites import Waiting, start_invoice
from tests.api_client import Api
from tests.job_probes import ALWAYS_RACES, FAIL, UNREACHABLE_ONCE, add_jobs, new_job

HOUR = 3_600_000


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, test_clock=True)


@pytest.fixture(autouse=True)
def system_clock() -> Iterator[None]:
    yield
    test_clock.reset()


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    opened = Database(db_url)
    yield opened
    opened.dispose()


def advance(api: Api, **body: Any) -> dict[str, Any]:
    response = api.client.post(api.url("/test-clock/advance"), json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def job(api: Api, job_id: str) -> dict[str, Any]:
    response = api.get(f"/job/{job_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def on_instance(database: Database, at: Waiting) -> dict[str, Any]:
    """NewJob fields putting a job on the waiting invoice."""

    def pk(uow: Any) -> int:
        found = uow.store.scopes.pk(IdSpace.EXECUTION, at.instance_id)
        assert found is not None
        return int(found)

    return {
        "process_instance_pk": database.read(pk),
        "process_instance_id": at.instance_id,
        "execution_id": at.execution_id,
        "activity_id": at.activity_id,
        "process_definition_id": at.definition_id,
        "process_definition_key": "invoice",
    }


def test_a_job_runs_once_when_the_clock_reaches_its_due_date(api: Api, database: Database) -> None:
    (job_id,) = add_jobs(database, new_job(due_in_millis=HOUR))
    assert job(api, job_id)["retries"] == 3

    assert advance(api, duration="PT30M")["jobsSettled"] is True
    assert job_probes.ran[job_id] == 0

    assert advance(api, milliseconds=HOUR)["jobsSettled"] is True
    assert job_probes.ran[job_id] == 1
    assert api.get(f"/job/{job_id}").status_code == 404


def test_a_job_added_while_the_executor_idles_wakes_it(api: Api, database: Database) -> None:
    (job_id,) = add_jobs(database, new_job(due_in_millis=0))
    deadline = time.monotonic() + 20
    while job_probes.ran[job_id] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job_probes.ran[job_id] == 1


def test_a_failing_job_spends_its_retries_then_opens_a_failed_job_incident(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    (job_id,) = add_jobs(database, new_job(FAIL, due_in_millis=HOUR, **on_instance(database, at)))

    advance(api, duration="PT2H")

    failed = job(api, job_id)
    assert failed["retries"] == 0
    assert failed["exceptionMessage"] == "boom"
    assert failed["failedActivityId"] == at.activity_id
    trace = api.get(f"/job/{job_id}/stacktrace")
    assert trace.headers["content-type"].startswith("text/plain")
    assert "RuntimeError: boom" in trace.text
    (incident,) = api.get("/incident", incidentType="failedJob").json()
    assert incident["configuration"] == job_id
    assert incident["processInstanceId"] == at.instance_id
    assert incident["incidentMessage"] == "boom"


def test_retries_set_again_resolve_the_incident_and_the_job_runs_again(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    (job_id,) = add_jobs(database, new_job(FAIL, due_in_millis=HOUR, **on_instance(database, at)))
    advance(api, duration="PT2H")
    assert api.get("/incident/count", incidentType="failedJob").json()["count"] == 1

    response = api.client.put(api.url(f"/job/{job_id}/retries"), json={"retries": 1})
    assert response.status_code == 204, response.text
    # The executor took it at once and it failed again: a new incident, the old resolved.
    deadline = time.monotonic() + 20
    while job(api, job_id)["retries"] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    history = api.get("/history/incident", incidentType="failedJob").json()
    assert sorted(item["resolved"] for item in history) == [False, True]


def test_a_retry_time_cycle_sets_the_retries_and_waits_between_them(
    api: Api, database: Database
) -> None:
    (job_id,) = add_jobs(database, new_job(FAIL, due_in_millis=HOUR, retry_time_cycle="R5/PT10M"))
    advance(api, duration="PT1H")
    assert job(api, job_id)["retries"] == 4  # R5: five tries in all

    advance(api, duration="PT5M")
    assert job(api, job_id)["retries"] == 4
    advance(api, duration="PT5M")
    assert job(api, job_id)["retries"] == 3


def test_intervals_of_a_retry_time_cycle_apply_in_turn(api: Api, database: Database) -> None:
    (job_id,) = add_jobs(database, new_job(FAIL, due_in_millis=0, retry_time_cycle="PT1M,PT10M"))
    advance(api, milliseconds=1)
    first = job(api, job_id)
    assert first["retries"] == 2  # one more than intervals
    advance(api, duration="PT1M")
    assert job(api, job_id)["retries"] == 1
    advance(api, duration="PT9M")
    assert job(api, job_id)["retries"] == 1
    advance(api, duration="PT1M")
    assert job(api, job_id)["retries"] == 0


def test_a_suspended_job_waits_until_activated(api: Api, database: Database) -> None:
    (job_id,) = add_jobs(database, new_job(due_in_millis=HOUR))
    suspended = api.client.put(api.url(f"/job/{job_id}/suspended"), json={"suspended": True})
    assert suspended.status_code == 204
    advance(api, duration="PT2H")
    assert job(api, job_id)["suspended"] is True
    assert job_probes.ran[job_id] == 0

    api.client.put(api.url(f"/job/{job_id}/suspended"), json={"suspended": False})
    advance(api, milliseconds=1)
    assert job_probes.ran[job_id] == 1


def test_a_job_another_process_locked_waits_for_its_lock_to_expire(
    api: Api, database: Database
) -> None:
    now = int(time.time() * 1000)
    (job_id,) = add_jobs(
        database,
        new_job(due_in_millis=0, lock_owner="crashed", lock_expiration_time=now + HOUR),
    )
    advance(api, duration="PT30M")
    assert job_probes.ran[job_id] == 0
    advance(api, duration="PT31M")
    assert job_probes.ran[job_id] == 1


def test_a_moved_due_date_is_kept(api: Api, database: Database) -> None:
    (job_id,) = add_jobs(database, new_job(due_in_millis=HOUR))
    response = api.client.put(
        api.url(f"/job/{job_id}/duedate"), json={"duedate": "2126-01-01T00:00:00.000+0000"}
    )
    assert response.status_code == 204, response.text
    assert job(api, job_id)["dueDate"] == "2126-01-01T00:00:00.000+0000"
    advance(api, duration="PT2H")
    assert job_probes.ran[job_id] == 0


def test_execute_runs_a_job_now_and_answers_its_failure_as_camunda(
    api: Api, database: Database
) -> None:
    ok, failing = add_jobs(
        database, new_job(due_in_millis=10 * HOUR), new_job(FAIL, due_in_millis=10 * HOUR)
    )
    assert api.client.post(api.url(f"/job/{ok}/execute")).status_code == 204
    assert job_probes.ran[ok] == 1

    response = api.client.post(api.url(f"/job/{failing}/execute"))
    assert response.status_code == 500
    assert response.json()["type"] == "RestException"
    assert response.json()["message"] == "boom"
    assert job(api, failing)["retries"] == 2

    missing = api.client.post(api.url("/job/nope/execute"))
    assert missing.status_code == 404
    assert missing.json()["type"] == "InvalidRequestException"


def test_a_deleted_job_never_runs(api: Api, database: Database) -> None:
    (job_id,) = add_jobs(database, new_job(due_in_millis=HOUR))
    assert api.client.delete(api.url(f"/job/{job_id}")).status_code == 204
    advance(api, duration="PT2H")
    assert job_probes.ran[job_id] == 0
    assert api.client.delete(api.url(f"/job/{job_id}")).status_code == 404


def test_negative_retries_are_refused_and_change_nothing(api: Api, database: Database) -> None:
    (job_id,) = add_jobs(database, new_job(due_in_millis=HOUR))
    response = api.client.put(api.url(f"/job/{job_id}/retries"), json={"retries": -1})
    assert response.status_code == 400
    assert job(api, job_id)["retries"] == 3
    unknown = api.client.put(api.url("/job/nope/retries"), json={"retries": 1})
    assert unknown.status_code == 500
    assert unknown.json()["message"] == "No job found with id 'nope'."


def test_a_job_the_database_failed_under_costs_no_retry_and_runs_again(
    api: Api, database: Database
) -> None:
    (job_id,) = add_jobs(database, new_job(UNREACHABLE_ONCE, due_in_millis=HOUR))
    assert advance(api, duration="PT2H")["jobsSettled"] is True
    assert job_probes.unreachable[job_id] == 1
    after = job(api, job_id)
    assert after["retries"] == 3
    assert after["exceptionMessage"] is None
    assert api.get("/incident/count").json()["count"] == 0

    advance(api, duration="PT2S")  # its lock, shortened to the error backoff, expired
    assert job_probes.ran[job_id] == 1
    assert api.get(f"/job/{job_id}").status_code == 404


def test_execute_answers_a_database_outage_with_a_503_and_costs_no_retry(
    api: Api, database: Database
) -> None:
    (job_id,) = add_jobs(database, new_job(UNREACHABLE_ONCE, due_in_millis=10 * HOUR))
    response = api.client.post(api.url(f"/job/{job_id}/execute"))
    assert response.status_code == 503, response.text
    assert job(api, job_id)["retries"] == 3
    assert job(api, job_id)["exceptionMessage"] is None

    assert api.client.post(api.url(f"/job/{job_id}/execute")).status_code == 204
    assert job_probes.ran[job_id] == 1


def test_a_job_that_loses_every_race_fails_after_five_in_a_row_instead_of_running_forever(
    api: Api, database: Database
) -> None:
    (job_id,) = add_jobs(database, new_job(ALWAYS_RACES, due_in_millis=HOUR))
    assert advance(api, duration="PT2H")["jobsSettled"] is True
    # Released at once after each of the first four races, it ran again; the fifth in a
    # row is a failure like any other (a retry spent, the conflict kept as its message;
    # due again at once, as without a retry time cycle): three times five runs, then no
    # retries left, where it would have run for ever.
    assert job_probes.races[job_id] == 15
    after = job(api, job_id)
    assert after["retries"] == 0
    assert "changed meanwhile" in after["exceptionMessage"]


@pytest.mark.parametrize(
    "time", ["9999-12-31T23:59:00.000+0000", "0001-01-01T00:00:00.000+0000", "0999-06-01T00:00:00"]
)
def test_a_clock_set_where_dates_break_is_refused_and_the_server_goes_on(
    api: Api, time: str
) -> None:
    response = api.client.put(api.url("/test-clock"), json={"time": time})
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "InvalidRequestException"
    assert api.get("/test-clock").json()["offsetMillis"] == 0
    assert api.get("/deployment").status_code == 200
