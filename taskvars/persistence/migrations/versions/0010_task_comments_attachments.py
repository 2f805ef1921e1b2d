"""comments and attachments of tasks (Camunda's ACT_HI_COMMENT and ACT_HI_ATTACHMENT),
kept by task id so that they outlive the task; an attachment's content in the binary
store

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_comment",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("task_id", sa.String(length=255), nullable=False),
        sa.Column("process_instance_id", sa.String(length=255), nullable=True),
        sa.Column("root_process_instance_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_task_comment")),
        sa.UniqueConstraint("id", name=op.f("uq_task_comment_id")),
    )
    with op.batch_alter_table("task_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_comment_task_id"), ["task_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_task_comment_root_process_instance_id"),
            ["root_process_instance_id"],
            unique=False,
        )
    op.create_table(
        "task_attachment",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("task_id", sa.String(length=255), nullable=False),
        sa.Column("root_process_instance_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=255), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("content_pk", sa.Integer(), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_pk"],
            ["binary_content.pk"],
            name=op.f("fk_task_attachment_content_pk_binary_content"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_task_attachment")),
        sa.UniqueConstraint("id", name=op.f("uq_task_attachment_id")),
    )
    with op.batch_alter_table("task_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_attachment_content_pk"), ["content_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_task_attachment_root_process_instance_id"),
            ["root_process_instance_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_task_attachment_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_attachment_task_id"))
        batch_op.drop_index(batch_op.f("ix_task_attachment_root_process_instance_id"))
        batch_op.drop_index(batch_op.f("ix_task_attachment_content_pk"))
    op.drop_table("task_attachment")
    with op.batch_alter_table("task_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_comment_root_process_instance_id"))
        batch_op.drop_index(batch_op.f("ix_task_comment_task_id"))
    op.drop_table("task_comment")
