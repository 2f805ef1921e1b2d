"""Timer definitions as Camunda reads them (``TimerDeclarationImpl``, ``DurationHelper``):
``timeDate`` (an ISO 8601 date and time), ``timeDuration`` (an ISO 8601 duration),
``timeCycle`` (``R3/PT10M``, ``R/start/PT1H``, ``R2/start/end``, or cron: :mod:`.cron`);
due dates from a given now.
Pure: the caller evaluates ``${...}`` first and passes the clock's now."""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class TimerKind(enum.StrEnum):
    DATE = "timeDate"
    DURATION = "timeDuration"
    CYCLE = "timeCycle"


class TimerDefinitionError(ValueError):
    """Text that is no timer definition Camunda (or this server) accepts."""


_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
_REPEAT = re.compile(r"^R(?P<count>\d*)$")


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    days: int = 0
    seconds: float = 0.0
    negative: bool = False

    def after(self, start: datetime) -> datetime:
        """``start`` moved on by this duration; years and months by the calendar (as
        ``javax.xml.datatype.Duration.addTo``), the rest exactly."""
        sign = -1 if self.negative else 1
        month_index = start.year * 12 + start.month - 1 + sign * (self.years * 12 + self.months)
        year, month = divmod(month_index, 12)
        try:
            day = min(start.day, calendar.monthrange(year, month + 1)[1])
            moved = start.replace(year=year, month=month + 1, day=day)
            return moved + sign * timedelta(days=self.days, seconds=self.seconds)
        except (ValueError, OverflowError):
            raise TimerDefinitionError(
                f"{_duration_text(self)} from {start.isoformat()} is past the last date"
            ) from None

    @property
    def fixed(self) -> timedelta | None:
        """The duration when it does not depend on the calendar (no years or months)."""
        if self.years or self.months:
            return None
        return (-1 if self.negative else 1) * timedelta(days=self.days, seconds=self.seconds)

    @property
    def positive(self) -> bool:
        return not self.negative and bool(self.years or self.months or self.days or self.seconds)


def parse_duration(text: str) -> Duration:
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise TimerDefinitionError(f"not an ISO 8601 duration: {text!r}")
    part = {k: v for k, v in match.groupdict().items() if k != "sign"}
    return Duration(
        years=int(part["years"] or 0),
        months=int(part["months"] or 0),
        days=int(part["weeks"] or 0) * 7 + int(part["days"] or 0),
        seconds=int(part["hours"] or 0) * 3600
        + int(part["minutes"] or 0) * 60
        + float((part["seconds"] or "0").replace(",", ".")),
        negative=match["sign"] is not None,
    )


def parse_date_time(text: str) -> datetime:
    """An ISO 8601 date and time; without an offset, in the server's zone (Camunda's
    ``DateTimeUtil.parseDate`` reads it in the default time zone)."""
    cleaned = text.strip()
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise TimerDefinitionError(f"not an ISO 8601 date: {text!r}") from None
    return (parsed if parsed.tzinfo else parsed.astimezone()).astimezone(UTC)


