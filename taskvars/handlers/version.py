"""Operations tagged `Version`."""

from __future__ import annotations

from typing import Any

# The Camunda version whose REST API this server follows (VersionRestService answers
# the engine's own version).
CAMUNDA_VERSION = "7.24.0"


def get_rest_api_version() -> dict[str, Any]:
    return {"version": CAMUNDA_VERSION}
