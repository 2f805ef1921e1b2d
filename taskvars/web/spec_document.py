"""The spec, served as written: ``openapi.yaml`` is the file, ``openapi.json`` the same
document as JSON, every ``$ref`` and component name kept.

connexion would serve its own resolved copy instead (every ``$ref`` expanded inline), from
which generators make a different client than from the file. The JSON puts the address
it was fetched from first among the ``servers``, so that a client generated from a
running server's document reaches that server by default.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.header_values import none_match, strong_etag
from taskvars.web.base_url import origin

JSON_MEDIA_TYPE = "application/json"
YAML_MEDIA_TYPE = "application/yaml"  # RFC 9512


class SpecDocumentMiddleware:
    def __init__(self, app: ASGIApp, *, spec: dict[str, Any], text: bytes, base_path: str) -> None:
        self.app = app
        self.spec = spec
        self.text = text
        self.base_path = base_path
        self.json_path = f"{base_path}/openapi.json"
        self.yaml_path = f"{base_path}/openapi.yaml"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path") if scope["type"] == "http" else None
        if path not in (self.json_path, self.yaml_path):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        if path == self.yaml_path:
            body, media_type = self.text, YAML_MEDIA_TYPE
        else:
            body, media_type = self._json_for(scope), JSON_MEDIA_TYPE
        await _conditional(scope, body, media_type)(scope, receive, send)

    def _json_for(self, scope: Scope) -> bytes:
        fetched_from = f"{origin(scope)}{scope.get('root_path', '')}{self.base_path}"
        servers = [
            {"url": fetched_from, "description": "The address this document was fetched from"},
            *(server for server in self.spec.get("servers", []) if server["url"] != fetched_from),
        ]
        return json.dumps({**self.spec, "servers": servers}, ensure_ascii=False).encode()


def _conditional(scope: Scope, body: bytes, media_type: str) -> Response:
    etag = strong_etag(hashlib.sha256(body).hexdigest())
    if none_match(Headers(scope=scope).get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type=media_type, headers={"ETag": etag})
