"""LIAISON_USERGROUP: at every handover the group's members become the new pair (usergroups.users.update through
the outbox), never emptied; a workspace without user groups is one log line at the first tick, and nothing else.

The real app is running (its liaison listeners give the service the check of the group); Slack is the fake Web
API; time moves only with the FakeClock; every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging

import pytest

from bot.config import ConfigError, Settings, settings_from
from bot.liaison_group import update_members
from bot.liaison_views import TermView
from tests.conftest import RunningBot, make_settings
from tests.fake_slack import FakeSlack
from tests.test_liaison_rotation import FIRST_START, TERM, run, start_rotation

GROUP = "SLIAISONS"
UPDATE = "usergroups.users.update"


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    fake_slack.usergroups[GROUP] = ["UOLD1", "UOLD2"]
    return make_settings(fake_slack, database_url, liaison_usergroup=GROUP)


def updates(bot: RunningBot) -> list[tuple[str, str]]:
    return [(body["usergroup"], body["users"]) for body in bot.fake.calls_to(UPDATE)]


def test_each_handover_sets_the_group_to_the_new_pair(running_bot: RunningBot) -> None:
    bot = running_bot
    services = start_rotation(bot.services, bot.clock)
    run(services)
    assert updates(bot) == [] and bot.fake.usergroups[GROUP] == ["UOLD1", "UOLD2"]  # the old pair stays till then

    bot.clock.now = FIRST_START
    run(services)
    assert updates(bot) == [(GROUP, "UM1,UI1")]

    bot.clock.now = FIRST_START + TERM
    run(services)
    assert updates(bot) == [(GROUP, "UM1,UI1"), (GROUP, "UM2,UI2")]
    assert bot.fake.usergroups[GROUP] == ["UM2", "UI2"]

    services.liaison.swap("UI2", "UI3", by="UI2")  # a seat changing hands during the term moves the group too
    run(services)
    bot.clock.advance(minutes=1)
    run(services)
    assert updates(bot)[2:] == [(GROUP, "UM2,UI3")]


def test_an_update_slack_refuses_for_a_moment_is_retried(running_bot: RunningBot) -> None:
    bot = running_bot
    services = start_rotation(bot.services, bot.clock)
    bot.fake.fail_next(UPDATE, status=500, error="internal_error", times=2)  # slack_sdk retries a 500 once itself
    bot.clock.now = FIRST_START
    run(services)
    assert [call.ok for call in bot.fake.calls if call.method == UPDATE] == [False, False]

    bot.clock.advance(minutes=5)
    services.dispatcher.run_once()
    assert [call.body["users"] for call in bot.fake.delivered(UPDATE)] == ["UM1,UI1"]


def test_a_workspace_without_user_groups_is_one_log_line_and_no_update(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = running_bot
    bot.fake.user_groups_plan = False
    with caplog.at_level(logging.INFO):
        services = start_rotation(bot.services, bot.clock)
        bot.clock.now = FIRST_START
        run(services)
        bot.clock.now = FIRST_START + TERM
        run(services)

    about_it = [record for record in caplog.records if "LIAISON_USERGROUP" in record.getMessage()]
    assert len(about_it) == 1 and "paid Slack plan" in about_it[0].getMessage()
    assert about_it[0].exc_info is None
    assert bot.fake.calls_to(UPDATE) == []
    assert len(bot.fake.calls_to("usergroups.users.list")) == 1  # asked once, at the first tick


def test_nobody_seated_sends_nothing_so_the_group_is_never_emptied() -> None:
    term = TermView(7, 1, 0, FIRST_START, FIRST_START + TERM, {"marketing": None, "it": None}, FIRST_START)
    assert update_members(GROUP, term, 3) is None
    half = TermView(7, 1, 0, FIRST_START, FIRST_START + TERM, {"marketing": None, "it": "UI1"}, FIRST_START)
    update = update_members(GROUP, half, 3)
    assert update is not None and update.payload == {"usergroup": GROUP, "users": "UI1"}
    assert update.expire_at == FIRST_START + TERM and update.due_at == FIRST_START


@pytest.mark.parametrize("other", ["MARKETING_USERGROUP", "IT_USERGROUP"])
def test_the_liaison_group_must_be_a_group_of_its_own(other: str) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_APP_TOKEN": "xapp-x", "LIAISON_USERGROUP": "S0AB", other: "S0AB"}
    with pytest.raises(ConfigError) as problem:
        settings_from(env)
    assert str(problem.value).startswith("LIAISON_USERGROUP must be a group of its own") and other in str(problem.value)
    assert settings_from({**env, other: "S0CD"}).liaison_usergroup == "S0AB"
