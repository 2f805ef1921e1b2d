"""The versioned write of a variable's value, built in one place for every statement
that replaces one (:mod:`.variables`, :mod:`.postgres_replace`,
:mod:`.postgres_small_values`): the row changes only if its revision is the one read
(the optimistic lock), and its revision goes up by one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, Update, bindparam, update

from taskvars.persistence.models import Variable

if TYPE_CHECKING:
    from taskvars.persistence.values import NewValue

VARIABLE = cast(Table, Variable.__table__)
# The columns that hold a variable's value (everything a write replaces).
VALUE_COLUMNS = (
    "type",
    "text_value",
    "long_value",
    "double_value",
    "content_pk",
    "filename",
    "mime_type",
    "encoding",
    "object_type_name",
    "serialization_data_format",
)


def value_columns(value: NewValue, content_pk: int | None) -> dict[str, Any]:
    """The value columns of a variable row holding ``value``, its content stored as the
    row ``content_pk``."""
    return {
        column: content_pk if column == "content_pk" else getattr(value, column)
        for column in VALUE_COLUMNS
    }


def new_values(columns: Mapping[str, Any]) -> dict[str, Any]:
    """The value ``columns`` as the parameters of :func:`versioned_update`."""
    return {f"new_{column}": columns[column] for column in VALUE_COLUMNS}


def versioned_update(
    *,
    variable_pk: Any = None,
    read_revision: Any = None,
    values: Mapping[str, Any] | None = None,
) -> Update:
    """``UPDATE variable`` of the row ``variable_pk`` if still at ``read_revision``
    (default: the parameters of those names), each value column set from its parameter
    ``new_<column>`` unless ``values`` gives it an expression."""
    given = dict(values or {})
    return (
        update(VARIABLE)
        .where(
            VARIABLE.c.pk == (bindparam("variable_pk") if variable_pk is None else variable_pk),
            VARIABLE.c.revision
            == (bindparam("read_revision") if read_revision is None else read_revision),
        )
        .values(
            revision=VARIABLE.c.revision + 1,
            **{column: given.get(column, bindparam(f"new_{column}")) for column in VALUE_COLUMNS},
        )
    )
