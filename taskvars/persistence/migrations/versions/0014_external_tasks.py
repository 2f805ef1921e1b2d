"""external tasks: service tasks waiting for workers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_task",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("execution_pk", sa.Integer(), nullable=False),
        sa.Column("process_instance_pk", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(length=255), nullable=False),
        sa.Column("process_instance_id", sa.String(length=255), nullable=False),
        sa.Column("business_key", sa.String(length=255), nullable=True),
        sa.Column("activity_id", sa.String(length=255), nullable=False),
        sa.Column("activity_instance_id", sa.String(length=255), nullable=False),
        sa.Column("process_definition_id", sa.String(length=255), nullable=False),
        sa.Column("process_definition_key", sa.String(length=255), nullable=False),
        sa.Column("process_definition_version_tag", sa.String(length=255), nullable=True),
        sa.Column("tenant_id", sa.String(length=255), nullable=True),
        sa.Column("topic_name", sa.String(length=255), nullable=False),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        sa.Column("lock_expiration_time", sa.BigInteger(), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.Column("priority", sa.BigInteger(), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("extension_properties", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_pk"],
            ["scope.pk"],
            name=op.f("fk_external_task_execution_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_instance_pk"],
            ["scope.pk"],
            name=op.f("fk_external_task_process_instance_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_external_task")),
        sa.UniqueConstraint("id", name=op.f("uq_external_task_id")),
    )
    op.create_index(
        op.f("ix_external_task_execution_pk"), "external_task", ["execution_pk"], unique=False
    )
    op.create_index(
        op.f("ix_external_task_process_instance_pk"),
        "external_task",
        ["process_instance_pk"],
        unique=False,
    )
    op.create_index(
        "ix_external_task_topic_name_lock_expiration_time",
        "external_task",
        ["topic_name", "lock_expiration_time"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("external_task")
