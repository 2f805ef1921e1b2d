"""Writes a browser sends from another site or origin are refused before anything is
read or written; the server's own pages, and clients that are not browsers, write as
before. (In a real browser: tests/e2e/test_tasklist_journey.py.)"""

from __future__ import annotations

from typing import Any

import pytest

TASK = {"id": "forged", "name": "Forged"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another port of the same host is another origin
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
        {"Origin": "http://attacker.example"},
        {"Origin": "null"},  # a sandboxed frame or a file
    ],
)
def test_a_write_from_another_site_or_origin_is_refused_and_writes_nothing(
    client: Any, headers: dict[str, str]
) -> None:
    response = client.post("/engine-rest/task/create", json=TASK, headers=headers)
    assert response.status_code == 403
    assert response.json()["type"] == "ForbiddenException"
    assert "refused" in response.json()["message"]
    assert client.get("/engine-rest/task/forged").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, SDKs, workers
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},  # the server's pages
        {"Sec-Fetch-Site": "none"},  # typed by the user
        {"Origin": "http://testserver"},  # a browser without Sec-Fetch-Site
    ],
)
def test_a_write_from_the_servers_own_pages_or_a_client_goes_through(
    client: Any, headers: dict[str, str]
) -> None:
    response = client.post("/engine-rest/task/create", json=TASK, headers=headers)
    assert response.status_code == 204


def test_a_read_from_another_site_is_answered(client: Any) -> None:
    response = client.get("/engine-rest/task", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200
