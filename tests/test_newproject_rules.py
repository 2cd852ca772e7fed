"""The /newproject rules on their own: validation, lead time and flags, statuses, business days, stats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.newproject_rules import (
    APPROVED,
    CLAIMED,
    DECLINED,
    NEW,
    REVIEW,
    WITHDRAWN,
    IntakeFacts,
    TransitionRefused,
    add_business_days,
    check_draft,
    escalation_moments,
    flags,
    lead_time_days,
    median,
    monthly_stats,
    names_new_vendor,
    next_status,
    notice_level,
    parse_intake_id,
)
from tests.builders import intake_draft as draft

TODAY = date(2026, 11, 23)  # a Monday
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# --- validation ----------------------------------------------------------------------------------------------


def test_a_complete_draft_has_no_errors_and_launching_today_is_allowed() -> None:
    assert check_draft(draft(), TODAY) == {}
    assert check_draft(draft(launch_date=TODAY), TODAY) == {}


def test_empty_name_past_launch_and_missing_answers_are_reported_by_field() -> None:
    errors = check_draft(
        draft(name="   ", business_case="", launch_date=TODAY - timedelta(days=1), personal_data=""), TODAY
    )
    assert set(errors) == {"name", "business_case", "launch_date", "personal_data"}
    assert "in the past" in errors["launch_date"]


def test_missing_launch_date_overlong_name_and_unknown_budget_are_refused() -> None:
    errors = check_draft(draft(name="x" * 151, launch_date=None, budget="a lot"), TODAY)
    assert set(errors) == {"name", "launch_date", "budget"}


# --- lead time and flags -------------------------------------------------------------------------------------


def test_lead_time_counts_days_from_the_day_of_submission() -> None:
    assert lead_time_days(date(2026, 12, 23), MONDAY_9) == 30
    assert lead_time_days(TODAY, MONDAY_9.replace(hour=23, minute=59)) == 0


@pytest.mark.parametrize(
    ("days", "level"), [(0, "urgent"), (13, "urgent"), (14, "short notice"), (29, "short notice"), (30, None)]
)
def test_notice_level_thresholds(days: int, level: str | None) -> None:
    assert notice_level(days, short_notice_days=30, urgent_days=14) == level


def test_thresholds_are_configurable() -> None:
    assert notice_level(40, short_notice_days=45, urgent_days=7) == "short notice"
    assert notice_level(6, short_notice_days=45, urgent_days=7) == "urgent"


@pytest.mark.parametrize("answer", ["", "none", "No.", "N/A", "  nope ", "-"])
def test_plain_no_answers_do_not_flag_a_new_vendor(answer: str) -> None:
    assert not names_new_vendor(answer)


def test_flags_name_personal_data_new_vendors_and_notice() -> None:
    found = flags(draft(personal_data="yes", new_vendors="Typeform"), 10, short_notice_days=30, urgent_days=14)
    assert found == ["personal data", "new vendor", "urgent"]
    assert flags(draft(personal_data="unsure"), 60, short_notice_days=30, urgent_days=14) == ["personal data unclear"]
    assert flags(draft(), 60, short_notice_days=30, urgent_days=14) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12", 12), ("#7", 7), (" 3 ", 3), ("0", None), ("-1", None), ("abc", None), ("1; DROP TABLE x", None)],
)
def test_intake_ids_are_positive_whole_numbers(typed: str, expected: int | None) -> None:
    assert parse_intake_id(typed) == expected


def test_intake_ids_beyond_the_database_integer_and_non_ascii_digits_are_refused() -> None:
    assert parse_intake_id(str(2**31)) is None
    assert parse_intake_id("１２") is None
    assert parse_intake_id(str(2**31 - 1)) == 2**31 - 1


# --- statuses ------------------------------------------------------------------------------------------------


def test_claiming_a_new_intake_makes_it_claimed_and_keeps_a_review_under_review() -> None:
    assert next_status(NEW, "claim") == CLAIMED
    assert next_status(REVIEW, "claim") == REVIEW
    assert next_status(CLAIMED, "question") == CLAIMED


def test_decisions_close_the_intake() -> None:
    assert next_status(NEW, "approve") == APPROVED
    assert next_status(REVIEW, "decline") == DECLINED
    assert next_status(CLAIMED, "withdraw") == WITHDRAWN


@pytest.mark.parametrize("closed", [APPROVED, DECLINED, WITHDRAWN])
@pytest.mark.parametrize("action", ["claim", "review", "approve", "decline", "withdraw", "question"])
def test_a_closed_intake_refuses_every_action(closed: str, action: str) -> None:
    with pytest.raises(TransitionRefused, match="already closed"):
        next_status(closed, action)


def test_review_twice_and_unknown_actions_are_refused() -> None:
    with pytest.raises(TransitionRefused, match="already marked"):
        next_status(REVIEW, "review")
    with pytest.raises(TransitionRefused):
        next_status(NEW, "delete")


# --- business days -------------------------------------------------------------------------------------------


def business_time_between(start: datetime, end: datetime) -> timedelta:
    """An independent oracle: weekday time between two moments, summed day by day."""
    total = timedelta(0)
    day = start.date()
    while day <= end.date():
        if day.weekday() < 5:
            day_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            overlap = min(end, day_start + timedelta(days=1)) - max(start, day_start)
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


def test_weekends_are_skipped() -> None:
    friday_3pm = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert add_business_days(friday_3pm, 2) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday
    assert add_business_days(MONDAY_9, 2) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday


def test_a_weekend_start_counts_from_monday_morning() -> None:
    saturday = datetime(2026, 11, 28, 10, 30, tzinfo=UTC)
    assert add_business_days(saturday, 2) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # Wednesday 00:00


def test_escalation_comes_after_the_reminder_by_as_many_business_days() -> None:
    reminder, admins = escalation_moments(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), 2)  # Thursday
    assert reminder == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday
    assert admins == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wednesday


@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    days=st.integers(min_value=1, max_value=30),
)
def test_exactly_that_much_weekday_time_passes_and_it_never_ends_on_a_weekend(start: datetime, days: int) -> None:
    end = add_business_days(start, days)
    assert end > start
    assert business_time_between(start, end) == timedelta(days=days)
    assert end.weekday() < 5


# --- stats ---------------------------------------------------------------------------------------------------


def fact(day: datetime, lead: int, status: str, pickup_hours: float | None = None) -> IntakeFacts:
    claimed = day + timedelta(hours=pickup_hours) if pickup_hours is not None else None
    return IntakeFacts(requested_at=day, lead_days=lead, status=status, claimed_at=claimed)


def test_stats_by_month_count_statuses_and_take_medians() -> None:
    november = datetime(2026, 11, 2, tzinfo=UTC)
    december = datetime(2026, 12, 1, tzinfo=UTC)
    months = monthly_stats(
        [
            fact(december, 40, NEW),
            fact(november, 10, APPROVED, 2),
            fact(november, 20, CLAIMED, 6),
            fact(november, 60, NEW),
        ]
    )
    assert [m.label for m in months] == ["2026-11", "2026-12"]
    assert months[0].total == 3
    assert months[0].by_status == {NEW: 1, CLAIMED: 1, APPROVED: 1}
    assert months[0].median_lead_days == 20
    assert months[0].median_pickup_hours == 4
    assert months[1].median_pickup_hours is None


def test_median_of_nothing_is_none() -> None:
    assert median([]) is None
    assert median([1, 2, 3, 10]) == 2.5
