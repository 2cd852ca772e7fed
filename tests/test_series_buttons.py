"""A sit-down series' own buttons (its announcement, its reminders, Home): skip this meeting, move one of the next
meetings, pause or resume, cancel. Each runs the typed command's use case for the clicker in the payload, the
public ones carry Slack's confirm dialog, and a forged or stale value changes nothing (over signed HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storage.sitdown import SitdownMeeting, SitdownSeries
from tests.conftest import ADMIN, JOINT_CHANNEL, RunningBot, wait_for
from tests.slack_requests import date as date_state
from tests.slack_requests import time_of_day
from tests.test_confirmations import buttons_in, database
from tests.test_sitdown_commands import create_series, opened_view, responses, rows

MANAGE = ("sitdown_skip_meeting", "sitdown_move_meeting", "sitdown_pause_yes:object", "sitdown_cancel_yes:object")


def announced_buttons(bot: RunningBot) -> dict[str, dict[str, Any]]:
    """The series' announcement in its channel, as the dispatcher sent it: its buttons by action id."""
    bot.dispatch()
    (announcement,) = [m for m in bot.fake.calls_to("chat.postMessage") if "set up" in str(m["blocks"])]
    return {button["action_id"]: button for button in buttons_in(announcement["blocks"])}


def click(bot: RunningBot, button: dict[str, Any], user: str, value: str | None = None) -> dict[str, Any]:
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(button["action_id"], button["value"] if value is None else value, user=user, channel=JOINT_CHANNEL)
    return responses(bot, before)


def status(bot: RunningBot) -> str:
    return str(rows(bot, SitdownSeries)[-1].status)


def test_the_announcement_carries_the_series_buttons_and_the_public_ones_ask_first(running_bot: RunningBot) -> None:
    create_series(running_bot, owner="UALICE")

    found = announced_buttons(running_bot)

    assert set(MANAGE) <= set(found)
    for action_id in ("sitdown_skip_meeting", "sitdown_pause_yes:object", "sitdown_cancel_yes:object"):
        assert {"title", "text", "confirm", "deny"} <= set(found[action_id]["confirm"]), action_id
    assert "confirm" not in found["sitdown_move_meeting"]  # it opens a form, whose submit is the decision


def test_skip_this_meeting_skips_it_and_tells_the_channel(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, owner="UALICE")
    skip = announced_buttons(bot)["sitdown_skip_meeting"]
    upcoming = bot.services.sitdown.next_meeting(series.id)
    assert upcoming is not None

    answer = click(bot, skip, "UALICE")
    bot.dispatch()

    assert "Skipped the meeting" in str(answer) and answer["replace_original"] is False
    (meeting,) = rows(bot, SitdownMeeting)
    assert (meeting.status, meeting.changed_by) == ("skipped", "UALICE")
    assert meeting.original_start.replace(tzinfo=UTC) == upcoming.original
    assert any("skipped" in str(m["blocks"]) for m in bot.fake.calls_to("chat.postMessage"))
    again = click(bot, skip, "UALICE")
    assert "already off" in str(again)


def test_a_click_by_someone_else_or_with_a_forged_value_changes_nothing(running_bot: RunningBot) -> None:
    bot = running_bot
    create_series(bot, owner="UALICE")
    found = announced_buttons(bot)
    before = database(bot)

    refused = [click(bot, found[action_id], "UBOB") for action_id in MANAGE if action_id != "sitdown_move_meeting"]
    forged = [
        click(bot, found["sitdown_skip_meeting"], "UALICE", value)
        for value in ("abc", "999:2026-12-01", "1:2026-13-45", "1:1999-01-05", "")
    ]
    forged += [click(bot, found["sitdown_cancel_yes:object"], "UALICE", value) for value in ("0", "x", "99999999999")]
    opened = len(bot.fake.calls_to("views.open"))
    refused.append(click(bot, found["sitdown_move_meeting"], "UBOB"))

    assert all("Only the series' owner or a bot admin" in str(answer) for answer in refused)
    assert not any("Skipped" in str(a) or "Cancelled" in str(a) for a in forged)
    assert len(bot.fake.calls_to("views.open")) == opened
    assert database(bot) == before


