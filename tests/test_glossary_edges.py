"""The glossary's rough edges (found by running codeforamerica/glossary-bot's own cases), over signed HTTP."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.glossary import SenseData, TermDraft
from storage.models import TermRevision
from tests.conftest import RunningBot, wait_for


def revisions(bot: RunningBot) -> int:
    with bot.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(TermRevision)) or 0


def add(bot: RunningBot, name: str, definition: str) -> None:
    bot.services.glossary.create(TermDraft(name, (SenseData("it", definition),)), by="UCAROL")


def test_a_term_named_like_a_subcommand_is_found_with_define(running_bot: RunningBot) -> None:
    add(running_bot, "Help", "The service desk: where IT takes requests.")
    assert "How to use /jargon" in running_bot.slack.command("/jargon", "help").raw  # `help` stays the help
    found = running_bot.slack.command("/jargon", "define help")
    assert "The service desk" in found.text
    assert "`/jargon define &lt;term&gt;`" in running_bot.slack.command("/jargon", "help").text


def test_recent_lists_the_terms_changed_last_newest_first(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.clock.advance(days=1)
    add(bot, "Zorbling", "A made-up term, added first.")
    bot.clock.advance(minutes=5)
    add(bot, "Quibbleton", "A made-up term, added last.")
    reply = bot.slack.command("/jargon", "recent 2")
    assert reply.text.index("Quibbleton") < reply.text.index("Zorbling")
    assert "last 2 terms" in reply.text
    assert "1 to 25" in bot.slack.command("/jargon", "recent 99").text


def test_saving_a_term_unchanged_writes_no_revision_and_says_so(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.slack.command("/jargon", "edit SQL")
    view = wait_for(lambda: bot.fake.calls_to("views.open"))[-1]["view"]
    values = {
        block["block_id"]: (
            ("select", (block["element"].get("initial_option") or {}).get("value", ""))
            if block["element"]["type"] == "static_select"
            else block["element"].get("initial_value", "")
        )
        for block in view["blocks"]
        if block.get("type") == "input"
    }
    before = revisions(bot)
    reply = bot.slack.submit(view, values)
    assert reply.body["response_action"] == "update" and "Nothing changed" in str(reply.body["view"])
    assert revisions(bot) == before


def test_re_importing_an_unchanged_export_changes_nothing(running_bot: RunningBot, tmp_path: Path) -> None:
    bot = running_bot
    exported = bot.services.glossary.export_csv()
    before = revisions(bot)
    assert bot.services.glossary.import_csv(exported, by="csv-import") == (0, 0)
    assert revisions(bot) == before


def test_a_starter_entry_is_credited_to_the_starter_glossary_not_to_a_user_name(running_bot: RunningBot) -> None:
    answer = running_bot.slack.command("/jargon", "SQL").text
    assert "From the starter glossary" in answer and "bridgebot" not in answer
