"""A body over the configured maximum answers 413 and stores nothing
(docs/compatibility.md, "Request body size limit")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taskvars.app import create_app
from taskvars.settings import Settings
from tests.api_client import Api
from tests.multipart_bodies import Part, content_type, in_pieces, multipart_body

LIMIT = 4096


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    app = create_app(Settings(database_url=db_url, max_upload_bytes=LIMIT), validate_responses=True)
    with app.test_client() as client:
        api = Api(client)
        api.create_task("t1")
        yield api


def expected_body() -> dict[str, object]:
    return {
        "type": "RestException",
        "message": f"Request body exceeds the configured limit of {LIMIT} bytes",
        "code": None,
    }


def test_declared_content_length_over_the_limit_is_refused(api: Api) -> None:
    response = api.upload("/task/t1/variables/x", b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == expected_body()
    assert api.get("/task/t1/variables/x").status_code == 404


def test_chunked_body_over_the_limit_is_refused(api: Api) -> None:
    body = multipart_body(Part("data", b"x" * (LIMIT * 2)))
    response = api.post_raw("/task/t1/variables/x/data", in_pieces(body, 512), content_type())
    assert response.status_code == 413
    assert response.json() == expected_body()
    assert api.get("/task/t1/variables/x").status_code == 404


def test_body_at_the_limit_is_accepted(api: Api) -> None:
    body = multipart_body(Part("data", b""))
    body = multipart_body(Part("data", b"y" * (LIMIT - len(body))))
    assert len(body) == LIMIT
    assert api.post_raw("/task/t1/variables/x/data", body, content_type()).status_code == 204
