"""Scenarios loaded at once: process-instance trees and standalone tasks, in one
transaction, so that a scenario that fails anywhere loads nothing. The file they come
from is read and checked by :mod:`taskvars.seed_files`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taskvars.errors import ApiError
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.process_instances import add_tree
from taskvars.services.tasks import add_task


class SeedError(ValueError):
    """Why a seed file was refused: its path, where in it, and the reason."""


def load_seed(uow: UnitOfWork, path: Path, document: dict[str, Any]) -> str:
    """Create everything in ``document`` and commit, or nothing. Returns a summary."""
    instances = document.get("processInstances", [])
    tasks = document.get("tasks", [])
    for index, tree in enumerate(instances):
        try:
            add_tree(uow, tree)
        except ApiError as error:
            raise SeedError(f"{path}: processInstances[{index}]: {error.message}") from None
    for index, task in enumerate(tasks):
        try:
            add_task(uow, task)
        except ApiError as error:
            raise SeedError(f"{path}: tasks[{index}]: {error.message}") from None
    uow.commit()
    return f"{len(instances)} process instances and {len(tasks)} standalone tasks"
