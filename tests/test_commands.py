"""Slash commands from one table per feature (handlers/commands.py): help, typos, arguments, over real HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from storage.sitdown import SitdownAgendaItem
from tests.conftest import JOINT_CHANNEL, RunningBot, wait_for
from tests.test_sitdown_commands import create_series, rows

COMMANDS = ["/jargon", "/newproject", "/sitdown", "/lunchlearn", "/liaison"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_placeholders_escaped_so_slack_cannot_read_them_as_links(
    running_bot: RunningBot, command: str
) -> None:
    reply = running_bot.slack.command(command, "help")
    assert reply.status == 200 and f"How to use {command}" in reply.raw
    lines = [line for line in reply.text.split("\n") if f"`{command} " in line]
    assert lines, reply.text
    for text in lines:
        assert not re.search(r"<(?![@#!])[a-z]", text), text  # `<id>` would be a link; `&lt;id&gt;` is shown


@pytest.mark.parametrize(
    ("command", "typo", "meant"),
    [("/sitdown", "agnda", "agenda"), ("/lunchlearn", "idaes", "ideas"), ("/liaison", "whoo", "who")],
)
def test_a_typo_gets_the_nearest_subcommand_not_the_whole_help(
    running_bot: RunningBot, command: str, typo: str, meant: str
) -> None:
    reply = running_bot.slack.command(command, typo)
    assert f"Did you mean `{command} {meant}" in reply.text
    assert "How to use" not in reply.raw
    (run,) = reply.action_elements
    assert (run["action_id"], run["value"]) == (f"command:{command[1:]}", meant)


def answer_to_button(bot: RunningBot, button: dict[str, Any], user: str = "UALICE") -> dict[str, Any]:
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(button["action_id"], button["value"], user=user, channel=JOINT_CHANNEL)
    return wait_for(lambda: bot.fake.calls_to("response_url")[before:])[-1]


def test_did_you_mean_runs_the_suggestion_with_the_rest_of_what_was_typed(running_bot: RunningBot) -> None:
    bot = running_bot
    create_series(bot, owner="UALICE")
    typed = "agnda Review the &lt;b&gt;launch&lt;/b&gt; &amp; <@UCAROL>"  # as Slack sends `<b>`, `&` and a mention
    reply = bot.slack.command("/sitdown", typed, user="UBOB", channel=JOINT_CHANNEL)
    (run,) = reply.action_elements
    assert run["value"] == "agenda Review the &lt;b&gt;launch&lt;/b&gt; &amp; @UCAROL"
    assert not rows(bot, SitdownAgendaItem)

    answer = answer_to_button(bot, run, user="UBOB")

    assert "Added to the agenda" in str(answer) and answer["response_type"] == "ephemeral"
    (item,) = rows(bot, SitdownAgendaItem)
    assert (item.text, item.added_by) == ("Review the <b>launch</b> & @UCAROL", "UBOB")  # the clicker's, read once
    assert "&lt;b&gt;launch&lt;/b&gt;" in str(answer) and "<b>" not in str(answer)


MENUS = {
    "/sitdown": ["command:sitdown"] * 4,
    "/lunchlearn": ["command:lunchlearn"] * 3,
    "/liaison": ["command:liaison"] * 4,
    "/jargon": ["jargon_home_lookup", *["command:jargon"] * 3],
}


@pytest.mark.parametrize("command", list(MENUS))
def test_a_bare_command_answers_with_its_main_actions_as_buttons(running_bot: RunningBot, command: str) -> None:
    reply = running_bot.slack.command(command, "")

    assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    assert [e["action_id"] for e in reply.action_elements] == MENUS[command]
    assert f"`{command} help` lists everything" in reply.text and "How to use" not in reply.raw
    for button in reply.action_elements:
        if button["action_id"].startswith("command:"):
            typed = running_bot.slack.command(command, button["value"])  # each is a subcommand, typed as is
            assert "I don't know" not in typed.text and "needs a little more" not in typed.text, button


def test_menu_buttons_answer_like_the_typed_subcommand(running_bot: RunningBot) -> None:
    bot = running_bot
    menu = {e["value"]: e for e in bot.slack.command("/liaison", "").action_elements}
    joined = answer_to_button(bot, menu["join marketing"], user="UBOB")
    who = answer_to_button(bot, menu["who"], user="UBOB")

    assert "pool" in str(joined) and bot.services.liaison.side_of("UBOB") == "marketing"
    assert str(who["blocks"]) == str(bot.slack.command("/liaison", "who", user="UBOB").body["blocks"])
    before = len(bot.fake.calls_to("views.open"))
    sitdown_menu = {e["value"]: e for e in bot.slack.command("/sitdown", "").action_elements}
    bot.slack.action(sitdown_menu["new"]["action_id"], "new", user="UBOB", channel=JOINT_CHANNEL)
    opened = wait_for(lambda: bot.fake.calls_to("views.open")[before:])
    assert opened[-1]["view"]["callback_id"] == "sitdown_new"


def test_a_forged_menu_value_is_only_text_the_clicker_could_have_typed(running_bot: RunningBot) -> None:
    bot = running_bot
    forged = {"action_id": "command:jargon", "value": "delete SQL"}

    answer = answer_to_button(bot, forged, user="UBOB")

    assert "Only bot admins" in str(answer)
    assert "Structured Query Language" in bot.slack.command("/jargon", "SQL").text


def test_a_word_far_from_every_subcommand_gets_the_help(running_bot: RunningBot) -> None:
    reply = running_bot.slack.command("/sitdown", "weather")
    assert "I don't know `/sitdown weather`" in reply.text and "How to use /sitdown" in reply.raw


def test_jargon_treats_an_unknown_first_word_as_a_term_to_look_up(running_bot: RunningBot) -> None:
    assert "Structured Query Language" in running_bot.slack.command("/jargon", "sql").text


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/jargon", "edit", "`/jargon edit &lt;term&gt;` needs a little more"),
        ("/lunchlearn", "idea", "`/lunchlearn idea &lt;topic&gt;` needs a little more"),
        ("/liaison", "who is it", "`/liaison who` takes nothing more"),
        ("/jargon", "stats please", "`/jargon stats` takes nothing more"),
    ],
)
def test_a_subcommand_without_what_it_needs_or_with_too_much_says_its_usage(
    running_bot: RunningBot, command: str, text: str, expected: str
) -> None:
    assert expected in running_bot.slack.command(command, text).text


def test_newproject_alone_opens_the_form(running_bot: RunningBot) -> None:
    running_bot.slack.command("/newproject", "")
    assert wait_for(lambda: running_bot.fake.calls_to("views.open"))
