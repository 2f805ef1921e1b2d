"""Scenario files: process-instance trees and standalone tasks, read and checked.

The file (JSON, or YAML by its ``.yaml``/``.yml`` suffix) is::

    processInstances: [<ProcessInstanceTreeDto>, ...]   # as POST /process-instance/create
    tasks: [<TaskDto>, ...]                             # as POST /task/create

It is checked against the spec's own schemas (with connexion's validator, which knows
OpenAPI's ``nullable``), then loaded by :func:`taskvars.services.seeding.load_seed`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from connexion.json_schema import Draft4RequestValidator
from jsonschema.exceptions import best_match

from taskvars.services.seeding import SeedError


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
