"""Sit-down persistence: series (recurrence + IANA zone), per-occurrence meetings (moves, skips, agenda, notes),
action items, mutes and the company holiday list."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Row, bindparam, select, text, update
from sqlalchemy.orm import Session

from bot.sitdown_rules import Cadence, Override, Recurrence, SeriesSpec
from bot.sitdown_views import ActionItemView, AgendaItemView, HolidayView, MeetingView, NewActionItem, SeriesView
from storage.models import (
    Base,
    OutboxMessage,
    add_flushed,
    dialect_of,
    get_row,
    insert_for,
    is_one_of,
    lock_rows,
    update_rows,
    view_of,
)
from storage.sitdown_models import (
    SitdownActionItem,
    SitdownAgendaItem,
    SitdownHoliday,
    SitdownMeeting,
    SitdownMute,
    SitdownSeries,
)

# PostgreSQL: every series' watermark in one statement (psycopg would send an executemany one row at a time).
_SET_WATERMARKS_POSTGRES = text(
    f"UPDATE {SitdownSeries.__tablename__} AS series SET planned_until = watermark.moment "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:moments AS timestamptz[])) AS watermark(id, moment) "
    "WHERE series.id = watermark.id"
)

_SERIES: Any = SitdownSeries.__table__
# SQLite: one statement built once, run for every series in one executemany.
_SET_WATERMARK_SQLITE = (
    update(_SERIES).where(_SERIES.c.id == bindparam("series_id")).values(planned_until=bindparam("moment"))
)


def _series_view(row: SitdownSeries | Row[Any]) -> SeriesView:
    hours, minutes = (int(part) for part in row.local_time.split(":"))
    recurrence = Recurrence(Cadence(row.cadence), row.weekday, time(hours, minutes), row.zone, row.starts_on, row.nth)
    return view_of(SeriesView, row, recurrence=recurrence, lead_minutes=tuple(row.lead_minutes))


def _meeting_view(row: SitdownMeeting) -> MeetingView:
    return MeetingView(row.id, row.series_id, row.original_start, row.start, row.status, row.notes, row.notes_by)


def _agenda_view(row: SitdownAgendaItem) -> AgendaItemView:
    return AgendaItemView(row.id, row.text, row.source, row.added_by, row.added_at)


def _holiday_view(row: SitdownHoliday) -> HolidayView:
    return HolidayView(row.day, row.name, row.added_by, row.added_at)


def _action_view(row: SitdownActionItem, series: SitdownSeries) -> ActionItemView:
    return view_of(ActionItemView, row, series_title=series.title, zone=series.zone)


class SitdownRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self, model: type[Base]) -> Any:
        return insert_for(self.session, model)

    # --- series ---

    def add_series(self, spec: SeriesSpec, *, by: str, at: datetime) -> SeriesView:
        recurrence = spec.recurrence
        row = SitdownSeries(
            title=spec.title,
            channel_id=spec.channel_id,
            cadence=recurrence.cadence.value,
            weekday=recurrence.weekday,
            nth=recurrence.nth,
            local_time=f"{recurrence.at:%H:%M}",
            zone=recurrence.zone,
            starts_on=recurrence.starts_on,
            duration_minutes=spec.duration_minutes,
            lead_minutes=list(spec.lead_minutes),
            video_link=spec.video_link,
            status="active",
            owner=by,
            created_by=by,
            created_at=at,
            updated_by=by,
            updated_at=at,
            planned_until=at,
        )
        return _series_view(add_flushed(self.session, row))

    def series(self, series_id: int, *, lock: bool = False) -> SeriesView | None:
        """One series; `lock` holds it until commit, so planning and a skip or move apply one after the other."""
        row = get_row(self.session, SitdownSeries, series_id, lock=lock, keep=SitdownSeries.status)
        return _series_view(row) if row else None

    def all_series(self, statuses: tuple[str, ...] = ("active", "paused")) -> list[SeriesView]:
        rows = self.session.scalars(
            select(SitdownSeries).where(SitdownSeries.status.in_(statuses)).order_by(SitdownSeries.id)
        )
        return [_series_view(row) for row in rows]

    def series_concerning(self, user_id: str) -> list[SeriesView]:
        """The running (active or paused) series the person owns or holds an open action item in, by id."""
        with_open_items = select(SitdownActionItem.series_id).where(
            SitdownActionItem.owner == user_id, SitdownActionItem.status == "open"
        )
        rows = self.session.scalars(
            select(SitdownSeries)
            .where(
                SitdownSeries.status.in_(("active", "paused")),
                (SitdownSeries.owner == user_id) | SitdownSeries.id.in_(with_open_items),
            )
            .order_by(SitdownSeries.id)
        )
        return [_series_view(row) for row in rows]

    def set_status(self, series_id: int, status: str, *, by: str, at: datetime) -> None:
        row = self.session.get_one(SitdownSeries, series_id)
        row.status, row.updated_by, row.updated_at = status, by, at

    def set_planned_until(self, series_id: int, moment: datetime) -> None:
        self.session.get_one(SitdownSeries, series_id).planned_until = moment

    def series_to_plan(self, until: datetime, *, after_id: int, limit: int) -> list[SeriesView]:
        """The next `limit` active series (by id, after `after_id`) whose watermark is behind `until`, held until
        commit. PostgreSQL skips the rows another replica is planning; SQLite ignores FOR UPDATE, so its write
        lock is taken first and a skip or move in another process waits for the planning to commit."""
        behind = (
            SitdownSeries.status == "active",
            SitdownSeries.planned_until < until,
            SitdownSeries.id > after_id,
        )
        if dialect_of(self.session) == "sqlite":  # the write lock, writing only the batch's rows (not every later one)
            batch = select(SitdownSeries.id).where(*behind).order_by(SitdownSeries.id).limit(limit)
            lock_rows(self.session, SitdownSeries, SitdownSeries.id.in_(batch), keep=SitdownSeries.status)
        columns = SitdownSeries.__table__  # plain rows: thousands of ORM objects cost more than the planning
        rows = self.session.execute(
            select(columns).where(*behind).order_by(SitdownSeries.id).limit(limit).with_for_update(skip_locked=True)
        )
        return [_series_view(row) for row in rows]

    def set_planned_until_many(self, watermarks: dict[int, datetime]) -> None:
        if not watermarks:
            return
        if dialect_of(self.session) == "postgresql":
            moments = [moment.astimezone(UTC) for moment in watermarks.values()]
            self.session.execute(_SET_WATERMARKS_POSTGRES, {"ids": list(watermarks), "moments": moments})
            return
        rows = [{"series_id": series_id, "moment": moment} for series_id, moment in watermarks.items()]
        self.session.execute(_SET_WATERMARK_SQLITE, rows)  # Core's executemany: the ORM's bulk UPDATE costs more

    # --- meetings (occurrences with something attached) ---

    def overrides(self, series_id: int) -> dict[datetime, Override]:
        return self.overrides_of([series_id]).get(series_id, {})

    def overrides_of(self, series_ids: list[int]) -> dict[int, dict[datetime, Override]]:
        """The moves and skips of each of these series (ids without any are left out)."""
        rows = self.session.scalars(
            select(SitdownMeeting).where(
                is_one_of(self.session, SitdownMeeting.series_id, series_ids),
                SitdownMeeting.status.in_(("moved", "skipped")),
            )
        )
        found: dict[int, dict[datetime, Override]] = {}
        for row in rows:
            override = Override(row.original_start, row.start, row.status)
            found.setdefault(row.series_id, {})[row.original_start] = override
        return found

    def meeting(self, meeting_id: int) -> MeetingView | None:
        row = self.session.get(SitdownMeeting, meeting_id)
        return _meeting_view(row) if row else None

    def find_meeting(self, series_id: int, original: datetime) -> MeetingView | None:
        row = self._meeting_row(series_id, original)
        return _meeting_view(row) if row else None

    def _meeting_row(self, series_id: int, original: datetime) -> SitdownMeeting | None:
        return self.session.scalar(
            select(SitdownMeeting).where(
                SitdownMeeting.series_id == series_id, SitdownMeeting.original_start == original
            )
        )

    def ensure_meeting(self, series_id: int, original: datetime, start: datetime) -> MeetingView:
        """The meeting row of an occurrence, created when absent (safely when two requests race)."""
        statement = (
            self._insert(SitdownMeeting)
            .values(series_id=series_id, original_start=original, start=start, status="scheduled")
            .on_conflict_do_nothing(index_elements=["series_id", "original_start"])
        )
        self.session.execute(statement)
        row = self._meeting_row(series_id, original)
        assert row is not None
        return _meeting_view(row)

    def override(self, meeting_id: int, *, start: datetime, status: str, by: str, at: datetime) -> None:
        row = self.session.get_one(SitdownMeeting, meeting_id)
        row.start, row.status, row.changed_by, row.changed_at = start, status, by, at

    def save_notes(self, meeting_id: int, notes: str, *, by: str, at: datetime) -> None:
        row = self.session.get_one(SitdownMeeting, meeting_id)
        row.notes, row.notes_by, row.notes_at = notes, by, at

    # --- agenda ---

    def add_agenda_item(self, meeting_id: int, text: str, *, source: str, by: str, at: datetime) -> AgendaItemView:
        row = SitdownAgendaItem(meeting_id=meeting_id, text=text, source=source, added_by=by, added_at=at)
        return _agenda_view(add_flushed(self.session, row))

    def agenda(self, series_id: int, original: datetime) -> list[AgendaItemView]:
        rows = self.session.scalars(
            select(SitdownAgendaItem)
            .join(SitdownMeeting, SitdownMeeting.id == SitdownAgendaItem.meeting_id)
            .where(SitdownMeeting.series_id == series_id, SitdownMeeting.original_start == original)
            .order_by(SitdownAgendaItem.id)
        )
        return [_agenda_view(row) for row in rows]

    def hand_on_agenda(self, from_meeting_id: int, to_meeting_id: int) -> int:
        """Every agenda item of one meeting now belongs to another, as it is: text, source, who added it and
        when (and its id, which keeps the order). How many items moved."""
        return update_rows(
            self.session,
            SitdownAgendaItem,
            SitdownAgendaItem.meeting_id == from_meeting_id,
            meeting_id=to_meeting_id,
        )

    # --- mutes ---

    def mute(self, series_id: int, user_id: str, at: datetime) -> bool:
        statement = (
            self._insert(SitdownMute)
            .values(series_id=series_id, user_id=user_id, muted_at=at)
            .on_conflict_do_nothing(index_elements=["series_id", "user_id"])
            .returning(SitdownMute.id)
        )
        return self.session.execute(statement).first() is not None

    def unmute(self, series_id: int, user_id: str) -> bool:
        row = self.session.scalar(
            select(SitdownMute).where(SitdownMute.series_id == series_id, SitdownMute.user_id == user_id)
        )
        if row is None:
            return False
        self.session.delete(row)
        return True

    def muted(self, series_id: int) -> set[str]:
        return set(self.session.scalars(select(SitdownMute.user_id).where(SitdownMute.series_id == series_id)))

    # --- action items ---

    def add_action(
        self, series_id: int, meeting_id: int | None, item: NewActionItem, *, by: str, at: datetime
    ) -> ActionItemView:
        row = SitdownActionItem(
            series_id=series_id,
            meeting_id=meeting_id,
            **dataclasses.asdict(item),
            status="open",
            reminder_planned=False,
            created_by=by,
            created_at=at,
        )
        return _action_view(add_flushed(self.session, row), self.session.get_one(SitdownSeries, series_id))

    def action(self, item_id: int) -> ActionItemView | None:
        row = self.session.get(SitdownActionItem, item_id)
        return _action_view(row, self.session.get_one(SitdownSeries, row.series_id)) if row else None

    def open_actions(self, *, series_id: int | None = None, owner: str | None = None) -> list[ActionItemView]:
        statement = (
            select(SitdownActionItem, SitdownSeries)
            .join(SitdownSeries, SitdownSeries.id == SitdownActionItem.series_id)
            .where(SitdownActionItem.status == "open", SitdownSeries.status != "cancelled")
            .order_by(SitdownActionItem.due_on, SitdownActionItem.id)
        )
        if series_id is not None:
            statement = statement.where(SitdownActionItem.series_id == series_id)
        if owner is not None:
            statement = statement.where(SitdownActionItem.owner == owner)
        return [_action_view(item, series) for item, series in self.session.execute(statement)]

    def complete_action(self, item_id: int, *, by: str, at: datetime) -> None:
        row = self.session.get_one(SitdownActionItem, item_id)
        row.status, row.done_by, row.done_at = "done", by, at

    def actions_needing_reminder(self, due_by: date) -> list[ActionItemView]:
        statement = (
            select(SitdownActionItem, SitdownSeries)
            .join(SitdownSeries, SitdownSeries.id == SitdownActionItem.series_id)
            .where(
                SitdownActionItem.status == "open",
                SitdownActionItem.reminder_planned.is_(False),
                SitdownSeries.status != "cancelled",
                SitdownActionItem.due_on <= due_by,
            )
            .order_by(SitdownActionItem.id)
        )
        return [_action_view(item, series) for item, series in self.session.execute(statement)]

    def mark_action_reminder_planned(self, item_id: int) -> None:
        self.session.get_one(SitdownActionItem, item_id).reminder_planned = True

    # --- messages Slack refused ---

    def failed_channel_posts(self, since: datetime) -> list[tuple[int, str, str, datetime]]:
        """(series id, channel, error, when) of series messages to channels that failed for good since `since`."""
        rows = self.session.execute(
            select(OutboxMessage.key, OutboxMessage.payload, OutboxMessage.last_error, OutboxMessage.created_at).where(
                OutboxMessage.key.like("sitdown:%"),
                OutboxMessage.status == "failed",
                OutboxMessage.created_at >= since,
            )
        )
        found = []
        for key, payload, error, created_at in rows:
            series_id, channel = key.split(":")[1], str((payload or {}).get("channel") or "")
            if series_id.isdigit() and channel[:1] in ("C", "G"):
                found.append((int(series_id), channel, error or "no reason given", created_at))
        return found

    # --- holidays ---

    def holidays(self) -> list[HolidayView]:
        rows = self.session.scalars(select(SitdownHoliday).order_by(SitdownHoliday.day))
        return [_holiday_view(row) for row in rows]

    def holiday_days(self) -> set[date]:
        return set(self.session.scalars(select(SitdownHoliday.day)))

    def add_holiday(self, day: date, name: str, *, by: str, at: datetime) -> bool:
        statement = (
            self._insert(SitdownHoliday)
            .values(day=day, name=name, added_by=by, added_at=at)
            .on_conflict_do_nothing(index_elements=["day"])
            .returning(SitdownHoliday.id)
        )
        return self.session.execute(statement).first() is not None

    def remove_holiday(self, day: date) -> HolidayView | None:
        row = self.session.scalar(select(SitdownHoliday).where(SitdownHoliday.day == day))
        if row is None:
            return None
        view = _holiday_view(row)
        self.session.delete(row)
        return view


__all__ = [
    "SitdownActionItem",
    "SitdownAgendaItem",
    "SitdownHoliday",
    "SitdownMeeting",
    "SitdownMute",
    "SitdownRepository",
    "SitdownSeries",
]
