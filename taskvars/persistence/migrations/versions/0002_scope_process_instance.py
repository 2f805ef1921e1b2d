"""process instance of each scope

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 21:32:45.375225
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("scope", schema=None) as batch_op:
        batch_op.add_column(sa.Column("process_instance_pk", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_scope_process_instance_pk"), ["process_instance_pk"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_scope_process_instance_pk_scope"),
            "scope",
            ["process_instance_pk"],
            ["pk"],
            ondelete="CASCADE",
        )
    _backfill()


def _backfill() -> None:
    """Give existing scopes their process instance: children of one first, then each
    level below, until nothing changes (a tree is as deep as its longest chain)."""
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE scope SET process_instance_pk = parent_pk WHERE parent_pk IN "
            "(SELECT pk FROM scope WHERE kind = 'process_instance')"
        )
    )
    inherited = (
        "(SELECT parent.process_instance_pk FROM scope AS parent WHERE parent.pk = scope.parent_pk)"
    )
    while True:
        result = bind.execute(
            sa.text(
                f"UPDATE scope SET process_instance_pk = {inherited} "
                f"WHERE process_instance_pk IS NULL AND {inherited} IS NOT NULL"
            )
        )
        if result.rowcount == 0:
            break


def downgrade() -> None:

    with op.batch_alter_table("scope", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_scope_process_instance_pk_scope"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_scope_process_instance_pk"))
        batch_op.drop_column("process_instance_pk")
