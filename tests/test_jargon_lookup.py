"""/jargon lookups through the real app over signed HTTP: hits, misses, ambiguity, no Web API calls."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import JargonLookup
from tests.conftest import RunningBot, wait_for


def lookups(bot: RunningBot) -> list[JargonLookup]:
    bot.services.glossary.lookups.flush()  # written in batches (bot/glossary_lookups.py)
    with bot.services.sessions() as session:
        return list(session.scalars(select(JargonLookup).order_by(JargonLookup.id)))


def test_ambiguous_acronym_shows_both_sides_in_the_acknowledgement(running_bot: RunningBot) -> None:
    reply = running_bot.slack.command("/jargon", "SQL")

    assert reply.status == 200
    assert "structured query language" in reply.text.casefold()
    assert "sales-qualified lead" in reply.text.casefold() or "sales qualified lead" in reply.text.casefold()
    assert "means different things to each side" in reply.text
    assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    assert running_bot.fake.methods() == [], "a lookup answers in the acknowledgement, with no Web API call"
    recorded = wait_for(lambda: lookups(running_bot))
    assert [(r.query_text, r.user_id, r.term_id is not None) for r in recorded] == [("SQL", "UALICE", True)]


def test_lookup_ignores_case_spacing_and_punctuation_via_aliases(running_bot: RunningBot) -> None:
    first = running_bot.slack.command("/jargon", "a/b test")
    second = running_bot.slack.command("/jargon", "  A-B   TESTING ")

    assert "A/B testing" in first.text
    assert first.body["blocks"] == second.body["blocks"]


def test_a_misspelling_offers_the_term_first_and_no_request_for_the_typo(running_bot: RunningBot) -> None:
    reply = running_bot.slack.command("/jargon", "retargetting")

    assert "Did you mean *Retargeting*?" in reply.text
    action_ids = [e["action_id"] for e in reply.action_elements]
    assert action_ids[0].startswith("jargon_show:") and reply.action_elements[0]["text"]["text"] == "Retargeting"
    assert "jargon_request" not in action_ids and "/jargon add retargetting" in reply.text
    recorded = wait_for(lambda: lookups(running_bot))
    assert recorded[0].term_id is None and recorded[0].query_text == "retargetting"


def test_a_miss_near_nothing_offers_a_request(running_bot: RunningBot) -> None:
    reply = running_bot.slack.command("/jargon", "Zorblax pipeline")

    assert "isn't in the glossary yet" in reply.text
    assert "jargon_request" in [e["action_id"] for e in reply.action_elements]


def test_a_word_near_a_subcommand_gets_the_lookup_and_the_subcommand(running_bot: RunningBot) -> None:
    bot = running_bot
    reply = bot.slack.command("/jargon", "lsit")
    (run,) = [e for e in reply.action_elements if e["action_id"] == "command:jargon"]
    before = len(bot.fake.calls_to("response_url"))
    bot.slack.action(run["action_id"], run["value"], user="UBOB")
    listed = wait_for(lambda: bot.fake.calls_to("response_url")[before:])[-1]
    looked_up = bot.slack.command("/jargon", "SQL")

    assert "*lsit* isn't in the glossary" in reply.text and "Or did you mean `/jargon list" in reply.text
    assert run["value"] == "list" and "Glossary — All terms" in str(listed["blocks"])
    assert "Or did you mean" not in looked_up.text  # a term near no subcommand: the lookup alone


def test_suggestion_button_replaces_the_answer_with_the_entry(running_bot: RunningBot) -> None:
    reply = running_bot.slack.command("/jargon", "retargetting")
    show = next(e for e in reply.action_elements if e["action_id"].startswith("jargon_show:"))

    running_bot.slack.action(show["action_id"], show["value"])

    posted = wait_for(lambda: running_bot.fake.calls_to("response_url"))
    assert posted[0]["replace_original"] is True
    assert posted[0]["blocks"][0]["type"] == "header"


def test_share_posts_the_entry_publicly_attributed_to_the_sharer(running_bot: RunningBot) -> None:
    reply = running_bot.slack.command("/jargon", "SQL")
    share = next(e for e in reply.action_elements if e["action_id"] == "jargon_share")

    running_bot.slack.action("jargon_share", share["value"], user="UBOB")

    posted = wait_for(lambda: running_bot.fake.calls_to("response_url"))
    assert posted[0]["response_type"] == "in_channel"
    assert "Shared from the glossary by <@UBOB>" in str(posted[0]["blocks"])


def test_empty_text_and_help_answer_with_help(running_bot: RunningBot) -> None:
    for text in ("help", "HELP"):  # alone, it offers its main actions (tests/test_commands.py)
        reply = running_bot.slack.command("/jargon", text)
        assert reply.status == 200
        assert "/jargon search" in reply.text


def test_overlong_text_gets_a_friendly_answer_and_records_nothing(running_bot: RunningBot) -> None:
    reply = running_bot.slack.command("/jargon", "x" * 4000)

    assert reply.status == 200
    assert "longer than any term" in reply.text
    assert lookups(running_bot) == []


def test_unsigned_request_is_refused(running_bot: RunningBot) -> None:
    reply = running_bot.slack.post("command=%2Fjargon&text=SQL", sign=False)

    assert reply.status == 401
