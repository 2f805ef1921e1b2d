"""What the store holds, added up: for the metrics."""

from __future__ import annotations

from taskvars.persistence.unit_of_work import UnitOfWork


def binary_values(uow: UnitOfWork) -> tuple[int, int]:
    """How many ``Bytes`` and ``File`` values are stored, and their bytes."""
    return uow.store.contents.totals()
