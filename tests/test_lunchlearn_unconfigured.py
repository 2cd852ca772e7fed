"""/lunchlearn without a JOINT_CHANNEL: clear answers instead of forms that cannot be announced."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from storage.lunchlearn import LunchIdea
from tests.conftest import RunningBot, make_settings
from tests.fake_slack import FakeSlack


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return make_settings(fake_slack, database_url, joint_channel=None)


def test_without_a_joint_channel_new_and_idea_explain_what_is_missing(running_bot: RunningBot) -> None:
    bot = running_bot
    new = bot.slack.command("/lunchlearn", "new Kafka")
    idea = bot.slack.command("/lunchlearn", "idea Kafka for marketers")

    assert "choose the joint channel" in new.text and "choose the joint channel" in idea.text
    assert "JOINT_CHANNEL" not in new.text + idea.text  # people never see setting names
    assert bot.fake.calls_to("views.open") == []
    with bot.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LunchIdea)) == 0
