"""The rotation itself: setting it up (an admin's form) and what it looks like now, next and in the past."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.liaison_base import Overview, Preview, SetupOutcome
from bot.liaison_planning import PlanningPart
from bot.liaison_rules import (
    SIDES,
    RotationDraft,
    check_rotation,
    intro_weeks_of,
    last_served_by,
    local_date,
    pick_liaison,
    queue_order,
    valid_zone,
)
from bot.liaison_views import RotationView, Standing, TermView, Turn
from bot.outcomes import Refused
from storage.liaison import LiaisonRepository

log = logging.getLogger("bot.liaison")  # the service's log, whichever part writes it


class RotationPart(PlanningPart):
    """Setting up plans the first terms at once (PlanningPart), so the new pair hears of it without a tick."""

    def rotation(self) -> RotationView | None:
        with self.reading() as work:
            return work.repo(LiaisonRepository).active_rotation()

    def configure(self, draft: RotationDraft, *, by: str) -> SetupOutcome:
        """A new rotation from its start date: later planned terms are dropped, a running one ends there."""
        if not self.settings.is_admin(by):
            raise Refused("admins_only")
        now = self.clock()
        plan, errors = check_rotation(draft, local_date(now, draft.tz if valid_zone(draft.tz) else "UTC"))
        intro_weeks = intro_weeks_of(draft.intro_weeks_text)
        if plan is None or intro_weeks is None:
            return SetupOutcome(None, errors)
        with self.work(now) as work:
            repository = work.repo(LiaisonRepository)
            first_start = plan.term_starts_at(0)
            dropped = [t for t in repository.terms(ending_after=now) if t.starts_at > now]
            repository.cancel_terms_starting_after(now)
            repository.end_terms_running_at(now, max(first_start, now))
            repository.add_rotation(plan, draft.channels, intro_weeks=intro_weeks, by=by, at=now)
        try:
            self._plan(now)
        except IntegrityError:  # the scheduler's tick planned the same term at the same moment: it did the work
            log.info("liaison terms were planned concurrently by a tick")
        self._tell_dropped_turns(dropped, by=by, now=now)
        return SetupOutcome(plan, {})

    def _tell_dropped_turns(self, dropped: Sequence[TermView], *, by: str, now: datetime) -> None:
        """People already told they were up for a term the new rotation dropped hear that it is off, unless the
        new rotation picked them again (then its own 'you're up next' DM says so)."""
        with self.work(now) as work:
            upcoming = [t for t in work.repo(LiaisonRepository).terms(ending_after=now) if t.starts_at > now]
            for term in dropped:
                for side, user_id in term.liaisons.items():
                    if user_id is None or any(t.liaisons.get(side) == user_id for t in upcoming):
                        continue
                    self._tell_removed(work, term, side, user_id, by=by)

    def overview(self) -> Overview:
        with self.reading() as work:
            repository = work.repo(LiaisonRepository)
            current = next((t for t in repository.terms(ending_after=work.now) if t.starts_at <= work.now), None)
            history = repository.terms()
            queue = {
                side: queue_order(repository.active_members(side), last_served_by((t.slots for t in history), side))
                for side in SIDES
            }
            return Overview(repository.active_rotation(), current, queue)

    def standing(self, user_id: str) -> Standing:
        """The pair serving now, and this person's pool and next turn: a term holding their seat (the one they
        serve now included), else the term the queue would pick them for if nobody ahead of them were away."""
        with self.reading() as work:
            repository = work.repo(LiaisonRepository)
            now, rotation = work.now, repository.active_rotation()
            running = repository.terms(ending_after=now)
            current = next((t for t in running if t.starts_at <= now), None)
            member = repository.active_member(user_id)
            held = next((t for t in running if t.slots.side_of(user_id) is not None), None)
            turn = None
            if held is not None:
                side = held.slots.side_of(user_id)
                assert side is not None
                turn = Turn(side, held.starts_at, held.ends_at, planned=True)
            elif member is not None and rotation is not None:
                served = last_served_by((t.slots for t in repository.terms()), member.side)
                queue = queue_order(repository.active_members(member.side), served)
                ahead = queue.index(user_id) if user_id in queue else len(queue)
                numbers = [t.number for t in running if t.rotation_id == rotation.id]
                number = max([*numbers, rotation.plan.term_number_at(now)]) + 1 + ahead
                plan = rotation.plan
                turn = Turn(member.side, plan.term_starts_at(number), plan.term_starts_at(number + 1), False, ahead)
            return Standing(rotation, current, member, turn)

    def next_term(self) -> Preview | None:
        with self.reading() as work:
            repository = work.repo(LiaisonRepository)
            rotation = repository.active_rotation()
            upcoming = [t for t in repository.terms(ending_after=work.now) if t.starts_at > work.now]
            if upcoming:
                term = upcoming[0]
                return Preview(term.starts_at, term.ends_at, term.liaisons, True)
            if rotation is None:
                return None
            number = rotation.plan.term_number_at(work.now) + 1
            starts_at = rotation.plan.term_starts_at(number)
            day = local_date(starts_at, rotation.plan.tz)
            history = [t.slots for t in repository.terms()]
            liaisons = {
                side: pick_liaison(repository.active_members(side), last_served_by(history, side), day)
                for side in SIDES
            }
            return Preview(starts_at, rotation.plan.term_starts_at(number + 1), liaisons, False)

    def history(self, limit: int = 12) -> list[TermView]:
        with self.reading() as work:
            return work.repo(LiaisonRepository).past_terms(work.now, limit)

    def term(self, term_id: int) -> TermView | None:
        with self.reading() as work:
            return work.repo(LiaisonRepository).term(term_id)
