"""what the full task query compares and sorts: tasks' lastUpdated and creation order,
variables as numbers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 20:10:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INTEGER_TYPES = ("Short", "Integer", "Long")


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_updated", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_task_created"), ["created"], unique=False)
    with op.batch_alter_table("variable", schema=None) as batch_op:
        batch_op.add_column(sa.Column("long_value", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("double_value", sa.Double(), nullable=True))
    _fill_number_columns()


def _fill_number_columns() -> None:
    """Existing values get the numbers new writes store (see models.Variable)."""
    variable = sa.table(
        "variable",
        sa.column("pk", sa.Integer()),
        sa.column("type", sa.String()),
        sa.column("text_value", sa.Text()),
        sa.column("long_value", sa.BigInteger()),
        sa.column("double_value", sa.Double()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(variable.c.pk, variable.c.type, variable.c.text_value).where(
            variable.c.type.in_([*_INTEGER_TYPES, "Double", "Boolean", "Date"]),
            variable.c.text_value.is_not(None),
        )
    ).all()
    for pk, value_type, text in rows:
        numbers: dict[str, float | int] = {}
        if value_type in _INTEGER_TYPES:
            numbers["long_value"] = int(text)
        elif value_type == "Double":
            numbers["double_value"] = float(text)
        elif value_type == "Boolean":
            numbers["long_value"] = int(text == "true")
        else:  # Camunda's date format, as every stored Date is written
            instant = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
            numbers["long_value"] = round(instant.timestamp() * 1000)
        connection.execute(variable.update().where(variable.c.pk == pk).values(**numbers))


def downgrade() -> None:
    with op.batch_alter_table("variable", schema=None) as batch_op:
        batch_op.drop_column("double_value")
        batch_op.drop_column("long_value")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_created"))
        batch_op.drop_column("last_updated")
