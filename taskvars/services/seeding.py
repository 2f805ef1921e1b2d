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
from taskvars.persistence.store import Store
from taskvars.services.scopes import create_process_instance, create_task


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
    error = best_match(Draft4RequestValidator(_schema(spec)).iter_errors(document))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise SeedError(f"{path}: {where.lstrip('.') or 'document'}: {error.message}")
    return document


def load_seed(store: Store, path: Path, document: dict[str, Any], *, chunk_bytes: int) -> str:
    """Create everything in ``document``; the caller commits. Returns a summary."""
    instances = document.get("processInstances", [])
    tasks = document.get("tasks", [])
    for index, tree in enumerate(instances):
        try:
            create_process_instance(store, tree, chunk_bytes=chunk_bytes)
        except ApiError as error:
            raise SeedError(f"{path}: processInstances[{index}]: {error.message}") from None
    for index, task in enumerate(tasks):
        try:
            create_task(store, task)
        except ApiError as error:
            raise SeedError(f"{path}: tasks[{index}]: {error.message}") from None
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
