"""Adding, editing, deleting and requesting terms: modals, inline errors, history, the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.models import DefinitionRequest, OutboxMessage, Term, TermRevision
from tests.conftest import ADMIN, IT_CHANNEL, MARKETING_CHANNEL, RunningBot, wait_for

GOOD_FORM = {
    "name": "Bounce rate",
    "acronyms": "",
    "aliases": "bounces, single-page visits",
    "side_1": ("select", "marketing"),
    "definition_1": "The share of visitors who leave after seeing one page.",
    "example_1": "Bounce rate fell to 40%.",
    "why_1": "A jump can mean the page is slow or broken.",
    "side_2": ("select", ""),
    "definition_2": "",
}


def opened_view(bot: RunningBot) -> dict[str, Any]:
    return wait_for(lambda: bot.fake.calls_to("views.open"))[-1]["view"]


def count(bot: RunningBot, model: Any) -> int:
    with bot.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_add_opens_a_modal_and_saving_stores_the_term_with_history(running_bot: RunningBot) -> None:
    before = count(running_bot, Term)
    running_bot.slack.command("/jargon", "add Bounce rate")
    view = opened_view(running_bot)
    assert view["blocks"][0]["element"]["initial_value"] == "Bounce rate"

    reply = running_bot.slack.submit(view, GOOD_FORM, user="UCAROL")

    assert reply.body["response_action"] == "update"
    assert count(running_bot, Term) == before + 1
    found = running_bot.slack.command("/jargon", "bounces")
    assert "The share of visitors" in found.text and "<@UCAROL>" in found.text
    with running_bot.services.sessions() as session:
        revision = session.scalars(select(TermRevision).where(TermRevision.term_name == "Bounce rate")).one()
    assert (revision.action, revision.changed_by, revision.previous) == ("create", "UCAROL", None)


def test_invalid_form_shows_inline_errors_and_changes_nothing(running_bot: RunningBot) -> None:
    running_bot.slack.command("/jargon", "add")
    view = opened_view(running_bot)
    before = count(running_bot, Term)

    reply = running_bot.slack.submit(
        view,
        {**GOOD_FORM, "name": "SQL", "definition_1": "", "definition_2": "x", "side_2": ("select", "")},
    )

    assert reply.body["response_action"] == "errors"
    assert set(reply.body["errors"]) == {"name", "definition_1", "side_2"}
    assert count(running_bot, Term) == before


def test_edit_keeps_the_previous_text_and_refuses_a_stale_form(running_bot: RunningBot) -> None:
    running_bot.slack.command("/jargon", "edit a/b test")
    first_view = opened_view(running_bot)
    running_bot.slack.command("/jargon", "edit A/B testing", user="UBOB")
    second_view = opened_view(running_bot)
    values = {
        b["block_id"]: b["element"].get("initial_value", "")
        for b in first_view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    }
    values.update({"side_1": ("select", "both"), "definition_1": "Comparing two versions to learn which works."})

    saved = running_bot.slack.submit(first_view, values)
    stale = running_bot.slack.submit(second_view, values, user="UBOB")

    assert saved.body["response_action"] == "update"
    assert stale.body["response_action"] == "errors" and "changed this entry" in stale.body["errors"]["name"]
    history = running_bot.slack.command("/jargon", "history ab testing")
    assert "Edit by <@UALICE>" in history.text and "before:" in history.text


def test_delete_is_for_admins_only(running_bot: RunningBot) -> None:
    refused = running_bot.slack.command("/jargon", "delete SQL", user="UBOB")
    prompt = running_bot.slack.command("/jargon", "delete SQL", user=ADMIN)
    button = next(e for b in prompt.body["blocks"] if b["type"] == "actions" for e in b["elements"])
    before = count(running_bot, Term)

    running_bot.slack.action("jargon_delete", button["value"], user="UBOB")
    wait_for(lambda: running_bot.fake.calls_to("response_url"))
    assert count(running_bot, Term) == before
    running_bot.slack.action("jargon_delete", button["value"], user=ADMIN)

    assert "Only bot admins" in refused.text
    assert "confirm" in button
    wait_for(lambda: count(running_bot, Term) == before - 1)
    assert "isn't in the glossary yet" in running_bot.slack.command("/jargon", "SQL").text


def test_request_is_routed_then_defining_it_dms_everyone_who_asked(running_bot: RunningBot) -> None:
    bot = running_bot
    for user, typed in (
        ("UALICE", "Kubernetes operator"),
        ("UBOB", "kubernetes-operator"),
        ("UBOB", "KUBERNETES operator"),
    ):
        sent = len(bot.fake.calls_to("response_url"))
        bot.slack.action("jargon_request", typed, user=user)
        wait_for(lambda n=sent: len(bot.fake.calls_to("response_url")) > n)
    answers = bot.fake.calls_to("response_url")
    assert "Asked IT" in str(answers[0]) or "Asked both teams" in str(answers[0])
    assert "already asked" in str(answers[2])

    bot.dispatch()
    post = bot.fake.calls_to("chat.postMessage")[0]
    assert post["channel"] in (IT_CHANNEL, "CJOINT")
    define = next(e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"])
    bot.slack.action("jargon_define", define["value"], user="UDAN", channel=post["channel"])
    view = opened_view(bot)
    bot.slack.submit(
        view, {**GOOD_FORM, "name": "Kubernetes operator", "aliases": "", "side_1": ("select", "it")}, user="UDAN"
    )
    bot.dispatch()

    dms = {c["channel"]: c for c in bot.fake.calls_to("chat.postMessage") if c["channel"].startswith("U")}
    assert set(dms) == {"UALICE", "UBOB"}
    assert "<@UDAN> defined it" in str(dms["UALICE"]["blocks"])
    update = bot.fake.calls_to("chat.update")[0]
    assert update["ts"] == "1700000000.000001" and "Defined by <@UDAN>" in str(update["blocks"])
    with bot.services.sessions() as session:
        request = session.scalars(select(DefinitionRequest)).one()
        assert (request.status, request.defined_by) == ("defined", "UDAN")
        assert (
            session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")) == 4
        )


def test_marketing_words_are_routed_to_marketing(running_bot: RunningBot) -> None:
    running_bot.slack.action("jargon_request", "retargeting pixel audience", user="UALICE")
    wait_for(lambda: running_bot.fake.calls_to("response_url"))
    running_bot.dispatch()
    post = running_bot.fake.calls_to("chat.postMessage")[0]
    assert post["channel"] == MARKETING_CHANNEL
    assert "in marketing's channel: the closest glossary entries are marketing's words" in str(post["blocks"])


def test_a_word_nothing_in_the_glossary_comes_close_to_is_asked_of_both_teams_in_words_that_say_so(
    running_bot: RunningBot,
) -> None:
    running_bot.slack.action("jargon_request", "Zorblax", user="UALICE")
    wait_for(lambda: running_bot.fake.calls_to("response_url"))
    running_bot.dispatch()
    post = running_bot.fake.calls_to("chat.postMessage")[0]
    assert post["channel"] == "CJOINT"
    assert "where both teams are: nothing in the glossary comes close" in str(post["blocks"])
    assert "theirs" not in str(post["blocks"])


def test_list_pages_with_buttons(running_bot: RunningBot) -> None:
    first = running_bot.slack.command("/jargon", "list it")
    buttons = [e for b in first.body["blocks"] if b["type"] == "actions" for e in b["elements"]]

    assert "page 1 of" in first.text
    if buttons:
        running_bot.slack.action(buttons[0]["action_id"], buttons[0]["value"])
        page = wait_for(lambda: running_bot.fake.calls_to("response_url"))[0]
        assert "page 2 of" in str(page["blocks"]) and page["replace_original"] is True
    bad = running_bot.slack.command("/jargon", "list sales")
    assert "/jargon list" in bad.text


def test_search_random_and_stats(running_bot: RunningBot) -> None:
    assert "Entries mentioning" in running_bot.slack.command("/jargon", "search database").text
    assert running_bot.slack.command("/jargon", "random").body["blocks"][0]["type"] == "header"
    running_bot.slack.command("/jargon", "SQL")
    running_bot.slack.command("/jargon", "flibbertigibbet")
    wait_for(lambda: running_bot.services.glossary.stats().misses == 1)
    stats = running_bot.slack.command("/jargon", "stats")
    assert "1× *SQL*" in stats.text and "flibbertigibbet" in stats.text
