"""The shortcuts over signed HTTP: on a message (explain its jargon, send it to IT, add it to a sit-down's agenda)
and anywhere (look up a term, tell IT about a new project); what Slack is sent, and what the database holds."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from bot.glossary import SenseData, TermDraft
from bot.newproject_rules import MAX_TEXT
from handlers import blocks as bk
from handlers.shortcuts import EXPLAIN, LOOKUP, NEW_PROJECT, TO_AGENDA, TO_INTAKE
from storage.models import DefinitionRequest
from storage.newproject import NewProjectIntake
from storage.sitdown import SitdownAgendaItem, SitdownMeeting
from tests.builders import SERIES_DRAFT
from tests.conftest import JOINT_CHANNEL, RunningBot, wait_for
from tests.shortcut_requests import PERMALINK, answer_permalinks, global_shortcut, message_shortcut
from tests.slack_requests import Reply, date, user, users

MARKUP = ("<!channel>", "<!here>", "<@UBOSS>", "<https://evil")


def text_of(call: dict[str, Any]) -> str:
    """Every text of a message or view the bot sent, joined."""
    return Reply(200, call, "").text


def ephemerals(bot: RunningBot) -> list[dict[str, Any]]:
    return wait_for(lambda: bot.fake.calls_to("chat.postEphemeral"))


def opened(bot: RunningBot, callback_id: str) -> dict[str, Any]:
    views = wait_for(
        lambda: [c["view"] for c in bot.fake.calls_to("views.open") if c["view"]["callback_id"] == callback_id]
    )
    return views[-1]


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b["element"] for b in view["blocks"] if b.get("block_id") == block_id)


def request_buttons(message: dict[str, Any]) -> list[str]:
    return [
        b["accessory"]["value"]
        for b in message["blocks"]
        if b.get("accessory", {}).get("action_id") == "jargon_request"
    ]


# --- "Explain the jargon" ------------------------------------------------------------------------------------


def test_explaining_names_both_meanings_of_sql_and_cdp_only_to_the_clicker(running_bot: RunningBot) -> None:
    bot = running_bot
    reply = message_shortcut(bot.slack, EXPLAIN, "Our SQL numbers feed the CDP", user="UCAROL", channel="CTEAM")

    assert reply.status == 200
    (posted,) = ephemerals(bot)
    assert (posted["channel"], posted["user"]) == ("CTEAM", "UCAROL")
    text = text_of(posted)
    for meaning in ("Structured Query Language", "Sales-qualified lead", "Customer data platform"):
        assert meaning in text
    assert "Continuous data protection" in text  # CDP means two things as well
    assert "_IT_" in text and "_Marketing_" in text  # each meaning tagged with the side that uses it
    assert text.index("*SQL*") < text.index("*CDP*")  # in the order the message names them
    assert request_buttons(posted) == []  # both are in the glossary
    assert bot.fake.calls_to("response_url") == []
    assert "SQL, CDP" in posted["text"]


def test_an_acronym_the_glossary_lacks_gets_a_request_button_that_asks_for_it(running_bot: RunningBot) -> None:
    bot = running_bot
    message_shortcut(bot.slack, EXPLAIN, "Can the XYZQ export feed our CRM? OK, ask IT at 9 AM")

    (posted,) = ephemerals(bot)
    assert request_buttons(posted) == ["XYZQ"]  # OK, IT and AM are no jargon; CRM is in the glossary
    assert "*CRM*" in text_of(posted)

    bot.slack.action("jargon_request", "XYZQ", user="UALICE")
    answered = wait_for(lambda: bot.fake.calls_to("response_url"))
    assert "XYZQ" in text_of(answered[-1])
    with bot.services.sessions() as session:
        assert [r.term_text for r in session.scalars(select(DefinitionRequest))] == ["XYZQ"]


def test_a_message_without_jargon_says_so(running_bot: RunningBot) -> None:
    message_shortcut(running_bot.slack, EXPLAIN, "See you all on Friday")

    (posted,) = ephemerals(running_bot)
    assert "no glossary terms" in text_of(posted)


def test_hostile_text_in_the_message_and_in_the_glossary_is_echoed_inert(running_bot: RunningBot) -> None:
    bot = running_bot
    hostile = "<!here> ping <@UBOSS> <https://evil.example|docs>"
    bot.services.glossary.create(TermDraft("Zorp", (SenseData("it", f"A build tool. {hostile}"),)), by="UADMIN")
    # Slack sends what was typed encoded: a typed `<` as `&lt;`, a real mention as `<@U…>`.
    sent = "&lt;!channel&gt; does Zorp &amp; SQL need &lt;@UBOSS&gt;? <https://evil.example|the docs> QWERT"

    message_shortcut(bot.slack, EXPLAIN, sent)

    (posted,) = ephemerals(bot)
    rendered = text_of(posted) + posted["text"]
    assert not [markup for markup in MARKUP if markup in rendered]
    assert "&lt;!channel&gt;" in text_of(posted) and "&lt;!here&gt;" in text_of(posted)
    assert "*Zorp*" in rendered and "*SQL*" in rendered
    assert request_buttons(posted) == ["QWERT"]


def test_a_long_message_is_read_only_as_far_as_a_sane_length(running_bot: RunningBot) -> None:
    message_shortcut(running_bot.slack, EXPLAIN, "word " * 2000 + "SQL")

    (posted,) = ephemerals(running_bot)
    assert "no glossary terms" in text_of(posted)


def test_where_the_bot_may_not_post_the_answer_goes_through_the_response_url(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.missing_channels.add("DSOMEONE")  # a DM between two people: no place of the bot's

    message_shortcut(bot.slack, EXPLAIN, "Our SQL numbers", channel="DSOMEONE")

    answered = wait_for(lambda: bot.fake.calls_to("response_url"))
    assert answered[-1]["response_type"] == "ephemeral" and answered[-1]["replace_original"] is False
    assert "Structured Query Language" in text_of(answered[-1])


# --- "Send to IT as a new project" ---------------------------------------------------------------------------


def test_sending_a_message_to_it_opens_the_intake_form_prefilled_with_it_and_its_link(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    answer_permalinks(bot.slack)

    message_shortcut(bot.slack, TO_INTAKE, "We want a loyalty app &amp; points for repeat buyers", user="UMIA")

    view = opened(bot, "newproject_intake")
    case = element(view, "business_case")["initial_value"]
    assert case == f"We want a loyalty app & points for repeat buyers\n\nFrom this Slack message: {PERMALINK}"
    assert element(view, "owner")["initial_user"] == "UMIA"
    (asked,) = bot.fake.calls_to("chat.getPermalink")
    assert (asked["channel"], asked["message_ts"]) == ("CGENERAL", "1700000000.000100")

    form = {
        "name": "Loyalty app",
        "business_case": case,
        "launch_date": date("2027-02-01"),
        "personal_data": ("select", "no"),
        "owner": user("UMIA"),
        "stakeholders": users([]),
    }
    reply = bot.slack.submit(view, form, user="UMIA")
    assert reply.body["response_action"] == "update", reply.body
    with bot.services.sessions() as session:
        (intake,) = session.scalars(select(NewProjectIntake))
    assert PERMALINK in intake.business_case


def test_a_long_message_is_cut_to_the_field_and_a_missing_link_left_out(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.fail_next("chat.getPermalink", error="channel_not_found")

    message_shortcut(bot.slack, TO_INTAKE, "word " * 1000)

    field = element(opened(bot, "newproject_intake"), "business_case")
    assert bk.length(field["initial_value"]) <= MAX_TEXT == field["max_length"]
    assert field["initial_value"].endswith(bk.ELLIPSIS)
    assert "Slack message" not in field["initial_value"]


# --- "Add to a sit-down's agenda" ------------------------------------------------------------------------------


def test_adding_a_message_to_an_agenda_offers_the_channels_series_first_and_adds_to_the_chosen_one(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    sitdown = bot.services.sitdown
    joint = sitdown.create_series(SERIES_DRAFT, by="UALICE")
    here = sitdown.create_series(dataclasses.replace(SERIES_DRAFT, title="Web team", channel_id="CWEB"), by="UALICE")
    paused = sitdown.create_series(dataclasses.replace(SERIES_DRAFT, title="Paused one"), by="UALICE")
    sitdown.pause(paused.id, by="UALICE")
    answer_permalinks(bot.slack)

    message_shortcut(bot.slack, TO_AGENDA, "Check the\ntracking plan &lt;draft&gt;", channel="CWEB")

    view = opened(bot, "shortcut_agenda")
    select_element = element(view, "series")
    assert [o["value"] for o in select_element["options"]] == [str(here.id), str(joint.id)]  # no paused series
    assert select_element["initial_option"]["value"] == str(here.id)
    item = element(view, "text")["initial_value"]
    assert item == f"Check the tracking plan <draft> (from Slack: {PERMALINK})"

    reply = bot.slack.submit(view, {"series": ("select", str(joint.id)), "text": item}, user="UBOB")

    assert reply.body["response_action"] == "update", reply.body
    assert "Marketing × IT" in text_of(reply.body["view"]) and "&lt;draft&gt;" in text_of(reply.body["view"])
    with bot.services.sessions() as session:
        added = session.execute(select(SitdownAgendaItem, SitdownMeeting.series_id).join(SitdownMeeting)).all()
    assert [(row.text, row.added_by, series_id) for row, series_id in added] == [(item, "UBOB", joint.id)]
    upcoming = sitdown.next_agenda_in_channel(JOINT_CHANNEL)
    assert upcoming is not None and [i.text for i in upcoming.items] == [item]


def test_an_empty_item_is_refused_in_the_form(running_bot: RunningBot) -> None:
    bot = running_bot
    series = bot.services.sitdown.create_series(SERIES_DRAFT, by="UALICE")
    message_shortcut(bot.slack, TO_AGENDA, "Budget review", channel=JOINT_CHANNEL)
    view = opened(bot, "shortcut_agenda")

    reply = bot.slack.submit(view, {"series": ("select", str(series.id)), "text": "  "})

    assert reply.body["response_action"] == "errors" and set(reply.body["errors"]) == {"text"}


def test_without_an_active_series_the_modal_says_how_to_start_one(running_bot: RunningBot) -> None:
    message_shortcut(running_bot.slack, TO_AGENDA, "Budget review")

    assert "/sitdown new" in text_of(opened(running_bot, "shortcut_agenda_none"))


# --- global shortcuts ------------------------------------------------------------------------------------------


def test_look_up_a_term_opens_homes_lookup_modal_which_answers_in_place(running_bot: RunningBot) -> None:
    bot = running_bot
    reply = global_shortcut(bot.slack, LOOKUP)

    assert reply.status == 200
    view = opened(bot, "jargon_lookup")
    answered = bot.slack.submit(view, {"term": "CDP"})
    assert answered.body["response_action"] == "update"
    assert "Customer data platform" in text_of(answered.body["view"])


def test_tell_it_about_a_new_project_opens_the_blank_intake_form(running_bot: RunningBot) -> None:
    global_shortcut(running_bot.slack, NEW_PROJECT, user="UMIA")

    view = opened(running_bot, "newproject_intake")
    assert "initial_value" not in element(view, "business_case")
    assert element(view, "owner")["initial_user"] == "UMIA"


def test_when_slack_refuses_the_form_of_a_global_shortcut_the_person_is_told_by_dm(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.fake.fail_next("views.open", error="expired_trigger_id")

    global_shortcut(bot.slack, NEW_PROJECT, user="UMIA")

    told = wait_for(lambda: bot.fake.calls_to("chat.postMessage"))
    assert told[-1]["channel"] == "UMIA" and bk.FORM_DID_NOT_OPEN in text_of(told[-1])


def test_a_shortcut_whose_envelope_is_not_slacks_reaches_no_listener(running_bot: RunningBot) -> None:
    bot = running_bot
    reply = message_shortcut(bot.slack, EXPLAIN, "Our SQL numbers", channel="not-a-channel")

    assert reply.status == 400
    assert bot.fake.methods() == []
