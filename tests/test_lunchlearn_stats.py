"""/lunchlearn stats over HTTP, with the marketing and IT user groups configured (and one unreadable)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.lunchlearn_rules import SessionDraft
from tests.conftest import FakeClock, RunningBot, make_settings, wait_for
from tests.fake_slack import FakeSlack


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return make_settings(fake_slack, database_url, marketing_usergroup="SMARKETING", it_usergroup="SIT")


def held_session(bot: RunningBot, clock: FakeClock, direction: str, attendees: list[str]) -> int:
    draft = SessionDraft(
        topic=f"A {direction} session",
        abstract="",
        presenters=("UPRES",),
        direction=direction,
        starts_at=clock() + timedelta(days=1),
        duration_minutes=30,
        place="Room 1",
        capacity=10,
    )
    session = bot.services.lunchlearn.create(draft, by="UPRES")
    for user in attendees:
        bot.services.lunchlearn.sign_up(session.id, user)
    return session.id


def stats_reply(bot: RunningBot) -> dict[str, Any]:
    bot.slack.command("/lunchlearn", "stats")
    return wait_for(lambda: bot.fake.calls_to("response_url"))[-1]


def test_stats_split_attendance_by_the_user_groups(running_bot: RunningBot, clock: FakeClock) -> None:
    bot = running_bot
    bot.fake.usergroups = {"SMARKETING": ["UMIA", "UMAX"], "SIT": ["UIVY"]}
    first = held_session(bot, clock, "marketing_to_it", ["UMIA", "UIVY", "UGUEST"])
    held_session(bot, clock, "marketing_to_it", ["UMAX"])
    held_session(bot, clock, "it_to_marketing", ["UMIA"])
    clock.advance(days=1, minutes=31)
    bot.services.lunchlearn.rate(first, "UMIA", 5)
    bot.services.lunchlearn.rate(first, "UIVY", 4)

    text = str(stats_reply(bot)["blocks"])

    assert "*Sessions held*\\n3" in text
    assert "Marketing 2 · IT 1 · Joint 0" in text
    assert "Marketing 3 · IT 1 · Other 1" in text
    assert "4.5 / 5 from 2 ratings" in text
    assert {c["usergroup"] for c in bot.fake.calls_to("usergroups.users.list")} == {"SMARKETING", "SIT"}


def test_an_unreadable_user_group_is_named_and_its_members_count_as_other(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.usergroups = {"SIT": ["UIVY"]}  # SMARKETING answers no_such_subteam
    held_session(bot, bot.clock, "joint", ["UMIA", "UIVY"])
    bot.clock.advance(days=2)

    text = str(stats_reply(bot)["blocks"])

    assert "Marketing 0 · IT 1 · Other 1" in text
    assert "Couldn't read the Marketing user group (no_such_subteam)" in text
    assert "no ratings yet" in text


def test_stats_run_twice_read_each_user_group_once(running_bot: RunningBot) -> None:
    """usergroups.users.list is Tier 2 (about 20 a minute): its answers are kept for a while."""
    bot = running_bot
    bot.fake.usergroups = {"SMARKETING": ["UMIA"], "SIT": ["UIVY"]}
    stats_reply(bot)
    bot.fake.calls.clear()
    stats_reply(bot)
    assert bot.fake.calls_to("usergroups.users.list") == []
