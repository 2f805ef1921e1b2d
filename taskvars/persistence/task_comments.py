"""Comments on tasks (``store.task_comments``), kept by task id: a task's end leaves
them, as Camunda's history table does."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, insert, or_, select
from sqlalchemy.orm import Session

from taskvars.persistence.models import TaskComment
from taskvars.persistence.query_statements import in_batches


@dataclass(frozen=True)
class CommentRecord:
    id: str
    task_id: str
    process_instance_id: str | None
    root_process_instance_id: str | None
    user_id: str | None
    time: datetime
    message: str


class TaskComments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, comment: CommentRecord) -> None:
        self.session.execute(
            insert(TaskComment).values(
                id=comment.id,
                task_id=comment.task_id,
                process_instance_id=comment.process_instance_id,
                root_process_instance_id=comment.root_process_instance_id,
                user_id=comment.user_id,
                time=comment.time,
                message=comment.message,
            )
        )

    def of_task(self, task_id: str) -> list[CommentRecord]:
        """Newest first, as Camunda's ``selectCommentsByTaskId`` orders them."""
        rows = self.session.scalars(
            select(TaskComment)
            .where(TaskComment.task_id == task_id)
            .order_by(TaskComment.time.desc(), TaskComment.pk.desc())
        )
        return [_record(row) for row in rows]

    def get(self, task_id: str, comment_id: str) -> CommentRecord | None:
        row = self.session.scalar(
            select(TaskComment).where(TaskComment.task_id == task_id, TaskComment.id == comment_id)
        )
        return None if row is None else _record(row)

    def tasks_with_any(self, task_ids: Collection[str]) -> set[str]:
        """Which of ``task_ids`` have comments (a query per thousand ids)."""
        found: set[str] = set()
        for batch in in_batches(task_ids):
            found.update(
                self.session.scalars(
                    select(TaskComment.task_id).where(TaskComment.task_id.in_(batch)).distinct()
                )
            )
        return found

    def has_any(self, task_id: str) -> bool:
        return bool(self.tasks_with_any([task_id]))

    def delete_of_instances(self, instance_ids: list[str], task_ids: list[str]) -> None:
        """The comments of these process instances and of these tasks (Camunda's
        ``deleteCommentsByProcessInstanceIds`` and ``...ByTaskProcessInstanceIds``)."""
        for batch in in_batches(instance_ids):
            self._delete_where(
                TaskComment.process_instance_id.in_(batch),
                TaskComment.root_process_instance_id.in_(batch),
            )
        for batch in in_batches(task_ids):
            self._delete_where(TaskComment.task_id.in_(batch))

    def _delete_where(self, *any_of: ColumnElement[bool]) -> None:
        self.session.execute(
            delete(TaskComment).where(or_(*any_of)),
            execution_options={"synchronize_session": False},
        )


def _record(row: TaskComment) -> CommentRecord:
    return CommentRecord(
        id=row.id,
        task_id=row.task_id,
        process_instance_id=row.process_instance_id,
        root_process_instance_id=row.root_process_instance_id,
        user_id=row.user_id,
        time=row.time,
        message=row.message,
    )
