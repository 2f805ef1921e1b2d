"""External tasks written straight through the store, for tests of what reads them:
no engine runs a model here. A task gets an execution of its own below its process
instance (Camunda makes an external task its own scope)."""

from __future__ import annotations

from itertools import count
from typing import Any

from taskvars.persistence.models import ExternalTask
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services.dates import epoch_millis, now_millis

MINUTE = 60_000
# A fixed start, so that creation times and their rendering are known.
CREATED = 1_764_936_000_000  # 2025-12-05T12:00:00.000+0000
_created = count()


def now() -> int:
    return epoch_millis(now_millis())


def add_external_task(
    db_url: str, instance_id: str, task_id: str, *, topic: str = "invoice", **columns: Any
) -> None:
    """An external task of the existing process instance ``instance_id``; ``columns``
    override the ``external_task`` defaults (activity ``serviceTask``, definition
    ``invoice:1:d1``, unlocked, retries never set, priority 0)."""

    def write(uow: UnitOfWork) -> None:
        store = uow.store
        instance = store.process_instances.get(instance_id)
        assert instance is not None, instance_id
        execution_id = f"{task_id}-execution"
        execution_pk = store.process_instances.add_execution(execution_id, instance.pk)
        defaults: dict[str, Any] = {
            "id": task_id,
            "execution_pk": execution_pk,
            "process_instance_pk": instance.pk,
            "execution_id": execution_id,
            "process_instance_id": instance_id,
            "business_key": instance.business_key,
            "activity_id": "serviceTask",
            "activity_instance_id": f"serviceTask:{task_id}",
            "process_definition_id": "invoice:1:d1",
            "process_definition_key": "invoice",
            "topic_name": topic,
            "priority": 0,
            "create_time": CREATED + next(_created),
        }
        store.session.add(ExternalTask(**(defaults | columns)))
        uow.commit()

    database = Database(db_url)
    try:
        database.write(write)
    finally:
        database.dispose()
