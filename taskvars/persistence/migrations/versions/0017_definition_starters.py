"""process definitions remember their candidate starter users and groups

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Definitions deployed before have none: their models were read without them.
    op.create_table(
        "process_definition_starter",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("definition_pk", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("group_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_pk"],
            ["process_definition.pk"],
            name=op.f("fk_process_definition_starter_definition_pk_process_definition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_process_definition_starter")),
    )
    for column in ("definition_pk", "user_id", "group_id"):
        op.create_index(
            op.f(f"ix_process_definition_starter_{column}"),
            "process_definition_starter",
            [column],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("process_definition_starter")
