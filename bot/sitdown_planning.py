"""Sit-down planning: the tick that writes reminders, holiday notices, follow-ups and action-item reminders into
the outbox, and the helpers the changes to a series use to keep that plan true.

Planning is a watermark per series: `tick` writes every message due between the series' `planned_until` and
a little ahead of now into the outbox (idempotent by key), then moves the watermark on to just before the
series' next message, so a minute's tick only reads the few series with something coming due (an index on
the watermark finds them). A message is rendered only when it is planned, a little before it goes, so a
reminder carries the agenda as it stands then; changes that add messages (a move, a holiday removed) pull a
watermark that jumped ahead back to that short horizon. After downtime the messages whose moment passed are
still written; the dispatcher sends those within the grace period (marked late) and records older ones as
skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.kit import FeatureService, UnitOfWork
from bot.notify import Outgoing
from bot.sitdown_messages import (
    Reminder,
    SitdownMessages,
    action_key,
    followup_key,
    holiday_key,
    reminder_key,
    sitdown_key,
)
from bot.sitdown_rules import (
    Occurrence,
    Planned,
    action_reminder_moment,
    end_of_day,
    occurrences_between,
    plan,
    plan_through,
    planning_bounds,
)
from bot.sitdown_views import SeriesView
from storage.sitdown import SitdownRepository

PLAN_AHEAD = timedelta(minutes=2)
PLAN_BATCH = 500  # series planned per transaction
REPORT_FAILURES_SINCE = timedelta(days=1)


class PlanningPart(FeatureService[SitdownMessages]):
    """The scheduler's side of the sit-down service, and what a change to a series needs to re-plan."""

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.settings.reminder_grace_minutes)

    # --- the scheduler -----------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Write this feature's due reminders into the outbox (idempotent by key). Each transaction wakes the
        dispatcher once it has committed something new."""
        now = self.clock()
        until = now + PLAN_AHEAD
        after_id = 0
        while (last_id := self._plan_batch(now, until, after_id)) is not None:
            after_id = last_id
        self._plan_action_reminders(now, until)
        self._report_undeliverable(now)

    def _plan_batch(self, now: datetime, until: datetime, after_id: int) -> int | None:
        """Plan, in one transaction, the next batch of series whose watermark is behind `until`: the last series
        id planned, None when none was left."""
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
            batch = repository.series_to_plan(until, after_id=after_id, limit=PLAN_BATCH)
            if not batch:
                return None
            holidays = repository.holiday_days()
            overrides = repository.overrides_of([series.id for series in batch])
            messages: list[Outgoing] = []
            watermarks: dict[int, datetime] = {}
            for series in batch:
                due, watermarks[series.id] = plan_through(
                    series.recurrence,
                    overrides.get(series.id, {}),
                    holidays,
                    series.lead_minutes,
                    series.duration_minutes,
                    series.planned_until,
                    until,
                )
                messages += [self._outgoing(work, series, planned) for planned in due]
            work.send_many(messages)
            repository.set_planned_until_many(watermarks)
            return batch[-1].id

    def _plan_action_reminders(self, now: datetime, until: datetime) -> None:
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
            for item in repository.actions_needing_reminder(due_by=(until + timedelta(days=1)).date()):
                moment = action_reminder_moment(item.due_on, item.zone)
                if moment > until:
                    continue
                repository.mark_action_reminder_planned(item.id)
                if item.owner in repository.muted(item.series_id):
                    continue
                outgoing = Outgoing(
                    action_key(item.id, "due"),
                    self.messages.action_due(item),
                    due_at=moment,
                    expire_at=end_of_day(item.due_on, item.zone),
                )
                work.send(outgoing)

    def _report_undeliverable(self, now: datetime) -> None:
        """No silent failures: when Slack refuses a series' channel message for good (typically not_in_channel),
        the series' owner hears it by DM, once per series and day."""
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
            for series_id, channel, error, failed_at in repository.failed_channel_posts(now - REPORT_FAILURES_SINCE):
                series = repository.series(series_id)
                if series is None:
                    continue
                key = sitdown_key(series_id, "undeliverable", f"{failed_at:%Y-%m-%d}")
                work.send(Outgoing(key, self.messages.undeliverable(series, channel, error)))

    # --- what a planned message says -----------------------------------------------------------------------------

    def _write_due(
        self, work: UnitOfWork, series: SeriesView, occurrences: list[Occurrence], after: datetime, until: datetime
    ) -> None:
        """Queue the messages of these occurrences that fall due between `after` and `until`."""
        leads, zone = series.lead_minutes, series.recurrence.tz
        for planned in plan(occurrences, leads, series.duration_minutes, after, until, zone):
            work.send(self._outgoing(work, series, planned))

    def _outgoing(self, work: UnitOfWork, series: SeriesView, planned: Planned) -> Outgoing:
        repository = work.repo(SitdownRepository)
        occurrence = planned.occurrence
        if planned.kind == "reminder":
            payload = self.messages.reminder(self._reminder(work, series, occurrence, planned.lead_minutes))
            key = reminder_key(series.id, occurrence, planned.lead_minutes)
            return Outgoing(key, payload, due_at=planned.due, expire_at=planned.due + self.grace)
        if planned.kind == "holiday":
            name = next(
                (h.name for h in repository.holidays() if h.day == series.recurrence.local(occurrence.start).date()),
                "Company holiday",
            )
            payload = self.messages.holiday_notice(series, occurrence, name)
            return Outgoing(holiday_key(series.id, occurrence), payload, due_at=planned.due, expire_at=occurrence.start)
        meeting = repository.ensure_meeting(series.id, occurrence.original, occurrence.start)
        payload = self.messages.followup(series, meeting)
        expire = planned.due + timedelta(days=1)
        return Outgoing(followup_key(series.id, occurrence), payload, due_at=planned.due, expire_at=expire)

    def _reminder(self, work: UnitOfWork, series: SeriesView, occurrence: Occurrence, lead: int) -> Reminder:
        repository = work.repo(SitdownRepository)
        agenda = repository.agenda(series.id, occurrence.original)
        actions = repository.open_actions(series_id=series.id)
        muted = repository.muted(series.id)
        people = [series.owner, *(item.added_by for item in agenda if item.source == "person")]
        people += [item.owner for item in actions]
        heads_up = [person for person in dict.fromkeys(people) if person not in muted]
        return Reminder(series, occurrence, lead, agenda, actions, heads_up, frozenset(muted))

    # --- keeping the plan true when a series changes -------------------------------------------------------------

    def _pending_occurrences(self, work: UnitOfWork, series: SeriesView, now: datetime) -> list[Occurrence]:
        """The occurrences whose messages may already be in the outbox, waiting (those behind the watermark)."""
        low, high = planning_bounds(now, series.planned_until, series.lead_minutes, series.duration_minutes)
        repository = work.repo(SitdownRepository)
        overrides, holidays = repository.overrides(series.id), repository.holiday_days()
        return occurrences_between(series.recurrence, overrides, holidays, low, high)

    def _withdraw(self, work: UnitOfWork, series: SeriesView, occurrences: Iterable[Occurrence], why: str) -> None:
        """Messages already queued for meetings that no longer happen as planned are recorded as not sent."""
        keys: list[str] = []
        for occurrence in occurrences:
            keys += [reminder_key(series.id, occurrence, lead) for lead in series.lead_minutes]
            keys += [followup_key(series.id, occurrence), holiday_key(series.id, occurrence)]
        work.withdraw(keys, reason=f"withdrawn: meeting {why}")

    def _near_watermark(self, work: UnitOfWork, series: SeriesView) -> datetime:
        """How far a change writes new messages itself (the tick writes the rest when they come near): the
        series' watermark, pulled back to PLAN_AHEAD from now when it had jumped further, so that what the change
        makes due is rendered just before it goes, as every reminder is."""
        near = min(series.planned_until, self.clock() + PLAN_AHEAD)
        if near < series.planned_until:
            work.repo(SitdownRepository).set_planned_until(series.id, near)
        return near
