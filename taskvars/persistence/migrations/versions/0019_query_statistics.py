"""extended statistics (PostgreSQL) on the columns the task and variable queries filter
on together: the planner otherwise multiplies their selectivities as if independent

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 22:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> (table, columns). Each pair depends on the other: a variable's name fixes its
# type; a scope's kind its id space; a task's definition key its process definition and
# name; a link's type whether it names a user or a group. Built by the next ANALYZE
# (statistics.py runs one at start when they are not built yet).
STATISTICS = {
    "stx_variable_name_type": ("variable", "name, type"),
    "stx_scope_kind_id_space": ("scope", "kind, id_space"),
    "stx_task_definition": ("task", "task_definition_key, process_definition_id, name"),
    "stx_identity_link_type_who": ("identity_link", "type, user_id, group_id"),
}
# The most common values of a variable of a name: without them the planner takes a
# value's share of all variables for its share among the variables of that name
# (outcome = 'approve' estimated 10x too rare at 100,000 tasks).
COMMON_VALUES = {"stx_variable_common_values": ("variable", "name, type, text_value")}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no extended statistics; sqlite_stat1 is kept by statistics.py
    for name, (table, columns) in STATISTICS.items():
        op.execute(f"CREATE STATISTICS {name} (ndistinct, dependencies) ON {columns} FROM {table}")
    for name, (table, columns) in COMMON_VALUES.items():
        op.execute(f"CREATE STATISTICS {name} (mcv) ON {columns} FROM {table}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in [*STATISTICS, *COMMON_VALUES]:
        op.execute(f"DROP STATISTICS IF EXISTS {name}")
