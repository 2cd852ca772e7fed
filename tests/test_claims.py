"""A payload is a claim, not a fact: signed requests whose envelope, pickers or form state are not what Slack
and the bot would send are refused before any feature runs; what the shape cannot tell, the server re-checks."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.lunchlearn import ALREADY_PLANNED
from handlers import blocks as bk
from handlers.envelope import NOT_WELL_FORMED
from storage.glossary import Term
from storage.lunchlearn import LunchIdea, LunchRating, LunchSession
from storage.models import Base, JargonLookup
from storage.sitdown import SitdownSeries
from tests.conftest import RunningBot, wait_for
from tests.slack_requests import channel, date, users
from tests.test_jargon_editing import GOOD_FORM
from tests.test_lunchlearn_slack import click, form, opened_view, plan_session, text_of
from tests.test_sitdown_commands import SERIES_FORM


def every_row(bot: RunningBot) -> dict[str, int]:
    with bot.services.sessions() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def count(bot: RunningBot, model: Any) -> int:
    with bot.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def post_payload(bot: RunningBot, payload: dict[str, Any]) -> Any:
    return bot.slack.post(urlencode({"payload": json.dumps(payload)}))


def button_click(user: Any, action: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": user} if isinstance(user, str) else user,
        "trigger_id": "1.2.3",
        "channel": {"id": "CGENERAL"},
        "actions": [action],
    }


@pytest.mark.parametrize(
    ("user", "action"),
    [
        ("U1> <!channel", {"action_id": "jargon_share", "value": "1"}),
        ("UALICE", {"action_id": "jargon_share", "value": 17}),
        ("UALICE", {"action_id": ["jargon_share"], "value": "1"}),
        ("UALICE", "jargon_share"),
        ({"id": None}, {"action_id": "jargon_share", "value": "1"}),
        ("UALICE", {"action_id": "x", "type": "conversations_select", "selected_conversation": "CAB12> <!channel"}),
        ("UALICE", {"action_id": "x", "type": "users_select", "selected_user": "<!here>"}),
        ("UALICE", {"action_id": "x", "type": "multi_users_select", "selected_users": ["UBOB", "U<!channel>"]}),
        ("UALICE", {"action_id": "x", "type": "datepicker", "selected_date": "2026-02-30"}),
        ("UALICE", {"action_id": "x", "type": "timepicker", "selected_time": "25:99"}),
        ("UALICE", {"action_id": "x", "type": "static_select", "selected_option": {"value": 3}}),
    ],
)
def test_a_click_whose_envelope_is_not_slacks_changes_nothing_and_reaches_no_one(
    running_bot: RunningBot, user: Any, action: Any
) -> None:
    before = every_row(running_bot)
    reply = post_payload(running_bot, button_click(user, action))
    wait_for(lambda: True)
    assert reply.status == 400
    assert every_row(running_bot) == before
    assert running_bot.fake.calls == []


def test_a_command_whose_ids_are_not_slacks_gets_a_line_saying_nothing_went_through(running_bot: RunningBot) -> None:
    before = every_row(running_bot)
    body = {"command": "/jargon", "text": "SQL", "user_id": "UALICE> <!channel", "channel_id": "CGENERAL"}
    reply = running_bot.slack.post(urlencode(body))
    assert (reply.status, reply.body.get("text")) == (200, NOT_WELL_FORMED)
    assert every_row(running_bot) == before


def test_a_forged_channel_in_a_form_is_refused_and_nothing_is_stored(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/sitdown", "new", user="UALICE")
    view = wait_for(lambda: bot.fake.calls_to("views.open"))[-1]["view"]
    before = count(bot, SitdownSeries)

    reply = bot.slack.submit(view, {**SERIES_FORM, "channel": channel("CAB12> <!channel")})

    assert reply.status == 400
    assert count(bot, SitdownSeries) == before
    assert not [c for c in bot.fake.calls if "<!channel" in json.dumps(c.body)]


def test_an_impossible_date_in_a_form_is_refused(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/lunchlearn", "new", user="UALICE")
    view = opened_view(bot)
    before = every_row(bot)
    reply = bot.slack.submit(view, {**form(bot), "extra": date("2026-13-45")}, user="UALICE")
    assert reply.status == 400
    assert every_row(bot) == before


def open_edit_form(bot: RunningBot, term: str = "SQL") -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/jargon", f"edit {term}")
    return wait_for(lambda: len(bot.fake.calls_to("views.open")) > before and bot.fake.calls_to("views.open"))[-1][
        "view"
    ]


def term_names(bot: RunningBot) -> list[str]:
    with bot.services.sessions() as session:
        return sorted(session.scalars(select(Term.name)))


def test_form_state_the_bot_did_not_write_is_refused(running_bot: RunningBot) -> None:
    bot = running_bot
    view = open_edit_form(bot)
    sealed = view["private_metadata"]
    signature, _, metadata = sealed.partition(":")
    other = json.loads(metadata) | {"term_id": json.loads(metadata)["term_id"] + 1}
    names = term_names(bot)

    for forged in (
        f"{signature}:{json.dumps(other)}",  # the signature of another state
        json.dumps(other),  # no signature at all
        "0" * 32 + ":" + metadata,  # a made-up signature
    ):
        reply = bot.slack.submit({**view, "private_metadata": forged}, {**GOOD_FORM, "name": "Overwritten"})
        assert reply.status == 400, forged
    assert term_names(bot) == names

    kept = bot.slack.submit(view, {**GOOD_FORM, "name": "SQL", "acronyms": "SQL"})
    assert kept.status == 200  # the form as the bot sealed it still goes through


def test_a_form_for_a_term_deleted_meanwhile_gets_a_friendly_answer(running_bot: RunningBot) -> None:
    bot = running_bot
    view = open_edit_form(bot, "Bandwidth")
    with bot.services.sessions() as session:
        term_id = session.scalar(select(Term.id).where(Term.name == "Bandwidth"))
    bot.services.glossary.delete(term_id, by="UADMIN")

    reply = bot.slack.submit(view, {**GOOD_FORM, "name": "Bandwidth"})

    assert reply.status == 200 and "deleted while you were editing" in json.dumps(reply.body)
    assert "Bandwidth" not in term_names(bot)


def test_an_idea_planned_by_two_forms_at_once_becomes_one_session(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/lunchlearn", "idea Cookie consent, explained", user="UALICE")
    bot.dispatch()
    idea_id = bot.services.lunchlearn.ideas()[0].id
    bot.slack.action("lunchlearn_present", str(idea_id), user="UFRED")
    first = opened_view(bot)
    opened = len(bot.fake.calls_to("views.open"))
    bot.slack.action("lunchlearn_present", str(idea_id), user="UGINA")
    second = opened_view(bot, opened)
    before = count(bot, LunchSession)

    planned = bot.slack.submit(first, form(bot, presenters=users(["UFRED"])), user="UFRED")
    twice = bot.slack.submit(second, form(bot, presenters=users(["UGINA"])), user="UGINA")

    assert planned.body["response_action"] == "update"
    assert twice.body == {"response_action": "errors", "errors": {"topic": ALREADY_PLANNED}}
    assert count(bot, LunchSession) == before + 1
    with bot.services.sessions() as session:
        idea = session.get(LunchIdea, idea_id)
        assert idea is not None
        only = session.scalars(select(LunchSession)).one()
        assert idea.session_id == only.id


def test_a_rating_counts_only_after_the_session_ended_and_only_from_a_seat(running_bot: RunningBot) -> None:
    bot = running_bot
    session_id = plan_session(bot)
    click(bot, "lunchlearn_signup", str(session_id), "UBOB")

    early = click(bot, "lunchlearn_rate_5", f"{session_id}|5", "UBOB")  # the DM's buttons are not out yet
    assert "hasn't ended yet" in text_of(early)
    bot.clock.advance(days=3, minutes=50)
    outsider = click(bot, "lunchlearn_rate_1", f"{session_id}|1", "UEVE")
    assert "Only people who had a seat" in text_of(outsider)
    assert count(bot, LunchRating) == 0

    click(bot, "lunchlearn_rate_4", f"{session_id}|4", "UBOB")
    assert count(bot, LunchRating) == 1


def test_text_postgresql_cannot_store_is_removed_before_it_reaches_the_database(running_bot: RunningBot) -> None:
    bot = running_bot
    reply = bot.slack.command("/jargon", "S\x00QL")
    assert reply.status == 200 and "Structured Query Language" in reply.text
    wait_for(lambda: True)
    bot.services.glossary.lookups.flush()
    with bot.services.sessions() as session:
        assert session.scalars(select(JargonLookup.query_text)).all() == ["SQL"]

    bot.slack.command("/jargon", "add")
    view = wait_for(lambda: bot.fake.calls_to("views.open"))[-1]["view"]
    saved = bot.slack.submit(view, {**GOOD_FORM, "name": "Bounce\x00 rate\ud800", "definition_1": "One\x00 page."})
    assert saved.body["response_action"] == "update"
    assert "Bounce rate" in term_names(bot)


@pytest.mark.parametrize("hostile", ["<" * 12_000, "<@U|" * 3_000, "<#C" * 4_000, "<http://x|" * 1_200])
def test_text_made_to_stall_the_markup_patterns_gets_the_usual_answer(running_bot: RunningBot, hostile: str) -> None:
    """The time it takes is measured in bench/hostile_text.py (never timed here); here: it is answered."""
    reply = running_bot.slack.command("/jargon", hostile)
    assert reply.status == 200 and reply.text


@given(st.text(alphabet=st.sampled_from("<>|@#!&^ aUC1"), max_size=300))
def test_readable_command_text_never_carries_markup_through(raw: str) -> None:
    """Whatever markup was typed comes back as plain text, and escaped it can never ping or link."""
    readable = bk.command_text(raw)
    assert "<!" not in bk.escape(readable) and "<@" not in bk.escape(readable) and "<#" not in bk.escape(readable)
