"""Attachments of tasks (``store.task_attachments``), kept by task id like comments. An
attachment's content is a row of the binary store (and, on SQLite, maybe a content
file) that it alone holds: written as a variable's is, and deleted with it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.orm import Session

from taskvars.persistence.binary_contents import BinaryContents
from taskvars.persistence.models import BinaryContent, TaskAttachment
from taskvars.persistence.query_statements import in_batches
from taskvars.persistence.values import BinarySource


@dataclass(frozen=True)
class NewAttachment:
    id: str
    task_id: str
    root_process_instance_id: str | None
    name: str | None
    description: str | None
    type: str | None
    url: str | None
    create_time: datetime
    content: BinarySource | None


@dataclass(frozen=True)
class StoredContent:
    """Where an attachment's bytes are, as downloads read them."""

    pk: int
    size: int
    digest: str
    file_name: str | None


@dataclass(frozen=True)
class AttachmentRecord:
    id: str
    task_id: str
    root_process_instance_id: str | None
    name: str | None
    description: str | None
    type: str | None
    url: str | None
    create_time: datetime
    content: StoredContent | None


class TaskAttachments:
    def __init__(self, session: Session, contents: BinaryContents) -> None:
        self.session = session
        self._contents = contents

    def add(self, attachment: NewAttachment) -> None:
        content_pk = None
        if attachment.content is not None:
            content_pk = self._contents.write(attachment.content)
        self.session.execute(
            insert(TaskAttachment).values(
                id=attachment.id,
                task_id=attachment.task_id,
                root_process_instance_id=attachment.root_process_instance_id,
                name=attachment.name,
                description=attachment.description,
                type=attachment.type,
                url=attachment.url,
                content_pk=content_pk,
                create_time=attachment.create_time,
            )
        )

    def of_task(self, task_id: str) -> list[AttachmentRecord]:
        """In the order they were added."""
        return self._records(TaskAttachment.task_id == task_id)

    def get(self, task_id: str, attachment_id: str) -> AttachmentRecord | None:
        found = self._records(TaskAttachment.task_id == task_id, TaskAttachment.id == attachment_id)
        return found[0] if found else None

    def delete(self, attachment_id: str) -> None:
        """The attachment and its content (its file once the transaction commits)."""
        content_pk = self.session.scalar(
            delete(TaskAttachment)
            .where(TaskAttachment.id == attachment_id)
            .returning(TaskAttachment.content_pk)
        )
        if content_pk is not None:
            self._contents.delete(content_pk)

    def tasks_with_any(self, task_ids: Collection[str]) -> set[str]:
        """Which of ``task_ids`` have attachments (a query per thousand ids)."""
        found: set[str] = set()
        for batch in in_batches(task_ids):
            found.update(
                self.session.scalars(
                    select(TaskAttachment.task_id)
                    .where(TaskAttachment.task_id.in_(batch))
                    .distinct()
                )
            )
        return found

    def has_any(self, task_id: str) -> bool:
        return bool(self.tasks_with_any([task_id]))

    def delete_of_instances(self, instance_ids: list[str], task_ids: list[str]) -> None:
        """The attachments of these process instances' tasks, with their contents
        (Camunda's ``deleteAttachmentsByTaskProcessInstanceIds``)."""
        content_pks: list[int | None] = []
        for batch in in_batches(instance_ids):
            content_pks.extend(
                self._delete_where(TaskAttachment.root_process_instance_id.in_(batch))
            )
        for batch in in_batches(task_ids):
            content_pks.extend(self._delete_where(TaskAttachment.task_id.in_(batch)))
        for content_pk in content_pks:
            if content_pk is not None:
                self._contents.delete(content_pk)

    def _delete_where(self, condition: ColumnElement[bool]) -> list[int | None]:
        """Delete the matching attachments; their content pks."""
        return list(
            self.session.scalars(
                delete(TaskAttachment).where(condition).returning(TaskAttachment.content_pk)
            )
        )

    def _records(self, *conditions: ColumnElement[bool]) -> list[AttachmentRecord]:
        rows = self.session.execute(
            select(
                TaskAttachment,
                BinaryContent.size,
                BinaryContent.digest,
                BinaryContent.file_name,
            )
            .outerjoin(BinaryContent, BinaryContent.pk == TaskAttachment.content_pk)
            .where(*conditions)
            .order_by(TaskAttachment.pk)
        )
        return [_record(*row) for row in rows]


def _record(
    row: TaskAttachment, size: int | None, digest: str | None, file_name: str | None
) -> AttachmentRecord:
    content = None
    if row.content_pk is not None and size is not None and digest is not None:
        content = StoredContent(row.content_pk, size, digest, file_name)
    return AttachmentRecord(
        id=row.id,
        task_id=row.task_id,
        root_process_instance_id=row.root_process_instance_id,
        name=row.name,
        description=row.description,
        type=row.type,
        url=row.url,
        create_time=row.create_time,
        content=content,
    )
