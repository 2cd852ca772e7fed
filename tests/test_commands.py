"""Slash commands from one table per feature (handlers/commands.py): help, typos, arguments, over real HTTP."""

from __future__ import annotations

import re

import pytest

from tests.conftest import RunningBot, wait_for

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
