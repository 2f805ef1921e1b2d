"""The date expressions of the task query, evaluated as Camunda's JUEL and Joda would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from taskvars.services.date_expressions import (
    UnsupportedExpressionError,
    evaluate_date,
    is_expression,
)

NOW = datetime(2024, 1, 31, 15, 30, 45, 123000, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("${now()}", NOW),
        ("${dateTime()}", NOW),
        ("${dateTime().toDate()}", NOW),
        ("#{ dateTime().plusDays(1) }", NOW + timedelta(days=1)),
        ("${dateTime().minusHours(2).plusMinutes(30)}", NOW - timedelta(minutes=90)),
        ("${dateTime().plusWeeks(-1)}", NOW - timedelta(weeks=1)),
        ("${dateTime().plusMillis(5)}", NOW + timedelta(milliseconds=5)),
        # a month without the 31st ends on its last day, as in Joda
        ("${dateTime().plusMonths(1)}", NOW.replace(month=2, day=29)),
        ("${dateTime().minusYears(1).plusMonths(1)}", NOW.replace(year=2023, month=2, day=28)),
        (
            "${dateTime().withTimeAtStartOfDay()}",
            NOW.replace(hour=0, minute=0, second=0, microsecond=0),
        ),
    ],
)
def test_date_expressions_evaluate_from_now(expression: str, expected: datetime) -> None:
    assert evaluate_date(expression, NOW) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "2024-01-01",
        "${now().plusDays(1)}",
        "${dateTime().plusFortnights(1)}",
        "${dateTime().toDate().plusDays(1)}",
        "${currentUser()}",
        "${dateTime().plusDays(1)} and more",
    ],
)
def test_anything_else_is_refused(expression: str) -> None:
    with pytest.raises(UnsupportedExpressionError):
        evaluate_date(expression, NOW)


def test_text_without_an_expression_marker_is_literal() -> None:
    assert not is_expression("demo")
    assert is_expression("${currentUser()}")
    assert is_expression("#{x}")


def test_a_year_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        evaluate_date("${dateTime().plusYears(999999)}", NOW.astimezone(UTC))
