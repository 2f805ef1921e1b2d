"""Comments on tasks: Camunda's ``TaskCommentResourceImpl`` over ``AddCommentCmd`` and
``GetTaskComment(s)Cmd``, with its statuses and messages, as ``CommentDto``s."""

from __future__ import annotations

from typing import Any

from taskvars.errors import ForbiddenError, InvalidRequestError, NotFoundError
from taskvars.persistence.task_comments import CommentRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services import task_notes
from taskvars.services.dates import format_date, now_millis
from taskvars.services.task_defaults import new_id

# Camunda's answer to any engine refusal of the comment (a missing message).
NOT_ENOUGH_PARAMETERS = "Not enough parameters submitted"


def create(
    uow: UnitOfWork, task_id: str, dto: dict[str, Any], user_id: str | None
) -> dict[str, Any]:
    """Only ``message`` and ``processInstanceId`` of ``dto`` count, as in Camunda, which
    stores the latter unchecked; ``user_id``: who is signed in, if anybody."""
    task_notes.require_history(uow, ForbiddenError)
    task = task_notes.require_task(uow, task_id, InvalidRequestError)
    message = dto.get("message")
    if message is None:  # AddCommentCmd's ensureNotNull("Message", ...)
        raise InvalidRequestError(NOT_ENOUGH_PARAMETERS)
    comment = CommentRecord(
        id=new_id(),
        task_id=task_id,
        process_instance_id=dto.get("processInstanceId"),
        root_process_instance_id=task.process_instance_id,
        user_id=user_id,
        time=now_millis(),
        message=message,
    )
    uow.store.task_comments.add(comment)
    task_notes.noted(uow, task)
    uow.commit()
    return comment_dto(comment)


def of_task(uow: UnitOfWork, task_id: str) -> list[dict[str, Any]]:
    """Newest first; none while history is off, whatever the task."""
    if not task_notes.history_enabled(uow):
        return []
    task_notes.require_task(uow, task_id, NotFoundError)
    return [comment_dto(comment) for comment in uow.store.task_comments.of_task(task_id)]


def get(uow: UnitOfWork, task_id: str, comment_id: str) -> dict[str, Any]:
    task_notes.require_history(uow, NotFoundError)
    comment = uow.store.task_comments.get(task_id, comment_id)
    if comment is None:
        raise NotFoundError(
            f"Task comment with id {comment_id} does not exist for task id '{task_id}'."
        )
    return comment_dto(comment)


def comment_dto(comment: CommentRecord) -> dict[str, Any]:
    """Camunda's ``CommentDto`` (its ``links`` are the handler's to add)."""
    return {
        "links": [],
        "id": comment.id,
        "userId": comment.user_id,
        "taskId": comment.task_id,
        "processInstanceId": comment.process_instance_id,
        "time": format_date(comment.time),
        "message": comment.message,
        "removalTime": None,
        "rootProcessInstanceId": comment.root_process_instance_id,
    }
