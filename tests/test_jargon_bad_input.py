"""Bad input anywhere in /jargon: a clear answer, status 200, and nothing changed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from storage.models import DefinitionRequest, OutboxMessage, Term, TermRevision
from tests.conftest import ADMIN, RunningBot, wait_for

BAD_COMMANDS = [
    "search",
    "search " + "word " * 800,
    "edit",
    "edit no-such-term-anywhere",
    "history no-such-term-anywhere",
    "delete",
    "list sideways",
    "list marketing 9999",
    "'; DROP TABLE terms; --",
    "🙂🙂🙂",
    "\u200b",
]


def counts(bot: RunningBot) -> tuple[int, ...]:
    with bot.services.sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Term, TermRevision, DefinitionRequest, OutboxMessage)
        )


@pytest.mark.parametrize("text", BAD_COMMANDS)
def test_bad_command_text_gets_an_answer_and_changes_nothing(running_bot: RunningBot, text: str) -> None:
    before = counts(running_bot)

    reply = running_bot.slack.command("/jargon", text, user=ADMIN)

    assert reply.status == 200
    assert reply.text.strip(), "every answer says something"
    assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    assert counts(running_bot) == before
    assert "views.open" not in running_bot.fake.methods()


def test_stale_button_for_a_deleted_term_answers_kindly(running_bot: RunningBot) -> None:
    before = counts(running_bot)

    reply = running_bot.slack.action("jargon_show:987654", "987654")
    running_bot.slack.action("jargon_edit", "987654")

    assert reply.status == 200
    answers = wait_for(lambda: (calls := running_bot.fake.calls_to("response_url")) and len(calls) >= 2 and calls)
    assert all("deleted" in json.dumps(answer) for answer in answers), answers
    assert "views.open" not in running_bot.fake.methods()
    assert counts(running_bot) == before
