"""scope tree, variables and chunked binary content

Revision ID: 0001
Revises:
Create Date: 2026-11-27 21:02:25.990656
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "binary_content",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_binary_content")),
    )
    op.create_table(
        "scope",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column(
            "id_space",
            sa.Enum("execution", "task", name="idspace", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum("process_instance", "execution", "task", name="scopekind", native_enum=False),
            nullable=False,
        ),
        sa.Column("parent_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_pk"], ["scope.pk"], name=op.f("fk_scope_parent_pk_scope"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scope")),
        sa.UniqueConstraint("id_space", "external_id", name=op.f("uq_scope_id_space_external_id")),
    )
    with op.batch_alter_table("scope", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scope_parent_pk"), ["parent_pk"], unique=False)

    op.create_table(
        "binary_chunk",
        sa.Column("content_pk", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_pk"],
            ["binary_content.pk"],
            name=op.f("fk_binary_chunk_content_pk_binary_content"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("content_pk", "seq", name=op.f("pk_binary_chunk")),
    )
    op.create_table(
        "process_instance",
        sa.Column("scope_pk", sa.Integer(), nullable=False),
        sa.Column("business_key", sa.String(length=255), nullable=True),
        sa.Column("process_definition_key", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["scope_pk"],
            ["scope.pk"],
            name=op.f("fk_process_instance_scope_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scope_pk", name=op.f("pk_process_instance")),
    )
    op.create_table(
        "task",
        sa.Column("scope_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("assignee", sa.String(length=255), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("delegation_state", sa.String(length=16), nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("task_definition_key", sa.String(length=255), nullable=True),
        sa.Column("tenant_id", sa.String(length=255), nullable=True),
        sa.Column("case_instance_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["scope_pk"], ["scope.pk"], name=op.f("fk_task_scope_pk_scope"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("scope_pk", name=op.f("pk_task")),
    )
    op.create_table(
        "variable",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("scope_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("content_pk", sa.Integer(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("encoding", sa.String(length=255), nullable=True),
        sa.Column("object_type_name", sa.Text(), nullable=True),
        sa.Column("serialization_data_format", sa.String(length=255), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_pk"],
            ["binary_content.pk"],
            name=op.f("fk_variable_content_pk_binary_content"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scope_pk"], ["scope.pk"], name=op.f("fk_variable_scope_pk_scope"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_variable")),
        sa.UniqueConstraint("scope_pk", "name", name=op.f("uq_variable_scope_pk_name")),
    )
    with op.batch_alter_table("variable", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_variable_content_pk"), ["content_pk"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("variable", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_variable_content_pk"))

    op.drop_table("variable")
    op.drop_table("task")
    op.drop_table("process_instance")
    op.drop_table("binary_chunk")
    with op.batch_alter_table("scope", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scope_parent_pk"))

    op.drop_table("scope")
    op.drop_table("binary_content")
