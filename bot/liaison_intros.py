"""Cross-team intros: opting in, pairing marketing with IT each round, the prompts, follow-ups and outcomes."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.kit import UnitOfWork
from bot.liaison_base import (
    CATCH_UP,
    INTRO_LATE_LIMIT,
    LOOKAHEAD,
    ConversationOpener,
    LiaisonPart,
    TermPicker,
    liaison_key,
)
from bot.liaison_rules import INTRO_FOLLOW_UP, SIDES, local_date, pair_for_intros, recency_window
from bot.liaison_views import IntroPairView, IntroStats, RotationView
from bot.notify import Outgoing
from bot.outcomes import Refused
from storage.liaison import LiaisonRepository

log = logging.getLogger("bot.liaison")  # the service's log, whichever part writes it


class IntrosPart(LiaisonPart):
    # Set by LiaisonService.__init__.
    conversation_opener: ConversationOpener | None
    term_picker: TermPicker | None

    def set_conversation_opener(self, opener: ConversationOpener) -> None:
        """How to open a group DM for some users (the handler provides it); without one, intros go by DM."""
        self.conversation_opener = opener

    def set_term_picker(self, picker: TermPicker) -> None:
        """Where the glossary term of the week comes from (the glossary, wired in by the handler)."""
        self.term_picker = picker

    def intros_opt_in(self, user_id: str, side: str | None) -> str:
        """Opt in to cross-team intros; the side defaults to the person's liaison pool. Returns the side."""
        if side is not None and side not in SIDES:
            raise Refused("unknown_side")
        with self.work() as work:
            repository = work.repo(LiaisonRepository)
            member = repository.active_member(user_id)
            chosen = side or (member.side if member else None) or repository.intro_side(user_id)
            if chosen is None:
                raise Refused("intro_side_needed")
            repository.set_intro_member(user_id, chosen, "in", work.now)
        return chosen

    def intros_opt_out(self, user_id: str) -> bool:
        with self.work() as work:
            return work.repo(LiaisonRepository).set_intro_member(user_id, None, "out", work.now)

    def intro_side(self, user_id: str) -> str | None:
        with self.reading() as work:
            return work.repo(LiaisonRepository).intro_side(user_id)

    def record_intro(self, pair_id: int, user_id: str, *, met: bool) -> IntroPairView:
        with self.work() as work:
            repository = work.repo(LiaisonRepository)
            pair = repository.intro_pair(pair_id)
            if pair is None:
                raise Refused("intro_gone")
            if user_id not in pair.people:
                raise Refused("not_your_intro")
            repository.record_outcome(pair_id, "met" if met else "not_yet", user_id, work.now)
            updated = repository.intro_pair(pair_id)
        assert updated is not None
        return updated

    def intro_stats(self) -> IntroStats:
        with self.reading() as work:
            return work.repo(LiaisonRepository).intro_stats()

    def _plan_intro_round(self, work: UnitOfWork, rotation: RotationView) -> None:
        """At each round's moment, pair the opted-in people; a round missed by more than a day is let go."""
        plan = rotation.intro_plan
        if plan is None:
            return
        repository = work.repo(LiaisonRepository)
        number = plan.term_number_at(work.now)
        if number < 0 or repository.intro_round(rotation.id, number) is not None:
            return
        starts_at = plan.term_starts_at(number)
        if work.now - starts_at > INTRO_LATE_LIMIT:
            return
        away = repository.away_on(local_date(starts_at, plan.tz))
        members = {side: [u for u in people if u not in away] for side, people in repository.intro_members().items()}
        window = recency_window(len(members["marketing"]), len(members["it"]))
        recent = repository.recent_intro_rounds(starts_at, max(window, 1))
        sat_out = repository.sitouts(recent[0][0]) if recent else []
        pairing = pair_for_intros(
            members["marketing"],
            members["it"],
            [pairs for _, pairs in recent],
            sat_out,
            seed=rotation.id * 1000 + number,
        )
        term_name = self.term_picker(random.Random(number)) if self.term_picker else None
        round_id = repository.add_intro_round(
            rotation.id, number, starts_at, term_name, pairing.pairs, pairing.sitting_out, work.now
        )
        for user_id in pairing.sitting_out:
            payload = self.messages.intro_sitout(user_id)
            work.send(Outgoing(liaison_key("intro", round_id, "sitout", user_id), payload))

    def _send_intro_prompts(self, now: datetime) -> None:
        """Open a group DM per new pair (a Slack call, outside any transaction) and queue its prompt there;
        if Slack won't open one, each person gets the prompt by DM instead."""
        with self.reading() as work:
            waiting = work.repo(LiaisonRepository).intro_pairs(started_after=now - INTRO_LATE_LIMIT, prompted=False)
        for pair in waiting:
            channel = self._open_conversation(pair.people)
            with self.work(now) as work:
                work.repo(LiaisonRepository).mark_prompted(pair.id, channel)
                for target in [channel] if channel else list(pair.people):
                    payload = self.messages.intro_prompt(target, pair)
                    work.send(Outgoing(liaison_key("intro", pair.id, "prompt", target), payload))

    def _open_conversation(self, people: Sequence[str]) -> str | None:
        if self.conversation_opener is None:
            return None
        try:
            return self.conversation_opener(people)
        except Exception as error:  # Slack refused (e.g. a missing scope): fall back to one DM each
            log.warning("could not open a group DM for %s: %s", ",".join(people), error)
            return None

    def _enqueue_intro_follow_ups(self, work: UnitOfWork) -> None:
        """A pair that has not said they met hears from the bot INTRO_FOLLOW_UP after their round started."""
        grace = timedelta(minutes=self.settings.reminder_grace_minutes)
        repository = work.repo(LiaisonRepository)
        for pair in repository.intro_pairs(started_after=work.now - INTRO_FOLLOW_UP - CATCH_UP, prompted=True):
            due = pair.round_starts_at + INTRO_FOLLOW_UP
            if due > work.now + LOOKAHEAD or pair.outcome == "met":
                continue
            for target in [pair.channel] if pair.channel else list(pair.people):
                payload = self.messages.intro_follow_up(target, pair)
                key = liaison_key("intro", pair.id, "follow_up", target)
                work.send(Outgoing(key, payload, due_at=due, expire_at=due + grace))
