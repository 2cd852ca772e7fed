"""The outbox names what to send and the edge renders it when it is sent: a card always shows the state of the
moment it goes out, and a burst of changes to one card reaches Slack as one chat.update."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.notify import Outgoing, enqueue
from bot.services import Services
from storage.models import OutboxMessage
from tests.conftest import JOINT_CHANNEL, FakeClock, RunningBot
from tests.fake_slack import FakeSlack
from tests.slack_requests import number
from tests.test_lunchlearn_service import plan
from tests.test_lunchlearn_slack import click, plan_session, text_of


def test_three_changes_of_one_card_within_a_second_reach_slack_as_one_update_with_the_last_state(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    session_id = plan_session(bot, capacity=number("3"))
    bot.dispatch()  # the announcement is posted
    announcement = next(c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == JOINT_CHANNEL)
    assert "0/3" in text_of(announcement)

    for person in ("UBOB", "UCAROL", "UDAN"):  # three clicks, the clock standing still: within one second
        click(bot, "lunchlearn_signup", str(session_id), person)
    bot.dispatch()

    [update] = bot.fake.calls_to("chat.update")
    assert update["channel"] == JOINT_CHANNEL and "3/3" in text_of(update)
    with bot.services.sessions() as session:
        skipped = session.scalars(select(OutboxMessage.last_error).where(OutboxMessage.status == "skipped")).all()
    assert len(skipped) == 2 and all(reason.startswith("replaced by a newer update") for reason in skipped)


def test_a_card_is_rendered_from_the_state_when_it_is_sent_not_when_it_was_queued(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=2)
    services.dispatcher.run_once()
    services.lunchlearn.sign_up(lunch.id, "UALICE")  # queues the card as "1/2"
    services.dispatcher.run_once()
    services.lunchlearn.sign_up(lunch.id, "UBOB")  # queues the card while it is 2/2 …
    services.lunchlearn.withdraw(lunch.id, "UBOB")  # … and again, back to 1/2, before either is sent
    clock.advance(seconds=2)
    services.dispatcher.run_once()

    updates = fake_slack.calls_to("chat.update")
    assert len(updates) == 2
    assert "1/2" in text_of(updates[-1])


def test_an_update_whose_subject_is_gone_is_skipped_and_nothing_is_sent(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    with services.sessions.begin() as session:
        update = Outgoing.update("test:gone", render="lunchlearn.session_card", subject=999_999, channel="C1", ts="1.2")
        enqueue(session, update, clock())
    report = services.dispatcher.run_once()
    assert report.skipped == ["test:gone"] and fake_slack.calls_to("chat.update") == []


def test_a_newer_update_replaces_only_older_ones_still_waiting_for_the_same_message(
    services: Services, clock: FakeClock
) -> None:
    def update(key: str, ts: str) -> Outgoing:
        return Outgoing.update(key, render="lunchlearn.session_card", subject=1, channel="C1", ts=ts)

    with services.sessions.begin() as session:
        enqueue(session, update("first", "1.1"), clock())
        enqueue(session, update("other message", "2.2"), clock())
        enqueue(session, update("second", "1.1"), clock())
        enqueue(session, update("second", "1.1"), clock() + timedelta(seconds=1))  # the same key again: a no-op
    with services.sessions() as session:
        rows = {row.key: row.status for row in session.scalars(select(OutboxMessage))}
    assert rows == {"first": "skipped", "other message": "pending", "second": "pending"}


def test_sixty_sign_ups_on_one_card_cost_a_handful_of_updates_and_none_goes_over_the_tier(
    running_bot: RunningBot,
) -> None:
    """The fake answers 429 past chat.update's Tier 3 (50 a minute) and the fixture fails on any: the card's
    updates coalesce while they wait, and the dispatcher spaces what is left on the tier's lane."""
    bot = running_bot
    session_id = plan_session(bot, capacity=number("50"))
    bot.dispatch()
    people = [f"UPERSON{n:02d}" for n in range(60)]
    for start in range(0, 60, 10):  # six bursts of ten clicks, the outbox sending between them
        for person in people[start : start + 10]:
            click(bot, "lunchlearn_signup", str(session_id), person)
        bot.dispatch()

    updates = bot.fake.calls_to("chat.update")
    assert 1 <= len(updates) <= 6
    assert "50/50" in text_of(updates[-1]) and "10 on the waitlist" in text_of(updates[-1])
    assert bot.fake.throttled == []
