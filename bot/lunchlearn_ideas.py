"""Lunch-and-learn topic ideas: posted once per topic, voted for, their card kept up to date. A mixin of
LunchLearnService (bot/lunchlearn.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from bot.kit import FeatureService, UnitOfWork
from bot.lunchlearn_base import IDEA_CARD, LunchLearnMessages, idea_key
from bot.lunchlearn_rules import MAX_TOPIC, IdeaView, topic_key
from bot.notify import Outgoing
from bot.outcomes import DraftRejected, NoChannelConfigured
from storage.lunchlearn import LunchLearnRepository


@dataclass(frozen=True)
class IdeaOutcome:
    idea: IdeaView
    created: bool
    voted: bool


class LunchLearnIdeas(FeatureService[LunchLearnMessages]):
    """The topic ideas' part of LunchLearnService."""

    def idea(self, idea_id: int) -> IdeaView | None:
        with self.reading() as work:
            return work.repo(LunchLearnRepository).idea(idea_id)

    def ideas(self, limit: int = 10) -> list[IdeaView]:
        with self.reading() as work:
            return work.repo(LunchLearnRepository).ideas_by_votes(limit)

    def add_idea(self, topic: str, *, by: str) -> IdeaOutcome:
        topic = " ".join(topic.split())
        key = topic_key(topic)
        if not key:
            raise DraftRejected({"topic": "Say what the session would be about, in words."})
        if len(topic) > MAX_TOPIC:
            raise DraftRejected({"topic": f"Keep the topic under {MAX_TOPIC} characters."})
        channel = self.settings.joint_channel
        if channel is None:
            raise NoChannelConfigured()
        try:
            return self._add_or_vote(topic, key, channel, by)
        except IntegrityError:  # the same idea posted at the same moment: vote for theirs
            return self._add_or_vote(topic, key, channel, by)

    def _add_or_vote(self, topic: str, key: str, channel: str, by: str) -> IdeaOutcome:
        with self.work() as work:
            repository = work.repo(LunchLearnRepository)
            existing = repository.idea_by_key(key)
            if existing is not None:
                voted = repository.vote(existing.id, by, work.now)
                idea = repository.idea(existing.id)
                assert idea is not None
                if voted:
                    self._refresh_idea(work, idea)
                return IdeaOutcome(idea, False, voted)
            idea = repository.add_idea(topic=topic, key=key, channel_id=channel, by=by, at=work.now)
            work.send(Outgoing(idea_key(idea.id, "post"), self.messages.idea_post(idea)))
        return IdeaOutcome(idea, True, True)

    def vote(self, idea_id: int, user_id: str) -> IdeaOutcome | None:
        try:
            with self.work() as work:
                repository = work.repo(LunchLearnRepository)
                if repository.idea(idea_id) is None:
                    return None
                voted = repository.vote(idea_id, user_id, work.now)
                idea = repository.idea(idea_id)
                assert idea is not None
                if voted:
                    self._refresh_idea(work, idea)
        except IntegrityError:  # a double click: the first one counted
            idea = self.idea(idea_id)
            return IdeaOutcome(idea, False, False) if idea else None
        return IdeaOutcome(idea, False, voted)

    def _refresh_idea(self, work: UnitOfWork, idea: IdeaView, *, key: str | None = None) -> None:
        """Bring the idea's posted card up to date (its votes, whether it is planned); nothing before it is posted."""
        posted = work.posted(idea_key(idea.id, "post"))
        if posted is None:
            return
        channel, ts = posted
        key = key or idea_key(idea.id, "card", idea.votes, "planned" if idea.session_id else "open")
        work.send(Outgoing.update(key, render=IDEA_CARD, subject=idea.id, channel=channel, ts=ts))
