"""Parameter checks compiled from the spec's parameter schemas, once, at start.

A check answers whether a value is one the spec admits, with the semantics jsonschema
gives the keywords (``pattern`` is searched, lengths count code points). The fast path
serves only requests whose parameters pass; any other goes to the full pipeline, whose
validation then says what is wrong in its own words. A schema with a keyword not
compiled here makes its operation one the fast path does not serve.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[str], bool]

# Keywords that say nothing about a value's validity.
_ANNOTATIONS = frozenset({"description", "example", "examples", "title", "deprecated"})
_STRING_KEYWORDS = frozenset({"type", "minLength", "maxLength", "pattern"})
# A control character: never admitted in a path segment served here (the spec's ids
# exclude them; where a router would differ on one, the full pipeline decides).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class NotCompilableError(Exception):
    """The schema says something the fast path does not check: not served here."""


def string_check(schema: Mapping[str, Any]) -> Check:
    """The check of a ``type: string`` schema with lengths and a pattern at most."""
    unknown = set(schema) - _STRING_KEYWORDS - _ANNOTATIONS
    if schema.get("type") != "string" or unknown:
        raise NotCompilableError(f"schema {dict(schema)!r}")
    minimum = int(schema.get("minLength", 0))
    maximum = schema.get("maxLength")
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None

    def check(value: str) -> bool:
        if len(value) < minimum or (maximum is not None and len(value) > maximum):
            return False
        if _CONTROL.search(value):
            return False
        return pattern is None or pattern.search(value) is not None

    return check


def boolean_parser(schema: Mapping[str, Any]) -> Callable[[str], bool | None]:
    """The parser of a ``type: boolean`` query parameter: ``true`` or ``false`` in any
    letter case, as connexion coerces them; ``None`` for anything else."""
    if schema.get("type") != "boolean" or set(schema) - {"type", "default"} - _ANNOTATIONS:
        raise NotCompilableError(f"schema {dict(schema)!r}")
    spellings = {"true": True, "false": False}

    def parse(value: str) -> bool | None:
        return spellings.get(value.lower())

    return parse


def accepts_any_string(schema: Mapping[str, Any]) -> bool:
    """Whether every string is a valid value (a header parameter of ``type: string``)."""
    return schema.get("type") == "string" and not (set(schema) - {"type"} - _ANNOTATIONS)
