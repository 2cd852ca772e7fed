"""Home follows changes: when a person's things change, their Home is republished once a burst has settled,
rendered when sent, and only for people who opened Home in the last 30 days (over signed HTTP, both databases).

The use cases only name the people (`work.homes_changed`, bot/kit.py); the outbox holds one waiting refresh per
person (a newer one replaces it) and the dispatcher renders it with the Home tab when it sends it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.kit import HOME_DEBOUNCE
from storage.models import OutboxMessage
from tests.conftest import IT_CHANNEL, RunningBot, wait_for
from tests.test_lunchlearn_slack import click as click_session
from tests.test_lunchlearn_slack import plan_session
from tests.test_newproject_flow import IT_PERSON, REQUESTER, click, submit_intake


def published_to(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    return [call["view"] for call in bot.fake.calls_to("views.publish") if call["user_id"] == user]


def refreshes(bot: RunningBot, status: str | None = None) -> list[OutboxMessage]:
    with bot.services.sessions() as session:
        found = session.scalars(select(OutboxMessage).where(OutboxMessage.method == "views.publish"))
        return [row for row in found if status is None or row.status == status]


def settle(bot: RunningBot) -> None:
    """What the bot does after its acknowledgements, then the debounce, then the dispatcher."""
    wait_for(lambda: True)
    bot.clock.advance(seconds=HOME_DEBOUNCE.total_seconds() + 1)
    bot.dispatch()


def test_a_burst_of_changes_republishes_a_visitors_home_once_with_the_latest_state(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.open_home("UALICE")  # she will present the session
    session_id = plan_session(bot)
    bot.dispatch()
    opened = len(published_to(bot, "UALICE"))

    for user in ("UBOB", "UCAROL", "UDAN"):
        click_session(bot, "lunchlearn_signup", str(session_id), user)
    click_session(bot, "lunchlearn_withdraw", str(session_id), "UDAN")
    wait_for(lambda: True)
    bot.dispatch()  # nothing yet: the burst may not be over
    assert len(published_to(bot, "UALICE")) == opened
    settle(bot)

    views = published_to(bot, "UALICE")
    assert len(views) == opened + 1
    assert "1/1 seated · 1 on the waitlist" in str(views[-1]["blocks"])  # Bob seated, Carol waiting: Dan left
    assert len(refreshes(bot, "pending")) == 0
    assert {row.payload.get("view") for row in refreshes(bot)} == {None}  # rendered when sent, never stored
    assert all(published_to(bot, user) == [] for user in ("UBOB", "UCAROL", "UDAN"))  # never opened Home


def test_only_people_who_opened_home_in_the_last_30_days(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[IT_CHANNEL] = [IT_PERSON]
    bot.slack.open_home(IT_PERSON)
    bot.clock.advance(days=31)
    bot.slack.open_home(REQUESTER)
    wait_for(lambda: True)
    intake_id = submit_intake(bot)
    settle(bot)
    before = {user: len(published_to(bot, user)) for user in (REQUESTER, IT_PERSON)}

    click(bot, "newproject_claim", intake_id, IT_PERSON)
    settle(bot)

    assert len(published_to(bot, REQUESTER)) == before[REQUESTER] + 1
    assert "IT: <@" in str(published_to(bot, REQUESTER)[-1]["blocks"])
    assert len(published_to(bot, IT_PERSON)) == before[IT_PERSON]  # last opened 31 days ago
    bot.slack.open_home(IT_PERSON)
    wait_for(lambda: True)
    click(bot, "newproject_approve", intake_id, IT_PERSON)
    settle(bot)
    assert len(published_to(bot, IT_PERSON)) == before[IT_PERSON] + 2  # the visit, then the refresh


def test_a_click_in_home_publishes_once_not_again_when_the_refresh_falls_due(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot)
    bot.slack.open_home("UBOB")
    click_session(bot, "lunchlearn_signup", str(session_id), "UBOB")
    settle(bot)
    before = len(published_to(bot, "UBOB"))

    bot.slack.home_action("lunchlearn_withdraw", str(session_id), user="UBOB")
    settle(bot)

    views = published_to(bot, "UBOB")
    assert len(views) == before + 1 and "withdrawn" in str(views[-1]["blocks"][1])
    assert [row.last_error for row in refreshes(bot, "skipped")][-1].endswith("(its Home, published directly)")
