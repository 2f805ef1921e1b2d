"""Camunda's second form of every path: ``/engine-rest/engine/{name}/...``.

Camunda serves each process engine's resources under its name; this server has one
engine, ``default``, whose paths are the plain ones. A request for
``/engine/default/<path>`` is served as ``/<path>``. Another engine name is Camunda's 400
``No process engine available`` where the path names a resource, and the routing 404
where it names none (Camunda cannot route it either).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.errors import InvalidRequestError
from taskvars.web.allowed_methods import AllowedMethods

DEFAULT_ENGINE = "default"
NO_ENGINE = "No process engine available"  # Camunda's AbstractRestProcessEngineAware
# The scope key that keeps the path the request named its resource under, up to the
# resource (``/engine-rest`` or ``/engine-rest/engine/default``): the links an answer
# gives go the same way (Camunda's rootResourcePath).
API_ROOT = "taskvars.api_root"


class NamedEngineMiddleware:
    def __init__(self, app: ASGIApp, *, base_path: str, allowed_methods: AllowedMethods) -> None:
        self.app = app
        self.prefix = f"{base_path}/engine/"
        self.base_path = base_path
        self.allowed_methods = allowed_methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] == "http":
            scope = {**scope, API_ROOT: self.base_path}
        if path.startswith(self.prefix):
            name, separator, rest = path[len(self.prefix) :].partition("/")
            if separator:
                plain = f"{self.base_path}/{rest}"
                if name != DEFAULT_ENGINE and self.allowed_methods.for_path(plain) is not None:
                    raise InvalidRequestError(NO_ENGINE)
                if name == DEFAULT_ENGINE:
                    scope = self._as_plain(scope, plain)
        await self.app(scope, receive, send)

    def _as_plain(self, scope: Scope, plain: str) -> Scope:
        """The scope with the engine's segments taken out of its path (and raw path)."""
        raw: bytes = scope.get("raw_path") or b""
        engine_prefix = f"{self.prefix}{DEFAULT_ENGINE}".encode()
        if raw.startswith(engine_prefix):
            raw = self.base_path.encode() + raw[len(engine_prefix) :]
        else:
            raw = plain.encode()
        return {
            **scope,
            "path": plain,
            "raw_path": raw,
            API_ROOT: f"{self.base_path}/engine/{DEFAULT_ENGINE}",
        }
