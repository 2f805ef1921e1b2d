"""Jobs made for a suspended instance are suspended (Camunda's ``JobEntity.insert``:
a job of a suspended execution is suspended with it), so that no executor runs them
until the instance is activated."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, start
from tests.api_client import Api


def test_a_timer_a_suspended_caller_arms_as_its_called_instance_ends_is_suspended(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "suspended-caller-timer.bpmn")
    caller = start(api, "waitingCaller")
    (called,) = api.get("/process-instance", superProcessInstance=caller).json()
    suspended = api.client.put(
        api.url(f"/process-instance/{caller}/suspended"), json={"suspended": True}
    )
    assert suspended.status_code == 204, suspended.text
    (work,) = api.get("/task", processInstanceId=called["id"]).json()

    done = api.client.post(api.url(f"/task/{work['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    (timer,) = api.get("/job", processInstanceId=caller).json()
    assert timer["suspended"] is True
    assert timer["dueDate"] is not None  # the timer, not a continuation
    activated = api.client.put(
        api.url(f"/process-instance/{caller}/suspended"), json={"suspended": False}
    )
    assert activated.status_code == 204, activated.text
    (timer,) = api.get("/job", processInstanceId=caller).json()
    assert timer["suspended"] is False
