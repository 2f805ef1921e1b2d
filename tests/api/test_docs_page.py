"""Swagger UI at /engine-rest/docs/, from the installed swagger-ui-bundle: the API's
entry paths lead there (the root leads to the task list: tests/api/test_tasklist_page.py),
and the page needs nothing from the network. (Using it in a browser:
tests/e2e/test_swagger_ui.py.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

DOCS = "/engine-rest/docs/"


@pytest.mark.parametrize("entry", ["/engine-rest", "/engine-rest/"])
def test_the_entry_paths_redirect_to_the_documentation(client: Any, entry: str) -> None:
    response = client.get(entry, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == DOCS


def test_other_methods_on_an_entry_path_are_not_redirected(client: Any) -> None:
    response = client.post("/engine-rest/", follow_redirects=False)
    assert response.status_code == 404
    assert response.json()["type"] == "NotFoundException"


def test_the_page_loads_the_spec_as_served_and_only_its_own_files(client: Any) -> None:
    page = client.get(DOCS)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # the document as written (taskvars.web.spec_document), not connexion's resolved copy
    assert 'url: "/engine-rest/openapi.json"' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    assert not [asset for asset in assets if "//" in asset]  # nothing from another host
    for asset in assets:
        assert client.get(DOCS + asset.removeprefix("./")).status_code == 200


def test_the_page_shows_operation_ids_and_a_filter(client: Any) -> None:
    config = client.get(DOCS + "swagger-ui-config.json").json()
    assert config == {"displayOperationId": True, "filter": True}


def test_a_missing_file_under_the_documentation_is_camundas_404(client: Any) -> None:
    response = client.get(DOCS + "no-such-file.js")
    assert response.status_code == 404
    assert response.json() == {
        "type": "NotFoundException",
        "message": "HTTP 404 Not Found",
        "code": None,
    }
