"""a process instance's scopes indexed with their kind and parent: the task query reads
an instance's tasks from the index alone on SQLite (replaces ix_scope_process_instance_pk,
whose first column it keeps for the foreign key's cascades)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scope", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scope_process_instance_pk_kind",
            ["process_instance_pk", "kind", "parent_pk"],
            unique=False,
        )
        batch_op.drop_index("ix_scope_process_instance_pk")


def downgrade() -> None:
    with op.batch_alter_table("scope", schema=None) as batch_op:
        batch_op.create_index("ix_scope_process_instance_pk", ["process_instance_pk"], unique=False)
        batch_op.drop_index("ix_scope_process_instance_pk_kind")
