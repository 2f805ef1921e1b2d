"""The fast path's routes, compiled from the spec's paths and parameters at start."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from taskvars.web.declared_errors import PREFIX_EXTENSION
from taskvars.web.fast_path.parameters import (
    Check,
    NotCompilableError,
    accepts_any_string,
    boolean_parser,
    string_check,
)

logger = logging.getLogger(__name__)

CONTROLLER_EXTENSION = "x-openapi-router-controller"
_TEMPLATE_PARAMETER = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Route:
    """One operation as the fast path serves it."""

    operation_id: str
    controller: str  # the handler module under taskvars.handlers
    method: str
    pattern: re.Pattern[str]
    path_parameters: tuple[tuple[str, Check], ...]  # in the template's order
    # Query parameters: a parser (None: not a value it is sure of), and the default.
    query_parameters: Mapping[str, tuple[Callable[[str], Any], Any]]
    prefix_template: str  # x-camunda-error-prefix, "" when none
    operation: Mapping[str, Any]  # the operation object, every $ref resolved

    @property
    def declared_query(self) -> frozenset[str]:
        return frozenset(self.query_parameters)

    def query_values(self, query: bytes) -> tuple[dict[str, Any], bool] | None:
        """The declared query parameters' values (defaults for those not sent), and
        whether others were sent; ``None`` when a value is not one the parser is sure
        of, or repeats."""
        values = {name: default for name, (_, default) in self.query_parameters.items()}
        seen = set()
        undeclared = False
        for name, raw in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            parser = self.query_parameters.get(name)
            if parser is None:
                undeclared = True
                continue
            value = parser[0](raw)
            if value is None or name in seen:
                return None
            seen.add(name)
            values[name] = value
        return values, undeclared

    @property
    def routed_as(self) -> str:
        """The operation as connexion's routing records it."""
        return f"{self.controller}.{self.operation_id}"

    def parameters_of(self, path: str) -> dict[str, str] | None:
        """The path parameters, if ``path`` is this route's and the spec admits them."""
        match = self.pattern.fullmatch(path)
        if match is None:
            return None
        values = match.groups()
        parameters = {}
        for (name, check), value in zip(self.path_parameters, values, strict=True):
            if not check(value):
                return None
            parameters[name] = value
        return parameters


class RouteTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._by_method: dict[str, tuple[Route, ...]] = {}
        for route in self.routes:
            self._by_method[route.method] = (*self._by_method.get(route.method, ()), route)

    @classmethod
    def compile(
        cls, resolved_spec: Mapping[str, Any], base_path: str, operation_ids: Iterable[str]
    ) -> RouteTable:
        """Routes of ``operation_ids`` in ``resolved_spec`` (every ``$ref`` resolved);
        an operation whose parameters say what the fast path does not check is left to
        the full pipeline."""
        wanted = set(operation_ids)
        routes = []
        for template, item in resolved_spec.get("paths", {}).items():
            for method, operation in item.items():
                if not isinstance(operation, Mapping) or operation.get("operationId") not in wanted:
                    continue
                try:
                    routes.append(_route(base_path, template, method, item, operation))
                except NotCompilableError as reason:
                    served_by = "%s is served by the full pipeline only: %s"
                    logger.warning(served_by, operation["operationId"], reason)
        return cls(routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._by_method.get(method, ()):
            parameters = route.parameters_of(path)
            if parameters is not None:
                return route, parameters
        return None


def _route(
    base_path: str,
    template: str,
    method: str,
    item: Mapping[str, Any],
    operation: Mapping[str, Any],
) -> Route:
    parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
    checks: dict[str, Check] = {}
    query: dict[str, tuple[Callable[[str], Any], Any]] = {}
    for parameter in parameters:
        where, name, schema = parameter["in"], parameter["name"], parameter.get("schema", {})
        if where == "path":
            checks[name] = string_check(schema)
        elif where == "header" and accepts_any_string(schema):
            continue
        elif where == "query" and not parameter.get("required"):
            query[name] = (boolean_parser(schema), schema.get("default"))
        else:
            raise NotCompilableError(f"{where} parameter {name}")
    names = _TEMPLATE_PARAMETER.findall(template)
    if set(names) != set(checks):
        raise NotCompilableError(f"path parameters of {template}")
    # Starlette's router, under connexion, matches a string parameter as [^/]+.
    pattern = "".join(
        re.escape(piece) if index % 2 == 0 else "([^/]+)"
        for index, piece in enumerate(_TEMPLATE_PARAMETER.split(base_path + template))
    )
    return Route(
        operation_id=operation["operationId"],
        controller=operation[CONTROLLER_EXTENSION],
        method=method.upper(),
        pattern=re.compile(pattern),
        path_parameters=tuple((name, checks[name]) for name in names),
        query_parameters=query,
        prefix_template=operation.get(PREFIX_EXTENSION, ""),
        operation=operation,
    )
