"""Camunda's ``links`` (``LinkableDto.addReflexiveLink``): where a created resource is read,
as an absolute URL under the address, context path and engine path of the request."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import connexion

from taskvars.web.base_url import origin
from taskvars.web.named_engine import API_ROOT


def self_link(resource_path: str) -> dict[str, Any]:
    """``AtomLink`` ``rel: self``, ``GET``, to ``resource_path`` (``/deployment/<id>``;
    quoted here, ids may hold characters a URL escapes)."""
    scope = connexion.request.scope
    path = quote(resource_path, safe="/")
    href = f"{origin(scope)}{scope.get('root_path', '')}{scope[API_ROOT]}{path}"
    return {"method": "GET", "href": href, "rel": "self"}


def with_self_link(dto: dict[str, Any], resource_path: str) -> dict[str, Any]:
    return {**dto, "links": [*dto.get("links", []), self_link(resource_path)]}
