"""Lunch-and-learn use cases: sessions with seats and a waitlist, reminders, ratings, topic ideas, stats.

The rules themselves are in bot/lunchlearn_rules.py; seats are counted by the database (storage/lunchlearn.py).
Everything the bot says on its own goes through the outbox, written in the transaction of the change.
The service is made of parts: the topic ideas (bot/lunchlearn_ideas.py) and the planner that writes what has
come due (bot/lunchlearn_planning.py); what they share is in bot/lunchlearn_base.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.kit import FeatureService, UnitOfWork
from bot.lunchlearn_base import IDEA_CARD, SESSION_CARD, SESSION_DUE, LunchLearnMessages, idea_key, session_key
from bot.lunchlearn_ideas import IdeaOutcome, LunchLearnIdeas
from bot.lunchlearn_planning import LunchLearnPlanning, SettledSessions
from bot.lunchlearn_rules import (
    MAX_COMMENT,
    LunchStats,
    RatingSummary,
    SessionDraft,
    SessionView,
    check_draft,
    compute_stats,
    summarize_ratings,
)
from bot.notify import Outgoing
from bot.outcomes import DraftRejected, NoChannelConfigured, NotAllowed, Refused
from storage.lunchlearn import LunchLearnRepository

# Other modules import these from here, wherever they are defined.
__all__ = [
    "ALREADY_PLANNED",
    "IDEA_CARD",
    "SESSION_CARD",
    "SESSION_DUE",
    "CannotCancel",
    "IdeaOutcome",
    "LunchLearnMessages",
    "LunchLearnService",
    "NoChannelConfigured",
    "RateOutcome",
    "SignupOutcome",
    "UserSessions",
    "WithdrawOutcome",
    "idea_key",
    "session_key",
]

ALREADY_PLANNED = "Someone has planned this idea as a session meanwhile, so I didn't plan it twice."


class CannotCancel(Refused):
    """The session can no longer be cancelled: `reason` is 'cancelled' (already) or 'started' (or held)."""

    def __init__(self, reason: str, session: SessionView) -> None:
        super().__init__(reason, session=session)
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
class UserSessions:
    """The upcoming sessions (not cancelled) that concern one person, soonest first: those they hold a seat or a
    waitlist place in, and those they present; at most the number asked for of each, with how many there are."""

    attending: tuple[SessionView, ...]
    presenting: tuple[SessionView, ...]
    attending_count: int
    presenting_count: int


class LunchLearnService(LunchLearnIdeas, LunchLearnPlanning, FeatureService[LunchLearnMessages]):
    def setup(self) -> None:
        self._settled = SettledSessions()

    # --- reading -----------------------------------------------------------------------------------------

    def get(self, session_id: int) -> SessionView | None:
        with self.reading() as work:
            return work.repo(LunchLearnRepository).view(session_id)

    def upcoming(self, limit: int = 10) -> list[SessionView]:
        with self.reading() as work:
            return work.repo(LunchLearnRepository).upcoming(work.now, limit)

    def listing(self, user_id: str, limit: int = 10, mine_limit: int = 14) -> list[SessionView]:
        """The next `limit` sessions, plus any later ones `user_id` signed up for (so their signups always show)."""
        with self.reading() as work:
            repository = work.repo(LunchLearnRepository)
            sessions = repository.upcoming(work.now, limit)
            shown = {s.id for s in sessions}
            later = repository.upcoming_signed_up(user_id, work.now, limit + mine_limit)
            mine = [s for s in later if s.id not in shown]
        return sorted([*sessions, *mine[:mine_limit]], key=lambda s: (s.starts_at, s.id))

    def concerning(self, user_id: str, limit: int = 15) -> UserSessions:
        """Upcoming sessions that concern `user_id` (their seats and waitlist places, the sessions they present):
        the first `limit` of each, read whole, and how many there are."""
        with self.reading() as work:
            repository = work.repo(LunchLearnRepository)
            attending, presenting = repository.upcoming_concerning(user_id, work.now)
            chosen = [*attending[:limit], *presenting[:limit]]
            read = {view.id: view for view, _seated_since in repository.with_seats(chosen)}
        return UserSessions(
            attending=tuple(read[i] for i in attending[:limit] if i in read),
            presenting=tuple(read[i] for i in presenting[:limit] if i in read),
            attending_count=len(attending),
            presenting_count=len(presenting),
        )

    def stats(self, sides: Mapping[str, str]) -> LunchStats:
        """`sides` maps user IDs to 'marketing' or 'it' (from user groups today, liaison pools later)."""
        with self.reading() as work:
            repository = work.repo(LunchLearnRepository)
            held = repository.held_sessions(before=work.now)
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
        with self.work(now) as work:
            repository = work.repo(LunchLearnRepository)
            if idea_id is not None and repository.idea(idea_id) is None:
                idea_id = None
            view = repository.add_session(draft, channel_id=channel, by=by, at=now, idea_id=idea_id)
            if idea_id is not None:
                if not repository.link_idea(idea_id, view.id):  # raising rolls the new session back too
                    raise DraftRejected({"topic": ALREADY_PLANNED})
                planned = repository.idea(idea_id)
                if planned is not None:  # the idea's card stops offering "I'll present it"
                    self._refresh_idea(work, planned, key=idea_key(planned.id, "planned"))
            work.send(Outgoing(session_key(view.id, "post"), self.messages.announcement(view)))
        return view

    def sign_up(self, session_id: int, user_id: str) -> SignupOutcome:
        try:
            return self._sign_up(session_id, user_id)
        except IntegrityError:  # the same person clicked twice at once: the first click won
            view = self.get(session_id)
            status = view.status_of(user_id) if view else None
            return SignupOutcome(f"already_{status}" if status else "gone", view)

    def _sign_up(self, session_id: int, user_id: str) -> SignupOutcome:
        with self.work() as work:
            repository = work.repo(LunchLearnRepository)
            status = repository.signup_status(session_id, user_id)
            refused = self._refusal(repository, session_id, work.now, already=status)
            if refused:
                return SignupOutcome(refused, repository.view(session_id))
            seated = repository.take_seat(session_id)
            repository.add_signup(session_id, user_id, seated=seated, at=work.now)
            view = repository.view(session_id)
            assert view is not None
            self._refresh_card(work, view)
        return SignupOutcome("seated" if seated else "waiting", view)

    def withdraw(self, session_id: int, user_id: str) -> WithdrawOutcome:
        with self.work() as work:
            repository = work.repo(LunchLearnRepository)
            refused = self._refusal(repository, session_id, work.now)
            if refused:
                return WithdrawOutcome(refused, repository.view(session_id))
            former = repository.remove_signup(session_id, user_id)
            if former is None:
                return WithdrawOutcome("not_signed_up", repository.view(session_id))
            work.homes_changed(user_id)
            promoted = None
            if former == "seated":
                promoted = repository.promote_first_waiting(session_id, work.now)
                if promoted is None:
                    repository.free_seat(session_id)
            view = repository.view(session_id)
            assert view is not None
            if promoted:
                payload = self.messages.promoted(promoted, view)
                work.send(Outgoing(session_key(session_id, "promoted", promoted, view.revision), payload))
            self._refresh_card(work, view)
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
        with self.work(now) as work:
            repository = work.repo(LunchLearnRepository)
            if not repository.lock(session_id):
                raise CannotCancel("cancelled", repository.view(session_id) or current)
            if current.starts_at <= now:
                raise CannotCancel("started", current)
            repository.cancel(session_id, by=by, at=now)
            view = repository.view(session_id)
            assert view is not None
            for user_id in (*view.seated, *view.waiting):
                payload = self.messages.cancelled(user_id, view, by)
                work.send(Outgoing(session_key(session_id, "cancelled", user_id), payload))
            self._refresh_card(work, view)
        return view

    def _refusal(
        self, repository: LunchLearnRepository, session_id: int, now: datetime, *, already: str | None = None
    ) -> str | None:
        """Why a seat cannot change now (the session is gone, cancelled or started; the person already has
        that place), or None once the session's row is locked for the change."""
        closed = self._closed_reason(repository.view(session_id), now)
        if closed:
            return closed
        if already is not None:
            return f"already_{already}"
        return None if repository.lock(session_id) else "cancelled"

    @staticmethod
    def _closed_reason(view: SessionView | None, now: datetime) -> str | None:
        if view is None:
            return "gone"
        if view.is_cancelled:
            return "cancelled"
        if view.starts_at <= now:
            return "started"
        return None

    def _refresh_card(self, work: UnitOfWork, view: SessionView) -> None:
        """Bring the announcement's live count up to date (once the announcement itself has been posted), and
        the Homes of the people in it."""
        work.homes_changed(*view.presenters, *view.seated, *view.waiting)
        for message in self._card_update(work, view):
            work.send(message)

    # --- ratings -----------------------------------------------------------------------------------------

    def rate(self, session_id: int, user_id: str, score: int) -> RateOutcome:
        if not 1 <= score <= 5:
            raise DraftRejected({"score": "A rating is from 1 to 5."})
        with self.work() as work:
            repository = work.repo(LunchLearnRepository)
            view = repository.view(session_id)
            if view is None or view.is_cancelled:
                return RateOutcome("gone", view)
            if user_id not in view.seated:
                return RateOutcome("not_attendee", view)
            if work.now < view.ends_at:  # a rating button is a claim: the session must have taken place
                return RateOutcome("not_yet", view)
            repository.rate(session_id, user_id, score, work.now)
            ratings = repository.ratings(session_id)
            if len(ratings) >= len(view.seated):  # everyone rated: the presenters need not wait a day
                self._send_summary(work, view, summarize_ratings(ratings))
        return RateOutcome("saved", view)

    def comment(self, session_id: int, user_id: str, text: str) -> bool:
        """Keep the comment with the rating (False when there is no rating to attach it to). If the presenters'
        summary has already gone out (everyone rated, or a day passed), the comment follows it by DM rather than
        being kept where nobody will read it."""
        text = text.strip()
        if len(text) > MAX_COMMENT:
            raise DraftRejected({"comment": f"Keep it under {MAX_COMMENT} characters."})
        with self.work() as work:
            repository = work.repo(LunchLearnRepository)
            if not repository.comment(session_id, user_id, text, work.now):
                return False
            view = repository.view(session_id)
            if view is not None and text:
                self._forward_late_comment(work, view, text)
        return True

    def _forward_late_comment(self, work: UnitOfWork, view: SessionView, text: str) -> None:
        summaries = work.outbox.existing_keys(
            [session_key(view.id, "summary", presenter) for presenter in view.presenters]
        )
        for presenter in view.presenters:
            if session_key(view.id, "summary", presenter) not in summaries:
                continue
            payload = self.messages.late_comment(presenter, view, text)
            work.send(Outgoing(session_key(view.id, "comment", presenter, work.now.isoformat()), payload))

    def _send_summary(self, work: UnitOfWork, view: SessionView, summary: RatingSummary) -> None:
        for presenter in view.presenters:
            payload = self.messages.rating_summary(presenter, view, summary)
            work.send(Outgoing(session_key(view.id, "summary", presenter), payload))
