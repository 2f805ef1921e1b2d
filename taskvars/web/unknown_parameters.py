"""Query parameters an operation does not declare are ignored, as Camunda ignores them.

Hand-written clients rely on that (``pycamunda`` sends ``deserializeValue=false`` with
every binary download). The parameters the spec declares are validated as before; the
others are taken out of the query string before validation, and logged at debug level.
With ``--strict-params`` this stage is left out and connexion refuses them with a 400, for
users who want their own client's typos caught.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.web.allowed_methods import HTTP_METHODS
from taskvars.web.framework import operation_id

logger = logging.getLogger(__name__)


def declared_query_parameters(spec: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """The names of each operation's query parameters, by operationId."""
    components = spec.get("components", {}).get("parameters", {})

    def resolved(parameter: Mapping[str, Any]) -> Mapping[str, Any]:
        reference = parameter.get("$ref")
        return components[reference.rpartition("/")[2]] if reference else parameter

    declared = {}
    for item in spec.get("paths", {}).values():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [resolved(p) for p in [*shared, *operation.get("parameters", [])]]
            declared[operation["operationId"]] = frozenset(
                p["name"] for p in parameters if p["in"] == "query"
            )
    return declared


class UnknownParametersMiddleware:
    def __init__(self, app: ASGIApp, *, declared: Mapping[str, frozenset[str]]) -> None:
        self.app = app
        self.declared = declared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        known = self.declared.get(operation_id(scope) or "")
        if query and known is not None:
            kept = known_query(scope, query, known)
            if kept is not query:
                scope = {**scope, "query_string": kept}
        await self.app(scope, receive, send)


def known_query(scope: Scope, query: bytes, known: frozenset[str]) -> bytes:
    """``query`` without the parameters not in ``known`` (logged); ``query`` itself when
    it has none. (Also the fast path's, :mod:`taskvars.web.fast_path`.)"""
    kept, ignored = _split(query.split(b"&"), known)
    if not ignored:
        return query
    logger.debug(
        "%s %s: ignored query parameters %s",
        scope["method"],
        scope["path"],
        ", ".join(sorted(ignored)),
    )
    return b"&".join(kept)


def _split(pieces: Iterable[bytes], known: frozenset[str]) -> tuple[list[bytes], set[str]]:
    kept, ignored = [], set()
    for piece in pieces:
        if not piece:
            continue
        name = unquote_plus(piece.partition(b"=")[0].decode("latin-1"))
        if name in known:
            kept.append(piece)
        else:
            ignored.add(name)
    return kept, ignored
