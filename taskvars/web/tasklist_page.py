"""The task list page at ``/tasklist/``: static files shipped inside the package
(``taskvars/tasklist``), which call the REST API as any client does.

Served behind the same authentication as the API (the browser asks for the credentials
once, on the page, and sends them with the page's API calls), with ETags so that a
browser revalidates instead of downloading again, and a Content-Security-Policy that
lets the page load only its own files: nothing is fetched from the network at run time.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import RedirectResponse
from starlette.routing import Mount, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_PATH = "/tasklist"
PAGE_DIRECTORY = Path(__file__).resolve().parent.parent / "tasklist"

# bpmn-js sets inline styles on the diagram's elements and draws markers as data: images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    # Revalidated on every load (a 304 by its ETag): a new version is seen at once.
    (b"cache-control", b"no-cache"),
]


class TasklistPageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.files = Router(
            routes=[Mount(PAGE_PATH, app=StaticFiles(directory=PAGE_DIRECTORY, html=True))]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != PAGE_PATH and not path.startswith(PAGE_PATH + "/"):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)  # answered as any unknown operation is
            return
        if path == PAGE_PATH:
            location = f"{scope.get('root_path', '').rstrip('/')}{PAGE_PATH}/"
            await RedirectResponse(location, status_code=302)(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.files(scope, receive, with_headers)
