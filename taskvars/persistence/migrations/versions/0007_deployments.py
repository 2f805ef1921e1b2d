"""deployments, their files, and the process definitions deployed from them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deployment",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("tenant_id", sa.String(length=255), nullable=False),
        sa.Column("deployment_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_deployment")),
        sa.UniqueConstraint("id", name=op.f("uq_deployment_id")),
    )
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_deployment_time"), ["deployment_time"], unique=False
        )
    op.create_table(
        "deployment_resource",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("deployment_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_pk"],
            ["deployment.pk"],
            name=op.f("fk_deployment_resource_deployment_pk_deployment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_deployment_resource")),
        sa.UniqueConstraint(
            "deployment_pk", "name", name=op.f("uq_deployment_resource_deployment_pk_name")
        ),
        sa.UniqueConstraint("id", name=op.f("uq_deployment_resource_id")),
    )
    op.create_table(
        "process_definition",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("version_tag", sa.String(length=255), nullable=True),
        sa.Column("history_time_to_live", sa.Integer(), nullable=True),
        sa.Column("deployment_pk", sa.Integer(), nullable=False),
        sa.Column("resource_name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_pk"],
            ["deployment.pk"],
            name=op.f("fk_process_definition_deployment_pk_deployment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_process_definition")),
        sa.UniqueConstraint("id", name=op.f("uq_process_definition_id")),
        sa.UniqueConstraint(
            "key", "tenant_id", "version", name=op.f("uq_process_definition_key_tenant_id_version")
        ),
    )
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_definition_deployment_pk"), ["deployment_pk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_definition_deployment_pk"))
    op.drop_table("process_definition")
    op.drop_table("deployment_resource")
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_deployment_time"))
    op.drop_table("deployment")
