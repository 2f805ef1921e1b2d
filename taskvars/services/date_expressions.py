"""The date expressions Camunda's task query takes in its ``*Expression`` parameters,
evaluated without an expression engine.

Camunda evaluates these with JUEL and its internal context functions ``now()`` (a
``java.util.Date``) and ``dateTime()`` (a Joda ``DateTime``, on which a chain of
``plusDays(n)``, ``minusHours(n)``, ``withTimeAtStartOfDay()`` and ``toDate()`` calls
is the usual use). That subset is all a date needs and is small enough to read with a
regular expression; anything else is refused by name rather than guessed at.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

_EXPRESSION = re.compile(r"^\s*[$#]\{\s*(?P<body>.*?)\s*\}\s*$", re.DOTALL)
_DATE_TIME_CALLS = re.compile(
    r"\.(?:(?P<direction>plus|minus)(?P<unit>Years|Months|Weeks|Days|Hours|Minutes|Seconds|Millis)"
    r"\(\s*(?P<amount>-?\d{1,9})\s*\)|(?P<start_of_day>withTimeAtStartOfDay)\(\s*\)"
    r"|(?P<to_date>toDate)\(\s*\))"
)
_DURATIONS = {
    "Weeks": timedelta(weeks=1),
    "Days": timedelta(days=1),
    "Hours": timedelta(hours=1),
    "Minutes": timedelta(minutes=1),
    "Seconds": timedelta(seconds=1),
    "Millis": timedelta(milliseconds=1),
}
SUPPORTED = (
    "${now()} and ${dateTime()} followed by plus/minus Years, Months, Weeks, Days, Hours, "
    "Minutes, Seconds or Millis(n), withTimeAtStartOfDay() and toDate()"
)


class UnsupportedExpressionError(ValueError):
    pass


def is_expression(text: str) -> bool:
    """Whether JUEL would evaluate ``text`` rather than take it as it is."""
    return "${" in text or "#{" in text


def evaluate_date(text: str, now: datetime) -> datetime:
    """The instant ``text`` denotes, ``now`` being the current time in the server's zone
    (Joda's default zone decides where a day starts)."""
    match = _EXPRESSION.match(text)
    if match is None:
        raise UnsupportedExpressionError(f"not an expression: {text}")
    body = match["body"]
    if body == "now()":
        return now
    if not body.startswith("dateTime()"):
        raise UnsupportedExpressionError(f"unsupported expression: {text}")
    value, position, converted = now, len("dateTime()"), False
    for call in _DATE_TIME_CALLS.finditer(body, position):
        if call.start() != position or converted:
            break
        position = call.end()
        if call["to_date"]:
            converted = True
        elif call["start_of_day"]:
            value = value.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            amount = int(call["amount"]) * (1 if call["direction"] == "plus" else -1)
            value = _plus(value, call["unit"], amount)
    if position != len(body):
        raise UnsupportedExpressionError(f"unsupported expression: {text}")
    return value


def _plus(value: datetime, unit: str, amount: int) -> datetime:
    if unit in _DURATIONS:
        return value + _DURATIONS[unit] * amount
    months = amount * 12 if unit == "Years" else amount
    year, month_index = divmod(value.year * 12 + value.month - 1 + months, 12)
    # As Joda does, the day is kept if the month has it, else the month's last day.
    day = min(value.day, calendar.monthrange(year, month_index + 1)[1])
    return value.replace(year=year, month=month_index + 1, day=day)
