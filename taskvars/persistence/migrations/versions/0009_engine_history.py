"""history written as instances run: variable ids (UUIDs, never reused, kept by
history), the state of historic variables, activity and task instances, the delete
reason and start activity of historic process instances

Variables that exist get an id each; the variables of instances still running get their
historic rows now (they were written only at an instance's end before).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:20:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("variable", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sa.String(length=255), nullable=True))
    connection = op.get_bind()
    variable = sa.table("variable", sa.column("pk", sa.Integer), sa.column("id", sa.String))
    pks = [row.pk for row in connection.execute(sa.select(variable.c.pk))]
    if pks:
        connection.execute(
            sa.update(variable)
            .where(variable.c.pk == sa.bindparam("variable_pk"))
            .values(id=sa.bindparam("new_id")),
            [{"variable_pk": pk, "new_id": str(uuid.uuid4())} for pk in pks],
        )
    with op.batch_alter_table("variable", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.String(length=255), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_variable_id"), ["id"])

    with op.batch_alter_table("history_process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delete_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("start_activity_id", sa.String(length=255), nullable=True))
    with op.batch_alter_table("history_variable", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="CREATED")
        )
    with op.batch_alter_table("history_variable", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=16), server_default=None)

    op.create_table(
        "history_activity_instance",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("process_instance_pk", sa.Integer(), nullable=False),
        sa.Column("parent_activity_instance_id", sa.String(length=255), nullable=False),
        sa.Column("execution_id", sa.String(length=255), nullable=False),
        sa.Column("activity_id", sa.String(length=255), nullable=False),
        sa.Column("activity_name", sa.String(length=255), nullable=True),
        sa.Column("activity_type", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=255), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("canceled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_instance_pk"],
            ["history_process_instance.pk"],
            name=op.f("fk_history_activity_instance_process_instance_pk_history_process_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_history_activity_instance")),
        sa.UniqueConstraint("id", name=op.f("uq_history_activity_instance_id")),
    )
    with op.batch_alter_table("history_activity_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_history_activity_instance_process_instance_pk"),
            ["process_instance_pk"],
            unique=False,
        )
    op.create_table(
        "history_task_instance",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("process_instance_pk", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(length=255), nullable=False),
        sa.Column("activity_instance_id", sa.String(length=255), nullable=False),
        sa.Column("task_definition_key", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("assignee", sa.String(length=255), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["process_instance_pk"],
            ["history_process_instance.pk"],
            name=op.f("fk_history_task_instance_process_instance_pk_history_process_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_history_task_instance")),
        sa.UniqueConstraint("id", name=op.f("uq_history_task_instance_id")),
    )
    with op.batch_alter_table("history_task_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_history_task_instance_process_instance_pk"),
            ["process_instance_pk"],
            unique=False,
        )
    # Running instances: their variables become historic rows now, sharing content.
    op.execute(
        """
        INSERT INTO history_variable (id, process_instance_pk, execution_id, task_id, name,
            type, text_value, content_pk, filename, mime_type, encoding, object_type_name,
            serialization_data_format, create_time, state)
        SELECT v.id, h.pk,
            CASE WHEN s.kind = 'task' THEN NULL ELSE s.external_id END,
            CASE WHEN s.kind = 'task' THEN s.external_id ELSE NULL END,
            v.name, v.type, v.text_value, v.content_pk, v.filename, v.mime_type, v.encoding,
            v.object_type_name, v.serialization_data_format, h.start_time, 'CREATED'
        FROM variable v
        JOIN scope s ON s.pk = v.scope_pk
        JOIN scope pi ON pi.pk = COALESCE(s.process_instance_pk, s.pk)
        JOIN history_process_instance h ON h.id = pi.external_id AND h.state = 'ACTIVE'
        WHERE pi.kind = 'process_instance'
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("history_task_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_task_instance_process_instance_pk"))
    op.drop_table("history_task_instance")
    with op.batch_alter_table("history_activity_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_activity_instance_process_instance_pk"))
    op.drop_table("history_activity_instance")
    with op.batch_alter_table("history_variable", schema=None) as batch_op:
        batch_op.drop_column("state")
    with op.batch_alter_table("history_process_instance", schema=None) as batch_op:
        batch_op.drop_column("start_activity_id")
        batch_op.drop_column("delete_reason")
    with op.batch_alter_table("variable", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_variable_id"), type_="unique")
        batch_op.drop_column("id")
