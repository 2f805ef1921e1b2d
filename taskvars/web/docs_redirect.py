"""``/`` leads to the task list page (:mod:`.tasklist_page`); ``/engine-rest`` and
``/engine-rest/`` to the interactive documentation.

The documentation is connexion's Swagger UI (the ``swagger-ui`` extra, served from the
installed package), showing the spec as :mod:`.spec_document` serves it.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class DocsRedirectMiddleware:
    def __init__(self, app: ASGIApp, *, base_path: str, docs_path: str, page_path: str) -> None:
        self.app = app
        self.targets = {
            "/": f"{page_path}/",
            base_path: f"{base_path}{docs_path}/",
            f"{base_path}/": f"{base_path}{docs_path}/",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("path") in self.targets
            and scope["method"] in ("GET", "HEAD")
        ):
            # root_path: the prefix a reverse proxy serves this server under, if any.
            location = f"{scope.get('root_path', '').rstrip('/')}{self.targets[scope['path']]}"
            await RedirectResponse(location, status_code=302)(scope, receive, send)
            return
        await self.app(scope, receive, send)
