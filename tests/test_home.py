"""App Home over signed HTTP: app_home_opened publishes a person's own things, buttons work from Home."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningBot, wait_for


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
