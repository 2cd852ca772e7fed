"""Home's glossary section: *Look up a term* (a modal answered in place), *Add a term*, and the newest open
requests for a definition with *Define it*; published through HomeTab (the fake Slack checks every view) and
clicked in Home over signed HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.home import HomeTab
from handlers.jargon_home import LOOKUP_ACTION, LOOKUP_VIEW, section
from storage.models import DefinitionRequest, JargonLookup, Term
from tests.conftest import RunningBot, bot_with_only_home_section, wait_for
from tests.test_jargon_editing import GOOD_FORM

HOSTILE = "<!channel> <@UBOSS> <https://evil.example|the docs>"


bot = bot_with_only_home_section(section)


def published(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    return [call["view"] for call in bot.fake.calls_to("views.publish") if call["user_id"] == user]


def publish(bot: RunningBot, user: str) -> dict[str, Any]:
    """The Home a HomeTab of this section alone publishes (views.publish, checked by the fake Slack): a header,
    the section's blocks, a divider."""
    HomeTab(bot.services, [section]).publish(bot.services.client, user)
    return published(bot, user)[-1]


def opened(bot: RunningBot, before: int) -> dict[str, Any]:
    views = wait_for(lambda: len(bot.fake.calls_to("views.open")) > before and bot.fake.calls_to("views.open"))
    return views[-1]["view"]


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "button"]
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]] + found


def ask(bot: RunningBot, term: str, user: str) -> int:
    bot.clock.advance(minutes=1)
    return bot.services.glossary.request_definition(term, by=user).request.id


def test_the_two_buttons_and_no_requests_when_none_are_open(running_bot: RunningBot) -> None:
    blocks = section(running_bot.services, "UALICE")
    assert [(b["action_id"], b.get("value")) for b in buttons(blocks)] == [
        (LOOKUP_ACTION, "lookup"),
        ("jargon_add_from_miss", None),  # no value: the add form opens blank
    ]
    assert "Open requests" not in str(blocks)
    assert publish(running_bot, "UALICE")["blocks"][1:-1] == blocks


def test_the_newest_open_requests_i_did_not_ask_each_with_define_it(running_bot: RunningBot) -> None:
    bot = running_bot
    asked = [ask(bot, f"Widget {number}", "UBOB") for number in range(6)]
    hostile = ask(bot, HOSTILE, "UBOB")
    mine = ask(bot, "Quantum marketing", "UALICE")
    followed = ask(bot, "Hyperlocal mesh", "UCAROL")
    bot.services.glossary.request_definition("hyperlocal mesh", by="UALICE")  # Alice follows it: she asked too

    blocks = section(bot.services, "UALICE")
    defines = [b for b in buttons(blocks) if b["action_id"] == "jargon_define"]
    assert [b["value"] for b in defines] == [str(hostile), *(str(i) for i in reversed(asked[2:]))]  # newest first
    text = str(blocks)
    assert "&lt;!channel&gt; &lt;@UBOSS&gt;" in text and "<!channel>" not in text and "<@UBOSS>" not in text
    assert str(mine) not in [b["value"] for b in defines] and "Quantum" not in text and "Hyperlocal" not in text
    assert "asked by <@UBOB>" in text and "<!date^" in text
    assert blocks[-1]["elements"][0]["text"] == "…and 2 older open requests: `/jargon stats` lists them."
    assert publish(bot, "UALICE")["blocks"][1:-1] == blocks
    assert str(followed) in [b.get("value") for b in buttons(section(bot.services, "UBOB"))]


def test_define_it_clicked_in_home_opens_the_form_and_saving_closes_the_request(bot: RunningBot) -> None:
    request_id = ask(bot, "Kubernetes operator", "UBOB")
    bot.slack.open_home("UALICE")
    home = wait_for(lambda: published(bot, "UALICE"))[-1]
    assert [b["value"] for b in buttons(home["blocks"]) if b["action_id"] == "jargon_define"] == [str(request_id)]

    bot.slack.home_action("jargon_define", str(request_id), user="UALICE")
    form = opened(bot, 0)
    assert (
        form["callback_id"] == "jargon_term" and form["blocks"][0]["element"]["initial_value"] == "Kubernetes operator"
    )
    values = {**GOOD_FORM, "name": "Kubernetes operator", "aliases": "", "side_1": ("select", "it")}
    assert bot.slack.submit(form, values, user="UALICE").body["response_action"] == "update"

    with bot.services.sessions() as session:
        assert session.get(DefinitionRequest, request_id).status == "defined"
    assert "Kubernetes" not in str(section(bot.services, "UALICE"))


def test_add_a_term_clicked_in_home_opens_a_blank_form(bot: RunningBot) -> None:
    bot.slack.home_action("jargon_add_from_miss", user="UALICE")
    form = opened(bot, 0)
    assert form["callback_id"] == "jargon_term" and "initial_value" not in form["blocks"][0]["element"]
    assert bot.slack.submit(form, GOOD_FORM, user="UALICE").body["response_action"] == "update"
    with bot.services.sessions() as session:
        assert session.scalars(select(Term.created_by).where(Term.name == "Bounce rate")).one() == "UALICE"


def test_look_up_a_term_answers_in_the_modal_and_offers_another(bot: RunningBot) -> None:
    bot.slack.home_action(LOOKUP_ACTION, "lookup", user="UALICE")
    form = opened(bot, 0)
    assert (form["callback_id"], [b["block_id"] for b in form["blocks"]]) == (LOOKUP_VIEW, ["term"])

    found = bot.slack.submit(form, {"term": "sql"}, user="UALICE").body
    assert found["response_action"] == "update" and found["view"]["callback_id"] == LOOKUP_VIEW
    shown = str(found["view"]["blocks"])
    assert "Structured Query Language" in shown and "Sales-qualified lead" in shown
    assert found["view"]["blocks"][-1]["block_id"] == "term"  # look up another, from the answer

    missed = bot.slack.submit(found["view"], {"term": HOSTILE}, user="UALICE").body
    missing = str(missed["view"]["blocks"])
    assert "isn't in the glossary yet" in missing and "&lt;!channel&gt;" in missing and "<!channel>" not in missing

    wait_for(lambda: True)
    bot.services.glossary.lookups.flush()
    with bot.services.sessions() as session:
        lookups = session.execute(select(JargonLookup.query_text, JargonLookup.term_id.is_not(None))).all()
    assert sorted((text, bool(hit)) for text, hit in lookups) == [(HOSTILE, False), ("sql", True)]


def test_a_lookup_with_nothing_typed_or_too_long_is_refused_in_the_field(bot: RunningBot) -> None:
    bot.slack.home_action(LOOKUP_ACTION, "lookup", user="UALICE")
    form = opened(bot, 0)
    for typed, error in (("   ", "Type a term"), ("x" * 201, "at most 200")):
        reply = bot.slack.submit(form, {"term": typed}, user="UALICE").body
        assert reply["response_action"] == "errors" and error in reply["errors"]["term"]
