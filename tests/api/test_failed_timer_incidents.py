"""A timer whose firing failed until it had no retries left is a ``failedJob``
incident; when its wait goes another way (the activity it is attached to completes),
the job goes and its incident with it (Camunda's ``JobEntity.delete`` deletes the
job's incident: gone from ``/incident``, ``deleted`` in history)."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, start
from tests.api_client import Api


def test_a_failed_boundary_timer_disarmed_by_its_task_completing_takes_its_incident(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "failing-reminder.bpmn")
    instance_id = start(api, "failingReminder")
    (timer,) = api.get("/job", processInstanceId=instance_id).json()
    for _ in range(3):
        failed = api.client.post(api.url(f"/job/{timer['id']}/execute"))
        assert failed.status_code == 500, failed.text
    (incident,) = api.get("/incident", processInstanceId=instance_id).json()
    assert (incident["incidentType"], incident["configuration"]) == ("failedJob", timer["id"])
    (review,) = api.get("/task", processInstanceId=instance_id).json()

    done = api.client.post(api.url(f"/task/{review['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    assert api.get("/job", processInstanceId=instance_id).json() == []
    assert api.get("/incident", processInstanceId=instance_id).json() == []
    (history,) = api.get("/history/incident", processInstanceId=instance_id).json()
    assert history["deleted"] is True


def test_a_failed_timer_executed_once_more_successfully_resolves_its_incident(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "failing-reminder.bpmn")
    instance_id = start(api, "failingReminder")
    (timer,) = api.get("/job", processInstanceId=instance_id).json()
    for _ in range(3):
        failed = api.client.post(api.url(f"/job/{timer['id']}/execute"))
        assert failed.status_code == 500, failed.text
    urgency = {"value": 2, "type": "Integer"}
    put = api.client.put(
        api.url(f"/process-instance/{instance_id}/variables/urgency"), json=urgency
    )
    assert put.status_code == 204, put.text

    ran = api.client.post(api.url(f"/job/{timer['id']}/execute"))

    assert ran.status_code == 204, ran.text
    assert api.get("/incident", processInstanceId=instance_id).json() == []
    (history,) = api.get("/history/incident", processInstanceId=instance_id).json()
    assert (history["resolved"], history["deleted"]) == (True, False)


def test_deleting_an_instance_with_a_failed_timer_deletes_its_incident(client: Any) -> None:
    api = Api(client)
    deploy(api, "failing-reminder.bpmn")
    instance_id = start(api, "failingReminder")
    (timer,) = api.get("/job", processInstanceId=instance_id).json()
    for _ in range(3):
        failed = api.client.post(api.url(f"/job/{timer['id']}/execute"))
        assert failed.status_code == 500, failed.text

    deleted = api.client.delete(api.url(f"/process-instance/{instance_id}"))

    assert deleted.status_code == 204, deleted.text
    assert api.get("/incident", processInstanceId=instance_id).json() == []
    (history,) = api.get("/history/incident", processInstanceId=instance_id).json()
    assert (history["resolved"], history["deleted"]) == (False, True)


def test_a_failed_event_sub_process_timer_goes_with_its_scope_and_takes_its_incident(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "failing-esp-timer.bpmn")
    instance_id = start(api, "failingEspTimer")
    (timer,) = api.get("/job", processInstanceId=instance_id).json()
    for _ in range(3):
        failed = api.client.post(api.url(f"/job/{timer['id']}/execute"))
        assert failed.status_code == 500, failed.text
    (review,) = api.get("/task", processInstanceId=instance_id).json()

    done = api.client.post(api.url(f"/task/{review['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    assert api.get("/job", processInstanceId=instance_id).json() == []
    assert api.get("/incident", processInstanceId=instance_id).json() == []
    (history,) = api.get("/history/incident", processInstanceId=instance_id).json()
    assert history["deleted"] is True
