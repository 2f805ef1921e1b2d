"""binary chunks are stored without compression on PostgreSQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:30:00

Values are mostly already compressed (images, PDFs, archives) or random; TOAST's pglz
spends CPU on every chunk to find that out. EXTERNAL keeps chunks out of line, as
before, without trying to compress them. It applies to rows written from now on.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE binary_chunk ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE binary_chunk ALTER COLUMN data SET STORAGE EXTENDED")
