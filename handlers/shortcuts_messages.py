"""The shortcuts' Block Kit: the jargon of a message explained, what a message becomes on its way to IT or to a
sit-down's agenda, and the modal that picks the sit-down."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.glossary import MAX_QUERY, SIDE_LABELS, TermEntry, TermsInText
from bot.newproject_rules import MAX_TEXT
from bot.sitdown_rules import MAX_AGENDA
from handlers import blocks as bk
from handlers.jargon_messages import SIDE_ICONS

AGENDA_VIEW = "shortcut_agenda"  # the modal that picks the sit-down a message goes to
DEFINITION_SHOWN = 300  # characters of each meaning: `/jargon <term>` shows an entry whole
QUOTED = 120  # characters of the message quoted back
ROOM = 40  # section blocks for the entries (a message holds 50: the acronyms and a context line follow)
SERIES_SHOWN = 100  # a static select's most options

LOOK_UP_HINT = "`/jargon <term>` shows an entry whole, with its examples."
REQUEST_HINT = "A request goes to the team most likely to know; I'll DM you the answer."


# --- "Explain the jargon" ------------------------------------------------------------------------------------


def entry_part(entry: TermEntry) -> str:
    """One entry in a few lines: its name, then each meaning tagged with the side that uses it."""
    head = f"*{bk.escape(entry.name)}*"
    if entry.is_ambiguous:
        head += " — ⚠️ means different things to each side:"
    senses = [
        f"{SIDE_ICONS[sense.side]} _{SIDE_LABELS[sense.side]}_: {bk.cut(bk.escape(sense.definition), DEFINITION_SHOWN)}"
        for sense in entry.senses
    ]
    return "\n".join([head, *senses])


def request_block(acronym: str) -> bk.Block:
    """An acronym the glossary lacks, with the usual *Request a definition* (`jargon_request`, valued with the
    term): each in a block of its own, as action ids must differ within one block."""
    ask_first = bk.confirm_dialog(
        "Ask for a definition?",
        "I post your question, with your name, in the channel of the team most likely to know it.",
        "Ask them",
    )
    button = bk.button("Request a definition", "jargon_request", acronym[:MAX_QUERY], confirm=ask_first)
    return bk.section(f"🤔 *{bk.escape(acronym)}* isn't in the glossary yet.", accessory=button)


def jargon_message(found: TermsInText, text: str) -> dict[str, Any]:
    """The answer only the clicker sees: every term the message names, and its acronyms the glossary lacks."""
    quoted = f"“{bk.cut(bk.escape(' '.join(text.split())), QUOTED)}”"
    if not found.entries and not found.unknown_acronyms:
        return bk.answer(f"📚 I found no glossary terms in {quoted}. Look one up with `/jargon <term>`.")
    blocks: list[bk.Block] = [bk.section(f"📚 *The jargon in* {quoted}")]
    if found.entries:
        blocks += bk.long_sections(
            [entry_part(entry) for entry in found.entries],
            room=ROOM,
            left_out=lambda count: f"…and {count} more terms: `/jargon <term>` looks one up.",
        )
    blocks += [request_block(acronym) for acronym in found.unknown_acronyms]
    blocks.append(bk.context(REQUEST_HINT if found.unknown_acronyms else LOOK_UP_HINT))
    names = ", ".join([entry.name for entry in found.entries] + list(found.unknown_acronyms))
    return bk.message(blocks, f"The jargon in this message: {names}")


# --- a message on its way ------------------------------------------------------------------------------------


def business_case(text: str, link: str) -> str:
    """The intake form's business case from a message: its text, cut to leave room for the link back to it."""
    suffix = f"\n\nFrom this Slack message: {link}" if link else ""
    return (bk.cut(text.strip(), MAX_TEXT - bk.length(suffix)) + suffix).strip()


def agenda_text(text: str, link: str) -> str:
    """An agenda item from a message: its text on one line, cut to leave room for the link back to it."""
    suffix = f" (from Slack: {link})" if link else ""
    return (bk.cut(" ".join(text.split()), MAX_AGENDA - bk.length(suffix)) + suffix).strip()


def agenda_modal(choices: Sequence[tuple[str, str]], initial: str | None, item: str) -> dict[str, Any]:
    """Which sit-down (`choices`: series id and label, the message's channel's first) and the item, editable."""
    blocks = [
        bk.select_input("series", "Sit-down", list(choices)[:SERIES_SHOWN], initial=initial),
        bk.text_input("text", "Agenda item", initial=item, multiline=True, max_length=MAX_AGENDA),
        bk.context("It goes on the agenda of that sit-down's next meeting."),
    ]
    return bk.modal(AGENDA_VIEW, "Add to a sit-down", blocks, submit="Add")


def no_series_modal() -> dict[str, Any]:
    text = "There's no active sit-down to add this to. `/sitdown new` starts a series; `/sitdown list` shows them."
    return bk.modal("shortcut_agenda_none", "Add to a sit-down", [bk.section(text)])
