"""The liaison scheduler: each tick syncs the pools, plans the coming terms and intro round, and queues the pings
now due (welcome, announcement, check-in, handover ask), all idempotent by outbox key."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.kit import UnitOfWork
from bot.liaison_base import BOT, CATCH_UP, LOOKAHEAD, liaison_key
from bot.liaison_group import LiaisonGroup
from bot.liaison_intros import IntrosPart
from bot.liaison_notes import NotesPart
from bot.liaison_pools import PoolsPart
from bot.liaison_rules import INCOMING_NOTICE, SIDES, term_moments
from bot.liaison_views import RotationView, TermView
from bot.notify import Outgoing
from storage.liaison import LiaisonRepository


class PlanningPart(PoolsPart, IntrosPart, NotesPart):
    liaison_group: LiaisonGroup  # set by LiaisonService.setup

    def tick(self) -> None:
        """Sync the pools from user groups, plan the terms starting within two weeks (a fair pick each) and the
        intro round now due, and enqueue every ping now due (the liaison group's update at a handover too)."""
        now = self.clock()
        self.liaison_group.check_once()
        self._sync_groups_if_due(now)
        self._plan(now)
        self._send_intro_prompts(now)

    def _plan(self, now: datetime) -> None:
        """The database part of a tick (no Slack calls, so a form submission can run it before its ack)."""
        with self.work(now) as work:
            rotation = work.repo(LiaisonRepository).active_rotation()
            if rotation is not None:
                self._plan_terms(work, rotation)
                self._plan_intro_round(work, rotation)
            self._enqueue_due_pings(work)
            self._enqueue_intro_follow_ups(work)

    def _plan_terms(self, work: UnitOfWork, rotation: RotationView) -> None:
        """Every term starting within INCOMING_NOTICE exists, and its empty seats get a fair pick."""
        repository = work.repo(LiaisonRepository)
        plan = rotation.plan
        number = max(plan.term_number_at(work.now), 0)
        while plan.term_starts_at(number) - INCOMING_NOTICE <= work.now:
            term = repository.term_numbered(rotation.id, number)
            if term is None:
                term_id = repository.add_term(
                    rotation.id, number, plan.term_starts_at(number), plan.term_starts_at(number + 1), work.now
                )
                term = repository.term(term_id)
            assert term is not None
            if term.ends_at > work.now:
                self._fill_empty_seats(work, term)
            number += 1

    def _fill_empty_seats(self, work: UnitOfWork, term: TermView) -> None:
        repository = work.repo(LiaisonRepository)
        picked = []
        for side in SIDES:
            if term.liaisons.get(side) is None:
                pick = self._fair_pick(work, term, side)
                if pick is not None:
                    repository.set_liaison(term.id, side, pick)
                    repository.add_event(term.id, side, "picked", pick, by=BOT, at=work.now)
                    picked.append(pick)
        if picked:
            self._ask_incoming(work, term.id, picked)

    def _enqueue_due_pings(self, work: UnitOfWork) -> None:
        """The pings of every term whose moments fall within LOOKAHEAD (or were missed within CATCH_UP), written
        ahead with their due time; each expires when it would no longer make sense."""
        repository = work.repo(LiaisonRepository)
        grace = timedelta(minutes=self.settings.reminder_grace_minutes)
        horizon = work.now + LOOKAHEAD
        pings: list[Outgoing] = []
        for term in repository.terms(ending_after=work.now - CATCH_UP, starting_before=horizon):
            moments = term_moments(term.starts_at, term.ends_at, self._zone(work))
            people = [u for u in term.liaisons.values() if u]
            if moments.start <= horizon:
                notes = self._handover_notes_for(work, term)
                for user_id in people:
                    key = liaison_key("term", term.id, "welcome", user_id)
                    payload = self.messages.welcome(user_id, term, notes)
                    pings.append(Outgoing(key, payload, due_at=moments.start, expire_at=term.ends_at))
                for channel in repository.rotation_channels(term.rotation_id):
                    key = liaison_key("term", term.id, "announce", channel)
                    payload = self.messages.announcement(channel, term)
                    pings.append(Outgoing(key, payload, due_at=moments.start, expire_at=term.ends_at))
                handover = self.liaison_group.update(term, repository.last_event_id(term.id), work.now)
                if handover is not None:
                    pings.append(handover)
            if moments.checkin <= horizon:
                for user_id in people:
                    key = liaison_key("term", term.id, "checkin", user_id)
                    payload = self.messages.checkin(user_id, term)
                    pings.append(Outgoing(key, payload, due_at=moments.checkin, expire_at=moments.checkin + grace))
            if moments.handover_ask <= horizon:
                successor = self._successor(work, term)
                for user_id in people:
                    key = liaison_key("term", term.id, "handover", user_id)
                    payload = self.messages.handover_ask(user_id, term, successor)
                    due, expire = moments.handover_ask, moments.handover_ask + grace
                    pings.append(Outgoing(key, payload, due_at=due, expire_at=expire))
        work.send_many(pings)
