"""The expressions of Camunda's invoice example (camunda/camunda-bpm-platform,
examples/invoice/src/main/resources: invoice.v1.bpmn, invoice.v2.bpmn and
reviewInvoice.bpmn, at 3dd653fe66d352d15009a6b4b355e81bf683d319) compile and evaluate
as Camunda evaluates them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from taskvars.engine import joda_dates
from taskvars.engine.expressions import compile_expression

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
VARIABLES: dict[str, Any] = {
    "approved": True,
    "clarified": False,
    "approverGroups": ["management", "sales"],
    "reviewer": "demo",
}


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        (
            "approveInvoice camunda:dueDate",
            "${dateTime().plusWeeks(1).toDate()}",
            datetime(2026, 3, 9, 9, 30, tzinfo=UTC),
        ),
        ("assignApprover camunda:candidateGroups", "${approverGroups}", ["management", "sales"]),
        ("invoice_approved condition", "${approved}", True),
        ("invoice_not_approved condition", "${!approved}", False),
        ("reviewSuccessful condition", "${clarified}", False),
        ("reviewNotSuccessful condition", "${!clarified}", True),
        (
            "reviewInvoice camunda:dueDate",
            "${dateTime().plusDays(2).toDate()}",
            datetime(2026, 3, 4, 9, 30, tzinfo=UTC),
        ),
        ("reviewInvoice camunda:assignee", "${reviewer}", "demo"),
    ],
)
def test_the_invoice_examples_expressions_compile_and_evaluate(
    monkeypatch: pytest.MonkeyPatch, where: str, source: str, expected: Any
) -> None:
    monkeypatch.setattr(joda_dates, "now_millis", lambda: NOW)
    monkeypatch.setenv("TZ", "UTC")  # the server's zone decides what a day is
    time.tzset()
    try:
        assert compile_expression(source).evaluate(VARIABLES.__getitem__) == expected, where
    finally:
        monkeypatch.undo()
        time.tzset()
