"""/lunchlearn after the fact: cancelling what already happened, comments after the summary, planned ideas.

Service tests against SQLite and PostgreSQL with the fake Slack and the FakeClock, plus the slash-command answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.lunchlearn import CannotCancel
from bot.lunchlearn_rules import SessionDraft
from bot.services import Services
from storage.lunchlearn import LunchIdea, LunchSession
from tests.conftest import ADMIN, FakeClock, RunningBot
from tests.fake_slack import FakeSlack
from tests.test_lunchlearn_service import PRESENTER, dms, plan, text_of
from tests.test_lunchlearn_slack import cancel_session, click, form, opened_view, plan_session


def status_of(services: Services, session_id: int) -> str:
    with services.sessions() as session:
        return session.scalars(select(LunchSession.status).where(LunchSession.id == session_id)).one()


def cancelled_dms(fake: FakeSlack, user_id: str) -> list[dict[str, Any]]:
    return [call for call in dms(fake, user_id) if "was cancelled" in text_of(call)]


def test_a_session_that_has_started_cannot_be_cancelled_and_nobody_is_told_it_was(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=5, signed_up=("UALICE",))
    clock.now = lunch.starts_at + timedelta(minutes=10)

    with pytest.raises(CannotCancel) as refused:
        services.lunchlearn.cancel(lunch.id, by=PRESENTER)
    services.dispatcher.run_once()

    assert refused.value.reason == "started"
    assert status_of(services, lunch.id) == "scheduled"
    assert not cancelled_dms(fake_slack, "UALICE")
    clock.now = lunch.ends_at + timedelta(minutes=5)
    assert services.lunchlearn.stats({}).sessions == 1  # it still counts as held


def test_cancelling_twice_tells_people_once(services: Services, clock: FakeClock, fake_slack: FakeSlack) -> None:
    lunch = plan(services, clock, capacity=5, signed_up=("UALICE",))
    services.lunchlearn.cancel(lunch.id, by=PRESENTER)

    with pytest.raises(CannotCancel) as again:
        services.lunchlearn.cancel(lunch.id, by=ADMIN)
    services.dispatcher.run_once()

    assert again.value.reason == "cancelled" and again.value.session.cancelled_by == PRESENTER
    assert len(cancelled_dms(fake_slack, "UALICE")) == 1


def test_cancel_answers_say_already_cancelled_or_already_started(running_bot: RunningBot) -> None:
    bot = running_bot
    first = plan_session(bot)
    second = plan_session(bot)
    click(bot, "lunchlearn_signup", str(first), "UBOB")
    assert "Cancelled" in cancel_session(bot, str(first), "UALICE")

    again = bot.slack.command("/lunchlearn", f"cancel {first}", user="UALICE")
    bot.clock.advance(days=3, minutes=1)
    started = bot.slack.command("/lunchlearn", f"cancel {second}", user=ADMIN)

    assert "already cancelled" in again.text and "I'm telling" not in again.text
    assert "already started" in started.text
    assert status_of(bot.services, second) == "scheduled"


def test_a_comment_made_after_the_summary_went_out_still_reaches_the_presenters(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=5, signed_up=("UALICE",))
    clock.now = lunch.ends_at + timedelta(minutes=5)
    services.lunchlearn.tick()
    services.lunchlearn.rate(lunch.id, "UALICE", 5)  # the only attendee rated: the summary goes out now
    services.dispatcher.run_once()
    assert [("Feedback on" in text_of(c)) for c in dms(fake_slack, PRESENTER)] == [True]

    clock.advance(minutes=3)
    assert services.lunchlearn.comment(lunch.id, "UALICE", "More demos <!channel>\nand <@UBOSS> slides")
    services.dispatcher.run_once()

    late = dms(fake_slack, PRESENTER)[-1]
    assert "A comment on" in text_of(late)
    assert "More demos &lt;!channel&gt;" in text_of(late) and "&lt;@UBOSS&gt; slides" in text_of(late)
    assert "<!channel>" not in text_of(late) and "<@UBOSS>" not in text_of(late)


def test_a_comment_made_before_the_summary_is_in_the_summary_and_not_sent_twice(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    lunch = plan(services, clock, capacity=5, signed_up=("UALICE", "UBOB"))
    clock.now = lunch.ends_at + timedelta(minutes=5)
    services.lunchlearn.rate(lunch.id, "UALICE", 4)
    services.lunchlearn.comment(lunch.id, "UALICE", "Loved the diagrams")
    services.lunchlearn.rate(lunch.id, "UBOB", 2)
    services.dispatcher.run_once()

    to_presenter = dms(fake_slack, PRESENTER)
    assert len(to_presenter) == 1 and "Loved the diagrams" in text_of(to_presenter[0])


def test_an_idea_planned_as_a_session_stops_offering_to_present_it(
    services: Services, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    idea = services.lunchlearn.add_idea("Cookie consent, explained", by="UALICE").idea
    services.dispatcher.run_once()
    posted_ts = fake_slack.calls_to("chat.postMessage")[0]
    draft = SessionDraft(
        topic=idea.topic,
        abstract="",
        presenters=("UFRED",),
        direction="it_to_marketing",
        starts_at=clock() + timedelta(days=5),
        duration_minutes=45,
        place="Room 1",
        capacity=10,
    )

    lunch = services.lunchlearn.create(draft, by="UFRED", idea_id=idea.id)
    services.dispatcher.run_once()

    card = fake_slack.calls_to("chat.update")[-1]
    assert card["channel"] == posted_ts["channel"]
    assert f"Planned as session #{lunch.id}" in text_of(card)
    assert "lunchlearn_present" not in str(card["blocks"]) and "lunchlearn_vote" not in str(card["blocks"])


def test_suggesting_an_idea_that_is_already_planned_points_to_the_session(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/lunchlearn", "idea Cookie consent, explained", user="UALICE")
    with bot.services.sessions() as session:
        idea_id = session.scalars(select(LunchIdea.id)).one()
    bot.slack.action("lunchlearn_present", str(idea_id), user="UFRED")
    bot.slack.submit(opened_view(bot), form(bot, topic="Cookie consent, explained"), user="UFRED")

    again = bot.slack.command("/lunchlearn", "idea cookie consent explained", user="UBOB")

    assert "already planned as session #" in again.text and "/lunchlearn list" in again.text


def test_the_list_shows_my_signups_even_beyond_the_next_ten_sessions(services: Services, clock: FakeClock) -> None:
    soon = [plan(services, clock, starts_in=timedelta(days=2, hours=n), topic=f"Soon {n}") for n in range(10)]
    later = plan(services, clock, starts_in=timedelta(days=20), topic="Far off")
    unrelated = plan(services, clock, starts_in=timedelta(days=21), topic="Not mine")
    services.lunchlearn.sign_up(later.id, "UALICE")

    mine = [s.id for s in services.lunchlearn.listing("UALICE")]
    theirs = [s.id for s in services.lunchlearn.listing("UBOB")]

    assert mine == [s.id for s in soon] + [later.id]
    assert theirs == [s.id for s in soon] and unrelated.id not in mine
