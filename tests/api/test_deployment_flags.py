"""A deployment's flags read as Java's Boolean.parseBoolean reads them: ``true`` in any
letter case is true (pycamunda and generic-camunda-client send Python's ``True``),
anything else false."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api_client import Api
from tests.multipart_bodies import Part

INVOICE = (Path(__file__).parent.parent / "bpmn" / "invoice.bpmn").read_bytes()


def deploy(api: Api, flag: str, value: str) -> dict:
    response = api.post_parts(
        "/deployment/create",
        Part("deployment-name", "invoices", content_type="text/plain"),
        Part(flag, value, content_type="text/plain"),
        Part("invoice.bpmn", INVOICE, filename="invoice.bpmn"),
    )
    assert response.status_code == 200, response.text
    deployed: dict = response.json()
    return deployed


@pytest.mark.parametrize("flag", ["enable-duplicate-filtering", "deploy-changed-only"])
@pytest.mark.parametrize("spelling", ["True", "TRUE", "true"])
def test_true_in_any_letter_case_filters_duplicates(api: Api, flag: str, spelling: str) -> None:
    first = deploy(api, flag, spelling)
    again = deploy(api, flag, spelling)
    assert again["id"] == first["id"]
    assert again["deployedProcessDefinitions"] is None


@pytest.mark.parametrize("spelling", ["False", "yes", "1", ""])
def test_anything_else_is_false(api: Api, spelling: str) -> None:
    first = deploy(api, "enable-duplicate-filtering", spelling)
    again = deploy(api, "enable-duplicate-filtering", spelling)
    assert again["id"] != first["id"]
    assert again["deployedProcessDefinitions"] is not None
