"""Event sub-processes started by a timer, a message or a signal, over HTTP: their start
events are armed on their scope's execution while it runs (a ``timer-start-event-subprocess``
job, an event subscription), an interrupting one cancels the scope's other activities and
disarms its starts, a non-interrupting one runs beside them and stays armed (Camunda's
``BpmnParse.parseEventSubprocess``, ``EventSubProcessStartEventActivityBehavior``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from taskvars.persistence.models import EventSubscription, Job
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from tests.api.event_runs import (
    broadcast_signal,
    deploy,
    execute_job,
    fire,
    jobs,
    start,
    subscriptions,
)
from tests.api_client import Api

KEY = "eventSubprocessStarts"
HOUR = 3_600_000


def _started(api: Api) -> str:
    deploy(api, "event-subprocess-starts.bpmn")
    return start(api, KEY)


def armed(db_url: str, instance_id: str) -> dict[str, str | None]:
    """Each armed start event's execution, by activity id."""
    found = {s.activity_id: s.execution_id for s in subscriptions(db_url, instance_id)}
    found.update({j.activity_id or "": j.execution_id for j in jobs(db_url, instance_id)})
    return found


def wait_key(db_url: str, instance_id: str, activity_id: str) -> str:
    (key,) = [
        s.wait_key for s in subscriptions(db_url, instance_id) if s.activity_id == activity_id
    ]
    assert key is not None
    return key


def rows_left(db_url: str, instance_id: str) -> tuple[int, int]:
    """The jobs and subscriptions still naming ``instance_id``."""

    def read(uow: UnitOfWork) -> tuple[int, int]:
        session = uow.store.session
        found = [
            session.scalar(
                select(func.count())
                .select_from(table)
                .where(table.process_instance_id == instance_id)
            )
            or 0
            for table in (Job, EventSubscription)
        ]
        return found[0], found[1]

    database = Database(db_url)
    try:
        counted: tuple[int, int] = database.write(read)
        return counted
    finally:
        database.dispose()


def tasks(api: Api, instance_id: str) -> list[str]:
    found = api.get("/task", processInstanceId=instance_id).json()
    return sorted(t["taskDefinitionKey"] for t in found)


def tree(api: Api, instance_id: str) -> Any:
    root = api.get(f"/process-instance/{instance_id}/activity-instances").json()

    def shape(node: dict[str, Any]) -> Any:
        return (node["activityId"], sorted(shape(c) for c in node["childActivityInstances"]))

    return sorted(shape(child) for child in root["childActivityInstances"])


