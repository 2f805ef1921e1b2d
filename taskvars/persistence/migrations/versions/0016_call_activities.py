"""call activities: the links between a calling and a called process instance

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance") as batch:
        batch.add_column(sa.Column("super_execution_id", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("super_process_instance_id", sa.String(length=255), nullable=True)
        )
        batch.add_column(
            sa.Column("root_process_instance_id", sa.String(length=255), nullable=True)
        )
        batch.create_index(
            batch.f("ix_process_instance_super_execution_id"), ["super_execution_id"]
        )
        batch.create_index(
            batch.f("ix_process_instance_super_process_instance_id"),
            ["super_process_instance_id"],
        )
    with op.batch_alter_table("history_process_instance") as batch:
        batch.add_column(
            sa.Column("super_process_instance_id", sa.String(length=255), nullable=True)
        )
        batch.add_column(
            sa.Column("root_process_instance_id", sa.String(length=255), nullable=True)
        )
        batch.create_index(
            batch.f("ix_history_process_instance_super_process_instance_id"),
            ["super_process_instance_id"],
        )
    with op.batch_alter_table("history_activity_instance") as batch:
        batch.add_column(
            sa.Column("called_process_instance_id", sa.String(length=255), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("history_activity_instance") as batch:
        batch.drop_column("called_process_instance_id")
    with op.batch_alter_table("history_process_instance") as batch:
        batch.drop_index(batch.f("ix_history_process_instance_super_process_instance_id"))
        batch.drop_column("root_process_instance_id")
        batch.drop_column("super_process_instance_id")
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_index(batch.f("ix_process_instance_super_process_instance_id"))
        batch.drop_index(batch.f("ix_process_instance_super_execution_id"))
        batch.drop_column("root_process_instance_id")
        batch.drop_column("super_process_instance_id")
        batch.drop_column("super_execution_id")
