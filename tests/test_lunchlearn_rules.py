"""The lunch-and-learn rules on their own: form checks, what falls due when, stats, the calendar file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from bot.lunchlearn_calendar import session_ics
from bot.lunchlearn_rules import (
    RatingView,
    SessionDraft,
    SessionView,
    check_draft,
    compute_stats,
    due_messages,
    expiry_of,
    next_moment,
    parse_capacity,
    sides_from_groups,
    summarize_ratings,
    topic_key,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def draft(**changes: object) -> SessionDraft:
    values: dict[str, object] = {
        "topic": "What IT means by 'done'",
        "abstract": "",
        "presenters": ("UPRES",),
        "direction": "it_to_marketing",
        "starts_at": START,
        "duration_minutes": 45,
        "place": "https://meet.example.com/abc",
        "capacity": 12,
    }
    values.update(changes)
    return SessionDraft(**values)  # type: ignore[arg-type]


def session(**changes: object) -> SessionView:
    values: dict[str, object] = {
        "id": 7,
        "topic": "Attribution models",
        "abstract": "First touch, last touch & friends",
        "presenters": ("UPRES", "UCOPRES"),
        "direction": "marketing_to_it",
        "starts_at": START,
        "duration_minutes": 60,
        "place": "Room 4.12",
        "capacity": 10,
        "status": "scheduled",
        "created_by": "UPRES",
        "created_at": NOW,
        "channel_id": "CJOINT",
        "revision": 0,
    }
    values.update(changes)
    return SessionView(**values)  # type: ignore[arg-type]


def test_a_complete_draft_has_no_errors() -> None:
    assert check_draft(draft(), NOW) == {}


def test_each_bad_field_gets_a_message_naming_the_fix() -> None:
    bad = draft(
        topic="  ",
        presenters=(),
        direction="sideways",
        starts_at=NOW - timedelta(minutes=1),
        duration_minutes=37,
        place="",
        capacity=0,
    )
    errors = check_draft(bad, NOW)
    assert set(errors) == {"topic", "presenters", "direction", "starts_at", "duration", "place", "capacity"}
    assert "future" in errors["starts_at"]
    assert set(check_draft(draft(topic="x" * 151, abstract="y" * 1001, capacity=None), NOW)) == {
        "topic",
        "abstract",
        "capacity",
    }


def test_capacity_must_be_a_plain_whole_number() -> None:
    assert [parse_capacity(t) for t in ("12", " 3 ", "-1", "2.5", "lots", "", "9" * 9)] == [
        12,
        3,
        None,
        None,
        None,
        None,
        None,
    ]


def test_topic_keys_ignore_case_spacing_and_punctuation() -> None:
    assert topic_key("  GDPR for   Campaigns! ") == topic_key("gdpr, for campaigns") == "gdpr for campaigns"
    assert topic_key("🍕?!") == ""


def test_nothing_is_due_three_days_ahead() -> None:
    assert due_messages(session(), {"UALICE": NOW}, NOW) == []


def test_the_day_before_brings_reminders_and_the_attendee_list() -> None:
    due = due_messages(session(), {"UALICE": NOW, "ULATE": START - timedelta(hours=2)}, START - timedelta(hours=23))
    assert {(d.kind, d.user_id) for d in due} == {
        ("remind-1d", "UALICE"),
        ("attendees", "UPRES"),
        ("attendees", "UCOPRES"),
    }
    assert {d.due_at for d in due} == {START - timedelta(days=1)}


def test_after_the_end_attendees_are_asked_to_rate_and_a_day_later_presenters_get_a_summary() -> None:
    seated = {"UALICE": NOW}
    at_end = {(d.kind, d.user_id) for d in due_messages(session(), seated, START + timedelta(minutes=61))}
    assert ("rate", "UALICE") in at_end and not any(kind == "summary" for kind, _ in at_end)
    day_after = due_messages(session(), seated, START + timedelta(days=1, minutes=61))
    summaries = [d for d in day_after if d.kind == "summary"]
    assert [d.user_id for d in summaries] == ["UPRES", "UCOPRES"]
    assert all(expiry_of(d, timedelta(minutes=30)) is None for d in summaries)


def test_a_cancelled_session_owes_nothing() -> None:
    assert due_messages(session(status="cancelled"), {"UALICE": NOW}, START + timedelta(days=2)) == []


@given(
    offset=st.integers(min_value=-5 * 24 * 60, max_value=5 * 24 * 60),
    seated_offset=st.integers(min_value=-5 * 24 * 60, max_value=5 * 24 * 60),
)
def test_nothing_is_ever_owed_before_its_moment_or_to_someone_seated_after_it(offset: int, seated_offset: int) -> None:
    now = START + timedelta(minutes=offset)
    seated_at = START + timedelta(minutes=seated_offset)
    for due in due_messages(session(), {"UALICE": seated_at}, now):
        assert due.due_at <= now
        if due.user_id == "UALICE":
            assert seated_at <= due.due_at
        expiry = expiry_of(due, timedelta(minutes=30))
        assert expiry is None or expiry > due.due_at


def test_the_next_moment_walks_through_the_day_before_the_hour_before_the_end_and_the_summary() -> None:
    moments, at = [], NOW
    while (upcoming := next_moment(session(), at)) is not None:
        moments.append(upcoming)
        at = upcoming
    assert moments == [
        START - timedelta(days=1),
        START - timedelta(hours=1),
        START + timedelta(minutes=60),
        START + timedelta(days=1, minutes=60),
    ]
    assert next_moment(session(status="cancelled"), NOW) is None


@given(
    seated=st.lists(st.integers(min_value=-5 * 24 * 60, max_value=5 * 24 * 60), max_size=4),
    offset=st.integers(min_value=-5 * 24 * 60, max_value=5 * 24 * 60),
    later=st.integers(min_value=0, max_value=5 * 24 * 60),
)
def test_nothing_more_falls_due_before_the_next_moment(seated: list[int], offset: int, later: int) -> None:
    """What lets a planner skip a session it has planned until its next moment (its seats unchanged)."""
    seated_since = {f"U{n}": START + timedelta(minutes=minutes) for n, minutes in enumerate(seated)}
    planned_at = START + timedelta(minutes=offset)
    upcoming = next_moment(session(), planned_at)
    now = planned_at + timedelta(minutes=later)
    assert upcoming is None or upcoming > planned_at
    if upcoming is None or now < upcoming:
        assert due_messages(session(), seated_since, now) == due_messages(session(), seated_since, planned_at)


def test_rating_summary_averages_and_keeps_comments() -> None:
    summary = summarize_ratings([RatingView("UA", 5, "great"), RatingView("UB", 2, ""), RatingView("UC", 4, "")])
    assert (summary.count, summary.average, summary.comments) == (3, 3.67, ("great",))
    assert summary.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert summarize_ratings([]).average is None


def test_stats_split_by_presenting_side_and_attendee_side() -> None:
    stats = compute_stats(
        [("marketing_to_it", ["UM", "UI"]), ("it_to_marketing", ["UM", "UX"]), ("joint", [])],
        [5, 4],
        {"UM": "marketing", "UI": "it"},
    )
    assert stats.sessions == 3
    assert stats.presented_by_side == {"marketing": 1, "it": 1, "joint": 1}
    assert stats.attendance_by_side == {"marketing": 2, "it": 1, "other": 1}
    assert (stats.average_rating, stats.sides_known) == (4.5, True)


def test_someone_in_both_user_groups_counts_as_other() -> None:
    assert sides_from_groups(["UM", "UBOTH"], ["UI", "UBOTH"]) == {"UM": "marketing", "UI": "it"}


def test_the_calendar_file_holds_the_session_in_utc() -> None:
    raw = session_ics(session(topic="Attribution <models>"), now=NOW)
    event = next(c for c in Calendar.from_ical(raw).walk("VEVENT"))
    assert event.decoded("dtstart") == START
    assert event.decoded("dtend") == START + timedelta(minutes=60)
    assert str(event.get("summary")) == "Lunch & learn: Attribution <models>"
    assert str(event.get("location")) == "Room 4.12"
    assert str(event.get("uid")) == "lunchlearn-7@bridgebot"
    cancelled = next(c for c in Calendar.from_ical(session_ics(session(status="cancelled"), now=NOW)).walk("VEVENT"))
    assert str(cancelled.get("status")) == "CANCELLED"
