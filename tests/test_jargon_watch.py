"""The jargon watch over signed HTTP: `/jargon watch on|off` (asked of Slack who may), and message events answered
in their thread at most once per term per channel per 30 days, never in channels where it is off, never to bots.

Slack is the fake Web API; time moves only with the FakeClock; every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.glossary import SenseData, TermEntry
from bot.jargon_watch_rules import is_person_message, to_explain, worth_explaining
from storage.jargon_watch import TermExplained, WatchedChannel
from tests.conftest import IT_CHANNEL, MARKETING_CHANNEL, RunningBot, wait_for

WATCHED, OTHER = "CWATCHED", "COTHER"
POST = "chat.postMessage"
SQL_MEANINGS = ("Structured Query Language", "Sales-qualified lead")
MESSAGE_NUMBERS = count(1)


def answers(bot: RunningBot, before: int) -> list[dict[str, Any]]:
    return wait_for(lambda: bot.fake.calls_to("response_url")[before:])


def type_watch(bot: RunningBot, choice: str, *, channel: str = WATCHED, user: str = "UALICE") -> dict[str, Any]:
    """`/jargon watch <choice>` typed in the channel: the command is acknowledged, then answered (Slack is asked
    who is in the channel first) through its response_url."""
    before = len(bot.fake.calls_to("response_url"))
    reply = bot.slack.command("/jargon", f"watch {choice}", user=user, channel=channel)
    assert reply.status == 200 and not reply.body.get("blocks")
    return answers(bot, before)[-1]


def click_yes(bot: RunningBot, channel: str, user: str = "UALICE") -> dict[str, Any]:
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action("jargon_watch_on", channel, user=user, channel=channel)
    return answers(bot, before)[-1]


def turn_on(bot: RunningBot, channel: str = WATCHED) -> None:
    bot.fake.channel_members[channel] = ["UALICE", "UBOB", "UBOT"]
    step = type_watch(bot, "on", channel=channel)
    assert [b["action_id"] for b in step["blocks"][1]["elements"]] == ["jargon_watch_on", "jargon_watch_on_keep"]
    assert "on" in str(click_yes(bot, channel))
    bot.dispatch()


def say(bot: RunningBot, text: str, *, channel: str = WATCHED, **extra: Any) -> str:
    """A message event in the channel (a person's unless `extra` says otherwise); its ts."""
    ts = f"1800000000.{next(MESSAGE_NUMBERS):06d}"
    event = {"type": "message", "channel": channel, "user": "UBOB", "text": text, "ts": ts, "channel_type": "channel"}
    assert bot.slack.event({**event, **extra}).status == 200
    wait_for(lambda: True)
    bot.dispatch()
    return ts


def replies(bot: RunningBot, channel: str = WATCHED) -> list[dict[str, Any]]:
    return [body for body in bot.fake.calls_to(POST) if body["channel"] == channel and body.get("thread_ts")]


def test_turning_it_on_asks_first_then_tells_the_channel(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[WATCHED] = ["UALICE", "UBOT"]

    step = type_watch(bot, "on")
    assert "post a short note here" in str(step) and bot.fake.calls_to(POST) == []
    assert "turned it on" not in str(step)
    click_yes(bot, WATCHED)
    bot.dispatch()

    notes = [body for body in bot.fake.calls_to(POST) if body["channel"] == WATCHED]
    assert len(notes) == 1 and "<@UALICE> turned on the *jargon watch*" in notes[0]["text"]
    assert "`/jargon watch off`" in notes[0]["text"]
    with bot.services.sessions() as session:
        row = session.get(WatchedChannel, WATCHED)
        assert row is not None and (row.watching, row.changed_by) == (True, "UALICE")
    assert "already on" in str(type_watch(bot, "on"))  # no second note
    bot.dispatch()
    assert len([body for body in bot.fake.calls_to(POST) if body["channel"] == WATCHED]) == 1


def test_sql_gets_one_thread_reply_naming_both_meanings_then_none_for_thirty_days(running_bot: RunningBot) -> None:
    bot = running_bot
    turn_on(bot)

    ts = say(bot, "Can someone send me the SQL numbers for March?")
    first = replies(bot)
    assert len(first) == 1 and first[0]["thread_ts"] == ts
    assert all(meaning in str(first[0]["blocks"]) for meaning in SQL_MEANINGS)

    say(bot, "And the SQL for April, please")
    bot.clock.advance(days=29, hours=23)
    say(bot, "sql again")
    assert len(replies(bot)) == 1

    bot.clock.advance(hours=2)  # 30 days and an hour after the first reply
    later = say(bot, "Our SQL target for Q1")
    assert len(replies(bot)) == 2 and replies(bot)[-1]["thread_ts"] == later
    with bot.services.sessions() as session:
        explained = session.scalars(select(TermExplained).where(TermExplained.channel_id == WATCHED)).all()
        assert [(row.message_ts, row.explained_at) for row in explained] == [(later, bot.clock.now)]


def test_a_reply_in_a_thread_is_answered_in_that_thread(running_bot: RunningBot) -> None:
    bot = running_bot
    turn_on(bot)
    say(bot, "What's the SQL count?", thread_ts="1799999999.000001")
    assert [body["thread_ts"] for body in replies(bot)] == ["1799999999.000001"]


def test_an_unwatched_channel_gets_nothing(running_bot: RunningBot) -> None:
    bot = running_bot
    turn_on(bot)
    say(bot, "Can someone send me the SQL numbers?", channel=OTHER)
    assert replies(bot, OTHER) == [] and replies(bot) == []


@pytest.mark.parametrize(
    "extra",
    [
        {"bot_id": "BOTHER", "subtype": "bot_message"},
        {"bot_id": "BOTHER"},
        {"user": "UBOT"},  # the bot's own message
        {"subtype": "message_changed", "message": {"text": "SQL"}},
        {"subtype": "channel_join"},
    ],
    ids=["bot_message", "bot_id", "own", "edited", "join"],
)
def test_a_bots_message_or_an_edit_gets_nothing(running_bot: RunningBot, extra: dict[str, Any]) -> None:
    bot = running_bot
    turn_on(bot)
    say(bot, "The SQL dashboard is ready", **extra)
    assert replies(bot) == []
    say(bot, "Thanks! What is SQL?")  # the term was not used up by the bot's message
    assert len(replies(bot)) == 1


def test_turned_off_it_stays_quiet(running_bot: RunningBot) -> None:
    bot = running_bot
    turn_on(bot)
    assert "is off" in str(type_watch(bot, "off", user="UBOB"))
    say(bot, "SQL numbers?")
    assert replies(bot) == []
    assert "wasn't on" in str(type_watch(bot, "off", user="UBOB"))


def test_the_other_sides_words_are_explained_in_a_teams_own_channel(running_bot: RunningBot) -> None:
    """*Database* is IT's word: explained in MARKETING_CHANNEL, not in IT's channel nor elsewhere."""
    bot = running_bot
    for channel in (MARKETING_CHANNEL, IT_CHANNEL, WATCHED):
        turn_on(bot, channel)
        say(bot, "The database is down again", channel=channel)
    assert len(replies(bot, MARKETING_CHANNEL)) == 1 and "Database" in str(replies(bot, MARKETING_CHANNEL))
    assert replies(bot, IT_CHANNEL) == [] and replies(bot, WATCHED) == []


def test_only_members_turn_it_on_or_off_and_the_bot_must_be_in_the_channel(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.channel_members[WATCHED] = ["UALICE", "UBOT"]
    bot.fake.not_in_channel.add("CNOBOT")
    bot.fake.channel_members["CNOBOT"] = ["UALICE"]

    assert "Only members of <#CWATCHED>" in str(type_watch(bot, "on", user="UMALLORY"))
    assert "Invite me first with `/invite @Bridgebot`" in str(type_watch(bot, "on", channel="CNOBOT"))
    assert "works in channels" in str(type_watch(bot, "on", channel="DALICE"))
    # A forged click: the step's "Yes" is checked again for the clicker.
    assert "Only members" in str(click_yes(bot, WATCHED, user="UMALLORY"))
    assert "Invite me first" in str(click_yes(bot, "CNOBOT"))
    bot.dispatch()
    with bot.services.sessions() as session:
        assert session.scalars(select(WatchedChannel)).all() == []
    assert bot.fake.calls_to(POST) == []


def test_watch_is_in_jargon_help_and_tells_where_it_stands(running_bot: RunningBot) -> None:
    """(/jargon looks up a word it does not know as a command, so "did you mean" is the glossary's there.)"""
    bot = running_bot
    assert "/jargon watch on|off" in bot.slack.command("/jargon", "help").text
    assert "is *off* in this channel" in bot.slack.command("/jargon", "watch", channel=WATCHED).text
    turn_on(bot)
    assert "is *on* in this channel" in bot.slack.command("/jargon", "watch maybe", channel=WATCHED).text


# --- the rules -------------------------------------------------------------------------------------------------


def entry(*sides: str) -> TermEntry:
    return TermEntry(1, "Term", tuple(SenseData(side, "meaning") for side in sides))


@pytest.mark.parametrize(
    ("sides", "channel_side", "explained"),
    [
        (("it", "marketing"), None, True),
        (("it",), None, False),
        (("it",), "marketing", True),
        (("it",), "it", False),
        (("marketing",), "it", True),
        (("both",), "marketing", False),
        (("it", "both"), None, True),
    ],
)
def test_which_terms_are_worth_a_reply(sides: tuple[str, ...], channel_side: str | None, explained: bool) -> None:
    assert worth_explaining(entry(*sides), channel_side) is explained
    assert to_explain([entry(*sides)], channel_side) == ([entry(*sides)] if explained else [])


@given(
    st.fixed_dictionaries(
        {"channel": st.just("C1"), "user": st.just("U1"), "ts": st.just("1.2"), "text": st.text(max_size=20)},
        optional={
            "bot_id": st.text(min_size=1, max_size=5),
            "subtype": st.sampled_from(["bot_message", "message_changed", "message_deleted", "channel_join", ""]),
        },
    )
)
def test_a_message_is_a_persons_only_without_a_bot_or_a_non_person_subtype(event: dict[str, Any]) -> None:
    expected = not event.get("bot_id") and event.get("subtype", "") == ""
    assert is_person_message(event) is expected
