"""Who sits in a term's seat: the fair pick, seating someone, passing a seat on, and the DMs that go with it.

The moves every other part makes when a seat changes hands (pools when someone leaves or goes away, turns on a
swap, skip or decline, planning when it fills a new term), kept in one place so each is told the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.kit import UnitOfWork
from bot.liaison_base import BOT, LiaisonPart, liaison_key
from bot.liaison_rules import last_served_by, local_date, pick_liaison
from bot.liaison_views import TermView
from bot.notify import Outgoing
from bot.outcomes import Refused
from storage.liaison import LiaisonRepository


class SeatsPart(LiaisonPart):
    def _fair_pick(
        self, work: UnitOfWork, term: TermView, side: str, *, also_exclude: Iterable[str] = ()
    ) -> str | None:
        """Who is next for the side's seat in `term`: not someone passed over for it, nor the other side's."""
        repository = work.repo(LiaisonRepository)
        history = [t.slots for t in repository.terms() if t.id != term.id]
        excluded = repository.passed_over(term.id, side) | set(also_exclude)
        other_side = {u for s, u in term.liaisons.items() if s != side and u}
        return pick_liaison(
            repository.active_members(side),
            last_served_by(history, side),
            local_date(term.starts_at, self._zone(work)),
            exclude=excluded | other_side,
        )

    def _seat(self, work: UnitOfWork, term: TermView, side: str, user_id: str, *, replacing: str | None = None) -> None:
        """`user_id` takes the side's seat (from `replacing`, whose counterpart is then told)."""
        if replacing is not None:
            self._tell_partner(work, term, side, replacing, user_id)
        repository = work.repo(LiaisonRepository)
        repository.set_liaison(term.id, side, user_id)
        repository.add_event(term.id, side, "picked", user_id, by=BOT, at=work.now)
        work.homes_changed(*term.liaisons.values(), user_id)
        self._ask_incoming(work, term.id, [user_id])

    def _ask_incoming(self, work: UnitOfWork, term_id: int, people: Sequence[str]) -> None:
        """DM each newly picked person (Accept / Can't — swap me), naming the counterpart as it stands now."""
        term = work.repo(LiaisonRepository).term(term_id)
        assert term is not None
        for user_id in people:
            side = term.slots.side_of(user_id)
            if side is None:
                continue
            payload = self.messages.incoming(user_id, term, side)
            work.send(Outgoing(liaison_key("term", term.id, "incoming", user_id), payload, expire_at=term.ends_at))

    def _pass_over(self, work: UnitOfWork, term: TermView, side: str, kind: str, *, by: str) -> None:
        """The seat goes to the next fair pick (`kind` records why: skipped, declined); nobody else: Refused."""
        repository = work.repo(LiaisonRepository)
        current = term.liaisons.get(side)
        replacement = self._fair_pick(work, term, side, also_exclude={current} if current else set())
        if replacement is None:
            raise Refused("no_replacement", side=side)
        if current is not None:
            repository.add_event(term.id, side, kind, current, by=by, at=work.now)
            self._tell_removed(work, term, side, current, by=by)
        self._seat(work, term, side, replacement, replacing=current)

    def _replace_in_future_terms(self, work: UnitOfWork, user_id: str, *, by: str) -> None:
        """Someone who left a side no longer holds its seats in terms that have not started."""
        repository = work.repo(LiaisonRepository)
        for term in repository.terms(ending_after=work.now):
            side = term.slots.side_of(user_id)
            if term.starts_at <= work.now or side is None:
                continue
            replacement = self._fair_pick(work, term, side, also_exclude={user_id})
            repository.add_event(term.id, side, "skipped", user_id, by=by, at=work.now)
            self._tell_removed(work, term, side, user_id, by=by)
            if replacement is None:
                repository.set_liaison(term.id, side, None)
            else:
                self._seat(work, term, side, replacement, replacing=user_id)

    def _hand_on(self, work: UnitOfWork, term: TermView, side: str, user_id: str) -> bool:
        """Give `user_id`'s seat in a term that has not started to the next fair pick; False if nobody can."""
        replacement = self._fair_pick(work, term, side, also_exclude={user_id})
        if replacement is None:
            return False
        work.repo(LiaisonRepository).add_event(term.id, side, "skipped", user_id, by=user_id, at=work.now)
        self._seat(work, term, side, replacement, replacing=user_id)
        return True

    def _tell_partner(self, work: UnitOfWork, term: TermView, side: str, old: str, new: str) -> None:
        """The other side's liaison of the term hears who their counterpart is now (a pair is told as one)."""
        partner = next((u for s, u in term.liaisons.items() if s != side and u), None)
        if partner is None or partner in (old, new):
            return
        payload = self.messages.partner_changed(partner, term, side, old, new)
        key = liaison_key("term", term.id, "partner", partner, new, work.now.isoformat())
        work.send(Outgoing(key, payload, expire_at=term.ends_at))
        work.homes_changed(partner)

    def _tell_removed(self, work: UnitOfWork, term: TermView, side: str, user_id: str, *, by: str) -> None:
        """Someone told they were up (or serving) hears it when another person takes their seat away."""
        work.homes_changed(user_id)
        if by == user_id:
            return
        payload = self.messages.turn_removed(user_id, term, side, by)
        key = liaison_key("term", term.id, "removed", user_id, work.now.isoformat())
        work.send(Outgoing(key, payload, expire_at=term.ends_at))
