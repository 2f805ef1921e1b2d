"""Stand-alone reproduction for connexion 3.3 (no taskvars code): what a stock AsyncApp
does again on every request. One spec of 60 paths, one GET operation with one path
parameter, a no-op handler; counts per request, after a warm-up:

- ``inspect.signature`` calls (the handler is decorated again per request),
- ``StarletteDecorator`` instances built (``AsyncOperation.fn`` is a property),
- Starlette ``Route.matches`` calls (routes tried in order),
- ``jsonschema.Draft4Validator`` instances built (one per parameter per request),
- Starlette ``Request.form`` calls (even for a GET) and multipart parses
  (``MultiPartParser.parse``): the body validator parses the form, and the parameter
  decorator parses it again;
- query parameters validated (``ParameterValidator.validate_query_parameter``): every one
  the operation declares, sent or not (a search operation declaring 100, one sent).

    pip install 'connexion[uvicorn]==3.3.*' && python connexion_per_request_work.py
"""

from __future__ import annotations

import inspect
from collections import Counter
from typing import Any

import connexion.decorators.main
import jsonschema
import starlette.formparsers
import starlette.requests
import starlette.routing
from connexion import AsyncApp
from connexion.options import SwaggerUIOptions
from starlette.testclient import TestClient

COUNTS: Counter[str] = Counter()
REQUESTS = 100


def count(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        COUNTS[label] += 1
        return original(*args, **kwargs)

    setattr(owner, name, counted)


def operation(operation_id: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {"200": {"description": "ok"}},
    }


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "per-request work", "version": "1"},
    "paths": {
        **{f"/thing{n}/{{id}}": {"get": operation(f"{__name__}.thing")} for n in range(59)},
        "/search": {
            "get": {
                "operationId": f"{__name__}.search",
                "parameters": [
                    {"name": f"q{n}", "in": "query", "schema": {"type": "integer"}}
                    for n in range(100)
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/last/{id}": {
            "get": operation(f"{__name__}.thing"),
            "post": {
                **operation(f"{__name__}.upload"),
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"data": {"type": "string", "format": "binary"}},
                            }
                        }
                    }
                },
            },
        },
    },
}


async def thing(id_: str) -> dict[str, str]:
    return {"id": id_}


async def search(**query: Any) -> dict[str, Any]:
    return query


async def upload(id_: str, data: Any = None) -> tuple[None, int]:
    return None, 204


def main() -> None:
    app = AsyncApp(__name__, swagger_ui_options=SwaggerUIOptions(swagger_ui=False))
    app.add_api(SPEC, pythonic_params=True)
    count(inspect, "signature", "inspect.signature")
    count(starlette.routing.Route, "matches", "Route.matches")
    count(jsonschema, "Draft4Validator", "unused")  # the validators module holds its own name
    count(connexion.validators.parameter, "Draft4Validator", "Draft4Validator built")
    count(connexion.decorators.main.StarletteDecorator, "__init__", "StarletteDecorator built")
    count(starlette.requests.Request, "form", "Request.form")
    count(starlette.formparsers.MultiPartParser, "parse", "MultiPartParser.parse")
    count(
        connexion.validators.parameter.ParameterValidator,
        "validate_query_parameter",
        "query parameters validated",
    )
    with TestClient(app) as client:
        for label, send in (
            ("GET /last/{id} (the last path)", lambda: client.get("/last/x")),
            (
                "GET /search?q7=1 (100 query parameters declared)",
                lambda: client.get("/search?q7=1"),
            ),
            (
                "POST /last/{id} multipart (validated, then parsed again)",
                lambda: client.post("/last/x", files={"data": ("d", b"x" * 1024)}),
            ),
        ):
            assert send().status_code in (200, 204)
            COUNTS.clear()
            for _ in range(REQUESTS):
                send()
            per_request = {
                name: COUNTS[name] / REQUESTS for name in sorted(COUNTS) if name != "unused"
            }
            print(label, per_request)


if __name__ == "__main__":
    import connexion.validators.parameter

    main()
