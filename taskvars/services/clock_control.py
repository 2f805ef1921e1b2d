"""``/test-clock`` (ours): read, set and advance the server's clock
(:mod:`taskvars.services.test_clock`) when ``--test-clock`` allows it, and answer once
this process's job executor ran what became due.

Refused with a 403 when the server runs without ``--test-clock``: the operation exists
(a 404 would read as a wrong URL or an old server), but this server does not allow it,
as Camunda answers 403 for what a configuration forbids (comments without history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from taskvars.errors import ForbiddenError, InvalidRequestError
from taskvars.services import test_clock
from taskvars.services.dates import format_date, now_millis
from taskvars.services.iso_durations import parse_duration
from taskvars.services.query_parameters import date_parameter

DEFAULT_WAIT_SECONDS = 10.0
# Room left before datetime's end for what is reckoned from "now" (due dates, locks).
_HEADROOM = timedelta(days=366)
# The span a clock may be set to: a date written as Camunda writes it has four digits of
# year, and what is reckoned from "now" stays within datetime's range.
_EARLIEST = datetime(1000, 1, 1, tzinfo=UTC) + _HEADROOM
_LATEST = datetime.max.replace(tzinfo=UTC) - _HEADROOM


class DueJobsRunner(Protocol):
    def run_due(self, timeout_seconds: float) -> bool: ...


def require_enabled(enabled: bool) -> None:
    if not enabled:
        raise ForbiddenError(
            "The test clock is off: start the server with --test-clock to read and move its clock"
        )


def reading(*, settled: bool | None = None) -> dict[str, Any]:
    """``TestClockDto``."""
    answer: dict[str, Any] = {
        "time": format_date(now_millis()),
        "offsetMillis": test_clock.offset_micros() // 1000,
    }
    if settled is not None:
        answer["jobsSettled"] = settled
    return answer


def set_time(body: dict[str, Any], runner: DueJobsRunner | None) -> dict[str, Any]:
    text = body.get("time")
    if text is None:
        test_clock.reset()
    else:
        instant = date_parameter("time", text)
        if not _EARLIEST <= instant <= _LATEST:
            raise InvalidRequestError(
                f"The clock can be set between the years 1001 and 9998 only: {text} is outside them"
            )
        test_clock.set_now(instant)
    return reading(settled=_settle(body, runner))


def advance(body: dict[str, Any], runner: DueJobsRunner | None) -> dict[str, Any]:
    millis, duration = body.get("milliseconds"), body.get("duration")
    if (millis is None) == (duration is None):
        raise InvalidRequestError("Give either milliseconds or duration to advance the clock by")
    now = now_millis()
    try:
        if duration is not None:
            delta: timedelta = parse_duration(duration).after(now) - now
        else:
            delta = timedelta(milliseconds=int(body["milliseconds"]))
        now + delta + _HEADROOM
    except ValueError as error:
        raise InvalidRequestError(str(error)) from None
    except OverflowError:
        raise InvalidRequestError("The clock cannot be moved past the year 9999") from None
    test_clock.advance((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
    return reading(settled=_settle(body, runner))


def _settle(body: dict[str, Any], runner: DueJobsRunner | None) -> bool:
    if runner is None:  # no executor in this process: nothing runs the jobs here
        return False
    wait = body.get("waitSeconds")
    return runner.run_due(DEFAULT_WAIT_SECONDS if wait is None else float(wait))
