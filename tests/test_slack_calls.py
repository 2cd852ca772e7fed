"""The calls the edge makes while a person waits, as Slack's tiers and deadlines ask (handlers/slack_calls.py)."""

from __future__ import annotations

from slack_sdk import WebClient

from handlers import slack_calls
from tests.conftest import IT_CHANNEL, RunningBot, wait_for
from tests.fake_slack import FakeSlack


def test_a_slow_users_info_does_not_keep_the_sit_down_form_from_opening(running_bot: RunningBot) -> None:
    """The trigger lives 3 s: the asker's time zone gets a second, then the form opens with the default."""
    bot = running_bot
    bot.fake.stall_next("users.info", seconds=3)
    bot.slack.command("/sitdown", "new", user="UALICE")
    [opened] = wait_for(lambda: bot.fake.calls_to("views.open"))
    assert [c.method for c in bot.fake.calls].count("users.info") == 1, "no retry of the slow call"
    assert opened["trigger_id"]


def test_channel_members_page_two_hundred_at_a_time(fake_slack: FakeSlack) -> None:
    fake_slack.channel_members[IT_CHANNEL] = ["UIT1", "UIT2"]
    client = WebClient(token="xoxb-test", base_url=fake_slack.base_url)
    assert slack_calls.channel_members(client, IT_CHANNEL) == {"UIT1", "UIT2"}
    assert [body["limit"] for body in fake_slack.calls_to("conversations.members")] == ["200"]


def test_a_group_dm_refused_with_429_is_opened_after_its_retry_after(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("conversations.open", status=429, error="ratelimited", retry_after=1)
    waits: list[float] = []
    client = WebClient(token="xoxb-test", base_url=fake_slack.base_url)
    opener = slack_calls.ConversationOpener(client, spacing=1.2, sleep=waits.append)  # Tier 3's spacing
    assert opener(["UA", "UB"]).startswith("D")
    assert len(fake_slack.calls_to("conversations.open")) == 2  # refused once, then opened
    opener(["UC", "UD"])
    assert waits and 0 < waits[-1] <= 1.2  # the next open waited its turn


def test_user_groups_are_read_once_per_while(fake_slack: FakeSlack) -> None:
    fake_slack.usergroups = {"SGROUP": ["UA"]}
    moments = iter([0.0, 1.0, 400.0, 400.0])  # read and kept, looked at, looked at once the while has passed
    reader = slack_calls.GroupMembers(
        WebClient(token="xoxb-test", base_url=fake_slack.base_url), now=lambda: next(moments)
    )
    assert reader("SGROUP") == ["UA"]
    fake_slack.usergroups = {"SGROUP": ["UA", "UB"]}
    assert reader("SGROUP") == ["UA"]  # kept
    assert reader("SGROUP") == ["UA", "UB"]  # read again once the while has passed
    assert len(fake_slack.calls_to("usergroups.users.list")) == 2