def history(api: Api, instance_id: str) -> list[tuple[str, str, bool]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"], a["canceled"]) for a in found]


def executions_by_activity(api: Api, instance_id: str) -> dict[str, Any]:
    """The executions of each activity instance, by activity id: one for ``work``, a
    list of each instance's one for the others."""
    root = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    found: dict[str, Any] = {}
    pending = list(root["childActivityInstances"])
    while pending:
        node = pending.pop()
        pending.extend(node["childActivityInstances"])
        if node["activityId"] == "work":
            (found["work"],) = node["executionIds"]
        else:
            found.setdefault(node["activityId"], []).extend(node["executionIds"])
    return found


def work_execution(api: Api, instance_id: str) -> str:
    root = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    (work,) = [c for c in root["childActivityInstances"] if c["activityId"] == "work"]
    (execution_id,) = work["executionIds"]
    assert isinstance(execution_id, str)
    return execution_id


def test_starts_are_armed_on_their_scopes_execution_while_it_runs(client: Any, db_url: str) -> None:
    api = Api(client)
    instance_id = _started(api)
    work = work_execution(api, instance_id)
    assert armed(db_url, instance_id) == {
        "cancelStart": work,
        "noteStart": work,
        "pingStart": work,
        "abortStart": instance_id,
        "remindStart": instance_id,
        "timeoutStart": instance_id,
    }
    handlers = {j.activity_id: j.handler_type for j in jobs(db_url, instance_id)}
    assert set(handlers.values()) == {"timer-start-event-subprocess"}
    subs = {(s.event_type, s.event_name, s.activity_id) for s in subscriptions(db_url, instance_id)}
    assert subs == {
        ("message", "cancelWork", "cancelStart"),
        ("message", "note", "noteStart"),
        ("signal", "ping", "pingStart"),
        ("signal", "abort", "abortStart"),
    }


def test_a_non_interrupting_message_start_runs_beside_its_scope_at_each_message(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    instance_id = _started(api)
    key = wait_key(db_url, instance_id, "noteStart")

    fire(db_url, instance_id, key, variables={"noted": {"value": 1}})
    fire(db_url, instance_id, key)

    assert tasks(api, instance_id) == ["prepare", "readNote", "readNote"]
    assert tree(api, instance_id) == [
        ("work", [("onNote", [("readNote", [])]), ("onNote", [("readNote", [])]), ("prepare", [])])
    ]
    assert wait_key(db_url, instance_id, "noteStart") == key  # still armed
    # Each in an execution of its own below the sub-process's (concurrent in Camunda).
    executions = executions_by_activity(api, instance_id)
    work = executions["work"]
    assert len(executions["onNote"]) == 2
    assert len({work, executions["prepare"][0], *executions["onNote"]}) == 4
    assert ("noteStart", "messageStartEvent", False) in history(api, instance_id)
    noted = api.get("/variable-instance", processInstanceId=instance_id, variableName="noted")
    assert [v["value"] for v in noted.json()] == [1]


def test_an_interrupting_message_start_cancels_its_scope_and_disarms_its_starts(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    instance_id = _started(api)

    fire(db_url, instance_id, wait_key(db_url, instance_id, "cancelStart"))

    assert tasks(api, instance_id) == ["cleanUp"]
    assert tree(api, instance_id) == [("work", [("onCancel", [("cleanUp", [])])])]
    assert set(armed(db_url, instance_id)) == {"abortStart", "remindStart", "timeoutStart"}
    assert ("prepare", "userTask", True) in history(api, instance_id)
    assert ("cancelStart", "messageStartEvent", False) in history(api, instance_id)

    (task,) = api.get("/task", processInstanceId=instance_id).json()
    assert api.client.post(api.url(f"/task/{task['id']}/complete"), json={}).status_code == 204

    assert tasks(api, instance_id) == ["deliver"]
    assert set(armed(db_url, instance_id)) == {"abortStart", "remindStart", "timeoutStart"}


def test_the_starts_of_a_sub_process_go_as_it_ends(client: Any, db_url: str) -> None:
    api = Api(client)
    instance_id = _started(api)
    (task,) = api.get("/task", processInstanceId=instance_id).json()

    assert api.client.post(api.url(f"/task/{task['id']}/complete"), json={}).status_code == 204

    assert tasks(api, instance_id) == ["deliver"]
    assert set(armed(db_url, instance_id)) == {"abortStart", "remindStart", "timeoutStart"}


def test_a_non_interrupting_timer_cycle_starts_its_event_sub_process_at_each_repetition(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    instance_id = _started(api)
    (first,) = [j for j in jobs(db_url, instance_id) if j.activity_id == "remindStart"]
    assert first.due_date == first.create_time + HOUR

    execute_job(db_url, first.id)

    (second,) = [j for j in jobs(db_url, instance_id) if j.activity_id == "remindStart"]
    assert second.id == first.id
    assert second.due_date == first.due_date + HOUR
    assert tasks(api, instance_id) == ["prepare", "remind"]

    execute_job(db_url, second.id)

    assert [j for j in jobs(db_url, instance_id) if j.activity_id == "remindStart"] == []
    assert tasks(api, instance_id) == ["prepare", "remind", "remind"]
    assert ("remindStart", "startTimerEvent", False) in history(api, instance_id)
    # Spent: the steps that follow do not arm it again.
    (prepare,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey="prepare").json()
    assert api.client.post(api.url(f"/task/{prepare['id']}/complete"), json={}).status_code == 204
    assert "remindStart" not in armed(db_url, instance_id)


def test_an_interrupting_timer_cancels_the_process_and_every_armed_start(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    instance_id = _started(api)
    (timeout,) = [j for j in jobs(db_url, instance_id) if j.activity_id == "timeoutStart"]
    assert timeout.due_date == timeout.create_time + 10 * HOUR

    execute_job(db_url, timeout.id)

    assert tasks(api, instance_id) == ["late"]
    assert tree(api, instance_id) == [("onTimeout", [("late", [])])]
    assert armed(db_url, instance_id) == {}
    assert ("work", "subProcess", True) in history(api, instance_id)
    assert ("timeoutStart", "startTimerEvent", False) in history(api, instance_id)

    (late,) = api.get("/task", processInstanceId=instance_id).json()
    assert api.client.post(api.url(f"/task/{late['id']}/complete"), json={}).status_code == 204
    ended = api.get(f"/history/process-instance/{instance_id}").json()
    assert ended["state"] == "COMPLETED"


def test_signals_start_event_sub_processes_interrupting_or_not(client: Any, db_url: str) -> None:
    api = Api(client)
    instance_id = _started(api)

    broadcast_signal(db_url, "ping")

    assert tasks(api, instance_id) == ["prepare"]  # onPing ran through
    assert ("pingStart", "signalStartEvent", False) in history(api, instance_id)
    assert "pingStart" in armed(db_url, instance_id)

    broadcast_signal(db_url, "abort")

    assert tasks(api, instance_id) == ["handleAbort"]
    assert tree(api, instance_id) == [("onAbort", [("handleAbort", [])])]
    assert armed(db_url, instance_id) == {}


def test_deleting_the_instance_removes_its_armed_starts(client: Any, db_url: str) -> None:
    api = Api(client)
    instance_id = _started(api)

    assert api.client.delete(api.url(f"/process-instance/{instance_id}")).status_code == 204

    assert rows_left(db_url, instance_id) == (0, 0)


def test_a_timer_start_job_is_listed_and_executed_over_rest(client: Any) -> None:
    api = Api(client)
    instance_id = _started(api)
    listed = api.get("/job", processInstanceId=instance_id, activityId="timeoutStart").json()
    (job,) = listed
    assert job["executionId"] == instance_id

    executed = api.client.post(api.url(f"/job/{job['id']}/execute"))

    assert executed.status_code == 204, executed.text
    assert tasks(api, instance_id) == ["late"]
    assert api.get("/job", processInstanceId=instance_id).json() == []


def test_post_message_and_signal_reach_event_sub_processes(client: Any) -> None:
    api = Api(client)
    instance_id = _started(api)
    listed = api.get("/event-subscription", processInstanceId=instance_id).json()
    assert sorted((e["activityId"], e["eventType"]) for e in listed) == [
        ("abortStart", "signal"),
        ("cancelStart", "message"),
        ("noteStart", "message"),
        ("pingStart", "signal"),
    ]

    for _ in range(2):
        body = {"messageName": "note", "processInstanceId": instance_id}
        noted = api.client.post(api.url("/message"), json=body)
        assert noted.status_code == 204, noted.text

    assert tasks(api, instance_id) == ["prepare", "readNote", "readNote"]

    cancelled = api.client.post(api.url("/message"), json={"messageName": "cancelWork"})
    assert cancelled.status_code == 204, cancelled.text
    assert tasks(api, instance_id) == ["cleanUp"]

    aborted = api.client.post(api.url("/signal"), json={"name": "abort"})
    assert aborted.status_code == 204, aborted.text
    assert tasks(api, instance_id) == ["handleAbort"]
    assert api.get("/event-subscription", processInstanceId=instance_id).json() == []


def test_each_instance_of_a_multi_instance_sub_process_has_its_own_start(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "event-subprocess-in-loop.bpmn")
    items = {"value": '["a", "b"]', "type": "Json"}
    instance_id = start(api, "eventSubprocessInLoop", {"items": items})
    handles = api.get("/task", processInstanceId=instance_id).json()
    assert len(handles) == 2
    starts = subscriptions(db_url, instance_id)
    assert [s.activity_id for s in starts] == ["stopStart", "stopStart"]
    assert len({s.execution_id for s in starts}) == 2

    fire(db_url, instance_id, starts[0].wait_key or "")

    (left,) = subscriptions(db_url, instance_id)
    assert left == starts[1]
    assert tasks(api, instance_id) == ["handle"]
    (handle,) = api.get("/task", processInstanceId=instance_id).json()
    assert api.client.post(api.url(f"/task/{handle['id']}/complete"), json={}).status_code == 204
    assert tasks(api, instance_id) == ["afterItems"]
    assert subscriptions(db_url, instance_id) == []
