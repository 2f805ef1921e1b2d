"""The fast path's stage of the pipeline (see the package's docstring)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from connexion.json_schema import resolve_refs
from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.handlers.http.runtime import STATE_KEY, Runtime
from taskvars.web.fast_path.operations import (
    DOWNLOADS,
    READS,
    UPLOADS,
    FastRequest,
    operation_for,
)
from taskvars.web.fast_path.routes import RouteTable
from taskvars.web.framework import record_operation
from taskvars.web.multipart import FormLimits
from taskvars.web.operation_errors import said_for_operation
from taskvars.web.unknown_parameters import known_query

# Requests the fast path served, by operationId, in this process: what tests read to know
# that a request did not go down the full pipeline.
_SERVED: Counter[str] = Counter()


def served_count(operation_id: str) -> int:
    return _SERVED[operation_id]


class FastPathMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        spec: dict[str, Any],
        base_path: str,
        limits: FormLimits,
        strict_params: bool,
    ) -> None:
        self.app = app
        self.routes = RouteTable.compile(resolve_refs(spec), base_path, UPLOADS | DOWNLOADS | READS)
        self.operations = {
            route.operation_id: operation_for(route, limits) for route in self.routes.routes
        }
        self.strict_params = strict_params

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A reverse proxy's root path: the router's business, not ours.
        if scope["type"] != "http" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        matched = self.routes.match(scope["method"], scope["path"])
        runtime: Runtime | None = scope.get("state", {}).get(STATE_KEY)
        if matched is None or runtime is None:
            await self.app(scope, receive, send)
            return
        route, parameters = matched
        operation = self.operations[route.operation_id]
        accepted = operation.accepts(scope)
        query: bytes = scope.get("query_string", b"")
        parsed = route.query_values(query)
        if accepted is None or parsed is None:
            await self.app(scope, receive, send)
            return
        values, undeclared = parsed
        if undeclared:
            if self.strict_params:
                # The full pipeline refuses what the operation does not declare.
                await self.app(scope, receive, send)
                return
            known_query(scope, query, route.declared_query)  # the others are ignored (logged)
        record_operation(scope, route.routed_as)
        _SERVED[route.operation_id] += 1
        request = FastRequest(runtime.database, parameters, values, accepted)
        try:
            await operation.serve(request, scope, receive, send)
        except Exception as error:
            said = said_for_operation(error, route.prefix_template, parameters)
            if said is error:
                raise
            raise said from (error if said.__cause__ is error else None)
