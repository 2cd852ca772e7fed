"""Jargon watch rules: which messages are a person's, and which of the terms they name are worth a reply where.

A term is explained where it may be misread: everywhere when its meanings differ by side (SQL: a query language
to IT, a sales-qualified lead to marketing), and in a team's own channel when it is the other side's word (an IT
term in MARKETING_CHANNEL, a marketing term in IT_INTAKE_CHANNEL). Each term at most once per channel per
REPEAT_AFTER: the reply is a reminder for newcomers, not a chorus.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from bot.glossary import TermEntry

REPEAT_AFTER = timedelta(days=30)
MAX_TERMS_PER_REPLY = 5  # a reply explains a few terms; a message full of jargon gets the first five
OTHER_SIDE = {"marketing": "it", "it": "marketing"}  # a team's channel → the side whose words it may not know

# Message subtypes that are a person writing: anything else (bot_message, message_changed, message_deleted,
# channel_join, …) is Slack or a bot speaking, or an old message changing.
PERSON_SUBTYPES = frozenset({"", "thread_broadcast", "file_share", "me_message"})


def is_person_message(event: Mapping[str, Any]) -> bool:
    """A message a person wrote just now: not a bot's (bot_id, bot_message), not an edit or deletion."""
    if event.get("bot_id") or event.get("bot_profile") or event.get("app_id"):
        return False
    if str(event.get("subtype") or "") not in PERSON_SUBTYPES:
        return False
    return bool(event.get("user")) and bool(event.get("ts")) and bool(event.get("channel"))


def worth_explaining(entry: TermEntry, channel_side: str | None) -> bool:
    """Whether a term named in a channel of `channel_side` ('marketing', 'it', or None for any other) gets a
    reply: its meanings differ by side, or it is the other side's word in a team's own channel."""
    if entry.is_ambiguous:
        return True
    other = OTHER_SIDE.get(channel_side or "")
    return other is not None and other in entry.sides and "both" not in entry.sides


def to_explain(entries: Iterable[TermEntry], channel_side: str | None) -> list[TermEntry]:
    """The terms of a message worth a reply, in the message's order."""
    return [entry for entry in entries if worth_explaining(entry, channel_side)]


def thread_of(event: Mapping[str, Any]) -> str:
    """The thread a reply goes in: the message's own thread when it is a reply, else the thread it starts."""
    return str(event.get("thread_ts") or event.get("ts"))
