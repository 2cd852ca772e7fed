"""Jargon watch use cases: turning it on or off in a channel, and explaining the jargon of a message there.

Off everywhere until a member of a channel turns it on. Turning it on tells the channel (a public note, through
the outbox); a person's message there that names a term worth explaining (bot/jargon_watch_rules.py) gets one
reply in its thread with the meanings, through the outbox, each term at most once per channel per 30 days.
Who may turn it on (a member of the channel, the bot in it) is Slack's to say: the edge asks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.glossary import TermEntry
from bot.glossary_service import GlossaryService
from bot.jargon_watch_rules import MAX_TERMS_PER_REPLY, REPEAT_AFTER, to_explain
from bot.kit import Transactions, outbox_key
from bot.notify import Outgoing
from storage.jargon_watch import JargonWatchRepository


class JargonWatchMessages(Protocol):
    """What the bot says on its own about the watch; rendered at the Slack edge, sent through the outbox."""

    def watch_note(self, channel: str, by: str) -> dict[str, Any]: ...

    def explanation(self, channel: str, thread_ts: str, entries: Sequence[TermEntry]) -> dict[str, Any]: ...


class JargonWatchService(Transactions):
    """Given the glossary (its index finds the terms of a message, as *Explain the jargon* does) and the team
    channels (where the other side's words are explained too)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        messages: JargonWatchMessages,
        glossary: GlossaryService,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(sessions, clock, wake_outbox)
        self.messages = messages
        self.glossary = glossary
        self.sides = {
            channel: side
            for side, channel in (("marketing", settings.marketing_channel), ("it", settings.it_intake_channel))
            if channel
        }

    def is_watched(self, channel: str) -> bool:
        with self.reading() as work:
            return work.repo(JargonWatchRepository).is_watched(channel)

    def turn_on(self, channel: str, *, by: str) -> bool:
        """Watch the channel and tell it so; False when it was watched already (nothing is posted again)."""
        with self.work() as work:
            if not work.repo(JargonWatchRepository).set_watching(channel, True, by=by, at=work.now):
                return False
            key = watch_key(channel, "on", work.now.isoformat())
            work.send(Outgoing(key, self.messages.watch_note(channel, by)))
        return True

    def turn_off(self, channel: str, *, by: str) -> bool:
        """Stop watching the channel; False when it was not watched."""
        with self.work() as work:
            return work.repo(JargonWatchRepository).set_watching(channel, False, by=by, at=work.now)

    def on_message(self, channel: str, ts: str, thread_ts: str, text: str) -> list[TermEntry]:
        """A person's message in a channel the bot is in: the terms it explains in the message's thread (none
        where the watch is off, or when every term worth it was explained there within REPEAT_AFTER)."""
        candidates = to_explain(self.glossary.terms_in(text).entries, self.sides.get(channel))
        if not candidates:  # most messages: no database work at all
            return []
        with self.work() as work:
            repository = work.repo(JargonWatchRepository)
            if not repository.is_watched(channel):
                return []
            not_since = work.now - REPEAT_AFTER
            claimed: list[TermEntry] = []
            for entry in candidates:
                if len(claimed) == MAX_TERMS_PER_REPLY:
                    break
                if repository.claim(channel, entry.id, at=work.now, not_since=not_since, message_ts=ts):
                    claimed.append(entry)
            if claimed:
                payload = self.messages.explanation(channel, thread_ts, claimed)
                work.send(Outgoing(watch_key(channel, "explained", ts), payload))
        return claimed


def watch_key(channel: str, *parts: object) -> str:
    """`jargon:watch:<channel>:<part>…`, the key of a message the watch sends."""
    return outbox_key("jargon", "watch", channel, *parts)
