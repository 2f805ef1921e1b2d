"""historic variables keep the typed value columns (long_value, double_value), so that
the historic task query compares their values as the runtime's queries do

Rows written before get them from the runtime row of their variable while it exists;
those whose variable is gone keep them empty (a value criterion on a number, Boolean or
date does not match them).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("history_variable", schema=None) as batch_op:
        batch_op.add_column(sa.Column("long_value", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("double_value", sa.Double(), nullable=True))
    # The runtime rows of variables still alive hold the typed columns: copy them.
    connection = op.get_bind()
    variable = sa.table(
        "variable",
        sa.column("id", sa.String),
        sa.column("long_value", sa.BigInteger),
        sa.column("double_value", sa.Double),
    )
    history = sa.table(
        "history_variable",
        sa.column("id", sa.String),
        sa.column("long_value", sa.BigInteger),
        sa.column("double_value", sa.Double),
    )
    live = sa.select(variable.c.long_value).where(variable.c.id == history.c.id)
    live_double = sa.select(variable.c.double_value).where(variable.c.id == history.c.id)
    connection.execute(
        sa.update(history).values(
            long_value=live.scalar_subquery(), double_value=live_double.scalar_subquery()
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("history_variable", schema=None) as batch_op:
        batch_op.drop_column("double_value")
        batch_op.drop_column("long_value")
