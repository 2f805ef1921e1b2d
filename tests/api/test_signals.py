"""Signals over HTTP: a signal throw event and a signal end event broadcast to every
subscription of their name (waiting instances, a definition's signal start event); a
broadcast from outside (as ``POST /signal`` will) carries its variables."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import BPMN, broadcast_signal, deploy, start, subscriptions
from tests.api_client import Api
from tests.multipart_bodies import Part


def history(api: Api, instance_id: str) -> list[tuple[str, str]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"]) for a in found]


def tasks(api: Api, key: str) -> list[str]:
    found = api.get("/task", taskDefinitionKey=key).json()
    return sorted(t["processInstanceId"] for t in found)


def test_a_thrown_signal_reaches_two_waiting_instances_and_its_end_event_starts_another(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signals.bpmn")
    waiting = sorted([start(api, "waitForGo"), start(api, "waitForGo")])
    assert [(s.event_type, s.event_name) for s in subscriptions(db_url, waiting[0])] == [
        ("signal", "go")
    ]
    sender = start(api, "sender")
    (send,) = api.get("/task", processInstanceId=sender).json()

    done = api.client.post(api.url(f"/task/{send['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    assert tasks(api, "afterGo") == waiting
    assert history(api, sender)[2:] == [
        ("Go", "intermediateSignalThrow"),
        ("Alerted", "signalEndEvent"),
    ]
    (alerted,) = api.get("/process-instance", processDefinitionKey="onAlert").json()
    assert history(api, alerted["id"]) == [
        ("AlertStart", "signalStartEvent"),
        ("investigate", "userTask"),
    ]
    assert subscriptions(db_url, waiting[0]) == []


def test_a_broadcast_fires_every_waiting_instance_with_its_variables(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signals.bpmn")
    waiting = sorted([start(api, "waitForGo"), start(api, "waitForGo")])

    broadcast_signal(db_url, "go", {"why": {"value": "ready", "type": "String"}})

    assert tasks(api, "afterGo") == waiting
    for instance_id in waiting:
        why = api.get(f"/process-instance/{instance_id}/variables/why").json()
        assert why["value"] == "ready"
    broadcast_signal(db_url, "nobody-listens")  # no subscription: nothing happens


def test_a_signal_thrown_on_one_branch_reaches_the_other_branch_of_the_same_instance(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signal-self.bpmn")
    instance_id = start(api, "selfSignal")
    (prepare,) = api.get("/task", processInstanceId=instance_id).json()

    done = api.client.post(api.url(f"/task/{prepare['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    assert tasks(api, "go") == [instance_id]
    assert subscriptions(db_url, instance_id) == []
    (go,) = api.get("/task", processInstanceId=instance_id).json()
    assert go["executionId"] == instance_id  # the scope's last branch, compacted


def test_a_suspended_instance_is_not_signalled(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "signals.bpmn")
    waiting, suspended = start(api, "waitForGo"), start(api, "waitForGo")
    put = api.client.put(
        api.url(f"/process-instance/{suspended}/suspended"), json={"suspended": True}
    )
    assert put.status_code == 204, put.text

    broadcast_signal(db_url, "go")

    assert tasks(api, "afterGo") == [waiting]
    assert len(subscriptions(db_url, suspended)) == 1


def deploy_for_tenants(api: Api) -> dict[str | None, str]:
    """signals.bpmn without a tenant and for the tenant acme: the definition ids of its
    processes, by key and tenant."""
    file = BPMN / "signals.bpmn"
    for tenant in (None, "acme"):
        parts = [
            Part("deployment-name", "signals", content_type="text/plain"),
            Part("data", file.read_bytes(), filename=file.name),
        ]
        if tenant is not None:
            parts.append(Part("tenant-id", tenant, content_type="text/plain"))
        assert api.post_parts("/deployment/create", *parts).status_code == 200
    return {
        f"{definition['key']}:{definition['tenantId']}": definition["id"]
        for definition in api.get("/process-definition").json()
    }


def start_definition(api: Api, definition_id: str) -> str:
    started = api.client.post(api.url(f"/process-definition/{definition_id}/start"), json={})
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


def test_a_signal_without_a_tenant_reaches_only_the_instances_without_one(api: Api) -> None:
    # SignalEventReceivedCmd: withoutTenantId sets the tenant (to none), as tenantId does.
    definitions = deploy_for_tenants(api)
    plain = start_definition(api, definitions["waitForGo:None"])
    acme = start_definition(api, definitions["waitForGo:acme"])

    response = api.client.post(api.url("/signal"), json={"name": "go", "withoutTenantId": True})

    assert response.status_code == 204, response.text
    assert tasks(api, "afterGo") == [plain]
    response = api.client.post(api.url("/signal"), json={"name": "go", "tenantId": "acme"})
    assert response.status_code == 204, response.text
    assert tasks(api, "afterGo") == sorted([plain, acme])


def test_a_thrown_signal_reaches_its_tenant_and_no_tenant_only_from_no_tenant(
    api: Api,
) -> None:
    # ThrowSignalEventActivityBehavior: a tenant's throw reaches its tenant's and those
    # without one; a throw without a tenant only those without one.
    definitions = deploy_for_tenants(api)
    plain = start_definition(api, definitions["waitForGo:None"])
    acme = start_definition(api, definitions["waitForGo:acme"])

    def send(definition_id: str) -> None:
        sender = start_definition(api, definition_id)
        (task,) = api.get("/task", processInstanceId=sender).json()
        done = api.client.post(api.url(f"/task/{task['id']}/complete"), json={})
        assert done.status_code == 204, done.text

    send(definitions["sender:None"])
    assert tasks(api, "afterGo") == [plain]

    later = start_definition(api, definitions["waitForGo:None"])
    send(definitions["sender:acme"])
    assert tasks(api, "afterGo") == sorted([plain, acme, later])
