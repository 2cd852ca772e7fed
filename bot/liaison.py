"""Liaison use cases: pools, the rotation of marketing and IT liaison pairs, swaps, handovers and their pings."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.liaison_rules import (
    INCOMING_NOTICE,
    INTRO_FOLLOW_UP,
    SIDES,
    Member,
    RotationDraft,
    RotationPlan,
    SwapChange,
    SwapRefused,
    check_note,
    check_rotation,
    intro_weeks_of,
    last_served_by,
    local_date,
    pair_for_intros,
    pick_liaison,
    plan_swap,
    queue_order,
    recency_window,
    term_moments,
    valid_zone,
)
from bot.liaison_views import IntroPairView, IntroStats, NoteView, RotationView, TermView
from bot.notify import Outgoing, enqueue
from storage.liaison import LiaisonRepository
from storage.outbox import OutboxRepository

log = logging.getLogger(__name__)

BOT = "bridgebot"
LOOKAHEAD = timedelta(minutes=5)
CATCH_UP = timedelta(days=30)
GROUP_SYNC_EVERY = timedelta(minutes=15)

INTRO_LATE_LIMIT = timedelta(days=1)

GroupReader = Callable[[str], list[str]]
ConversationOpener = Callable[[Sequence[str]], str]
TermPicker = Callable[[random.Random], str | None]


class LiaisonMessages(Protocol):
    """What the bot says on its own about the rotation; rendered at the Slack edge, sent via the outbox."""

    def incoming(self, user_id: str, term: TermView, side: str) -> dict[str, Any]: ...

    def handed_turn(self, user_id: str, term: TermView, side: str, giver: str, by: str) -> dict[str, Any]: ...

    def handover_ask(self, user_id: str, term: TermView, successor: TermView | None) -> dict[str, Any]: ...

    def welcome(self, user_id: str, term: TermView, notes: Sequence[NoteView]) -> dict[str, Any]: ...

    def announcement(self, channel: str, term: TermView) -> dict[str, Any]: ...

    def checkin(self, user_id: str, term: TermView) -> dict[str, Any]: ...

    def late_note(self, user_id: str, note: NoteView) -> dict[str, Any]: ...

    def turn_removed(self, user_id: str, term: TermView, side: str, by: str) -> dict[str, Any]: ...

    def intro_prompt(self, channel: str, pair: IntroPairView) -> dict[str, Any]: ...

    def intro_sitout(self, user_id: str) -> dict[str, Any]: ...

    def intro_follow_up(self, channel: str, pair: IntroPairView) -> dict[str, Any]: ...


class Refused(Exception):
    """A request that changes nothing; `reason` names why (the handler words it)."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class JoinOutcome:
    side: str
    previous_side: str | None
    already: bool


@dataclass(frozen=True)
class AwayOutcome:
    """Turns that went to someone else because of the absence, and turns still held (running, or nobody else)."""

    passed_on: list[TermView]
    still_held: list[TermView]


@dataclass(frozen=True)
class SetupOutcome:
    plan: RotationPlan | None
    errors: dict[str, str]


@dataclass(frozen=True)
class Preview:
    """The next term: as planned (`planned`), or what the fair pick would be if it were made today."""

    starts_at: datetime
    ends_at: datetime
    liaisons: dict[str, str | None]
    planned: bool


@dataclass(frozen=True)
class Overview:
    rotation: RotationView | None
    current: TermView | None
    queue: dict[str, list[str]]


