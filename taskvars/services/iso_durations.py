"""ISO 8601 durations (``PT5M``, ``P1DT2H``) and repetitions (``R5/PT5M``) as Camunda's
``DurationHelper`` reads them for retry time cycles."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_REPEAT = re.compile(r"^R(?P<times>\d*)/(?P<duration>P.+)$")


@dataclass(frozen=True)
class Duration:
    months: int
    delta: timedelta

    def after(self, instant: datetime) -> datetime:
        """``instant`` plus this duration, months by the calendar (day kept in range)."""
        if self.months:
            month_index = instant.year * 12 + instant.month - 1 + self.months
            year, month = divmod(month_index, 12)
            day = min(instant.day, monthrange(year, month + 1)[1])
            instant = instant.replace(year=year, month=month + 1, day=day)
        return instant + self.delta


def parse_duration(text: str) -> Duration:
    """Raises ``ValueError`` for anything but an ISO 8601 duration."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    value = {name: float(amount or 0) for name, amount in match.groupdict().items()}
    return Duration(
        months=int(value["years"]) * 12 + int(value["months"]),
        delta=timedelta(
            weeks=value["weeks"],
            days=value["days"],
            hours=value["hours"],
            minutes=value["minutes"],
            seconds=value["seconds"],
        ),
    )


@dataclass(frozen=True)
class RetryCycle:
    """``FailedJobRetryConfiguration``: how many retries, and the waits between them."""

    retries: int
    intervals: tuple[Duration, ...]


def parse_retry_cycle(text: str) -> RetryCycle:
    """``ParseUtil.parseRetryIntervals``: ``R5/PT5M`` is 5 retries 5 minutes apart;
    ``PT1M,PT2M`` is one more retry than intervals, each waiting its interval. Raises
    ``ValueError`` for text that is neither."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise ValueError("an empty retry time cycle")
    retries = len(parts) + 1
    intervals = []
    for part in parts:
        repeat = _REPEAT.match(part)
        if repeat is not None:
            if len(parts) == 1:
                retries = int(repeat["times"]) if repeat["times"] else retries
            intervals.append(parse_duration(repeat["duration"]))
        else:
            intervals.append(parse_duration(part))
    return RetryCycle(retries, tuple(intervals))
