"""Scenarios from a file: process-instance trees and standalone tasks, loaded at once.

The file (JSON, or YAML by its ``.yaml``/``.yml`` suffix) is::

    processInstances: [<ProcessInstanceTreeDto>, ...]   # as POST /process-instance/create
    tasks: [<TaskDto>, ...]                             # as POST /task/create

It is checked against the spec's own schemas, then loaded in one transaction: a file
that fails anywhere loads nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from connexion.json_schema import Draft4RequestValidator
from jsonschema.exceptions import best_match

from taskvars.errors import ApiError
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.process_instances import add_tree
from taskvars.services.tasks import add_task


class SeedError(ValueError):
    """Why a seed file was refused: its path, where in it, and the reason."""


def read_seed_file(path: Path, spec: dict[str, Any]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SeedError(f"{path}: cannot read it: {error}") from None
    try:
        document = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except (yaml.YAMLError, ValueError) as error:
        raise SeedError(f"{path}: not valid {_format(path)}: {error}") from None
    violation = best_match(Draft4RequestValidator(_schema(spec)).iter_errors(document))
    if violation is not None:
        where = "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in violation.absolute_path
        )
        raise SeedError(f"{path}: {where.lstrip('.') or 'document'}: {violation.message}")
    seed: dict[str, Any] = document  # the schema says it is an object
    return seed


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


def _schema(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "processInstances": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ProcessInstanceTreeDto"},
            },
            "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/TaskDto"}},
        },
        "components": spec["components"],
    }


def _format(path: Path) -> str:
    return "YAML" if path.suffix in (".yaml", ".yml") else "JSON"
