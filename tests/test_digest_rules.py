"""The digest's numbers from plain rows, against examples worked by hand (bot/digest_rules.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.digest_rules import (
    MONTHLY,
    WEEKLY,
    ActionRow,
    DecisionRow,
    EscalationRow,
    IntakeRow,
    LiaisonTermRow,
    LookupRow,
    MeetingRow,
    Period,
    RequestRow,
    Rows,
    Schedule,
    SessionRow,
    TermRow,
    chart_weeks,
    check_schedule,
    digest,
    due_at,
    figures,
    last_complete,
    liaison_now,
    period_containing,
)

LONDON = "Europe/London"
WEEK = Period(WEEKLY, date(2026, 11, 23), "UTC")  # Mon 23 Nov to Sun 29 Nov 2026


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def intake(
    submitted: datetime,
    lead_days: int,
    *,
    claimed: datetime | None = None,
    closed: datetime | None = None,
    personal: str = "no",
    vendors: str = "none",
) -> IntakeRow:
    return IntakeRow(submitted, lead_days, claimed, closed, personal, vendors)


# --- periods ---------------------------------------------------------------------------------------------------


def test_a_week_runs_from_monday_midnight_to_the_next_in_its_zone() -> None:
    week = period_containing(at(25), WEEKLY, "UTC")

    assert week == WEEK
    assert (week.start, week.end) == (at(23, 0), at(30, 0))
    assert week.previous() == Period(WEEKLY, date(2026, 11, 16), "UTC")
    assert week.key == "weekly:2026-11-23"
    assert week.label() == "week of 23 Nov – 29 Nov 2026"


def test_a_week_crossing_the_change_to_summer_time_is_an_hour_short() -> None:
    week = period_containing(datetime(2026, 3, 25, tzinfo=UTC), WEEKLY, LONDON)  # clocks go forward on 29 Mar

    assert week.start == datetime(2026, 3, 23, 0, tzinfo=UTC)  # midnight GMT
    assert week.end == datetime(2026, 3, 29, 23, tzinfo=UTC)  # midnight BST
    assert week.end - week.start == timedelta(days=7, hours=-1)


def test_a_month_and_the_one_before_it() -> None:
    month = period_containing(datetime(2026, 1, 10, tzinfo=UTC), MONTHLY, "America/New_York")

    assert month.first_day == date(2026, 1, 1)
    assert month.start == datetime(2026, 1, 1, 5, tzinfo=UTC)
    assert month.end == datetime(2026, 2, 1, 5, tzinfo=UTC)
    assert month.previous() == Period(MONTHLY, date(2025, 12, 1), "America/New_York")
    assert month.label() == "January 2026"


def test_the_digest_is_due_on_the_first_chosen_day_after_its_period() -> None:
    tuesdays = Schedule(weekday=1, at=time(8, 30), zone=LONDON)
    assert due_at(Period(WEEKLY, date(2026, 11, 23), LONDON), tuesdays) == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    mondays = Schedule(weekday=0, at=time(9), zone=LONDON)
    assert due_at(Period(WEEKLY, date(2026, 3, 23), LONDON), mondays) == datetime(2026, 3, 30, 8, tzinfo=UTC)  # BST
    monthly = Schedule(weekday=2, at=time(9), zone="UTC", period=MONTHLY)  # the first Wednesday of the month
    assert due_at(Period(MONTHLY, date(2026, 11, 1), "UTC"), monthly) == datetime(2026, 12, 2, 9, tzinfo=UTC)


def test_the_last_complete_period_is_the_one_before_now() -> None:
    assert last_complete(at(30, 1), Schedule()) == WEEK  # Monday 1:00, a week just ended
    assert last_complete(at(29, 23), Schedule()) == WEEK.previous()  # Sunday night: that week is not over


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_periods_tile_time_in_any_zone(moment: datetime) -> None:
    for kind in (WEEKLY, MONTHLY):
        for zone in ("UTC", LONDON, "Australia/Lord_Howe", "America/Sao_Paulo"):
            period = period_containing(moment, kind, zone)
            assert period.contains(moment)
            assert period.previous().end == period.start


def test_a_schedule_from_the_form_and_its_errors() -> None:
    schedule, errors = check_schedule("4", "16:05", "Europe/Paris", "monthly")
    assert errors == {} and schedule == Schedule(4, time(16, 5), "Europe/Paris", MONTHLY)
    assert schedule.describe() == "monthly, on the first Friday of each month at 16:05 (Europe/Paris)"

    schedule, errors = check_schedule("9", "25:00", "Mars/Olympus", "daily")
    assert schedule is None and set(errors) == {"weekday", "at", "zone", "period"}
    assert "Mars/Olympus" in errors["zone"]


# --- figures ---------------------------------------------------------------------------------------------------


def test_an_empty_period_has_zero_counts_and_no_medians() -> None:
    numbers = figures(Rows(), WEEK, short_notice_days=30)

    assert numbers.intakes.filed == 0
    assert numbers.intakes.median_lead_days is None
    assert numbers.intakes.short_notice_share is None
    assert numbers.intakes.median_pickup_hours is None
    assert numbers.intakes.unclaimed_at_end == numbers.intakes.escalations == 0
    assert numbers.intakes.decisions == {"approve": 0, "decline": 0, "review": 0}
    assert (numbers.sitdowns.held, numbers.sitdowns.skipped) == (0, 0)
    assert numbers.sitdowns.overdue == {"immediate": 0, "long_term": 0}
    assert (numbers.lunches.held, numbers.lunches.average_rating) == (0, None)
    assert numbers.glossary.most_missed == ()
    assert liaison_now([], WEEK.end) is None


def test_a_period_with_one_intake() -> None:
    only = intake(at(24, 10), 20, claimed=at(24, 16), personal="yes", vendors="Acme CDP")
    numbers = figures(Rows(intakes=[only]), WEEK, short_notice_days=30).intakes

    assert numbers.filed == 1
    assert numbers.median_lead_days == 20
    assert numbers.short_notice_share == 1.0  # 20 days' notice is under 30
    assert numbers.median_pickup_hours == 6.0
    assert numbers.unclaimed_at_end == 0
    assert (numbers.personal_data, numbers.new_vendors) == (1, 1)


def test_intake_cohorts_worked_by_hand() -> None:
    rows = Rows(
        intakes=[
            intake(at(10), 60, claimed=at(24, 12)),  # earlier, claimed this week after 14 days: 336 h
            intake(at(23, 9), 45, claimed=at(23, 11)),  # 2 h
            intake(at(25, 9), 10, personal="unsure", vendors="no"),  # urgent, never claimed
            intake(at(27, 9), 25, closed=at(28), vendors="Hotjar"),  # short notice, withdrawn unclaimed
            intake(at(29, 23), 90),  # Sunday night: still this week, unclaimed at its end
            intake(at(30, 0), 5),  # Monday 00:00: next week
        ],
        decisions=[DecisionRow("approve", at(24)), DecisionRow("review", at(26)), DecisionRow("question", at(26))],
        escalations=[
            EscalationRow(3, 1, at(27)),
            EscalationRow(3, 2, at(29)),  # to two admins: one escalation
            EscalationRow(3, 2, at(29)),
            EscalationRow(1, 1, at(12)),  # the week before
        ],
    )
    numbers = figures(rows, WEEK, short_notice_days=30).intakes

    assert numbers.filed == 4  # 23, 25, 27, 29 Nov
    assert numbers.median_lead_days == 35.0  # of 45, 10, 25, 90
    assert numbers.short_notice_share == 0.5  # 10 and 25 days
    assert numbers.claimed == 2 and numbers.median_pickup_hours == 169.0  # of 336 and 2
    assert numbers.unclaimed_at_end == 2  # 25 and 29 Nov (27 Nov was withdrawn)
    assert numbers.escalations == 2
    assert numbers.decisions == {"approve": 1, "decline": 0, "review": 1}
    assert (numbers.personal_data, numbers.new_vendors) == (0, 1)


def test_a_period_crossing_a_dst_change_counts_by_local_time() -> None:
    week = Period(WEEKLY, date(2026, 3, 23), LONDON)
    rows = Rows(
        intakes=[
            intake(datetime(2026, 3, 23, 0, 30, tzinfo=UTC), 40),  # Mon 00:30 GMT: in
            intake(datetime(2026, 3, 29, 22, 30, tzinfo=UTC), 20),  # Sun 23:30 BST: in
            intake(datetime(2026, 3, 29, 23, 30, tzinfo=UTC), 5),  # Mon 00:30 BST: the next week
            intake(datetime(2026, 3, 22, 23, 59, tzinfo=UTC), 7),  # Sun 23:59 GMT: the week before
        ]
    )
    current = figures(rows, week, short_notice_days=30).intakes
    before = figures(rows, week.previous(), short_notice_days=30).intakes

    assert (current.filed, current.median_lead_days, current.short_notice_share) == (2, 30.0, 0.5)
    assert (before.filed, before.median_lead_days) == (1, 7)
    assert current.unclaimed_at_end == 3


def test_sitdowns_lunches_and_the_glossary_worked_by_hand() -> None:
    rows = Rows(
        meetings=[
            MeetingRow(at(24, 10), "scheduled"),
            MeetingRow(at(26, 10), "moved"),
            MeetingRow(at(27, 10), "skipped"),
            MeetingRow(at(28, 10), "holiday"),
            MeetingRow(at(17, 10), "scheduled"),  # the week before
        ],
        actions=[
            ActionRow("immediate", at(24), at(25), date(2026, 11, 27), "UTC"),  # opened and closed
            ActionRow("long_term", at(24), None, date(2026, 12, 20), "UTC"),  # opened, not due
            ActionRow("immediate", at(10), None, date(2026, 11, 29), "UTC"),  # due Sunday, open: overdue
            ActionRow("immediate", at(10), at(30, 9), date(2026, 11, 20), "UTC"),  # done after the end: overdue
        ],
        sessions=[
            SessionRow(at(25), False, "it_to_marketing", ("UM1", "UM2", "UIT1", "UX"), (5, 4)),
            SessionRow(at(26), True, "marketing_to_it", ("UIT1",), ()),  # cancelled
            SessionRow(at(27), False, "joint", ("UM1",), (3,)),
        ],
        terms=[TermRow(at(23)), TermRow(at(29)), TermRow(at(20))],
        lookups=[
            LookupRow("cac", at(24), False),
            LookupRow("mql", at(24), False),
            LookupRow("cac", at(25), False),
            LookupRow("roas", at(25), False),
            LookupRow("ltv", at(26), False),
            LookupRow("cac", at(20), False),  # the week before
        ],
        requests=[
            RequestRow(at(24), None, "open"),
            RequestRow(at(20), at(26), "defined"),  # defined in the period
            RequestRow(at(20), at(30, 9), "defined"),  # still open at the end
        ],
        sides={"UM1": "marketing", "UM2": "marketing", "UIT1": "it"},
    )
    numbers = figures(rows, WEEK, short_notice_days=30)

    assert (numbers.sitdowns.held, numbers.sitdowns.skipped) == (2, 2)
    assert numbers.sitdowns.opened == {"immediate": 1, "long_term": 1}
    assert numbers.sitdowns.closed == {"immediate": 1, "long_term": 0}
    assert numbers.sitdowns.overdue == {"immediate": 2, "long_term": 0}
    assert numbers.lunches.held == 2
    assert numbers.lunches.seats_by_side == {"marketing": 3, "it": 1, "other": 1}
    assert (numbers.lunches.average_rating, numbers.lunches.ratings) == (4.0, 3)
    assert numbers.lunches.taught_by == {"marketing": 0, "it": 1, "joint": 1}
    assert numbers.glossary.added == 2
    assert numbers.glossary.most_missed == (("cac", 2), ("ltv", 1), ("mql", 1))
    assert numbers.glossary.open_requests == 2


def test_the_liaison_pair_and_days_to_their_handover() -> None:
    terms = [
        LiaisonTermRow(at(2, 0), at(16, 0), "UOLD", "UOLD2"),
        LiaisonTermRow(at(16, 0), at(30, 0, month=11) + timedelta(days=4), "UMKT", "UIT"),  # ends Fri 4 Dec
    ]
    now = liaison_now(terms, WEEK.end)

    assert now is not None and (now.marketing_user, now.it_user, now.days_to_handover) == ("UMKT", "UIT", 4)


def test_a_digest_sets_the_period_beside_the_one_before() -> None:
    rows = Rows(intakes=[intake(at(24), 40), intake(at(17), 10), intake(at(18), 20)])
    result = digest(rows, WEEK, short_notice_days=30, as_of=WEEK.end)

    assert (result.current.intakes.filed, result.previous.intakes.filed) == (1, 2)
    assert result.previous.intakes.median_lead_days == 15.0


def test_the_chart_has_a_point_per_week_over_the_quarter() -> None:
    weeks = chart_weeks(
        [intake(at(24), 40, claimed=at(24, 18)), intake(at(3), 10)], WEEK.end, "UTC", short_notice_days=30
    )

    assert len(weeks) == 13
    assert weeks[-1].first_day == date(2026, 11, 23) and weeks[0].first_day == date(2026, 8, 31)
    assert (weeks[-1].median_lead_days, weeks[-1].median_pickup_hours, weeks[-1].short_notice_share) == (40, 6.0, 0)
    assert weeks[-4].first_day == date(2026, 11, 2) and weeks[-4].short_notice_share == 1.0
    assert weeks[-2].median_lead_days is None
