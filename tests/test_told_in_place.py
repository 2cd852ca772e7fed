"""A DM whose action is done becomes its outcome, and both members of a liaison pair hear when a turn moves
(over signed HTTP, both databases)."""

from __future__ import annotations

from datetime import date

from tests.conftest import RunningBot, wait_for
from tests.test_confirmations import buttons_in
from tests.test_home_sitdown import add_action
from tests.test_liaison_commands import button, dms_to, join_all, last_response, set_up
from tests.test_sitdown_commands import create_series


def test_done_in_the_dm_that_assigned_the_item_replaces_that_dm(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, owner="UALICE")
    item_id = add_action(bot, series.id, "Write the SSO guide", "UCAROL", date(2026, 12, 20))
    bot.dispatch()
    (assigned,) = [m for m in bot.fake.calls_to("chat.postMessage") if m["channel"] == "UCAROL"]
    (done,) = [b for b in buttons_in(assigned["blocks"]) if b["action_id"] == f"sitdown_done:{item_id}"]

    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(done["action_id"], done["value"], user="UCAROL", channel="DCAROL")
    in_dm = last_response(bot, before)
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(done["action_id"], done["value"], user="UALICE", channel="CJOINT")  # e.g. `/sitdown actions`
    in_channel = last_response(bot, before)

    assert "✅ Done" in str(in_dm) and in_dm["replace_original"] is True
    assert not list(buttons_in(in_dm["blocks"]))  # the outcome, with nothing left to click
    assert "Already done" in str(in_channel) and in_channel["replace_original"] is False


def test_when_a_turn_moves_the_other_side_hears_who_their_counterpart_is_now(running_bot: RunningBot) -> None:
    bot = running_bot
    join_all(bot)
    set_up(bot)
    invite = dms_to(bot, "UI1")[-1]
    partner = next(u for u in ("UM1", "UM2") if any("liaison_accept" in str(m) for m in dms_to(bot, u)))
    told_before = len(dms_to(bot, partner))

    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action("liaison_decline", button(invite, "liaison_decline"), user="UI1", channel="DI1")
    assert last_response(bot, before)["replace_original"] is True  # the invitation becomes its outcome
    bot.dispatch()

    told = dms_to(bot, partner)[told_before:]
    assert len(told) == 1, told
    text = str(told[0]["blocks"])
    assert "counterpart" in text and "is now <@UI2>" in text and "instead of <@UI1>" in text
    assert "You're up next" in str(dms_to(bot, "UI2")[-1])
    wait_for(lambda: True)
