"""Files shipped with the package: the OpenAPI document."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

SPEC_NAME = "engine-rest.yaml"

# libyaml's loader reads the spec in about a fiftieth of the pure-Python loader's time;
# PyYAML wheels ship it, a build from source may not.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def spec_directory() -> Path:
    """``taskvars/openapi`` in an installed package; ``openapi/`` in a source checkout."""
    installed = Path(__file__).parent / "openapi"
    if (installed / SPEC_NAME).is_file():
        return installed
    return Path(__file__).parent.parent / "openapi"


def load_spec() -> dict[str, Any]:
    """The spec as written, parsed once per process; each caller gets its own copy."""
    return copy.deepcopy(_parsed_spec())


@functools.cache
def spec_text() -> bytes:
    """The spec file's bytes, read once per process."""
    return (spec_directory() / SPEC_NAME).read_bytes()


@functools.cache
def _parsed_spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(spec_text(), Loader=_SafeLoader)
    return document
