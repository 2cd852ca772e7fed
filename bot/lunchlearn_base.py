"""What every part of the lunch-and-learn service shares: the messages it is given, its outbox keys, its cards.

A module of its own so the service's parts (bot/lunchlearn.py and the mixins it is made of) can all import it
without importing one another.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.kit import outbox_key
from bot.lunchlearn_rules import IdeaView, RatingSummary, SessionView

# What the outbox renders when it sends it (handlers/lunchlearn_messages.py registers the renderers): the cards,
# and what the planner owes people about a session (reminders, attendee lists, rating asks, summaries).
SESSION_CARD, IDEA_CARD = "lunchlearn.session_card", "lunchlearn.idea_card"
SESSION_DUE = "lunchlearn.session_due"


class LunchLearnMessages(Protocol):
    """What the bot says on its own about lunch-and-learns; rendered at the Slack edge, sent via the outbox."""

    def announcement(self, session: SessionView) -> dict[str, Any]: ...

    def promoted(self, user_id: str, session: SessionView) -> dict[str, Any]: ...

    def reminder(self, user_id: str, session: SessionView, kind: str) -> dict[str, Any]: ...

    def attendee_list(self, presenter: str, session: SessionView) -> dict[str, Any]: ...

    def cancelled(self, user_id: str, session: SessionView, by: str) -> dict[str, Any]: ...

    def rating_request(self, user_id: str, session: SessionView) -> dict[str, Any]: ...

    def rating_summary(self, presenter: str, session: SessionView, summary: RatingSummary) -> dict[str, Any]: ...

    def late_comment(self, presenter: str, session: SessionView, comment: str) -> dict[str, Any]: ...

    def idea_post(self, idea: IdeaView) -> dict[str, Any]: ...


def session_key(session_id: int, *parts: object) -> str:
    """`lunchlearn:<session id>:<part>…`, the key of a message about a session."""
    return outbox_key("lunchlearn", session_id, *parts)


def idea_key(idea_id: int, *parts: object) -> str:
    """`lunchlearn:idea:<idea id>:<part>…`, the key of a message about a topic idea."""
    return outbox_key("lunchlearn", "idea", idea_id, *parts)
