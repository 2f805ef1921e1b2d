"""Files shipped with the package: the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

SPEC_NAME = "engine-rest.yaml"


def spec_directory() -> Path:
    """``taskvars/openapi`` in an installed package; ``openapi/`` in a source checkout."""
    installed = Path(__file__).parent / "openapi"
    if (installed / SPEC_NAME).is_file():
        return installed
    return Path(__file__).parent.parent / "openapi"
