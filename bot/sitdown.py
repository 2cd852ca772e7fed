"""Sit-down use cases: series, skips and moves, holidays, reminders through the outbox, agenda, action items.

SitdownService is put together from parts, one module each, all on the kit (bot/kit.py):
- here: series and the changes to them (skip, move, pause, resume, cancel), holidays, mutes, the calendar;
- bot/sitdown_planning.py: the tick that plans reminders through the outbox (the watermark is explained
  there), and what a change needs to keep that plan true;
- bot/sitdown_meetings.py: the agenda, notes and action items of a meeting;
- bot/sitdown_messages.py: what the service hands the Slack edge to say, and the outbox keys.
What other modules import from here stays importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.kit import FeatureService, UnitOfWork
from bot.notify import Outgoing
from bot.outcomes import DraftRejected, NotAllowed, NotFound, Rejected
from bot.sitdown_calendar import series_calendar
from bot.sitdown_meetings import AUTOMATIC_SOURCE, ActionOutcome, AgendaPlacement, MeetingsPart, UpcomingAgenda
from bot.sitdown_messages import (
    Reminder,
    SeriesChange,
    SitdownMessages,
    followup_key,
    holiday_key,
    reminder_key,
    sitdown_key,
    stamp,
)
from bot.sitdown_planning import PlanningPart
from bot.sitdown_rules import (
    MAX_HOLIDAY_NAME,
    Occurrence,
    Planned,
    SeriesDraft,
    check_text,
    next_occurrence,
    occurrence_on,
    occurrences_between,
    reminder_moment,
)
from bot.sitdown_views import HolidayView, PersonalSitdowns, SeriesForPerson, SeriesView
from storage.sitdown import SitdownRepository

__all__ = [
    "AUTOMATIC_SOURCE",
    "ActionOutcome",
    "AgendaPlacement",
    "Reminder",
    "SeriesChange",
    "SeriesSummary",
    "SitdownMessages",
    "SitdownService",
    "UpcomingAgenda",
    "followup_key",
    "holiday_key",
    "reminder_key",
]


UPCOMING = timedelta(days=400)  # how far ahead *Move a meeting* looks for the meetings it offers


@dataclass(frozen=True)
class SeriesSummary:
    series: SeriesView
    next: Occurrence | None
    muted: bool


class SitdownService(PlanningPart, MeetingsPart, FeatureService[SitdownMessages]):
    """The sit-down use cases. It keeps no state beyond what FeatureService is given (sessions, clock,
    settings, the edge's SitdownMessages, the dispatcher's wake-up), so it has no constructor of its own."""

    # --- series ----------------------------------------------------------------------------------------------

    def create_series(self, draft: SeriesDraft, *, by: str) -> SeriesView:
        now = self.clock()
        earliest_today_on_earth = (now - timedelta(hours=12)).date()
        spec, errors = draft.check(earliest_today_on_earth)
        if spec is None:
            raise DraftRejected(errors)
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
            series = repository.add_series(spec, by=by, at=now)
            work.homes_changed(series.owner)
            first = next_occurrence(series.recurrence, {}, repository.holiday_days(), now)
            change = SeriesChange(series, "created", by, first)
            work.send(Outgoing(sitdown_key(series.id, "created"), self._say(change)))
        return series

    def series(self, series_id: int) -> SeriesView | None:
        with self.reading() as work:
            return work.repo(SitdownRepository).series(series_id)

    def summaries(self, user_id: str) -> list[SeriesSummary]:
        now = self.clock()
        with self.reading() as work:
            repository = work.repo(SitdownRepository)
            holidays = repository.holiday_days()
            found = []
            for series in repository.all_series():
                upcoming = next_occurrence(series.recurrence, repository.overrides(series.id), holidays, now)
                found.append(SeriesSummary(series, upcoming, user_id in repository.muted(series.id)))
            return found

    def concerning(self, user_id: str, *, detailed: int = 10) -> PersonalSitdowns:
        """The series that concern this person (they own it, or hold an open action item in it), soonest
        meeting first with the first `detailed` of them in full, and their open action items: their Home."""
        now = self.clock()
        with self.reading() as work:
            repository = work.repo(SitdownRepository)
            found = repository.series_concerning(user_id)
            holidays, overrides = repository.holiday_days(), repository.overrides_of([s.id for s in found])
            upcoming = [
                (series, next_occurrence(series.recurrence, overrides.get(series.id, {}), holidays, now))
                for series in found
            ]
            upcoming.sort(key=lambda pair: (pair[1] is None, pair[1].start if pair[1] else now, pair[0].id))
            shown = [
                SeriesForPerson(
                    series,
                    occurrence,
                    repository.agenda(series.id, occurrence.original) if occurrence else [],
                    user_id in repository.muted(series.id),
                )
                for series, occurrence in upcoming[: max(detailed, 0)]
            ]
            return PersonalSitdowns(shown, len(upcoming), repository.open_actions(owner=user_id))

    def series_counts(self) -> dict[str, int]:
        """How many series are active and how many paused (cancelled ones are not counted)."""
        with self.reading() as work:
            found = work.repo(SitdownRepository).all_series(("active", "paused"))
        return {status: sum(s.status == status for s in found) for status in ("active", "paused")}

    def next_meeting(self, series_id: int) -> Occurrence | None:
        with self.reading() as work:
            repository = work.repo(SitdownRepository)
            series = repository.series(series_id)
            if series is None:
                return None
            overrides = repository.overrides(series_id)
            return next_occurrence(series.recurrence, overrides, repository.holiday_days(), self.clock())

    def _changeable(self, work: UnitOfWork, series_id: int, by: str) -> SeriesView:
        """The series, locked for the change, when it still runs and `by` may change it."""
        series = work.repo(SitdownRepository).series(series_id, lock=True)
        if series is None or series.status == "cancelled":
            raise NotFound()
        if by != series.owner and not self.settings.is_admin(by):
            raise NotAllowed()
        work.homes_changed(series.owner)
        return series

    def skip(self, series_id: int, day: date | None, *, by: str) -> Occurrence:
        now = self.clock()
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
            series = self._changeable(work, series_id, by)
            overrides, holidays = repository.overrides(series_id), repository.holiday_days()
            if day is None:
                target = next_occurrence(series.recurrence, overrides, holidays, now)
            else:
                target = occurrence_on(series.recurrence, overrides, holidays, day, now)
            if target is None:
                raise Rejected("There's no upcoming meeting of this series on that date.")
            if not target.happens:
                raise Rejected("That meeting is already off (skipped, or on a company holiday).")
            meeting = repository.ensure_meeting(series_id, target.original, target.start)
            repository.override(meeting.id, start=target.start, status="skipped", by=by, at=now)
            self._carry_agenda(work, series, target)  # its agenda goes to the next meeting that takes place
            self._withdraw(work, series, [target], f"skipped by {by}")
            change = SeriesChange(series, "skipped", by, target)
            work.send(Outgoing(sitdown_key(series_id, stamp(target.original), "skipped"), self._say(change)))
        return target

    def upcoming(self, series_id: int, count: int = 6) -> list[Occurrence]:
        """The next `count` meetings of the series that will take place (what *Move a meeting* offers)."""
        now = self.clock()
        with self.reading() as work:
            repository = work.repo(SitdownRepository)
            series = repository.series(series_id)
            if series is None:
                return []
            found = occurrences_between(
                series.recurrence, repository.overrides(series_id), repository.holiday_days(), now, now + UPCOMING
            )
            return [occurrence for occurrence in found if occurrence.happens][:count]

    def move(
        self, series_id: int, day: date, at: time, *, by: str, original: datetime | None = None
    ) -> tuple[Occurrence, datetime]:
        """Move a meeting of the series to another local date and time (in the series' zone): the next one, or
        the one first scheduled at `original` (a claim from a form: it must still be to come and take place)."""
        now = self.clock()
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
            series = self._changeable(work, series_id, by)
            holidays = repository.holiday_days()
            overrides = repository.overrides(series_id)
            if original is None:
                target = next_occurrence(series.recurrence, overrides, holidays, now)
                if target is None:
                    raise Rejected("This series has no upcoming meeting to move.")
            else:
                found = occurrences_between(series.recurrence, overrides, holidays, now, now + UPCOMING)
                target = next((o for o in found if o.original == original and o.happens), None)
                if target is None:
                    raise Rejected("That meeting is no longer to come (it passed, or was skipped or cancelled).")
            new_start = series.recurrence.localise(datetime.combine(day, at))
            if new_start <= now:
                raise Rejected("That moment has already passed; pick a later date or time.")
            if day in holidays:
                raise Rejected(f"{day:%Y-%m-%d} is a company holiday; pick another day.")
            if new_start == target.start:
                raise Rejected("The next meeting is already at that time.")
            meeting = repository.ensure_meeting(series_id, target.original, target.start)
            repository.override(meeting.id, start=new_start, status="moved", by=by, at=now)
            self._withdraw(work, series, [target], f"moved by {by}")
            if series.status == "active":  # what falls before the watermark is planned now, the rest by tick
                moved = Occurrence(target.original, new_start, "moved")
                self._write_due(work, series, [moved], now, self._near_watermark(work, series))
            change = SeriesChange(series, "moved", by, target, new_start)
            key = sitdown_key(series_id, stamp(target.original), "moved", stamp(new_start))
            work.send(Outgoing(key, self._say(change)))
        return target, new_start

    def pause(self, series_id: int, *, by: str) -> SeriesView:
        return self._set_status(series_id, "paused", "paused", by)

    def resume(self, series_id: int, *, by: str) -> SeriesView:
        return self._set_status(series_id, "active", "resumed", by)

    def cancel(self, series_id: int, *, by: str) -> SeriesView:
        return self._set_status(series_id, "cancelled", "cancelled", by)

    def _set_status(self, series_id: int, status: str, kind: str, by: str) -> SeriesView:
        now = self.clock()
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
            series = self._changeable(work, series_id, by)
            if series.status == status:
                raise Rejected(f"This series is already {status}.")
            repository.set_status(series_id, status, by=by, at=now)
            if status == "active":
                repository.set_planned_until(series_id, now)  # nothing is owed for the paused time
            else:
                self._withdraw(work, series, self._pending_occurrences(work, series, now), f"{kind} by {by}")
            changed = repository.series(series_id)
            assert changed is not None
            change = SeriesChange(changed, kind, by)
            work.send(Outgoing(sitdown_key(series_id, kind, now.isoformat()), self._say(change)))
        return changed

    def _say(self, change: SeriesChange) -> dict[str, Any]:
        return self.messages.series_changed(change)

    # --- holidays --------------------------------------------------------------------------------------------

    def holidays(self) -> list[HolidayView]:
        with self.reading() as work:
            return work.repo(SitdownRepository).holidays()

    def upcoming_holidays(self, limit: int = 3) -> list[HolidayView]:
        """The next company holidays, from today (UTC) on, soonest first."""
        today = self.clock().date()
        with self.reading() as work:
            return [h for h in work.repo(SitdownRepository).holidays() if h.day >= today][:limit]

    def add_holiday(self, day: date, name: str, *, by: str) -> bool:
        if not self.settings.is_admin(by):
            raise NotAllowed()
        name = check_text(name, MAX_HOLIDAY_NAME, "holiday name") if name.strip() else "Company holiday"
        now = self.clock()
        with self.work(now) as work:
            added = work.repo(SitdownRepository).add_holiday(day, name, by=by, at=now)
            if added:
                self._call_off_for_holiday(work, day)
        return added

    def _call_off_for_holiday(self, work: UnitOfWork, day: date) -> None:
        """A holiday added late: that day's meetings hand their agenda on to the next meeting of their series
        (paused series too); reminders already queued for them are withdrawn, and when the moment of the holiday
        notice is already behind the planning watermark, the channel is told now."""
        repository = work.repo(SitdownRepository)
        holidays = repository.holiday_days()
        for series in repository.all_series(("active", "paused")):
            overrides = repository.overrides(series.id)
            occurrence = occurrence_on(series.recurrence, overrides, holidays, day, work.now)
            if occurrence is None or occurrence.status != "holiday":
                continue
            repository.series(series.id, lock=True)  # held while its agenda moves, as a skip holds it
            self._carry_agenda(work, series, occurrence)
            if series.status != "active":
                continue
            self._withdraw(work, series, [occurrence], "on a company holiday")
            notice_at = reminder_moment(occurrence.start, max(series.lead_minutes, default=0), series.recurrence.tz)
            if notice_at <= self._near_watermark(work, series):  # the tick has gone past it: tell now
                planned = Planned("holiday", occurrence, work.now)
                work.send(self._outgoing(work, series, planned))

    def remove_holiday(self, day: date, *, by: str) -> HolidayView | None:
        if not self.settings.is_admin(by):
            raise NotAllowed()
        now = self.clock()
        with self.work(now) as work:
            removed = work.repo(SitdownRepository).remove_holiday(day)
            if removed is not None:
                self._back_on_after_holiday(work, day, by)
        return removed

    def _back_on_after_holiday(self, work: UnitOfWork, day: date, by: str) -> None:
        """That day's meetings happen again: a holiday notice not sent yet is withdrawn, one already sent is
        corrected in the channel, and reminders behind the planning watermark are planned now."""
        repository = work.repo(SitdownRepository)
        now, holidays = work.now, repository.holiday_days()
        for series in repository.all_series(("active",)):
            overrides = repository.overrides(series.id)
            occurrence = occurrence_on(series.recurrence, overrides, holidays, day, now)
            if occurrence is None or occurrence.status != "scheduled":
                continue
            key = holiday_key(series.id, occurrence)
            withdrawn = work.withdraw([key], reason="withdrawn: the holiday was removed")
            notice = None if withdrawn else work.outbox.get(key)
            if notice is not None and notice.status == "sent":
                change = SeriesChange(series, "back_on", by, occurrence)
                back_on = sitdown_key(series.id, stamp(occurrence.original), "holiday", "back-on", now.isoformat())
                work.send(Outgoing(back_on, self._say(change)))
            self._write_due(work, series, [occurrence], now, self._near_watermark(work, series))

    # --- mutes -----------------------------------------------------------------------------------------------

    def mute(self, series_id: int, user_id: str) -> SeriesView:
        with self.work() as work:
            repository = work.repo(SitdownRepository)
            series = repository.series(series_id)
            if series is None or series.status == "cancelled":
                raise NotFound()
            repository.mute(series_id, user_id, self.clock())
            return series

    def unmute(self, series_id: int, user_id: str) -> SeriesView:
        with self.work() as work:
            repository = work.repo(SitdownRepository)
            series = repository.series(series_id)
            if series is None:
                raise NotFound()
            repository.unmute(series_id, user_id)
            return series

    # --- calendar --------------------------------------------------------------------------------------------

    def calendar_file(self, series_id: int) -> tuple[SeriesView, bytes]:
        now = self.clock()
        with self.reading() as work:
            repository = work.repo(SitdownRepository)
            series = repository.series(series_id)
            if series is None or series.status == "cancelled":
                raise NotFound()
            overrides, holidays = repository.overrides(series_id), repository.holiday_days()
        recurrence = series.recurrence
        year_ahead = occurrences_between(recurrence, overrides, holidays, now, now + timedelta(days=366))
        off = [recurrence.local(o.original).date() for o in year_ahead if not o.happens]
        moved = [(o.original, o.start) for o in year_ahead if o.status == "moved"]
        content = series_calendar(
            series_id=series.id,
            title=series.title,
            recurrence=recurrence,
            duration_minutes=series.duration_minutes,
            video_link=series.video_link,
            description=f"Sit-down between marketing and IT, {recurrence.describe()}. Agenda: /sitdown agenda",
            skipped_local_days=off,
            created_at=series.created_at,
            moved=moved,
        )
        return series, content
