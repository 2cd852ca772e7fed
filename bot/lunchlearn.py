"""Lunch-and-learn use cases: sessions with seats and a waitlist, reminders, ratings, topic ideas, stats.

The rules themselves are in bot/lunchlearn_rules.py; seats are counted by the database (storage/lunchlearn.py).
Everything the bot says on its own goes through the outbox, written in the transaction of the change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.lunchlearn_rules import (
    DAY_BEFORE,
    MAX_COMMENT,
    MAX_TOPIC,
    SUMMARY_AFTER,
    Due,
    IdeaView,
    LunchStats,
    RatingSummary,
    RatingView,
    SessionDraft,
    SessionView,
    check_draft,
    compute_stats,
    due_messages,
    expiry_of,
    next_moment,
    summarize_ratings,
    topic_key,
)
from bot.notify import Outgoing, enqueue, enqueue_many
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed
from storage.lunchlearn import LunchLearnRepository
from storage.outbox import OutboxRepository

PLANNING_LOOKBACK = SUMMARY_AFTER + timedelta(days=2)  # covers the summary a day after the longest session
SESSIONS_PER_BATCH = 100  # a few hundred outbox rows rendered and written at a time: memory stays small


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


class CannotCancel(Exception):
    """The session can no longer be cancelled: `reason` is 'cancelled' (already) or 'started' (or held)."""

    def __init__(self, reason: str, session: SessionView) -> None:
        super().__init__(reason)
        self.reason = reason
        self.session = session


@dataclass(frozen=True)
class SignupOutcome:
    """result: seated, waiting, already_seated, already_waiting, cancelled, started or gone."""

    result: str
    session: SessionView | None

    def position(self, user_id: str) -> int | None:
        return self.session.waitlist_position(user_id) if self.session else None


@dataclass(frozen=True)
class WithdrawOutcome:
    """result: withdrawn, not_signed_up, cancelled, started or gone."""

    result: str
    session: SessionView | None
    promoted: str | None = None


@dataclass(frozen=True)
class RateOutcome:
    """result: saved, not_attendee, not_yet (the session has not ended) or gone."""

    result: str
    session: SessionView | None


@dataclass(frozen=True)
class IdeaOutcome:
    idea: IdeaView
    created: bool
    voted: bool


def session_key(session_id: int, *parts: object) -> str:
    return ":".join(["lunchlearn", str(session_id), *(str(p) for p in parts)])


# The cards the outbox renders when it sends them (handlers/lunchlearn.py registers their renderers).
SESSION_CARD, IDEA_CARD = "lunchlearn.session_card", "lunchlearn.idea_card"
ALREADY_PLANNED = "Someone has planned this idea as a session meanwhile, so I didn't plan it twice."


def idea_key(idea_id: int, *parts: object) -> str:
    return ":".join(["lunchlearn", "idea", str(idea_id), *(str(p) for p in parts)])


class LunchLearnService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        messages: LunchLearnMessages,
        wake_outbox: Callable[[], None],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.messages = messages
        self.wake_outbox = wake_outbox
        self._settled = _Settled()

    # --- reading -----------------------------------------------------------------------------------------

    def get(self, session_id: int) -> SessionView | None:
        with self.sessions() as session:
            return LunchLearnRepository(session).view(session_id)

    def upcoming(self, limit: int = 10) -> list[SessionView]:
        with self.sessions() as session:
            return LunchLearnRepository(session).upcoming(self.clock(), limit)

    def listing(self, user_id: str, limit: int = 10, mine_limit: int = 14) -> list[SessionView]:
        """The next `limit` sessions, plus any later ones `user_id` signed up for (so their signups always show)."""
        now = self.clock()
        with self.sessions() as session:
            repository = LunchLearnRepository(session)
            sessions = repository.upcoming(now, limit)
            shown = {s.id for s in sessions}
            mine = [s for s in repository.upcoming_signed_up(user_id, now, limit + mine_limit) if s.id not in shown]
        return sorted([*sessions, *mine[:mine_limit]], key=lambda s: (s.starts_at, s.id))

    def idea(self, idea_id: int) -> IdeaView | None:
        with self.sessions() as session:
            return LunchLearnRepository(session).idea(idea_id)

    def ideas(self, limit: int = 10) -> list[IdeaView]:
        with self.sessions() as session:
            return LunchLearnRepository(session).ideas_by_votes(limit)

    def stats(self, sides: Mapping[str, str]) -> LunchStats:
        """`sides` maps user IDs to 'marketing' or 'it' (from user groups today, liaison pools later)."""
        with self.sessions() as session:
            repository = LunchLearnRepository(session)
            held = repository.held_sessions(before=self.clock())
            scores = repository.all_scores()
        return compute_stats([(s.direction, s.seated) for s in held], scores, sides)

    def can_manage(self, session: SessionView, user_id: str) -> bool:
        return user_id in session.presenters or user_id == session.created_by or self.settings.is_admin(user_id)

    # --- sessions ----------------------------------------------------------------------------------------

    def create(self, draft: SessionDraft, *, by: str, idea_id: int | None = None) -> SessionView:
        now = self.clock()
        errors = check_draft(draft, now)
        if errors:
            raise DraftRejected(errors)
        channel = self.settings.joint_channel
        if channel is None:
            raise NoChannelConfigured()
        with self.sessions.begin() as session:
            repository = LunchLearnRepository(session)
            if idea_id is not None and repository.idea(idea_id) is None:
                idea_id = None
            view = repository.add_session(draft, channel_id=channel, by=by, at=now, idea_id=idea_id)
            if idea_id is not None:
                if not repository.link_idea(idea_id, view.id):  # raising rolls the new session back too
                    raise DraftRejected({"topic": ALREADY_PLANNED})
                planned = repository.idea(idea_id)
                if planned is not None:  # the idea's card stops offering "I'll present it"
                    self._refresh_idea(session, planned, now, key=idea_key(planned.id, "planned"))
            enqueue(session, Outgoing(session_key(view.id, "post"), self.messages.announcement(view)), now)
        self.wake_outbox()
        return view

    def sign_up(self, session_id: int, user_id: str) -> SignupOutcome:
        try:
            outcome = self._sign_up(session_id, user_id)
        except IntegrityError:  # the same person clicked twice at once: the first click won
            view = self.get(session_id)
            status = view.status_of(user_id) if view else None
            return SignupOutcome(f"already_{status}" if status else "gone", view)
        if outcome.result in ("seated", "waiting"):
            self.wake_outbox()
        return outcome

    def _sign_up(self, session_id: int, user_id: str) -> SignupOutcome:
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LunchLearnRepository(session)
            closed = self._closed_reason(repository.view(session_id), now)
            if closed:
                return SignupOutcome(closed, repository.view(session_id))
            status = repository.signup_status(session_id, user_id)
            if status is not None:
                return SignupOutcome(f"already_{status}", repository.view(session_id))
            if not repository.lock(session_id):
                return SignupOutcome("cancelled", repository.view(session_id))
            seated = repository.take_seat(session_id)
            repository.add_signup(session_id, user_id, seated=seated, at=now)
            view = repository.view(session_id)
            assert view is not None
            self._refresh_card(session, view, now)
        return SignupOutcome("seated" if seated else "waiting", view)

    def withdraw(self, session_id: int, user_id: str) -> WithdrawOutcome:
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LunchLearnRepository(session)
            closed = self._closed_reason(repository.view(session_id), now)
            if closed:
                return WithdrawOutcome(closed, repository.view(session_id))
            if not repository.lock(session_id):
                return WithdrawOutcome("cancelled", repository.view(session_id))
            former = repository.remove_signup(session_id, user_id)
            if former is None:
                return WithdrawOutcome("not_signed_up", repository.view(session_id))
            promoted = None
            if former == "seated":
                promoted = repository.promote_first_waiting(session_id, now)
                if promoted is None:
                    repository.free_seat(session_id)
            view = repository.view(session_id)
            assert view is not None
            if promoted:
                payload = self.messages.promoted(promoted, view)
                enqueue(session, Outgoing(session_key(session_id, "promoted", promoted, view.revision), payload), now)
            self._refresh_card(session, view, now)
        self.wake_outbox()
        return WithdrawOutcome("withdrawn", view, promoted)

    def cancel(self, session_id: int, *, by: str) -> SessionView | None:
        """Cancel and tell everyone signed up or waiting; None when there is no such session.

        A session already cancelled, or one that has started (or been held), raises CannotCancel: telling its
        attendees it was cancelled would be false, and it would vanish from the stats."""
        now = self.clock()
        current = self.get(session_id)
        if current is None:
            return None
        if not self.can_manage(current, by):
            raise NotAllowed()
        with self.sessions.begin() as session:
            repository = LunchLearnRepository(session)
            if not repository.lock(session_id):
                raise CannotCancel("cancelled", repository.view(session_id) or current)
            if current.starts_at <= now:
                raise CannotCancel("started", current)
            repository.cancel(session_id, by=by, at=now)
            view = repository.view(session_id)
            assert view is not None
            for user_id in (*view.seated, *view.waiting):
                payload = self.messages.cancelled(user_id, view, by)
                enqueue(session, Outgoing(session_key(session_id, "cancelled", user_id), payload), now)
            self._refresh_card(session, view, now)
        self.wake_outbox()
        return view

    @staticmethod
    def _closed_reason(view: SessionView | None, now: datetime) -> str | None:
        if view is None:
            return "gone"
        if view.is_cancelled:
            return "cancelled"
        if view.starts_at <= now:
            return "started"
        return None

    def _refresh_card(self, session: Session, view: SessionView, now: datetime) -> None:
        """Bring the announcement's live count up to date (once the announcement itself has been posted)."""
        for message in self._card_update(session, view):
            enqueue(session, message, now)

    # --- ratings -----------------------------------------------------------------------------------------

    def rate(self, session_id: int, user_id: str, score: int) -> RateOutcome:
        if not 1 <= score <= 5:
            raise DraftRejected({"score": "A rating is from 1 to 5."})
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LunchLearnRepository(session)
            view = repository.view(session_id)
            if view is None or view.is_cancelled:
                return RateOutcome("gone", view)
            if user_id not in view.seated:
                return RateOutcome("not_attendee", view)
            if now < view.ends_at:  # a rating button is a claim: the session must have taken place
                return RateOutcome("not_yet", view)
            repository.rate(session_id, user_id, score, now)
            ratings = repository.ratings(session_id)
            if len(ratings) >= len(view.seated):  # everyone rated: the presenters need not wait a day
                self._send_summary(session, view, summarize_ratings(ratings), now)
        self.wake_outbox()
        return RateOutcome("saved", view)

    def comment(self, session_id: int, user_id: str, text: str) -> bool:
        """Keep the comment with the rating (False when there is no rating to attach it to). If the presenters'
        summary has already gone out (everyone rated, or a day passed), the comment follows it by DM rather than
        being kept where nobody will read it."""
        text = text.strip()
        if len(text) > MAX_COMMENT:
            raise DraftRejected({"comment": f"Keep it under {MAX_COMMENT} characters."})
        now = self.clock()
        forwarded = False
        with self.sessions.begin() as session:
            repository = LunchLearnRepository(session)
            if not repository.comment(session_id, user_id, text, now):
                return False
            view = repository.view(session_id)
            if view is not None and text:
                forwarded = self._forward_late_comment(session, view, text, now)
        if forwarded:
            self.wake_outbox()
        return True

    def _forward_late_comment(self, session: Session, view: SessionView, text: str, now: datetime) -> bool:
        summaries = OutboxRepository(session).existing_keys(
            [session_key(view.id, "summary", presenter) for presenter in view.presenters]
        )
        written = False
        for presenter in view.presenters:
            if session_key(view.id, "summary", presenter) not in summaries:
                continue
            payload = self.messages.late_comment(presenter, view, text)
            key = session_key(view.id, "comment", presenter, now.isoformat())
            written = enqueue(session, Outgoing(key, payload), now) or written
        return written

    def _send_summary(self, session: Session, view: SessionView, summary: RatingSummary, now: datetime) -> None:
        for presenter in view.presenters:
            payload = self.messages.rating_summary(presenter, view, summary)
            enqueue(session, Outgoing(session_key(view.id, "summary", presenter), payload), now)

    # --- ideas -------------------------------------------------------------------------------------------

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
            outcome = self._add_or_vote(topic, key, channel, by)
        except IntegrityError:  # the same idea posted at the same moment: vote for theirs
            outcome = self._add_or_vote(topic, key, channel, by)
        self.wake_outbox()
        return outcome

    def _add_or_vote(self, topic: str, key: str, channel: str, by: str) -> IdeaOutcome:
        now = self.clock()
        with self.sessions.begin() as session:
            repository = LunchLearnRepository(session)
            existing = repository.idea_by_key(key)
            if existing is not None:
                voted = repository.vote(existing.id, by, now)
                idea = repository.idea(existing.id)
                assert idea is not None
                if voted:
                    self._refresh_idea(session, idea, now)
                return IdeaOutcome(idea, False, voted)
            idea = repository.add_idea(topic=topic, key=key, channel_id=channel, by=by, at=now)
            enqueue(session, Outgoing(idea_key(idea.id, "post"), self.messages.idea_post(idea)), now)
        return IdeaOutcome(idea, True, True)

    def vote(self, idea_id: int, user_id: str) -> IdeaOutcome | None:
        now = self.clock()
        try:
            with self.sessions.begin() as session:
                repository = LunchLearnRepository(session)
                if repository.idea(idea_id) is None:
                    return None
                voted = repository.vote(idea_id, user_id, now)
                idea = repository.idea(idea_id)
                assert idea is not None
                if voted:
                    self._refresh_idea(session, idea, now)
        except IntegrityError:  # a double click: the first one counted
            idea = self.idea(idea_id)
            return IdeaOutcome(idea, False, False) if idea else None
        if voted:
            self.wake_outbox()
        return IdeaOutcome(idea, False, voted)

    def _refresh_idea(self, session: Session, idea: IdeaView, now: datetime, *, key: str | None = None) -> None:
        posted = OutboxRepository(session).get(idea_key(idea.id, "post"))
        if posted is None or posted.response_channel is None or posted.response_ts is None:
            return
        key = key or idea_key(idea.id, "card", idea.votes, "planned" if idea.session_id else "open")
        update = Outgoing.update(
            key, render=IDEA_CARD, subject=idea.id, channel=posted.response_channel, ts=posted.response_ts
        )
        enqueue(session, update, now)

    # --- time --------------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Write what has come due into the outbox: reminders, attendee lists, rating asks, summaries, and any
        announcement count not yet brought up to date. Idempotent by key, so restarts never double a message;
        sessions this process has already planned are skipped until they can owe something new (see _Settled)."""
        now = self.clock()
        with self.sessions.begin() as session:
            written, settled = self._plan(session, now)
        self._settled = settled  # only once what it stands for is committed
        if written:
            self.wake_outbox()

    def _plan(self, session: Session, now: datetime) -> tuple[int, _Settled]:
        """Plan the sessions in the window that may owe something new (see _Settled), a batch at a time; how
        many rows were written, and what is settled now."""
        repository = LunchLearnRepository(session)
        revisions = repository.revisions_between(now - PLANNING_LOOKBACK, now + DAY_BEFORE)
        stale = self._settled.stale(revisions, now)
        settled = self._settled.kept(revisions, stale)
        written = 0
        for start in range(0, len(stale), SESSIONS_PER_BATCH):
            written += self._plan_batch(session, repository, stale[start : start + SESSIONS_PER_BATCH], now, settled)
        return written, settled

    def _plan_batch(
        self,
        session: Session,
        repository: LunchLearnRepository,
        session_ids: list[int],
        now: datetime,
        settled: _Settled,
    ) -> int:
        """These sessions' seats in two queries, every candidate key checked at once, payloads rendered only for
        keys not written yet, and written in one statement; the sessions whose plan is complete join `settled`."""
        plans = [
            _SessionPlan.of(view, due_messages(view, seats, now)) for view, seats in repository.with_seats(session_ids)
        ]
        existing = OutboxRepository(session).existing_keys([key for plan in plans for key in plan.candidate_keys()])
        ratings = repository.ratings_of({plan.view.id for plan in plans if plan.owes_summary(existing)})
        grace = timedelta(minutes=self.settings.reminder_grace_minutes)
        messages: list[Outgoing] = []
        for plan in plans:
            card = self._card_update(session, plan.view) if plan.card and plan.card not in existing else []
            messages += card
            for due, key in plan.dues:
                if key not in existing:
                    payload = self._render_due(plan.view, due, ratings.get(plan.view.id, ()))
                    messages.append(Outgoing(key, payload, due_at=due.due_at, expire_at=expiry_of(due, grace)))
            if card or not plan.card or plan.card in existing:  # else the announcement is not posted yet
                settled.add(plan.view, now)
        return enqueue_many(session, messages, now) if messages else 0

    def _card_update(self, session: Session, view: SessionView) -> list[Outgoing]:
        """The announcement's live count for this revision, once the announcement itself has been posted."""
        posted = OutboxRepository(session).get(session_key(view.id, "post"))
        if posted is None or posted.response_channel is None or posted.response_ts is None:
            return []
        key = session_key(view.id, "card", view.revision)
        return [
            Outgoing.update(
                key, render=SESSION_CARD, subject=view.id, channel=posted.response_channel, ts=posted.response_ts
            )
        ]

    def _render_due(self, view: SessionView, due: Due, ratings: Sequence[RatingView]) -> dict[str, Any]:
        if due.kind == "attendees":
            return self.messages.attendee_list(due.user_id, view)
        if due.kind == "rate":
            return self.messages.rating_request(due.user_id, view)
        if due.kind == "summary":
            return self.messages.rating_summary(due.user_id, view, summarize_ratings(ratings))
        return self.messages.reminder(due.user_id, view, due.kind)


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

    def owes_summary(self, existing: Collection[str]) -> bool:
        return any(due.kind == "summary" and key not in existing for due, key in self.dues)


class _Settled:
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

    def kept(self, revisions: Mapping[int, int], stale: Collection[int]) -> _Settled:
        """What stays settled: sessions still in the window that need no planning now."""
        skipped = revisions.keys() - set(stale)
        return _Settled({session_id: self._by_session[session_id] for session_id in skipped})

    def add(self, view: SessionView, now: datetime) -> None:
        self._by_session[view.id] = (view.revision, next_moment(view, now))

    def _is_settled(self, session_id: int, revision: int, now: datetime) -> bool:
        settled = self._by_session.get(session_id)
        if settled is None or settled[0] != revision:
            return False
        upcoming = settled[1]
        return upcoming is None or upcoming > now
