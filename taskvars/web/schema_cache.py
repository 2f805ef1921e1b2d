"""What validators build from an operation's schema, built once per schema.

connexion constructs a body validator for every request, handing it the operation's
schema: the same object each time. Building a jsonschema validator from it costs more
than running it, so it is kept, keyed by the schema's identity (the schema is kept too,
so that its id cannot be reused by another object).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class SchemaCache(Generic[T]):
    def __init__(self, build: Callable[[dict[str, Any]], T]) -> None:
        self._build = build
        self._entries: dict[int, tuple[dict[str, Any], T]] = {}

    def get(self, schema: dict[str, Any]) -> T:
        entry = self._entries.get(id(schema))
        if entry is None or entry[0] is not schema:
            entry = self._entries[id(schema)] = (schema, self._build(schema))
        return entry[1]