def test_pause_then_resume_from_home(running_bot: RunningBot) -> None:
    bot = running_bot
    create_series(bot, owner="UALICE")
    pause = announced_buttons(bot)["sitdown_pause_yes:object"]

    paused = click(bot, pause, ADMIN)  # a bot admin may, too

    assert "Paused" in str(paused) and status(bot) == "paused"
    bot.slack.open_home("UALICE")
    home = wait_for(lambda: bot.fake.calls_to("views.publish"))[-1]["view"]
    shown = {b["action_id"]: b for b in buttons_in(home["blocks"])}
    assert "sitdown_resume" in shown and "sitdown_pause_yes:object" not in shown
    bot.slack.home_action("sitdown_resume", shown["sitdown_resume"]["value"], user="UALICE")
    notice = wait_for(lambda: len(bot.fake.calls_to("views.publish")) > 1 and bot.fake.calls_to("views.publish"))
    assert "Resumed" in str(notice[-1]["view"]["blocks"][1]) and status(bot) == "active"


def test_cancel_on_the_series_cancels_it_and_leaves_the_message(running_bot: RunningBot) -> None:
    bot = running_bot
    create_series(bot, owner="UALICE")
    cancel = announced_buttons(bot)["sitdown_cancel_yes:object"]

    answer = click(bot, cancel, "UALICE")
    twice = click(bot, cancel, "UALICE")

    assert "Cancelled" in str(answer) and answer["replace_original"] is False and status(bot) == "cancelled"
    assert "doesn't exist (or was cancelled)" in str(twice)


def test_move_a_meeting_picks_one_of_the_next_ones_and_moves_it(running_bot: RunningBot) -> None:
    bot = running_bot
    series = create_series(bot, owner="UALICE")
    move = announced_buttons(bot)["sitdown_move_meeting"]
    upcoming = bot.services.sitdown.upcoming(series.id)
    second = upcoming[1]

    click_reply = bot.slack.action(move["action_id"], move["value"], user="UALICE", channel=JOINT_CHANNEL)
    view = opened_view(bot)
    options = next(b for b in view["blocks"] if b.get("block_id") == "meeting")["element"]["options"]
    values = {
        "meeting": ("select", f"{second.original:%Y-%m-%dT%H:%M}"),
        "day": date_state("2026-12-10"),
        "time": time_of_day("16:30"),
    }
    stale = {**values, "meeting": ("select", "2026-01-06T15:00")}
    refused = bot.slack.submit(view, stale, user="UALICE")
    by_bob = bot.slack.submit(view, values, user="UBOB")
    assert rows(bot, SitdownMeeting) == []
    moved = bot.slack.submit(view, values, user="UALICE")
    bot.dispatch()

    assert click_reply.status == 200 and len(options) == len(upcoming) == 6
    assert "America/New_York" in str(view["blocks"][0])
    assert refused.body["response_action"] == "errors" and "no longer to come" in refused.body["errors"]["day"]
    assert "Only the series' owner" in by_bob.body["errors"]["meeting"]
    assert moved.body["response_action"] == "update", moved.body
    (meeting,) = rows(bot, SitdownMeeting)
    assert meeting.status == "moved" and meeting.original_start.replace(tzinfo=UTC) == second.original
    assert meeting.start.replace(tzinfo=UTC) == datetime(2026, 12, 10, 21, 30, tzinfo=UTC)  # 16:30 in New York
    assert bot.services.sitdown.next_meeting(series.id) == upcoming[0]  # the first one stays where it was
    assert any("moved" in str(m["blocks"]) for m in bot.fake.calls_to("chat.postMessage"))
