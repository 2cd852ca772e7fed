"""Sit-down use cases: series, skips and moves, holidays, reminders through the outbox, agenda, action items.

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

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.notify import Outgoing, enqueue, enqueue_many
from bot.outcomes import DraftRejected, NotAllowed, NotFound, Rejected
from bot.sitdown_calendar import series_calendar
from bot.sitdown_rules import (
    MAX_ACTION,
    MAX_AGENDA,
    MAX_HOLIDAY_NAME,
    MAX_NOTES,
    Category,
    Occurrence,
    Planned,
    SeriesDraft,
    action_reminder_moment,
    check_text,
    end_of_day,
    next_occurrence,
    occurrence_on,
    occurrences_between,
    plan,
    plan_through,
    planning_bounds,
    reminder_moment,
)
from bot.sitdown_views import ActionItemView, AgendaItemView, HolidayView, MeetingView, SeriesView
from storage.outbox import OutboxRepository
from storage.sitdown import SitdownRepository

log = logging.getLogger(__name__)

PLAN_AHEAD = timedelta(minutes=2)
PLAN_BATCH = 500  # series planned per transaction
REPORT_FAILURES_SINCE = timedelta(days=1)
AUTOMATIC_SOURCE = "automatic"


class SitdownMessages(Protocol):
    """What the bot says on its own about sit-downs; rendered at the Slack edge, sent through the outbox."""

    def reminder(self, reminder: Reminder) -> dict[str, Any]: ...

    def holiday_notice(self, series: SeriesView, occurrence: Occurrence, holiday: str) -> dict[str, Any]: ...

    def followup(self, series: SeriesView, meeting: MeetingView) -> dict[str, Any]: ...

    def action_due(self, item: ActionItemView) -> dict[str, Any]: ...

    def action_assigned(self, item: ActionItemView) -> dict[str, Any]: ...

    def series_changed(self, change: SeriesChange) -> dict[str, Any]: ...

    def notes_shared(self, series: SeriesView, meeting: MeetingView) -> dict[str, Any]: ...

    def undeliverable(self, series: SeriesView, channel: str, error: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Reminder:
    series: SeriesView
    occurrence: Occurrence
    lead_minutes: int
    agenda: list[AgendaItemView]
    open_actions: list[ActionItemView]
    heads_up: list[str]
    muted: frozenset[str] = frozenset()  # named without a mention: a mention would ping them


@dataclass(frozen=True)
class SeriesChange:
    series: SeriesView
    kind: str  # created, skipped, moved, paused, resumed, cancelled, back_on (a holiday removed)
    by: str
    occurrence: Occurrence | None = None
    new_start: datetime | None = None


@dataclass(frozen=True)
class SeriesSummary:
    series: SeriesView
    next: Occurrence | None
    muted: bool


@dataclass(frozen=True)
class AgendaPlacement:
    """Where an agenda item went: which series, which meeting."""

    series_id: int
    title: str
    channel_id: str
    starts_at: datetime
    item_id: int


@dataclass(frozen=True)
class UpcomingAgenda:
    series: SeriesView
    occurrence: Occurrence
    items: list[AgendaItemView]


@dataclass(frozen=True)
class ActionOutcome:
    item: ActionItemView
    changed: bool


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%MZ}"


def reminder_key(series_id: int, occurrence: Occurrence, lead_minutes: int) -> str:
    return f"sitdown:{series_id}:{_stamp(occurrence.original)}:at:{_stamp(occurrence.start)}:{lead_minutes}m"


def followup_key(series_id: int, occurrence: Occurrence) -> str:
    return f"sitdown:{series_id}:{_stamp(occurrence.original)}:at:{_stamp(occurrence.start)}:followup"


def holiday_key(series_id: int, occurrence: Occurrence) -> str:
    return f"sitdown:{series_id}:{_stamp(occurrence.original)}:holiday"


class SitdownService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        messages: SitdownMessages,
        wake_outbox: Callable[[], None],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.messages = messages
        self.wake_outbox = wake_outbox

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.settings.reminder_grace_minutes)

    # --- series ----------------------------------------------------------------------------------------------

    def create_series(self, draft: SeriesDraft, *, by: str) -> SeriesView:
        now = self.clock()
        earliest_today_on_earth = (now - timedelta(hours=12)).date()
        spec, errors = draft.check(earliest_today_on_earth)
        if spec is None:
            raise DraftRejected(errors)
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            series = repository.add_series(spec, by=by, at=now)
            first = next_occurrence(series.recurrence, {}, repository.holiday_days(), now)
            change = SeriesChange(series, "created", by, first)
            enqueue(session, Outgoing(f"sitdown:{series.id}:created", self._say(change)), now)
        self.wake_outbox()
        return series

    def series(self, series_id: int) -> SeriesView | None:
        with self.sessions() as session:
            return SitdownRepository(session).series(series_id)

    def summaries(self, user_id: str) -> list[SeriesSummary]:
        now = self.clock()
        with self.sessions() as session:
            repository = SitdownRepository(session)
            holidays = repository.holiday_days()
            found = []
            for series in repository.all_series():
                upcoming = next_occurrence(series.recurrence, repository.overrides(series.id), holidays, now)
                found.append(SeriesSummary(series, upcoming, user_id in repository.muted(series.id)))
            return found

    def next_meeting(self, series_id: int) -> Occurrence | None:
        with self.sessions() as session:
            repository = SitdownRepository(session)
            series = repository.series(series_id)
            if series is None:
                return None
            overrides = repository.overrides(series_id)
            return next_occurrence(series.recurrence, overrides, repository.holiday_days(), self.clock())

    def _changeable(self, repository: SitdownRepository, series_id: int, by: str) -> SeriesView:
        series = repository.series(series_id, lock=True)
        if series is None or series.status == "cancelled":
            raise NotFound()
        if by != series.owner and not self.settings.is_admin(by):
            raise NotAllowed()
        return series

    def skip(self, series_id: int, day: date | None, *, by: str) -> Occurrence:
        now = self.clock()
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            series = self._changeable(repository, series_id, by)
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
            self._withdraw(session, series, [target], f"skipped by {by}")
            change = SeriesChange(series, "skipped", by, target)
            enqueue(session, Outgoing(f"sitdown:{series_id}:{_stamp(target.original)}:skipped", self._say(change)), now)
        self.wake_outbox()
        return target

    def move(self, series_id: int, day: date, at: time, *, by: str) -> tuple[Occurrence, datetime]:
        """Move the next meeting of the series to another local date and time (in the series' zone)."""
        now = self.clock()
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            series = self._changeable(repository, series_id, by)
            holidays = repository.holiday_days()
            target = next_occurrence(series.recurrence, repository.overrides(series_id), holidays, now)
            if target is None:
                raise Rejected("This series has no upcoming meeting to move.")
            new_start = series.recurrence.localise(datetime.combine(day, at))
            if new_start <= now:
                raise Rejected("That moment has already passed; pick a later date or time.")
            if day in holidays:
                raise Rejected(f"{day:%Y-%m-%d} is a company holiday; pick another day.")
            if new_start == target.start:
                raise Rejected("The next meeting is already at that time.")
            meeting = repository.ensure_meeting(series_id, target.original, target.start)
            repository.override(meeting.id, start=new_start, status="moved", by=by, at=now)
            self._withdraw(session, series, [target], f"moved by {by}")
            if series.status == "active":  # what falls before the watermark is planned now, the rest by tick
                moved = Occurrence(target.original, new_start, "moved")
                self._write_due(session, repository, series, [moved], now, self._near_watermark(repository, series))
            change = SeriesChange(series, "moved", by, target, new_start)
            key = f"sitdown:{series_id}:{_stamp(target.original)}:moved:{_stamp(new_start)}"
            enqueue(session, Outgoing(key, self._say(change)), now)
        self.wake_outbox()
        return target, new_start

    def pause(self, series_id: int, *, by: str) -> SeriesView:
        return self._set_status(series_id, "paused", "paused", by)

    def resume(self, series_id: int, *, by: str) -> SeriesView:
        return self._set_status(series_id, "active", "resumed", by)

    def cancel(self, series_id: int, *, by: str) -> SeriesView:
        return self._set_status(series_id, "cancelled", "cancelled", by)

    def _set_status(self, series_id: int, status: str, kind: str, by: str) -> SeriesView:
        now = self.clock()
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            series = self._changeable(repository, series_id, by)
            if series.status == status:
                raise Rejected(f"This series is already {status}.")
            repository.set_status(series_id, status, by=by, at=now)
            if status == "active":
                repository.set_planned_until(series_id, now)  # nothing is owed for the paused time
            else:
                self._withdraw(session, series, self._pending_occurrences(repository, series, now), f"{kind} by {by}")
            changed = repository.series(series_id)
            assert changed is not None
            change = SeriesChange(changed, kind, by)
            enqueue(session, Outgoing(f"sitdown:{series_id}:{kind}:{now.isoformat()}", self._say(change)), now)
        self.wake_outbox()
        return changed

    def _pending_occurrences(
        self, repository: SitdownRepository, series: SeriesView, now: datetime
    ) -> list[Occurrence]:
        low, high = planning_bounds(now, series.planned_until, series.lead_minutes, series.duration_minutes)
        overrides, holidays = repository.overrides(series.id), repository.holiday_days()
        return occurrences_between(series.recurrence, overrides, holidays, low, high)

    def _withdraw(self, session: Session, series: SeriesView, occurrences: Iterable[Occurrence], why: str) -> None:
        """Messages already queued for meetings that no longer happen as planned are recorded as not sent."""
        keys: list[str] = []
        for occurrence in occurrences:
            keys += [reminder_key(series.id, occurrence, lead) for lead in series.lead_minutes]
            keys += [followup_key(series.id, occurrence), holiday_key(series.id, occurrence)]
        OutboxRepository(session).withdraw(keys, reason=f"withdrawn: meeting {why}")

    def _near_watermark(self, repository: SitdownRepository, series: SeriesView) -> datetime:
        """How far a change writes new messages itself (the tick writes the rest when they come near): the
        series' watermark, pulled back to PLAN_AHEAD from now when it had jumped further, so that what the change
        makes due is rendered just before it goes, as every reminder is."""
        near = min(series.planned_until, self.clock() + PLAN_AHEAD)
        if near < series.planned_until:
            repository.set_planned_until(series.id, near)
        return near

    def _say(self, change: SeriesChange) -> dict[str, Any]:
        return self.messages.series_changed(change)

    # --- holidays --------------------------------------------------------------------------------------------

    def holidays(self) -> list[HolidayView]:
        with self.sessions() as session:
            return SitdownRepository(session).holidays()

    def add_holiday(self, day: date, name: str, *, by: str) -> bool:
        if not self.settings.is_admin(by):
            raise NotAllowed()
        name = check_text(name, MAX_HOLIDAY_NAME, "holiday name") if name.strip() else "Company holiday"
        now = self.clock()
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            added = repository.add_holiday(day, name, by=by, at=now)
            told = added and self._call_off_for_holiday(session, repository, day, now)
        if told:
            self.wake_outbox()
        return added

    def _call_off_for_holiday(self, session: Session, repository: SitdownRepository, day: date, now: datetime) -> bool:
        """A holiday added late: reminders already queued for that day's meetings are withdrawn, and when the
        moment of the holiday notice is already behind the planning watermark, the channel is told now."""
        told = False
        holidays = repository.holiday_days()
        for series in repository.all_series(("active",)):
            overrides = repository.overrides(series.id)
            occurrence = occurrence_on(series.recurrence, overrides, holidays, day, now)
            if occurrence is None or occurrence.status != "holiday":
                continue
            self._withdraw(session, series, [occurrence], "on a company holiday")
            notice_at = reminder_moment(occurrence.start, max(series.lead_minutes, default=0), series.recurrence.tz)
            if notice_at <= self._near_watermark(repository, series):  # the tick has gone past it: tell now
                planned = Planned("holiday", occurrence, now)
                told |= enqueue(session, self._outgoing(repository, series, planned), now)
        return told

    def remove_holiday(self, day: date, *, by: str) -> HolidayView | None:
        if not self.settings.is_admin(by):
            raise NotAllowed()
        now = self.clock()
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            removed = repository.remove_holiday(day)
            told = removed is not None and self._back_on_after_holiday(session, repository, day, now, by)
        if told:
            self.wake_outbox()
        return removed

    def _back_on_after_holiday(
        self, session: Session, repository: SitdownRepository, day: date, now: datetime, by: str
    ) -> bool:
        """That day's meetings happen again: a holiday notice not sent yet is withdrawn, one already sent is
        corrected in the channel, and reminders behind the planning watermark are planned now."""
        told = False
        outbox, holidays = OutboxRepository(session), repository.holiday_days()
        for series in repository.all_series(("active",)):
            overrides = repository.overrides(series.id)
            occurrence = occurrence_on(series.recurrence, overrides, holidays, day, now)
            if occurrence is None or occurrence.status != "scheduled":
                continue
            key = holiday_key(series.id, occurrence)
            notice = None if outbox.withdraw([key], reason="withdrawn: the holiday was removed") else outbox.get(key)
            if notice is not None and notice.status == "sent":
                change = SeriesChange(series, "back_on", by, occurrence)
                key = f"{holiday_key(series.id, occurrence)}:back-on:{now.isoformat()}"
                told |= enqueue(session, Outgoing(key, self._say(change)), now)
            near = self._near_watermark(repository, series)
            told |= self._write_due(session, repository, series, [occurrence], now, near)
        return told

    # --- mutes -----------------------------------------------------------------------------------------------

    def mute(self, series_id: int, user_id: str) -> SeriesView:
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            series = repository.series(series_id)
            if series is None or series.status == "cancelled":
                raise NotFound()
            repository.mute(series_id, user_id, self.clock())
            return series

    def unmute(self, series_id: int, user_id: str) -> SeriesView:
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            series = repository.series(series_id)
            if series is None:
                raise NotFound()
            repository.unmute(series_id, user_id)
            return series

    # --- agenda ----------------------------------------------------------------------------------------------

    def add_to_next_agenda(
        self, text: str, added_by: str, *, channel: str | None = None, source: str = AUTOMATIC_SOURCE
    ) -> AgendaPlacement | None:
        """For other features (e.g. /newproject's intakes): put an item on the next sit-down's agenda.

        With a channel: the soonest active series there. Without: the soonest in the joint channel, else the
        soonest of all. None when there is no active series to add to."""
        text = text.strip()[:MAX_AGENDA] or "(no description)"
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            candidates = self._soonest(repository, channel)
            if not candidates:
                return None
            series, occurrence = candidates[0]
            return self._add_agenda_item(repository, series, occurrence, text, added_by, source)

    def add_agenda_in_channel(self, text: str, *, by: str, channel: str) -> AgendaPlacement | None:
        text = check_text(text, MAX_AGENDA, "agenda item")
        return self.add_to_next_agenda(text, by, channel=channel, source="person")

    def next_agenda_in_channel(self, channel: str) -> UpcomingAgenda | None:
        with self.sessions() as session:
            repository = SitdownRepository(session)
            candidates = self._soonest(repository, channel)
            if not candidates:
                return None
            series, occurrence = candidates[0]
            return UpcomingAgenda(series, occurrence, repository.agenda(series.id, occurrence.original))

    def add_agenda_to_series(self, series_id: int, text: str, *, by: str) -> AgendaPlacement:
        text = check_text(text, MAX_AGENDA, "agenda item")
        now = self.clock()
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            series = repository.series(series_id)
            if series is None or series.status == "cancelled":
                raise NotFound()
            upcoming = next_occurrence(
                series.recurrence, repository.overrides(series_id), repository.holiday_days(), now
            )
            if upcoming is None:
                raise Rejected("This series has no upcoming meeting.")
            return self._add_agenda_item(repository, series, upcoming, text, by, "person")

    def _soonest(self, repository: SitdownRepository, channel: str | None) -> list[tuple[SeriesView, Occurrence]]:
        now, holidays = self.clock(), repository.holiday_days()
        active = repository.all_series(("active",))
        wanted = channel or self.settings.joint_channel
        pool = [s for s in active if s.channel_id == wanted] if wanted else []
        if not pool and channel is None:
            pool = active
        upcoming = []
        for series in pool:
            found = next_occurrence(series.recurrence, repository.overrides(series.id), holidays, now)
            if found is not None:
                upcoming.append((series, found))
        return sorted(upcoming, key=lambda pair: (pair[1].start, pair[0].id))

    def _add_agenda_item(
        self,
        repository: SitdownRepository,
        series: SeriesView,
        occurrence: Occurrence,
        text: str,
        by: str,
        source: str,
    ) -> AgendaPlacement:
        meeting = repository.ensure_meeting(series.id, occurrence.original, occurrence.start)
        item = repository.add_agenda_item(meeting.id, text, source=source, by=by, at=self.clock())
        return AgendaPlacement(series.id, series.title, series.channel_id, occurrence.start, item.id)

    def agenda(self, series_id: int, occurrence: Occurrence) -> list[AgendaItemView]:
        with self.sessions() as session:
            return SitdownRepository(session).agenda(series_id, occurrence.original)

    # --- notes and action items ------------------------------------------------------------------------------

    def meeting(self, meeting_id: int) -> tuple[SeriesView, MeetingView] | None:
        with self.sessions() as session:
            repository = SitdownRepository(session)
            meeting = repository.meeting(meeting_id)
            series = repository.series(meeting.series_id) if meeting else None
            return (series, meeting) if series and meeting else None

    def save_notes(self, meeting_id: int, notes: str, *, by: str) -> MeetingView:
        """Store the notes and share them in the series' channel (every save is shared: notes get corrected)."""
        notes = check_text(notes, MAX_NOTES, "notes")
        now = self.clock()
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            meeting = repository.meeting(meeting_id)
            series = repository.series(meeting.series_id) if meeting else None
            if meeting is None or series is None:
                raise NotFound()
            repository.save_notes(meeting_id, notes, by=by, at=now)
            saved = repository.meeting(meeting_id)
            assert saved is not None
            key = f"sitdown:meeting:{meeting_id}:notes:{now.isoformat()}"
            enqueue(session, Outgoing(key, self.messages.notes_shared(series, saved)), now)
        self.wake_outbox()
        return saved

    def add_action(
        self, meeting_id: int, *, text: str, owner: str, due_on: date | None, category: str, by: str
    ) -> ActionItemView:
        now = self.clock()
        errors: dict[str, str] = {}
        try:
            text = check_text(text, MAX_ACTION, "action item")
        except Rejected as error:
            errors["text"] = str(error)
        if not owner:
            errors["owner"] = "Pick who owns this item."
        if category not in tuple(Category):
            errors["category"] = "Pick immediate or long-term."
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            meeting = repository.meeting(meeting_id)
            series = repository.series(meeting.series_id) if meeting else None
            if meeting is None or series is None or series.status == "cancelled":
                raise NotFound()
            today = series.recurrence.local(now).date()
            if due_on is None:
                errors["due_on"] = "Pick a due date."
            elif due_on < today:
                errors["due_on"] = "The due date is in the past; pick today or later."
            if errors:
                raise DraftRejected(errors)
            assert due_on is not None
            item = repository.add_action(
                series_id=series.id,
                meeting_id=meeting_id,
                text=text,
                owner=owner,
                due_on=due_on,
                category=category,
                by=by,
                at=now,
            )
            told = owner != by and owner not in repository.muted(series.id)
            if told:
                enqueue(
                    session, Outgoing(f"sitdown:action:{item.id}:assigned", self.messages.action_assigned(item)), now
                )
        if told:
            self.wake_outbox()
        return item

    def open_actions(self, owner: str | None = None) -> list[ActionItemView]:
        with self.sessions() as session:
            return SitdownRepository(session).open_actions(owner=owner)

    def complete_action(self, item_id: int, *, by: str) -> ActionOutcome:
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            item = repository.action(item_id)
            if item is None:
                raise NotFound()
            series = repository.series(item.series_id)
            allowed = {item.owner, item.created_by, series.owner if series else ""}
            if by not in allowed and not self.settings.is_admin(by):
                raise NotAllowed()
            if item.status == "done":
                return ActionOutcome(item, False)
            repository.complete_action(item_id, by=by, at=self.clock())
            OutboxRepository(session).withdraw([f"sitdown:action:{item_id}:due"], reason=f"withdrawn: done by {by}")
            done = repository.action(item_id)
            assert done is not None
            return ActionOutcome(done, True)

    # --- calendar --------------------------------------------------------------------------------------------

    def calendar_file(self, series_id: int) -> tuple[SeriesView, bytes]:
        now = self.clock()
        with self.sessions() as session:
            repository = SitdownRepository(session)
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

    # --- planning ----------------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Write this feature's due reminders into the outbox (idempotent by key)."""
        now = self.clock()
        until = now + PLAN_AHEAD
        wrote, after_id = False, 0
        while True:
            last_id, wrote_batch = self._plan_batch(now, until, after_id)
            wrote |= wrote_batch
            if last_id is None:
                break
            after_id = last_id
        wrote |= self._plan_action_reminders(now, until)
        wrote |= self._report_undeliverable(now)
        if wrote:
            self.wake_outbox()

    def _plan_batch(self, now: datetime, until: datetime, after_id: int) -> tuple[int | None, bool]:
        """Plan, in one transaction, the next batch of series whose watermark is behind `until`: the last series
        id planned (None when none was left), and whether anything was written."""
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            batch = repository.series_to_plan(until, after_id=after_id, limit=PLAN_BATCH)
            if not batch:
                return None, False
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
                messages += [self._outgoing(repository, series, planned) for planned in due]
            wrote = enqueue_many(session, messages, now) > 0
            repository.set_planned_until_many(watermarks)
            return batch[-1].id, wrote

    def _write_due(
        self,
        session: Session,
        repository: SitdownRepository,
        series: SeriesView,
        occurrences: list[Occurrence],
        after: datetime,
        until: datetime,
    ) -> bool:
        now = self.clock()
        wrote = False
        leads, zone = series.lead_minutes, series.recurrence.tz
        for planned in plan(occurrences, leads, series.duration_minutes, after, until, zone):
            wrote |= enqueue(session, self._outgoing(repository, series, planned), now)
        return wrote

    def _outgoing(self, repository: SitdownRepository, series: SeriesView, planned: Planned) -> Outgoing:
        occurrence = planned.occurrence
        if planned.kind == "reminder":
            payload = self.messages.reminder(self._reminder(repository, series, occurrence, planned.lead_minutes))
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

    def _reminder(
        self, repository: SitdownRepository, series: SeriesView, occurrence: Occurrence, lead: int
    ) -> Reminder:
        agenda = repository.agenda(series.id, occurrence.original)
        actions = repository.open_actions(series_id=series.id)
        muted = repository.muted(series.id)
        people = [series.owner, *(item.added_by for item in agenda if item.source == "person")]
        people += [item.owner for item in actions]
        heads_up = [person for person in dict.fromkeys(people) if person not in muted]
        return Reminder(series, occurrence, lead, agenda, actions, heads_up, frozenset(muted))

    def _report_undeliverable(self, now: datetime) -> bool:
        """No silent failures: when Slack refuses a series' channel message for good (typically not_in_channel),
        the series' owner hears it by DM, once per series and day."""
        wrote = False
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            for series_id, channel, error, failed_at in repository.failed_channel_posts(now - REPORT_FAILURES_SINCE):
                series = repository.series(series_id)
                if series is None:
                    continue
                key = f"sitdown:{series_id}:undeliverable:{failed_at:%Y-%m-%d}"
                wrote |= enqueue(session, Outgoing(key, self.messages.undeliverable(series, channel, error)), now)
        return wrote

    def _plan_action_reminders(self, now: datetime, until: datetime) -> bool:
        wrote = False
        with self.sessions.begin() as session:
            repository = SitdownRepository(session)
            for item in repository.actions_needing_reminder(due_by=(until + timedelta(days=1)).date()):
                moment = action_reminder_moment(item.due_on, item.zone)
                if moment > until:
                    continue
                repository.mark_action_reminder_planned(item.id)
                if item.owner in repository.muted(item.series_id):
                    continue
                outgoing = Outgoing(
                    f"sitdown:action:{item.id}:due",
                    self.messages.action_due(item),
                    due_at=moment,
                    expire_at=end_of_day(item.due_on, item.zone),
                )
                wrote |= enqueue(session, outgoing, now)
        return wrote
