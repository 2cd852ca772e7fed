"""Home's liaison section: the pair serving now, my next turn, Away (a form) and Back, over the real app."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from handlers.home import HomeTab
from handlers.liaison_home import AWAY_ACTION, AWAY_FORM, BACK_ACTION, section
from storage.liaison import LiaisonMember
from tests.conftest import RunningBot, wait_for
from tests.slack_requests import date as date_state
from tests.test_liaison_commands import join_all, set_up


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def published(bot: RunningBot) -> list[dict[str, Any]]:
    return [call["view"] for call in bot.fake.calls_to("views.publish")]


def away_until(bot: RunningBot, user_id: str) -> date | None:
    with bot.services.sessions() as session:
        return session.scalars(select(LiaisonMember.away_until).where(LiaisonMember.user_id == user_id)).one()


def away_form(bot: RunningBot, user_id: str) -> dict[str, Any]:
    opened = len(bot.fake.calls_to("views.open"))
    bot.slack.home_action(AWAY_ACTION, "away", user=user_id)
    return wait_for(lambda: bot.fake.calls_to("views.open")[opened:])[-1]["view"]


def test_nothing_without_a_rotation_or_a_pool_and_a_hint_without_a_pool(running_bot: RunningBot) -> None:
    bot = running_bot
    assert section(bot.services, "UNOBODY") == []
    bot.slack.command("/liaison", "join marketing", user="UM1")

    member = section(bot.services, "UM1")
    assert "Marketing pool" in str(member) and "once a bot admin sets up the rotation" in str(member)
    assert [b["action_id"] for b in buttons(member)] == [AWAY_ACTION]

    join_all(bot)
    set_up(bot)
    outsider = section(bot.services, "UNOBODY")
    assert "Nobody is serving right now" in str(outsider) and "/liaison join marketing" in str(outsider)
    assert buttons(outsider) == []


def test_the_current_pair_and_my_next_turn_planned_or_as_the_queue_stands(running_bot: RunningBot) -> None:
    bot = running_bot
    join_all(bot)
    set_up(bot)  # 4-week terms from 2026-12-07: UM1 and UI1 are picked for the first

    picked = str(section(bot.services, "UM1"))
    second = str(section(bot.services, "UM2"))
    first_start = int(datetime(2026, 12, 7, 9, tzinfo=UTC).timestamp())
    second_start = int(datetime(2027, 1, 4, 9, tzinfo=UTC).timestamp())
    assert "Your next turn" in picked and f"<!date^{first_start}^" in picked
    assert "as the queue stands" in second and f"<!date^{second_start}^" in second and "first in line" in second

    bot.clock.now = datetime(2026, 12, 8, 9, tzinfo=UTC)
    bot.services.liaison.tick()
    serving = section(bot.services, "UM1")
    watching = section(bot.services, "UI2")

    assert "You're the liaison now" in str(serving)
    assert "<@UM1>" in str(watching) and "<@UI1>" in str(watching) and "Until" in str(watching)
    HomeTab(bot.services, [section]).publish(bot.services.client, "UI2")
    HomeTab(bot.services, [section]).publish(bot.services.client, "UM1")
    assert len(published(bot)) == 2 and "Liaisons" in str(published(bot)[0])


def test_away_from_home_opens_a_date_form_and_back_republishes_home_with_a_notice(running_bot: RunningBot) -> None:
    bot = running_bot
    join_all(bot)
    set_up(bot)

    view = away_form(bot, "UM2")
    picker = next(b for b in view["blocks"] if b.get("block_id") == "until")
    in_past = bot.slack.submit(view, {"until": date_state("2026-11-01")}, user="UM2")
    saved = bot.slack.submit(view, {"until": date_state("2027-01-10")}, user="UM2")

    assert view["callback_id"] == AWAY_FORM and picker["element"]["type"] == "datepicker"
    assert picker["element"]["initial_date"] == "2026-11-23"
    assert in_past.body["response_action"] == "errors" and "already passed" in in_past.body["errors"]["until"]
    assert saved.body["response_action"] == "update" and "through 2027-01-10" in str(saved.body["view"])
    assert away_until(bot, "UM2") == date(2027, 1, 10)
    away = section(bot.services, "UM2")
    assert "Away through *2027-01-10*" in str(away)
    assert [b["action_id"] for b in buttons(away)] == [AWAY_ACTION, BACK_ACTION]
    assert away_form(bot, "UM2")["blocks"][1]["element"]["initial_date"] == "2027-01-10"

    bot.slack.home_action(BACK_ACTION, "back", user="UM2")
    (home,) = wait_for(lambda: published(bot))

    assert "Welcome back" in str(home["blocks"][1]) and bot.fake.calls_to("views.publish")[0]["user_id"] == "UM2"
    assert away_until(bot, "UM2") is None
    assert [b["action_id"] for b in buttons(section(bot.services, "UM2"))] == [AWAY_ACTION]


def test_away_for_someone_in_no_pool_says_so_in_home(running_bot: RunningBot) -> None:
    bot = running_bot

    bot.slack.home_action(AWAY_ACTION, "away", user="UNOBODY")
    (home,) = wait_for(lambda: published(bot))
    bot.slack.home_action(BACK_ACTION, "back", user="UNOBODY")
    wait_for(lambda: len(published(bot)) == 2)

    assert "not in a liaison pool" in str(home) and bot.fake.calls_to("views.open") == []
    assert "not in a liaison pool" in str(published(bot)[1])
