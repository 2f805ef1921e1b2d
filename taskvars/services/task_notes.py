"""What comments and attachments of tasks share, as Camunda's ``TaskCommentResourceImpl``
and ``TaskAttachmentResourceImpl`` do it: both are history, so nothing is noted, and
nothing read, while history is off; the task is looked up the way history knows it; a
running task noted on counts as updated.
"""

from __future__ import annotations

from dataclasses import dataclass

from taskvars.errors import ApiError
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.dates import now_millis

HISTORY_DISABLED = "History is not enabled"


@dataclass(frozen=True)
class NotedTask:
    id: str
    # Its scope while it runs; None once it ended.
    running_pk: int | None
    # The process instance of a running task: Camunda's ``rootProcessInstanceId`` (it
    # takes it from the task's execution, which an ended task no longer has).
    process_instance_id: str | None


def history_enabled(uow: UnitOfWork) -> bool:
    return uow.store.history.enabled


def require_history(uow: UnitOfWork, error: type[ApiError]) -> None:
    if not history_enabled(uow):
        raise error(HISTORY_DISABLED)


def require_task(uow: UnitOfWork, task_id: str, error: type[ApiError]) -> NotedTask:
    """Camunda's ``ensureTaskExists``, which asks history's task query: here a task that
    runs, one history recorded (a model's, running or ended), or one with comments or
    attachments already. History records no standalone tasks here, so what was noted on
    one is all that is left of it once it ended (docs/compatibility.md)."""
    store = uow.store
    running = store.tasks.get(task_id)
    if running is not None:
        return NotedTask(task_id, running.pk, running.process_instance_id)
    if (
        store.history.knows_task(task_id)
        or store.task_comments.has_any(task_id)
        or store.task_attachments.has_any(task_id)
    ):
        return NotedTask(task_id, None, None)
    raise error(f"No task found for task id {task_id}")


def noted(uow: UnitOfWork, task: NotedTask) -> None:
    """A running task changed (Camunda's ``triggerUpdateEvent``: its ``lastUpdated``)."""
    if task.running_pk is not None:
        uow.store.tasks.touch(task.running_pk, now_millis())


def forget(uow: UnitOfWork, instance_ids: list[str], task_ids: list[str]) -> None:
    """What was noted on these process instances and tasks, whose history went."""
    if instance_ids or task_ids:
        uow.store.task_comments.delete_of_instances(instance_ids, task_ids)
        uow.store.task_attachments.delete_of_instances(instance_ids, task_ids)
