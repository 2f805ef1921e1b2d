"""A small helper that speaks the API, for tests that are about behaviour, not bytes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.multipart_bodies import Part, content_type, multipart_body


class Api:
    def __init__(self, client: Any, base: str = "/engine-rest") -> None:
        self.client = client
        self.base = base

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def create_task(self, task_id: str, **fields: Any) -> httpx.Response:
        response = self.client.post(self.url("/task/create"), json={"id": task_id, **fields})
        assert response.status_code == 204, response.text
        return response

    def create_process_instance(self, tree: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(self.url("/process-instance/create"), json=tree)
        assert response.status_code == 200, response.text
        return response.json()

    def post_raw(self, path: str, body: Any, content_type_header: str | None) -> httpx.Response:
        headers = {"Content-Type": content_type_header} if content_type_header else {}
        return self.client.post(self.url(path), content=body, headers=headers)

    def post_parts(self, path: str, *parts: Part) -> httpx.Response:
        return self.post_raw(path, multipart_body(*parts), content_type())

    def upload(
        self,
        path: str,
        data: bytes,
        *,
        value_type: str | None = "Bytes",
        filename: str | None = None,
        content_type_header: str | None = None,
    ) -> httpx.Response:
        """POST ``{path}/data`` with a ``data`` part and, unless ``None``, a ``valueType``."""
        parts = [Part("data", data, filename=filename, content_type=content_type_header)]
        if value_type is not None:
            parts.append(Part("valueType", value_type, content_type="text/plain"))
        return self.post_parts(f"{path}/data", *parts)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(self.url(path), params=params)
