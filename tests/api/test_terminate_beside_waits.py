"""A terminate end event in a sub-process cancels its other branches: the timers and
subscriptions of the catch events they waited at go with them."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, jobs, start, subscriptions
from tests.api_client import Api


def test_a_terminate_end_event_disarms_the_catch_events_of_its_scope(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "terminate-beside-timer.bpmn")
    instance_id = start(api, "terminateBesideTimer")
    assert len(jobs(db_url, instance_id)) == 1
    assert len(subscriptions(db_url, instance_id)) == 1
    (work,) = api.get("/task", processInstanceId=instance_id).json()

    done = api.client.post(api.url(f"/task/{work['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    (after,) = api.get("/task", processInstanceId=instance_id).json()
    assert after["taskDefinitionKey"] == "after"
    assert jobs(db_url, instance_id) == []
    assert subscriptions(db_url, instance_id) == []
