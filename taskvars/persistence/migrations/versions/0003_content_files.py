"""binary content may live in a content file beside an SQLite database

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("binary_content", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_name", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_binary_content_file_name"), ["file_name"])


def downgrade() -> None:
    with op.batch_alter_table("binary_content", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_binary_content_file_name"), type_="unique")
        batch_op.drop_column("file_name")
