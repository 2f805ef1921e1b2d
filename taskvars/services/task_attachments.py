"""Attachments of tasks: Camunda's ``TaskAttachmentResourceImpl`` over
``CreateAttachmentCmd``, ``GetTaskAttachment(s)Cmd``, ``GetTaskAttachmentContentCmd``
and ``DeleteAttachmentCmd``, with its statuses and messages, as ``AttachmentDto``s.

Content is a binary value like a variable's: spooled as it arrives, stored in the
binary store, downloaded as a ``Bytes`` variable is (``application/octet-stream``, as
Camunda's ``@Produces`` says, with ranges and ETags).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskvars.errors import ForbiddenError, InvalidRequestError, NotFoundError
from taskvars.persistence.task_attachments import AttachmentRecord, NewAttachment
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import BinarySource, StoredValue
from taskvars.services import task_notes
from taskvars.services.dates import format_date, now_millis
from taskvars.services.task_defaults import new_id

NO_CONTENT_OR_URL = "No content or url to remote content exists to create the task attachment."


@dataclass(frozen=True)
class AttachmentUpload:
    """The parts of ``POST /task/{id}/attachment/create`` that mean something."""

    name: str | None = None
    description: str | None = None
    type: str | None = None
    url: str | None = None
    content: BinarySource | None = None

    @property
    def content_bytes(self) -> int:
        return self.content.size if self.content is not None else 0


def create(uow: UnitOfWork, task_id: str, upload: AttachmentUpload) -> dict[str, Any]:
    """With a ``content`` part the ``url`` is not kept: Camunda's resource calls the
    engine's content form of ``createAttachment``, which has no url."""
    task_notes.require_history(uow, ForbiddenError)
    task = task_notes.require_task(uow, task_id, InvalidRequestError)
    if upload.content is None and upload.url is None:
        raise InvalidRequestError(NO_CONTENT_OR_URL)
    attachment = NewAttachment(
        id=new_id(),
        task_id=task_id,
        root_process_instance_id=task.process_instance_id,
        name=upload.name,
        description=upload.description,
        type=upload.type,
        url=upload.url if upload.content is None else None,
        create_time=now_millis(),
        content=upload.content,
    )
    uow.store.task_attachments.add(attachment)
    task_notes.noted(uow, task)
    uow.commit()
    return attachment_dto(attachment)


def of_task(uow: UnitOfWork, task_id: str) -> list[dict[str, Any]]:
    """In the order they were added; none while history is off, whatever the task."""
    if not task_notes.history_enabled(uow):
        return []
    task_notes.require_task(uow, task_id, NotFoundError)
    return [attachment_dto(found) for found in uow.store.task_attachments.of_task(task_id)]


def get(uow: UnitOfWork, task_id: str, attachment_id: str) -> dict[str, Any]:
    task_notes.require_history(uow, NotFoundError)
    found = uow.store.task_attachments.get(task_id, attachment_id)
    if found is None:
        raise NotFoundError(
            f"Task attachment with id {attachment_id} does not exist for task id '{task_id}'."
        )
    return attachment_dto(found)


def content(uow: UnitOfWork, task_id: str, attachment_id: str) -> StoredValue:
    """The attachment's content as a ``Bytes`` value, for the variables' download."""
    task_notes.require_history(uow, NotFoundError)
    found = uow.store.task_attachments.get(task_id, attachment_id)
    if found is None or found.content is None:  # a url attachment has none
        raise NotFoundError(
            f"Attachment content for attachment with id '{attachment_id}' does not exist "
            f"for task id '{task_id}'."
        )
    stored = found.content
    return StoredValue(
        name=found.name or "",
        scope_pk=0,  # not a variable's
        type="Bytes",
        text_value=None,
        content_pk=stored.pk,
        content_size=stored.size,
        content_digest=stored.digest,
        content_file=stored.file_name,
        filename=None,
        mime_type=None,
        encoding=None,
        object_type_name=None,
        serialization_data_format=None,
        revision=0,
    )


def delete(uow: UnitOfWork, task_id: str, attachment_id: str) -> None:
    task_notes.require_history(uow, ForbiddenError)
    store = uow.store
    if store.task_attachments.get(task_id, attachment_id) is None:
        raise NotFoundError(
            f"Deletion is not possible. No attachment exists for task id '{task_id}' and "
            f"attachment id '{attachment_id}'."
        )
    store.task_attachments.delete(attachment_id)
    running = store.tasks.get(task_id)
    if running is not None:
        task_notes.noted(uow, task_notes.NotedTask(task_id, running.pk, None))
    uow.commit()


def attachment_dto(attachment: AttachmentRecord | NewAttachment) -> dict[str, Any]:
    """Camunda's ``AttachmentDto`` (its ``links`` are the handler's to add)."""
    return {
        "links": [],
        "id": attachment.id,
        "name": attachment.name,
        "description": attachment.description,
        "taskId": attachment.task_id,
        "type": attachment.type,
        "url": attachment.url,
        "createTime": format_date(attachment.create_time),
        "removalTime": None,
        "rootProcessInstanceId": attachment.root_process_instance_id,
    }
