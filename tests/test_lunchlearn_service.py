"""Lunch-and-learn use cases against a real database (SQLite and PostgreSQL): seats, waitlist, reminders,
cancellations, ratings, ideas and stats. Slack is the fake; time is the FakeClock."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.app import build_services
from bot.config import Settings
from bot.lunchlearn_rules import SessionDraft, SessionView
from bot.outcomes import DraftRejected, NotAllowed
from bot.services import Services
from storage.lunchlearn import LunchSession, LunchSignup
from storage.models import OutboxMessage
from tests.conftest import ADMIN, JOINT_CHANNEL, FakeClock
from tests.fake_slack import FakeSlack

PRESENTER = "UPRES"


def plan(
    services: Services,
    clock: FakeClock,
    *,
    capacity: int = 2,
    starts_in: timedelta = timedelta(days=3),
    topic: str = "APIs for marketers",
    signed_up: tuple[str, ...] = (),
) -> SessionView:
    """A session PRESENTER plans, `starts_in` from now; the people `signed_up` sign up for it in that order."""
    draft = SessionDraft(
        topic=topic,
        abstract="What an API is, and what to ask IT for.",
        presenters=(PRESENTER,),
        direction="it_to_marketing",
        starts_at=clock() + starts_in,
        duration_minutes=60,
        place="Room 4.12",
        capacity=capacity,
    )
    lunch = services.lunchlearn.create(draft, by=PRESENTER)
    for user in signed_up:
        services.lunchlearn.sign_up(lunch.id, user)
    return lunch


def signups(services: Services, session_id: int) -> list[tuple[str, str]]:
    with services.sessions() as session:
        rows = session.execute(
            select(LunchSignup.user_id, LunchSignup.status)
            .where(LunchSignup.session_id == session_id)
            .order_by(LunchSignup.id)
        )
        return [(user, status) for user, status in rows]


def outbox(services: Services, status: str | None = None) -> dict[str, OutboxMessage]:
    with services.sessions() as session:
        query = select(OutboxMessage)
        if status:
            query = query.where(OutboxMessage.status == status)
        return {row.key: row for row in session.scalars(query)}


def dms(fake: FakeSlack, user_id: str) -> list[dict[str, Any]]:
    return [c for c in fake.calls_to("chat.postMessage") if c["channel"] == user_id]


def text_of(call: dict[str, Any]) -> str:
    return str(call.get("blocks")) + call.get("text", "")


# --- seats and the waitlist ----------------------------------------------------------------------------------


def test_concurrent_signups_for_the_last_seats_never_exceed_capacity(services: Services, clock: FakeClock) -> None:
    lunch = plan(services, clock, capacity=3)
    people = [f"UCROWD{n:02d}" for n in range(12)]
    start = threading.Barrier(len(people))
    results: dict[str, str] = {}

    def click(user_id: str) -> None:
        start.wait()
        results[user_id] = services.lunchlearn.sign_up(lunch.id, user_id).result

    threads = [threading.Thread(target=click, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    rows = signups(services, lunch.id)
    seated = [user for user, status in rows if status == "seated"]
    waiting = [user for user, status in rows if status == "waiting"]
    assert len(seated) == 3 and len(waiting) == 9
    assert sorted(results.values()) == ["seated"] * 3 + ["waiting"] * 9
    assert {u for u, r in results.items() if r == "seated"} == set(seated)
    view = services.lunchlearn.get(lunch.id)
    assert view is not None and view.waiting == tuple(waiting)  # the losers wait in the order they arrived
    with services.sessions() as session:
        assert session.scalar(select(LunchSession.taken).where(LunchSession.id == lunch.id)) == 3


def test_concurrent_withdrawals_promote_the_waitlist_in_order(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=3)
    for user in ("USEAT1", "USEAT2", "USEAT3", "UWAIT1", "UWAIT2", "UWAIT3", "UWAIT4"):
        services.lunchlearn.sign_up(lunch.id, user)
    leaving = ["USEAT1", "USEAT2", "USEAT3"]
    start = threading.Barrier(len(leaving))
    promoted: list[str | None] = []

    def leave(user_id: str) -> None:
        start.wait()
        promoted.append(services.lunchlearn.withdraw(lunch.id, user_id).promoted)

    threads = [threading.Thread(target=leave, args=(user,)) for user in leaving]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    services.dispatcher.run_once()

    assert sorted(p or "" for p in promoted) == ["UWAIT1", "UWAIT2", "UWAIT3"]
    assert signups(services, lunch.id) == [
        ("UWAIT1", "seated"),
        ("UWAIT2", "seated"),
        ("UWAIT3", "seated"),
        ("UWAIT4", "waiting"),
    ]
    assert all(len(dms(fake_slack, user)) == 1 for user in ("UWAIT1", "UWAIT2", "UWAIT3"))


def test_the_database_itself_refuses_more_seats_than_capacity(services: Services, clock: FakeClock) -> None:
    lunch = plan(services, clock, capacity=1)
    with pytest.raises(IntegrityError), services.sessions.begin() as session:
        session.execute(update(LunchSession).where(LunchSession.id == lunch.id).values(taken=2))


def test_double_signup_keeps_one_seat(services: Services, clock: FakeClock) -> None:
    lunch = plan(services, clock, capacity=5)
    first = services.lunchlearn.sign_up(lunch.id, "UALICE")
    second = services.lunchlearn.sign_up(lunch.id, "UALICE")
    assert (first.result, second.result) == ("seated", "already_seated")
    assert signups(services, lunch.id) == [("UALICE", "seated")]


def test_withdrawal_promotes_the_first_waiting_person_and_tells_them(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=1)
    for user in ("UALICE", "UBOB", "UCAROL", "UDAN"):
        services.lunchlearn.sign_up(lunch.id, user)

    out_of_line = services.lunchlearn.withdraw(lunch.id, "UCAROL")  # waiting: nobody moves
    first = services.lunchlearn.withdraw(lunch.id, "UALICE")
    second = services.lunchlearn.withdraw(lunch.id, "UBOB")
    services.dispatcher.run_once()

    assert (out_of_line.result, out_of_line.promoted) == ("withdrawn", None)
    assert (first.promoted, second.promoted) == ("UBOB", "UDAN")
    assert signups(services, lunch.id) == [("UDAN", "seated")]
    assert len(dms(fake_slack, "UBOB")) == 1 and len(dms(fake_slack, "UDAN")) == 1
    assert "A seat opened up" in text_of(dms(fake_slack, "UDAN")[0])
    assert not dms(fake_slack, "UCAROL")


def test_withdrawing_without_a_signup_changes_nothing(services: Services, clock: FakeClock) -> None:
    lunch = plan(services, clock, capacity=1)
    services.lunchlearn.sign_up(lunch.id, "UALICE")
    assert services.lunchlearn.withdraw(lunch.id, "UBOB").result == "not_signed_up"
    assert services.lunchlearn.withdraw(9999, "UBOB").result == "gone"
    assert signups(services, lunch.id) == [("UALICE", "seated")]


def test_the_announcement_count_is_updated_once_posted(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=1)
    services.dispatcher.run_once()
    announcement = fake_slack.calls_to("chat.postMessage")[0]
    assert announcement["channel"] == JOINT_CHANNEL and "0/1" in text_of(announcement)

    services.lunchlearn.sign_up(lunch.id, "UALICE")
    services.lunchlearn.sign_up(lunch.id, "UBOB")
    services.dispatcher.run_once()

    [update] = fake_slack.calls_to("chat.update")  # two changes waiting: one update, with the latest state
    assert update["ts"] == "1700000000.000001"
    assert "1/1" in text_of(update) and "1 on the waitlist" in text_of(update)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacity=st.integers(min_value=1, max_value=3),
    steps=st.lists(st.tuples(st.booleans(), st.sampled_from(["UA", "UB", "UC", "UD", "UE"])), max_size=14),
)
def test_seats_never_exceed_capacity_and_the_waitlist_is_first_come_first_served(
    services: Services, clock: FakeClock, capacity: int, steps: list[tuple[bool, str]]
) -> None:
    lunch = plan(services, clock, capacity=capacity)
    queue: list[str] = []  # everyone signed up, in the order they joined
    for joining, user in steps:
        if joining:
            services.lunchlearn.sign_up(lunch.id, user)
            if user not in queue:
                queue.append(user)
        else:
            services.lunchlearn.withdraw(lunch.id, user)
            if user in queue:
                queue.remove(user)
        view = services.lunchlearn.get(lunch.id)
        assert view is not None
        assert len(view.seated) <= capacity
        assert set(view.seated) == set(queue[:capacity])
        assert list(view.waiting) == queue[capacity:]


# --- reminders -----------------------------------------------------------------------------------------------


def test_reminders_come_the_day_before_and_the_hour_before_to_people_seated_by_then(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=5, signed_up=("UALICE",))
    services.lunchlearn.tick()
    services.dispatcher.run_once()
    assert not dms(fake_slack, "UALICE")

    clock.now = lunch.starts_at - timedelta(days=1)
    services.lunchlearn.tick()
    services.lunchlearn.tick()
    services.dispatcher.run_once()
    assert ["Tomorrow" in text_of(call) for call in dms(fake_slack, "UALICE")] == [True]
    attendees = dms(fake_slack, PRESENTER)
    assert len(attendees) == 1 and "<@UALICE>" in text_of(attendees[0]) and "1/5 signed up" in text_of(attendees[0])

    clock.now = lunch.starts_at - timedelta(minutes=90)
    services.lunchlearn.sign_up(lunch.id, "UBOB")
    clock.now = lunch.starts_at - timedelta(minutes=59)
    services.lunchlearn.tick()
    services.dispatcher.run_once()
    assert "In an hour" in text_of(dms(fake_slack, "UALICE")[-1])
    assert ["In an hour" in text_of(call) for call in dms(fake_slack, "UBOB")] == [True]

    restarted = build_services(services.settings, clock=clock)
    try:
        restarted.lunchlearn.tick()
        assert restarted.dispatcher.run_once().sent == []
    finally:
        restarted.engine.dispose()
    assert len(dms(fake_slack, "UALICE")) == 2


def test_after_downtime_a_recent_reminder_is_sent_late_and_an_old_one_is_recorded_skipped(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=5, signed_up=("UALICE",))

    clock.now = lunch.starts_at - timedelta(minutes=40)  # day-before long gone, hour-before 20 minutes ago
    services.lunchlearn.tick()
    report = services.dispatcher.run_once()

    day_before, hour_before = f"lunchlearn:{lunch.id}:remind-1d:UALICE", f"lunchlearn:{lunch.id}:remind-1h:UALICE"
    assert set(report.skipped) == {day_before, f"lunchlearn:{lunch.id}:attendees:{PRESENTER}"}
    assert hour_before in report.sent
    rows = outbox(services)
    assert rows[day_before].status == "skipped" and rows[hour_before].late is True
    assert ["In an hour" in text_of(call) for call in dms(fake_slack, "UALICE")] == [True]


def test_a_cancelled_session_sends_no_reminders(services: Services, clock: FakeClock, fake_slack: FakeSlack) -> None:
    lunch = plan(services, clock, capacity=5, signed_up=("UALICE",))
    services.lunchlearn.cancel(lunch.id, by=PRESENTER)
    services.dispatcher.run_once()
    clock.now = lunch.starts_at - timedelta(minutes=30)
    services.lunchlearn.tick()
    services.dispatcher.run_once()
    assert [("cancelled" in text_of(call)) for call in dms(fake_slack, "UALICE")] == [True]


# --- cancelling ----------------------------------------------------------------------------------------------


def test_cancel_is_for_presenters_and_admins_and_tells_everyone_signed_up(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=1)
    services.dispatcher.run_once()
    for user in ("UALICE", "UBOB"):
        services.lunchlearn.sign_up(lunch.id, user)

    with pytest.raises(NotAllowed):
        services.lunchlearn.cancel(lunch.id, by="UALICE")
    cancelled = services.lunchlearn.cancel(lunch.id, by=ADMIN)
    services.dispatcher.run_once()

    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.cancelled_by == ADMIN
    for user in ("UALICE", "UBOB"):
        assert f"cancelled by <@{ADMIN}>" in text_of(dms(fake_slack, user)[-1])
    assert "Cancelled" in text_of(fake_slack.calls_to("chat.update")[-1])
    assert services.lunchlearn.sign_up(lunch.id, "UCAROL").result == "cancelled"
    assert services.lunchlearn.cancel(424242, by=ADMIN) is None


# --- ratings -------------------------------------------------------------------------------------------------


def test_attendees_are_asked_to_rate_and_the_presenter_gets_the_summary_once(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=2)
    for user in ("UALICE", "UBOB", "UCAROL"):
        services.lunchlearn.sign_up(lunch.id, user)
    clock.now = lunch.ends_at + timedelta(minutes=1)
    services.lunchlearn.tick()
    services.dispatcher.run_once()
    asked = [c["channel"] for c in fake_slack.calls_to("chat.postMessage") if "How useful" in text_of(c)]
    assert sorted(asked) == ["UALICE", "UBOB"]

    assert services.lunchlearn.rate(lunch.id, "UCAROL", 5).result == "not_attendee"
    assert services.lunchlearn.rate(lunch.id, "UALICE", 5).result == "saved"
    assert services.lunchlearn.comment(lunch.id, "UALICE", "More <!channel> examples please")
    assert services.lunchlearn.rate(lunch.id, "UBOB", 3).result == "saved"
    services.dispatcher.run_once()
    clock.now = lunch.ends_at + timedelta(days=2)
    services.lunchlearn.tick()
    services.dispatcher.run_once()

    summaries = [c for c in dms(fake_slack, PRESENTER) if "Feedback" in text_of(c)]
    assert len(summaries) == 1
    assert "4.0 / 5" in text_of(summaries[0]) and "from 2 of 2" in text_of(summaries[0])
    assert "More &lt;!channel&gt; examples please" in text_of(summaries[0])
    with pytest.raises(DraftRejected):
        services.lunchlearn.rate(lunch.id, "UALICE", 6)


def test_without_ratings_the_presenter_still_hears_a_day_after(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=2)
    services.lunchlearn.sign_up(lunch.id, "UALICE")
    clock.now = lunch.ends_at + timedelta(days=1, minutes=1)
    services.lunchlearn.tick()
    services.dispatcher.run_once()
    assert any("nobody rated it" in text_of(c) for c in dms(fake_slack, PRESENTER))


# --- ideas and stats -----------------------------------------------------------------------------------------


def test_the_same_idea_twice_becomes_a_vote(services: Services, clock: FakeClock, fake_slack: FakeSlack) -> None:
    first = services.lunchlearn.add_idea("GDPR for campaigns", by="UALICE")
    services.dispatcher.run_once()
    again = services.lunchlearn.add_idea("  gdpr FOR campaigns! ", by="UBOB")
    repeat = services.lunchlearn.vote(first.idea.id, "UBOB")
    services.dispatcher.run_once()

    assert (first.created, again.created, again.voted) == (True, False, True)
    assert repeat is not None and repeat.voted is False and repeat.idea.votes == 2
    assert fake_slack.calls_to("chat.postMessage")[0]["channel"] == JOINT_CHANNEL
    assert "2 would attend" in text_of(fake_slack.calls_to("chat.update")[-1])
    assert [i.topic for i in services.lunchlearn.ideas()] == ["GDPR for campaigns"]
    assert services.lunchlearn.vote(31337, "UBOB") is None
    with pytest.raises(DraftRejected):
        services.lunchlearn.add_idea("  ?! ", by="UBOB")


def test_stats_count_sessions_by_presenting_side_attendance_by_side_and_ratings(
    services: Services, clock: FakeClock
) -> None:
    lunch = plan(services, clock, capacity=5)
    later = plan(services, clock, capacity=5, starts_in=timedelta(days=30))
    cancelled = plan(services, clock, capacity=5)
    for user in ("UMKT", "UIT", "UGUEST"):
        services.lunchlearn.sign_up(lunch.id, user)
    services.lunchlearn.sign_up(later.id, "UMKT")
    services.lunchlearn.cancel(cancelled.id, by=PRESENTER)
    clock.now = lunch.ends_at + timedelta(minutes=5)
    services.lunchlearn.rate(lunch.id, "UMKT", 4)
    services.lunchlearn.rate(lunch.id, "UIT", 5)

    stats = services.lunchlearn.stats({"UMKT": "marketing", "UIT": "it"})

    assert stats.sessions == 1
    assert stats.presented_by_side == {"marketing": 0, "it": 1, "joint": 0}
    assert stats.attendance_by_side == {"marketing": 1, "it": 1, "other": 1}
    assert (stats.ratings, stats.average_rating) == (2, 4.5)


def test_no_joint_channel_means_a_clear_error_and_nothing_stored(
    fake_slack: FakeSlack, settings: Settings, clock: FakeClock
) -> None:
    from dataclasses import replace

    from bot.lunchlearn import NoChannelConfigured

    built = build_services(replace(settings, joint_channel=None), clock=clock)
    try:
        with pytest.raises(NoChannelConfigured):
            plan(built, clock)
        with built.sessions() as session:
            assert session.scalar(select(func.count()).select_from(LunchSession)) == 0
    finally:
        built.engine.dispose()
