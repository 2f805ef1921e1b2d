"""process instances run by the BPMN engine: their engine state, the task columns a
model gives (form key, process definition), and their history (instances and the final
values of their variables)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "process_run",
        sa.Column("scope_pk", sa.Integer(), nullable=False),
        sa.Column("process_definition_pk", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scope_pk"],
            ["scope.pk"],
            name=op.f("fk_process_run_scope_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_definition_pk"],
            ["process_definition.pk"],
            name=op.f("fk_process_run_process_definition_pk_process_definition"),
        ),
        sa.PrimaryKeyConstraint("scope_pk", name=op.f("pk_process_run")),
    )
    with op.batch_alter_table("process_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_run_process_definition_pk"),
            ["process_definition_pk"],
            unique=False,
        )
    op.create_table(
        "history_process_instance",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("business_key", sa.String(length=255), nullable=True),
        sa.Column("process_definition_id", sa.String(length=255), nullable=False),
        sa.Column("process_definition_key", sa.String(length=255), nullable=False),
        sa.Column("process_definition_name", sa.String(length=255), nullable=True),
        sa.Column("process_definition_version", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_history_process_instance")),
        sa.UniqueConstraint("id", name=op.f("uq_history_process_instance_id")),
    )
    with op.batch_alter_table("history_process_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_history_process_instance_process_definition_id"),
            ["process_definition_id"],
            unique=False,
        )
    op.create_table(
        "history_variable",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("process_instance_pk", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(length=255), nullable=True),
        sa.Column("task_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("content_pk", sa.Integer(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("encoding", sa.String(length=255), nullable=True),
        sa.Column("object_type_name", sa.Text(), nullable=True),
        sa.Column("serialization_data_format", sa.String(length=255), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_instance_pk"],
            ["history_process_instance.pk"],
            name=op.f("fk_history_variable_process_instance_pk_history_process_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["content_pk"],
            ["binary_content.pk"],
            name=op.f("fk_history_variable_content_pk_binary_content"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_history_variable")),
        sa.UniqueConstraint("id", name=op.f("uq_history_variable_id")),
    )
    with op.batch_alter_table("history_variable", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_history_variable_process_instance_pk"),
            ["process_instance_pk"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_history_variable_content_pk"), ["content_pk"], unique=False
        )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_key", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("process_definition_id", sa.String(length=255), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("process_definition_id")
        batch_op.drop_column("form_key")
    op.drop_table("history_variable")
    op.drop_table("history_process_instance")
    with op.batch_alter_table("process_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_run_process_definition_pk"))
    op.drop_table("process_run")
