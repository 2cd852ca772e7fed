"""What a sit-down meeting is about: its agenda, its notes and its action items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.kit import FeatureService, UnitOfWork
from bot.notify import Outgoing
from bot.outcomes import DraftRejected, NotAllowed, NotFound, Rejected
from bot.sitdown_messages import SitdownMessages, action_key, sitdown_key
from bot.sitdown_rules import MAX_ACTION, MAX_AGENDA, MAX_NOTES, Category, Occurrence, check_text, next_occurrence
from bot.sitdown_views import ActionItemView, AgendaItemView, MeetingView, NewActionItem, SeriesView
from storage.sitdown import SitdownRepository

AUTOMATIC_SOURCE = "automatic"


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


class MeetingsPart(FeatureService[SitdownMessages]):
    """The agenda, notes and action items of the sit-down service."""

    # --- agenda ----------------------------------------------------------------------------------------------

    def add_to_next_agenda(
        self, text: str, added_by: str, *, channel: str | None = None, source: str = AUTOMATIC_SOURCE
    ) -> AgendaPlacement | None:
        """For other features (e.g. /newproject's intakes): put an item on the next sit-down's agenda.

        With a channel: the soonest active series there. Without: the soonest in the joint channel, else the
        soonest of all. None when there is no active series to add to."""
        text = text.strip()[:MAX_AGENDA] or "(no description)"
        with self.work() as work:
            candidates = self._soonest(work, channel)
            if not candidates:
                return None
            series = work.repo(SitdownRepository).series(candidates[0][0].id, lock=True)
            return self._add_agenda_item(work, series, text, added_by, source) if series else None

    def add_agenda_in_channel(self, text: str, *, by: str, channel: str) -> AgendaPlacement | None:
        text = check_text(text, MAX_AGENDA, "agenda item")
        return self.add_to_next_agenda(text, by, channel=channel, source="person")

    def next_agenda_in_channel(self, channel: str) -> UpcomingAgenda | None:
        with self.reading() as work:
            candidates = self._soonest(work, channel)
            if not candidates:
                return None
            series, occurrence = candidates[0]
            items = work.repo(SitdownRepository).agenda(series.id, occurrence.original)
            return UpcomingAgenda(series, occurrence, items)

    def add_agenda_to_series(self, series_id: int, text: str, *, by: str) -> AgendaPlacement:
        text = check_text(text, MAX_AGENDA, "agenda item")
        now = self.clock()
        with self.work(now) as work:
            series = work.repo(SitdownRepository).series(series_id, lock=True)
            if series is None or series.status == "cancelled":
                raise NotFound()
            placed = self._add_agenda_item(work, series, text, by, "person")
            if placed is None:
                raise Rejected("This series has no upcoming meeting.")
            return placed

    def _soonest(self, work: UnitOfWork, channel: str | None) -> list[tuple[SeriesView, Occurrence]]:
        repository = work.repo(SitdownRepository)
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
        self, work: UnitOfWork, series: SeriesView, text: str, by: str, source: str
    ) -> AgendaPlacement | None:
        """Add the item to the series' next meeting that takes place; None when it has none. The caller holds
        the series (`lock=True`), as a skip or a holiday does while it carries an agenda on, and the next meeting
        is read after that: an item never lands on a meeting that was called off meanwhile."""
        repository = work.repo(SitdownRepository)
        now = self.clock()
        occurrence = next_occurrence(series.recurrence, repository.overrides(series.id), repository.holiday_days(), now)
        if occurrence is None:
            return None
        meeting = repository.ensure_meeting(series.id, occurrence.original, occurrence.start)
        item = repository.add_agenda_item(meeting.id, text, source=source, by=by, at=now)
        return AgendaPlacement(series.id, series.title, series.channel_id, occurrence.start, item.id)

    def _carry_agenda(self, work: UnitOfWork, series: SeriesView, off: Occurrence) -> Occurrence | None:
        """A meeting that no longer takes place (skipped, or on a company holiday) hands its agenda on to the
        series' next meeting that does, item by item as it was (order, text, source, who added it and when):
        that meeting, or None when there was nothing to carry (then nothing changes) or no meeting to take it.
        The caller holds the series, with the change that calls the meeting off already made."""
        repository = work.repo(SitdownRepository)
        meeting = repository.find_meeting(series.id, off.original)
        if meeting is None or not repository.agenda(series.id, off.original):
            return None
        overrides, holidays = repository.overrides(series.id), repository.holiday_days()
        upcoming = next_occurrence(series.recurrence, overrides, holidays, off.start)
        if upcoming is None:
            return None
        target = repository.ensure_meeting(series.id, upcoming.original, upcoming.start)
        repository.hand_on_agenda(meeting.id, target.id)
        return upcoming

    def agenda(self, series_id: int, occurrence: Occurrence) -> list[AgendaItemView]:
        with self.reading() as work:
            return work.repo(SitdownRepository).agenda(series_id, occurrence.original)

    # --- notes and action items ------------------------------------------------------------------------------

    def meeting(self, meeting_id: int) -> tuple[SeriesView, MeetingView] | None:
        with self.reading() as work:
            return _meeting_of(work.repo(SitdownRepository), meeting_id)

    def save_notes(self, meeting_id: int, notes: str, *, by: str) -> MeetingView:
        """Store the notes and share them in the series' channel (every save is shared: notes get corrected)."""
        notes = check_text(notes, MAX_NOTES, "notes")
        now = self.clock()
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
            found = _meeting_of(repository, meeting_id)
            if found is None:
                raise NotFound()
            series, _meeting = found
            repository.save_notes(meeting_id, notes, by=by, at=now)
            saved = repository.meeting(meeting_id)
            assert saved is not None
            key = sitdown_key("meeting", meeting_id, "notes", now.isoformat())
            work.send(Outgoing(key, self.messages.notes_shared(series, saved)))
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
        with self.work(now) as work:
            repository = work.repo(SitdownRepository)
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
            new = NewActionItem(text, owner, due_on, category)
            item = repository.add_action(series.id, meeting_id, new, by=by, at=now)
            work.homes_changed(owner)
            if owner != by and owner not in repository.muted(series.id):
                work.send(Outgoing(action_key(item.id, "assigned"), self.messages.action_assigned(item)))
        return item

    def open_actions(self, owner: str | None = None) -> list[ActionItemView]:
        with self.reading() as work:
            return work.repo(SitdownRepository).open_actions(owner=owner)

    def complete_action(self, item_id: int, *, by: str) -> ActionOutcome:
        with self.work() as work:
            repository = work.repo(SitdownRepository)
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
            work.homes_changed(item.owner)
            work.withdraw([action_key(item_id, "due")], reason=f"withdrawn: done by {by}")
            done = repository.action(item_id)
            assert done is not None
            return ActionOutcome(done, True)


def _meeting_of(repository: SitdownRepository, meeting_id: int) -> tuple[SeriesView, MeetingView] | None:
    """A meeting with its series, or None when either is gone."""
    meeting = repository.meeting(meeting_id)
    series = repository.series(meeting.series_id) if meeting else None
    return (series, meeting) if series and meeting else None
