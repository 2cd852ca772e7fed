"""The lunch-and-learn planner: what has come due (reminders, attendee lists, rating asks, summaries, cards)
written into the outbox, a batch of sessions at a time. A mixin of LunchLearnService (bot/lunchlearn.py)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.kit import FeatureService, UnitOfWork
from bot.lunchlearn_base import SESSION_CARD, SESSION_DUE, LunchLearnMessages, session_key
from bot.lunchlearn_rules import (
    DAY_BEFORE,
    SUMMARY_AFTER,
    Due,
    SessionView,
    due_messages,
    expiry_of,
    next_moment,
    summarize_ratings,
)
from bot.notify import Outgoing
from storage.lunchlearn import LunchLearnRepository

PLANNING_LOOKBACK = SUMMARY_AFTER + timedelta(days=2)  # covers the summary a day after the longest session
PRESENTER_DUES = ("attendees", "summary")  # what is owed to a session's presenters; the rest goes to its attendees
SESSIONS_PER_BATCH = 500  # a couple of thousand outbox rows rendered and written at a time: memory stays small


class LunchLearnPlanning(FeatureService[LunchLearnMessages]):
    """The planner's part of LunchLearnService, and the card update the use cases share with it."""

    _settled: SettledSessions  # what this process has planned completely (set by LunchLearnService.__init__)

    def tick(self) -> None:
        """Write what has come due into the outbox: reminders, attendee lists, rating asks, summaries, and any
        announcement count not yet brought up to date. Idempotent by key, so restarts never double a message;
        sessions this process has already planned are skipped until they can owe something new (see
        SettledSessions)."""
        with self.work() as work:
            settled = self._plan(work)
        self._settled = settled  # only once what it stands for is committed

    def _plan(self, work: UnitOfWork) -> SettledSessions:
        """Plan the sessions in the window that may owe something new (see SettledSessions), a batch at a time;
        what is settled now."""
        revisions = work.repo(LunchLearnRepository).revisions_between(
            work.now - PLANNING_LOOKBACK, work.now + DAY_BEFORE
        )
        stale = self._settled.stale(revisions, work.now)
        settled = self._settled.kept(revisions, stale)
        for start in range(0, len(stale), SESSIONS_PER_BATCH):
            self._plan_batch(work, stale[start : start + SESSIONS_PER_BATCH], settled)
        return settled

    def _plan_batch(self, work: UnitOfWork, session_ids: list[int], settled: SettledSessions) -> None:
        """These sessions' seats in two queries, every candidate key checked at once, and the rows not written yet
        written in one statement; the sessions whose plan is complete join `settled`. A row names what is owed
        (the session, the kind, the person): the outbox renders it when it sends it (`due_message`), from the
        session as it is then."""
        repository = work.repo(LunchLearnRepository)
        now = work.now
        plans = [
            _SessionPlan.of(view, due_messages(view, seats, now)) for view, seats in repository.with_seats(session_ids)
        ]
        existing = work.outbox.existing_keys([key for plan in plans for key in plan.candidate_keys()])
        grace = timedelta(minutes=self.settings.reminder_grace_minutes)
        messages: list[Outgoing] = []
        for plan in plans:
            card = self._card_update(work, plan.view) if plan.card and plan.card not in existing else []
            messages += card
            subject = str(plan.view.id)
            for due, key in plan.dues:
                if key not in existing:
                    owed = {"channel": due.user_id, "kind": due.kind}
                    expire_at = expiry_of(due, grace)
                    messages.append(
                        Outgoing(key, owed, due_at=due.due_at, expire_at=expire_at, render=SESSION_DUE, subject=subject)
                    )
            if card or not plan.card or plan.card in existing:  # else the announcement is not posted yet
                settled.add(plan.view, now)
        if messages:
            work.send_many(messages)

    def _card_update(self, work: UnitOfWork, view: SessionView) -> list[Outgoing]:
        """The announcement's live count for this revision, once the announcement itself has been posted."""
        posted = work.posted(session_key(view.id, "post"))
        if posted is None:
            return []
        channel, ts = posted
        return [
            Outgoing.update(
                session_key(view.id, "card", view.revision),
                render=SESSION_CARD,
                subject=view.id,
                channel=channel,
                ts=ts,
            )
        ]

    def due_message(self, session_id: int, kind: str, user_id: str) -> dict[str, Any] | None:
        """What a planned row says, rendered as it is sent: the session, its seats and its ratings as they are
        now. None (the row is skipped) once the session is cancelled or gone, or when an attendee's message is
        for someone no longer seated."""
        with self.reading() as work:
            repository = work.repo(LunchLearnRepository)
            view = repository.view(session_id)
            if view is None or view.is_cancelled:
                return None
            ratings = repository.ratings(session_id) if kind == "summary" else []
        if kind in PRESENTER_DUES:
            if kind == "attendees":
                return self.messages.attendee_list(user_id, view)
            return self.messages.rating_summary(user_id, view, summarize_ratings(ratings))
        if user_id not in view.seated:
            return None
        if kind == "rate":
            return self.messages.rating_request(user_id, view)
        return self.messages.reminder(user_id, view, kind)


@dataclass(frozen=True)
class _SessionPlan:
    """One session's candidate outbox rows this tick: its card for the current revision (None before any
    change to its seats) and what has come due, each with its key."""

    view: SessionView
    card: str | None
    dues: list[tuple[Due, str]]

    @classmethod
    def of(cls, view: SessionView, dues: list[Due]) -> _SessionPlan:
        card = session_key(view.id, "card", view.revision) if view.revision else None
        return cls(view, card, [(due, session_key(view.id, due.kind, due.user_id)) for due in dues])

    def candidate_keys(self) -> list[str]:
        keys = [key for _, key in self.dues]
        return [*keys, self.card] if self.card else keys


class SettledSessions:
    """Sessions whose plan is complete, in this process: everything due for them at `revision` by some moment
    has been committed to the outbox (card included), and nothing more falls due before `next_moment`.

    `due_messages` depends only on the session and its seats, which change only with its revision (every change
    to seats bumps it: storage/lunchlearn.py), and on which of the session's moments have passed; cancelling
    takes a session out of the window, and outbox rows are never deleted. So until its revision changes or its
    next moment comes, a settled session would only have its keys checked again to find them all present, and
    the planner skips it. A new process, or another replica, starts with nothing settled and checks every key
    once."""

    def __init__(self, settled: dict[int, tuple[int, datetime | None]] | None = None) -> None:
        self._by_session = settled or {}

    def stale(self, revisions: Mapping[int, int], now: datetime) -> list[int]:
        """The sessions (of `revisions`: ID -> current revision, in planning order) to plan at `now`."""
        return [sid for sid, revision in revisions.items() if not self._is_settled(sid, revision, now)]

    def kept(self, revisions: Mapping[int, int], stale: Collection[int]) -> SettledSessions:
        """What stays settled: sessions still in the window that need no planning now."""
        skipped = revisions.keys() - set(stale)
        return SettledSessions({session_id: self._by_session[session_id] for session_id in skipped})

    def add(self, view: SessionView, now: datetime) -> None:
        self._by_session[view.id] = (view.revision, next_moment(view, now))

    def _is_settled(self, session_id: int, revision: int, now: datetime) -> bool:
        settled = self._by_session.get(session_id)
        if settled is None or settled[0] != revision:
            return False
        upcoming = settled[1]
        return upcoming is None or upcoming > now