@dataclass(frozen=True)
class Cycle:
    """``R[n]/[start/]duration`` or ``R[n]/start/end``: ``repetitions`` None for ever."""

    repetitions: int | None
    start: datetime | None
    period: Duration | None
    end: datetime | None = None

    def first_due(self, now: datetime) -> datetime:
        """The first due date (``DurationHelper.getDateAfter``): the start when it is
        still ahead, else the first start + k * period after now; now + period without
        a start."""
        if self.period is None:
            if self.start is None or self.end is None:
                raise TimerDefinitionError("a cycle needs a duration or a start and an end")
            return self.start if self.start > now else self.end
        if self.start is None:
            return self.period.after(now)
        step = self.period.fixed
        if step is not None and self.start < now:
            # Straight to the first repetition after now: a start long past with a short
            # period would otherwise be caught up one repetition at a time.
            return self.start + ((now - self.start) // step + 1) * step
        due = self.start
        guard = 0
        while due <= now and guard < 100_000:
            due = self.period.after(due)
            guard += 1
        return due

    def next_due(self, previous: datetime) -> datetime:
        if self.period is None:
            raise TimerDefinitionError("a cycle without a duration repeats nothing")
        return self.period.after(previous)

    def after_one(self) -> str | None:
        """The cycle's text once one repetition fired (``None``: none left)."""
        if self.repetitions is not None and self.repetitions <= 1:
            return None
        count = "" if self.repetitions is None else str(self.repetitions - 1)
        parts = [f"R{count}"]
        if self.start is not None:
            parts.append(self.start.isoformat())
        if self.period is not None:
            parts.append(_duration_text(self.period))
        elif self.end is not None:
            parts.append(self.end.isoformat())
        return "/".join(parts)


def _duration_text(duration: Duration) -> str:
    sign = "-" if duration.negative else ""
    return f"{sign}P{duration.years}Y{duration.months}M{duration.days}DT{duration.seconds}S"


def is_cron(text: str) -> bool:
    """Camunda takes a cycle not starting with ``R`` as a cron expression (``DurationHelper``
    is used only for ``R...``; ``CronTimer`` for the rest)."""
    return not text.strip().startswith("R")


def parse_cycle(text: str) -> Cycle:
    parts = text.strip().split("/")
    match = _REPEAT.match(parts[0])
    if match is None or len(parts) not in (2, 3):
        raise TimerDefinitionError(f"not an ISO 8601 repeating interval: {text!r}")
    count = int(match["count"]) if match["count"] else None
    if len(parts) == 2:
        return Cycle(count, None, _period(parts[1], text))
    first, second = parts[1], parts[2]
    if first.startswith("P"):
        return Cycle(count, None, _period(first, text), parse_date_time(second))
    start = parse_date_time(first)
    if second.startswith("P"):
        return Cycle(count, start, _period(second, text))
    return Cycle(count, start, None, parse_date_time(second))


def _period(part: str, text: str) -> Duration:
    """A cycle's period: longer than zero, or the cycle would fire again at once, for
    ever (refused here, where Camunda would run it so)."""
    period = parse_duration(part)
    if not period.positive:
        raise TimerDefinitionError(f"a timer cycle's period must be longer than zero: {text!r}")
    return period


@dataclass(frozen=True)
class DueTimer:
    """A timer as armed: when it is due, and (a cycle) the repeat left after it fires."""

    due: datetime
    repeat: str | None


def arm(kind: TimerKind, text: str, now: datetime) -> DueTimer:
    """The timer ``kind`` with the (already evaluated) ``text``, armed at ``now``."""
    if kind is TimerKind.DATE:
        return DueTimer(parse_date_time(text), None)
    if kind is TimerKind.DURATION:
        return DueTimer(parse_duration(text).after(now), None)
    if is_cron(text):
        from taskvars.engine.cron import parse_cron  # it raises this module's error

        return DueTimer(parse_cron(text).next_after(now), text)
    cycle = parse_cycle(text)
    return DueTimer(cycle.first_due(now), cycle.after_one() if cycle.period else None)


def repeat_after(repeat: str, fired_due: datetime) -> DueTimer | None:
    """A cycle's next due date after the one that fired at ``fired_due``; ``None`` when
    no repetition is left."""
    if is_cron(repeat):  # a cron cycle repeats for ever (Camunda's CronTimer)
        from taskvars.engine.cron import parse_cron

        return DueTimer(parse_cron(repeat).next_after(fired_due), repeat)
    cycle = parse_cycle(repeat)
    return DueTimer(cycle.next_due(fired_due), cycle.after_one())


def check(kind: TimerKind, text: str) -> str | None:
    """Why ``text`` (literal, no expression) is no timer of ``kind``; ``None``: it is."""
    try:
        arm(kind, text, datetime.now(UTC))
    except TimerDefinitionError as error:
        return str(error)
    return None
