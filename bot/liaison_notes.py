"""Handover notes: what a term's liaisons leave for the next pair, shown in its welcome (or sent after it)."""

from __future__ import annotations

from bot.kit import UnitOfWork
from bot.liaison_base import LiaisonPart, liaison_key
from bot.liaison_rules import check_note
from bot.liaison_views import NoteView, TermView
from bot.notify import Outgoing
from bot.outcomes import Refused
from storage.liaison import LiaisonRepository


class NotesPart(LiaisonPart):
    def note_term(self, term_id: int, user_id: str) -> TermView:
        """The term whose handover `user_id` may write (a term they hold that has not ended long ago)."""
        with self.reading() as work:
            term = work.repo(LiaisonRepository).term(term_id)
        if term is None:
            raise Refused("term_gone")
        if term.slots.side_of(user_id) is None:
            raise Refused("not_your_term")
        return term

    def existing_note(self, term_id: int, user_id: str) -> str:
        with self.reading() as work:
            notes = work.repo(LiaisonRepository).notes(term_id)
        return next((n.text for n in notes if n.author == user_id), "")

    def save_note(self, term_id: int, user_id: str, text: str) -> tuple[TermView, str | None]:
        """Keep the note; returns the term and an error for the form (None when saved)."""
        term = self.note_term(term_id, user_id)
        problem = check_note(text)
        if problem:
            return term, problem
        side = term.slots.side_of(user_id)
        assert side is not None
        with self.work() as work:
            repository = work.repo(LiaisonRepository)
            repository.save_note(term.id, side, user_id, text.strip(), work.now)
            successor = self._successor(work, term)
            if successor is not None:
                self._send_late_note(work, term, successor, user_id)
        return term, None

    def _send_late_note(self, work: UnitOfWork, term: TermView, successor: TermView, author: str) -> None:
        """A note saved after a successor's welcome was written (even minutes before it went out) follows it by
        DM; whoever's welcome is still to be written gets the note in it."""
        note = next(n for n in work.repo(LiaisonRepository).notes(term.id) if n.author == author)
        for receiver in sorted({u for u in successor.liaisons.values() if u}):
            if work.outbox.get(liaison_key("term", successor.id, "welcome", receiver)) is None:
                continue
            key = liaison_key("note", term.id, author, work.now.isoformat(), receiver)
            work.send(Outgoing(key, self.messages.late_note(receiver, note)))

    def _handover_notes_for(self, work: UnitOfWork, term: TermView) -> list[NoteView]:
        """The notes the previous term's liaisons left for this one."""
        previous = self._predecessor(work, term)
        return work.repo(LiaisonRepository).notes(previous.id) if previous is not None else []

    def _successor(self, work: UnitOfWork, term: TermView) -> TermView | None:
        terms = work.repo(LiaisonRepository).terms()
        return next((t for t in terms if t.starts_at >= term.ends_at and t.id != term.id), None)

    def _predecessor(self, work: UnitOfWork, term: TermView) -> TermView | None:
        earlier = [t for t in work.repo(LiaisonRepository).terms() if t.starts_at < term.starts_at]
        return earlier[-1] if earlier else None
