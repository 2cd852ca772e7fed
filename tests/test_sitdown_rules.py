"""Sit-down rules without Slack or a database: recurrence across DST, holidays, skips and moves, planning,
what people type, and the calendar file."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from bot import sitdown_recurrence as recur
from bot.outcomes import Rejected
from bot.sitdown_calendar import series_calendar
from bot.sitdown_recurrence import Cadence, Occurrence, Recurrence
from bot.sitdown_rules import (
    DURATION_CHOICES,
    LEAD_CHOICES,
    parse_day,
    parse_time_of_day,
    plan,
    plan_through,
    planning_bounds,
    watermark_after,
)
from tests.builders import SERIES_DRAFT

TUESDAY = 1
LONDON = ZoneInfo("Europe/London")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def weekly(zone: str, *, cadence: Cadence = Cadence.WEEKLY, starts_on: date = date(2026, 1, 1)) -> Recurrence:
    return Recurrence(cadence, TUESDAY, time(10), zone, starts_on)


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # Berlin: CET (UTC+1) until 29 March, CEST (UTC+2) until 25 October.
        ("Europe/Berlin", utc(2026, 3, 24, 9), utc(2026, 3, 31, 8)),
        ("Europe/Berlin", utc(2026, 10, 20, 8), utc(2026, 10, 27, 9)),
        # New York: EST (UTC-5) until 8 March, EDT (UTC-4) until 1 November.
        ("America/New_York", utc(2026, 3, 3, 15), utc(2026, 3, 10, 14)),
        ("America/New_York", utc(2026, 10, 27, 14), utc(2026, 11, 3, 15)),
    ],
)
def test_a_10_oclock_meeting_stays_at_10_local_across_dst(zone: str, before: datetime, after: datetime) -> None:
    recurrence = weekly(zone)

    starts = recurrence.starts_between(before - timedelta(hours=1), after)

    assert starts == [before, after]
    assert {recurrence.local(start).strftime("%a %H:%M") for start in starts} == {"Tue 10:00"}


def test_between_the_european_and_american_changes_the_gap_between_zones_shrinks() -> None:
    """From 8 to 29 March New York is already on summer time and Berlin is not: 5 hours apart, not 6."""
    berlin = weekly("Europe/Berlin").starts_between(utc(2026, 3, 16), utc(2026, 3, 18))
    new_york = weekly("America/New_York").starts_between(utc(2026, 3, 16), utc(2026, 3, 18))

    assert new_york[0] - berlin[0] == timedelta(hours=5)


def test_monthly_on_the_nth_and_last_weekday() -> None:
    first = Recurrence(Cadence.MONTHLY, TUESDAY, time(15, 30), "Europe/London", date(2026, 11, 1), nth=1)
    last = Recurrence(Cadence.MONTHLY, 4, time(9), "America/New_York", date(2026, 11, 1), nth=-1)

    firsts = [first.local(s).date() for s in first.starts_between(utc(2026, 11, 1), utc(2027, 2, 1))]
    lasts = [last.local(s).date() for s in last.starts_between(utc(2026, 11, 1), utc(2027, 2, 1))]

    assert firsts == [date(2026, 11, 3), date(2026, 12, 1), date(2027, 1, 5)]
    assert lasts == [date(2026, 11, 27), date(2026, 12, 25), date(2027, 1, 29)]
    assert first.rule() == "FREQ=MONTHLY;BYDAY=1TU" and last.rule() == "FREQ=MONTHLY;BYDAY=-1FR"


def test_every_two_weeks_counts_from_the_first_meeting_on_or_after_the_start() -> None:
    recurrence = weekly("America/New_York", cadence=Cadence.BIWEEKLY, starts_on=date(2026, 11, 25))

    days = [recurrence.local(s).date() for s in recurrence.starts_between(utc(2026, 11, 1), utc(2027, 1, 1))]

    assert days == [date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 29)]


def test_nothing_happens_before_the_series_starts() -> None:
    recurrence = weekly("Europe/London", starts_on=date(2026, 12, 2))

    assert recurrence.starts_between(utc(2026, 11, 1), utc(2026, 12, 8)) == []
    assert recurrence.starts_between(utc(2026, 11, 1), utc(2026, 12, 9)) == [utc(2026, 12, 8, 10)]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
    cadence=st.sampled_from(list(Cadence)),
    weekday=st.integers(0, 6),
    hour=st.integers(6, 20),
    offset_days=st.integers(0, 700),
)
def test_occurrences_are_always_at_the_local_time_on_the_weekday_in_order(
    zone: str, cadence: Cadence, weekday: int, hour: int, offset_days: int
) -> None:
    starts_on = date(2026, 1, 1) + timedelta(days=offset_days)
    nth = 2 if cadence is Cadence.MONTHLY else None
    recurrence = Recurrence(cadence, weekday, time(hour, 15), zone, starts_on, nth)
    low = datetime.combine(starts_on, time(0), UTC) - timedelta(days=2)

    starts = recurrence.starts_between(low, low + timedelta(days=120))

    assert starts == sorted(set(starts)) and len(starts) >= 3
    for start in starts:
        local = start.astimezone(ZoneInfo(zone))
        assert (local.weekday(), local.hour, local.minute) == (weekday, hour, 15)
        assert local.date() >= starts_on
    gaps = {b - a for a, b in itertools.pairwise(starts)}
    if cadence is not Cadence.MONTHLY:
        week = timedelta(weeks=2 if cadence is Cadence.BIWEEKLY else 1)
        assert all(abs(gap - week) <= timedelta(hours=1) for gap in gaps)  # an hour off only across a DST change


def test_holidays_skips_and_moves_change_single_occurrences() -> None:
    recurrence = weekly("Europe/London", starts_on=date(2026, 12, 1))
    skipped, moved = utc(2026, 12, 8, 10), utc(2026, 12, 15, 10)
    overrides = {
        skipped: recur.Override(skipped, skipped, "skipped"),
        moved: recur.Override(moved, utc(2026, 12, 17, 14), "moved"),
    }

    found = recur.occurrences_between(recurrence, overrides, {date(2026, 12, 22)}, utc(2026, 11, 30), utc(2026, 12, 31))

    assert [(o.start, o.status) for o in found] == [
        (utc(2026, 12, 1, 10), "scheduled"),
        (skipped, "skipped"),
        (utc(2026, 12, 17, 14), "moved"),
        (utc(2026, 12, 22, 10), "holiday"),
        (utc(2026, 12, 29, 10), "scheduled"),
    ]
    after_first = recur.next_occurrence(recurrence, overrides, {date(2026, 12, 22)}, utc(2026, 12, 1, 11))
    assert after_first == Occurrence(moved, utc(2026, 12, 17, 14), "moved")
    on_day = recur.occurrence_on(recurrence, overrides, set(), date(2026, 12, 29), utc(2026, 12, 1))
    assert on_day is not None and on_day.start == utc(2026, 12, 29, 10)
    assert recur.occurrence_on(recurrence, overrides, set(), date(2026, 12, 30), utc(2026, 12, 1)) is None


def test_plan_gives_one_reminder_per_lead_a_followup_and_one_holiday_notice() -> None:
    meeting = Occurrence(utc(2026, 12, 1, 10), utc(2026, 12, 1, 10), "scheduled")
    holiday = Occurrence(utc(2026, 12, 8, 10), utc(2026, 12, 8, 10), "holiday")
    skipped = Occurrence(utc(2026, 12, 15, 10), utc(2026, 12, 15, 10), "skipped")

    planned = plan([meeting, holiday, skipped], (1440, 15), 45, utc(2026, 11, 1), utc(2027, 1, 1), LONDON)

    assert [(p.kind, p.due) for p in planned] == [
        ("reminder", utc(2026, 11, 30, 10)),
        ("reminder", utc(2026, 12, 1, 9, 45)),
        ("followup", utc(2026, 12, 1, 10, 45)),
        ("holiday", utc(2026, 12, 7, 10)),
    ]
    window = plan([meeting], (1440, 15), 45, utc(2026, 11, 30, 10), utc(2026, 12, 1, 9, 45), LONDON)
    assert [p.lead_minutes for p in window] == [15], "the window is (after, until]: each moment planned once"


@settings(max_examples=80, deadline=None)
@given(
    start=st.sampled_from([utc(2026, 11, 23, 9), utc(2026, 3, 9, 9), utc(2026, 10, 12, 9)]),
    cuts=st.lists(st.integers(1, 60 * 24 * 30), max_size=15),
    leads=st.sets(st.sampled_from(sorted(LEAD_CHOICES)), min_size=1),
    duration=st.sampled_from(DURATION_CHOICES),
)
def test_planning_window_after_window_plans_every_message_exactly_once(
    start: datetime, cuts: list[int], leads: set[int], duration: int
) -> None:
    """The watermark invariant: however the ticks fall (or a downtime merges them), consecutive windows plan
    what one window over the whole span plans: nothing lost, nothing twice. The March and October starts
    cross a DST change."""
    recurrence = Recurrence(Cadence.WEEKLY, TUESDAY, time(10), "Europe/Berlin", start.date())
    end = start + timedelta(days=30)
    holiday = recurrence.local(recurrence.starts_between(start, end)[2]).date()
    bounds = sorted({start, end, *(start + timedelta(minutes=c) for c in cuts)})

    def planned(after: datetime, until: datetime) -> list[tuple[str, datetime, int]]:
        low, high = planning_bounds(after, until, leads, duration)
        occurrences = recur.occurrences_between(recurrence, {}, {holiday}, low, high)
        planned = plan(occurrences, leads, duration, after, until, recurrence.tz)
        return [(p.kind, p.due, p.lead_minutes) for p in planned]

    pieces = [item for after, until in itertools.pairwise(bounds) for item in planned(after, until)]

    assert sorted(pieces) == sorted(planned(start, end))
    assert len(set(pieces)) == len(pieces)
    assert sum(1 for kind, _, _ in pieces if kind == "holiday") == 1


def test_day_sized_leads_keep_the_local_time_across_dst_and_short_ones_are_durations() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = utc(2026, 3, 31, 8)  # Tuesday 10:00 CEST; a week earlier Berlin was on CET
    meeting = Occurrence(start, start, "scheduled")

    planned = plan([meeting], (10080, 1440, 120), 30, utc(2026, 3, 1), utc(2026, 4, 1), berlin)

    reminders = {p.lead_minutes: p.due.astimezone(berlin) for p in planned if p.kind == "reminder"}
    assert reminders[10080] == datetime(2026, 3, 24, 10, tzinfo=berlin)
    assert reminders[1440] == datetime(2026, 3, 30, 10, tzinfo=berlin)
    assert reminders[120] == datetime(2026, 3, 31, 8, tzinfo=berlin)


@pytest.mark.parametrize("typed", ["", "tomorrow", "2026-13-01", "12/01/2026", "'; DROP TABLE x; --"])
def test_unreadable_dates_are_refused_with_the_expected_format(typed: str) -> None:
    with pytest.raises(Rejected, match="YYYY-MM-DD"):
        parse_day(typed)


def test_times_of_day() -> None:
    assert parse_time_of_day("9:05") == time(9, 5)
    assert parse_time_of_day("14h30") == time(14, 30)
    with pytest.raises(Rejected, match="HH:MM"):
        parse_time_of_day("25:00")


# From SERIES_DRAFT: Tuesdays at 10:00, and no first day given (so the first day is today).
GOOD_DRAFT = replace(
    SERIES_DRAFT,
    cadence="monthly",
    nth="-1",
    zone="Europe/Berlin",
    duration="45",
    leads=("15", "1440"),
    video_link="https://meet.example/abc",
)


def test_a_good_draft_becomes_a_series_spec() -> None:
    spec, errors = GOOD_DRAFT.check(date(2026, 11, 23))

    assert errors == {} and spec is not None
    assert spec.recurrence == Recurrence(Cadence.MONTHLY, 1, time(10), "Europe/Berlin", date(2026, 11, 23), -1)
    assert (spec.duration_minutes, spec.lead_minutes, spec.video_link) == (45, (1440, 15), "https://meet.example/abc")


def test_a_bad_draft_names_every_bad_field() -> None:
    typed = {  # each field of the (monthly) draft: a bad value, and the key its error comes under
        "title": ("x" * 4000, "title"),
        "channel_id": ("", "channel"),
        "weekday": ("Caturday", "weekday"),
        "nth": ("", "nth"),
        "at": ("", "time"),
        "zone": ("Mars/Olympus", "zone"),
        "duration": ("7", "duration"),
        "leads": ((), "leads"),
        "starts_on": ("2020-01-01", "starts_on"),
        "video_link": ("javascript:alert(1)", "video_link"),
    }
    bad = replace(GOOD_DRAFT, **{field: value for field, (value, _) in typed.items()})

    spec, errors = bad.check(date(2026, 11, 23))

    assert spec is None
    assert set(errors) == {key for _, key in typed.values()}
    assert "4000 characters" in errors["title"]


def test_the_calendar_file_parses_back_to_the_same_rule_and_zone() -> None:
    recurrence = Recurrence(Cadence.BIWEEKLY, TUESDAY, time(10), "America/New_York", date(2026, 11, 25))

    content = series_calendar(
        series_id=7,
        title="Marketing × IT",
        recurrence=recurrence,
        duration_minutes=45,
        video_link="https://meet.example/abc",
        description="Sit-down",
        skipped_local_days=[date(2026, 12, 15)],
        created_at=utc(2026, 11, 23, 9),
    )

    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event["RRULE"].to_ical().decode() == recurrence.rule()
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt == datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("America/New_York"))
    assert event["DURATION"].dt == timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Marketing × IT"
    assert [d.dt.date() for d in event["EXDATE"].dts] == [date(2026, 12, 15)]


@settings(max_examples=80, deadline=None)
@given(
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
    cadence=st.sampled_from(list(Cadence)),
    weekday=st.integers(0, 6),
    nth=st.sampled_from([1, 2, 3, 4, -1]),
    starts_on=st.dates(date(2020, 1, 1), date(2027, 12, 31)),
    window_start=st.dates(date(2019, 12, 1), date(2029, 12, 31)),
    window_days=st.integers(0, 90),
)
def test_meetings_follow_the_calendar_files_rule_however_old_the_series(
    zone: str, cadence: Cadence, weekday: int, nth: int, starts_on: date, window_start: date, window_days: int
) -> None:
    """Planning counts meetings without dateutil walking from the first one; it must agree with the RRULE the
    calendar file carries, parsed by dateutil."""
    recurrence = Recurrence(cadence, weekday, time(9, 30), zone, starts_on, nth if cadence is Cadence.MONTHLY else None)
    after = datetime.combine(window_start, time(0), UTC)
    until = after + timedelta(days=window_days)
    reference = rrule.rrulestr(recurrence.rule(), dtstart=recurrence.first_local())
    pad = timedelta(days=2)
    low, high = recurrence.local(after).replace(tzinfo=None) - pad, recurrence.local(until).replace(tzinfo=None) + pad
    expected = [recurrence.localise(local) for local in reference.between(low, high, inc=True)]

    assert recurrence.starts_between(after, until) == [start for start in expected if after < start <= until]


@settings(max_examples=80, deadline=None)
@given(
    start=st.sampled_from([utc(2026, 11, 23, 9), utc(2026, 3, 9, 9), utc(2026, 10, 12, 9)]),
    cadence=st.sampled_from(list(Cadence)),
    ticks=st.lists(st.integers(1, 60 * 24 * 60), max_size=25),
    leads=st.sets(st.sampled_from(sorted(LEAD_CHOICES)), min_size=1),
    duration=st.sampled_from(DURATION_CHOICES),
)
def test_a_watermark_that_jumps_ahead_still_plans_every_message_once_and_on_time(
    start: datetime, cadence: Cadence, ticks: list[int], leads: set[int], duration: int
) -> None:
    """Each round plans (watermark, until] and jumps the watermark to just before the next message: whatever the
    ticks, the rounds together plan exactly what one window over the whole span plans, each message in the
    first round whose `until` reaches it (never earlier, so it is rendered just before it goes)."""
    recurrence = Recurrence(cadence, TUESDAY, time(10), "Europe/Berlin", start.date(), 2)
    holiday = recurrence.local(recurrence.starts_between(start, start + timedelta(days=90))[1]).date()
    moments = sorted({start + timedelta(minutes=minutes) for minutes in ticks})
    watermark, rounds = start, []
    for until in moments:
        if watermark < until:
            due, watermark = plan_through(recurrence, {}, {holiday}, tuple(leads), duration, watermark, until)
            assert watermark >= until
            rounds.append((until, due))

    planned = [(p.kind, p.due, p.lead_minutes) for _, due in rounds for p in due]
    end = moments[-1] if moments else start
    low, high = planning_bounds(start, end, leads, duration)
    whole = plan(
        recur.occurrences_between(recurrence, {}, {holiday}, low, high), leads, duration, start, end, recurrence.tz
    )
    assert sorted(planned) == sorted((p.kind, p.due, p.lead_minutes) for p in whole)
    assert len(set(planned)) == len(planned)
    previous = start
    for until, due in rounds:
        assert all(previous < p.due <= until for p in due), "planned in the first round that reaches it"
        previous = until


def test_the_watermark_stops_just_before_the_next_message_or_at_the_horizon() -> None:
    meeting = Occurrence(utc(2026, 12, 1, 10), utc(2026, 12, 1, 10), "scheduled")
    planned = plan([meeting], (15,), 30, utc(2026, 11, 1), utc(2027, 1, 1), LONDON)

    assert watermark_after(planned, utc(2026, 11, 30), utc(2026, 12, 8)) == utc(2026, 12, 1, 9, 45) - timedelta(
        microseconds=1
    )
    assert watermark_after([], utc(2026, 11, 30), utc(2026, 12, 8)) == utc(2026, 12, 8)