class LiaisonService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        messages: LiaisonMessages,
        wake_outbox: Callable[[], None],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.messages = messages
        self.wake_outbox = wake_outbox
        self.group_reader: GroupReader | None = None
        self.conversation_opener: ConversationOpener | None = None
        self.term_picker: TermPicker | None = None
        self._groups_synced_at: datetime | None = None

    # --- pools ---------------------------------------------------------------------------------------------

    def side_of(self, user_id: str) -> str | None:
        """'marketing', 'it' or None: the side a person's pool membership says they are on."""
        with self.sessions() as session:
            member = LiaisonRepository(session).active_member(user_id)
        return member.side if member else None

    def sides_by_pool(self) -> dict[str, str]:
        """User ID -> 'marketing' or 'it' for everyone in a pool (e.g. /lunchlearn attendance by side)."""
        return {member.user_id: side for side, members in self.pools().items() for member in members}

    def member(self, user_id: str) -> Member | None:
        with self.sessions() as session:
            return LiaisonRepository(session).active_member(user_id)

    def pools(self) -> dict[str, list[Member]]:
        with self.sessions() as session:
            repository = LiaisonRepository(session)
            return {side: repository.active_members(side) for side in SIDES}

    def join(self, user_id: str, side: str) -> JoinOutcome:
        if side not in SIDES:
            raise Refused("unknown_side")
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            current = repository.active_member(user_id)
            if current is not None and current.side == side:
                return JoinOutcome(side, None, True)
            repository.join(user_id, side, source="manual", by=user_id, at=now)
            if current is not None:
                self._replace_in_future_terms(session, repository, user_id, now, by=user_id)
        self.wake_outbox()
        return JoinOutcome(side, current.side if current else None, False)

    def leave(self, user_id: str) -> bool:
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            if repository.active_member(user_id) is None:
                return False
            repository.leave(user_id, by=user_id, at=now)
            self._replace_in_future_terms(session, repository, user_id, now, by=user_id)
        self.wake_outbox()
        return True

    def set_away(self, user_id: str, until: date | None) -> AwayOutcome:
        """Out of picks through `until` (None: back now). A turn already picked for them that starts while they
        are away goes to the next fair pick (they keep their place, as anyone away at a pick does); a turn
        already running, or one nobody else can take, stays theirs and is reported in `still_held`."""
        now = self.clock()
        if until is not None and until < local_date(now, self._zone()):
            raise Refused("away_in_past")
        passed_on: list[TermView] = []
        still_held: list[TermView] = []
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            if repository.active_member(user_id) is None:
                raise Refused("not_in_pool")
            repository.set_away(user_id, until, by=user_id, at=now)
            if until is not None:
                zone = self._zone(repository)
                for term in repository.terms(ending_after=now):
                    side = term.slots.side_of(user_id)
                    if side is None or local_date(term.starts_at, zone) > until:
                        continue
                    if term.starts_at > now and self._hand_on(session, repository, term, side, user_id, now):
                        passed_on.append(repository.term(term.id) or term)
                    else:
                        still_held.append(term)
        self.wake_outbox()
        return AwayOutcome(passed_on, still_held)

    def set_group_reader(self, reader: GroupReader) -> None:
        """How to read a Slack user group's members (the handler provides it: Slack stays at the edge)."""
        self.group_reader = reader

    def sync_group(self, side: str, user_ids: Sequence[str]) -> tuple[int, int]:
        """Make the side's group-synced members match the group; people who left by hand stay out. (added, gone)"""
        now = self.clock()
        wanted = set(user_ids)
        added = gone = 0
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            for row in repository.group_synced_members(side):
                if row.status == "active" and row.user_id not in wanted:
                    row.status, row.changed_by, row.changed_at = "gone", BOT, now
                    self._replace_in_future_terms(session, repository, row.user_id, now, by=BOT)
                    gone += 1
            for user_id in sorted(wanted):
                member = repository.member_row(user_id)
                if member is None or (member.status == "gone" and member.source == "usergroup"):
                    repository.join(user_id, side, source="usergroup", by=BOT, at=now)
                    added += 1
        if gone:
            self.wake_outbox()
        return added, gone

    def _sync_groups_if_due(self, now: datetime) -> None:
        if self.group_reader is None:
            return
        if self._groups_synced_at is not None and now - self._groups_synced_at < GROUP_SYNC_EVERY:
            return
        groups = {"marketing": self.settings.marketing_usergroup, "it": self.settings.it_usergroup}
        for side, group in groups.items():
            if not group:
                continue
            try:
                members = self.group_reader(group)
            except Exception as error:  # Slack unreachable or the group is gone: keep the pool as it is
                log.warning("could not read user group %s for the %s pool: %s", group, side, error)
                continue
            self.sync_group(side, members)
        self._groups_synced_at = now

    # --- the rotation --------------------------------------------------------------------------------------

    def rotation(self) -> RotationView | None:
        with self.sessions() as session:
            return LiaisonRepository(session).active_rotation()

    def configure(self, draft: RotationDraft, *, by: str) -> SetupOutcome:
        """A new rotation from its start date: later planned terms are dropped, a running one ends there."""
        if not self.settings.is_admin(by):
            raise Refused("admins_only")
        now = self.clock()
        plan, errors = check_rotation(draft, local_date(now, draft.tz if valid_zone(draft.tz) else "UTC"))
        intro_weeks = intro_weeks_of(draft.intro_weeks_text)
        if plan is None or intro_weeks is None:
            return SetupOutcome(None, errors)
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
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
        self.wake_outbox()
        return SetupOutcome(plan, {})

    def _tell_dropped_turns(self, dropped: Sequence[TermView], *, by: str, now: datetime) -> None:
        """People already told they were up for a term the new rotation dropped hear that it is off, unless the
        new rotation picked them again (then its own 'you're up next' DM says so)."""
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            upcoming = [t for t in repository.terms(ending_after=now) if t.starts_at > now]
            for term in dropped:
                for side, user_id in term.liaisons.items():
                    if user_id is None or any(t.liaisons.get(side) == user_id for t in upcoming):
                        continue
                    self._tell_removed(session, term, side, user_id, by=by, now=now)

    def overview(self) -> Overview:
        now = self.clock()
        with self.sessions() as session:
            repository = LiaisonRepository(session)
            current = next((t for t in repository.terms(ending_after=now) if t.starts_at <= now), None)
            history = repository.terms()
            queue = {
                side: queue_order(repository.active_members(side), last_served_by((t.slots for t in history), side))
                for side in SIDES
            }
            return Overview(repository.active_rotation(), current, queue)

    def next_term(self) -> Preview | None:
        now = self.clock()
        with self.sessions() as session:
            repository = LiaisonRepository(session)
            rotation = repository.active_rotation()
            upcoming = [t for t in repository.terms(ending_after=now) if t.starts_at > now]
            if upcoming:
                term = upcoming[0]
                return Preview(term.starts_at, term.ends_at, term.liaisons, True)
            if rotation is None:
                return None
            number = rotation.plan.term_number_at(now) + 1
            starts_at = rotation.plan.term_starts_at(number)
            day = local_date(starts_at, rotation.plan.tz)
            history = [t.slots for t in repository.terms()]
            liaisons = {
                side: pick_liaison(repository.active_members(side), last_served_by(history, side), day)
                for side in SIDES
            }
            return Preview(starts_at, rotation.plan.term_starts_at(number + 1), liaisons, False)

    def history(self, limit: int = 12) -> list[TermView]:
        with self.sessions() as session:
            return LiaisonRepository(session).past_terms(self.clock(), limit)

    def term(self, term_id: int) -> TermView | None:
        with self.sessions() as session:
            return LiaisonRepository(session).term(term_id)

    def swap(self, giver: str, taker: str, *, by: str) -> list[SwapChange]:
        if by != giver and not self.settings.is_admin(by):
            raise Refused("swap_not_yours")
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
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
            if taker_member.is_away_on(local_date(max(given.starts_at, now), self._zone(repository))):
                raise Refused("swap_taker_away")
            for change in changes:
                self._apply_change(session, repository, change, by=by, now=now)
        self.wake_outbox()
        return changes

    def _apply_change(
        self, session: Session, repository: LiaisonRepository, change: SwapChange, *, by: str, now: datetime
    ) -> None:
        repository.set_liaison(change.term_id, change.side, change.new)
        if change.old is not None:
            repository.add_event(change.term_id, change.side, "swapped_out", change.old, by=by, at=now)
        repository.add_event(change.term_id, change.side, "swapped_in", change.new, by=by, at=now)
        term = repository.term(change.term_id)
        assert term is not None
        payload = self.messages.handed_turn(change.new, term, change.side, change.old or by, by)
        key = f"liaison:term:{term.id}:handed:{change.new}:{now.isoformat()}"
        enqueue(session, Outgoing(key, payload, expire_at=term.ends_at), now)
        if change.old is not None:
            self._tell_removed(session, term, change.side, change.old, by=by, now=now)

    def skip(self, *, by: str, target: str | None = None) -> TermView:
        """Admins: pick again for the next term that has not started (only `target`'s seat when given).
        The skipped keep their place in the queue: nothing is counted against them."""
        if not self.settings.is_admin(by):
            raise Refused("admins_only")
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            upcoming = [t for t in repository.terms(ending_after=now) if t.starts_at > now]
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
                self._pass_over(session, repository, term, side, "skipped", by=by, now=now)
            refreshed = repository.term(term.id)
        self.wake_outbox()
        assert refreshed is not None
        return refreshed

    def accept(self, term_id: int, user_id: str) -> TermView:
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            term = self._held_term(repository, term_id, user_id, now)
            side = term.slots.side_of(user_id)
            assert side is not None
            if not repository.has_event(term.id, "accepted", user_id):
                repository.add_event(term.id, side, "accepted", user_id, by=user_id, at=now)
        return term

    def decline(self, term_id: int, user_id: str) -> TermView:
        """'Can't — swap me': the next fair pick takes the seat; the decliner keeps their place in the queue."""
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            term = self._held_term(repository, term_id, user_id, now)
            side = term.slots.side_of(user_id)
            assert side is not None
            self._pass_over(session, repository, term, side, "declined", by=user_id, now=now)
            refreshed = repository.term(term.id)
        self.wake_outbox()
        assert refreshed is not None
        return refreshed

    def _held_term(self, repository: LiaisonRepository, term_id: int, user_id: str, now: datetime) -> TermView:
        term = repository.locked_term(term_id)
        if term is None or term.ends_at <= now:
            raise Refused("term_gone")
        if term.slots.side_of(user_id) is None:
            raise Refused("not_your_term")
        return term

    def _pass_over(
        self,
        session: Session,
        repository: LiaisonRepository,
        term: TermView,
        side: str,
        kind: str,
        *,
        by: str,
        now: datetime,
    ) -> None:
        current = term.liaisons.get(side)
        replacement = self._fair_pick(repository, term, side, also_exclude={current} if current else set())
        if replacement is None:
            raise Refused("no_replacement", side=side)
        if current is not None:
            repository.add_event(term.id, side, kind, current, by=by, at=now)
            self._tell_removed(session, term, side, current, by=by, now=now)
        self._seat(session, repository, term, side, replacement, now)

    def _fair_pick(
        self, repository: LiaisonRepository, term: TermView, side: str, *, also_exclude: Iterable[str] = ()
    ) -> str | None:
        history = [t.slots for t in repository.terms() if t.id != term.id]
        excluded = repository.passed_over(term.id, side) | set(also_exclude)
        other_side = {u for s, u in term.liaisons.items() if s != side and u}
        return pick_liaison(
            repository.active_members(side),
            last_served_by(history, side),
            local_date(term.starts_at, self._zone(repository)),
            exclude=excluded | other_side,
        )

    def _seat(
        self, session: Session, repository: LiaisonRepository, term: TermView, side: str, user_id: str, now: datetime
    ) -> None:
        repository.set_liaison(term.id, side, user_id)
        repository.add_event(term.id, side, "picked", user_id, by=BOT, at=now)
        self._ask_incoming(session, repository, term.id, [user_id], now)

    def _ask_incoming(
        self, session: Session, repository: LiaisonRepository, term_id: int, people: Sequence[str], now: datetime
    ) -> None:
        """DM each newly picked person (Accept / Can't — swap me), naming the counterpart as it stands now."""
        term = repository.term(term_id)
        assert term is not None
        for user_id in people:
            side = term.slots.side_of(user_id)
            if side is None:
                continue
            payload = self.messages.incoming(user_id, term, side)
            key = f"liaison:term:{term.id}:incoming:{user_id}"
            enqueue(session, Outgoing(key, payload, expire_at=term.ends_at), now)

    def _replace_in_future_terms(
        self, session: Session, repository: LiaisonRepository, user_id: str, now: datetime, *, by: str
    ) -> None:
        """Someone who left a side no longer holds its seats in terms that have not started."""
        for term in repository.terms(ending_after=now):
            side = term.slots.side_of(user_id)
            if term.starts_at <= now or side is None:
                continue
            replacement = self._fair_pick(repository, term, side, also_exclude={user_id})
            repository.add_event(term.id, side, "skipped", user_id, by=by, at=now)
            self._tell_removed(session, term, side, user_id, by=by, now=now)
            if replacement is None:
                repository.set_liaison(term.id, side, None)
            else:
                self._seat(session, repository, term, side, replacement, now)

    def _hand_on(
        self, session: Session, repository: LiaisonRepository, term: TermView, side: str, user_id: str, now: datetime
    ) -> bool:
        """Give `user_id`'s seat in a term that has not started to the next fair pick; False if nobody can."""
        replacement = self._fair_pick(repository, term, side, also_exclude={user_id})
        if replacement is None:
            return False
        repository.add_event(term.id, side, "skipped", user_id, by=user_id, at=now)
        self._seat(session, repository, term, side, replacement, now)
        return True

    def _tell_removed(
        self, session: Session, term: TermView, side: str, user_id: str, *, by: str, now: datetime
    ) -> None:
        """Someone told they were up (or serving) hears it when another person takes their seat away."""
        if by == user_id:
            return
        payload = self.messages.turn_removed(user_id, term, side, by)
        key = f"liaison:term:{term.id}:removed:{user_id}:{now.isoformat()}"
        enqueue(session, Outgoing(key, payload, expire_at=term.ends_at), now)

    # --- handover notes ------------------------------------------------------------------------------------

    def note_term(self, term_id: int, user_id: str) -> TermView:
        """The term whose handover `user_id` may write (a term they hold that has not ended long ago)."""
        with self.sessions() as session:
            term = LiaisonRepository(session).term(term_id)
        if term is None:
            raise Refused("term_gone")
        if term.slots.side_of(user_id) is None:
            raise Refused("not_your_term")
        return term

    def existing_note(self, term_id: int, user_id: str) -> str:
        with self.sessions() as session:
            notes = LiaisonRepository(session).notes(term_id)
        return next((n.text for n in notes if n.author == user_id), "")

    def save_note(self, term_id: int, user_id: str, text: str) -> tuple[TermView, str | None]:
        """Keep the note; returns the term and an error for the form (None when saved)."""
        term = self.note_term(term_id, user_id)
        problem = check_note(text)
        if problem:
            return term, problem
        now = self.clock()
        side = term.slots.side_of(user_id)
        assert side is not None
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            repository.save_note(term.id, side, user_id, text.strip(), now)
            successor = self._successor(repository, term)
            if successor is not None:
                self._send_late_note(session, repository, term, successor, user_id, now)
        self.wake_outbox()
        return term, None

    def _send_late_note(
        self,
        session: Session,
        repository: LiaisonRepository,
        term: TermView,
        successor: TermView,
        author: str,
        now: datetime,
    ) -> None:
        """A note saved after a successor's welcome was written (even minutes before it went out) follows it by
        DM; whoever's welcome is still to be written gets the note in it."""
        note = next(n for n in repository.notes(term.id) if n.author == author)
        outbox = OutboxRepository(session)
        for receiver in sorted({u for u in successor.liaisons.values() if u}):
            if outbox.get(f"liaison:term:{successor.id}:welcome:{receiver}") is None:
                continue
            key = f"liaison:note:{term.id}:{author}:{now.isoformat()}:{receiver}"
            enqueue(session, Outgoing(key, self.messages.late_note(receiver, note)), now)

    def _successor(self, repository: LiaisonRepository, term: TermView) -> TermView | None:
        return next((t for t in repository.terms() if t.starts_at >= term.ends_at and t.id != term.id), None)

    def _predecessor(self, repository: LiaisonRepository, term: TermView) -> TermView | None:
        earlier = [t for t in repository.terms() if t.starts_at < term.starts_at]
        return earlier[-1] if earlier else None

    # --- time ----------------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Sync the pools from user groups, plan the terms starting within two weeks (a fair pick each) and the
        intro round now due, and enqueue every ping now due."""
        now = self.clock()
        self._sync_groups_if_due(now)
        queued = self._plan(now)
        queued += self._send_intro_prompts(now)
        if queued:
            self.wake_outbox()

    def _plan(self, now: datetime) -> int:
        """The database part of a tick (no Slack calls, so a form submission can run it before its ack)."""
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            rotation = repository.active_rotation()
            if rotation is not None:
                self._plan_terms(session, repository, rotation, now)
                self._plan_intro_round(session, repository, rotation, now)
            queued = self._enqueue_due_pings(session, repository, now)
            queued += self._enqueue_intro_follow_ups(session, repository, now)
        return queued

    def _plan_terms(
        self, session: Session, repository: LiaisonRepository, rotation: RotationView, now: datetime
    ) -> None:
        plan = rotation.plan
        number = max(plan.term_number_at(now), 0)
        while plan.term_starts_at(number) - INCOMING_NOTICE <= now:
            term = repository.term_numbered(rotation.id, number)
            if term is None:
                term_id = repository.add_term(
                    rotation.id, number, plan.term_starts_at(number), plan.term_starts_at(number + 1), now
                )
                term = repository.term(term_id)
            assert term is not None
            if term.ends_at > now:
                self._fill_empty_seats(session, repository, term, now)
            number += 1

    def _fill_empty_seats(self, session: Session, repository: LiaisonRepository, term: TermView, now: datetime) -> None:
        picked = []
        for side in SIDES:
            if term.liaisons.get(side) is None:
                pick = self._fair_pick(repository, term, side)
                if pick is not None:
                    repository.set_liaison(term.id, side, pick)
                    repository.add_event(term.id, side, "picked", pick, by=BOT, at=now)
                    picked.append(pick)
        if picked:
            self._ask_incoming(session, repository, term.id, picked, now)

    def _enqueue_due_pings(self, session: Session, repository: LiaisonRepository, now: datetime) -> int:
        grace = timedelta(minutes=self.settings.reminder_grace_minutes)
        horizon = now + LOOKAHEAD
        queued = 0
        for term in repository.terms(ending_after=now - CATCH_UP, starting_before=horizon):
            moments = term_moments(term.starts_at, term.ends_at, self._zone(repository))
            people = [u for u in term.liaisons.values() if u]
            pings: list[Outgoing] = []
            if moments.start <= horizon:
                notes = self._handover_notes_for(repository, term)
                for user_id in people:
                    payload = self.messages.welcome(user_id, term, notes)
                    pings.append(
                        Outgoing(
                            f"liaison:term:{term.id}:welcome:{user_id}",
                            payload,
                            "chat.postMessage",
                            moments.start,
                            term.ends_at,
                        )
                    )
                for channel in repository.rotation_channels(term.rotation_id):
                    payload = self.messages.announcement(channel, term)
                    pings.append(
                        Outgoing(
                            f"liaison:term:{term.id}:announce:{channel}",
                            payload,
                            "chat.postMessage",
                            moments.start,
                            term.ends_at,
                        )
                    )
            if moments.checkin <= horizon:
                for user_id in people:
                    pings.append(
                        Outgoing(
                            f"liaison:term:{term.id}:checkin:{user_id}",
                            self.messages.checkin(user_id, term),
                            "chat.postMessage",
                            moments.checkin,
                            moments.checkin + grace,
                        )
                    )
            if moments.handover_ask <= horizon:
                successor = self._successor(repository, term)
                for user_id in people:
                    pings.append(
                        Outgoing(
                            f"liaison:term:{term.id}:handover:{user_id}",
                            self.messages.handover_ask(user_id, term, successor),
                            "chat.postMessage",
                            moments.handover_ask,
                            moments.handover_ask + grace,
                        )
                    )
            queued += sum(enqueue(session, ping, now) for ping in pings)
        return queued

    # --- cross-team intros ----------------------------------------------------------------------------------

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
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            member = repository.active_member(user_id)
            chosen = side or (member.side if member else None) or repository.intro_side(user_id)
            if chosen is None:
                raise Refused("intro_side_needed")
            repository.set_intro_member(user_id, chosen, "in", self.clock())
        return chosen

    def intros_opt_out(self, user_id: str) -> bool:
        with self.sessions.begin() as session:
            return LiaisonRepository(session).set_intro_member(user_id, None, "out", self.clock())

    def intro_side(self, user_id: str) -> str | None:
        with self.sessions() as session:
            return LiaisonRepository(session).intro_side(user_id)

    def record_intro(self, pair_id: int, user_id: str, *, met: bool) -> IntroPairView:
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LiaisonRepository(session)
            pair = repository.intro_pair(pair_id)
            if pair is None:
                raise Refused("intro_gone")
            if user_id not in pair.people:
                raise Refused("not_your_intro")
            repository.record_outcome(pair_id, "met" if met else "not_yet", user_id, now)
            updated = repository.intro_pair(pair_id)
        assert updated is not None
        return updated

    def intro_stats(self) -> IntroStats:
        with self.sessions() as session:
            return LiaisonRepository(session).intro_stats()

    def _plan_intro_round(
        self, session: Session, repository: LiaisonRepository, rotation: RotationView, now: datetime
    ) -> None:
        """At each round's moment, pair the opted-in people; a round missed by more than a day is let go."""
        plan = rotation.intro_plan
        if plan is None:
            return
        number = plan.term_number_at(now)
        if number < 0 or repository.intro_round(rotation.id, number) is not None:
            return
        starts_at = plan.term_starts_at(number)
        if now - starts_at > INTRO_LATE_LIMIT:
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
            rotation.id, number, starts_at, term_name, pairing.pairs, pairing.sitting_out, now
        )
        for user_id in pairing.sitting_out:
            payload = self.messages.intro_sitout(user_id)
            enqueue(session, Outgoing(f"liaison:intro:{round_id}:sitout:{user_id}", payload), now)

    def _send_intro_prompts(self, now: datetime) -> int:
        """Open a group DM per new pair (a Slack call, outside any transaction) and queue its prompt there;
        if Slack won't open one, each person gets the prompt by DM instead."""
        with self.sessions() as session:
            waiting = LiaisonRepository(session).intro_pairs(started_after=now - INTRO_LATE_LIMIT, prompted=False)
        queued = 0
        for pair in waiting:
            channel = self._open_conversation(pair.people)
            with self.sessions.begin() as session:
                LiaisonRepository(session).mark_prompted(pair.id, channel)
                for target in [channel] if channel else list(pair.people):
                    payload = self.messages.intro_prompt(target, pair)
                    queued += enqueue(session, Outgoing(f"liaison:intro:{pair.id}:prompt:{target}", payload), now)
        return queued

    def _open_conversation(self, people: Sequence[str]) -> str | None:
        if self.conversation_opener is None:
            return None
        try:
            return self.conversation_opener(people)
        except Exception as error:  # Slack refused (e.g. a missing scope): fall back to one DM each
            log.warning("could not open a group DM for %s: %s", ",".join(people), error)
            return None

    def _enqueue_intro_follow_ups(self, session: Session, repository: LiaisonRepository, now: datetime) -> int:
        grace = timedelta(minutes=self.settings.reminder_grace_minutes)
        queued = 0
        for pair in repository.intro_pairs(started_after=now - INTRO_FOLLOW_UP - CATCH_UP, prompted=True):
            due = pair.round_starts_at + INTRO_FOLLOW_UP
            if due > now + LOOKAHEAD or pair.outcome == "met":
                continue
            for target in [pair.channel] if pair.channel else list(pair.people):
                payload = self.messages.intro_follow_up(target, pair)
                key = f"liaison:intro:{pair.id}:follow_up:{target}"
                queued += enqueue(session, Outgoing(key, payload, due_at=due, expire_at=due + grace), now)
        return queued

    def _handover_notes_for(self, repository: LiaisonRepository, term: TermView) -> list[NoteView]:
        previous = self._predecessor(repository, term)
        return repository.notes(previous.id) if previous is not None else []

    def _zone(self, repository: LiaisonRepository | None = None) -> str:
        """The rotation's time zone: the local dates of away days and pings are read in it."""
        rotation = self.rotation() if repository is None else repository.active_rotation()
        return rotation.plan.tz if rotation else "UTC"
