"""Odd submitted values for every field of a generated form: each is accepted or refused
with a 400, never a server error, and a refusal leaves the task as it was. Which are
accepted follows Camunda's form types (a readonly field takes only null, Boolean.valueOf
makes any text a boolean, an empty date is none)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.api.test_generated_forms import approval, deployed, instance_variables, post, started
from tests.api_client import Api

FIELDS = ("employee", "days", "firstDay", "approved", "comment", "urgency")
ODD_VALUES: tuple[dict[str, Any], ...] = (
    {"value": None},
    {"value": True},
    {"value": 1.5},
    {"value": -(2**63)},
    {"value": 2**63},
    {"value": ""},
    {"value": " "},
    {"value": "31.02.2030"},
    {"value": {"a": 1}},
    {"value": [1]},
    {"value": "5", "type": "Long"},
    {"value": "2030-07-01T00:00:00.000+0200", "type": "Date"},
    {"value": None, "type": "Null"},
    {"value": "x", "type": "Json"},
    {"value": "eA==", "type": "Bytes"},
    {"value": "high", "valueInfo": {"transient": True}},
)


def test_odd_values_are_accepted_or_refused_with_a_400(api: Api) -> None:
    deployed(api)
    instance_id = started(api, employee="Ada", days=12)
    task_id = approval(api, instance_id)
    before = instance_variables(api, instance_id)
    accepted = []
    for field, value in itertools.product(FIELDS, ODD_VALUES):
        body = {"variables": {field: value, "approved": {"value": True}}}
        if field == "approved":
            body = {"variables": {field: value}}
        response = post(api, f"/task/{task_id}/submit-form", body)
        assert response.status_code in (204, 400), (field, value, response.text)
        if response.status_code == 204:
            accepted.append((field, value))
            instance_id = started(api, employee="Ada", days=12)
            task_id = approval(api, instance_id)
            before = instance_variables(api, instance_id)
        else:
            assert approval(api, instance_id) == task_id
            assert instance_variables(api, instance_id) == before
    null = ({"value": None}, {"value": None, "type": "Null"})
    transient = {"value": "high", "valueInfo": {"transient": True}}
    expected = [
        *((field, value) for field in FIELDS for value in null),
        ("days", {"value": -(2**63)}),
        ("days", {"value": "5", "type": "Long"}),
        # an empty date is no date; a Date is one already
        ("firstDay", {"value": ""}),
        ("firstDay", {"value": " "}),
        ("firstDay", {"value": "2030-07-01T00:00:00.000+0200", "type": "Date"}),
        # Boolean.valueOf: any text but "true" is false
        ("approved", {"value": True}),
        ("approved", {"value": " "}),
        ("approved", {"value": "31.02.2030"}),
        ("approved", transient),
        ("comment", {"value": ""}),
        ("comment", {"value": " "}),
        ("comment", {"value": "31.02.2030"}),
        ("comment", {"value": "x", "type": "Json"}),
        ("comment", transient),
        ("urgency", transient),
    ]
    key = repr
    assert sorted(accepted, key=key) == sorted(expected, key=key)
