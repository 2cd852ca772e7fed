"""Changing who holds a turn on request: swaps, an admin's skip, and the picked person's accept or decline."""

from __future__ import annotations

from bot.kit import UnitOfWork
from bot.liaison_base import liaison_key
from bot.liaison_rules import SIDES, SwapChange, SwapRefused, local_date, plan_swap
from bot.liaison_seats import SeatsPart
from bot.liaison_views import TermView
from bot.notify import Outgoing
from bot.outcomes import Refused
from storage.liaison import LiaisonRepository


class TurnsPart(SeatsPart):
    def swap(self, giver: str, taker: str, *, by: str) -> list[SwapChange]:
        if by != giver and not self.settings.is_admin(by):
            raise Refused("swap_not_yours")
        now = self.clock()
        with self.work(now) as work:
            repository = work.repo(LiaisonRepository)
            taker_member = repository.active_member(taker)
            unfinished = repository.terms(ending_after=now)
            try:
                changes = plan_swap([t.slots for t in unfinished], giver, taker, now)
            except SwapRefused as refused:
                raise Refused("swap_" + str(refused).replace(" ", "_")) from None
            side = changes[0].side
            given = next(t for t in unfinished if t.id == changes[0].term_id)
            if taker_member is None or taker_member.side != side:
                raise Refused("swap_other_side", side=side)
            if taker_member.is_away_on(local_date(max(given.starts_at, now), self._zone(work))):
                raise Refused("swap_taker_away")
            for change in changes:
                self._apply_change(work, change, by=by)
        return changes

    def _apply_change(self, work: UnitOfWork, change: SwapChange, *, by: str) -> None:
        repository = work.repo(LiaisonRepository)
        repository.set_liaison(change.term_id, change.side, change.new)
        if change.old is not None:
            repository.add_event(change.term_id, change.side, "swapped_out", change.old, by=by, at=work.now)
        repository.add_event(change.term_id, change.side, "swapped_in", change.new, by=by, at=work.now)
        term = repository.term(change.term_id)
        assert term is not None
        work.homes_changed(*term.liaisons.values())
        payload = self.messages.handed_turn(change.new, term, change.side, change.old or by, by)
        key = liaison_key("term", term.id, "handed", change.new, work.now.isoformat())
        work.send(Outgoing(key, payload, expire_at=term.ends_at))
        if change.old is not None:
            self._tell_removed(work, term, change.side, change.old, by=by)
            self._tell_partner(work, term, change.side, change.old, change.new)

    def skip(self, *, by: str, target: str | None = None) -> TermView:
        """Admins: pick again for the next term that has not started (only `target`'s seat when given).
        The skipped keep their place in the queue: nothing is counted against them."""
        if not self.settings.is_admin(by):
            raise Refused("admins_only")
        with self.work() as work:
            repository = work.repo(LiaisonRepository)
            upcoming = [t for t in repository.terms(ending_after=work.now) if t.starts_at > work.now]
            if target is not None:
                upcoming = [t for t in upcoming if t.slots.side_of(target)]
            if not upcoming:
                raise Refused("nothing_to_skip")
            term = upcoming[0]
            target_side = term.slots.side_of(target) if target else None
            sides = [target_side] if target_side else [s for s in SIDES if term.liaisons.get(s)]
            if not sides:
                raise Refused("nothing_to_skip")
            for side in sides:
                self._pass_over(work, term, side, "skipped", by=by)
            refreshed = repository.term(term.id)
        assert refreshed is not None
        return refreshed

    def accept(self, term_id: int, user_id: str) -> TermView:
        with self.work() as work:
            repository = work.repo(LiaisonRepository)
            term = self._held_term(work, term_id, user_id)
            side = term.slots.side_of(user_id)
            assert side is not None
            if not repository.has_event(term.id, "accepted", user_id):
                repository.add_event(term.id, side, "accepted", user_id, by=user_id, at=work.now)
        return term

    def decline(self, term_id: int, user_id: str) -> TermView:
        """'Can't — swap me': the next fair pick takes the seat; the decliner keeps their place in the queue."""
        with self.work() as work:
            term = self._held_term(work, term_id, user_id)
            side = term.slots.side_of(user_id)
            assert side is not None
            self._pass_over(work, term, side, "declined", by=user_id)
            refreshed = work.repo(LiaisonRepository).term(term.id)
        assert refreshed is not None
        return refreshed

    def _held_term(self, work: UnitOfWork, term_id: int, user_id: str) -> TermView:
        """The term, locked for the change, if `user_id` holds a seat in it and it has not ended."""
        term = work.repo(LiaisonRepository).locked_term(term_id)
        if term is None or term.ends_at <= work.now:
            raise Refused("term_gone")
        if term.slots.side_of(user_id) is None:
            raise Refused("not_your_term")
        return term
