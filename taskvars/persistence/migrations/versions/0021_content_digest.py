"""binary_content.sha256 becomes binary_content.digest, written "algorithm:hex": new
content is hashed with XXH3-128, content stored before keeps its SHA-256, now written
"sha256:hex" (see taskvars.content_digest)

Downgrading is refused while any content carries an XXH3-128 digest: the SHA-256 the
earlier schema wants could only come from reading every such value again.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # RENAME COLUMN: SQLite 3.25 and PostgreSQL alike, without copying the table.
    op.execute("ALTER TABLE binary_content RENAME COLUMN sha256 TO digest")
    if op.get_bind().dialect.name != "sqlite":  # SQLite holds no VARCHAR to its length
        op.alter_column("binary_content", "digest", type_=sa.String(), existing_nullable=False)
    op.execute("UPDATE binary_content SET digest = 'sha256:' || digest")


def downgrade() -> None:
    newer = op.get_bind().execute(
        sa.text("SELECT count(*) FROM binary_content WHERE digest NOT LIKE 'sha256:%'")
    )
    count = newer.scalar_one()
    if count:
        raise RuntimeError(
            f"{count} stored values carry an XXH3-128 digest, which revision 0020 cannot "
            "hold (it keeps a SHA-256): delete them or stay at revision 0021"
        )
    op.execute("UPDATE binary_content SET digest = substr(digest, 8)")
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "binary_content", "digest", type_=sa.String(length=64), existing_nullable=False
        )
    op.execute("ALTER TABLE binary_content RENAME COLUMN digest TO sha256")
