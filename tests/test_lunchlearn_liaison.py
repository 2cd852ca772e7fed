"""/lunchlearn stats tell the sides apart by the /liaison pools when no user groups are configured."""

from __future__ import annotations

from tests.conftest import FakeClock, RunningBot
from tests.test_lunchlearn_stats import held_session, stats_reply


def test_attendance_by_side_comes_from_the_liaison_pools(running_bot: RunningBot, clock: FakeClock) -> None:
    bot = running_bot
    bot.slack.command("/liaison", "join marketing", user="UMIA")
    bot.slack.command("/liaison", "join it", user="UIVY")
    held_session(bot, clock, "it_to_marketing", ["UMIA", "UIVY", "UGUEST"])
    clock.advance(days=1, minutes=31)

    text = str(stats_reply(bot)["blocks"])

    assert "Marketing 1 · IT 1 · Other 1" in text
    assert bot.fake.calls_to("usergroups.users.list") == []


def test_with_no_pools_and_no_groups_everyone_is_other_and_the_answer_says_why(
    running_bot: RunningBot, clock: FakeClock
) -> None:
    held_session(running_bot, clock, "joint", ["UMIA"])
    clock.advance(days=1, minutes=31)

    text = str(stats_reply(running_bot)["blocks"])

    assert "Marketing 0 · IT 0 · Other 1" in text
    assert "join the `/liaison` pools" in text
