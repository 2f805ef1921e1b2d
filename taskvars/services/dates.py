"""Camunda's date format, ``yyyy-MM-dd'T'HH:mm:ss.SSSZ``, read and written.

Reading is lenient as Java's ``SimpleDateFormat`` (which Camunda uses) is by default:
a field past its range rolls over into the next one, so ``2013-02-30`` is 2 March.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from taskvars.services import test_clock

_DATE = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})\.(?P<millis>\d{3})"
    r"(?P<sign>[+-])(?P<offset_hours>\d{2})(?P<offset_minutes>\d{2})$"
)


def parse_date(text: str) -> datetime:
    """Raises ``ValueError`` for text that is not in the format at all."""
    match = _DATE.match(text)
    if match is None:
        raise ValueError(f"not a date in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ: {text!r}")
    field = {name: int(value) for name, value in match.groupdict().items() if name != "sign"}
    year, month_index = divmod(field["year"] * 12 + field["month"] - 1, 12)
    offset = timedelta(hours=field["offset_hours"], minutes=field["offset_minutes"])
    if match["sign"] == "-":
        offset = -offset
    try:
        start_of_month = datetime(year, month_index + 1, 1, tzinfo=timezone(offset))
        return start_of_month + timedelta(
            days=field["day"] - 1,
            hours=field["hour"],
            minutes=field["minute"],
            seconds=field["second"],
            milliseconds=field["millis"],
        )
    except (ValueError, OverflowError) as error:
        raise ValueError(f"date out of range: {text!r}") from error


def parse_any_date(text: str) -> datetime:
    """A date in Camunda's format, or ISO 8601 as clients generated from Camunda's spec
    (``format: date-time``) send it, in UTC; a time without an offset is the server's.
    Raises ``ValueError`` for anything else."""
    try:
        instant = parse_date(text)
    except ValueError:
        instant = datetime.fromisoformat(text)
    return (instant if instant.tzinfo else instant.astimezone()).astimezone(UTC)


def format_date(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
        value = value.replace(tzinfo=UTC)
    millis = f"{value.microsecond // 1000:03d}"
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + millis + value.strftime("%z")


def epoch_millis(value: datetime) -> int:
    """Milliseconds since 1970 in UTC, as Camunda keeps a Date for queries."""
    return round(value.timestamp() * 1000)


def now_millis() -> datetime:
    """The current instant in UTC, to the millisecond as Camunda keeps it, so that a
    date read back compares equal with the one stored. Follows the test clock
    (:mod:`taskvars.services.test_clock`)."""
    now = datetime.now(UTC) + timedelta(microseconds=test_clock.offset_micros())
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def now_epoch_millis() -> int:
    """:func:`now_millis` as the tables that keep times as numbers keep them."""
    return epoch_millis(now_millis())
