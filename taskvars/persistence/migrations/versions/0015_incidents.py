"""incidents: what a process instance needs a person for, and their history

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 13:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _incident_columns() -> list[sa.Column[object]]:
    """The columns both tables share, as Camunda's incident and historic incident."""
    return [
        sa.Column("execution_id", sa.String(length=255), nullable=False),
        sa.Column("process_definition_id", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=True),
        sa.Column("incident_type", sa.String(length=255), nullable=False),
        sa.Column("activity_id", sa.String(length=255), nullable=True),
        sa.Column("failed_activity_id", sa.String(length=255), nullable=True),
        sa.Column("cause_incident_id", sa.String(length=255), nullable=True),
        sa.Column("root_cause_incident_id", sa.String(length=255), nullable=True),
        sa.Column("configuration", sa.String(length=255), nullable=True),
        sa.Column("incident_message", sa.Text(), nullable=True),
        sa.Column("job_definition_id", sa.String(length=255), nullable=True),
        sa.Column("annotation", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("process_instance_pk", sa.Integer(), nullable=False),
        sa.Column("process_instance_id", sa.String(length=255), nullable=False),
        sa.Column("incident_timestamp", sa.DateTime(timezone=True), nullable=False),
        *_incident_columns(),
        sa.ForeignKeyConstraint(
            ["process_instance_pk"],
            ["scope.pk"],
            name=op.f("fk_incident_process_instance_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_incident")),
        sa.UniqueConstraint("id", name=op.f("uq_incident_id")),
    )
    op.create_index(
        op.f("ix_incident_process_instance_pk"), "incident", ["process_instance_pk"], unique=False
    )
    op.create_index(op.f("ix_incident_execution_id"), "incident", ["execution_id"], unique=False)
    op.create_index(
        "ix_incident_configuration_incident_type",
        "incident",
        ["configuration", "incident_type"],
        unique=False,
    )
    op.create_table(
        "history_incident",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("process_instance_pk", sa.Integer(), nullable=False),
        sa.Column("process_definition_key", sa.String(length=255), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("history_configuration", sa.String(length=255), nullable=True),
        sa.Column("incident_state", sa.Integer(), nullable=False),
        *_incident_columns(),
        sa.ForeignKeyConstraint(
            ["process_instance_pk"],
            ["history_process_instance.pk"],
            name=op.f("fk_history_incident_process_instance_pk_history_process_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_history_incident")),
        sa.UniqueConstraint("id", name=op.f("uq_history_incident_id")),
    )
    op.create_index(
        op.f("ix_history_incident_process_instance_pk"),
        "history_incident",
        ["process_instance_pk"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("history_incident")
    op.drop_table("incident")
