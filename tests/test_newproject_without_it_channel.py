"""Without an IT intake channel, intakes are announced in the joint channel, whose members include marketing:
there, only bot admins decide."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.conftest import ADMIN, JOINT_CHANNEL, RunningBot, make_settings, wait_for
from tests.fake_slack import FakeSlack
from tests.test_newproject_flow import REQUESTER, actions_of, intake_row, submit_intake


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return make_settings(fake_slack, database_url, it_intake_channel=None)


def test_in_the_joint_channel_a_marketer_cannot_approve_their_own_intake(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[JOINT_CHANNEL] = [REQUESTER, "UIVAN"]
    intake_id = submit_intake(bot)
    bot.dispatch()
    assert [c["channel"] for c in bot.fake.calls_to("chat.postMessage")] == [JOINT_CHANNEL]

    bot.slack.action("newproject_approve", str(intake_id), user=REQUESTER, channel=JOINT_CHANNEL)
    [refused] = wait_for(lambda: bot.fake.calls_to("response_url"))
    bot.slack.action("newproject_claim", str(intake_id), user=ADMIN, channel=JOINT_CHANNEL)
    wait_for(lambda: len(bot.fake.calls_to("response_url")) == 2)

    assert "only bot admins" in str(refused) and refused["replace_original"] is False
    assert actions_of(bot, intake_id) == [("submit", REQUESTER), ("claim", ADMIN)]
    assert intake_row(bot, intake_id).it_contact == ADMIN
