"""The address a request was sent to, for the absolute URLs an answer gives back."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Scope


def origin(scope: Scope) -> str:
    """``scheme://host[:port]`` as the client addressed it (its ``Host`` header)."""
    host = Headers(scope=scope).get("host")
    if host is None:
        server_host, server_port = scope.get("server") or ("localhost", 80)
        host = f"{server_host}:{server_port}"
    return f"{scope.get('scheme', 'http')}://{host}"
