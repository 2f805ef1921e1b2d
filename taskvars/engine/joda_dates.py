"""Dates in expressions: Joda's ``DateTime`` (Camunda's ``dateTime()``) and
``java.util.Date`` (``now()``, ``toDate()``), with the methods models call on them."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from taskvars.engine.juel_methods import BOOLEAN, DATE, DATE_TIME, NUMBER, STRING, Method
from taskvars.engine.juel_methods import method as _m
from taskvars.engine.juel_methods import object_methods as _object_methods
from taskvars.engine.juel_values import EvaluationError, java_type
from taskvars.services.dates import epoch_millis, now_millis


def now() -> datetime:
    """Camunda's ``now()``: the current time, to the millisecond."""
    return now_millis()


def date_time() -> DateTime:
    """Camunda's ``dateTime()``: ``new DateTime(now())``."""
    return DateTime(now_millis())


@dataclass(frozen=True)
class DateTime:
    """Joda's ``DateTime`` in the server's time zone (Joda's default zone, which decides
    where a day starts and what ``plusDays`` keeps): an instant; day-based arithmetic on
    the local wall time, time-based on the instant, as Joda does."""

    instant: datetime  # aware
    java_type = "DateTime"

    def local(self) -> datetime:
        return self.instant.astimezone()

    def with_wall(self, wall: datetime) -> DateTime:
        # A naive datetime's astimezone() reads it as the server's local time (DST known).
        return DateTime(wall.replace(tzinfo=None).astimezone().astimezone(UTC))

    def plus_months(self, months: int) -> DateTime:
        wall = self.local()
        year, month_index = divmod(wall.year * 12 + wall.month - 1 + months, 12)
        # As Joda does: the day is kept if the month has it, else the month's last day.
        day = min(wall.day, calendar.monthrange(year, month_index + 1)[1])
        return self.with_wall(wall.replace(year=year, month=month_index + 1, day=day))

    def plus_days(self, days: int) -> DateTime:
        return self.with_wall(self.local() + timedelta(days=days))

    def plus(self, duration: timedelta) -> DateTime:
        return DateTime(self.instant + duration)

    def __str__(self) -> str:
        # Joda's ISO format: 2026-12-05T16:06:08.123Z or ...+01:00
        local = self.local()
        text = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
        offset = local.strftime("%z")
        return text + ("Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}")


def _instant(value: Any) -> datetime:
    if isinstance(value, DateTime):
        return value.instant
    if isinstance(value, datetime):
        return value
    raise EvaluationError(f"{java_type(value)} is not a date")


def _date_time_methods() -> dict[str, Method]:
    methods = {
        **_object_methods(),
        "toString": _m(STRING, str),
        "toDate": _m(DATE, lambda r: r.instant.astimezone(UTC)),
        "withTimeAtStartOfDay": _m(
            DATE_TIME,
            lambda r: r.with_wall(r.local().replace(hour=0, minute=0, second=0, microsecond=0)),
        ),
        "getMillis": _m(NUMBER, lambda r: epoch_millis(r.instant)),
        "getYear": _m(NUMBER, lambda r: r.local().year),
        "getMonthOfYear": _m(NUMBER, lambda r: r.local().month),
        "getDayOfMonth": _m(NUMBER, lambda r: r.local().day),
        "getDayOfYear": _m(NUMBER, lambda r: r.local().timetuple().tm_yday),
        "getDayOfWeek": _m(NUMBER, lambda r: r.local().isoweekday()),  # Monday is 1
        "getHourOfDay": _m(NUMBER, lambda r: r.local().hour),
        "getMinuteOfHour": _m(NUMBER, lambda r: r.local().minute),
        "getSecondOfMinute": _m(NUMBER, lambda r: r.local().second),
        "isBefore": _m(BOOLEAN, lambda r, o: r.instant < _instant(o), ("Object",)),
        "isAfter": _m(BOOLEAN, lambda r, o: r.instant > _instant(o), ("Object",)),
        "isEqual": _m(BOOLEAN, lambda r, o: r.instant == _instant(o), ("Object",)),
        "isBeforeNow": _m(BOOLEAN, lambda r: r.instant < now_millis()),
        "isAfterNow": _m(BOOLEAN, lambda r: r.instant > now_millis()),
    }
    durations = {
        "Hours": timedelta(hours=1),
        "Minutes": timedelta(minutes=1),
        "Seconds": timedelta(seconds=1),
        "Millis": timedelta(milliseconds=1),
    }
    for sign, prefix in ((1, "plus"), (-1, "minus")):
        methods[f"{prefix}Years"] = _m(
            DATE_TIME, lambda r, n, s=sign: r.plus_months(12 * s * n), ("int",)
        )
        methods[f"{prefix}Months"] = _m(
            DATE_TIME, lambda r, n, s=sign: r.plus_months(s * n), ("int",)
        )
        methods[f"{prefix}Days"] = _m(DATE_TIME, lambda r, n, s=sign: r.plus_days(s * n), ("int",))
        methods[f"{prefix}Weeks"] = _m(
            DATE_TIME, lambda r, n, s=sign: r.plus_days(7 * s * n), ("int",)
        )
        for unit, duration in durations.items():
            methods[f"{prefix}{unit}"] = _m(
                DATE_TIME, lambda r, n, s=sign, d=duration: r.plus(d * s * n), ("int",)
            )
    return methods


DATE_TIME_METHODS = _date_time_methods()

DATE_METHODS = {
    **_object_methods(),
    "getTime": _m(NUMBER, lambda r: epoch_millis(r)),
    "before": _m(BOOLEAN, lambda r, o: r < _instant(o), ("Object",)),
    "after": _m(BOOLEAN, lambda r, o: r > _instant(o), ("Object",)),
}
