"""Files shipped with the package: the OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SPEC_NAME = "engine-rest.yaml"


def spec_directory() -> Path:
    """``taskvars/openapi`` in an installed package; ``openapi/`` in a source checkout."""
    installed = Path(__file__).parent / "openapi"
    if (installed / SPEC_NAME).is_file():
        return installed
    return Path(__file__).parent.parent / "openapi"


def load_spec() -> dict[str, Any]:
    with (spec_directory() / SPEC_NAME).open(encoding="utf-8") as spec:
        return yaml.safe_load(spec)
