"""Timer definitions as Camunda reads them: ISO 8601 dates, durations and repeating
intervals, due dates from a given now (pure: no clock is read)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from taskvars.engine.timer_definitions import (
    TimerDefinitionError,
    TimerKind,
    arm,
    parse_duration,
    repeat_after,
)

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("PT10M", NOW + timedelta(minutes=10)),
        ("P2D", NOW + timedelta(days=2)),
        ("P1W", NOW + timedelta(days=7)),
        ("PT1.5S", NOW + timedelta(seconds=1.5)),
        ("P1DT2H3M4S", NOW + timedelta(days=1, hours=2, minutes=3, seconds=4)),
        # Months by the calendar, clipped to the month's last day.
        ("P1M", datetime(2026, 2, 28, 12, 0, tzinfo=UTC)),
        ("P1Y", datetime(2027, 1, 31, 12, 0, tzinfo=UTC)),
    ],
)
def test_a_duration_is_due_that_long_after_now(text: str, due: datetime) -> None:
    assert arm(TimerKind.DURATION, text, NOW).due == due


def test_a_date_is_due_then_whatever_now_is() -> None:
    armed = arm(TimerKind.DATE, "2026-03-01T08:30:00+01:00", NOW)
    assert armed.due == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert armed.repeat is None
    assert arm(TimerKind.DATE, "2026-03-01T08:30:00Z", NOW).due.hour == 8


@pytest.mark.parametrize("text", ["P", "PT", "10M", "PT-1M", "soon", "P1DT"])
def test_text_that_is_no_duration_is_refused(text: str) -> None:
    with pytest.raises(TimerDefinitionError):
        parse_duration(text)


def test_a_cycle_without_a_start_is_due_one_period_on_and_repeats_its_count() -> None:
    armed = arm(TimerKind.CYCLE, "R3/PT10M", NOW)
    assert armed.due == NOW + timedelta(minutes=10)
    assert armed.repeat is not None
    second = repeat_after(armed.repeat, armed.due)
    assert second is not None
    assert second.due == NOW + timedelta(minutes=20)
    assert second.repeat is not None
    third = repeat_after(second.repeat, second.due)
    assert third is not None
    assert third.due == NOW + timedelta(minutes=30)
    assert third.repeat is None  # three in all


def test_an_unbounded_cycle_always_has_a_next_repetition() -> None:
    armed = arm(TimerKind.CYCLE, "R/PT1H", NOW)
    assert armed.repeat is not None
    assert armed.repeat.startswith("R/")
    following = repeat_after(armed.repeat, armed.due)
    assert following is not None
    assert following.repeat is not None


def test_a_cycle_with_a_start_ahead_is_due_at_its_start() -> None:
    armed = arm(TimerKind.CYCLE, "R2/2026-02-01T00:00:00Z/P1D", NOW)
    assert armed.due == datetime(2026, 2, 1, tzinfo=UTC)


def test_a_cycle_whose_start_passed_is_due_at_its_next_period_after_now() -> None:
    armed = arm(TimerKind.CYCLE, "R/2026-01-30T00:00:00Z/P1D", NOW)
    assert armed.due == datetime(2026, 2, 1, tzinfo=UTC)


def test_a_single_repetition_fires_once() -> None:
    assert arm(TimerKind.CYCLE, "R1/PT1M", NOW).repeat is None


def test_a_cron_cycle_is_due_at_its_next_matching_second_and_repeats_for_ever() -> None:
    armed = arm(TimerKind.CYCLE, "0 0/15 * * * ?", NOW)
    assert armed.due == NOW + timedelta(minutes=15)
    assert armed.repeat == "0 0/15 * * * ?"
    following = repeat_after(armed.repeat, armed.due)
    assert following is not None
    assert following.due == NOW + timedelta(minutes=30)


def test_a_cron_weekday_counts_sunday_as_zero_or_seven_and_monday_as_one() -> None:
    # 2026-01-31 is a Saturday: the next Monday 09:00 in the server's zone.
    monday = arm(TimerKind.CYCLE, "0 0 9 ? * MON", NOW).due.astimezone()
    assert (monday.weekday(), monday.hour, monday.minute) == (0, 9, 0)
    assert (
        arm(TimerKind.CYCLE, "0 0 9 ? * 1", NOW).due
        == arm(TimerKind.CYCLE, "0 0 9 ? * MON", NOW).due
    )
    assert (
        arm(TimerKind.CYCLE, "0 0 9 ? * 0", NOW).due == arm(TimerKind.CYCLE, "0 0 9 ? * 7", NOW).due
    )


@pytest.mark.parametrize("text", ["0 0 * * *", "0 0 0 L * ?", "0 0 0 ? * MON#2", "x * * * * *"])
def test_cron_this_server_does_not_read_is_refused(text: str) -> None:
    with pytest.raises(TimerDefinitionError):
        arm(TimerKind.CYCLE, text, NOW)


@pytest.mark.parametrize("text", ["R/PT0S", "R5/P0D", "R/2026-01-01T00:00:00Z/PT0S", "R3/-PT1M"])
def test_a_cycle_that_would_fire_again_at_once_for_ever_is_refused(text: str) -> None:
    with pytest.raises(TimerDefinitionError, match="longer than zero"):
        arm(TimerKind.CYCLE, text, NOW)


def test_a_duration_past_the_last_date_is_a_timer_error_not_a_crash() -> None:
    with pytest.raises(TimerDefinitionError, match="past the last date"):
        arm(TimerKind.DURATION, "P99999999Y", NOW)


def test_a_cycle_started_long_ago_is_first_due_at_its_next_repetition_after_now() -> None:
    armed = arm(TimerKind.CYCLE, "R/2000-01-01T00:00:00Z/PT1S", NOW)
    assert NOW < armed.due <= NOW + timedelta(seconds=1)
