"""What connexion 3 alone costs for one small multipart upload: a stock AsyncApp whose
spec has one operation, the binary upload's path and form, and whose handler stores
nothing and answers 204. Beside the FastAPI reference it shows how much of taskvars'
per-request time is the framework the project is built on, before any of its own code.

    uvicorn bench.connexion_floor:app
"""

from __future__ import annotations

from typing import Any

from connexion import AsyncApp
from connexion.options import SwaggerUIOptions

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "connexion floor", "version": "1"},
    "paths": {
        "/task/{id}/localVariables/{varName}/data": {
            "post": {
                "operationId": "bench.connexion_floor.upload",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "varName",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "data": {"type": "string", "format": "binary"},
                                    "valueType": {"type": "string"},
                                },
                            }
                        }
                    }
                },
                "responses": {"204": {"description": "stored"}},
            }
        }
    },
}


async def upload(id_: str, var_name: str, data: Any = None, **form: Any) -> tuple[None, int]:
    return None, 204


app = AsyncApp(__name__, swagger_ui_options=SwaggerUIOptions(swagger_ui=False))
app.add_api(SPEC, pythonic_params=True, base_path="/engine-rest")
