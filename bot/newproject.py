"""/newproject use cases: marketing's early heads-up to IT, followed to a decision.

The announcement in the IT intake channel is posted through the outbox, in the same transaction as the
intake: it can never be lost, and the dispatcher records its channel and ts, which every later change
uses to update it in place (chat.update) and to reply in its thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from bot.kit import FeatureService, UnitOfWork, outbox_key
from bot.newproject_rules import (
    ACTION_PAST,
    ADMIN_OVERRIDE_NOTE,
    IT_ACTIONS,
    MAX_NOTE,
    NEW,
    Intake,
    IntakeDraft,
    IntakeEvent,
    PeriodStats,
    TransitionRefused,
    approval_waits_for_review,
    check_draft,
    escalation_moments,
    flags,
    lead_time_days,
    monthly_stats,
    next_status,
    period_stats,
)
from bot.notify import Outgoing
from bot.outcomes import Conflict, DraftRejected, NoChannelConfigured, NotAllowed, NotFound
from storage.newproject import NewProjectRepository

log = logging.getLogger(__name__)

ANNOUNCEMENT = "newproject.announcement"  # rendered when sent (handlers/newproject.py registers its renderer)
PLANNING_HORIZON = timedelta(minutes=5)  # the scheduler ticks every minute; this leaves room to spare


class NewProjectMessages(Protocol):
    """What the bot says on its own about intakes; rendered at the Slack edge, sent via the outbox."""

    def announcement(self, intake: Intake, flags: list[str], channel: str) -> dict[str, Any]: ...

    def news_dm(self, user_id: str, intake: Intake, event: IntakeEvent) -> dict[str, Any]: ...

    def question_in_thread(self, intake: Intake, event: IntakeEvent, channel: str, ts: str) -> dict[str, Any]: ...

    def reminder(self, intake: Intake, channel: str, ts: str | None) -> dict[str, Any]: ...

    def admin_escalation(self, target: str, intake: Intake, it_channel: str) -> dict[str, Any]: ...

    def announcement_failed(self, user_id: str, intake: Intake, channel: str) -> dict[str, Any]: ...


class AlreadyTaken(Conflict):
    """Someone else in IT already took the intake (only a bot admin may take it over)."""

    def __init__(self, it_contact: str) -> None:
        super().__init__(it_contact)
        self.it_contact = it_contact


@dataclass(frozen=True)
class NewProjectStats:
    overall: PeriodStats
    months: list[PeriodStats]


@dataclass(frozen=True)
class IntakePage:
    """The first intakes of a list, in its order, and how many the whole list holds."""

    intakes: list[Intake]
    total: int


@dataclass(frozen=True)
class UnclaimedQueue:
    """The open intakes nobody in IT has taken: how many, and the one waiting longest."""

    count: int
    oldest: Intake | None


class NewProjectService(FeatureService[NewProjectMessages]):
    def setup(self) -> None:
        self.on_submitted: list[Callable[[Intake], object]] = []
        # Run in the intake's own transaction (e.g. the register of outside tools): stored with it, or not at all.
        self.in_submission: list[Callable[[UnitOfWork, Intake], object]] = []

    @property
    def channel(self) -> str | None:
        """Where intakes are announced: the IT intake channel, else the joint one."""
        return self.settings.it_intake_channel or self.settings.joint_channel

    def flags_of(self, intake: Intake) -> list[str]:
        return flags(
            intake.draft,
            intake.lead_days,
            short_notice_days=self.settings.short_notice_days,
            urgent_days=self.settings.urgent_days,
        )

    # --- reading -------------------------------------------------------------------------------------------

    def get(self, intake_id: int) -> Intake | None:
        """An intake by id (its `id`, `name` and `requested_by` are what a sit-down agenda needs)."""
        with self.reading() as work:
            return work.repo(NewProjectRepository).get(intake_id)

    def open_intakes(self, *, involving: str | None = None, unclaimed: bool = False) -> list[Intake]:
        with self.reading() as work:
            return work.repo(NewProjectRepository).open_intakes(involving=involving, unclaimed=unclaimed)

    def requested_by(self, user_id: str, *, limit: int = 20) -> IntakePage:
        """The intakes the person submitted, decided ones too: open ones first, then newest first."""
        with self.reading() as work:
            return IntakePage(*work.repo(NewProjectRepository).requested_by(user_id, limit=limit))

    def taken_by(self, user_id: str, *, limit: int = 20) -> IntakePage:
        """The open intakes the person took for IT, soonest launch first."""
        with self.reading() as work:
            return IntakePage(*work.repo(NewProjectRepository).taken_by(user_id, limit=limit))

    def unclaimed_queue(self) -> UnclaimedQueue:
        """How many open intakes nobody in IT has taken, and the oldest of them."""
        with self.reading() as work:
            oldest, count = work.repo(NewProjectRepository).unclaimed_queue()
        return UnclaimedQueue(count, oldest)

    def oldest_unclaimed(self) -> Intake | None:
        """The open intake that has waited longest for an IT contact."""
        return self.unclaimed_queue().oldest

    def status_counts(self) -> dict[str, int]:
        """How many intakes are in each status (those with none left out)."""
        with self.reading() as work:
            return work.repo(NewProjectRepository).status_counts()

    def stats(self) -> NewProjectStats:
        with self.reading() as work:
            facts = work.repo(NewProjectRepository).facts()
        return NewProjectStats(period_stats("All time", facts), monthly_stats(facts))

    # --- writing -------------------------------------------------------------------------------------------

    def submit(self, draft: IntakeDraft, *, by: str) -> Intake:
        now = self.clock()
        errors = check_draft(draft, now.date())
        if errors:
            raise DraftRejected(errors)
        channel = self.channel
        if channel is None:
            raise NoChannelConfigured()
        assert draft.launch_date is not None
        with self.work(now) as work:
            intake = work.repo(NewProjectRepository).add(
                draft, by=by, at=now, lead_days=lead_time_days(draft.launch_date, now)
            )
            payload = self.messages.announcement(intake, self.flags_of(intake), channel)
            work.send(Outgoing(_key(intake.id, "announce"), payload))
            for record in self.in_submission:
                record(work, intake)
            work.homes_changed(intake.requested_by)
        self._tell_other_features(intake)
        return intake

    def _tell_other_features(self, intake: Intake) -> None:
        """E.g. /sitdown puts the intake on the next joint agenda; the intake stands even if one of them fails."""
        for hook in self.on_submitted:
            try:
                hook(intake)
            except Exception:
                log.exception("intake %s: a follow-up (%s) failed", intake.id, getattr(hook, "__qualname__", hook))

    def act(
        self,
        intake_id: int,
        action: str,
        *,
        by: str,
        it_member: bool = False,
        note: str = "",
        unclaimed_only: bool = False,
    ) -> Intake:
        """Claim, review, approve, decline, ask a question or withdraw; tells whoever needs to know.

        `it_member` is whether `by` belongs to the IT intake channel (the Slack edge asks Slack).
        `unclaimed_only`: a claim of an intake someone took meanwhile is AlreadyTaken, even for a bot admin
        (who otherwise takes it over): "take the oldest unclaimed" never takes one over.
        An approval while a privacy/security review is open is a bot admin's alone, and its history says so.
        """
        note = note.strip()
        now = self.clock()
        with self.work(now) as work:
            repository = work.repo(NewProjectRepository)
            current = repository.get(intake_id, lock=True)
            if current is None:
                raise NotFound()
            self._check_allowed(current, action, by, it_member, note)
            if unclaimed_only and action == "claim" and current.it_contact:
                raise AlreadyTaken(current.it_contact)
            status = next_status(current.status, action)
            if action == "approve" and approval_waits_for_review(current.status):  # a bot admin's override
                note = f"{ADMIN_OVERRIDE_NOTE} {note}".strip()
            intake = repository.record(intake_id, action=action, status=status, by=by, at=now, note=note[:MAX_NOTE])
            work.homes_changed(intake.requested_by, current.it_contact, intake.it_contact)
            self._announce_change(work, intake)
            if intake.status != NEW:
                self._cancel_escalations(work, intake.id, action)
        return intake

    def _check_allowed(self, intake: Intake, action: str, by: str, it_member: bool, note: str) -> None:
        if action in IT_ACTIONS and not (it_member or self.settings.is_admin(by)):
            raise NotAllowed("Only members of the IT intake channel (or bot admins) can do that.")
        if action == "withdraw" and by != intake.requested_by:
            raise NotAllowed("Only the person who submitted an intake can withdraw it.")
        if action == "claim" and intake.is_open and intake.it_contact == by:
            raise TransitionRefused("It's already yours.")
        if action == "claim" and intake.is_open and intake.it_contact and not self.settings.is_admin(by):
            raise AlreadyTaken(intake.it_contact)
        if action == "approve" and approval_waits_for_review(intake.status) and not self.settings.is_admin(by):
            raise TransitionRefused(
                "Approval waits for the privacy/security review, so I can't approve it yet; a bot admin can."
            )
        if action == "answer" and by != intake.requested_by:
            raise NotAllowed("Only the person who submitted the intake can answer here.")
        if action in ("decline", "question", "answer") and not note:
            what = {"decline": "a reason", "question": "a question", "answer": "an answer"}[action]
            raise TransitionRefused(f"Please write {what}: the requester will see it.")

    def _announce_change(self, work: UnitOfWork, intake: Intake) -> None:
        event = intake.events[-1]
        number = len(intake.events)
        for person in intake.people_to_tell(besides=event.actor):
            payload = self.messages.news_dm(person, intake, event)
            work.send(Outgoing(_key(intake.id, "event", number, "dm", person), payload))
        told = {
            "withdraw": intake.it_contact,  # IT stops working on it
            "answer": next((e.actor for e in reversed(intake.events) if e.action == "question"), None),  # the asker
        }.get(event.action)
        if told and told != event.actor and told not in intake.people_to_tell(besides=event.actor):
            payload = self.messages.news_dm(told, intake, event)
            work.send(Outgoing(_key(intake.id, "event", number, "dm", told), payload))
        self._refresh_announcement(work, intake)

    def _refresh_announcement(self, work: UnitOfWork, intake: Intake) -> None:
        """Update the announcement in place once it is posted, with every question in its thread (by key, so
        each once); until it is posted `tick` retries, so a question asked meanwhile reaches the thread too."""
        posted = work.posted(_key(intake.id, "announce"))
        if posted is None:
            return
        for number, event in enumerate(intake.events, start=1):
            if event.action in ("question", "answer"):
                payload = self.messages.question_in_thread(intake, event, *posted)
                work.send(Outgoing(_key(intake.id, "event", number, "thread"), payload))
        channel, ts = posted
        key = _key(intake.id, "refresh", len(intake.events))
        work.send(Outgoing.update(key, render=ANNOUNCEMENT, subject=intake.id, channel=channel, ts=ts))
        work.repo(NewProjectRepository).mark_refreshed(intake.id)

    def _cancel_escalations(self, work: UnitOfWork, intake_id: int, action: str) -> None:
        """A planned nudge that is not sent yet is no longer needed once IT has picked the intake up."""
        keys = [_key(intake_id, "escalate", 1), _key(intake_id, "escalate", 2, "channel")]
        keys += [_key(intake_id, "escalate", 2, admin) for admin in self.settings.admins]
        work.withdraw(keys, reason=f"not needed any more: {ACTION_PAST[action]}")

    # --- the scheduler -------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Escalate intakes nobody has taken, and bring announcements up to date (idempotent by key)."""
        with self.work() as work:
            repository = work.repo(NewProjectRepository)
            for intake in repository.open_intakes():
                self._report_failed_announcement(work, intake)
                if intake.status == NEW:
                    self._escalate(work, intake)
            for intake in repository.stale_announcements():
                self._refresh_announcement(work, intake)

    def _report_failed_announcement(self, work: UnitOfWork, intake: Intake) -> None:
        """No silent failures: when Slack refused the announcement for good, the requester hears it."""
        row = work.outbox.get(_key(intake.id, "announce"))
        if row is None or row.status != "failed":
            return
        payload = self.messages.announcement_failed(intake.requested_by, intake, row.payload.get("channel", ""))
        work.send(Outgoing(_key(intake.id, "announce-failed"), payload))

    def _escalate(self, work: UnitOfWork, intake: Intake) -> None:
        """Planned a few minutes ahead so it goes out on time; a claim in between drops it (see
        `_cancel_escalations`). No expire_at: an escalation goes stale by state, not time: after downtime an
        intake that nobody has taken still deserves the nudge."""
        channel = self.channel
        if channel is None:
            return
        reminder_at, admins_at = escalation_moments(intake.requested_at, self.settings.escalation_business_days)
        if work.now >= reminder_at - PLANNING_HORIZON:
            posted = work.posted(_key(intake.id, "announce"))
            payload = self.messages.reminder(intake, channel, posted[1] if posted else None)
            work.send(Outgoing(_key(intake.id, "escalate", 1), payload, due_at=reminder_at))
        if work.now >= admins_at - PLANNING_HORIZON:
            targets = sorted(self.settings.admins) or ["channel"]
            for target in targets:
                where = channel if target == "channel" else target
                payload = self.messages.admin_escalation(where, intake, channel)
                work.send(Outgoing(_key(intake.id, "escalate", 2, target), payload, due_at=admins_at))


def _key(intake_id: int, *parts: object) -> str:
    return outbox_key("newproject", intake_id, *parts)


def announcement_key(intake_id: int) -> str:
    """The outbox key of the intake's announcement: where it was posted is what its thread replies need."""
    return _key(intake_id, "announce")
