"""App Home over signed HTTP: app_home_opened publishes a person's own things, buttons work from Home."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.builders import intake_draft
from tests.conftest import RunningBot, wait_for
from tests.test_home_sitdown import add_action
from tests.test_lunchlearn_service import plan
from tests.test_sitdown_commands import create_series


def published(bot: RunningBot) -> list[dict[str, Any]]:
    return [call["view"] for call in bot.fake.calls_to("views.publish")]


def test_opening_home_publishes_it_with_a_welcome_on_the_first_visit_only(running_bot: RunningBot) -> None:
    bot = running_bot
    assert bot.slack.open_home("UALICE").status == 200
    wait_for(lambda: published(bot))
    bot.slack.open_home("UALICE")
    first, second = wait_for(lambda: len(published(bot)) == 2 and published(bot))
    assert first["type"] == "home" and "Welcome to Bridgebot" in str(first)
    assert "Welcome to Bridgebot" not in str(second)
    assert [call.body["user_id"] for call in bot.fake.calls if call.method == "views.publish"] == ["UALICE"] * 2


def test_the_messages_tab_publishes_nothing(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.event({"type": "app_home_opened", "user": "UALICE", "channel": "DALICE", "tab": "messages"})
    wait_for(lambda: True)
    assert published(bot) == []


def test_home_shows_my_intake_my_seat_and_my_action_item_each_with_its_buttons(running_bot: RunningBot) -> None:
    """The issue's bar: one app_home_opened, one views.publish, all three of a person's things with buttons."""
    bot = running_bot
    bot.services.newproject.submit(intake_draft(name="Loyalty app"), by="UALICE")
    plan(bot.services, bot.clock, topic="APIs for marketers", signed_up=("UALICE",))
    series = create_series(bot, owner="UBOB")
    add_action(bot, series.id, "Send the data map", "UALICE", date(2026, 11, 30))
    bot.fake.calls.clear()

    bot.slack.open_home("UALICE")
    [home] = wait_for(lambda: published(bot))

    shown = str(home)
    assert "Loyalty app" in shown and "APIs for marketers" in shown and "Send the data map" in shown
    actions = {
        element.get("action_id", "")
        for block in home["blocks"]
        for element in [block.get("accessory") or {}, *block.get("elements", [])]
        if isinstance(element, dict)
    }
    assert {"newproject_withdraw", "lunchlearn_withdraw"} <= actions
    assert any(action.startswith("sitdown_done:") for action in actions)
