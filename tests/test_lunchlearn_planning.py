"""The lunch-and-learn planner (tick) over many sessions at once, against SQLite and PostgreSQL: every key written
once whatever the batch, keys already there left alone, cards caught up, and a planner that has run before
writing exactly what a fresh one (a restarted process, another replica) would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import bot.lunchlearn_planning
from bot.lunchlearn import LunchLearnService
from bot.lunchlearn_rules import SessionView
from bot.notify import Outgoing, enqueue
from bot.services import Services
from storage.models import OutboxMessage
from tests.conftest import FakeClock
from tests.fake_slack import FakeSlack
from tests.test_lunchlearn_service import PRESENTER, dms, outbox, plan, text_of


class Planner:
    """A planner of its own (as a restarted process or another replica has), counting its wakes of the outbox."""

    def __init__(self, services: Services, clock: FakeClock) -> None:
        self.wakes = 0
        self.service = LunchLearnService(
            services.sessions, clock, services.settings, services.lunchlearn.messages, self._wake
        )

    def _wake(self) -> None:
        self.wakes += 1

    def tick(self) -> None:
        self.service.tick()


def rows(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def assert_a_fresh_planner_finds_nothing_left(services: Services, clock: FakeClock) -> None:
    before, fresh = rows(services), Planner(services, clock)
    fresh.tick()
    assert (rows(services), fresh.wakes) == (before, 0)


def day_before_keys(lunch: SessionView, seated: list[str]) -> set[str]:
    reminders = {f"lunchlearn:{lunch.id}:remind-1d:{user}" for user in seated}
    return reminders | {f"lunchlearn:{lunch.id}:attendees:{PRESENTER}"}


def test_one_tick_plans_every_session_whatever_the_batches_and_leaves_present_keys_alone(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.lunchlearn_planning, "SESSIONS_PER_BATCH", 3)
    lunches = [plan(services, clock, capacity=2, starts_in=timedelta(days=3, minutes=n)) for n in range(7)]
    seated: dict[int, list[str]] = {}
    for n, lunch in enumerate(lunches):
        people = [f"UPERSON{n}{m}" for m in range(n % 4)]  # 0 to 3 people: the third one waits
        for user in people:
            services.lunchlearn.sign_up(lunch.id, user)
        seated[lunch.id] = people[:2]
    already = f"lunchlearn:{lunches[3].id}:remind-1d:UPERSON30"
    with services.sessions.begin() as session:
        enqueue(session, Outgoing(already, {"channel": "UPERSON30", "text": "written before"}), clock())
    before = set(outbox(services))

    clock.now = lunches[-1].starts_at - timedelta(days=1)
    main = Planner(services, clock)
    main.tick()

    written = set(outbox(services)) - before
    expected = set().union(*(day_before_keys(lunch, seated[lunch.id]) for lunch in lunches)) - {already}
    assert written == expected and main.wakes == 1
    assert outbox(services)[already].payload["text"] == "written before"
    main.tick()
    assert set(outbox(services)) - before == expected and main.wakes == 1
    assert_a_fresh_planner_finds_nothing_left(services, clock)


def test_what_another_replica_wrote_is_not_written_again(services: Services, clock: FakeClock) -> None:
    lunches = [plan(services, clock, capacity=5, starts_in=timedelta(days=3, minutes=n)) for n in range(3)]
    for lunch in lunches:
        services.lunchlearn.sign_up(lunch.id, "UALICE")
    main, replica = Planner(services, clock), Planner(services, clock)
    main.tick()  # nothing due yet

    clock.now = lunches[-1].starts_at - timedelta(days=1)
    replica.tick()
    written = rows(services)
    main.tick()

    assert replica.wakes == 1 and main.wakes == 0 and rows(services) == written


def test_a_card_left_behind_is_brought_up_to_date_once_the_announcement_is_posted(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    _, changed, _ = (plan(services, clock, capacity=2, starts_in=timedelta(hours=20 + n)) for n in range(3))
    services.lunchlearn.tick()
    services.lunchlearn.sign_up(changed.id, "UALICE")  # the announcement is not posted yet: no card to update
    services.lunchlearn.tick()
    assert not any(":card:" in key for key in outbox(services))

    services.dispatcher.run_once()  # the three announcements go out
    services.lunchlearn.tick()
    services.lunchlearn.tick()
    services.dispatcher.run_once()

    updates = fake_slack.calls_to("chat.update")
    posted = outbox(services)[f"lunchlearn:{changed.id}:post"]
    assert [update["ts"] for update in updates] == [posted.response_ts]
    assert "1/2" in text_of(updates[0])
    assert {key for key in outbox(services) if ":card:" in key} == {f"lunchlearn:{changed.id}:card:1"}
    assert_a_fresh_planner_finds_nothing_left(services, clock)


def test_a_planner_that_ran_before_writes_what_a_fresh_one_would_through_a_sessions_life(
    services: Services, clock: FakeClock
) -> None:
    lunch = plan(services, clock, capacity=2)
    later = plan(services, clock, capacity=2, starts_in=timedelta(days=3, hours=2))
    services.dispatcher.run_once()  # posted announcements: each change to seats brings its card up to date at once
    for user in ("UALICE", "UBOB", "UCAROL"):  # UCAROL waits
        services.lunchlearn.sign_up(lunch.id, user)
    key = f"lunchlearn:{lunch.id}"

    def step(**delta: float) -> None:
        clock.now += timedelta(**delta)
        services.lunchlearn.tick()
        assert_a_fresh_planner_finds_nothing_left(services, clock)

    step(minutes=1)
    clock.now = lunch.starts_at - timedelta(days=1)
    step(minutes=1)
    services.lunchlearn.sign_up(later.id, "UDAN")
    step(minutes=30)
    step(hours=2)  # the later session's day before
    services.lunchlearn.withdraw(lunch.id, "UBOB")  # UCAROL gets the seat, after the day before
    step(minutes=1)
    clock.now = lunch.starts_at - timedelta(hours=1)
    step(minutes=1)
    clock.now = lunch.ends_at
    step(minutes=1)
    services.lunchlearn.rate(lunch.id, "UALICE", 5)
    step(hours=3)
    clock.now = lunch.ends_at + timedelta(days=1)
    step(minutes=1)
    step(hours=2)

    keys = set(outbox(services))
    assert {f"{key}:remind-1d:UALICE", f"{key}:remind-1d:UBOB", f"{key}:remind-1h:UCAROL"} <= keys
    assert {f"{key}:rate:UALICE", f"{key}:rate:UCAROL", f"{key}:summary:{PRESENTER}"} <= keys
    assert not {f"{key}:remind-1d:UCAROL", f"{key}:remind-1h:UBOB", f"{key}:rate:UBOB"} & keys
    assert {f"lunchlearn:{later.id}:remind-1h:UDAN", f"lunchlearn:{later.id}:summary:{PRESENTER}"} <= keys


def test_what_the_planner_owes_is_rendered_when_sent_from_the_session_as_it_is_then(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=2, signed_up=("UALICE", "UBOB"))
    clock.now = lunch.starts_at - timedelta(days=1)
    services.lunchlearn.tick()  # the day-before reminders and the presenter's attendee list are written now
    services.lunchlearn.withdraw(lunch.id, "UBOB")
    services.lunchlearn.sign_up(lunch.id, "UCAROL")  # seated after the moment: owed no day-before reminder

    services.dispatcher.run_once()

    [reminder] = dms(fake_slack, "UALICE")
    assert "APIs for marketers" in text_of(reminder)
    assert dms(fake_slack, "UBOB") == [] and dms(fake_slack, "UCAROL") == []
    [attendees] = dms(fake_slack, PRESENTER)
    assert "UALICE" in text_of(attendees) and "UCAROL" in text_of(attendees) and "UBOB" not in text_of(attendees)
    assert outbox(services)[f"lunchlearn:{lunch.id}:remind-1d:UBOB"].status == "skipped"


def test_a_session_cancelled_after_planning_sends_none_of_what_was_planned(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, signed_up=("UALICE",))
    clock.now = lunch.starts_at - timedelta(days=1)
    services.lunchlearn.tick()
    planned = {key for key in outbox(services) if ":remind-1d:" in key or ":attendees:" in key}
    services.lunchlearn.cancel(lunch.id, by=PRESENTER)

    services.dispatcher.run_once()

    assert planned and {outbox(services)[key].status for key in planned} == {"skipped"}
    assert not any("Tomorrow" in text_of(call) for call in fake_slack.calls_to("chat.postMessage"))
