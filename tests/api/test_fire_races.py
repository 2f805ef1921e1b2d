"""A wait fired by two requests at once: the one that read it before the other's step
committed is a conflict (409), with nothing written, however late it claims the run."""

from __future__ import annotations

from typing import Any

import pytest

from taskvars.engine.events import fire_wait
from taskvars.persistence.models import ScopeKind
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import ConcurrentModificationError, ScopeRef
from tests.api.event_runs import deploy, start
from tests.api_client import Api


def test_a_wait_another_request_fired_after_it_was_read_is_a_conflict(
    client: Any, db_url: str, database_kind: str
) -> None:
    if database_kind != "postgresql":
        pytest.skip("SQLite runs one writer at a time: reads and fires do not interleave")
    api = Api(client)
    deploy(api, "signals.bpmn")
    instance_id = start(api, "waitForGo")
    database = Database(db_url)
    try:
        with database.unit_of_work(write=True) as uow:
            found = uow.store.process_instances.get(instance_id)
            assert found is not None
            (read,) = uow.store.event_subscriptions.for_instance(found.pk)
            assert read.wait_key is not None
            # Another request delivers the signal and commits meanwhile.
            sent = api.client.post(api.url("/signal"), json={"name": "go"})
            assert sent.status_code == 204, sent.text

            instance = ScopeRef(found.pk, ScopeKind.PROCESS_INSTANCE, instance_id)
            with pytest.raises(ConcurrentModificationError):
                fire_wait(uow, instance, read.wait_key)
    finally:
        database.dispose()
    (after,) = api.get("/task", processInstanceId=instance_id).json()
    assert after["taskDefinitionKey"] == "afterGo"
