"""Cron cycles as Camunda 7.24 reads a ``timeCycle`` that does not start with ``R``
(``CronTimer``: cron-utils with its ``SPRING53`` definition): six fields, seconds first,
``second minute hour day-of-month month day-of-week``; ``*``, ``?`` (either day field),
lists, ranges, steps, month and weekday names; weekdays ``0``-``7`` with ``0`` and ``7``
Sunday. The next due time is the first matching second after a given instant, in the
server's time zone (Camunda uses the JVM's default zone).

Written here: no maintained Python package reads Spring's dialect (croniter, now
unmaintained, counts weekdays and orders fields as Unix cron does). ``L``, ``W`` and
``#`` are refused rather than guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from taskvars.engine.timer_definitions import TimerDefinitionError

_MONTHS = {
    n: i
    for i, n in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_DAYS = {n: i for i, n in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
_PART = re.compile(r"^(?P<range>\*|\?|[0-9A-Z]+(?:-[0-9A-Z]+)?)(?:/(?P<step>\d+))?$")
# A search this far ahead finds any expression that matches at all (a leap day too).
_YEARS_AHEAD = 9


@dataclass(frozen=True)
class Cron:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]  # of the month
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 Sunday .. 6 Saturday

    def next_after(self, instant: datetime) -> datetime:
        """The first matching second after ``instant`` (in UTC)."""
        local = instant.astimezone()
        start = local.replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(366 * _YEARS_AHEAD):
            if self._day_matches(day):
                found = self._time_on(day, start)
                if found is not None:
                    return found.astimezone(UTC)
            day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # over a DST change
        raise TimerDefinitionError("the cron expression never matches")

    def _day_matches(self, day: datetime) -> bool:
        weekday = (day.weekday() + 1) % 7
        return day.month in self.months and day.day in self.days and weekday in self.weekdays

    def _time_on(self, day: datetime, start: datetime) -> datetime | None:
        for hour in sorted(self.hours):
            for minute in sorted(self.minutes):
                for second in sorted(self.seconds):
                    candidate = day.replace(hour=hour, minute=minute, second=second)
                    if candidate >= start:
                        return candidate
        return None


def parse_cron(text: str) -> Cron:
    source = _MACROS.get(text.strip().lower(), text.strip())
    fields = source.upper().split()
    if len(fields) != 6:
        raise TimerDefinitionError(
            f"a cron cycle has six fields (second minute hour day month weekday): {text!r}"
        )
    seconds, minutes, hours, days, months, weekdays = fields
    if "?" in (seconds, minutes, hours, months):
        raise TimerDefinitionError(f"'?' is for the day fields only: {text!r}")
    return Cron(
        _field(seconds, 0, 59, {}),
        _field(minutes, 0, 59, {}),
        _field(hours, 0, 23, {}),
        _field(days, 1, 31, {}),
        _field(months, 1, 12, _MONTHS),
        frozenset(d % 7 for d in _field(weekdays, 0, 7, _DAYS)),
    )


def _field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        match = _PART.match(part)
        if match is None:
            raise TimerDefinitionError(f"not a cron field this server reads: {text!r}")
        span = match["range"]
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            first, last = (_value(v, names, low, high) for v in span.split("-"))
        else:
            first = last = _value(span, names, low, high)
            if match["step"]:
                last = high  # "5/15": from 5 on
        step = int(match["step"] or 1)
        if step < 1 or first > last:
            raise TimerDefinitionError(f"not a cron field this server reads: {text!r}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(text: str, names: dict[str, int], low: int, high: int) -> int:
    value = names.get(text) if not text.isdigit() else int(text)
    if value is None or not low <= value <= high:
        raise TimerDefinitionError(f"not a cron value this server reads: {text!r}")
    return value
