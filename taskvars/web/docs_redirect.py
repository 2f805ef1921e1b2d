"""``/``, ``/engine-rest`` and ``/engine-rest/`` lead to the interactive documentation.

The page itself is connexion's Swagger UI (the ``swagger-ui`` extra, served from the
installed package), showing the spec as :mod:`.spec_document` serves it.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class DocsRedirectMiddleware:
    def __init__(self, app: ASGIApp, *, base_path: str, docs_path: str) -> None:
        self.app = app
        self.entry_paths = {"/", base_path, f"{base_path}/"}
        self.docs_path = f"{base_path}{docs_path}/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("path") in self.entry_paths
            and scope["method"] in ("GET", "HEAD")
        ):
            # root_path: the prefix a reverse proxy serves this server under, if any.
            location = f"{scope.get('root_path', '').rstrip('/')}{self.docs_path}"
            await RedirectResponse(location, status_code=302)(scope, receive, send)
            return
        await self.app(scope, receive, send)
