"""jobs (timers, asynchronous continuations) and event subscriptions (messages, signals)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 18:44:14.046478
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_subscription",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("event_name", sa.String(length=255), nullable=True),
        sa.Column("execution_pk", sa.Integer(), nullable=True),
        sa.Column("process_instance_pk", sa.Integer(), nullable=True),
        sa.Column("definition_pk", sa.Integer(), nullable=True),
        sa.Column("execution_id", sa.String(length=255), nullable=True),
        sa.Column("process_instance_id", sa.String(length=255), nullable=True),
        sa.Column("process_definition_id", sa.String(length=255), nullable=True),
        sa.Column("activity_id", sa.String(length=255), nullable=False),
        sa.Column("wait_key", sa.String(length=255), nullable=True),
        sa.Column("configuration", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.String(length=255), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_pk"],
            ["process_definition.pk"],
            name=op.f("fk_event_subscription_definition_pk_process_definition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["execution_pk"],
            ["scope.pk"],
            name=op.f("fk_event_subscription_execution_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_instance_pk"],
            ["scope.pk"],
            name=op.f("fk_event_subscription_process_instance_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_event_subscription")),
        sa.UniqueConstraint("id", name=op.f("uq_event_subscription_id")),
    )
    with op.batch_alter_table("event_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_subscription_definition_pk"), ["definition_pk"], unique=False
        )
        batch_op.create_index(
            "ix_event_subscription_event_type_event_name",
            ["event_type", "event_name"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_event_subscription_execution_pk"), ["execution_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_subscription_process_instance_pk"),
            ["process_instance_pk"],
            unique=False,
        )
        batch_op.create_index(
            "ix_event_subscription_process_instance_pk_wait_key",
            ["process_instance_pk", "wait_key"],
            unique=False,
        )

    op.create_table(
        "job",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("handler_type", sa.String(length=64), nullable=False),
        sa.Column("handler_configuration", sa.Text(), nullable=True),
        sa.Column("execution_pk", sa.Integer(), nullable=True),
        sa.Column("process_instance_pk", sa.Integer(), nullable=True),
        sa.Column("definition_pk", sa.Integer(), nullable=True),
        sa.Column("execution_id", sa.String(length=255), nullable=True),
        sa.Column("process_instance_id", sa.String(length=255), nullable=True),
        sa.Column("process_definition_id", sa.String(length=255), nullable=True),
        sa.Column("process_definition_key", sa.String(length=255), nullable=True),
        sa.Column("deployment_id", sa.String(length=255), nullable=True),
        sa.Column("activity_id", sa.String(length=255), nullable=True),
        sa.Column("wait_key", sa.String(length=255), nullable=True),
        sa.Column("job_definition_id", sa.String(length=255), nullable=True),
        sa.Column("due_date", sa.BigInteger(), nullable=True),
        sa.Column("repeat", sa.Text(), nullable=True),
        sa.Column("retry_time_cycle", sa.Text(), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("exception_message", sa.Text(), nullable=True),
        sa.Column("exception_stacktrace", sa.Text(), nullable=True),
        sa.Column("failed_activity_id", sa.String(length=255), nullable=True),
        sa.Column("lock_owner", sa.String(length=255), nullable=True),
        sa.Column("lock_expiration_time", sa.BigInteger(), nullable=True),
        sa.Column("suspended", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("priority", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=True),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_pk"],
            ["process_definition.pk"],
            name=op.f("fk_job_definition_pk_process_definition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["execution_pk"],
            ["scope.pk"],
            name=op.f("fk_job_execution_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_instance_pk"],
            ["scope.pk"],
            name=op.f("fk_job_process_instance_pk_scope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_job")),
        sa.UniqueConstraint("id", name=op.f("uq_job_id")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_definition_pk"), ["definition_pk"], unique=False)
        batch_op.create_index(
            "ix_job_due_date_lock_expiration_time",
            ["due_date", "lock_expiration_time"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_job_execution_pk"), ["execution_pk"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_job_process_instance_pk"), ["process_instance_pk"], unique=False
        )
        batch_op.create_index(
            "ix_job_process_instance_pk_wait_key", ["process_instance_pk", "wait_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_process_instance_pk_wait_key")
        batch_op.drop_index(batch_op.f("ix_job_process_instance_pk"))
        batch_op.drop_index(batch_op.f("ix_job_execution_pk"))
        batch_op.drop_index("ix_job_due_date_lock_expiration_time")
        batch_op.drop_index(batch_op.f("ix_job_definition_pk"))

    op.drop_table("job")
    with op.batch_alter_table("event_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_event_subscription_process_instance_pk_wait_key")
        batch_op.drop_index(batch_op.f("ix_event_subscription_process_instance_pk"))
        batch_op.drop_index(batch_op.f("ix_event_subscription_execution_pk"))
        batch_op.drop_index("ix_event_subscription_event_type_event_name")
        batch_op.drop_index(batch_op.f("ix_event_subscription_definition_pk"))

    op.drop_table("event_subscription")
